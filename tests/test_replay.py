"""Golden replay: scripted labels -> save -> replay -> identical batches and metrics."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from jupyter_al import Session, replay, simulate
from jupyter_al.exceptions import ReplayMismatchError
from tests.conftest import answer_batch

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd


def scripted_run(pool: pd.DataFrame, store: Path) -> Session:
    s = Session(
        pool,
        text="text",
        labels=["sports", "tech", "food"],
        holdout=0.2,
        holdout_label_column="topic",
        batch_size=8,
        random_state=7,
        store=store,
    )
    answer_batch(s, pool["topic"])
    s.submit()
    batch = s.next_batch()
    s.skip(batch.index[0])
    s.label(batch.index[1], "food")
    s.undo()
    for i in batch.index[1:]:
        s.label(i, pool.loc[i, "topic"])
    s.submit()
    answer_batch(s, pool["topic"])
    s.submit()
    s.close()
    return s


def test_golden_replay_reproduces_batches_and_metrics(pool: pd.DataFrame, tmp_path: Path):
    s = scripted_run(pool, tmp_path / "g")
    report = replay(tmp_path / "g", pool)

    assert report.ok
    assert 4 == report.n_batches  # three closed rounds and the open fourth batch
    assert 3 == report.n_rounds
    assert 3 == len(s.rounds)


def test_replay_detects_a_tampered_batch(pool: pd.DataFrame, tmp_path: Path):
    scripted_run(pool, tmp_path / "g")
    log = tmp_path / "g" / "events.jsonl"
    lines = log.read_text().splitlines()
    for i, line in enumerate(lines):
        event = json.loads(line)
        if event.get("type") == "batch_selected" and event["round"] == 2:
            event["item_ids"] = list(reversed(event["item_ids"]))
            lines[i] = json.dumps(event)
    log.write_text("\n".join(lines) + "\n")

    with pytest.raises(ReplayMismatchError, match="round 2: batch differs"):
        replay(tmp_path / "g", pool)
    report = replay(tmp_path / "g", pool, check=False)
    assert not report.ok


def test_replay_detects_a_tampered_metric(pool: pd.DataFrame, tmp_path: Path):
    scripted_run(pool, tmp_path / "g")
    log = tmp_path / "g" / "events.jsonl"
    text = log.read_text()
    lines = text.splitlines()
    for i, line in enumerate(lines):
        event = json.loads(line)
        if event.get("type") == "round_closed" and event["round"] == 1:
            event["metrics"]["accuracy"] += 0.01
            lines[i] = json.dumps(event)
    log.write_text("\n".join(lines) + "\n")

    with pytest.raises(ReplayMismatchError, match="round 1: accuracy logged"):
        replay(tmp_path / "g", pool)


def test_replay_on_a_different_pool_is_refused(pool: pd.DataFrame, tmp_path: Path):
    scripted_run(pool, tmp_path / "g")

    with pytest.raises(ReplayMismatchError, match="digest"):
        replay(tmp_path / "g", pool.iloc[:-1])


def test_replay_of_an_external_holdout_run(pool: pd.DataFrame, tmp_path: Path):
    hold = pool.iloc[:60].copy()
    hold.index = [f"h{i}" for i in range(60)]
    s = Session(
        pool.iloc[60:],
        text="text",
        labels=["sports", "tech", "food"],
        holdout=hold,
        holdout_label_column="topic",
        batch_size=8,
        random_state=1,
        store=tmp_path / "x",
    )
    for _ in range(2):
        answer_batch(s, pool["topic"])
        s.submit()
    s.close()

    assert (tmp_path / "x" / "holdout.jsonl").exists()
    assert replay(tmp_path / "x", pool.iloc[60:]).ok


@pytest.mark.parametrize("strategy", ["random", "least_confidence", "entropy"])
def test_replay_of_simulations(pool: pd.DataFrame, tmp_path: Path, strategy: str):
    simulate(
        pool,
        oracle="topic",
        text="text",
        strategy=strategy,
        batch_size=10,
        rounds=4,
        random_state=3,
        store=tmp_path / strategy,
    )

    assert replay(tmp_path / strategy, pool).ok


def test_replay_of_a_multilabel_simulation(ml_pool: pd.DataFrame, tmp_path: Path):
    simulate(
        ml_pool,
        oracle="topics",
        text="text",
        task="multilabel",
        batch_size=10,
        rounds=4,
        random_state=3,
        store=tmp_path / "ml",
    )

    assert replay(tmp_path / "ml", ml_pool).ok
