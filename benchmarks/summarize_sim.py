"""Markdown tables of the label-efficiency runs written by ``benchmarks/simulate_shared.sh``.

Reads ``<root>/<dataset>/summary.tsv`` (what ``jupyter-al simulate`` writes: one row per
strategy and seed) for sms_spam, banking77 and nlupp, and prints per dataset and strategy:

* AULC: mean ± sd over seeds of the normalised area under the learning curve (the mean
  held-out metric while labeling, ``jupyter_al.metrics.area_under_curve``);
* the mean final metric (after the last round);
* the median over seeds of the labels needed to reach 95% of the full-data score, a seed that
  never reaches it counting as infinitely many ("not reached" when the median is), with how
  many seeds reached it;
* the full-data score (a model fitted on the whole pool; mean over seeds, each seed has its
  own held-out split);
* the AULC difference with random, paired by seed: in how many seeds the strategy beats
  random, the mean ± sd of the paired differences, and the exact two-sided sign-flip
  (permutation) p-value of that mean. With 5 seeds the smallest possible p is 2/32 = 0.0625.

Run: ``python benchmarks/summarize_sim.py [--root benchmarks/out]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATASETS = ("sms_spam", "banking77", "nlupp")
BASELINE = "random"


def run_info(folder: Path) -> tuple[str, str]:
    """Return (task, metric name) as logged by the first run found under ``folder``."""
    for config in sorted(folder.glob("*/seed*/config.json")):
        task = json.loads(config.read_text(encoding="utf-8"))["config"]["task"]
        results = pd.read_csv(config.parent / "results.tsv", sep="\t")
        if len(results):
            return task, str(results["metric"].iloc[0])
    return "?", "?"


def sign_flip_p(diffs: np.ndarray) -> float:
    """Exact two-sided p-value of the mean paired difference under random sign flips."""
    n = len(diffs)
    if n == 0:
        return math.nan
    observed = abs(diffs.mean())
    flips = np.array(list(itertools.product((1.0, -1.0), repeat=n)))
    means = np.abs(flips @ diffs) / n
    return float(np.mean(means >= observed - 1e-12))


def fmt(x: float, digits: int = 4) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def labels_to_95(values: pd.Series) -> str:
    v = values.to_numpy(dtype=np.float64)
    reached = int(np.isfinite(v).sum())
    med = float(np.median(np.where(np.isfinite(v), v, np.inf)))
    shown = "not reached" if not np.isfinite(med) else f"{med:g}"
    return f"{shown} ({reached}/{len(v)} seeds)"


def table(summary: pd.DataFrame) -> tuple[list[str], pd.Series]:
    """Return the markdown lines of one dataset and the mean AULC per strategy."""
    strategies = list(dict.fromkeys(summary["strategy"]))
    base = summary[summary["strategy"] == BASELINE].set_index("seed")["aulc"]
    header = (
        "| strategy | AULC mean ± sd | final mean | labels to 95% full (median) | "
        "full-data score | ΔAULC vs random: wins | ΔAULC mean ± sd | p (sign-flip) |"
    )
    lines = [header, "|---|---|---|---|---|---|---|---|"]
    means: dict[str, float] = {}
    for name in strategies:
        rows = summary[summary["strategy"] == name].sort_values("seed")
        aulc = rows["aulc"].to_numpy(dtype=np.float64)
        means[name] = float(aulc.mean())
        full = rows["full_data_metric"].to_numpy(dtype=np.float64)
        full_text = f"{fmt(full.mean())} ± {fmt(full.std(ddof=1) if len(full) > 1 else math.nan)}"
        if name == BASELINE or base.empty:
            wins = diff_text = p_text = "—"
        else:
            paired = rows.set_index("seed")["aulc"].align(base, join="inner")
            d = (paired[0] - paired[1]).to_numpy(dtype=np.float64)
            wins = f"{int((d > 0).sum())}/{len(d)}"
            sd = d.std(ddof=1) if len(d) > 1 else math.nan
            diff_text = f"{d.mean():+.4f} ± {fmt(sd)}"
            p_text = fmt(sign_flip_p(d), 3)
        sd_aulc = aulc.std(ddof=1) if len(aulc) > 1 else math.nan
        lines.append(
            f"| {name} | {fmt(aulc.mean())} ± {fmt(sd_aulc)} | "
            f"{fmt(float(rows['final_metric'].mean()))} | "
            f"{labels_to_95(rows['labels_to_95pct_full'])} | {full_text} | "
            f"{wins} | {diff_text} | {p_text} |"
        )
    return lines, pd.Series(means)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--root", type=Path, default=HERE / "out")
    p.add_argument("--datasets", nargs="+", default=list(DATASETS))
    args = p.parse_args()
    missing = 0
    for name in args.datasets:
        path = args.root / name / "summary.tsv"
        if not path.is_file():
            print(f"### {name}\n\nmissing: {path}\n")
            missing += 1
            continue
        summary = pd.read_csv(path, sep="\t")
        task, metric = run_info(args.root / name)
        seeds = sorted(summary["seed"].unique().tolist())
        n_labels = sorted(summary["n_labels"].unique().tolist())
        n_rounds = sorted(summary["n_rounds"].unique().tolist())
        print(f"### {name}\n")
        print(
            f"{task}, metric {metric}; seeds {seeds}; {'/'.join(map(str, n_rounds))} rounds, "
            f"{'/'.join(map(str, n_labels))} labels per run; AULC = mean {metric} over the "
            "label range (rounds 1..end)\n"
        )
        lines, means = table(summary)
        print("\n".join(lines))
        top = means.max()
        best = [s for s, m in means.items() if m == top]  # binary: 3 uncertainty scores tie
        tie = " (identical runs)" if len(best) > 1 else ""
        print(f"\nbest mean AULC on {name}: **{', '.join(best)}** ({top:.4f}){tie}\n")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
