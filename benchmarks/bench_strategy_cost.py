"""Selection cost of each strategy on a large text pool (the strategy call alone).

A 100k-text pool is built from BANKING77 utterances with 15% word dropout (as in
bench_cycle.py), TF-IDF (1-2 grams) as features and vectors, 77 classes with Dirichlet
probabilities, L labeled rows, batch b. Each strategy is called through the public contract
(``get_strategy(name).func(Candidates(...), b, rng)``) in rotated order; medians are printed
with the ratio to plain ``margin`` measured in the same repetitions.

usage: python benchmarks/bench_strategy_cost.py [--size 100000] [--labeled 1000] [--batch 50]
       [--reps 5] [--strategies margin,margin_density,...]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _common import ROOT, header, rotated
from sklearn.feature_extraction.text import TfidfVectorizer

from jupyter_al.strategies import Candidates, get_strategy

DEFAULT = "margin,margin_kcenter,margin_density,margin_density_kmeanspp,margin_density_kmeans,badge"


def pool_texts(n: int, seed: int) -> list[str]:
    """Return n BANKING77 utterances with word dropout (prepare_data.py writes the file)."""
    path = ROOT / "benchmarks" / "out" / "data" / "banking77_train_test.csv"
    if not path.exists():
        raise SystemExit(f"{path} is missing: run python benchmarks/prepare_data.py first")
    base = pd.read_csv(path)["text"].astype(str).tolist()
    rng = np.random.default_rng(seed)
    out: list[str] = []
    while len(out) < n:
        for t in base:
            words = t.split()
            kept = [w for w in words if rng.random() > 0.15] or words
            out.append(" ".join(kept))
            if len(out) == n:
                break
    return out


def main() -> None:
    """Print the median time of each strategy and its ratio to margin."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=100_000)
    p.add_argument("--labeled", type=int, default=1_000)
    p.add_argument("--batch", type=int, default=50)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--strategies", default=DEFAULT)
    args = p.parse_args()
    header("selection cost per strategy")
    X = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(
        pool_texts(args.size, 0)
    )
    X = X.astype(np.float32).tocsr()
    rng = np.random.default_rng(0)
    classes = tuple(f"c{i}" for i in range(77))
    P = rng.dirichlet(np.full(77, 0.3), size=X.shape[0]).astype(np.float32)
    L, U, PU = X[: args.labeled], X[args.labeled :], P[args.labeled :]
    names = [s.strip() for s in args.strategies.split(",") if s.strip()]
    cands = {}
    for name in names:
        info = get_strategy(name, "classification")
        cands[name] = Candidates(
            "classification",
            classes,
            PU,
            X=U,
            X_labeled=L,
            vectors=U if info.needs_vectors else None,
            vectors_labeled=L if info.needs_vectors else None,
        )
    times: dict[str, list[float]] = {n: [] for n in names}
    for rep in range(args.reps + 1):  # the first repetition warms up, untimed
        for name in rotated(names, rep):
            t0 = time.perf_counter()
            get_strategy(name, "classification").func(
                cands[name], args.batch, np.random.default_rng(rep)
            )
            if rep:
                times[name].append(time.perf_counter() - t0)
    base = np.array(times.get("margin") or times[names[0]])
    print(
        f"\npool {U.shape[0]:,} candidates x {X.shape[1]:,} TF-IDF columns, 77 classes, "
        f"L={args.labeled:,}, b={args.batch}, {args.reps} repetitions\n"
    )
    print("| strategy | median | x margin (median of per-repetition ratios) |")
    print("|---|---|---|")
    for name in names:
        t = np.array(times[name])
        print(f"| {name} | {1000 * np.median(t):.0f} ms | {np.median(t / base):.1f} |")


if __name__ == "__main__":
    main()
