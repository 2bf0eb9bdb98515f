"""simulate() and compare_strategies(): the oracle as annotator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_al import compare_strategies, simulate
from jupyter_al._simulate import full_data_score

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd


def test_simulate_runs_the_loop_and_writes_the_run_folder(pool: pd.DataFrame, tmp_path: Path):
    s = simulate(pool, oracle="topic", text="text", batch_size=10, rounds=5, store=tmp_path / "s")

    assert s.stopped
    assert "round limit reached: 5 of 5 rounds" == s.stop_reason
    assert [10, 20, 30, 40, 50] == s.rounds["n_labeled"].tolist()
    assert (tmp_path / "s" / "results.tsv").exists()
    prov = s.provenance
    assert {"oracle"} == set(prov["annotator"])
    assert {"simulation"} == set(prov["source"])
    # the labels given are the oracle's
    assert (prov["label"] == pool.loc[prov.index, "topic"]).all()


def test_uncertainty_learns_faster_than_random_here(tmp_path: Path):
    from tests.conftest import make_text_frame

    frame = make_text_frame(600, 11, weights=(0.7, 0.2, 0.1))
    table, curves, full = compare_strategies(
        frame,
        oracle="topic",
        text="text",
        strategies=["random", "margin"],
        seeds=[0, 1, 2],
        out=tmp_path,
        batch_size=10,
        rounds=8,
        holdout=0.3,
    )
    mean = table.groupby("strategy")["aulc"].mean()

    assert {"random", "margin"} == set(mean.index)
    assert mean["margin"] > mean["random"]
    assert set(full) == {0, 1, 2}
    assert all(0.5 < v <= 1 for v in full.values())
    assert 3 == len(curves["margin"])


def test_full_data_score_beats_a_small_sample(pool: pd.DataFrame, tmp_path: Path):
    s = simulate(pool, oracle="topic", text="text", batch_size=5, rounds=1, store=tmp_path / "f")
    full = full_data_score(s, pool, "topic")

    assert full is not None
    assert full > s.rounds["value"].iloc[-1]
