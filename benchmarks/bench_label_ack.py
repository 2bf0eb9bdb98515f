"""How much does a durable label acknowledgement cost over a bare fsync'd append?

Every arm writes to its own fresh folder in each repetition. By default the arms are
interleaved call by call (call i runs every arm once, in an order rotated by i), because the
latency of ``fsync`` here switches between regimes (about 0.2 ms and 3-4 ms, for seconds at a
time, with other processes' I/O): timing each arm's 300 calls in a row lets one arm catch the
slow regime and another the fast one. ``--mode blocks`` times each arm's calls in a row (arms in
an order rotated per repetition). Arms:

* ``EventLog.append``: encode the event (with its seq) as one JSON line, ``os.write`` it on an
  ``O_APPEND`` descriptor, ``os.fsync``;
* ``Session.label``: the public call behind a label click, on a real ``Session`` (a small
  synthetic text pool, its run folder in the same temporary directory): validate the item and
  the label, build the ``Labeled`` event, ``EventLog.append`` it, fold it into the state. The
  session and its first batch are made untimed; the timed calls label the open batch's items
  over and over (relabeling is allowed), so every call does the same work;
* ``bare write+fsync``: ``os.write`` + ``os.fsync`` of the very same bytes (pre-encoded).

Target: ``EventLog.append`` and ``Session.label`` each within 2x of the bare append (median of
per-repetition ratios of the per-append medians). The folders live in a temporary directory
under ``--dir`` (default: the current directory), so put it on the file system the run folders
will use: ``fsync`` cost depends on it entirely.

Usage::

    python benchmarks/bench_label_ack.py [--n 300] [--reps 5] [--warmup 5] [--dir DIR]
                                         [--mode interleaved|blocks]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import header, load_line

try:
    from jupyter_al import Session
    from jupyter_al._store import EventLog
except ModuleNotFoundError:  # a checkout without `pip install -e .`: import it from here
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from jupyter_al import Session
    from jupyter_al._store import EventLog

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

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
    """One way of acknowledging a label.

    ``open(folder, total)`` is a context manager that sets the arm up in ``folder`` (untimed)
    and yields ``step``: one call acknowledges one label (``total`` bounds the calls).
    """

    name: str
    open: Callable[[Path, int], AbstractContextManager[Callable[[], object]]]


@contextmanager
def open_event_log(folder: Path, total: int) -> Iterator[Callable[[], object]]:
    with EventLog(folder, create=True) as log:
        yield lambda: log.append(EVENT)


@contextmanager
def open_bare(folder: Path, total: int) -> Iterator[Callable[[], object]]:
    folder.mkdir()
    lines = iter([event_line(seq) for seq in range(total)])
    fd = os.open(folder / "bare.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        # Same starting point as the log: a header line on disk, the directory entry durable.
        os.write(fd, b'{"format":"bare","version":1}\n')
        os.fsync(fd)
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        os.fsync(dir_fd)
        os.close(dir_fd)

        def step() -> None:
            os.write(fd, next(lines))
            os.fsync(fd)

        yield step
    finally:
        os.close(fd)


def small_text_pool(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """A small two-class text pool: short messages drawn from two overlapping vocabularies."""
    rng = np.random.default_rng(seed)
    words = {
        "spam": ["win", "free", "prize", "cash", "claim", "now", "offer", "call", "urgent"],
        "ham": ["see", "you", "later", "home", "dinner", "tonight", "call", "thanks", "soon"],
    }
    rows = []
    for i in range(n):
        label = "spam" if i % 3 == 0 else "ham"
        own = rng.choice(words[label], size=int(rng.integers(4, 12)))
        other = rng.choice(words["ham" if label == "spam" else "spam"], size=2)
        rows.append({"text": " ".join([*own, *other]), "gold": label})
    return pd.DataFrame(rows)


@contextmanager
def open_session_label(folder: Path, total: int) -> Iterator[Callable[[], object]]:
    frame = small_text_pool()
    with Session(
        frame, text="text", labels=["spam", "ham"], batch_size=10, store=folder, random_state=0
    ) as session:
        items = list(session.next_batch().index)  # untimed: the cold-start batch
        # label the open batch's items over and over (relabeling is allowed)
        calls = itertools.cycle([(item, frame.loc[item, "gold"]) for item in items])

        def step() -> None:
            item, label = next(calls)
            session.label(item, label)

        yield step


# Every arm other than BASELINE gets a ratio against BASELINE in the report.
ARMS: list[Arm] = [
    Arm("EventLog.append", open_event_log),
    Arm("Session.label", open_session_label),
    Arm(BASELINE, open_bare),
]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def run_blocks(tmp: Path, rep: int, n: int, warmup: int) -> dict[str, list[float]]:
    """One repetition: each arm does its ``n`` timed appends in a row (arms in rotated order)."""
    times: dict[str, list[float]] = {}
    clock = time.perf_counter_ns
    shift = rep % len(ARMS)
    for arm in ARMS[shift:] + ARMS[:shift]:
        with arm.open(tmp / f"rep{rep}-{ARMS.index(arm)}", warmup + n) as step:
            for _ in range(warmup):
                step()
            out = times[arm.name] = []
            for _ in range(n):
                start = clock()
                step()
                out.append((clock() - start) / 1e9)
    return times


def run_interleaved(tmp: Path, rep: int, n: int, warmup: int) -> dict[str, list[float]]:
    """One repetition: all arms open at once; call i runs every arm once, order rotated by i."""
    times: dict[str, list[float]] = {arm.name: [] for arm in ARMS}
    clock = time.perf_counter_ns
    with ExitStack() as stack:
        steps = [
            (arm.name, stack.enter_context(arm.open(tmp / f"rep{rep}-{i}", warmup + n)))
            for i, arm in enumerate(ARMS)
        ]
        for i in range(warmup + n):
            shift = i % len(steps)
            for name, step in steps[shift:] + steps[:shift]:
                start = clock()
                step()
                elapsed = (clock() - start) / 1e9
                if i >= warmup:
                    times[name].append(elapsed)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="timed appends per arm and rep")
    parser.add_argument("--reps", type=int, default=5, help="repetitions (>= 5 recommended)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed appends before timing")
    parser.add_argument(
        "--mode",
        choices=("interleaved", "blocks"),
        default="interleaved",
        help="interleave the arms call by call (default), or time each arm's n calls in a row",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path.cwd(),
        help="where to make the temporary folder (default: the current directory)",
    )
    args = parser.parse_args(argv)

    header("bench_label_ack: durable label acknowledgement vs a bare fsync'd append")
    run = run_interleaved if args.mode == "interleaved" else run_blocks
    samples: dict[str, list[float]] = {arm.name: [] for arm in ARMS}
    rep_medians: dict[str, list[float]] = {arm.name: [] for arm in ARMS}
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench_label_ack-") as tmp:
        print(f"folder: {tmp}")
        print(f"{args.reps} reps x {args.n} appends per arm, mode {args.mode}, order rotated")
        for rep in range(args.reps):
            for name, times in run(Path(tmp), rep, args.n, args.warmup).items():
                samples[name] += times
                rep_medians[name].append(statistics.median(times))

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
    print(load_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
