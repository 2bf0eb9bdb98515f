"""How much does a durable label acknowledgement cost over a bare fsync'd append?

Each repetition runs every arm once, in a rotated order, each in a fresh folder:

* ``EventLog.append``: encode the event (with its seq) as one JSON line, ``os.write`` it on an
  ``O_APPEND`` descriptor, ``os.fsync``;
* ``bare write+fsync``: ``os.write`` + ``os.fsync`` of the very same bytes (pre-encoded).

Target: ``EventLog.append`` within 2x of the bare append (median of per-repetition ratios of
the per-append medians). The folders live in a temporary directory under ``--dir`` (default:
the current directory), so put it on the file system the run folders will use: ``fsync`` cost
depends on it entirely.

Usage::

    python benchmarks/bench_label_ack.py [--n 300] [--reps 5] [--warmup 5] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

try:
    from jupyter_al._store import EventLog
except ModuleNotFoundError:  # a checkout without `pip install -e .`: import it from here
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from jupyter_al._store import EventLog

if TYPE_CHECKING:
    from collections.abc import Callable

#: A realistic "labeled" event, as Session.label would log it.
EVENT = {
    "type": "labeled",
    "round": 3,
    "item_id": 1234,
    "label": "spam",
    "annotator": "alice",
    "source": "widget",
    "ts": "2026-11-24T08:00:00.123456+00:00",
}
TARGET_RATIO = 2.0
BASELINE = "bare write+fsync"


def event_line(seq: int) -> bytes:
    """The bytes EventLog.append writes for EVENT at ``seq`` (what the bare arm writes)."""
    text = json.dumps(
        {"seq": seq, **EVENT}, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
    return (text + "\n").encode("utf-8")


@dataclass(frozen=True)
class Arm:
    """One way of acknowledging a label: ``run(folder, n, warmup)`` -> seconds per append."""

    name: str
    run: Callable[[Path, int, int], list[float]]


def arm_event_log(folder: Path, n: int, warmup: int) -> list[float]:
    times: list[float] = []
    clock = time.perf_counter_ns
    with EventLog(folder, create=True) as log:
        for _ in range(warmup):
            log.append(EVENT)
        for _ in range(n):
            start = clock()
            log.append(EVENT)
            times.append((clock() - start) / 1e9)
    return times


def arm_bare(folder: Path, n: int, warmup: int) -> list[float]:
    folder.mkdir()
    lines = [event_line(seq) for seq in range(warmup + n)]
    times: list[float] = []
    clock = time.perf_counter_ns
    fd = os.open(folder / "bare.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        # Same starting point as the log: a header line on disk, the directory entry durable.
        os.write(fd, b'{"format":"bare","version":1}\n')
        os.fsync(fd)
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        os.fsync(dir_fd)
        os.close(dir_fd)
        for line in lines[:warmup]:
            os.write(fd, line)
            os.fsync(fd)
        for line in lines[warmup:]:
            start = clock()
            os.write(fd, line)
            os.fsync(fd)
            times.append((clock() - start) / 1e9)
    finally:
        os.close(fd)
    return times


# HOOK(lead): the third arm, timing Session.label(), goes in this list once Session exists.
# Write it with the signature of `arm_event_log`: build a Session in `folder` and select a
# batch (untimed), then time each `session.label(item_id, label)` call, and add
# `Arm("Session.label", arm_session_label)` below. Every arm other than BASELINE gets a ratio
# against BASELINE in the report.
ARMS: list[Arm] = [
    Arm("EventLog.append", arm_event_log),
    Arm(BASELINE, arm_bare),
]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="timed appends per arm and rep")
    parser.add_argument("--reps", type=int, default=5, help="repetitions (>= 5 recommended)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed appends before timing")
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path.cwd(),
        help="where to make the temporary folder (default: the current directory)",
    )
    args = parser.parse_args(argv)

    print("$", shlex.join(sys.orig_argv))
    print(f"python {platform.python_version()} on {platform.platform()}")
    samples: dict[str, list[float]] = {arm.name: [] for arm in ARMS}
    rep_medians: dict[str, list[float]] = {arm.name: [] for arm in ARMS}
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench_label_ack-") as tmp:
        print(f"folder: {tmp}")
        print(f"{args.reps} reps x {args.n} appends per arm, order rotated every rep")
        for rep in range(args.reps):
            shift = rep % len(ARMS)
            for arm in ARMS[shift:] + ARMS[:shift]:
                times = arm.run(Path(tmp) / f"rep{rep}-{ARMS.index(arm)}", args.n, args.warmup)
                samples[arm.name] += times
                rep_medians[arm.name].append(statistics.median(times))

    print()
    print(f"{'arm':<24} {'median ms':>10} {'p95 ms':>10} {'ratio':>8}  (vs {BASELINE})")
    baseline = rep_medians[BASELINE]
    for arm in ARMS:
        values = samples[arm.name]
        ratios = [ours / bare for ours, bare in zip(rep_medians[arm.name], baseline, strict=True)]
        print(
            f"{arm.name:<24} {statistics.median(values) * 1e3:>10.4f} "
            f"{p95(values) * 1e3:>10.4f} {statistics.median(ratios):>7.2f}x"
        )
    for arm in ARMS:
        if arm.name == BASELINE:
            continue
        ratios = [ours / bare for ours, bare in zip(rep_medians[arm.name], baseline, strict=True)]
        ratio = statistics.median(ratios)
        verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
        print(
            f"\n{arm.name}: median of per-rep ratios {ratio:.2f}x "
            f"(per rep: {', '.join(f'{r:.2f}' for r in ratios)}); "
            f"target within {TARGET_RATIO:g}x: {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
