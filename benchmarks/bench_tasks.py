"""Every task type through ``jupyter-al simulate`` on its shared dataset, 3 seeds.

For each task: ``jupyter-al dataset <name>`` writes the labeled table, ``jupyter-al simulate``
runs random and the task's uncertainty strategies with seeds 0, 1, 2, and this script prints
the area under the learning curve (mean ± sd over seeds) and the wins against random per
seed (for RMSE a lower area is better). The table goes in docs/benchmarks.md.

Usage::

    .venv/bin/python benchmarks/bench_tasks.py [--out /tmp/bench-tasks] [--only cisi,...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from jupyter_al.cli import main as cli

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

#: The extraction strategies, random first.
SEQUENCE = [
    "random",
    "sequence_least_confidence",
    "normalized_least_confidence",
    "token_entropy_mean",
    "token_entropy_max",
]
#: name -> (dataset folder or None, simulate options, strategies, lower is better)
RUNS: dict[str, tuple[str | None, list[str], list[str], bool]] = {
    "restaurant8k": (
        "restaurant8k",
        ["--rounds", "15", "--batch-size", "10"],
        SEQUENCE,
        False,
    ),
    "nlupp": (
        "nlupp",
        ["--rounds", "15", "--batch-size", "10"],
        SEQUENCE,
        False,
    ),
    "cisi": (
        "cisi",
        ["--rounds", "15", "--batch-size", "20"],
        ["random", "grade_uncertainty", "topk_disagreement"],
        False,
    ),
    "diabetes": (
        None,
        ["--rounds", "15", "--batch-size", "5"],
        ["random", "regression_spread"],
        True,
    ),
}


def _how(table: Path, name: str, folder: str | None) -> list[str]:
    """Return the simulate options ``jupyter-al dataset`` printed for this table."""
    from jupyter_al._datasets import DATASETS

    _, how = DATASETS[name](str(DATA / folder) if folder else None)
    return [str(table), *how.split()]


def main() -> None:
    """Run every task and print the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="/tmp/bench-tasks")
    p.add_argument("--only", default=",".join(RUNS))
    args = p.parse_args()
    out = Path(args.out)
    rows = []
    for name in args.only.split(","):
        folder, opts, strategies, lower = RUNS[name]
        table = out / f"{name}.csv"
        ds_args = ["dataset", name, *([str(DATA / folder)] if folder else []), "--out", str(table)]
        assert cli(ds_args) == 0
        t0 = time.perf_counter()
        sim = out / f"sim-{name}"
        argv = ["simulate", *_how(table, name, folder), *opts, "--guards", "off"]
        argv += ["--strategy", ",".join(strategies), "--seeds", "0,1,2", "--out", str(sim)]
        assert cli(argv) == 0
        summary = pd.read_csv(sim / "summary.tsv", sep="\t")
        base = summary[summary["strategy"] == "random"].set_index("seed")["aulc"]
        for strategy, group in summary.groupby("strategy", sort=False):
            aulc = group.set_index("seed")["aulc"]
            better = aulc < base if lower else aulc > base
            rows.append(
                {
                    "dataset": name,
                    "strategy": strategy,
                    "aulc": f"{aulc.mean():.4f} ± {aulc.std():.4f}",
                    "final": round(float(group["final_metric"].mean()), 4),
                    "wins_vs_random": "-" if strategy == "random" else f"{int(better.sum())}/3",
                    "seconds": round(time.perf_counter() - t0, 1),
                }
            )
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
