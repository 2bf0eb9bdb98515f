"""The jupyter-al command line, run as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from jupyter_al.cli import main
from tests.conftest import SHARED_DATA, make_multilabel_frame, make_text_frame


def test_simulate_then_replay(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    data = tmp_path / "data.csv"
    make_text_frame(300, 2).to_csv(data, index=False)
    out = tmp_path / "sim"
    code = main(
        [
            "simulate",
            str(data),
            "--text",
            "text",
            "--label",
            "topic",
            "--strategy",
            "random,margin",
            "--seeds",
            "0,1",
            "--rounds",
            "4",
            "--batch-size",
            "10",
            "--holdout-fraction",
            "0.25",
            "--out",
            str(out),
        ]
    )

    assert 0 == code
    summary = pd.read_csv(out / "summary.tsv", sep="\t")
    assert ["strategy", "seed", "aulc", "final_metric", "labels_to_95pct_full"] == list(
        summary.columns[:5]
    )
    assert 4 == len(summary)
    assert (out / "random" / "seed1" / "results.tsv").exists()
    assert "plotly" in (out / "curves.html").read_text()[:5000].lower()
    assert 0 == main(["replay", str(out), "--data", str(data)])
    assert "4 of 4 run(s) reproduced" in capsys.readouterr().out


def test_replay_fails_on_other_data(tmp_path: Path):
    data = tmp_path / "data.csv"
    make_text_frame(200, 2).to_csv(data, index=False)
    out = tmp_path / "sim"
    assert 0 == main(
        [
            "simulate",
            str(data),
            "--text",
            "text",
            "--label",
            "topic",
            "--strategy",
            "margin",
            "--seeds",
            "0",
            "--rounds",
            "2",
            "--out",
            str(out),
        ]
    )
    other = tmp_path / "other.csv"
    make_text_frame(200, 3).to_csv(other, index=False)

    assert 1 == main(["replay", str(out), "--data", str(other)])


def test_multilabel_simulate(tmp_path: Path):
    data = tmp_path / "ml.jsonl"
    make_multilabel_frame(200, 1).to_json(data, orient="records", lines=True)
    out = tmp_path / "sim"
    code = main(
        [
            "simulate",
            str(data),
            "--text",
            "text",
            "--label",
            "topics",
            "--task",
            "multilabel",
            "--label-sep",
            "|",
            "--strategy",
            "random,mean_max_loss,label_cardinality",
            "--seeds",
            "0",
            "--rounds",
            "3",
            "--out",
            str(out),
        ]
    )

    assert 0 == code
    assert 3 == len(pd.read_csv(out / "summary.tsv", sep="\t"))


def test_bad_column_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    data = tmp_path / "data.csv"
    make_text_frame(50, 2).to_csv(data, index=False)

    assert 2 == main(
        ["simulate", str(data), "--text", "txt", "--label", "topic", "--out", str(tmp_path / "o")]
    )
    assert "did you mean 'text'" in capsys.readouterr().err


def test_strategies_lists_the_registry(capsys: pytest.CaptureFixture[str]):
    assert 0 == main(["strategies"])
    out = capsys.readouterr().out

    assert "margin" in out
    assert "default for classification" in out


def test_sms_spam_subset_from_a_shell(tmp_path: Path):
    """The real shared data set, through the installed console script."""
    path = SHARED_DATA / "sms_spam" / "SMSSpamCollection.tsv"
    if not path.exists():
        pytest.skip(f"shared dataset not found at {path}")
    out = tmp_path / "sms"
    exe = Path(sys.executable).parent / "jupyter-al"
    run = subprocess.run(
        [
            str(exe),
            "simulate",
            str(path),
            "--text",
            "SMS",
            "--label",
            "Label",
            "--strategy",
            "margin",
            "--seeds",
            "0",
            "--rounds",
            "3",
            "--batch-size",
            "10",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert 0 == run.returncode, run.stderr
    summary = pd.read_csv(out / "summary.tsv", sep="\t")
    assert summary["final_metric"].iloc[0] > 0.5
    replayed = subprocess.run(
        [str(exe), "replay", str(out), "--data", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert 0 == replayed.returncode, replayed.stdout + replayed.stderr


def test_simulate_with_a_held_out_file(tmp_path: Path):
    """Both files number their rows 0..n-1: held-out rows must still never collide."""
    frame = make_text_frame(260, 4)
    frame.iloc[:200].to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[200:].to_csv(tmp_path / "test.csv", index=False)
    out = tmp_path / "sim"
    code = main(
        [
            "simulate",
            str(tmp_path / "train.csv"),
            "--text",
            "text",
            "--label",
            "topic",
            "--holdout",
            str(tmp_path / "test.csv"),
            "--strategy",
            "margin",
            "--seeds",
            "0",
            "--rounds",
            "2",
            "--out",
            str(out),
        ]
    )

    assert 0 == code
    results = pd.read_csv(out / "margin" / "seed0" / "results.tsv", sep="\t")
    assert [60, 60] == results["n_holdout_gold"].tolist()
    assert 0 == main(["replay", str(out), "--data", str(tmp_path / "train.csv")])


@pytest.mark.parametrize("name", ["restaurant8k", "cisi", "diabetes"])
def test_dataset_then_simulate_each_task_then_replay(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    table = tmp_path / f"{name}.csv"
    folder = [] if name == "diabetes" else [str(SHARED_DATA / name)]
    assert main(["dataset", name, *folder, "--out", str(table)]) == 0
    printed = capsys.readouterr().out
    how = printed.split(f"jupyter-al simulate {table} ", 1)[1].split(" --out ")[0].split()
    frame = pd.read_csv(table)
    if name == "restaurant8k":  # a slice keeps the test fast; the CRF learns from it
        frame.iloc[:300].to_csv(table, index=False)
    elif name == "cisi":
        keep = frame["query_id"].drop_duplicates().iloc[:20]
        frame[frame["query_id"].isin(keep)].to_csv(table, index=False)
    out = tmp_path / "sim"
    argv = ["simulate", str(table), *how, "--strategy", "random,default", "--seeds", "0,1"]
    assert main([*argv, "--rounds", "3", "--batch-size", "10", "--out", str(out)]) == 0
    summary = pd.read_csv(out / "summary.tsv", sep="\t")
    assert len(summary) == 4
    assert summary["aulc"].notna().all()
    assert main(["replay", str(out), "--data", str(table)]) == 0
    assert "4 of 4 run(s) reproduced" in capsys.readouterr().out


def test_dataset_refuses_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["dataset", "cisi", str(tmp_path / "nope"), "--out", str(tmp_path / "x.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["dataset", "diabetes", "somewhere", "--out", str(tmp_path / "x.csv")]) == 2
    assert "ships with scikit-learn" in capsys.readouterr().err
