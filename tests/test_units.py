"""Tests of jupyter_al.units: unit specs, sentence and chunk splitting, messages, context,
checks against the parents, and rolling predictions up to the parent."""

from __future__ import annotations

import json
import math
import re
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from jupyter_al import units as units_module
from jupyter_al.exceptions import ConfigError, LabelError
from jupyter_al.units import (
    KINDS,
    SPLITTERS,
    UNIT_COLUMNS,
    Context,
    Unit,
    UnitSpec,
    check_units,
    chunk_spans,
    context,
    rollup,
    rollup_proba,
    sentence_spans,
    split_text,
    split_units,
    unit_id,
)
from tests.conftest import SHARED_DATA, read_sms


def sentences(text: str, **kwargs: bool) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text, **kwargs)]


def assert_partition(text: str, spans: list[tuple[int, int]]) -> None:
    """Spans increase, do not overlap, are trimmed, and hold every non-space character."""
    prev = 0
    for s, e in spans:
        assert prev <= s < e <= len(text)
        assert text[s:e] == text[s:e].strip()
        prev = e
    inside = "".join("".join(text[s:e].split()) for s, e in spans)

    assert "".join(text.split()) == inside


@pytest.fixture
def docs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "text": [
                "Dr. Smith paid $3.50 at 5 p.m. on Jan. 3. Then he left.",
                "One line\nanother line. And more.",
                "Short.",
            ]
        },
        index=[30, 10, 20],  # not sorted: units follow the frame's order
    )


@pytest.fixture
def messages() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "conv": ["t2", "t1", "t1", "t2", "t1"],
            "turn": [2, 3, 1, 1, 2],
            "msg": ["second of t2", " third of t1 ", "first of t1", "first of t2", "second of t1"],
        },
        index=["m1", "m2", "m3", "m4", "m5"],
    )


MESSAGE_SPEC = UnitSpec("message", thread="conv", order="turn")


# --------------------------------------------------------------------------------------------
# unit_id and Unit
# --------------------------------------------------------------------------------------------


def test_unit_id_names_parent_kind_and_position():
    ids = [unit_id("doc", kind, 3) for kind in KINDS]

    assert ["doc#d3", "doc#s3", "doc#c3", "doc#m3"] == ids
    assert "7#s0" == unit_id(7, "sentence", 0)


def test_unit_id_rejects_an_unknown_kind():
    with pytest.raises(ConfigError, match=r"kind must be one of .*got 'paragraph'"):
        unit_id("a", "paragraph", 0)  # type: ignore[arg-type]


def test_unit_round_trips_through_json():
    unit = Unit("d1#s1", "d1", "sentence", 1, 4, 8, "Bye.")

    again = Unit.from_dict(json.loads(json.dumps(unit.to_dict())))

    assert unit == again


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"unit_id": 5}, r"unit_id must be a str, got int 5"),
        ({"kind": "page"}, r"kind must be one of .*got 'page'"),
        ({"position": -1}, r"position must be a non-negative int, got -1"),
        ({"end": 9}, r"offsets \(4, 9\) span 5 characters, but its text has 4"),
    ],
)
def test_unit_rejects_bad_fields(kwargs, message):
    fields = {
        "unit_id": "d1#s1",
        "parent_id": "d1",
        "kind": "sentence",
        "position": 1,
        "start": 4,
        "end": 8,
        "text": "Bye.",
    }
    fields.update(kwargs)

    with pytest.raises(ConfigError, match=message):
        Unit(**fields)


def test_unit_from_dict_rejects_unknown_keys():
    data = Unit("a#d0", "a", "document", 0, 0, 1, "x").to_dict() | {"colour": "red"}

    with pytest.raises(ConfigError, match=r"unit has unknown keys \['colour'\]"):
        Unit.from_dict(data)


# --------------------------------------------------------------------------------------------
# UnitSpec
# --------------------------------------------------------------------------------------------


def test_spec_fills_chunk_defaults():
    spec = UnitSpec("chunk", size=50)

    assert (50, 0, "tokens") == (spec.size, spec.overlap, spec.by)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "paragraph"}, r"kind must be one of \('document', .*got 'paragraph'"),
        ({"kind": "chunk"}, r"kind='chunk' needs size= .*got None"),
        ({"kind": "chunk", "size": 0}, r"size must be an integer >= 1, got 0"),
        ({"kind": "chunk", "size": 2.5}, r"size must be an integer >= 1, got 2.5"),
        ({"kind": "chunk", "size": True}, r"size must be an integer >= 1, got True"),
        ({"kind": "chunk", "size": 5, "overlap": -1}, r"overlap must be an integer >= 0"),
        (
            {"kind": "chunk", "size": 5, "overlap": 5},
            r"overlap must be smaller than size .*got overlap=5 with size=5",
        ),
        ({"kind": "chunk", "size": 5, "by": "words"}, r"by must be one of .*got 'words'"),
        ({"kind": "sentence", "size": 5}, r"size applies only to kind='chunk', got size=5"),
        ({"kind": "document", "by": "chars"}, r"by applies only to kind='chunk'"),
        ({"kind": "message", "order": "t"}, r"kind='message' needs thread= .*got None"),
        ({"kind": "message", "thread": "c"}, r"kind='message' needs order= .*got None"),
        (
            {"kind": "message", "thread": "c", "order": "c"},
            r"thread and order must be two different columns, got 'c' for both",
        ),
        ({"kind": "sentence", "thread": "c"}, r"thread applies only to kind='message'"),
        ({"kind": "sentence", "splitter": "nltk"}, r"splitter must be one of .*got 'nltk'"),
        ({"kind": "sentence", "splitter": 3}, r"splitter must be a name or a function"),
        (
            {"kind": "chunk", "size": 3, "splitter": "wrapped"},
            r"splitter applies only to kind='sentence', got splitter='wrapped'",
        ),
    ],
)
def test_spec_rejects_bad_parameters(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        UnitSpec(**kwargs)


@pytest.mark.parametrize(
    "spec",
    [
        UnitSpec(),
        UnitSpec("sentence"),
        UnitSpec("sentence", splitter="wrapped"),
        UnitSpec("chunk", size=128, overlap=16, by="chars"),
        UnitSpec("message", thread="conv", order="turn"),
    ],
)
def test_spec_round_trips_through_json(spec):
    again = UnitSpec.from_dict(json.loads(json.dumps(spec.to_dict())))

    assert spec == again


def line_splitter(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"[^\n]+", text)]


def other_splitter(text: str) -> list[tuple[int, int]]:
    return [(0, len(text))]


def test_spec_records_a_splitter_function_by_name_and_needs_it_again():
    spec = UnitSpec("sentence", splitter=line_splitter)
    data = json.loads(json.dumps(spec.to_dict()))

    assert "custom:line_splitter" == data["splitter"]
    assert spec == UnitSpec.from_dict(data, splitter=line_splitter)
    with pytest.raises(ConfigError, match=r"your own splitter \(line_splitter\); pass splitter="):
        UnitSpec.from_dict(data)
    with pytest.raises(ConfigError, match=r"recorded \(line_splitter\), got other_splitter"):
        UnitSpec.from_dict(data, splitter=other_splitter)


def test_spec_from_dict_rejects_unknown_keys_and_a_needless_splitter():
    with pytest.raises(ConfigError, match=r"unit spec has unknown keys \['width'\]"):
        UnitSpec.from_dict({"kind": "chunk", "width": 3})
    with pytest.raises(ConfigError, match=r"uses the named splitter 'default'"):
        UnitSpec.from_dict(UnitSpec("sentence").to_dict(), splitter=line_splitter)


# --------------------------------------------------------------------------------------------
# The default sentence splitter
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Dr. Smith paid $3.50 at 5 p.m. on Jan. 3. Then he left.",
            ["Dr. Smith paid $3.50 at 5 p.m. on Jan. 3.", "Then he left."],
        ),
        (
            "He moved to the U.S. in 2001. She did not.",
            ["He moved to the U.S. in 2001.", "She did not."],
        ),
        (
            "Use a solvent, e.g. acetone, to clean it. Then dry it.",
            ["Use a solvent, e.g. acetone, to clean it.", "Then dry it."],
        ),
        ("That is, i.e. the best one. Ok.", ["That is, i.e. the best one.", "Ok."]),
        (
            "The rate rose to 3.5% in Q2. It fell later.",
            ["The rate rose to 3.5% in Q2.", "It fell later."],
        ),
        ("Price: 3.50. Total 7.25. Done.", ["Price: 3.50.", "Total 7.25.", "Done."]),
        ("The U.S.A. is big. Canada too.", ["The U.S.A. is big.", "Canada too."]),
        ("He has a Ph.D. in physics. She too.", ["He has a Ph.D. in physics.", "She too."]),
        ("I met Mr. Brown. He waved.", ["I met Mr. Brown.", "He waved."]),
        ("It was 5 p.m. Then we ate.", ["It was 5 p.m.", "Then we ate."]),
        ("Visit www.example.com today. Or not.", ["Visit www.example.com today.", "Or not."]),
        ("Wait... what? No!! Yes.", ["Wait... what?", "No!!", "Yes."]),
        ('She said "Stop." Then she left.', ['She said "Stop."', "Then she left."]),
        # the correction layer: pysbd splits these after an abbreviation
        ("It costs approx. 5 dollars. Fine.", ["It costs approx. 5 dollars.", "Fine."]),
        ("See p. 55 and vol. 3. End.", ["See p. 55 and vol. 3.", "End."]),
        (
            "Prices fell 2.5 pct. vs. last year. Analysts agreed.",
            ["Prices fell 2.5 pct. vs. last year.", "Analysts agreed."],
        ),
        # ... and it leaves pieces of only punctuation alone
        (
            "Maissen se chargea du reste .. Logiquement,",
            ["Maissen se chargea du reste ..", "Logiquement,"],
        ),
        # common words in pysbd's abbreviation list do not glue sentences together
        ("I said no. then he left", ["I said no.", "then he left"]),
    ],
)
def test_sentences_keep_abbreviations_and_decimals(text, expected):
    assert expected == sentences(text)


def test_line_breaks_end_sentences_and_offsets_map_back():
    text = "  Hello there\nsecond line. Third one!\r\n\r\n  Last paragraph  "

    spans = sentence_spans(text)

    assert ["Hello there", "second line.", "Third one!", "Last paragraph"] == sentences(text)
    assert_partition(text, spans)


def test_wrapped_text_ends_sentences_only_at_blank_lines():
    text = "This is a long\nsentence that wraps. Next one.\r\n\r\nNew para\nstill here."

    assert [
        "This is a long\nsentence that wraps.",
        "Next one.",
        "New para\nstill here.",
    ] == sentences(text, wrapped=True)
    assert ["This is a long", "sentence that wraps.", "Next one.", "New para", "still here."] == (
        sentences(text)
    )
    assert SPLITTERS["wrapped"](text) == sentence_spans(text, wrapped=True)


@pytest.mark.parametrize("text", ["", "   ", "\n\n", " \r\n "])
def test_blank_text_has_no_sentence(text):
    assert [] == sentence_spans(text)
    assert [] == sentence_spans(text, wrapped=True)


def test_a_stretch_without_terminal_punctuation_is_one_sentence():
    text = "recorded in two forms: 1) textual data, and 2) numeric data"

    assert [text] == sentences(text)


def test_long_text_is_split_in_windows_with_the_same_result(monkeypatch):
    parts = [
        "The committee met on Jan. 3 at 10 a.m. in the main hall.",
        "Dr. Jones presented the results, e.g. a 3.5% rise in sales.",
        "Nobody objected.",
        "The U.S. office will report again next week!",
        "Is that enough?",
    ]
    text = " ".join(parts * 30)
    whole = sentence_spans(text)

    monkeypatch.setattr(units_module, "_WINDOW", 150)
    windowed = sentence_spans(text)

    assert whole == windowed
    assert 150 == len(windowed)
    assert parts * 30 == [text[s:e] for s, e in windowed]


def test_a_sentence_longer_than_the_window_stays_whole(monkeypatch):
    monkeypatch.setattr(units_module, "_WINDOW", 40)
    long_sentence = "word " * 60 + "end."
    text = f"Start here. {long_sentence} After it. And more. Last."

    assert ["Start here.", long_sentence, "After it.", "And more.", "Last."] == sentences(text)


def test_sentence_offsets_round_trip_on_sms_texts():
    sms = read_sms(400)
    frame = pd.DataFrame({"text": sms["SMS"].astype(str)})
    frame = frame[frame["text"].str.strip() != ""]

    units = split_units(frame, "text", UnitSpec("sentence"))

    check_units(units, frame["text"])
    for row_id, text in frame["text"].items():
        mine = units[units["parent_id"] == row_id]
        assert_partition(text, list(zip(mine["start"], mine["end"], strict=True)))
    assert len(units) > len(frame)


def test_sentence_offsets_round_trip_on_nlupp_banking():
    path = SHARED_DATA / "nlupp" / "banking" / "fold0.json"
    if not path.exists():
        pytest.skip(f"shared dataset not found at {path}")
    texts = [row["text"] for row in json.loads(path.read_text())]
    # the same texts as a few long documents, so that windows are used
    frame = pd.DataFrame({"text": [" ".join(texts[i : i + 25]) for i in range(0, len(texts), 25)]})

    units = split_units(frame, "text", UnitSpec("sentence"))

    check_units(units, frame["text"])
    for row_id, text in frame["text"].items():
        mine = units[units["parent_id"] == row_id]
        assert_partition(text, list(zip(mine["start"], mine["end"], strict=True)))


# --------------------------------------------------------------------------------------------
# Chunks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "size", "overlap"),
    [
        (10, 3, 0),
        (10, 3, 1),
        (10, 4, 2),
        (10, 10, 3),
        (10, 11, 0),
        (10, 1, 0),
        (7, 5, 4),
        (1, 3, 2),
    ],
)
def test_token_chunks_follow_the_overlap_arithmetic(n, size, overlap):
    words = [f"w{i}" for i in range(n)]
    text = "  " + "  ".join(words) + " "
    step = size - overlap

    chunks = [text[s:e].split() for s, e in chunk_spans(text, size, overlap)]

    expected_count = 1 if n <= size else math.ceil((n - size) / step) + 1
    assert expected_count == len(chunks)
    assert all(len(c) == size for c in chunks[:-1])
    assert 1 <= len(chunks[-1]) <= size
    assert words[: len(chunks[0])] == chunks[0]
    assert words[-1] == chunks[-1][-1]
    for i, (a, b) in enumerate(pairwise(chunks)):
        assert words[i * step : i * step + len(a)] == a
        assert a[-overlap:] == b[:overlap] if overlap else True


@pytest.mark.parametrize(("size", "overlap"), [(4, 0), (4, 1), (3, 2), (26, 0), (30, 5)])
def test_char_chunks_follow_the_overlap_arithmetic(size, overlap):
    text = "abcdefghijklmnopqrstuvwxyz"
    step = size - overlap

    spans = chunk_spans(text, size, overlap, by="chars")

    starts = [s for s, _ in spans]
    assert list(range(0, len(starts) * step, step)) == starts
    assert all(e - s == size for s, e in spans[:-1])
    assert len(text) == spans[-1][1]
    assert spans[-1][1] - spans[-1][0] <= size


def test_char_chunks_are_trimmed_and_never_empty():
    text = "  ab    cd  "

    assert ["ab", "cd"] == [text[s:e] for s, e in chunk_spans(text, 3, by="chars")]
    assert ["ab    cd"] == [text[s:e] for s, e in chunk_spans(text, 100, 10, by="chars")]


@pytest.mark.parametrize("by", ["tokens", "chars"])
def test_blank_text_has_no_chunk(by):
    assert [] == chunk_spans("   ", 3, 1, by=by)


def test_chunk_spans_validates_its_arguments():
    with pytest.raises(ConfigError, match=r"overlap must be smaller than size"):
        chunk_spans("a b", 2, 2)


# --------------------------------------------------------------------------------------------
# split_text and split_units
# --------------------------------------------------------------------------------------------


def test_split_text_makes_units_with_provenance():
    text = "First one. Second one."

    units = split_text(text, UnitSpec("sentence"), parent_id="p")

    assert [
        Unit("p#s0", "p", "sentence", 0, 0, 10, "First one."),
        Unit("p#s1", "p", "sentence", 1, 11, 22, "Second one."),
    ] == units


def test_split_text_rejects_messages_and_non_text():
    with pytest.raises(ConfigError, match=r"use split_units\(frame, text_column, spec\)"):
        split_text("x", MESSAGE_SPEC, parent_id=1)
    with pytest.raises(ConfigError, match=r"text of parent 1 must be a str, got float nan"):
        split_text(float("nan"), UnitSpec(), parent_id=1)  # type: ignore[arg-type]


def test_split_units_by_sentence_keeps_frame_order_and_provenance(docs):
    units = split_units(docs, "text", UnitSpec("sentence"))

    assert list(UNIT_COLUMNS) == list(units.columns)
    assert "unit_id" == units.index.name
    assert ["30#s0", "30#s1", "10#s0", "10#s1", "10#s2", "20#s0"] == units.index.tolist()
    assert [30, 30, 10, 10, 10, 20] == units["parent_id"].tolist()
    assert [0, 1, 0, 1, 2, 0] == units["position"].tolist()
    assert {"sentence"} == set(units["kind"])
    assert ["One line", "another line.", "And more."] == units.loc[
        ["10#s0", "10#s1", "10#s2"], "text"
    ].tolist()
    check_units(units, docs["text"])


def test_split_units_by_document_trims_whitespace():
    frame = pd.DataFrame({"text": ["  padded text \n", "plain"]}, index=["a", "b"])

    units = split_units(frame, "text", UnitSpec())

    assert ["a#d0", "b#d0"] == units.index.tolist()
    assert [2, 0] == units["start"].tolist()
    assert ["padded text", "plain"] == units["text"].tolist()
    check_units(units, frame["text"])


def test_split_units_by_chunk(docs):
    units = split_units(docs, "text", UnitSpec("chunk", size=4, overlap=1))

    assert "30#c0" == units.index[0]
    assert "Dr. Smith paid $3.50" == units["text"].iloc[0]
    assert "$3.50 at 5 p.m." == units["text"].iloc[1]
    check_units(units, docs["text"])


def test_split_units_uses_a_custom_splitter_and_trims_its_spans():
    frame = pd.DataFrame({"text": ["a b\n  c d  \n\n"]})

    units = split_units(frame, "text", UnitSpec("sentence", splitter=line_splitter))

    assert ["a b", "c d"] == units["text"].tolist()
    check_units(units, frame["text"])


@pytest.mark.parametrize(
    ("spans", "message"),
    [
        ([(0, 3), (2, 5)], r"returned \(2, 5\): expected 3 <= start < end <= 5"),
        ([(0, 9)], r"returned \(0, 9\): expected 0 <= start < end <= 5"),
        ([(3, 3)], r"returned \(3, 3\)"),
        ([(0, 2.5)], r"must return \(start, end\) pairs of ints, got \(0, 2.5\)"),
        ("0-5", r"must return a list of \(start, end\) pairs, got str"),
    ],
)
def test_split_units_names_a_bad_custom_splitter(spans, message):
    def bad_splitter(text):
        return spans

    frame = pd.DataFrame({"text": ["abcde"]}, index=["row"])

    with pytest.raises(ConfigError, match=r"splitter '.*bad_splitter' on parent 'row' " + message):
        split_units(frame, "text", UnitSpec("sentence", splitter=bad_splitter))


def test_split_units_raises_on_empty_text_naming_the_rows():
    frame = pd.DataFrame({"text": ["ok", None, "  ", float("nan")]}, index=["a", "b", "c", "d"])

    with pytest.raises(
        ConfigError,
        match=r"text column 'text' is empty or missing in 3 row\(s\): \('b', 'c', 'd'\); .*"
        r"on_empty='skip'",
    ):
        split_units(frame, "text", UnitSpec("sentence"))


def test_split_units_can_skip_empty_text():
    frame = pd.DataFrame({"text": ["ok.", None, " "]}, index=["a", "b", "c"])

    units = split_units(frame, "text", UnitSpec("sentence"), on_empty="skip")
    none = split_units(frame.loc[["b", "c"]], "text", UnitSpec("sentence"), on_empty="skip")

    assert ["a#s0"] == units.index.tolist()
    assert 0 == len(none)
    assert list(UNIT_COLUMNS) == list(none.columns)
    assert "unit_id" == none.index.name


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (
            pd.DataFrame({"text": ["a", 5]}),
            {},
            r"text column 'text' must hold str, got int 5 in row 1",
        ),
        (
            pd.DataFrame({"text": ["a", "b"]}, index=[1, "1"]),
            {},
            r"parent ids 1 and '1' would give the same unit ids",
        ),
        (
            pd.DataFrame({"text": ["a", "b"]}, index=[1, 1]),
            {},
            r"frame must have unique item ids",
        ),
        (pd.DataFrame({"text": ["a"]}), {"text_column": "txt"}, r"missing \('txt'\).*text"),
        (pd.DataFrame({"text": ["a"]}), {"on_empty": "drop"}, r"on_empty must be 'raise' or"),
    ],
)
def test_split_units_rejects_bad_input(frame, kwargs, message):
    args = {"text_column": "text", "spec": UnitSpec("sentence")} | kwargs

    with pytest.raises(ConfigError, match=message):
        split_units(frame, **args)


def test_split_units_rejects_what_is_not_a_frame_or_a_spec():
    with pytest.raises(ConfigError, match=r"frame must be a DataFrame, got list"):
        split_units(["a"], "text", UnitSpec())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"spec must be a UnitSpec, got dict"):
        split_units(pd.DataFrame({"text": ["a"]}), "text", {"kind": "sentence"})  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------


def test_messages_are_ranked_within_their_thread(messages):
    units = split_units(messages, "msg", MESSAGE_SPEC)

    assert [*UNIT_COLUMNS, "order", "row_id"] == list(units.columns)
    assert ["t2#m0", "t2#m1", "t1#m0", "t1#m1", "t1#m2"] == units.index.tolist()
    assert ["t2", "t2", "t1", "t1", "t1"] == units["parent_id"].tolist()
    assert [0, 1, 0, 1, 2] == units["position"].tolist()
    assert [1, 2, 1, 2, 3] == units["order"].tolist()
    assert ["m4", "m1", "m3", "m5", "m2"] == units["row_id"].tolist()
    assert ["first of t1", "second of t1", "third of t1"] == units["text"].tolist()[2:]
    assert (1, 12) == (units.loc["t1#m2", "start"], units.loc["t1#m2", "end"])
    assert (0, 11) == (units.loc["t2#m0", "start"], units.loc["t2#m0", "end"])
    check_units(units, ["t1", "t2"])


def test_message_order_keeps_its_dtype():
    frame = pd.DataFrame(
        {
            "thread": [7, 7],
            "sent": pd.to_datetime(["2024-01-02 10:00", "2024-01-02 09:00"]),
            "text": ["later", "earlier"],
        }
    )

    units = split_units(frame, "text", UnitSpec("message", thread="thread", order="sent"))

    assert ["7#m0", "7#m1"] == units.index.tolist()
    assert ["earlier", "later"] == units["text"].tolist()
    assert pd.api.types.is_datetime64_any_dtype(units["order"])
    assert [1, 0] == units["row_id"].tolist()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"turn": [2, 3, 1, 1, 3]},
            r"order column 'turn' ties in thread 't1': rows 'm2' and 'm5' both have 3",
        ),
        (
            {"turn": [2, None, 1, 1, 2]},
            r"order column 'turn' is missing for 1 message\(s\) of thread 't1': rows \('m2'\)",
        ),
        (
            {"turn": [2, "x", 1, 1, 2]},
            (
                r"order column 'turn' has values that do not sort in thread 't1': "
                r"types \['int', 'str'\]"
            ),
        ),
        (
            {"conv": ["t2", None, "t1", "t2", "t1"]},
            r"thread column 'conv' is missing in row 'm2': every message needs a thread id",
        ),
        (
            {"conv": ["t2", 1, "1", "t2", "t1"]},
            r"thread ids 1 and '1' would give the same unit ids",
        ),
        (
            {"conv": ["t2", 1.5, "t1", "t2", "t1"]},
            r"thread column 'conv' must hold ints or strs, got float 1.5 in row 'm2'",
        ),
        (
            {"msg": ["a", "", "b", "c", "d"]},
            r"text column 'msg' is empty or missing in 1 row\(s\): \('m2'\)",
        ),
    ],
)
def test_messages_reject_bad_threads_and_orders(messages, change, message):
    frame = messages.assign(**change)

    with pytest.raises(ConfigError, match=message):
        split_units(frame, "msg", MESSAGE_SPEC)


def test_messages_need_their_columns(messages):
    with pytest.raises(ConfigError, match=r"spec.thread names columns .*missing \('thread'\)"):
        split_units(messages, "msg", UnitSpec("message", thread="thread", order="turn"))
    with pytest.raises(ConfigError, match=r"spec.order names columns .*missing \('when'\)"):
        split_units(messages, "msg", UnitSpec("message", thread="conv", order="when"))
    with pytest.raises(ConfigError, match=r"spec.order must name another column than the text"):
        split_units(messages, "msg", UnitSpec("message", thread="conv", order="msg"))


def test_messages_can_skip_empty_ones_and_rank_the_rest(messages):
    frame = messages.assign(msg=["a", "", "b", "c", "d"])

    units = split_units(frame, "msg", MESSAGE_SPEC, on_empty="skip")

    assert ["t2#m0", "t2#m1", "t1#m0", "t1#m1"] == units.index.tolist()
    assert ["b", "d"] == units.loc[["t1#m0", "t1#m1"], "text"].tolist()


# --------------------------------------------------------------------------------------------
# context
# --------------------------------------------------------------------------------------------


@pytest.fixture
def story() -> pd.DataFrame:
    return pd.DataFrame(
        {"text": ["It rained. We stayed in. We read. Then it cleared. We went out.", "Other."]},
        index=["s", "o"],
    )


def test_context_gives_the_neighbours_of_the_same_parent(story):
    units = split_units(story, "text", UnitSpec("sentence"))

    middle = context(units, "s#s2", before=2, after=1)
    first = context(units, "s#s0")
    last = context(units, "s#s4", before=1, after=3)
    alone = context(units, "o#s0")

    assert ("It rained.", "We stayed in.") == middle.before
    assert ("s#s0", "s#s1") == middle.before_ids
    assert "We read." == middle.text
    assert ("Then it cleared.",) == middle.after
    assert ((), ("We stayed in.",)) == (first.before, first.after)
    assert (("Then it cleared.",), ()) == (last.before, last.after)
    assert ((), ()) == (alone.before, alone.after)
    assert (None, None) == (middle.parent_text, middle.highlight)


def test_context_highlights_the_unit_in_its_parent(story):
    units = split_units(story, "text", UnitSpec("sentence"))

    ctx = context(units, "s#s1", before=0, after=0, parents=story["text"])

    assert story.loc["s", "text"] == ctx.parent_text
    assert "We stayed in." == ctx.parent_text[ctx.highlight[0] : ctx.highlight[1]]
    assert ((), ()) == (ctx.before, ctx.after)


def test_context_clips_overlapping_chunks():
    text = "a b c d e f g h i j"
    units = split_units(
        pd.DataFrame({"text": [text]}), "text", UnitSpec("chunk", size=3, overlap=1)
    )

    ctx = context(units, "0#c2", before=2, after=2)

    assert ["a b c", "c d e", "e f g", "g h i", "i j"] == units["text"].tolist()
    assert "e f g" == ctx.text
    assert ("a b", "c d") == ctx.before
    assert ("h i", "j") == ctx.after
    assert text.replace(" ", "") == "".join([*ctx.before, ctx.text, *ctx.after]).replace(" ", "")


def test_context_of_a_message_is_its_thread(messages):
    units = split_units(messages, "msg", MESSAGE_SPEC)

    ctx = context(units, "t1#m1", parents=pd.Series({"t1": "ignored"}))

    assert ("first of t1",) == ctx.before
    assert ("third of t1",) == ctx.after
    assert (None, None) == (ctx.parent_text, ctx.highlight)


def test_context_works_on_a_shuffled_or_filtered_frame(story):
    units = split_units(story, "text", UnitSpec("sentence"))
    expected = context(units, "s#s2", before=2, after=2)

    shuffled = context(units.sample(frac=1.0, random_state=0), "s#s2", before=2, after=2)
    reordered = context(units.iloc[::-1], "s#s2", before=2, after=2)
    sub = context(units.drop(index="s#s0"), "s#s2", before=2, after=2)

    assert expected == shuffled
    assert expected == reordered
    assert ("We stayed in.",) == sub.before


def test_context_to_dict_is_json_safe(story):
    units = split_units(story, "text", UnitSpec("sentence"))

    data = json.loads(json.dumps(context(units, "s#s1", parents=story["text"]).to_dict()))

    assert [11, 24] == data["highlight"]
    assert ["It rained."] == data["before"]
    assert isinstance(Context(**{**data, "highlight": tuple(data["highlight"])}), Context)


def test_context_rejects_bad_arguments(story):
    units = split_units(story, "text", UnitSpec("sentence"))

    with pytest.raises(LabelError, match=r"unit_id 's#s9' is not in units \(6 units\)"):
        context(units, "s#s9")
    with pytest.raises(ConfigError, match=r"before must be an integer >= 0, got -1"):
        context(units, "s#s1", before=-1)
    with pytest.raises(ConfigError, match=r"parents has no text for parent 's' of unit 's#s1'"):
        context(units, "s#s1", parents=pd.Series({"o": "Other."}))


# --------------------------------------------------------------------------------------------
# check_units
# --------------------------------------------------------------------------------------------


def test_check_units_names_a_unit_whose_parent_is_missing(docs):
    units = split_units(docs, "text", UnitSpec("sentence"))

    with pytest.raises(
        ConfigError, match=r"unit '10#s0' has parent_id 10, which is not among the parents"
    ):
        check_units(units, docs["text"].drop(index=10))
    with pytest.raises(ConfigError, match=r"unit '30#s0' has parent_id 30"):
        check_units(units, pd.Index([10, 20]))


def test_check_units_accepts_ids_only_and_checks_the_units_own_offsets(docs):
    units = split_units(docs, "text", UnitSpec("sentence"))

    check_units(units, [30, 10, 20])


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (
            "text",
            "Then he LEFT.",
            r"unit '30#s1': its text 'Then he LEFT.' is not the parent's text at \(42, 55\)",
        ),
        ("start", 41, r"unit '30#s1' has offsets \(41, 55\) that do not hold its text of 13"),
        ("position", 5, r"unit '30#s1' does not match its provenance: .* give '30#s5'"),
        ("kind", "page", r"unit '30#s1' has kind 'page'"),
        ("start", -1, r"unit '30#s1' needs non-negative int position/start/end"),
    ],
)
def test_check_units_names_the_first_bad_unit(docs, column, value, message):
    units = split_units(docs, "text", UnitSpec("sentence"))
    units[column] = units[column].astype(object)
    units.loc["30#s1", column] = value

    with pytest.raises(ConfigError, match=message):
        check_units(units, docs["text"])


def test_check_units_catches_offsets_beyond_the_parent_and_duplicates(docs):
    units = split_units(docs, "text", UnitSpec("sentence"))
    shorter = docs["text"].replace({docs.loc[20, "text"]: "Sho"})
    twice = pd.concat([units, units.iloc[[0]]])
    moved = units.rename(index={"30#s1": "30#s0"})

    with pytest.raises(
        ConfigError,
        match=r"unit '20#s0' has offsets \(0, 6\) beyond the end of parent 20 \(3 characters\)",
    ):
        check_units(units, shorter)
    with pytest.raises(
        ConfigError, match=r"unit '30#s0': unit ids must be unique strs, this one appears twice"
    ):
        check_units(twice, docs["text"])
    with pytest.raises(ConfigError, match=r"unit '30#s0'"):
        check_units(moved, docs["text"])
    with pytest.raises(ConfigError, match=r"units is missing columns \['text'\]"):
        check_units(units.drop(columns="text"), docs["text"])


# --------------------------------------------------------------------------------------------
# rollup
# --------------------------------------------------------------------------------------------


def test_majority_breaks_ties_by_schema_order():
    labels = ["b", "a", "a", "b", "c", "c", "a"]
    parents = [1, 1, 2, 2, 3, 3, 3]

    with_schema = rollup(labels, parents, "majority", classes=["a", "b", "c"])
    schema_b_first = rollup(labels, parents, "majority", classes=["b", "a", "c"])
    by_appearance = rollup(labels, parents, "majority")

    assert {1: "a", 2: "a", 3: "c"} == with_schema.to_dict()
    assert {1: "b", 2: "b", 3: "c"} == schema_b_first.to_dict()
    assert {1: "b", 2: "b", 3: "c"} == by_appearance.to_dict()  # "b" appears first
    assert "parent_id" == with_schema.index.name
    assert "label" == with_schema.name


def test_any_returns_positive_if_any_unit_is_positive_else_the_majority_of_the_rest():
    labels = ["ham", "spam", "ham", "ham", "ok", "ok", "ham", "ok"]
    parents = ["p", "p", "q", "q", "r", "r", "r", "s"]

    result = rollup(labels, parents, "any", positive="spam", classes=["ham", "spam", "ok"])

    assert {"p": "spam", "q": "ham", "r": "ok", "s": "ok"} == result.to_dict()


def test_max_takes_each_class_best_unit_then_the_argmax():
    proba = np.array([[0.6, 0.4], [0.45, 0.55], [0.5, 0.5], [0.1, 0.9]])
    parents = ["a", "a", "b", "c"]

    result = rollup(proba, parents, "max", classes=["ham", "spam"])
    maxima = rollup_proba(proba, parents, ["ham", "spam"])

    assert {"a": "ham", "b": "ham", "c": "spam"} == result.to_dict()  # b: a tie goes to "ham"
    assert [[0.6, 0.55], [0.5, 0.5], [0.1, 0.9]] == maxima.to_numpy().tolist()
    assert ["ham", "spam"] == list(maxima.columns)
    assert ["a", "b", "c"] == maxima.index.tolist()


def test_any_and_majority_accept_probabilities():
    proba = pd.DataFrame([[0.2, 0.8], [0.7, 0.3], [0.9, 0.1]], index=["u0", "u1", "u2"])
    parents = pd.Series(["a", "a", "a"], index=["u0", "u1", "u2"])

    majority = rollup(proba, parents, "majority", classes=["neg", "pos"])
    anyone = rollup(proba, parents, "any", classes=["neg", "pos"], positive="pos")

    assert {"a": "neg"} == majority.to_dict()
    assert {"a": "pos"} == anyone.to_dict()


def test_multilabel_rollups():
    labels = [("x",), ("x", "y"), ("y",), (), ["z"], {"x"}]
    parents = [1, 1, 1, 1, 2, 2]
    classes = ["z", "y", "x"]

    anyone = rollup(labels, parents, "any", task="multilabel", classes=classes)
    majority = rollup(labels, parents, "majority", task="multilabel", classes=classes)

    assert {1: ("y", "x"), 2: ("z", "x")} == anyone.to_dict()
    # "more than half": x and y are in 2 of parent 1's 4 units, which is not enough
    assert {1: (), 2: ()} == majority.to_dict()
    three = [("x",), ("x", "y"), ()]  # x in 2 of 3 units, y in 1
    assert {1: ("x",)} == rollup(three, [1, 1, 1], "majority", task="multilabel").to_dict()


def test_multilabel_max_thresholds_each_class_best_unit():
    proba = np.array([[0.6, 0.2, 0.1], [0.3, 0.5, 0.1], [0.1, 0.1, 0.49]])

    result = rollup(proba, [1, 1, 2], "max", task="multilabel", classes=["a", "b", "c"])
    strict = rollup(
        proba, [1, 1, 2], "max", task="multilabel", classes=["a", "b", "c"], threshold=0.55
    )

    assert {1: ("a", "b"), 2: ()} == result.to_dict()
    assert {1: ("a",), 2: ()} == strict.to_dict()


def test_rollup_of_no_unit_is_empty():
    result = rollup([], [], "majority")

    assert 0 == len(result)
    assert "parent_id" == result.index.name


def test_rollup_follows_split_units_parents(docs):
    units = split_units(docs, "text", UnitSpec("sentence"))
    predictions = pd.Series(["pos", "neg", "neg", "neg", "pos", "pos"], index=units.index)

    result = rollup(predictions, units["parent_id"], "any", positive="pos", classes=["neg", "pos"])

    assert [30, 10, 20] == result.index.tolist()
    assert ["pos", "pos", "pos"] == result.tolist()


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((["a"], [1, 2], "majority"), {}, ConfigError, r"one parent per unit: expected 1, got 2"),
        ((["a"], [1], "mean"), {}, ConfigError, r"how must be one of \('any', 'majority', 'max'\)"),
        ((["a"], [1], "majority"), {"task": "regression"}, ConfigError, r"task must be one of"),
        ((["a"], [1], "any"), {}, ConfigError, r"how='any' needs positive="),
        (
            (["a"], [1], "majority"),
            {"positive": "a"},
            ConfigError,
            r"positive= is only for how='any' with task='classification'",
        ),
        (
            (["a"], [1], "any"),
            {"positive": "z", "classes": ["a", "b"]},
            LabelError,
            r"positive 'z' is not among classes",
        ),
        (
            (["a", "z"], [1, 1], "majority"),
            {"classes": ["a", "b"]},
            LabelError,
            r"unit at position 1 has label 'z', which is not among classes \('a', 'b'\)",
        ),
        ((["a"], [1], "max"), {}, ConfigError, r"how='max' needs unit probabilities"),
        (
            (np.array([[0.5, 0.5]]), [1], "max"),
            {},
            ConfigError,
            r"unit probabilities of shape \(1, 2\) need classes=",
        ),
        (
            (np.array([[0.5, 0.5]]), [1], "max"),
            {"classes": ["a", "b", "c"]},
            ConfigError,
            r"one column per class: expected 3 columns .*got shape \(1, 2\)",
        ),
        (
            (np.array([[0.5, 1.5]]), [1], "max"),
            {"classes": ["a", "b"]},
            ConfigError,
            r"finite numbers in \[0, 1\], got 1.5 for unit at position 0, class 'b'",
        ),
        (
            ([None, "a"], [1, 1], "majority"),
            {},
            ConfigError,
            r"one label per unit for task='classification', got None for unit at position 0",
        ),
        (
            (["a"], [1], "majority"),
            {"task": "multilabel"},
            ConfigError,
            r"a list of labels per unit for task='multilabel', got str 'a'",
        ),
        (
            (["a"], [None], "majority"),
            {},
            ConfigError,
            r"parent_ids must hold ints or strs, got NoneType",
        ),
        ((["a"], [1], "majority"), {"threshold": 0}, ConfigError, r"threshold must be a number in"),
        (
            (pd.Series(["a"], index=["u1"]), pd.Series([1], index=["u2"]), "majority"),
            {},
            ConfigError,
            r"must be indexed alike",
        ),
    ],
)
def test_rollup_rejects_bad_input(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        rollup(*args, **kwargs)


def test_rollup_proba_rejects_labels():
    with pytest.raises(ConfigError, match=r"proba must be a numeric array of shape"):
        rollup_proba(np.array(["a", "b"]), [1, 2], ["a"])
