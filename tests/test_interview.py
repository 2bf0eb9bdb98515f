"""The interview's pure functions: summary, label status, validation, code, sources."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from jupyter_al import Session
from jupyter_al._interview import (
    default_answers,
    label_status,
    load_source,
    summarize,
    to_code,
    to_kwargs,
    validate,
)
from jupyter_al.exceptions import ConfigError


def answers_for(**changes):
    a = default_answers({"text": "text", "labels": ["sports", "tech", "food"]})
    a["holdout"] = {"kind": "fraction", "fraction": 0.2, "label_column": "topic"}
    a.update(changes)
    return a


@pytest.mark.parametrize(
    ("known", "status"),
    [(1.0, "labeled"), (0.5, "partially labeled"), (0.0, "unlabeled")],
)
def test_label_status_detects_how_much_is_labeled(pool: pd.DataFrame, known: float, status: str):
    df = pool.copy()
    df.loc[df.index[int(known * len(df)) :], "topic"] = None
    got = label_status(df, "topic")

    assert status == got["status"]
    assert int(known * len(df)) == got["n_labeled"]
    assert got["n_labeled"] == sum(got["counts"].values())


def test_summary_suggests_roles(numeric_pool: pd.DataFrame, pool: pd.DataFrame):
    s = summarize(pool)
    n = summarize(numeric_pool)

    assert 300 == s["n_rows"]
    assert ["text"] == s["text_candidates"]
    assert ["topic"] == s["label_candidates"]
    assert [f"f{i}" for i in range(6)] == n["numeric_candidates"]


def test_good_answers_have_no_errors(pool: pd.DataFrame):
    assert {} == validate(answers_for(), pool)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"text": "txt"}, "text", "not in the data"),
        ({"text": None}, "text", "choose the column"),
        ({"text": None, "features": ["text"]}, "features", "must be numeric"),
        ({"task": "sorting"}, "task", "choose one of"),
        ({"task": "ranking"}, "query", "query"),
        ({"task": "ranking", "query": "nope"}, "query", "not in the data"),
        ({"task": "extraction", "labels": []}, "labels", "span types"),
        ({"task": "other"}, "labels", "leave the label list empty"),
        ({"prediction_unit": "paragraph"}, "prediction_unit", "choose one of row"),
        ({"prediction_unit": "chunk"}, "unit", "chunks need a size"),
        ({"prediction_unit": "message"}, "unit", "thread column"),
        (
            {"prediction_unit": "sentence", "label_column": "topic"},
            "label_column",
            "labeled in the session",
        ),
        (
            {"task": "other", "labels": [], "prediction_unit": "sentence"},
            "prediction_unit",
            "work with",
        ),
        ({"span_overlap": "often"}, "span_overlap", "forbid, nested or allow"),
        ({"labels": [{"name": "a"}, {"name": "a"}]}, "labels", "unique"),
        ({"labels": [{"name": "a"}]}, "labels", "at least 2"),
        ({"labels": [{"name": "a", "key": "s"}, {"name": "b"}]}, "labels", "hotkey"),
        ({"metric": "f1-makro"}, "metric", "not known"),
        ({"strategy": "marginn"}, "strategy", "unknown strategy"),
        ({"batch_size": 0}, "batch_size", "positive whole number"),
        (
            {"holdout": {"kind": "fraction", "fraction": 1.5, "label_column": "topic"}},
            "holdout",
            "between 0 and 1",
        ),
        ({"holdout": {"kind": "fraction", "fraction": 0.2}}, "holdout", "gold labels"),
        ({"budget": {"max_cost": 10}}, "budget", "cost per label"),
        ({"budget": {"max_labels": -3}}, "budget", "positive whole number"),
    ],
)
def test_each_wrong_answer_is_explained(pool: pd.DataFrame, changes, field, words):
    errors = validate(answers_for(**changes), pool)

    assert field in errors
    assert words in errors[field]


def test_copy_as_code_builds_the_same_session(pool: pd.DataFrame, tmp_path: Path):
    answers = answers_for(
        batch_size=7,
        budget={
            "max_labels": 50,
            "max_rounds": None,
            "max_minutes": None,
            "max_cost": None,
            "cost_per_label": None,
        },
    )
    code = to_code(answers).replace(
        "session = Session(df, ", f"session = Session(df, store={str(tmp_path / 'c')!r}, "
    )
    ns: dict = {"df": pool}
    exec(code, ns)  # the generated code is what the user would run
    s = ns["session"]

    assert 7 == s.config.batch_size
    assert 50 == s.config.budget.max_labels
    assert ("sports", "tech", "food") == s.config.labels
    assert to_kwargs(answers)["holdout"] == s.config.holdout
    s.close()


def test_sources_dataframe_file_and_sql(pool: pd.DataFrame, tmp_path: Path):
    assert pool is load_source({"kind": "dataframe", "name": "df"}, {"df": pool})
    path = tmp_path / "d.csv"
    pool.to_csv(path, index=False)
    assert len(pool) == len(load_source({"kind": "file", "path": str(path)}))
    db = tmp_path / "d.db"
    with sqlite3.connect(db) as conn:
        pool.to_sql("items", conn, index=False)
    got = load_source(
        {
            "kind": "sql",
            "query": "select * from items where topic = 'food'",
            "url": f"sqlite:///{db}",
        }
    )
    assert set(got["topic"]) == {"food"}


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ({"kind": "dataframe", "name": "nope"}, "no variable 'nope'"),
        ({"kind": "dataframe", "name": "x"}, "not a DataFrame"),
        ({"kind": "file", "path": "/no/such.csv"}, "source.path"),
        ({"kind": "sql", "query": "", "url": "sqlite:///x.db"}, "source.query"),
        ({"kind": "sql", "query": "select 1", "url": ""}, "source.url"),
        ({"kind": "ftp"}, "source.kind"),
    ],
)
def test_bad_sources_name_the_field(source, words):
    with pytest.raises(ConfigError, match=words):
        load_source(source, {"x": 3})


def test_prefill_from_session_arguments(pool: pd.DataFrame, tmp_path: Path):
    s = Session(pool, labels=["a", "b"], batch_size=4, budget=30, holdout=0.3, store=tmp_path / "p")

    assert ["a", "b"] == [x["name"] for x in s.answers["labels"]]
    assert 4 == s.answers["batch_size"]
    assert 30 == s.answers["budget"]["max_labels"]
    assert 0.3 == s.answers["holdout"]["fraction"]


def test_code_names_no_empty_feature_list_before_a_choice():
    code = to_code(default_answers({"labels": ["a", "b"]}))

    assert "features" not in code
    assert "text=" not in code
