"""Extra peak memory of scoring + margin selection on a 1M-row pool, one arm per process.

Each (features, arm) pair runs in its own subprocess, which builds the data, fits the default
model (``jupyter_al._engine.fit``: ``default_model``, here on the first 1,000 rows), then
resets the kernel's peak-RSS mark (``/proc/self/clear_refs`` <- "5"; falls back to
tracemalloc where that is not possible), runs the arm once and reads ``VmHWM`` from
``/proc/self/status``. "extra peak" = peak RSS during the arm - RSS just before it: what the
arm adds on top of the pool. A second, separate run of the arm under tracemalloc gives the
peak of traced (numpy/Python) allocations as a cross-check.

Features: dense 1M x 100 float64 (10 classes), and a TF-IDF-like CSR, 1M x 2^18, about 50
non-zeros per row (10 classes, L2-normalised rows).

Arms (same fitted model, 50 picked by margin):

* ``ours``: exactly what ``jupyter_al._engine.select`` calls: ``candidate_positions`` ->
  ``_engine.score`` (chunked, float32) -> ``Candidates`` -> ``get_strategy("margin",
  "classification").func``;
* ``ours select()``: the whole ``_engine.select`` (adds predictions and the batch record);
* ``fix sketch``: NOT the library: ours with the change proposed for ``_engine.score``
  (score contiguous row ranges through views instead of copying ``X[candidate chunk]``);
* ``modAL``: ``ActiveLearner(estimator=model).query(X, n_instances=50)`` with
  ``margin_sampling``: ``predict_proba`` on the whole pool + margin;
* ``plain``: ``model.predict_proba(X)``, margin, ``np.argpartition``.

Target: ours adds at most 10% of the pool's feature matrix.

Run: ``python benchmarks/bench_memory.py`` (re-runs itself in ``benchmarks/.venv-peers``, made by
``benchmarks/peers.sh`` on first use; about 3-4 minutes on 2 cores, peak ~3 GB RAM).
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import header, load_line, use_peers_venv

if __name__ == "__main__":
    use_peers_venv("modAL")  # re-runs in benchmarks/.venv-peers when modAL is missing

# numpy may be missing from the interpreter that started the script (see above)
import numpy as np
import pandas as pd
import scipy.sparse as sp

K = 50
N_CLASSES = 10
N_LABELED = 1_000
TARGET_PCT = 10.0
KINDS = ("dense", "sparse")
ARMS = ("ours", "ours select()", "fix sketch", "modAL", "plain")


# ------------------------------------------------------------------------------ data


def dense_pool(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian classes: ``X = centre[y] + N(0, 1)``, built in place (no n x d temporary)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((N_CLASSES, d)) * 0.6
    y = rng.integers(N_CLASSES, size=n)
    X = rng.standard_normal((n, d))
    X += centres[y]
    return X, y


def sparse_pool(n: int, d: int, nnz: int, seed: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """TF-IDF-like: ``nnz`` words per row, 30% from the class's 2,000-word block, rest uniform."""
    rng = np.random.default_rng(seed)
    y = rng.integers(N_CLASSES, size=n)
    rows = np.repeat(np.arange(n, dtype=np.int64), nnz)
    cols = rng.integers(d, size=n * nnz)
    topical = rng.random(n * nnz) < 0.3
    cols[topical] = y[rows[topical]] * 2_000 + rng.integers(2_000, size=int(topical.sum()))
    vals = rng.random(n * nnz) + 0.1
    X = sp.csr_matrix((vals, (rows, cols)), shape=(n, d))  # sums the rare duplicates
    del rows, cols, vals, topical
    X.sort_indices()
    sq = np.add.reduceat(X.data**2, X.indptr[:-1])
    X.data /= np.repeat(np.sqrt(sq), np.diff(X.indptr))
    X.indices = X.indices.astype(np.int32, copy=False)
    return X, y


def matrix_bytes(X: Any) -> int:
    if sp.issparse(X):
        return int(X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)
    return int(X.nbytes)


# ------------------------------------------------------------------------------ memory


def status_mb(field: str) -> float:
    with Path("/proc/self/status").open() as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False when not possible."""
    try:
        with Path("/proc/self/clear_refs").open("w") as f:
            f.write("5")
    except OSError:
        return False
    return True


# ------------------------------------------------------------------------------ one arm


def child(arm: str, kind: str, n: int, seed: int) -> dict[str, Any]:
    from jupyter_al._config import Config
    from jupyter_al._engine import (
        SCORE_CHUNK,
        Pool,
        candidate_positions,
        class_counts,
        fit,
        score,
        select,
        select_rng,
    )
    from jupyter_al._events import BatchSelected, Labeled, fold
    from jupyter_al._model import _rows, default_model, predict_proba_aligned
    from jupyter_al.strategies import Candidates, get_strategy

    warnings.filterwarnings("ignore")
    t0 = time.perf_counter()
    X: Any
    if kind == "dense":
        X, y = dense_pool(n, 100, seed)
    else:
        X, y = sparse_pool(n, 2**18, 50, seed)
    t_data = time.perf_counter() - t0
    classes = tuple(f"c{j}" for j in range(N_CLASSES))
    config = Config(
        labels=classes,
        text="text" if kind == "sparse" else None,
        features=("x",) if kind == "dense" else None,
        strategy="margin",
        batch_size=K,
    )
    margin = get_strategy("margin", "classification")
    pool = Pool(
        config=config,
        classes=classes,
        seed=seed,
        ids=pd.Index(np.arange(n)),
        frame=pd.DataFrame(index=pd.RangeIndex(0)),
        X=X,
        initial={},
        holdout_ids=pd.Index([]),
        X_holdout=None,
        holdout_gold={},
        featurizer=None,  # type: ignore[arg-type]  # why: scoring never featurizes
        model=default_model("text" if kind == "sparse" else "features"),
        strategy=margin,
        seed_strategy=get_strategy("diverse_seed", "classification"),
        metric="macro_f1",
    )
    events: list[Any] = [
        Labeled(round=1, item_id=i, label=classes[y[i]], annotator="bench", source="simulation")
        for i in range(N_LABELED)
    ]
    events.insert(
        0,
        BatchSelected(
            round=1,
            strategy="margin",
            cold_start=False,
            item_ids=list(range(N_LABELED)),
            predictions=[None] * N_LABELED,
            confidences=[None] * N_LABELED,
            scores=[0.0] * N_LABELED,
            reasons=[""] * N_LABELED,
            model_version=None,
            n_candidates=n,
            timings={},
        ),
    )
    state = fold(enumerate(events))
    labels = {i: classes[y[i]] for i in range(N_LABELED)}
    fitted = fit(pool, labels, 1)
    assert fitted is not None
    model = fitted.model

    def ours() -> np.ndarray:
        # the body of _engine.select between "candidates" and the strategy's Selection
        cand = candidate_positions(pool, state)
        proba = score(pool, fitted, cand)
        cands = Candidates(
            task=config.task,
            classes=pool.classes,
            proba=proba,
            X=None,
            X_labeled=None,
            label_counts=class_counts(pool.classes, labels),
            n_labeled=len(labels),
            mean_cardinality=None,
        )
        sel = margin.func(cands, K, select_rng(pool.seed, 2))
        return cand[sel.positions]

    def ours_views() -> np.ndarray:
        # NOT the library: a sketch of the fix proposed for _engine.score. Score contiguous row
        # ranges of the pool through views (_model._rows), keep the candidates' rows of each
        # small probability block, instead of copying X[candidate chunk] by fancy indexing.
        cand = candidate_positions(pool, state)
        proba = np.empty((len(cand), len(classes)), dtype=np.float32)
        for lo in range(0, n, SCORE_CHUNK):
            hi = min(lo + SCORE_CHUNK, n)
            a, b = np.searchsorted(cand, (lo, hi))
            if a < b:
                block = predict_proba_aligned(model, _rows(X, lo, hi), classes, task=config.task)
                proba[a:b] = block[cand[a:b] - lo]
        cands = Candidates(
            task=config.task,
            classes=pool.classes,
            proba=proba,
            label_counts=class_counts(pool.classes, labels),
            n_labeled=len(labels),
        )
        sel = margin.func(cands, K, select_rng(pool.seed, 2))
        return cand[sel.positions]

    def ours_select() -> np.ndarray:
        batch = select(pool, state, fitted, 2, labels)
        assert batch is not None
        assert batch.strategy == "margin"
        return pool.positions(batch.item_ids)

    def modal() -> np.ndarray:
        from modAL.models import ActiveLearner
        from modAL.uncertainty import margin_sampling

        learner = ActiveLearner(estimator=model, query_strategy=margin_sampling)
        return np.asarray(learner.query(X, n_instances=K)[0])

    def plain() -> np.ndarray:
        P = model.predict_proba(X)
        top2 = np.partition(P, -2, axis=1)[:, -2:]
        margins = top2[:, 1] - top2[:, 0]
        return np.argpartition(margins, K - 1)[:K]

    op = {
        "ours": ours,
        "ours select()": ours_select,
        "fix sketch": ours_views,
        "modAL": modal,
        "plain": plain,
    }[arm]
    gc.collect()
    rss_before = status_mb("VmRSS")
    hwm_ok = reset_peak()
    if hwm_ok:
        t0 = time.perf_counter()
        picks = op()
        seconds = time.perf_counter() - t0
        extra_hwm = status_mb("VmHWM") - rss_before
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    picks = op()
    traced_seconds = time.perf_counter() - t0
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if not hwm_ok:
        seconds, extra_hwm = traced_seconds, float("nan")
    return {
        "arm": arm,
        "kind": kind,
        "n": n,
        "shape": list(X.shape),
        "nnz": int(X.nnz) if sp.issparse(X) else None,
        "matrix_mb": matrix_bytes(X) / 2**20,
        "rss_before_mb": rss_before,
        "extra_hwm_mb": extra_hwm,
        "hwm_reset": hwm_ok,
        "traced_peak_mb": traced_peak / 2**20,
        "seconds": seconds,
        "data_seconds": t_data,
        "picks": sorted(int(p) for p in picks),
    }


# ------------------------------------------------------------------------------ driver


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="pool rows")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", default=",".join(KINDS), help="dense,sparse")
    parser.add_argument("--child", nargs=2, metavar=("ARM", "KIND"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.n, args.seed)))
        return 0

    header("bench_memory: extra peak memory of scoring + margin top-50 on a 1M-row pool")
    print(
        "each arm in its own process; extra = VmHWM after the arm - VmRSS before it "
        "(peak mark reset with /proc/self/clear_refs); traced = tracemalloc peak of a second run"
    )
    rows: list[dict[str, Any]] = []
    for kind in args.kinds.split(","):
        for arm in ARMS:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--n", str(args.n)]
            cmd += ["--seed", str(args.seed), "--child", arm, kind]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{kind} {arm}: FAILED\n{done.stderr[-2000:]}", flush=True)
                continue
            row = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(
                f"  {kind:<6} {arm:<14} done: extra {row['extra_hwm_mb']:.0f} MB, "
                f"{row['seconds']:.2f} s (data built in {row['data_seconds']:.0f} s)",
                flush=True,
            )

    for kind in args.kinds.split(","):
        group = [r for r in rows if r["kind"] == kind]
        if not group:
            continue
        first = group[0]
        nnz = f", {first['nnz']:,} nnz" if first["nnz"] else ""
        print(
            f"\n## {kind}: {first['shape'][0]:,} x {first['shape'][1]:,}{nnz}; feature matrix "
            f"{first['matrix_mb']:.0f} MB; RSS before ~{first['rss_before_mb']:.0f} MB"
        )
        print(
            f"{'arm':<14} {'extra peak MB':>13} {'% of X':>7} {'traced MB':>10} "
            f"{'% of X':>7} {'seconds':>8} {'same picks as ours':>19}"
        )
        ours_picks = next((r["picks"] for r in group if r["arm"] == "ours"), None)
        for r in group:
            pct = 100 * r["extra_hwm_mb"] / r["matrix_mb"]
            tpct = 100 * r["traced_peak_mb"] / r["matrix_mb"]
            same = (
                f"{len(set(r['picks']) & set(ours_picks)) / K:.2f}"
                if ours_picks is not None
                else "-"
            )
            print(
                f"{r['arm']:<14} {r['extra_hwm_mb']:>13.1f} {pct:>6.1f}% "
                f"{r['traced_peak_mb']:>10.1f} {tpct:>6.1f}% {r['seconds']:>8.2f} {same:>19}"
            )
        ours = next((r for r in group if r["arm"] == "ours"), None)
        if ours is not None:
            pct = 100 * ours["extra_hwm_mb"] / ours["matrix_mb"]
            verdict = "met" if pct <= TARGET_PCT else "NOT met"
            print(f"target: ours <= {TARGET_PCT:g}% of the feature matrix: {verdict} ({pct:.1f}%)")
    print(load_line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
