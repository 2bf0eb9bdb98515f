from __future__ import annotations

import importlib.util
import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import jupyter_al._store as store_module
from jupyter_al._store import (
    FORMAT,
    FORMAT_VERSION,
    LOCK_NAME,
    LOG_NAME,
    Damage,
    EventLog,
    read_log,
    write_atomic,
)
from jupyter_al.exceptions import (
    RunLockedError,
    SessionExistsError,
    StoreCorruptedError,
    StoreError,
)

if TYPE_CHECKING:
    from collections.abc import Callable

WRITER = Path(__file__).with_name("_store_writer.py")
REPO_ROOT = Path(store_module.__file__).resolve().parents[1]


def _load_writer_payload() -> Callable[[int], dict[str, Any]]:
    # Load by path: the writer is a script, not part of an importable test package.
    spec = importlib.util.spec_from_file_location("_store_writer", WRITER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    writer_payload: Callable[[int], dict[str, Any]] = module.payload
    return writer_payload


payload = _load_writer_payload()


def _popen_helper(folder: Path, mode: str) -> subprocess.Popen[str]:
    # The checkout may not be installed in the venv: make `import jupyter_al` find it.
    pythonpath = [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(pythonpath)}
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(folder), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _write_log(folder: Path, n_events: int) -> bytes:
    with EventLog(folder, create=True) as log:
        log.append_many([{"type": "labeled", "item_id": i} for i in range(n_events)])
    return (folder / LOG_NAME).read_bytes()


# -- round trip ------------------------------------------------------------------------------


def test_round_trip(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    with EventLog(folder, create=True, header_extra={"pool": "sha256:abc", "n": 3}) as log:
        first = log.append({"type": "configured", "config": {"batch_size": 5}})
        many = log.append_many(
            [
                {"type": "labeled", "item_id": 7, "label": "spam", "ts": None},
                {"type": "labeled", "item_id": "row-8", "label": ["a", "ü"], "p": 0.25},
            ]
        )
        none = log.append_many([])
        last = log.append({"type": "round_closed", "round": 0, "ok": True})
        next_seq = log.next_seq

    assert 0 == first
    assert [1, 2] == many
    assert [] == none
    assert 3 == last
    assert 4 == next_seq
    assert log.closed

    with EventLog(folder, create=False) as reopened:
        contents = reopened.contents
        assert 4 == reopened.next_seq
        assert folder == reopened.folder
        assert folder / LOG_NAME == reopened.path

    expected_events = [
        {"seq": 0, "type": "configured", "config": {"batch_size": 5}},
        {"seq": 1, "type": "labeled", "item_id": 7, "label": "spam", "ts": None},
        {"seq": 2, "type": "labeled", "item_id": "row-8", "label": ["a", "ü"], "p": 0.25},
        {"seq": 3, "type": "round_closed", "round": 0, "ok": True},
    ]
    assert expected_events == contents.events
    assert contents.damage is None
    assert FORMAT == contents.header["format"]
    assert FORMAT_VERSION == contents.header["version"]
    assert "sha256:abc" == contents.header["pool"]
    assert 3 == contents.header["n"]
    assert "created" in contents.header
    assert contents == read_log(folder)


def test_file_is_one_compact_utf8_line_per_event(tmp_path: Path) -> None:
    with EventLog(tmp_path, create=True) as log:
        log.append({"label": "élan ✓"})

    lines = (tmp_path / LOG_NAME).read_text(encoding="utf-8").splitlines()

    assert 2 == len(lines)
    assert '{"seq":0,"label":"élan ✓"}' == lines[1]


# -- crash ----------------------------------------------------------------------------------


# SIGKILL on Linux does not split a single write() to a local file in practice (0 torn tails
# in 40 tries here), but a power cut can leave a prefix of the last line: `tear` adds the
# prefix of the next line by hand after the kill, to check recovery on a real crashed log.
@pytest.mark.parametrize(("kill_after", "tear"), [(150, False), (400, True), (700, False)])
def test_sigkill_loses_no_acknowledged_event(tmp_path: Path, kill_after: int, tear: bool) -> None:
    folder = tmp_path / "run"
    acked: list[int] = []
    with _popen_helper(folder, "write") as proc:
        assert proc.stdout is not None
        try:
            while len(acked) < kill_after:
                line = proc.stdout.readline()
                if not line:
                    pytest.fail(f"writer stopped early: {proc.communicate()[1]}")
                acked.append(int(line))
            proc.send_signal(signal.SIGKILL)
            rest, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    # Lines printed before the kill are acknowledged too; a torn last print is not.
    acked += [int(line) for line in rest.splitlines(keepends=True) if line.endswith("\n")]
    raw = (folder / LOG_NAME).read_bytes()
    if tear and raw.endswith(b"\n"):
        next_seq = raw.count(b"\n") - 1
        next_line = json.dumps({"seq": next_seq, **payload(next_seq)}, ensure_ascii=False)
        raw += next_line.encode("utf-8")[: len(next_line) // 2]
        (folder / LOG_NAME).write_bytes(raw)
    torn = not raw.endswith(b"\n")

    with EventLog(folder, create=False) as log:
        contents = log.contents
        new_seq = log.append({"type": "after_crash"})

    assert -signal.SIGKILL == proc.returncode
    assert list(range(len(acked))) == acked
    assert len(contents.events) >= len(acked)
    for seq in acked:
        assert {"seq": seq, **payload(seq)} == contents.events[seq]
    assert len(contents.events) == new_seq
    assert torn == (contents.damage is not None)
    assert tear <= torn
    if contents.damage is not None:
        assert contents.damage.saved_to is not None
        assert raw[-contents.damage.n_bytes :] == contents.damage.saved_to.read_bytes()
        assert len(contents.events) + 2 == contents.damage.line_number
    reread = read_log(folder)
    assert reread.damage is None
    assert [*contents.events, {"seq": new_seq, "type": "after_crash"}] == reread.events


# -- recovery -------------------------------------------------------------------------------


def test_truncated_last_line_is_saved_reported_and_cut(tmp_path: Path) -> None:
    good = _write_log(tmp_path, 3)
    half = b'{"seq":3,"type":"labeled","ite'
    (tmp_path / LOG_NAME).write_bytes(good + half)

    with EventLog(tmp_path, create=False) as log:
        damage = log.contents.damage
        events = log.contents.events
        seq = log.append({"type": "labeled", "item_id": 99})

    assert damage is not None
    assert 5 == damage.line_number
    assert len(half) == damage.n_bytes
    assert "truncated JSON (no newline at end)" == damage.reason
    assert damage.saved_to is not None
    assert tmp_path == damage.saved_to.parent
    assert damage.saved_to.name.startswith("events.damaged-")
    assert damage.saved_to.name.endswith(".jsonl")
    assert half == damage.saved_to.read_bytes()
    assert "Line 5" in damage.describe()
    assert str(damage.saved_to) in damage.describe()
    assert [0, 1, 2] == [event["seq"] for event in events]
    assert 3 == seq
    reopened = read_log(tmp_path)
    assert reopened.damage is None
    assert {"seq": 3, "type": "labeled", "item_id": 99} == reopened.events[-1]
    assert good == (tmp_path / LOG_NAME).read_bytes()[: len(good)]


def test_invalid_json_last_line_with_newline_is_recovered(tmp_path: Path) -> None:
    good = _write_log(tmp_path, 2)
    bad = b"\x00\x00not json\n"
    (tmp_path / LOG_NAME).write_bytes(good + bad)

    with EventLog(tmp_path, create=False) as log:
        damage = log.contents.damage
        n_events = len(log.contents.events)

    assert damage is not None
    assert 4 == damage.line_number
    assert len(bad) == damage.n_bytes
    assert damage.reason.startswith("invalid")
    assert damage.saved_to is not None
    assert bad == damage.saved_to.read_bytes()
    assert 2 == n_events
    assert good == (tmp_path / LOG_NAME).read_bytes()


def test_garbage_in_the_middle_raises_and_changes_nothing(tmp_path: Path) -> None:
    good = _write_log(tmp_path, 4)
    lines = good.splitlines(keepends=True)
    lines[2] = b'{"seq":1,"type":"lab\n'  # line 3 of 6
    damaged = b"".join(lines)
    (tmp_path / LOG_NAME).write_bytes(damaged)
    before = sorted(p.name for p in tmp_path.iterdir())

    with pytest.raises(StoreCorruptedError) as excinfo:
        EventLog(tmp_path, create=False)
    with pytest.raises(StoreCorruptedError):
        read_log(tmp_path)

    assert "line 3 " in str(excinfo.value)
    assert str(tmp_path) in str(excinfo.value)
    assert damaged == (tmp_path / LOG_NAME).read_bytes()
    assert before == sorted(p.name for p in tmp_path.iterdir())


@pytest.mark.parametrize(
    ("seqs", "bad_line"),
    [([0, 2, 3], 3), ([0, 1, 1], 4), ([1], 2), ([0, True], 3)],
)
def test_seq_gap_or_disorder_raises(tmp_path: Path, seqs: list[int], bad_line: int) -> None:
    header = {"format": FORMAT, "version": FORMAT_VERSION, "created": "x"}
    lines = [json.dumps(header)] + [json.dumps({"seq": s, "type": "t"}) for s in seqs]
    (tmp_path / LOG_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(StoreCorruptedError) as excinfo:
        read_log(tmp_path)

    assert f"line {bad_line} " in str(excinfo.value)


def test_read_log_reports_damage_but_changes_nothing(tmp_path: Path) -> None:
    damaged = _write_log(tmp_path, 2) + b'{"seq":2,"ty'
    (tmp_path / LOG_NAME).write_bytes(damaged)
    before = sorted(p.name for p in tmp_path.iterdir())

    contents = read_log(tmp_path)

    assert contents.damage is not None
    assert 4 == contents.damage.line_number
    assert contents.damage.saved_to is None
    assert "left in place" in contents.damage.describe()
    assert 2 == len(contents.events)
    assert damaged == (tmp_path / LOG_NAME).read_bytes()
    assert before == sorted(p.name for p in tmp_path.iterdir())


@pytest.mark.parametrize("content", [b"", b'{"format":"jupyter_al.ev', b"[1]\n"])
def test_damaged_header_raises(tmp_path: Path, content: bytes) -> None:
    (tmp_path / LOG_NAME).write_bytes(content)

    with pytest.raises(StoreCorruptedError, match="line 1 "):
        EventLog(tmp_path, create=False)

    assert content == (tmp_path / LOG_NAME).read_bytes()


# -- versioning -----------------------------------------------------------------------------


def test_newer_version_raises_with_both_versions(tmp_path: Path) -> None:
    header = {"format": FORMAT, "version": FORMAT_VERSION + 1, "created": "x"}
    (tmp_path / LOG_NAME).write_text(json.dumps(header) + "\n", encoding="utf-8")

    with pytest.raises(StoreError) as excinfo:
        EventLog(tmp_path, create=False)

    assert f"version {FORMAT_VERSION + 1}" in str(excinfo.value)
    assert f"version {FORMAT_VERSION}" in str(excinfo.value)


def test_unknown_format_raises(tmp_path: Path) -> None:
    (tmp_path / LOG_NAME).write_text('{"format":"other","version":1}\n', encoding="utf-8")

    with pytest.raises(StoreError, match="'other'") as excinfo:
        read_log(tmp_path)

    assert FORMAT in str(excinfo.value)


# -- locking and creation -------------------------------------------------------------------


def test_second_log_in_same_process_is_locked(tmp_path: Path) -> None:
    with EventLog(tmp_path, create=True) as log:
        log.append({"type": "a"})
        with pytest.raises(RunLockedError) as excinfo:
            EventLog(tmp_path, create=False)
        with pytest.raises(RunLockedError):
            EventLog(tmp_path, create=True)
        seq = log.append({"type": "b"})

    with EventLog(tmp_path, create=False) as reopened:
        n_events = len(reopened.contents.events)

    assert str(tmp_path) in str(excinfo.value)
    assert f"pid {os.getpid()} - this process" in str(excinfo.value)
    assert 1 == seq
    assert 2 == n_events
    assert "" == (tmp_path / LOCK_NAME).read_text(encoding="utf-8")


def test_log_held_by_another_process_is_locked(tmp_path: Path) -> None:
    with _popen_helper(tmp_path, "hold") as proc:
        assert proc.stdout is not None
        assert proc.stdin is not None
        try:
            assert "locked\n" == proc.stdout.readline()
            with pytest.raises(RunLockedError) as excinfo:
                EventLog(tmp_path, create=False)
        finally:
            proc.stdin.close()
            proc.wait(timeout=30)

    with EventLog(tmp_path, create=False) as log:
        closed_before = log.closed

    assert str(tmp_path) in str(excinfo.value)
    assert f"pid {proc.pid} on host" in str(excinfo.value)
    assert 0 == proc.returncode
    assert not closed_before


def test_create_on_a_folder_with_events_raises_session_exists(tmp_path: Path) -> None:
    content = _write_log(tmp_path, 1)

    with pytest.raises(SessionExistsError) as excinfo:
        EventLog(tmp_path, create=True)

    assert str(tmp_path) in str(excinfo.value)
    assert "Session.resume" in str(excinfo.value)
    assert content == (tmp_path / LOG_NAME).read_bytes()


def test_create_on_a_header_only_log_starts_over(tmp_path: Path) -> None:
    _write_log(tmp_path, 0)

    with EventLog(tmp_path, create=True, header_extra={"again": True}) as log:
        header = log.contents.header

    assert header["again"]
    assert header == read_log(tmp_path).header


def test_create_in_an_existing_empty_folder(tmp_path: Path) -> None:
    with EventLog(tmp_path, create=True) as log:
        seq = log.append({"type": "a"})

    assert 0 == seq


def test_open_without_a_log_raises_and_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=LOG_NAME) as excinfo:
        EventLog(tmp_path, create=False)
    with pytest.raises(StoreError):
        EventLog(tmp_path / "missing", create=False)
    with pytest.raises(StoreError):
        read_log(tmp_path)

    assert str(tmp_path / LOG_NAME) in str(excinfo.value)
    assert [] == list(tmp_path.iterdir())


def test_create_where_a_file_is_raises_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")

    with pytest.raises(StoreError, match="cannot create run folder"):
        EventLog(tmp_path / "file", create=True)


@pytest.mark.parametrize(
    ("header_extra", "error"),
    [({"version": 2}, ValueError), ({"x": math.inf}, ValueError), ({"x": {1, 2}}, TypeError)],
)
def test_bad_header_extra_raises_and_writes_nothing(
    tmp_path: Path, header_extra: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error, match="header_extra"):
        EventLog(tmp_path / "run", create=True, header_extra=header_extra)

    assert not (tmp_path / "run").exists()


def test_header_extra_needs_create(tmp_path: Path) -> None:
    _write_log(tmp_path, 0)

    with pytest.raises(ValueError, match="create=True"):
        EventLog(tmp_path, create=False, header_extra={"x": 1})


# -- bad input and failed writes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "error", "match"),
    [
        ({"p": math.nan}, ValueError, "NaN"),
        ({"p": [1.0, -math.inf]}, ValueError, "NaN"),
        ({"when": object()}, TypeError, "not valid JSON"),
        ({"s": "\ud800"}, ValueError, "not valid JSON"),
        ({"seq": 5}, ValueError, "'seq'"),
    ],
)
def test_bad_event_raises_and_file_is_unchanged(
    tmp_path: Path, event: dict[str, Any], error: type[Exception], match: str
) -> None:
    with EventLog(tmp_path, create=True) as log:
        log.append({"type": "ok"})
        before = log.path.read_bytes()
        with pytest.raises(error, match=match):
            log.append(event)
        with pytest.raises(error, match=match):
            log.append_many([{"type": "fine"}, event])
        after = log.path.read_bytes()
        seq = log.append({"type": "still ok"})

    assert before == after
    assert 1 == seq
    assert [0, 1] == [e["seq"] for e in read_log(tmp_path).events]


def test_failed_fsync_rolls_back_and_closes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync
    calls: list[int] = []

    def fsync_fails_once(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 1:
            raise OSError(5, "Input/output error")
        real_fsync(fd)

    with EventLog(tmp_path, create=True) as log:
        log.append({"type": "ok"})
        before = log.path.read_bytes()
        monkeypatch.setattr(os, "fsync", fsync_fails_once)
        with pytest.raises(StoreError, match="Input/output error"):
            log.append({"type": "lost"})
        monkeypatch.undo()
        closed = log.closed
        with pytest.raises(StoreError, match="closed"):
            log.append({"type": "after"})

    assert closed
    assert before == (tmp_path / LOG_NAME).read_bytes()
    with EventLog(tmp_path, create=False) as reopened:
        assert reopened.contents.damage is None
        assert 1 == reopened.next_seq


def test_close_is_idempotent_and_append_after_close_raises(tmp_path: Path) -> None:
    log = EventLog(tmp_path, create=True)
    log.close()
    log.close()

    with pytest.raises(StoreError, match="closed"):
        log.append({"type": "a"})
    with pytest.raises(StoreError, match="closed"):
        log.append_many([{"type": "a"}])
    assert log.closed
    assert "closed" in repr(log)


def test_unclosed_log_warns_and_releases_the_lock(tmp_path: Path) -> None:
    logs = [EventLog(tmp_path, create=True)]

    with pytest.warns(ResourceWarning, match="unclosed"):
        logs.clear()  # the last reference: CPython finalizes the log right here

    with EventLog(tmp_path, create=False) as reopened:
        assert not reopened.closed


# -- small parts ----------------------------------------------------------------------------


def test_damage_describe() -> None:
    saved = Damage(12, 40, "invalid JSON: x", Path("/runs/a/events.damaged-1.jsonl"))
    kept = Damage(12, 40, "invalid JSON: x", None)

    expected_saved = (
        "Line 12 of events.jsonl (40 bytes) is damaged: invalid JSON: x; it was copied to "
        "/runs/a/events.damaged-1.jsonl and removed from the log."
    )
    assert expected_saved == saved.describe()
    expected_kept = (
        "Line 12 of events.jsonl (40 bytes) is damaged: invalid JSON: x; "
        "it was left in place (read only)."
    )
    assert expected_kept == kept.describe()


def test_write_atomic_replaces_content_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "results.tsv"
    write_atomic(target, "round\tf1\n0\t0.5\n")
    target.chmod(0o640)

    write_atomic(target, "round\tf1\n0\t0.5\n1\t0.75 ü\n")

    assert "round\tf1\n0\t0.5\n1\t0.75 ü\n" == target.read_text(encoding="utf-8")
    assert ["results.tsv"] == [p.name for p in tmp_path.iterdir()]
    assert 0o640 == target.stat().st_mode & 0o777


def test_write_atomic_new_file_is_readable_by_others(tmp_path: Path) -> None:
    write_atomic(tmp_path / "notes.md", "# notes\n")

    assert 0o644 == (tmp_path / "notes.md").stat().st_mode & 0o777


def test_write_atomic_failure_leaves_old_content_and_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "results.tsv"
    write_atomic(target, "old\n")

    def fsync_fails(fd: int) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", fsync_fails)
        with pytest.raises(OSError, match="No space left"):
            write_atomic(target, "new\n")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "bad \ud800")
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "missing" / "x.tsv", "x")

    assert "old\n" == target.read_text(encoding="utf-8")
    assert ["results.tsv"] == [p.name for p in tmp_path.iterdir()]
