"""Every bad input gets a clear error naming the argument, and loses no data."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from jupyter_al import Session
from jupyter_al.exceptions import ConfigError, LabelError

if TYPE_CHECKING:
    from pathlib import Path

LABELS = ["sports", "tech", "food"]


def make(pool: pd.DataFrame, tmp_path: Path, **kwargs) -> Session:
    args = {
        "text": "text",
        "labels": LABELS,
        "holdout": 0.2,
        "holdout_label_column": "topic",
        "random_state": 0,
        "store": tmp_path / "run",
    }
    args.update(kwargs)
    return Session(pool, **args)


def test_empty_data(tmp_path: Path):
    with pytest.raises(ConfigError, match="data is empty"):
        make(pd.DataFrame({"text": [], "topic": []}), tmp_path)


def test_empty_file(tmp_path: Path):
    path = tmp_path / "empty.csv"
    path.write_text("text,topic\n")

    with pytest.raises(ConfigError, match="data"):
        make(str(path), tmp_path)


def test_missing_file_names_the_path(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"nope\.csv"):
        make(str(tmp_path / "nope.csv"), tmp_path)


def test_misspelled_column_gets_a_suggestion(pool: pd.DataFrame, tmp_path: Path):
    with pytest.raises(ConfigError, match="did you mean 'text'"):
        make(pool, tmp_path, text="txet")


def test_missing_label_column(pool: pd.DataFrame, tmp_path: Path):
    with pytest.raises(ConfigError, match="labelz"):
        make(pool, tmp_path, label_column="labelz")


def test_label_column_outside_schema(pool: pd.DataFrame, tmp_path: Path):
    df = pool.assign(known=pool["topic"].replace({"food": "cooking"}))

    with pytest.raises(LabelError, match="cooking"):
        make(df, tmp_path, label_column="known")


def test_fewer_than_two_labels(pool: pd.DataFrame, tmp_path: Path):
    with pytest.raises(
        ConfigError, match=r"labels needs at least 2 distinct values, got \('sports',\)"
    ):
        make(pool, tmp_path, labels=["sports", "sports"])


def test_labels_as_a_string_is_refused(pool: pd.DataFrame, tmp_path: Path):
    with pytest.raises(ConfigError, match="labels must be a list"):
        make(pool, tmp_path, labels="sports")


def test_no_labels_and_no_label_column(pool: pd.DataFrame, tmp_path: Path):
    with pytest.raises(ConfigError, match="labels is required"):
        Session(pool[["text"]], text="text", store=tmp_path / "r")


def test_duplicate_item_ids(pool: pd.DataFrame, tmp_path: Path):
    df = pool.copy()
    df.index = [0, 0, *range(2, len(df))]

    with pytest.raises(ConfigError, match=r"duplicate.*\b0\b"):
        make(df, tmp_path)


def test_empty_and_missing_texts_are_skipped_and_reported(pool: pd.DataFrame, tmp_path: Path):
    df = pool.copy()
    df.loc[3, "text"] = np.nan
    df.loc[7, "text"] = "   "
    s = make(df, tmp_path, holdout=None)

    assert 3 not in s.pool_ids
    assert 7 not in s.pool_ids
    assert any("2 item(s) with empty or missing text" in w for w in s.warnings)
    assert "empty or missing text" in (s.store / "notes.md").read_text()
    with pytest.raises(LabelError, match="left out of the session at start"):
        s.label(3, "food")
    s.close()


def test_holdout_overlapping_the_pool(pool: pd.DataFrame, tmp_path: Path):
    with pytest.raises(ConfigError, match="holdout shares 20 item ids with data"):
        make(pool, tmp_path, holdout=pool.iloc[:20])


def test_holdout_content_duplicates_are_reported(pool: pd.DataFrame, tmp_path: Path):
    hold = pool.iloc[:30].copy()
    hold.index = [f"h{i}" for i in range(30)]
    hold.loc["h0", "text"] = "  " + pool.loc[100, "text"].upper() + " "
    s = make(pool, tmp_path, holdout=hold)

    assert any("exact duplicate in the pool" in w and "('h0', 100)" in w for w in s.warnings)
    s.close()


def test_batch_size_larger_than_pool(pool: pd.DataFrame, tmp_path: Path):
    with pytest.raises(
        ConfigError, match=r"batch_size=1000 is larger than the pool \(240 unlabeled"
    ):
        make(pool, tmp_path, batch_size=1000)


def test_batch_size_must_be_positive(pool: pd.DataFrame, tmp_path: Path):
    with pytest.raises(ConfigError, match="batch_size must be a positive integer, got 0"):
        make(pool, tmp_path, batch_size=0)


def test_unknown_strategy_lists_the_known_ones(pool: pd.DataFrame, tmp_path: Path):
    with pytest.raises(ConfigError, match=r"marginn.*entropy.*least_confidence.*margin.*random"):
        make(pool, tmp_path, strategy="marginn")


def test_unknown_metric_lists_the_known_ones(pool: pd.DataFrame, tmp_path: Path):
    with pytest.raises(ConfigError, match="f1_macro"):
        make(pool, tmp_path, metric="f1-makro")


def test_unknown_keyword_is_a_type_error_with_a_hint(pool: pd.DataFrame, tmp_path: Path):
    with pytest.raises(TypeError, match="did you mean 'batch_size'"):
        make(pool, tmp_path, batchsize=5)


@pytest.mark.parametrize("holdout", [0.0, 1.0, 1.5, -0.1])
def test_holdout_fraction_out_of_range(pool: pd.DataFrame, tmp_path: Path, holdout: float):
    with pytest.raises(ConfigError, match="holdout"):
        make(pool, tmp_path, holdout=holdout)


def test_model_without_predict_proba(pool: pd.DataFrame, tmp_path: Path):
    from sklearn.svm import LinearSVC

    with pytest.raises(
        ConfigError, match="model must be a scikit-learn classifier with fit and predict_proba"
    ):
        make(pool, tmp_path, model=LinearSVC())


def test_cost_budget_needs_a_price(pool: pd.DataFrame, tmp_path: Path):
    with pytest.raises(ConfigError, match="cost_per_label"):
        make(pool, tmp_path, budget={"max_cost": 10})


def test_nothing_is_written_when_configuration_fails(pool: pd.DataFrame, tmp_path: Path):
    with pytest.raises(ConfigError):
        make(pool, tmp_path, strategy="nope")

    assert not (tmp_path / "run" / "events.jsonl").exists()
