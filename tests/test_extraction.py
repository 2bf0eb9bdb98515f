"""Tests of jupyter_al.extraction: spans, BIO, models, uncertainty, selection, metrics, loaders."""

from __future__ import annotations

import importlib
import itertools
import json
import math

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from jupyter_al import extraction as ex
from jupyter_al.exceptions import ConfigError, LabelError, PoolExhaustedError
from jupyter_al.extraction import (
    BioEncoding,
    CRFTagger,
    SequenceCandidates,
    SequenceModel,
    Span,
    SpanSchema,
    Token,
    TokenLogRegTagger,
    bio_tags,
    bio_to_spans,
    check_spans,
    load_nlupp_slots,
    load_restaurant8k,
    normalized_least_confidence,
    select_sequences,
    sequence_candidates,
    sequence_least_confidence,
    span_prf,
    spans_from_json,
    spans_to_bio,
    spans_to_json,
    token_entropy_max,
    token_entropy_mean,
    token_features,
    tokenize,
)
from jupyter_al.strategies import Selection
from tests.conftest import SHARED_DATA

SCHEMA = SpanSchema(("people", "time", "date"))

needs_crfsuite = pytest.mark.skipif(
    importlib.util.find_spec("sklearn_crfsuite") is None,
    reason='sklearn-crfsuite is not installed (pip install "jupyter_al[extraction]")',
)
needs_data = pytest.mark.skipif(
    not (SHARED_DATA / "nlupp").is_dir(), reason=f"shared data not found at {SHARED_DATA}"
)


# --------------------------------------------------------------------------------------------
# A small synthetic booking corpus where the spans are learnable
# --------------------------------------------------------------------------------------------

_NUMBERS = ["2", "3", "4", "5", "6", "two", "three", "four", "five", "six"]
_TIMES = ["7pm", "8 pm", "7:30", "6:45 pm", "noon", "9pm", "8:15", "19:00"]
_DATES = ["tomorrow", "today", "on friday", "next monday", "on sunday"]
_OPENERS = ["hi,", "hello", "please", "ok", "could you", "i would like to"]


def _booking(rng: np.random.Generator) -> tuple[str, tuple[Span, ...]]:
    """One sentence built from parts, with its gold spans recorded while it is built."""
    parts: list[tuple[str, str | None]] = [
        (str(rng.choice(_OPENERS)), None),
        ("book a table", None),
    ]
    options = [
        [("for", None), (str(rng.choice(_NUMBERS)), "people"), ("people", None)],
        [("at", None), (str(rng.choice(_TIMES)), "time")],
        [(str(rng.choice(_DATES)), "date")],
    ]
    for k in rng.permutation(3)[: int(rng.integers(0, 4))]:
        parts += options[int(k)]
    text, spans = "", []
    for piece, kind in parts:
        if text:
            text += " "
        if kind is not None:
            spans.append(Span(len(text), len(text) + len(piece), kind))
        text += piece
    return text, tuple(spans)


def _corpus(n: int, seed: int) -> tuple[list[str], list[tuple[Span, ...]]]:
    rng = np.random.default_rng(seed)
    pairs = [_booking(rng) for _ in range(n)]
    return [t for t, _ in pairs], [s for _, s in pairs]


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], list[tuple[Span, ...]]]:
    return _corpus(160, 0)


@pytest.fixture(scope="module")
def crf(corpus: tuple[list[str], list[tuple[Span, ...]]]) -> CRFTagger:
    pytest.importorskip("sklearn_crfsuite")
    texts, spans = corpus
    return CRFTagger().fit(texts[:120], spans[:120])


@pytest.fixture(scope="module")
def logreg(corpus: tuple[list[str], list[tuple[Span, ...]]]) -> TokenLogRegTagger:
    texts, spans = corpus
    return TokenLogRegTagger().fit(texts[:120], spans[:120])


# --------------------------------------------------------------------------------------------
# Span, SpanSchema, check_spans, JSON
# --------------------------------------------------------------------------------------------


def test_span_record():
    span = Span(np.int64(3), 5, "time")

    assert 3 == span.start
    assert isinstance(span.start, int)
    assert 2 == len(span)
    assert [3, 5, "time"] == span.to_json()
    assert [Span(0, 2, "b"), Span(0, 3, "a"), Span(1, 2, "a")] == sorted(
        [Span(1, 2, "a"), Span(0, 3, "a"), Span(0, 2, "b")]
    )
    assert 0 == len(Span(5, 3, "x"))  # reversed: the record allows it, check_spans refuses it


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("3", 5, "time"), "Span.start must be an int, got '3'"),
        ((0, True, "time"), "Span.end must be an int, got True"),
        ((0, 1.0, "time"), "Span.end must be an int, got 1.0"),
        ((0, 1, ""), "Span.type must be a non-empty str, got ''"),
        ((0, 1, 3), "Span.type must be a non-empty str, got 3"),
    ],
)
def test_span_rejects_bad_fields(args, message):
    with pytest.raises(ConfigError) as err:
        Span(*args)

    assert message == str(err.value)


def test_schema_validation():
    schema = SpanSchema(["time", "date"], overlap="nested")  # a list is stored as a tuple

    assert ("time", "date") == schema.types
    for types, message in [
        ((), "types must name at least one span type, got none"),
        ("time", "types must be a tuple of str, got 'time'"),
        (("time", "time"), "types must be unique, got duplicates ('time',)"),
        (("time", ""), "types must be non-empty strings, got ['']"),
    ]:
        with pytest.raises(ConfigError) as err:
            SpanSchema(types)
        assert message == str(err.value)
    with pytest.raises(
        ConfigError, match=r"overlap must be one of \('forbid', 'allow', 'nested'\)"
    ):
        SpanSchema(("a",), overlap="some")  # type: ignore[arg-type]


def test_check_spans_sorts_dedupes_and_accepts_json_form():
    text = "table for 4 at 7pm tomorrow"
    given = [[15, 18, "time"], Span(10, 11, "people"), (15, 18, "time")]

    spans = check_spans(text, given, SCHEMA)

    assert (Span(10, 11, "people"), Span(15, 18, "time")) == spans
    assert () == check_spans(text, [], SCHEMA)


@pytest.mark.parametrize(
    ("span", "message"),
    [
        (
            [-1, 3, "time"],
            "item 'r7': span [-1, 3, 'time'] starts at -1; expected start >= 0",
        ),
        (
            [10, 40, "time"],
            (
                "item 'r7': span [10, 40, 'time'] ends at 40, past the end of the text "
                "(length 18); expected 0 <= start < end <= 18"
            ),
        ),
        (
            [5, 5, "time"],
            (
                "item 'r7': span [5, 5, 'time'] is empty or reversed; expected start < end, got "
                "start=5, end=5"
            ),
        ),
        (
            [9, 4, "time"],
            (
                "item 'r7': span [9, 4, 'time'] is empty or reversed; expected start < end, got "
                "start=9, end=4"
            ),
        ),
        (
            [0, 3, "colour"],
            (
                "item 'r7': span [0, 3, 'colour'] 'tab' has type 'colour', which is not one of "
                "the schema's types ('people', 'time', 'date')"
            ),
        ),
        (
            [15, 18, "tme"],
            (
                "item 'r7': span [15, 18, 'tme'] '7pm' has type 'tme', which is not one of the "
                "schema's types ('people', 'time', 'date'); did you mean 'time'?"
            ),
        ),
        (
            [1, 2],
            "item 'r7': span at position 0 must be a Span or [start, end, type], got [1, 2]",
        ),
        (
            ["a", 2, "time"],
            (
                "item 'r7': span at position 0 ['a', 2, 'time'] is malformed: Span.start must be "
                "an int, got 'a'"
            ),
        ),
    ],
)
def test_check_spans_bad_inputs_name_item_and_span(span, message):
    with pytest.raises(ConfigError) as err:
        check_spans("table for 4 at 7pm", [span], SCHEMA, item_id="r7")

    assert message == str(err.value)


def test_unknown_type_is_a_label_error():
    with pytest.raises(LabelError):
        check_spans("at 7pm", [Span(3, 6, "hour")], SCHEMA)


def test_check_spans_without_item_id_or_schema():
    with pytest.raises(ConfigError) as err:
        check_spans("abc", [Span(0, 9, "x")], None)

    assert str(err.value).startswith("span [0, 9, 'x'] ends at 9")
    assert (Span(0, 1, "anything"),) == check_spans("abc", [Span(0, 1, "anything")], None)
    with pytest.raises(ConfigError, match="text must be a str, got int"):
        check_spans(3, [], None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="spans must be a list of spans, got the string"):
        check_spans("abc", "[[0, 1, 'x']]", None)  # type: ignore[arg-type]


def test_overlap_rules():
    text = "at 7:30 tonight please"
    nested = [Span(3, 15, "time"), Span(8, 15, "date")]
    crossing = [Span(3, 10, "time"), Span(8, 15, "date")]
    same_extent = [Span(3, 7, "time"), Span(3, 7, "date")]

    for spans in (nested, crossing, same_extent):
        assert len(spans) == len(check_spans(text, spans, SpanSchema(("time", "date"), "allow")))
    for spans in (nested, same_extent):
        assert len(spans) == len(check_spans(text, spans, SpanSchema(("time", "date"), "nested")))
    assert 2 == len(check_spans(text, [Span(0, 2, "time"), Span(3, 7, "time")], SCHEMA))
    with pytest.raises(ConfigError) as err:
        check_spans(text, crossing, SpanSchema(("time", "date"), "nested"), item_id=4)
    assert (
        "item 4: spans [3, 10, 'time'] '7:30 to' and [8, 15, 'date'] 'tonight' cross (they "
        "overlap and neither contains the other), but the schema's overlap rule is 'nested' "
        "(expected disjoint or nested spans)"
    ) == str(err.value)
    with pytest.raises(ConfigError) as err:
        check_spans(text, nested, SpanSchema(("time", "date"), "forbid"), item_id=4)
    assert (
        "item 4: spans [3, 15, 'time'] '7:30 tonight' and [8, 15, 'date'] 'tonight' overlap, "
        "but the schema's overlap rule is 'forbid' (expected no shared character)"
    ) == str(err.value)
    # a later span overlapping an earlier, wider one (not only its neighbour) is caught
    with pytest.raises(ConfigError, match="overlap"):
        check_spans(text, [Span(0, 20, "time"), Span(3, 4, "date"), Span(10, 12, "date")], SCHEMA)
    # nested: a span crossing an outer span after an inner one closed
    with pytest.raises(ConfigError, match="cross"):
        check_spans(
            text,
            [Span(0, 10, "time"), Span(1, 2, "date"), Span(8, 12, "date")],
            SpanSchema(("time", "date"), "nested"),
        )


def test_json_round_trip():
    spans = (Span(0, 1, "people"), Span(9, 12, "time"))

    data = spans_to_json(spans)

    assert [[0, 1, "people"], [9, 12, "time"]] == data
    assert spans == spans_from_json(data)
    assert spans == spans_from_json(json.dumps(data))
    assert spans == spans_from_json(json.dumps(data[::-1]), text="2 ppl at 7pm", schema=SCHEMA)
    assert spans[::-1] == spans_from_json(data[::-1])  # without text: order kept, unchecked


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("[[0, 1, 'x']", "item 3: spans are not valid JSON"),
        ('{"a": 1}', "item 3: spans must be a list of [start, end, type], got dict"),
        ("[[0, 1]]", "item 3: span at position 0 must be a Span or [start, end, type]"),
        ([[0, 1, "x"], [0, "1", "x"]], "item 3: span at position 1 [0, '1', 'x'] is malformed"),
    ],
)
def test_spans_from_json_errors(data, message):
    with pytest.raises(ConfigError) as err:
        spans_from_json(data, item_id=3)

    assert str(err.value).startswith(message)


def test_spans_from_json_checks_against_text():
    with pytest.raises(LabelError, match="item 'a': span \\[0, 1, 'x'\\] '2' has type 'x'"):
        spans_from_json([[0, 1, "x"]], text="2 ppl", schema=SCHEMA, item_id="a")


# --------------------------------------------------------------------------------------------
# Tokens and BIO
# --------------------------------------------------------------------------------------------


def test_tokenize_offsets_and_coverage():
    text = "Hi  Zoë_B, 13:00pm for 4?! (under \u2018Smith\u2019)\tthanks\n"

    tokens = tokenize(text)

    assert all(text[t.start : t.end] == t.text for t in tokens)
    covered = {i for t in tokens for i in range(t.start, t.end)}
    assert {i for i, ch in enumerate(text) if not ch.isspace()} == covered  # every non-space
    assert ["Hi", "Zoë", "_", "B", ",", "13", ":", "00", "pm", "for", "4", "?", "!"] == [
        t.text for t in tokens[:13]
    ]
    assert () == tokenize("")
    assert () == tokenize("   \n")
    with pytest.raises(ConfigError, match="text must be a str, got NoneType"):
        tokenize(None)  # type: ignore[arg-type]


def test_bio_tags_order():
    assert ("O", "B-a", "I-a", "B-b", "I-b") == bio_tags(["b", "a", "b"])
    assert ("O",) == bio_tags([])


def test_spans_to_bio_aligned():
    text = "for 4 people at 7 pm"
    spans = [Span(4, 5, "people"), Span(16, 20, "time")]

    enc = spans_to_bio(text, spans)

    assert ("O", "B-people", "O", "O", "B-time", "I-time") == enc.tags
    assert () == enc.snapped
    assert () == enc.dropped
    assert tuple(spans) == bio_to_spans(enc.tokens, enc.tags)


def test_spans_to_bio_snaps_outward_and_trims_space():
    text = "at 7 tonight, ok"
    partial = Span(5, 8, "date")  # "ton" inside "tonight"
    spaced = Span(2, 4, "time")  # " 7" with its leading space

    enc = spans_to_bio(text, [partial, spaced])

    assert ("O", "B-time", "B-date", "O", "O") == enc.tags
    assert ((spaced, Span(3, 4, "time")), (partial, Span(5, 12, "date"))) == enc.snapped
    assert (Span(3, 4, "time"), Span(5, 12, "date")) == bio_to_spans(enc.tokens, enc.tags)


def test_spans_to_bio_drops_what_bio_cannot_hold():
    text = "at 7:30 tonight  ok"
    outer, inner, blank = Span(3, 15, "time"), Span(8, 15, "date"), Span(15, 17, "date")

    enc = spans_to_bio(text, [inner, outer, blank])

    assert ("O", "B-time", "I-time", "I-time", "I-time", "O") == enc.tags
    assert (inner, blank) == enc.dropped
    assert () == enc.snapped


def test_spans_to_bio_same_extent_keeps_the_first_type_alphabetically():
    enc = spans_to_bio("in an hour", [Span(0, 10, "time"), Span(0, 10, "date")])

    assert ("B-date", "I-date", "I-date") == enc.tags
    assert (Span(0, 10, "time"),) == enc.dropped


def test_spans_to_bio_strict_mode():
    with pytest.raises(ConfigError) as err:
        spans_to_bio("at 7 tonight", [Span(5, 8, "date")], misaligned="error", item_id="x")
    assert (
        "item 'x': span [5, 8, 'date'] 'ton' does not start and end on token boundaries; "
        "expected e.g. [5, 12, 'date'] 'tonight' (or pass misaligned='snap')"
    ) == str(err.value)
    with pytest.raises(ConfigError, match="covers no token"):
        spans_to_bio("a  b", [Span(1, 3, "date")], misaligned="error")
    with pytest.raises(ConfigError, match="misaligned must be 'snap' or 'error', got 'drop'"):
        spans_to_bio("a", [], misaligned="drop")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="ends at 9, past the end"):
        spans_to_bio("abc", [Span(0, 9, "x")])


def test_bio_round_trip_on_random_spans():
    rng = np.random.default_rng(5)
    words = ["at", "7", "pm", "for", "two", ",", "Smith", "tomorrow", "13", ":", "00"]
    for _ in range(200):
        n = int(rng.integers(0, 12))
        toks = [str(w) for w in rng.choice(words, size=n)]
        text = " ".join(toks)
        tokens = tokenize(text)
        # random non-overlapping token runs
        spans, i = [], 0
        while i < len(tokens):
            if rng.random() < 0.4:
                j = min(len(tokens) - 1, i + int(rng.integers(0, 3)))
                spans.append(Span(tokens[i].start, tokens[j].end, str(rng.choice(["a", "b"]))))
                i = j + 1
            else:
                i += 1

        enc = spans_to_bio(text, spans)

        assert () == enc.snapped
        assert () == enc.dropped
        assert tuple(sorted(spans)) == bio_to_spans(enc.tokens, enc.tags)


def test_bio_to_spans_is_lenient_like_conlleval():
    tokens = tokenize("a b c d e")

    spans = bio_to_spans(tokens, ["I-x", "I-x", "I-y", "B-y", "O"])

    assert (Span(0, 3, "x"), Span(4, 5, "y"), Span(6, 7, "y")) == spans


def test_bio_to_spans_errors():
    tokens = tokenize("a b")
    with pytest.raises(ConfigError, match="expected 2 tags, got 1"):
        bio_to_spans(tokens, ["O"])
    with pytest.raises(
        ConfigError, match=r"tags\[1\] must be 'O', 'B-<type>' or 'I-<type>', got 'X-a'"
    ):
        bio_to_spans(tokens, ["O", "X-a"])
    with pytest.raises(ConfigError, match=r"got 'B-'"):
        bio_to_spans(tokens, ["B-", "O"])


def test_token_features():
    feats = token_features(tokenize("Book 7pm"))

    assert "book" == feats[0]["lower"]
    assert "Xx" == feats[0]["shape"]
    assert 1.0 == feats[0]["is_title"]
    assert 1.0 == feats[0]["-1:pad"]
    assert 1.0 == feats[0]["-2:pad"]
    assert "7" == feats[0]["+1:lower"]
    assert 0.0 == feats[1]["glued"]  # "7" follows a space
    assert 1.0 == feats[2]["glued"]  # "pm" is glued to "7"
    assert "pm" == feats[2]["suffix2"]
    assert 1.0 == feats[2]["+1:pad"]
    assert "d" == feats[1]["shape"]
    assert [] == token_features(())


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


def _check_model_finds_spans(model: SequenceModel, corpus) -> None:
    texts, spans = corpus
    pred = model.predict(texts[120:])
    scores = span_prf(spans[120:], pred)

    assert scores.micro.f1 >= 0.95, scores.micro
    margs = model.marginals(texts[120:125])
    for text, m in zip(texts[120:125], margs, strict=True):
        assert (len(model.tokens(text)), len(model.tags_)) == m.shape
        np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-6)


@needs_crfsuite
def test_crf_finds_the_spans(crf, corpus):
    assert ("O", "B-date", "I-date", "B-people", "B-time", "I-time") == crf.tags_
    _check_model_finds_spans(crf, corpus)
    assert () == crf.fit_notes_


def test_logreg_finds_the_spans(logreg, corpus):
    assert ("O", "B-date", "I-date", "B-people", "B-time", "I-time") == logreg.tags_
    _check_model_finds_spans(logreg, corpus)
    assert logreg.columns_.size > 0


@needs_crfsuite
def test_crf_is_deterministic(corpus):
    texts, spans = corpus
    a = CRFTagger(max_iterations=30).fit(texts[:60], spans[:60])
    b = CRFTagger(max_iterations=30).fit(texts[:60], spans[:60])

    for ma, mb in zip(a.marginals(texts[100:110]), b.marginals(texts[100:110]), strict=True):
        np.testing.assert_array_equal(ma, mb)


@needs_crfsuite
def test_crf_best_proba_is_the_exact_viterbi_probability(crf):
    """P(y*|x) from crfsuite equals the max over every tag sequence, which sum to 1."""
    text = "ok at 8:15"  # 5 tokens
    (pred,) = crf.predict_sequences([text])
    tagger = crf.crf_.tagger_
    tagger.set(token_features(pred.tokens))
    everything = {
        seq: tagger.probability(list(seq))
        for seq in itertools.product(crf.tags_, repeat=len(pred.tokens))
    }

    assert math.isclose(1.0, sum(everything.values()), rel_tol=1e-9)
    assert max(everything, key=everything.__getitem__) == pred.tags
    assert math.isclose(max(everything.values()), pred.best_proba, rel_tol=1e-9)
    assert pred.exact
    # the product of the per-token maxima is not the sequence probability for a CRF
    approx = float(np.prod(pred.marginals.max(axis=1)))
    assert not math.isclose(approx, pred.best_proba, rel_tol=1e-6)


def test_logreg_best_proba_is_the_product_of_token_maxima(logreg):
    (pred,) = logreg.predict_sequences(["hello book a table for 3 people at 9pm"])

    assert math.isclose(float(np.prod(pred.marginals.max(axis=1))), pred.best_proba)
    assert tuple(logreg.tags_[j] for j in pred.marginals.argmax(axis=1)) == pred.tags


@pytest.mark.parametrize("kind", ["crf", "logreg"])
def test_models_handle_empty_texts_and_all_outside_training(kind):
    if kind == "crf":
        pytest.importorskip("sklearn_crfsuite")
    make = CRFTagger if kind == "crf" else TokenLogRegTagger

    model = make().fit(["hello there", "   ", "thanks"], [[], [], []])

    assert ("O",) == model.tags_
    preds = model.predict_sequences(["", "hi you", " "])
    assert [(), (), ()] == [p.spans for p in preds]
    assert [1.0, 1.0, 1.0] == [p.best_proba for p in preds]
    assert [(0, 1), (2, 1), (0, 1)] == [p.marginals.shape for p in preds]
    assert [(), (), ()] == model.predict(["", "hi you", " "])


@pytest.mark.parametrize("kind", ["crf", "logreg"])
def test_models_fit_errors(kind):
    if kind == "crf":
        pytest.importorskip("sklearn_crfsuite")
    make = CRFTagger if kind == "crf" else TokenLogRegTagger

    with pytest.raises(NotFittedError, match="is not fitted yet: call fit"):
        make().predict(["a"])
    with pytest.raises(
        ConfigError, match=r"spans must hold one list of spans per text \(2\), got 1"
    ):
        make().fit(["a", "b"], [[]])
    with pytest.raises(ConfigError, match="texts is empty"):
        make().fit([], [])
    with pytest.raises(ConfigError, match="texts hold no token at all"):
        make().fit(["", " "], [[], []])
    with pytest.raises(ConfigError, match="texts must be a sequence of str, got str"):
        make().fit("abc", [[]])
    with pytest.raises(ConfigError, match="texts must hold str only, got int at position 1"):
        make().fit(["a", 3], [[], []])  # type: ignore[list-item]
    with pytest.raises(ConfigError, match=r"item 1: span \[0, 5, 'x'\] ends at 5"):
        make().fit(["abc", "abc"], [[], [Span(0, 5, "x")]])
    with pytest.raises(ConfigError, match="does not start and end on token boundaries"):
        make(misaligned="error").fit(["abc def"], [[Span(0, 2, "x")]])


def test_fit_notes_report_snapped_and_dropped(logreg):
    texts = ["at 7 tonight", "in an hour"]
    spans = [[Span(7, 10, "date")], [Span(0, 10, "time"), Span(0, 10, "date")]]

    model = TokenLogRegTagger().fit(texts, spans)

    assert (
        "1 span(s) snapped to token boundaries",
        "1 span(s) left out: overlapping a longer span (BIO is flat) or covering no token",
    ) == model.fit_notes_


def test_model_parameter_validation():
    for kwargs, message in [
        ({"c1": -1}, "c1 must be a number >= 0, got -1"),
        ({"c2": "0.1"}, "c2 must be a number >= 0, got '0.1'"),
        ({"max_iterations": 0}, "max_iterations must be an int >= 1, got 0"),
        ({"max_iterations": 2.5}, "max_iterations must be an int >= 1, got 2.5"),
    ]:
        with pytest.raises(ConfigError) as err:
            CRFTagger(**kwargs)
        assert message == str(err.value)
    with pytest.raises(ConfigError, match="C must be a number > 0, got 0"):
        TokenLogRegTagger(C=0)
    with pytest.raises(ConfigError, match="n_features must be an int >= 2, got 1"):
        TokenLogRegTagger(n_features=1)
    assert "CRFTagger(c1=0.1, c2=0.1, max_iterations=100)" == repr(CRFTagger())
    assert "TokenLogRegTagger(C=10.0, n_features=262144)" == repr(TokenLogRegTagger())


def test_crf_names_the_extra_when_crfsuite_is_missing(monkeypatch):
    real = importlib.import_module

    def fake(name, *args, **kwargs):
        if name == "sklearn_crfsuite":
            raise ImportError("No module named 'sklearn_crfsuite'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(ex.importlib, "import_module", fake)

    with pytest.raises(ImportError) as err:
        CRFTagger().fit(["a"], [[]])
    assert 'pip install "jupyter_al[extraction]"' in str(err.value)
    assert "TokenLogRegTagger" in str(err.value)


class _MarginalsOnly:
    """A plug-in model with the bare adapter (no predict_sequences): independent tokens."""

    tags_ = ("O", "B-x")

    def tokens(self, text: str) -> tuple[Token, ...]:
        return tokenize(text)

    def fit(self, texts, spans):
        return self

    def predict(self, texts):
        return [
            tuple(Span(t.start, t.end, "x") for t in tokenize(s) if t.text == "x") for s in texts
        ]

    def marginals(self, texts):
        return [
            np.array([[0.2, 0.8] if t.text == "x" else [0.6, 0.4] for t in tokenize(s)]).reshape(
                -1, 2
            )
            for s in texts
        ]


def test_sequence_candidates_from_a_bare_adapter():
    model: SequenceModel = _MarginalsOnly()

    cands = sequence_candidates(model, ["a x", ""])

    assert not cands.exact_best_proba
    np.testing.assert_allclose([0.6 * 0.8, 1.0], cands.best_proba)
    assert ((), ()) != cands.predicted
    assert ((Span(2, 3, "x"),), ()) == cands.predicted
    assert [2, 0] == cands.n_tokens.tolist()
    sel = select_sequences(cands, 1, np.random.default_rng(0), strategy="sequence_least_confidence")
    assert "(approx.)" in sel.reasons[0]
    assert "predicts x 'x'" in sel.reasons[0]


def test_sequence_candidates_from_a_builtin_model(logreg, corpus):
    texts, _ = corpus

    cands = sequence_candidates(logreg, texts[120:130])

    assert cands.exact_best_proba
    assert 10 == cands.n
    assert logreg.tags_ == cands.tags
    assert list(texts[120:130]) == list(cands.texts or [])


# --------------------------------------------------------------------------------------------
# Uncertainty scores, hand-checked
# --------------------------------------------------------------------------------------------

# Two tokens and three tags; one empty text.
_MARGS = [
    np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]]),
    np.array([[0.8, 0.1, 0.1]]),
    np.zeros((0, 3)),
]


def test_token_entropy_by_hand():
    h1 = math.log(2)  # [0.5, 0.5, 0]
    h3 = -(0.8 * math.log(0.8) + 2 * 0.1 * math.log(0.1))

    np.testing.assert_allclose([h1 / 2, h3, 0.0], token_entropy_mean(_MARGS))
    np.testing.assert_allclose([h1, h3, 0.0], token_entropy_max(_MARGS))


def test_least_confidence_by_hand():
    best = [0.5, 0.8, 1.0]

    np.testing.assert_allclose([0.5, 0.2, 0.0], sequence_least_confidence(best))
    np.testing.assert_allclose(
        [1 - math.sqrt(0.5), 0.2, 0.0], normalized_least_confidence(best, [2, 1, 0])
    )
    np.testing.assert_allclose([1.0, 0.0], normalized_least_confidence([0.0, 1.0], [3, 3]))
    assert (0,) == sequence_least_confidence([]).shape


def test_length_normalisation_removes_the_length_bias():
    # per-token confidence 0.9 over 1 and over 10 tokens
    best = np.array([0.9, 0.9**10])

    lc = sequence_least_confidence(best)
    norm = normalized_least_confidence(best, [1, 10])

    assert lc[1] > lc[0]
    np.testing.assert_allclose([0.1, 0.1], norm)


def test_score_input_errors():
    with pytest.raises(ConfigError, match="best_proba must be 1-D"):
        sequence_least_confidence([[0.5]])
    with pytest.raises(ConfigError, match=r"best_proba must hold probabilities in \[0, 1\]"):
        sequence_least_confidence([1.5])
    with pytest.raises(ConfigError, match=r"n_tokens must have the shape of best_proba \(2,\)"):
        normalized_least_confidence([0.5, 0.5], [1])
    with pytest.raises(ConfigError, match="n_tokens must be >= 0"):
        normalized_least_confidence([0.5], [-1])
    with pytest.raises(ConfigError, match=r"marginals\[0\] must be 2-D"):
        token_entropy_mean([np.array([0.5, 0.5])])


# --------------------------------------------------------------------------------------------
# Selection
# --------------------------------------------------------------------------------------------


def _cands(n: int = 12, seed: int = 0) -> SequenceCandidates:
    rng = np.random.default_rng(seed)
    margs, toks, texts = [], [], []
    for i in range(n):
        text = " ".join(["w"] * (i % 5))
        tokens = tokenize(text)
        m = rng.dirichlet(np.ones(3), size=len(tokens))
        margs.append(m)
        toks.append(tokens)
        texts.append(text)
    best = np.array([float(np.prod(m.max(axis=1))) if len(m) else 1.0 for m in margs])
    return SequenceCandidates(
        tags=("O", "B-x", "I-x"),
        marginals=tuple(margs),
        best_proba=best,
        tokens=tuple(toks),
        predicted=tuple(() for _ in range(n)),
        texts=texts,
    )


@pytest.mark.parametrize("name", sorted(ex.SEQUENCE_STRATEGIES))
def test_strategy_contract(name):
    cands = _cands()

    a = select_sequences(cands, 5, np.random.default_rng(1), strategy=name)
    b = select_sequences(cands, 5, np.random.default_rng(1), strategy=name)
    everything = select_sequences(cands, 50, np.random.default_rng(1), strategy=name)

    assert isinstance(a, Selection)
    assert name == a.strategy
    assert 5 == len(set(a.positions.tolist()))
    assert 5 == len(a.scores) == len(a.reasons)
    assert a.positions.tolist() == b.positions.tolist()
    assert a.reasons == b.reasons
    assert sorted(range(cands.n)) == sorted(everything.positions.tolist())
    if name != "random":
        assert np.all(np.diff(a.scores) <= 0)  # best first
        assert all(r.endswith(f"of {cands.n:,}") for r in a.reasons)
    with pytest.raises(PoolExhaustedError, match="no unlabeled candidate left"):
        select_sequences(
            SequenceCandidates(("O",), (), np.zeros(0)), 5, np.random.default_rng(0), strategy=name
        )
    with pytest.raises(ConfigError, match="batch_size must be an integer >= 1, got 0"):
        select_sequences(cands, 0, np.random.default_rng(0), strategy=name)


@pytest.mark.parametrize(
    ("name", "score"),
    [
        ("sequence_least_confidence", lambda c: sequence_least_confidence(c.best_proba)),
        (
            "normalized_least_confidence",
            lambda c: normalized_least_confidence(c.best_proba, c.n_tokens),
        ),
        ("token_entropy_mean", lambda c: token_entropy_mean(c.marginals)),
        ("token_entropy_max", lambda c: token_entropy_max(c.marginals)),
    ],
)
def test_strategies_pick_the_highest_scores(name, score):
    cands = _cands()
    scores = score(cands)

    sel = select_sequences(cands, 3, np.random.default_rng(0), strategy=name)

    np.testing.assert_allclose(np.sort(scores)[::-1][:3], sel.scores)
    np.testing.assert_allclose(scores[sel.positions], sel.scores)


def test_ties_are_broken_by_the_rng():
    n = 30
    cands = SequenceCandidates(("O", "B-x"), tuple(np.zeros((0, 2)) for _ in range(n)), np.ones(n))

    picks = {
        tuple(
            select_sequences(
                cands, 3, np.random.default_rng(s), strategy="token_entropy_max"
            ).positions
        )
        for s in range(5)
    }

    assert len(picks) > 1  # every score is 0: the rng decides, differently per seed


def test_reasons_name_the_numbers():
    cands = SequenceCandidates(
        tags=("O", "B-time"),
        marginals=(np.array([[0.5, 0.5], [0.9, 0.1]]),),
        best_proba=np.array([0.45]),
        tokens=(tokenize("at 7"),),
        predicted=((Span(3, 4, "time"),),),
        texts=["at 7"],
    )
    rng = np.random.default_rng(0)

    reasons = {
        name: select_sequences(cands, 1, rng, strategy=name).reasons[0]
        for name in ex.SEQUENCE_STRATEGIES
    }

    assert (
        "least confidence 0.55: best tagging has P=0.45 over 2 tokens; predicts time '7'; "
        "rank 1 of 1"
    ) == reasons["sequence_least_confidence"]
    assert (
        "normalized least confidence 0.33: best tagging has P=0.45, 0.67 per token over 2 "
        "tokens; predicts time '7'; rank 1 of 1"
    ) == reasons["normalized_least_confidence"]
    assert (
        "max token entropy 0.69 nats over 2 tokens, most uncertain token 'at' (0.69); predicts "
        "time '7'; rank 1 of 1"
    ) == reasons["token_entropy_max"]
    assert reasons["token_entropy_mean"].startswith("mean token entropy 0.51 nats over 2 tokens")
    assert "random pick 1 of 1 from 1 candidates (baseline)" == reasons["random"]


def test_select_sequences_resolution():
    cands = _cands()
    rng = np.random.default_rng(0)

    default = select_sequences(cands, 2, rng)
    assert ex.DEFAULT_SEQUENCE_STRATEGY == default.strategy
    assert ex.DEFAULT_SEQUENCE_STRATEGY in ex.SEQUENCE_STRATEGIES

    def first_two(candidates, batch_size, rng):
        return Selection(np.arange(2), np.zeros(2), ("a", "b"), "first_two")

    assert "first_two" == select_sequences(cands, 2, rng, strategy=first_two).strategy
    with pytest.raises(ConfigError) as err:
        select_sequences(cands, 2, rng, strategy="token_entropy")
    assert str(err.value).startswith(
        "strategy='token_entropy' is not a known sequence strategy; did you mean "
    )
    with pytest.raises(TypeError, match="strategy must be a name"):
        select_sequences(cands, 2, rng, strategy=3)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="needs SequenceCandidates"):
        select_sequences("x", 2, rng, strategy="token_entropy_max")  # type: ignore[arg-type]


def test_sequence_candidates_validation():
    m = (np.zeros((1, 2)),)
    for kwargs, message in [
        (
            {"marginals": m, "best_proba": np.ones(2)},
            "best_proba must have one value per candidate (1), got 2",
        ),
        ({"marginals": m, "best_proba": np.array([1.5])}, "best_proba must lie in [0, 1]"),
        (
            {"marginals": (np.zeros((1, 3)),), "best_proba": np.ones(1)},
            "marginals[0] must have shape (n_tokens, 2)",
        ),
        (
            {"marginals": m, "best_proba": np.ones(1), "texts": ["a", "b"]},
            "texts must have one entry per candidate (1), got 2",
        ),
        (
            {"marginals": m, "best_proba": np.ones(1), "tokens": ((),)},
            "tokens[0] has 0 tokens but marginals[0] has 1 rows",
        ),
    ]:
        with pytest.raises(ConfigError) as err:
            SequenceCandidates(("O", "B-x"), **kwargs)
        assert str(err.value).startswith(message)


# --------------------------------------------------------------------------------------------
# Metrics, hand-checked
# --------------------------------------------------------------------------------------------


def test_span_prf_by_hand():
    gold = [
        [Span(0, 1, "people"), Span(5, 8, "time")],
        [Span(0, 4, "time"), Span(6, 9, "date")],
        [],
    ]
    pred = [
        [Span(0, 1, "people"), Span(5, 7, "time")],  # time: boundary error = a miss and a FP
        [Span(0, 4, "time"), Span(6, 9, "time")],  # right extent, wrong type: a miss and a FP
        [Span(2, 3, "people")],  # spurious
    ]

    s = span_prf(gold, pred, types=("people", "time", "date", "name"))

    # people: gold 1, pred 2, correct 1 -> P 1/2, R 1, F 2/3
    assert ex.PRF(0.5, 1.0, 2 / 3, 1, 2, 1) == s.per_type["people"]
    # time: gold 2, pred 3, correct 1 -> P 1/3, R 1/2, F 0.4
    t = s.per_type["time"]
    assert (2, 3, 1) == (t.n_gold, t.n_pred, t.n_correct)
    assert math.isclose(1 / 3, t.precision)
    assert math.isclose(0.5, t.recall)
    assert math.isclose(0.4, t.f1)
    # date: gold 1, pred 0 -> P 0 (nothing predicted), R 0, F 0
    assert ex.PRF(0.0, 0.0, 0.0, 1, 0, 0) == s.per_type["date"]
    # name: nothing at all -> NaN, left out of the macro average
    assert math.isnan(s.per_type["name"].f1)
    # micro: gold 4, pred 5, correct 2 -> P 0.4, R 0.5, F 4/9
    assert (4, 5, 2) == (s.micro.n_gold, s.micro.n_pred, s.micro.n_correct)
    assert math.isclose(0.4, s.micro.precision)
    assert math.isclose(0.5, s.micro.recall)
    assert math.isclose(4 / 9, s.micro.f1)
    # macro over people, time, date
    assert math.isclose((0.5 + 1 / 3 + 0) / 3, s.macro.precision)
    assert math.isclose((1 + 0.5 + 0) / 3, s.macro.recall)
    assert math.isclose((2 / 3 + 0.4 + 0) / 3, s.macro.f1)
    assert ["people", "time", "date", "name"] == list(s.per_type)
    frame = s.to_frame()
    assert ["people", "time", "date", "name", "micro", "macro"] == frame.index.tolist()
    assert math.isclose(4 / 9, frame.loc["micro", "f1"])


def test_span_prf_conventions():
    # a predicted type absent from the gold: precision 0, recall 0, counted in the macro
    s = span_prf([[Span(0, 1, "a")]], [[Span(0, 1, "a"), Span(2, 3, "b")]])
    assert ex.PRF(0.0, 0.0, 0.0, 0, 1, 0) == s.per_type["b"]
    assert math.isclose(0.5, s.macro.f1)
    # duplicates count once; order inside an item does not matter
    s = span_prf([[Span(0, 1, "a")]], [[Span(0, 1, "a"), Span(0, 1, "a")]])
    assert 1.0 == s.micro.f1
    # nothing anywhere: NaN, not a crash
    s = span_prf([[], []], [[], []])
    assert math.isnan(s.micro.f1)
    assert math.isnan(s.macro.f1)
    assert {} == dict(s.per_type)
    # perfect, with the JSON form accepted
    s = span_prf([[[0, 1, "a"]]], [[Span(0, 1, "a")]])
    assert 1.0 == s.micro.f1


def test_span_prf_errors():
    with pytest.raises(ConfigError, match="same length, got 2 and 1"):
        span_prf([[], []], [[]])
    with pytest.raises(LabelError, match=r"spans have types outside types=\('a',\): \('b',\)"):
        span_prf([[Span(0, 1, "b")]], [[]], types=["a"])


# --------------------------------------------------------------------------------------------
# Loaders
# --------------------------------------------------------------------------------------------


@needs_data
def test_load_nlupp_banking():
    ds = load_nlupp_slots(SHARED_DATA / "nlupp", domain="banking")

    assert 2071 == len(ds.frame)
    assert 0 == ds.n_skipped
    assert ["item_id", "text", "spans", "intents", "fold"] == ds.frame.columns.tolist()
    assert 677 == int(ds.frame["spans"].map(bool).sum())
    assert 13 == len(ds.schema.types)
    assert "nested" == ds.schema.overlap
    assert "amount_of_money" in ds.schema.types
    row = ds.frame.loc[ds.frame["item_id"] == "banking/fold0/2"].iloc[0]
    assert "Yes, from 25 past 23 on" == row["text"]
    assert (Span(10, 20, "time_from"),) == row["spans"]
    assert ("affirm",) == row["intents"]
    for text, spans in zip(ds.frame["text"], ds.frame["spans"], strict=True):
        assert spans == check_spans(text, spans, ds.schema)


@needs_data
def test_load_nlupp_folds_files_and_rules():
    folder = SHARED_DATA / "nlupp"
    two = load_nlupp_slots(folder, domain="hotels", folds=[3, 1])
    assert [3, 1] == list(dict.fromkeys(two.frame["fold"]))
    one = load_nlupp_slots(folder / "hotels" / "fold3.json")
    assert len(one.frame) == int((two.frame["fold"] == 3).sum())
    assert load_nlupp_slots(folder / "hotels").frame.shape == (1009, 5)
    forbid = load_nlupp_slots(folder, domain="hotels", overlap="forbid")
    assert 2 == forbid.n_skipped  # two nested pairs, e.g. "this afternoon" / "afternoon"
    assert all("overlap rule is 'forbid'" in m for m in forbid.skipped)
    with pytest.raises(ConfigError, match="overlap rule is 'forbid'"):
        load_nlupp_slots(folder, domain="hotels", overlap="forbid", on_error="raise")
    with pytest.raises(ConfigError, match=r"folds=\[25\] asks for fold\(s\) \[25\]"):
        load_nlupp_slots(folder, folds=[25])
    with pytest.raises(
        ConfigError,
        match=r"no fold\*\.json for domain='cars'.*domains there: \['banking', 'hotels'\]",
    ):
        load_nlupp_slots(folder, domain="cars")


@needs_data
def test_load_restaurant8k():
    ds = load_restaurant8k(SHARED_DATA / "restaurant8k")

    assert 3731 == len(ds.frame)
    assert 0 == ds.n_skipped
    assert ("date", "first_name", "last_name", "people", "time") == ds.schema.types
    assert 2379 == int(ds.frame["spans"].map(bool).sum())
    assert "13" == ds.frame["text"][0]
    assert (Span(0, 2, "time"),) == ds.frame["spans"][0]  # startIndex absent = 0
    assert ("time",) == ds.frame["requested_slots"][0]
    assert (
        18
        == load_restaurant8k(SHARED_DATA / "restaurant8k" / "test.json", overlap="forbid").n_skipped
    )


def test_loaders_skip_and_report_broken_rows(tmp_path):
    rows = [
        {
            "userInput": {"text": "at 7pm"},
            "labels": [{"slot": "time", "valueSpan": {"startIndex": 3, "endIndex": 6}}],
        },
        {
            "userInput": {"text": "at 7"},
            "labels": [{"slot": "time", "valueSpan": {"startIndex": 3, "endIndex": 9}}],
        },
        {
            "userInput": {"text": "for 2"},
            "labels": [{"slot": "people", "valueSpan": {"startIndex": 4}}],
        },
        {"userInput": {"text": "hi"}},
        {"userInput": {}, "labels": []},
    ]
    path = tmp_path / "test.json"
    path.write_text(json.dumps(rows))

    ds = load_restaurant8k(tmp_path)

    assert ["0", "3"] == ds.frame["item_id"].tolist()
    assert 3 == ds.n_skipped
    assert (
        "item '1': span [3, 9, 'time'] ends at 9, past the end of the text (length 4); "
        "expected 0 <= start < end <= 4"
    ) == ds.skipped[0]
    assert ds.skipped[1].startswith("item '2': label {")
    assert "has no valueSpan.endIndex" in ds.skipped[1]
    assert "item '4': text must be a str, got NoneType" == ds.skipped[2]
    with pytest.raises(ConfigError, match="item '1': span \\[3, 9, 'time'\\] ends at 9"):
        load_restaurant8k(path, on_error="raise")


def test_nlupp_loader_checks_the_recorded_text(tmp_path):
    folder = tmp_path / "banking"
    folder.mkdir()
    rows = [
        {"text": "send 5 euro", "slots": {"amount_of_money": {"text": "5 euro", "span": [5, 11]}}},
        {"text": "send 5 euro", "slots": {"amount_of_money": {"text": "5 eur", "span": [5, 11]}}},
        {"text": "x", "slots": {"number": {"text": "x"}}},
        {"text": "no slots here", "intents": ["greet"]},
    ]
    (folder / "fold0.json").write_text(json.dumps(rows))

    ds = load_nlupp_slots(tmp_path)

    assert ["banking/fold0/0", "banking/fold0/3"] == ds.frame["item_id"].tolist()
    assert (
        "item 'banking/fold0/1': span [5, 11, 'amount_of_money'] covers '5 euro' but the "
        "source says its text is '5 eur'"
    ) == ds.skipped[0]
    assert ds.skipped[1].startswith(
        "item 'banking/fold0/2': slot 'number' has no [start, end] span"
    )
    assert ("amount_of_money",) == ds.schema.types


def test_loader_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"path must be restaurant8k's test\.json or its folder"):
        load_restaurant8k(tmp_path)
    with pytest.raises(ConfigError, match="path must be the NLU\\+\\+ folder"):
        load_nlupp_slots(tmp_path / "missing")
    (tmp_path / "test.json").write_text("{not json")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        load_restaurant8k(tmp_path)
    (tmp_path / "test.json").write_text('{"a": 1}')
    with pytest.raises(ConfigError, match="must hold a JSON list of examples, got dict"):
        load_restaurant8k(tmp_path)
    (tmp_path / "test.json").write_text('[{"userInput": {"text": "hi"}}]')
    with pytest.raises(ConfigError, match="no span found in"):
        load_restaurant8k(tmp_path)
    with pytest.raises(ConfigError, match="overlap must be one of"):
        load_restaurant8k(tmp_path, overlap="none")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="on_error must be 'skip' or 'raise', got 'warn'"):
        load_restaurant8k(tmp_path, on_error="warn")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="folds must be None when path is a file"):
        load_nlupp_slots(tmp_path / "test.json", folds=[0])


@needs_data
@needs_crfsuite
def test_crf_learns_restaurant8k_slots():
    """A smoke test of the whole chain on real data: load, fit, predict, score."""
    ds = load_restaurant8k(SHARED_DATA / "restaurant8k")
    frame = ds.frame.sample(n=400, random_state=0)
    texts, spans = frame["text"].tolist(), frame["spans"].tolist()

    model = CRFTagger().fit(texts[:300], spans[:300])
    scores = span_prf(spans[300:], model.predict(texts[300:]), types=ds.schema.types)

    assert scores.micro.f1 > 0.6, scores.micro
    assert isinstance(spans_to_bio(texts[0], spans[0]), BioEncoding)
