"""Uncertainty selection speed: our strategies vs one numpy pass and a plain numpy reference.

Everything runs in one process on one seeded probability matrix (float64, rows sum to 1);
each repetition runs every measurement once, in an order rotated per repetition, and the
ratios are medians of per-repetition ratios (robust to the machine's load drifting).

* "numpy pass": ``P.max(axis=1)``, the plain numpy reduction over the matrix;
* "read once": ``P.sum()``, about the time to read the matrix once (memory bandwidth);
* "ours": ``get_strategy(name, "classification").func(Candidates(...), k, rng)``, the whole
  selection including the reason sentences;
* "reference": the textbook numpy code (``1 - P.max(1)``, per-row ``np.partition`` margin,
  ``P log P`` entropy, ``argpartition`` top-k).

Also reports the cold-start seed (``diverse_seed``) on a TF-IDF-like sparse pool.

Run: ``python benchmarks/bench_select.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import functools
import shlex
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

try:
    from jupyter_al.strategies import Candidates, get_strategy
except ModuleNotFoundError:  # a checkout without `pip install -e .`: import it from here
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from jupyter_al.strategies import Candidates, get_strategy

if TYPE_CHECKING:
    from collections.abc import Callable

METHODS = ("least_confidence", "margin", "entropy")


# ---------------------------------------------------------------- plain numpy reference


def ref_scores(name: str, P: np.ndarray) -> np.ndarray:
    if name == "least_confidence":
        return 1.0 - P.max(axis=1)
    if name == "margin":
        c = P.shape[1]
        part = np.partition(P, c - 2, axis=1)
        return 1.0 - (part[:, c - 1] - part[:, c - 2])
    logs = np.log(P, where=P > 0, out=np.zeros_like(P))
    return -(P * logs).sum(axis=1)


def ref_select(name: str, P: np.ndarray, k: int) -> np.ndarray:
    s = ref_scores(name, P)
    idx = np.argpartition(-s, k - 1)[:k]
    return idx[np.argsort(-s[idx], kind="stable")]


# ------------------------------------------------------------------------------ timing


def measure(cases: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Seconds per case per repetition; the order of the cases rotates every repetition."""
    names = list(cases)
    for name in names:  # warm-up: imports, page faults, caches
        cases[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(repeats):
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            t0 = time.perf_counter()
            cases[name]()
            times[name].append(time.perf_counter() - t0)
    return times


def med_ms(ts: list[float]) -> float:
    return 1e3 * statistics.median(ts)


def med_ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def tfidf_like(n: int, n_features: int, topics: int, nnz: int, seed: int) -> sp.csr_matrix:
    """Rows L2-normalised, 70% of each row's words from its topic's 2,000-word vocabulary."""
    rng = np.random.default_rng(seed)
    vocab = np.stack([rng.choice(n_features, 2000, replace=False) for _ in range(topics)])
    z = rng.integers(topics, size=n)
    rows = np.repeat(np.arange(n), nnz)
    topical = vocab[np.repeat(z, nnz), rng.integers(2000, size=n * nnz)]
    noise = rng.integers(n_features, size=n * nnz)
    cols = np.where(rng.random(n * nnz) < 0.7, topical, noise)
    X = sp.csr_matrix((rng.random(n * nnz), (rows, cols)), shape=(n, n_features))
    X.sum_duplicates()
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(1.0 / norms) @ X)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="candidates (rows of P)")
    parser.add_argument("--classes", type=int, default=10, help="classes (columns of P)")
    parser.add_argument("--k", type=int, default=50, help="batch size")
    parser.add_argument("--k-large", type=int, default=500, help="second batch size (k growth)")
    parser.add_argument("--repeats", type=int, default=7, help="timed repetitions")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--seed-pool", type=int, default=100_000, help="diverse_seed pool size (0 = skip)"
    )
    args = parser.parse_args()

    print("$ python " + " ".join(shlex.quote(a) for a in sys.argv))
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}")

    rng = np.random.default_rng(args.seed)
    P = rng.random((args.n, args.classes))
    P /= P.sum(axis=1, keepdims=True)
    classes = tuple(f"c{j}" for j in range(args.classes))
    cands = Candidates("classification", classes, P)
    print(f"P: {args.n:,} x {args.classes} float64 ({P.nbytes / 2**20:.0f} MiB), seed {args.seed}")

    def ours(name: str, k: int) -> Callable[[], object]:
        func = get_strategy(name, "classification").func
        return lambda: func(cands, k, np.random.default_rng(args.seed))

    cases: dict[str, Callable[[], object]] = {
        "numpy pass": lambda: P.max(axis=1),
        "read once": P.sum,
    }
    for name in METHODS:
        cases[f"ours {name} k={args.k}"] = ours(name, args.k)
        cases[f"ours {name} k={args.k_large}"] = ours(name, args.k_large)
        cases[f"ref {name} k={args.k}"] = functools.partial(ref_select, name, P, args.k)
    times = measure(cases, args.repeats)

    npass, once = times["numpy pass"], times["read once"]
    print(f"\nmedians of {args.repeats} repetitions (order rotated each repetition)")
    print(f"numpy pass P.max(axis=1): {med_ms(npass):8.1f} ms")
    print(f"read once  P.sum():       {med_ms(once):8.1f} ms\n")
    header = (
        f"{'strategy':18s} {'k':>4s} {'ours ms':>8s} {'ref ms':>8s} {'ours/pass':>9s} "
        f"{'ours/ref':>8s} {'ours/read':>9s} {'same set':>8s} {'same order':>10s}"
    )
    print(header)
    print("-" * len(header))
    worst_pass = 0.0
    for name in METHODS:
        ref = times[f"ref {name} k={args.k}"]
        ref_pos = ref_select(name, P, args.k)
        for k in (args.k, args.k_large):
            mine = times[f"ours {name} k={k}"]
            sel = get_strategy(name, "classification").func(cands, k, np.random.default_rng(0))
            same = "-"
            order = "-"
            if k == args.k:
                same = "yes" if set(sel.positions.tolist()) == set(ref_pos.tolist()) else "NO"
                order = "yes" if sel.positions.tolist() == ref_pos.tolist() else "NO"
            ref_ms = f"{med_ms(ref):8.1f}" if k == args.k else f"{'':8s}"
            ref_ratio = f"{med_ratio(mine, ref):8.2f}" if k == args.k else f"{'':8s}"
            ratio_pass = med_ratio(mine, npass)
            worst_pass = max(worst_pass, ratio_pass)
            print(
                f"{name:18s} {k:4d} {med_ms(mine):8.1f} {ref_ms} {ratio_pass:9.2f} "
                f"{ref_ratio} {med_ratio(mine, once):9.1f} {same:>8s} {order:>10s}"
            )
    print(f"\ngrowth from k={args.k} to k={args.k_large} (median of per-repetition ratios):")
    for name in METHODS:
        growth = med_ratio(times[f"ours {name} k={args.k_large}"], times[f"ours {name} k={args.k}"])
        print(f"  {name:18s} {100 * (growth - 1):+6.1f}%  (target < +10%)")
    verdict = "met" if worst_pass <= 3.0 else "NOT met"
    print(f"\ntarget 'within 3x of one numpy pass': {verdict} (worst {worst_pass:.2f}x)")

    if args.seed_pool:
        X = tfidf_like(args.seed_pool, 2**18, 20, 50, args.seed)
        seed_cands = Candidates("classification", classes, None, X=X)
        func = get_strategy("diverse_seed", "classification").func
        ts = []
        for rep in range(3):
            t0 = time.perf_counter()
            func(seed_cands, 20, np.random.default_rng(rep))
            ts.append(time.perf_counter() - t0)
        print(
            f"\ndiverse_seed, k=20, TF-IDF-like CSR {args.seed_pool:,} x 2^18 (50 nnz/row): "
            f"median {statistics.median(ts):.2f} s over 3 runs"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
