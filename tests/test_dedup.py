"""Exact and near-duplicate groups: planted groups are found, distinct texts are not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from jupyter_al._dedup import (
    DuplicateGroups,
    cross_duplicates,
    exact_groups,
    find_duplicates,
    near_duplicate_groups,
    normalise_text,
    normalise_texts,
    similar_pairs,
    text_vectors,
)
from jupyter_al.exceptions import ConfigError
from tests.conftest import read_sms

DISTINCT = [
    "the weather is lovely in spring",
    "my laptop will not boot after the update",
    "please send the invoice by friday",
    "our team won the league final yesterday",
    "how do I reset my bank password",
    "dinner at eight tonight?",
    "the train was delayed by forty minutes",
    "can you recommend a good book on statistics",
]


def fullwidth(s: str) -> str:
    """Spell ASCII as its full-width forms (U+FF01..U+FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def planted() -> tuple[list[str], dict[str, list[int]]]:
    """Distinct texts plus planted exact and near groups; returns texts and group positions."""
    texts = list(DISTINCT)
    groups: dict[str, list[int]] = {}

    def add(name: str, variants: list[str]) -> None:
        groups[name] = list(range(len(texts), len(texts) + len(variants)))
        texts.extend(variants)

    add(
        "case_space",
        ["Sorry, I'll call later", "sorry,  i'll CALL later", " Sorry, I'll call later "],
    )
    add("punct", ["Ok lar... Joking wif u oni...", "ok lar joking wif u oni"])
    add(
        "numbers",
        [
            "URGENT! Call 09061701461 to claim your £900 prize. Valid 12hrs only",
            "URGENT! Call 09061701851 to claim your £800 prize. Valid 24hrs only",
        ],
    )
    add(
        "small_edit",
        [
            (
                "Free entry in 2 a wkly comp to win FA Cup final tkts 21st May 2005. "
                "Text FA to 87121 to receive entry question(std txt rate)"
            ),
            (
                "Free entry in 2 a wkly comp to win FA Cup fnal tkts 21st May 2005. "
                "Text FA to 87121 to receive entry question(std txt rate)"
            ),
        ],
    )
    add("fullwidth", [fullwidth("HELLO world") + " from tokyo", "hello world from tokyo"])
    return texts, groups


def test_normalise_text_exact_and_loose():
    assert "sorry, i'll call later" == normalise_text("  Sorry,\tI'll  CALL later ")
    assert "hello" == normalise_text(fullwidth("HELLO"))  # NFKC folds full-width letters
    assert "" == normalise_text(None)
    assert "" == normalise_text(float("nan"))
    assert "12" == normalise_text(12)

    assert "call 0 0 to claim 0 prize" == normalise_text(
        "Call 0906-170 to claim £900 prize!", loose=True
    )
    assert "" == normalise_text("...!!!", loose=True)


def test_normalise_texts_matches_scalar():
    values = ["A  b", None, fullwidth("X!"), 3.5, "x_y"]

    assert [normalise_text(v) for v in values] == normalise_texts(values).tolist()
    assert [normalise_text(v, loose=True) for v in values] == normalise_texts(
        pd.Series(values), loose=True
    ).tolist()


def test_exact_groups_case_space_but_not_punctuation():
    texts = ["Hi there", "hi  THERE", "Hi there!", "", "", None, "other"]

    assert [0, 0, -1, -1, -1, -1, -1] == exact_groups(texts).tolist()


def test_planted_groups_found_and_distinct_texts_not_grouped():
    texts, groups = planted()
    result = find_duplicates(texts)

    assert (result.near[: len(DISTINCT)] == -1).all()
    for name, members in groups.items():
        ids = set(result.near[members].tolist())
        assert len(ids) == 1, name
        assert -1 not in ids, name
    assert len({result.near[m[0]] for m in groups.values()}) == len(groups)
    exact = result.exact
    assert len(set(exact[groups["case_space"]].tolist()) - {-1}) == 1
    assert (exact[groups["case_space"]] >= 0).all()
    assert (exact[groups["numbers"]] == -1).all()  # numbers differ: near only
    assert (exact[groups["fullwidth"]] >= 0).all()  # NFKC makes them exact


def test_exact_groups_always_inside_near_groups():
    texts, _ = planted()
    result = find_duplicates(texts, threshold=0.99)

    for g in range(result.n_exact_groups):
        members = np.flatnonzero(result.exact == g)
        assert len(set(result.near[members].tolist())) == 1
        assert result.near[members[0]] >= 0


def test_threshold_behaves():
    a = "meeting moved to thursday afternoon in room four"
    b = "meeting moved to thursday afternoon in room five"
    texts = [a, b, *DISTINCT]
    X = text_vectors(texts)
    cos = float((X[0] @ X[1].T).toarray()[0, 0])

    assert 0.5 < cos < 0.99
    assert find_duplicates(texts, threshold=cos - 0.01).near[1] == 0
    assert find_duplicates(texts, threshold=min(1.0, cos + 0.01)).near[1] == -1


def test_duplicate_groups_record():
    result = find_duplicates(["Win £100 now", "win £250 NOW!", "hi", "hi", "alone here"])

    assert 5 == result.n
    assert [0, 0, 1, 1, -1] == result.near.tolist()
    assert [-1, -1, 0, 0, -1] == result.exact.tolist()
    assert [2, 2] == result.near_sizes.tolist()
    assert [2] == result.exact_sizes.tolist()
    assert 0.8 == pytest.approx(result.share_in_groups)
    assert 0.4 == pytest.approx(result.share_in_exact_groups)
    assert [0, 1] == result.members(1).tolist()
    assert [4] == result.members(4).tolist()
    assert [2, 3] == result.members(2, kind="exact").tolist()
    summary = result.summary()
    assert 2 == summary["n_near_groups"]
    assert 4 == summary["n_in_near_groups"]
    import json

    assert json.loads(json.dumps(summary)) == summary


def test_duplicate_groups_validates():
    with pytest.raises(ConfigError, match="split across near groups"):
        DuplicateGroups(
            exact=np.array([0, 0]), near=np.array([0, 1]), threshold=0.9, vectors="dense"
        )
    with pytest.raises(ConfigError, match="must be in a near group"):
        DuplicateGroups(
            exact=np.array([0, 0]), near=np.array([-1, -1]), threshold=0.9, vectors="dense"
        )
    result = find_duplicates(["a", "a"])
    with pytest.raises(ConfigError, match=r"pos must be in \[0, 2\), got 5"):
        result.members(5)
    with pytest.raises(ConfigError, match="kind must be"):
        result.members(0, kind="loose")  # type: ignore[arg-type]


def test_errors_name_the_argument():
    with pytest.raises(
        ConfigError, match=r"threshold must be a cosine similarity in \(0, 1\], got 1.5"
    ):
        find_duplicates(["a", "b"], threshold=1.5)
    with pytest.raises(ConfigError, match="vectors must have one row per text \\(2\\), got 3 rows"):
        find_duplicates(["a", "b"], np.ones((3, 4)))
    with pytest.raises(ConfigError, match="vectors must be 2-dimensional"):
        find_duplicates(["a", "b"], np.ones(2))
    with pytest.raises(ConfigError, match="vectors must be finite"):
        find_duplicates(["a", "b"], np.array([[1.0, np.nan], [1.0, 0.0]]))
    with pytest.raises(ConfigError, match="texts must be a sequence of texts"):
        find_duplicates("just one string")


def test_empty_and_blank_inputs():
    assert 0 == find_duplicates([]).n
    result = find_duplicates(["", None, "  ", "!!"])
    assert (result.near == -1).all()


def test_caller_vectors_sparse_and_dense_agree():
    rng = np.random.default_rng(0)
    V = rng.standard_normal((60, 16))
    V[10] = V[3] + 0.01
    V[40] = V[3] * 2.0  # same direction
    texts = [f"text number {i} " + "x" * i for i in range(60)]

    dense = find_duplicates(texts, V)
    sparse = find_duplicates(texts, sp.csr_matrix(V))

    assert dense.near.tolist() == sparse.near.tolist()
    assert [3, 10, 40] == dense.members(3).tolist()
    assert "dense" == dense.vectors
    assert "sparse" == sparse.vectors


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sparse_prefix_filter_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    X = sp.random(300, 50, density=0.08, random_state=seed, format="csr")
    X = sp.vstack([X, X[:20] + sp.random(20, 50, density=0.02, random_state=seed + 9)])
    X = sp.csr_matrix(X)
    t = float(rng.uniform(0.5, 0.95))

    i, j, s = similar_pairs(X, t)

    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norms[norms == 0] = 1
    D = X.toarray() / norms[:, None]
    S = D @ D.T
    bi, bj = np.nonzero(np.triu(S >= t - 1e-6, 1))
    assert sorted(zip(bi.tolist(), bj.tolist(), strict=True)) == list(
        zip(i.tolist(), j.tolist(), strict=True)
    )
    np.testing.assert_allclose(S[i, j], s, rtol=1e-5)


def test_dense_lsh_finds_planted_pairs():
    rng = np.random.default_rng(3)
    n, d = 3000, 32
    V = rng.standard_normal((n, d)).astype(np.float32)
    src, dst = np.arange(0, 200), np.arange(1000, 1200)
    V[dst] = V[src] + 0.1 * rng.standard_normal((200, d)).astype(np.float32)

    exact = similar_pairs(V, 0.95)
    lsh = similar_pairs(V, 0.95, exact_below=100)

    assert {(a, b) for a, b in zip(src.tolist(), dst.tolist(), strict=True)} <= set(
        zip(exact[0].tolist(), exact[1].tolist(), strict=True)
    )
    found = set(zip(lsh[0].tolist(), lsh[1].tolist(), strict=True))
    assert found <= set(zip(exact[0].tolist(), exact[1].tolist(), strict=True))
    assert len(found) >= 0.97 * len(exact[0])


def test_similar_pairs_other_checks():
    with pytest.raises(ConfigError, match="both be sparse or both dense"):
        similar_pairs(np.ones((2, 3)), other=sp.csr_matrix(np.ones((2, 3))))
    with pytest.raises(ConfigError, match="same width"):
        similar_pairs(np.ones((2, 3)), other=np.ones((2, 4)))


def test_cross_duplicates_exact_near_and_distinct():
    pool = [*DISTINCT, "Sorry, I'll call later", "Call 0800 111 222 for a free ringtone"]
    held = [
        "sorry, i'll call later",  # exact
        "call 0800 999 888 for a FREE ringtone!",  # near: numbers and punctuation
        "a completely new message about gardening",
    ]

    pairs = cross_duplicates(held, None, pool, None)

    assert [0, 1] == pairs.a.tolist()
    assert [8, 9] == pairs.b.tolist()
    assert [True, False] == pairs.exact.tolist()
    assert {"n_pairs": 2, "n_exact_pairs": 1, "n_a_items": 2, "n_b_items": 2} == pairs.summary()


def test_cross_duplicates_with_vectors_dense_lsh_and_exact_agree():
    rng = np.random.default_rng(5)
    A = rng.standard_normal((300, 24)).astype(np.float32)
    B = rng.standard_normal((2000, 24)).astype(np.float32)
    B[[5, 700, 1500]] = A[[1, 2, 3]] + 0.05 * rng.standard_normal((3, 24)).astype(np.float32)
    ta = [f"a{i}" for i in range(300)]
    tb = [f"b{i}" for i in range(2000)]

    exact = cross_duplicates(ta, A, tb, B, 0.95)
    lsh = cross_duplicates(ta, A, tb, B, 0.95, exact_below=10)

    assert [1, 2, 3] == exact.a.tolist()
    assert [5, 700, 1500] == exact.b.tolist()
    assert exact.a.tolist() == lsh.a.tolist()
    assert exact.b.tolist() == lsh.b.tolist()
    with pytest.raises(ConfigError, match="both be given or both be None"):
        cross_duplicates(ta, A, tb, None)


def test_sms_spam_duplicate_share():
    sms = read_sms()
    result = find_duplicates(sms["SMS"])

    # PROVENANCE: 415 rows repeat an earlier one (case-folded), so 415 + groups in groups
    assert 415 == result.n - len(np.unique(normalise_texts(sms["SMS"])))
    assert 0.12 < result.share_in_exact_groups < 0.14
    assert 0.15 < result.share_in_groups < 0.20
    assert result.share_in_groups > result.share_in_exact_groups


def test_near_duplicate_groups_is_find_duplicates_near():
    texts, _ = planted()

    assert find_duplicates(texts).near.tolist() == near_duplicate_groups(texts).tolist()
