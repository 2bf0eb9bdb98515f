"""Tests of jupyter_al._data: loading, id and column checks, labels, split, digest, duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_al._data import (
    SUPPORTED_SUFFIXES,
    check_item_ids,
    content_digest,
    exact_duplicate_rows,
    exact_duplicates,
    infer_classes,
    load_frame,
    missing_text,
    normalize_text,
    parse_labels,
    require_columns,
    split_holdout,
    to_item_id,
)
from jupyter_al.exceptions import ConfigError, LabelError


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "text": ["good film", "bad film", "fine", "awful plot"],
            "label": ["pos", "neg", None, "neg"],
            "x": [1.0, 2.5, np.nan, 4.0],
        }
    )


# --------------------------------------------------------------------------------------------
# load_frame
# --------------------------------------------------------------------------------------------


def test_load_frame_returns_a_dataframe_as_is(frame):
    before = frame.copy()

    loaded = load_frame(frame)

    assert loaded is frame
    pd.testing.assert_frame_equal(before, frame)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".jsonl", ".ndjson", ".csv.gz"])
def test_load_frame_reads_every_format_in_row_order(tmp_path, frame, suffix):
    path = tmp_path / f"data{suffix}"
    if suffix.startswith(".csv"):
        frame.to_csv(path, index=False)
    elif suffix == ".tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)

    loaded = load_frame(path)

    assert isinstance(loaded.index, pd.RangeIndex)
    assert ["good film", "bad film", "fine", "awful plot"] == loaded["text"].tolist()
    assert ["pos", "neg", None, "neg"] == [
        None if pd.isna(v) else v for v in loaded["label"].tolist()
    ]
    assert [1.0, 2.5, 4.0] == loaded["x"].dropna().tolist()
    assert load_frame(str(path))["text"].tolist() == loaded["text"].tolist()


def test_load_frame_keeps_a_parquet_index_as_a_column(tmp_path, frame):
    path = tmp_path / "data.parquet"
    frame.set_index(pd.Index(["a", "b", "c", "d"], name="item")).to_parquet(path)

    loaded = load_frame(path)

    assert isinstance(loaded.index, pd.RangeIndex)
    assert ["a", "b", "c", "d"] == loaded["item"].tolist()


def test_load_frame_missing_file_names_argument_and_path(tmp_path):
    path = tmp_path / "nope.csv"

    with pytest.raises(ConfigError, match="no such file") as info:
        load_frame(path, argument="holdout_data")

    assert "holdout_data" in str(info.value)
    assert str(path) in str(info.value)


def test_load_frame_unknown_suffix_lists_supported(tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_text("x")

    with pytest.raises(ConfigError) as info:
        load_frame(path)

    message = str(info.value)
    assert "data=" in message
    assert ".xlsx" in message
    assert all(s in message for s in SUPPORTED_SUFFIXES)


def test_load_frame_unreadable_file(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not a parquet file")

    with pytest.raises(ConfigError, match="could not be read as parquet") as info:
        load_frame(path)

    assert str(path) in str(info.value)


def test_load_frame_bad_json_lines(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"text": "a"}\n{not json\n')

    with pytest.raises(ConfigError, match="could not be read as jsonl"):
        load_frame(path)


@pytest.mark.parametrize("content", ["", "text,label\n"])
def test_load_frame_empty_file(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_text(content)

    with pytest.raises(ConfigError, match="data=") as info:
        load_frame(path)

    assert str(path) in str(info.value)


def test_load_frame_rejects_other_types():
    with pytest.raises(
        ConfigError, match="data must be a DataFrame or the path of a file, got list"
    ):
        load_frame([1, 2])  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# require_columns, item ids, missing text
# --------------------------------------------------------------------------------------------


def test_require_columns_passes_and_suggests(frame):
    require_columns(frame, ["text", "x"], argument="text")

    with pytest.raises(ConfigError) as info:
        require_columns(frame, ["txet", "zzz"], argument="text")

    message = str(info.value)
    assert message.startswith("text names columns")
    assert "'txet'" in message
    assert "'zzz'" in message
    assert "available ('text', 'label', 'x')" in message
    assert "did you mean 'text'" in message


def test_check_item_ids_accepts_int_str_and_numpy_ints():
    check_item_ids(pd.DataFrame({"a": [1, 2]}, index=["x", "y"]), argument="data")
    check_item_ids(pd.DataFrame({"a": [1, 2]}, index=[3, 7]), argument="data")
    check_item_ids(
        pd.DataFrame({"a": [1, 2]}, index=pd.Index([np.int64(1), "b"], dtype=object)),
        argument="data",
    )


def test_check_item_ids_duplicates_listed_with_count():
    df = pd.DataFrame({"a": range(9)}, index=["a", "a", "b", "b", "c", "c", "d", "d", "e"])
    df2 = pd.DataFrame({"a": range(14)}, index=[i // 2 for i in range(14)])

    with pytest.raises(ConfigError) as info:
        check_item_ids(df, argument="data")
    with pytest.raises(ConfigError) as info2:
        check_item_ids(df2, argument="pool")

    assert "data must have unique item ids" in str(info.value)
    assert "4 duplicated ids: ('a', 'b', 'c', 'd')" in str(info.value)
    assert "7 duplicated ids: (0, 1, 2, 3, 4, ... (2 more))" in str(info2.value)


@pytest.mark.parametrize(
    ("index", "type_name"),
    [
        (pd.Index([1.5, 2.5]), "float"),
        (pd.Index(["a", np.nan], dtype=object), "float"),
        (pd.Index([True, False]), "bool"),
        (pd.MultiIndex.from_tuples([(1, "a"), (2, "b")]), "MultiIndex"),
        (pd.Index([(1, 2), (3, 4)], dtype=object, tupleize_cols=False), "tuple"),
    ],
)
def test_check_item_ids_bad_types_named(index, type_name):
    df = pd.DataFrame({"a": [1, 2]}, index=index)

    with pytest.raises(ConfigError, match="int or str") as info:
        check_item_ids(df, argument="data")

    assert type_name in str(info.value)
    assert str(info.value).startswith("data ")


def test_to_item_id():
    assert (3, "a") == (to_item_id(np.int64(3)), to_item_id("a"))
    assert type(to_item_id(np.int32(3))) is int
    with pytest.raises(ConfigError, match=r"got float 1\.5"):
        to_item_id(1.5)
    with pytest.raises(ConfigError, match="got bool"):
        to_item_id(value=True)


@pytest.mark.parametrize("dtype", [object, "str"])
def test_missing_text(dtype):
    series = pd.Series(["ok", "", "  \t", None, "fine", np.nan], index=list("abcdef"), dtype=dtype)

    assert ["b", "c", "d", "f"] == missing_text(series).tolist()


def test_missing_text_numbers_are_text():
    series = pd.Series([1, None, " "], index=[10, 11, 12], dtype=object)

    assert [11, 12] == missing_text(series).tolist()


# --------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------


def test_parse_labels_classification():
    series = pd.Series([1, 1.0, 2.5, " pos ", "", None, np.nan, True], index=list("abcdefgh"))

    parsed = parse_labels(series, task="classification", classes=None, argument="label")

    assert ["1", "1", "2.5", "pos", None, None, None, "True"] == parsed.tolist()
    assert list("abcdefgh") == parsed.index.tolist()
    assert object == parsed.dtype


def test_parse_labels_classification_rejects_lists():
    series = pd.Series([["a", "b"], "c"], dtype=object)

    with pytest.raises(LabelError, match="task='multilabel'") as info:
        parse_labels(series, task="classification", classes=None, argument="label")

    assert "label holds a list" in str(info.value)


def test_parse_labels_multilabel_forms():
    series = pd.Series(
        [
            "b|a",
            "a| b |a",
            [],
            ["c", "a"],
            ("b",),
            {"a"},
            np.array(["c"]),
            "",
            None,
            np.nan,
            "['a', 'c']",
            3,
        ],
        dtype=object,
    )

    parsed = parse_labels(series, task="multilabel", classes=None, argument="labels")

    expected = [
        ("a", "b"),
        ("a", "b"),
        (),
        ("a", "c"),
        ("b",),
        ("a",),
        ("c",),
        None,
        None,
        None,
        ("a", "c"),
        ("3",),
    ]
    assert expected == parsed.tolist()


def test_parse_labels_multilabel_custom_separator():
    parsed = parse_labels(
        pd.Series(["a;b", "c"]), task="multilabel", classes=None, label_sep=";", argument="labels"
    )

    assert [("a", "b"), ("c",)] == parsed.tolist()


def test_parse_labels_outside_schema_lists_values_rows_and_schema():
    series = pd.Series(["pos", "neutral", "neutral", "mixed", None, "neg"])

    with pytest.raises(LabelError) as info:
        parse_labels(series, task="classification", classes=("neg", "pos"), argument="label")

    message = str(info.value)
    assert "label holds labels outside the schema ('neg', 'pos')" in message
    assert "('mixed', 'neutral')" in message
    assert "in 3 rows" in message


def test_parse_labels_outside_schema_multilabel_caps_the_list():
    series = pd.Series([f"a|x{i:02d}" for i in range(12)])

    with pytest.raises(LabelError) as info:
        parse_labels(series, task="multilabel", classes=("a",), argument="tags")

    message = str(info.value)
    assert "'x00'" in message
    assert "'x09'" in message
    assert "'x10'" not in message
    assert "(2 more)" in message
    assert "in 12 rows" in message


def test_parse_labels_within_schema_passes():
    parsed = parse_labels(
        pd.Series([0, 1, None]), task="classification", classes=("0", "1"), argument="label"
    )

    assert ["0", "1", None] == parsed.tolist()


def test_infer_classes():
    single = pd.Series(["b", None, "a", "b"], dtype=object)
    multi = pd.Series([("c", "a"), None, (), ("b",)], dtype=object)

    assert ("a", "b") == infer_classes(single, "classification")
    assert ("a", "b", "c") == infer_classes(multi, "multilabel")


# --------------------------------------------------------------------------------------------
# split_holdout
# --------------------------------------------------------------------------------------------


def test_split_holdout_stratifies_known_labels():
    ids = pd.Index([f"id{i}" for i in range(400)])
    y = pd.Series(["a"] * 300 + ["b"] * 80 + ["c"] * 20, index=ids, dtype=object)

    pool, holdout = split_holdout(ids, y, 0.25, seed=3)

    assert 100 == len(holdout)
    assert 300 == len(pool)
    assert {"a": 75, "b": 20, "c": 5} == y[holdout].value_counts().to_dict()
    assert set() == set(pool) & set(holdout)
    assert sorted(ids) == sorted([*pool, *holdout])
    assert list(pool) == [i for i in ids if i in set(pool)]  # order of ids kept


def test_split_holdout_is_deterministic_and_seed_dependent():
    ids = pd.Index(range(200))
    y = pd.Series(["a", "b"] * 100, index=ids, dtype=object)

    first = split_holdout(ids, y, 0.3, seed=1)
    again = split_holdout(ids, y, 0.3, seed=1)
    other = split_holdout(ids, y, 0.3, seed=2)

    assert first[1].tolist() == again[1].tolist()
    assert first[1].tolist() != other[1].tolist()


def test_split_holdout_unknown_labels_split_at_random():
    ids = pd.Index(range(100))
    y = pd.Series([None] * 60 + ["a", "b"] * 20, index=ids, dtype=object)

    _, holdout = split_holdout(ids, y, 0.25, seed=0)

    assert 15 == sum(y[holdout].isna())
    assert 10 == sum(y[holdout].notna())


def test_split_holdout_without_labels():
    ids = pd.Index(range(10))

    pool, holdout = split_holdout(ids, None, 0.2, seed=0)

    assert (8, 2) == (len(pool), len(holdout))


def test_split_holdout_tiny_classes_do_not_crash():
    ids = pd.Index(range(12))
    y = pd.Series(["a"] * 9 + ["b", "c", "d"], index=ids, dtype=object)
    y_two = pd.Series(["a", "b", "c", "d", "e", "f"], index=pd.Index(range(6)), dtype=object)

    pool, holdout = split_holdout(ids, y, 0.25, seed=0)
    pool2, holdout2 = split_holdout(pd.Index(range(6)), y_two, 0.2, seed=0)

    assert 12 == len(pool) + len(holdout)
    assert len(holdout) >= 1
    assert 6 == len(pool2) + len(holdout2)


def test_split_holdout_multilabel_stratifies_on_first_label():
    ids = pd.Index(range(100))
    values = [("a", "b")] * 50 + [("b",)] * 40 + [()] * 10
    y = pd.Series(values, index=ids, dtype=object)

    _, holdout = split_holdout(ids, y, 0.2, seed=0)

    firsts = [v[0] if v else "" for v in y[holdout]]
    assert {"a": 10, "b": 8, "": 2} == {k: firsts.count(k) for k in ("a", "b", "")}


@pytest.mark.parametrize("fraction", [0, 1, 1.5, -0.1, True, "0.2"])
def test_split_holdout_bad_fraction_names_holdout(fraction):
    with pytest.raises(ConfigError, match="holdout must be a fraction strictly between 0 and 1"):
        split_holdout(pd.Index(range(10)), None, fraction, seed=0)


def test_split_holdout_empty_part():
    with pytest.raises(ConfigError, match=r"holdout=0\.1 of 2 items leaves no held-out item"):
        split_holdout(pd.Index([1, 2]), None, 0.1, seed=0)
    with pytest.raises(ConfigError, match="leaves an empty pool"):
        split_holdout(pd.Index([1]), None, 0.9, seed=0)


# --------------------------------------------------------------------------------------------
# content_digest
# --------------------------------------------------------------------------------------------


def test_content_digest_is_stable(frame):
    first = content_digest(frame, ["text", "label"])

    assert 64 == len(first)
    assert first == content_digest(frame.copy(), ["text", "label"])
    assert first == content_digest(frame.astype({"text": "str"}), ["text", "label"])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_content_digest_survives_a_file_round_trip(tmp_path, frame, fmt):
    path = tmp_path / f"data.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)

    loaded = load_frame(path)

    assert content_digest(frame, ["text", "x"]) == content_digest(loaded, ["text", "x"])


def test_content_digest_sees_changes(frame):
    base = content_digest(frame, ["text", "x"])
    changed = frame.copy()
    changed.loc[2, "text"] = "fine!"
    renamed = frame.set_axis([0, 1, 2, 5])

    assert base != content_digest(changed, ["text", "x"])
    assert base != content_digest(frame.iloc[::-1], ["text", "x"])
    assert base != content_digest(frame.iloc[[1, 0, 2, 3]].reset_index(drop=True), ["text", "x"])
    assert base != content_digest(renamed, ["text", "x"])
    assert base != content_digest(frame, ["text"])
    assert base == content_digest(frame, ["text", "x"])  # frame itself untouched


def test_content_digest_missing_column(frame):
    with pytest.raises(ConfigError, match="'nope'"):
        content_digest(frame, ["nope"])


# --------------------------------------------------------------------------------------------
# Duplicates
# --------------------------------------------------------------------------------------------


def test_normalize_text():
    assert "hello big world" == normalize_text("  Hello\n\tBIG   world ")
    assert "strasse" == normalize_text("STRASSE")
    assert "strasse" == normalize_text("Straße")


def test_exact_duplicates():
    a = pd.Series(["Hello  World", "unique", "", None, "again", "AGAIN"], index=[1, 2, 3, 4, 5, 6])
    b = pd.Series(["hello world", "  ", None, "again", "other"], index=["p", "q", "r", "s", "t"])

    pairs = exact_duplicates(a, b)

    assert [(1, "p"), (5, "s"), (6, "s")] == pairs


def test_exact_duplicate_rows():
    a = pd.DataFrame({"x": [1.0, 2.0, np.nan, 4.0], "y": [1, 2, 3, 4]}, index=[10, 11, 12, 13])
    b = pd.DataFrame({"x": [2.0, np.nan, 4.0, 9.0], "y": [2, 3, 5, 9]}, index=["a", "b", "c", "d"])

    assert [(11, "a"), (12, "b")] == exact_duplicate_rows(a, b, ["x", "y"])
    assert [(11, "a"), (12, "b"), (13, "c")] == exact_duplicate_rows(a, b, ["x"])


def test_file_formats_cover_json_lines_numbers(tmp_path):
    path = tmp_path / "items.ndjson"
    path.write_text("\n".join(json.dumps({"id": i, "v": i * 0.5}) for i in range(3)))

    loaded = load_frame(Path(path))

    assert [0, 1, 2] == loaded["id"].tolist()
