r"""The ``jupyter-al`` command: simulate strategies, replay runs, list strategies.

Examples
--------
::

    jupyter-al simulate data.csv --text text --label y --strategy random,margin --seeds 0,1,2 \\
        --holdout-fraction 0.2 --rounds 20 --batch-size 10 --out sim/
    jupyter-al replay sim/ --data data.csv
    jupyter-al dataset restaurant8k ../shared/data/restaurant8k --out r8k.csv
    jupyter-al simulate r8k.csv --text text --label spans --task extraction \
        --labels date,first_name,last_name,people,time --span-overlap nested --out sim-r8k/
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from jupyter_al._config import Budget
from jupyter_al._data import load_frame
from jupyter_al._datasets import DATASETS
from jupyter_al._replay import replay
from jupyter_al._simulate import compare_strategies
from jupyter_al._store import LOG_NAME, write_atomic
from jupyter_al._types import ALL_TASKS
from jupyter_al.exceptions import JupyterALError, ReplayMismatchError
from jupyter_al.plots import compare_curves
from jupyter_al.strategies import DEFAULT_STRATEGY, STRATEGIES

if TYPE_CHECKING:
    from collections.abc import Sequence


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _ints(value: str) -> list[int]:
    try:
        return [int(v) for v in _csv(value)]
    except ValueError:
        msg = f"expected comma-separated integers, got {value!r}"
        raise argparse.ArgumentTypeError(msg) from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jupyter-al", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("simulate", help="run the loop with the true labels as the annotator")
    s.add_argument("data", help="a .csv, .tsv, .parquet or .jsonl file")
    src = s.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="column with the text")
    src.add_argument("--features", type=_csv, help="comma-separated numeric columns")
    s.add_argument("--label", required=True, help="column with the true labels (the oracle)")
    s.add_argument("--task", choices=list(ALL_TASKS), default="classification")
    s.add_argument("--query", help="ranking: the column with each pair's query")
    s.add_argument("--query-id", help="ranking: the column with each pair's query id")
    s.add_argument(
        "--span-overlap",
        choices=["forbid", "nested", "allow"],
        default="forbid",
        help="extraction: how two spans of one text may overlap",
    )
    s.add_argument("--label-sep", default="|", help="separator of several labels (multilabel)")
    s.add_argument("--labels", type=_csv, help="the schema (default: inferred from --label)")
    hold = s.add_mutually_exclusive_group()
    hold.add_argument("--holdout", help="a held-out file with the same columns")
    hold.add_argument("--holdout-fraction", type=float, default=None)
    s.add_argument("--strategy", type=_csv, default=["random", "default"])
    s.add_argument("--batch-size", type=int, default=10)
    s.add_argument("--rounds", type=int, default=20)
    s.add_argument("--max-labels", type=int, default=None)
    s.add_argument("--seeds", type=_ints, default=[0, 1, 2])
    s.add_argument("--metric", default="default")
    s.add_argument(
        "--guards",
        choices=["all", "fast", "off"],
        default="all",
        help="failure-mode guards every round (fast: no cross-validated label check)",
    )
    s.add_argument(
        "--encoder",
        default="tfidf",
        help="representation for diversity/density: tfidf, sentence-transformers:<name or "
        "path>, model2vec:<path>",
    )
    s.add_argument("--out", required=True, help="output folder")

    r = sub.add_parser("replay", help="re-derive a run (or every run under a folder) and compare")
    r.add_argument("store", help="a run folder, or a folder of run folders (a simulate --out)")
    r.add_argument("--data", required=True, help="the data the run(s) were started on")

    st = sub.add_parser("strategies", help="list the registered strategies")
    st.add_argument("--task", choices=list(ALL_TASKS), default=None)

    d = sub.add_parser(
        "dataset", help="write a shared dataset as a labeled table simulate can read"
    )
    d.add_argument("name", choices=list(DATASETS), help=", ".join(DATASETS))
    d.add_argument("path", nargs="?", help="the dataset's folder (not needed for diabetes)")
    d.add_argument("--out", required=True, help="a .csv, .tsv, .parquet or .jsonl file")
    return p


def _simulate(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    holdout: float | str | None
    if args.holdout is not None:
        holdout = args.holdout
    else:
        holdout = args.holdout_fraction if args.holdout_fraction is not None else 0.2
    budget = Budget(max_rounds=args.rounds, max_labels=args.max_labels)
    t0 = time.perf_counter()
    extra = {
        k: v
        for k, v in {
            "query": args.query,
            "query_id": args.query_id,
            "span_overlap": args.span_overlap if args.task == "extraction" else None,
        }.items()
        if v is not None
    }
    summary, curves, full = compare_strategies(
        args.data,
        oracle=args.label,
        strategies=args.strategy,
        seeds=args.seeds,
        out=out,
        progress=lambda msg: print(msg, flush=True),
        text=args.text,
        features=args.features,
        labels=args.labels,
        task=args.task,
        label_sep=args.label_sep,
        holdout=holdout,
        metric=args.metric,
        batch_size=args.batch_size,
        budget=budget,
        guards=args.guards,
        encoder=args.encoder,
        **extra,
    )
    write_atomic(out / "summary.tsv", summary.to_csv(sep="\t", index=False, na_rep="nan"))
    ref = [v for v in full.values() if v is not None]
    fig = compare_curves(
        curves,
        reference=sum(ref) / len(ref) if ref else None,
        title=f"{Path(args.data).name}: {', '.join(args.strategy)} over seeds {args.seeds}",
    )
    fig.write_html(out / "curves.html", include_plotlyjs=True, full_html=True)
    agg = summary.groupby("strategy", sort=False).agg(
        aulc_mean=("aulc", "mean"),
        aulc_sd=("aulc", "std"),
        final_mean=("final_metric", "mean"),
        # a seed that never reached 95% counts as "more than the budget", not as missing
        labels_to_95pct_full=(
            "labels_to_95pct_full",
            lambda v: v.fillna(float("inf")).median(),
        ),
        seconds=("seconds", "sum"),
    )
    agg["labels_to_95pct_full"] = agg["labels_to_95pct_full"].map(
        lambda x: "not reached" if x == float("inf") else f"{x:g}"
    )
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        print(agg.round(4).to_string())
    print(
        f"wrote {out / 'summary.tsv'} and {out / 'curves.html'} in {time.perf_counter() - t0:.1f} s"
    )
    return 0


def _replay(args: argparse.Namespace) -> int:
    root = Path(args.store)
    runs = [root] if (root / LOG_NAME).exists() else sorted(p.parent for p in root.rglob(LOG_NAME))
    if not runs:
        print(f"error: no run folder ({LOG_NAME}) under {root}", file=sys.stderr)
        return 2
    frame = load_frame(args.data, argument="--data")
    failed = 0
    for run in runs:
        try:
            report = replay(run, frame, check=False)
        except ReplayMismatchError as exc:
            print(f"FAIL {run}: {exc}")
            failed += 1
            continue
        print(("ok   " if report.ok else "FAIL ") + str(report))
        failed += 0 if report.ok else 1
    print(f"{len(runs) - failed} of {len(runs)} run(s) reproduced")
    return 0 if failed == 0 else 1


def _strategies(args: argparse.Namespace) -> int:
    for name, info in sorted(STRATEGIES.items()):
        if args.task is not None and args.task not in info.tasks:
            continue
        defaults = [t for t, n in DEFAULT_STRATEGY.items() if n == name]
        mark = f" (default for {', '.join(defaults)})" if defaults else ""
        print(f"{name:20s} {'/'.join(sorted(info.tasks)):28s} {info.summary}{mark}")
    return 0


def _dataset(args: argparse.Namespace) -> int:
    frame, how = DATASETS[args.name](args.path)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        frame.to_parquet(out)
    elif suffix == ".jsonl":
        frame.to_json(out, orient="records", lines=True, force_ascii=False)
    else:
        frame.to_csv(out, sep="\t" if suffix == ".tsv" else ",", index=False)
    print(f"wrote {len(frame):,} rows to {out}; simulate it with:")
    print(f"  jupyter-al simulate {out} {how} --out sim-{args.name}/")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "simulate":
            return _simulate(args)
        if args.command == "replay":
            return _replay(args)
        if args.command == "dataset":
            return _dataset(args)
        return _strategies(args)
    except JupyterALError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
