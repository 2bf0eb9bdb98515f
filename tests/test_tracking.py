"""Trackers: metric naming, the tracker= argument, the safety net, MLflow and W&B for real.

MLflow is checked through its public client (``MlflowClient``); W&B through the offline
run it writes, read back record by record. Neither may write to the working directory
or to $HOME, and W&B never goes online here.
"""

from __future__ import annotations

import importlib.util
import struct
import time
from pathlib import Path

import pytest

from jupyter_al import tracking
from jupyter_al.exceptions import ConfigError
from jupyter_al.tracking import (
    MLflowTracker,
    RoundInfo,
    RunFolderTracker,
    RunInfo,
    Tracker,
    TrackerGroup,
    TrackingWarning,
    WandbTracker,
    make_tracker,
    metric_dict,
)

PARAMS = {
    "task": "classification",
    "strategy": "margin",
    "batch_size": 10,
    "budget.max_rounds": 5,
    "seed": None,
    "multilabel": False,
    "guidelines": "g" * 7000,  # longer than MLflow's 6,000-character parameter limit
}


def _round(run_dir: Path, r: int, gold: float, judge: dict[str, float]) -> RoundInfo:
    files = []
    for stem in ("selection", "annotation"):
        path = run_dir / f"{stem}_round_{r:02d}.jsonl"
        path.write_text(f'{{"round": {r}}}\n', encoding="utf-8")
        files.append(path)
    values = {"n_batch_labeled": 10.0, "cost": 0.5 * (r + 1)}
    return RoundInfo(
        r, 10 * (r + 1), {"macro_f1": gold, "accuracy": gold + 0.1}, judge, values, files
    )


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A run folder, an empty working directory and an empty $HOME, both checked after."""
    cwd, home, run_dir = tmp_path / "cwd", tmp_path / "home", tmp_path / "runs" / "my run"
    for path in (cwd, home, run_dir):
        path.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(var, raising=False)
    # MLflow 3 keeps an installation id in ~/.config/mlflow for its usage telemetry (docs)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    yield run_dir

    assert [] == sorted(p.name for p in cwd.iterdir())
    assert [] == sorted(str(p.relative_to(home)) for p in home.rglob("*"))


# ------------------------------------------------------------------------------------- pure
def test_metric_families_stay_apart():
    info = RoundInfo(3, 40, {"macro_f1": 0.8}, {"macro_f1": 0.85}, {"cost": 1.5, "f1[a]": 2}, ())

    expected = {
        "gold/macro_f1": 0.8,
        "judge/macro_f1": 0.85,
        "run/cost": 1.5,
        "run/f1_a_": 2.0,
        "run/n_labeled": 40.0,
    }
    assert expected == metric_dict(info)


def test_truncate_leaves_a_note():
    cut = tracking._truncate("x" * 7000, 6000)

    assert 6000 == len(cut)
    assert cut.endswith("... [truncated from 7000 characters]")
    assert "short" == tracking._truncate("short", 6000)


def test_make_tracker_defaults_to_the_run_folder():
    mine = RunFolderTracker()

    assert ("run_folder",) == make_tracker(None).names
    assert ("run_folder",) == make_tracker("none").names
    assert ("run_folder",) == make_tracker(["run_folder", mine]).names
    assert isinstance(make_tracker(None), Tracker)


def test_make_tracker_keeps_instances_in_order():
    a, b = _Recorder("a"), _Recorder("b")

    assert ("run_folder", "a", "b") == make_tracker([a, None, b]).names


@pytest.mark.parametrize("spec", ["mlfow", 42, ["wandb", "tensorboard"], RunFolderTracker])
def test_make_tracker_refuses_unknown_values(spec):
    with pytest.raises(ConfigError, match=r"tracker must be None, one of .*'mlflow', 'wandb'"):
        make_tracker(spec)


@pytest.mark.parametrize(
    ("spec", "module"), [("mlflow", "mlflow"), ("mlflow", "alembic"), ("wandb", "wandb")]
)
def test_a_missing_library_names_the_extra(monkeypatch, spec, module):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == module else real(name, *a)
    )

    with pytest.raises(ConfigError, match=rf'pip install "jupyter_al\[{spec}\]"'):
        make_tracker(spec)


def test_wandb_mode_is_checked():
    pytest.importorskip("wandb")

    with pytest.raises(ConfigError, match="mode must be one of"):
        WandbTracker(mode="disabled")


# -------------------------------------------------------------------------------- the group
class _Recorder:
    def __init__(self, name: str, fail_on: frozenset[str] = frozenset()) -> None:
        self.name = name
        self.fail_on = fail_on
        self.calls: list[str] = []

    def _maybe_fail(self, what: str) -> None:
        self.calls.append(what)
        if what.split(":", maxsplit=1)[0] in self.fail_on:
            raise OSError(28, "No space left on device")

    def start(self, run):
        self._maybe_fail("start")

    def log_round(self, info):
        self._maybe_fail(f"log_round:{info.round}")

    def finish(self, status):
        self._maybe_fail(f"finish:{status}")


def test_a_failing_tracker_warns_once_and_labeling_goes_on(tmp_path):
    broken, fine = _Recorder("broken", frozenset({"log_round"})), _Recorder("fine")
    group = make_tracker([broken, fine])
    run = RunInfo(tmp_path, "s1", "r", {}, resumed=False)

    group.start(run)
    with pytest.warns(TrackingWarning, match=r"'broken' failed in log_round \(round 0\).*No space"):
        group.log_round(RoundInfo(0, 1, {}, {}, {}, ()))
    group.log_round(RoundInfo(1, 2, {}, {}, {}, ()))  # no second warning: it would be an error
    group.finish("finished")

    assert ["start", "log_round:0", "log_round:1", "finish:finished"] == broken.calls
    assert ["start", "log_round:0", "log_round:1", "finish:finished"] == fine.calls
    assert {"broken": "OSError: [Errno 28] No space left on device"} == group.failed_


def test_a_tracker_that_cannot_start_gets_no_more_calls(tmp_path):
    broken = _Recorder("broken", frozenset({"start"}))
    group = TrackerGroup([broken])

    with pytest.warns(TrackingWarning, match="failed in start"):
        group.start(RunInfo(tmp_path, "s1", "r", {}, resumed=False))
    group.log_round(RoundInfo(0, 1, {}, {}, {}, ()))
    group.finish("failed")

    assert ["start"] == broken.calls


# ------------------------------------------------------------------------------------ MLflow
def test_mlflow_records_params_metrics_and_files_and_resumes(sandbox):
    pytest.importorskip("mlflow")
    pytest.importorskip("sqlalchemy")
    from mlflow import MlflowClient

    run_dir = sandbox
    info = RunInfo(run_dir, "3f2a9c01be7d", "my run", PARAMS, resumed=False)
    tracker = MLflowTracker()
    tracker.start(info)
    tracker.log_round(_round(run_dir, 0, 0.5, {}))
    tracker.log_round(_round(run_dir, 1, 0.7, {"macro_f1": 0.75}))
    tracker.finish("finished")
    uri = f"sqlite:///{(run_dir / 'mlflow' / 'mlflow.db').resolve()}"
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(tracker.run_id_)

    def history(key):
        return [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, key)]

    assert uri == tracker.tracking_uri_
    assert "FINISHED" == run.info.status
    assert "my run" == run.info.run_name
    assert "jupyter_al" == client.get_experiment(run.info.experiment_id).name
    assert str((run_dir / "mlflow" / "artifacts").resolve()) in run.info.artifact_uri
    expected_params = {k: str(v) for k, v in PARAMS.items() if k != "guidelines"}
    assert expected_params == {k: v for k, v in run.data.params.items() if k != "guidelines"}
    assert run.data.params["guidelines"].endswith("[truncated from 7000 characters]")
    assert "3f2a9c01be7d" == run.data.tags["jupyter_al.session_id"]
    assert "jupyter_al.version" in run.data.tags
    assert "finished" == run.data.tags["jupyter_al.status"]
    assert [(0, 0.5), (1, 0.7)] == history("gold/macro_f1")
    assert [(1, 0.75)] == history("judge/macro_f1")
    assert [(0, 0.5), (1, 1.0)] == history("run/cost")
    assert [(0, 10.0), (1, 20.0)] == history("run/n_labeled")
    assert ["round_00", "round_01"] == [a.path for a in client.list_artifacts(run.info.run_id)]
    expected_files = ["round_01/annotation_round_01.jsonl", "round_01/selection_round_01.jsonl"]
    assert expected_files == [a.path for a in client.list_artifacts(run.info.run_id, "round_01")]

    resumed = MLflowTracker()
    resumed.start(RunInfo(run_dir, "3f2a9c01be7d", "my run", PARAMS, resumed=True))
    assert "RUNNING" == client.get_run(tracker.run_id_).info.status
    resumed.log_round(_round(run_dir, 2, 0.8, {}))
    resumed.finish("stopped")
    after = client.get_run(tracker.run_id_)

    assert tracker.run_id_ == resumed.run_id_
    assert 1 == len(client.search_runs([run.info.experiment_id]))
    assert "KILLED" == after.info.status
    assert "stopped" == after.data.tags["jupyter_al.status"]
    assert [(0, 0.5), (1, 0.7), (2, 0.8)] == history("gold/macro_f1")


# --------------------------------------------------------------------------------------- W&B
def _wandb_records(path: Path):
    """Yield the protobuf records of an offline run's ``.wandb`` file.

    W&B 0.31 ships no Python reader (``wandb.sdk.internal.datastore`` is gone). The file is
    the ":W&B" header (7 bytes) then LevelDB's log format: 32 KiB blocks of chunks, each
    with a 7-byte header (crc32c, length, type: 1 full, 2 first, 3 middle, 4 last) holding
    ``wandb_internal_pb2.Record`` messages.
    """
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    if len(data) < 7:  # not even the header yet
        return
    assert b":W&B" == data[:4]
    pos, block, pending = 7, 32768, b""
    while pos + 7 <= len(data):
        left = block - pos % block
        if left < 7:  # a block's tail too short for a header is padding
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        if kind == 0:  # zeros up to the block's end
            pos += left
            continue
        if pos + 7 + length > len(data):  # still being written
            return
        chunk, pos = data[pos + 7 : pos + 7 + length], pos + 7 + length
        pending += chunk
        if kind in (1, 4):  # a full record, or the last chunk of one
            yield wandb_internal_pb2.Record.FromString(pending)
            pending = b""


def _finished_records(path: Path, timeout: float = 20.0) -> list:
    """Return the records of an offline run once its exit record is on disk.

    ``run.finish()`` may return before the W&B service has flushed the run's file (seen:
    only the 7-byte header right after finish, everything a moment later).
    """
    deadline = time.monotonic() + timeout
    while True:
        records = list(_wandb_records(path)) if path.exists() else []
        if any(r.HasField("exit") for r in records) or time.monotonic() > deadline:
            return records
        time.sleep(0.05)


def _history(record) -> dict[str, float]:
    return {
        item.nested_key[0] if item.nested_key else item.key: float(item.value_json)
        for item in record.history.item
    }


@pytest.fixture
def wandb_env(monkeypatch):
    wandb = pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")  # belt and braces: the tracker asks for offline
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    yield wandb
    wandb.teardown()  # stop the W&B service this test started (it inherited the test's $HOME)


def test_wandb_writes_an_offline_run_inside_the_run_folder(sandbox, wandb_env):
    run_dir = sandbox
    tracker = WandbTracker()
    tracker.start(RunInfo(run_dir, "3f2a9c01be7d", "my run", PARAMS, resumed=False))
    tracker.log_round(_round(run_dir, 0, 0.5, {}))
    tracker.log_round(_round(run_dir, 1, 0.7, {"macro_f1": 0.75}))
    tracker.finish("finished")
    (offline,) = (run_dir / "wandb").glob("offline-run-*-jal-3f2a9c01be7d*")
    records = _finished_records(offline / "run-jal-3f2a9c01be7d.wandb")
    history = [_history(r) for r in records if r.HasField("history")]
    artifacts = [r.artifact for r in records if r.HasField("artifact")]
    (run_record,) = [r.run for r in records if r.HasField("run")]
    config = {u.key: u.value_json for u in run_record.config.update}

    assert [0.0, 1.0] == [h["_step"] for h in history]
    assert [0.5, 0.7] == [h["gold/macro_f1"] for h in history]
    assert "judge/macro_f1" not in history[0]
    assert 0.75 == history[1]["judge/macro_f1"]
    assert 20.0 == history[1]["run/n_labeled"]
    assert "10" == config["batch_size"]
    assert "my run" == run_record.display_name
    assert [["round_00", "latest"], ["round_01", "latest"]] == [
        sorted(a.aliases, key=lambda s: s == "latest") for a in artifacts
    ]
    assert ["annotation_round_01.jsonl", "selection_round_01.jsonl"] == sorted(
        c.path for c in artifacts[1].manifest.contents
    )
    # the staged copies `wandb sync` uploads later live in the run folder too
    assert all(
        Path(c.local_path).is_relative_to(run_dir.resolve())
        for a in artifacts
        for c in a.manifest.contents
    )
    assert {"artifacts", "cache", "config", "data"} <= {
        p.name for p in (run_dir / "wandb").iterdir()
    }

    resumed = WandbTracker()
    resumed.start(RunInfo(run_dir, "3f2a9c01be7d", "my run", PARAMS, resumed=True))
    resumed.log_round(_round(run_dir, 2, 0.8, {}))
    resumed.finish("stopped")
    # offline, a resumed session writes a second folder with the same run id; `wandb sync`
    # uploads both, in order, into one run
    segments = sorted((run_dir / "wandb").glob("offline-run-*-jal-3f2a9c01be7d*"))

    assert 2 == len(segments)
    later = [
        _history(r)
        for r in _finished_records(segments[1] / "run-jal-3f2a9c01be7d.wandb")
        if r.HasField("history")
    ]
    assert [(2.0, 0.8)] == [(h["_step"], h["gold/macro_f1"]) for h in later]


def test_importing_tracking_loads_no_tracking_library():
    import subprocess
    import sys

    code = "import jupyter_al.tracking, sys; print(sorted({'mlflow', 'wandb'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert "[]" == out.stdout.strip()
