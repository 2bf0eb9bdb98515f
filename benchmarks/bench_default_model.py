"""Why the default text model is L2 logistic regression with C=10 and balanced class weights.

Simulates random and margin on SMS spam (3 seeds, 15 rounds of 10) for C in {1, 10, 100}
with and without class_weight="balanced", and prints the mean area under the learning curve,
the final macro F1 and the full-data macro F1. Usage:
    .venv/bin/python benchmarks/bench_default_model.py [--data PATH] [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from jupyter_al import compare_strategies
from jupyter_al._data import load_frame
from jupyter_al._model import UsedColumnsLogisticRegression

DEFAULT = Path(__file__).resolve().parents[2] / "shared/data/sms_spam/SMSSpamCollection.tsv"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(DEFAULT))
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args()
    print("command: python " + " ".join(sys.argv))
    frame = load_frame(args.data)
    seeds = [int(s) for s in args.seeds.split(",")]
    print(
        "| C | class_weight | AULC random | AULC margin | final random | final margin | full data |"
    )
    print("|---|---|---|---|---|---|---|")
    for c in (1.0, 10.0, 100.0):
        for cw in (None, "balanced"):
            t0 = time.perf_counter()
            table, _, full = compare_strategies(
                frame,
                oracle="Label",
                text="SMS",
                strategies=["random", "margin"],
                seeds=seeds,
                out=tempfile.mkdtemp(),
                batch_size=10,
                rounds=15,
                holdout=0.25,
                model=UsedColumnsLogisticRegression(C=c, class_weight=cw),
            )
            m = table.groupby("strategy")[["aulc", "final_metric"]].mean()
            print(
                f"| {c:g} | {cw} | {m.loc['random', 'aulc']:.3f} | {m.loc['margin', 'aulc']:.3f} | "
                f"{m.loc['random', 'final_metric']:.3f} | {m.loc['margin', 'final_metric']:.3f} | "
                f"{np.mean(list(full.values())):.3f} |  ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
