"""Durability at the session level: resume, crash with SIGKILL, damaged log lines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from jupyter_al import Session
from jupyter_al.exceptions import ReplayMismatchError
from tests.conftest import answer_batch, make_text_frame

if TYPE_CHECKING:
    import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def new(pool: pd.DataFrame, store: Path) -> Session:
    return Session(
        pool,
        text="text",
        labels=["sports", "tech", "food"],
        holdout=0.2,
        holdout_label_column="topic",
        batch_size=10,
        random_state=0,
        store=store,
    )


def test_resume_continues_exactly_where_it_stopped(pool: pd.DataFrame, tmp_path: Path):
    # an uninterrupted run
    a = new(pool, tmp_path / "a")
    for _ in range(3):
        answer_batch(a, pool["topic"])
        a.submit()
    expected_batch = list(a.next_batch().index)
    a.close()
    # the same run, with a "kernel restart" in the middle of round 2
    b = new(pool, tmp_path / "b")
    answer_batch(b, pool["topic"])
    b.submit()
    half = b.next_batch()
    for i in half.index[:4]:
        b.label(i, pool.loc[i, "topic"])
    b.close()
    del b
    c = Session.resume(tmp_path / "b", pool)
    batch = c.next_batch()

    assert list(half.index) == list(batch.index)
    assert ["labeled"] * 4 + ["pending"] * 6 == batch["status"].tolist()
    for i in batch.index[4:]:
        c.label(i, pool.loc[i, "topic"])
    c.submit()
    answer_batch(c, pool["topic"])
    c.submit()

    assert expected_batch == list(c.next_batch().index)
    assert a.rounds["value"].tolist() == c.rounds["value"].tolist()
    assert "resumed at" in (c.store / "notes.md").read_text()
    c.close()


def test_resume_with_other_data_is_refused(pool: pd.DataFrame, tmp_path: Path):
    s = new(pool, tmp_path / "r")
    s.close()
    changed = pool.copy()
    changed.loc[5, "text"] = "something else entirely"

    with pytest.raises(ReplayMismatchError, match="not the pool this run was started on"):
        Session.resume(tmp_path / "r", changed)


def test_resume_needs_the_custom_model(pool: pd.DataFrame, tmp_path: Path):
    from sklearn.naive_bayes import MultinomialNB

    s = Session(
        pool,
        text="text",
        labels=["sports", "tech", "food"],
        model=MultinomialNB(),
        random_state=0,
        store=tmp_path / "m",
    )
    s.close()

    with pytest.raises(Exception, match="pass model="):
        Session.resume(tmp_path / "m", pool)
    Session.resume(tmp_path / "m", pool, model=MultinomialNB()).close()


def test_truncated_last_line_is_recovered_and_reported(pool: pd.DataFrame, tmp_path: Path):
    s = new(pool, tmp_path / "t")
    batch = s.next_batch()
    for i in batch.index[:3]:
        s.label(i, pool.loc[i, "topic"])
    s.close()
    log = tmp_path / "t" / "events.jsonl"
    with log.open("ab") as fh:
        fh.write(b'{"type":"labeled","round":1,"item_id":')  # a write cut off by a crash
    r = Session.resume(tmp_path / "t", pool)

    assert 3 == int(r.labels.loc[r.pool_ids].notna().sum())
    assert "damaged" in (tmp_path / "t" / "notes.md").read_text()
    assert list((tmp_path / "t").glob("events.damaged-*.jsonl"))
    r.label(batch.index[3], pool.loc[batch.index[3], "topic"])
    r.close()


def test_sigkill_loses_no_acknowledged_label(tmp_path: Path):
    """Kill a labeling process mid-stream; every label it acknowledged must be on disk."""
    frame = make_text_frame(400, 3)
    data = tmp_path / "data.csv"
    frame.to_csv(data)
    store = tmp_path / "crash"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "_session_writer.py"), str(data), str(store)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert "ready" == proc.stdout.readline().strip()
    acked: dict[int, str] = {}
    for line in proc.stdout:
        item, label = line.split()
        acked[int(item)] = label
        if len(acked) >= 55:  # mid-round: rounds are 20 labels
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    # whatever else it printed before dying was acknowledged too
    s = Session.resume(store, frame)
    labels = s.labels

    assert all(labels.loc[i] == lab for i, lab in acked.items())
    assert int(labels.loc[s.pool_ids].notna().sum()) >= len(acked)
    # and the run goes on
    batch = s.next_batch()
    for i in batch.index:
        if batch.loc[i, "status"] == "pending":
            s.label(i, frame.loc[i, "topic"])
    s.submit()
    s.close()
    events = [json.loads(x) for x in (store / "events.jsonl").read_text().splitlines()[1:]]
    assert [e["seq"] for e in events] == list(range(len(events)))
