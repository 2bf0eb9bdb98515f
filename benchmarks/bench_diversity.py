"""Diversity-aware batch: speed, coverage and peak memory of ours vs peers and a numpy reference.

Workload (as the shared peer harness's W2): synthetic 384-d float32 unit-norm embeddings drawn
from an uneven mixture of 64 Gaussian clusters, n = 10,000 and 100,000 pool points, L = 100 of
them labeled (uniformly at random), batches of b = 50 and 200. Every arm chooses b of the
n - L unlabeled points:

* ``ref greedy k-center``: this script's plain numpy greedy k-center over the unlabeled
  candidates, distance-aware to the labeled points: one chunked GEMM against the labeled set,
  then one GEMV per pick (O((L + b) n d), what an implementation can do without compiled code);
* ``ours kcenter`` and ``ours margin_kcenter``: the registered strategies, called through the
  public strategy contract (``get_strategy(name, "classification").func(Candidates(...), b,
  rng)`` with ``vectors`` = the unlabeled embeddings, ``vectors_labeled`` = the labeled ones;
  ``margin_kcenter`` also gets ``proba`` from a logistic regression fitted on the labeled
  points, and is timed for information: it mixes uncertainty into the choice);
* ``scikit-activeml CoreSet`` (``query(X, y_with_nan, batch_size=b)``);
* ``modAL ranked batch`` (``modAL.batch.uncertainty_batch_sampling`` with an ``ActiveLearner``
  holding the same logistic regression);
* ``small-text GreedyCoreset`` (``query(...)`` with the embeddings passed in; it can take
  minutes: each call is stopped after ``--timeout`` seconds, and at n=100k, b=200 it is skipped
  when its n=100k, b=50 time times 4 already exceeds the timeout, which the output says);
* ``random``.

Figures: median seconds over the repetitions; the ratio to the reference is the median of
per-repetition ratios (arms alternate in one process, order rotated every repetition, after a
warm-up run; an arm whose cumulative time exceeds ``--budget`` seconds stops repeating, as
in the shared harness, and its warm-up run then counts). Coverage = mean and max euclidean
distance from every pool point to its nearest labeled-or-selected point (lower is better;
k-center minimises the max). Peak memory = the
tracemalloc peak of one extra call after the timings (every numpy buffer and Python object
the call holds at once, inputs excluded); for arms slower than a quarter of ``--budget``
(tracemalloc slowed small-text's Python loop 2.5x) the extra peak RSS of the untimed warm-up
call instead (the kernel's ``VmHWM`` reset through ``/proc/self/clear_refs`` before the call,
minus the RSS before it; marked "RSS": freed heap memory that is reused is not counted).
"same as ref" = share of the selection that the reference also picked.

Run: ``python benchmarks/bench_diversity.py`` (re-runs itself in ``benchmarks/.venv-peers``,
made by ``peers.sh``; about 10 minutes on 2 cores), ``--quick`` (n = 10,000 only, 3
repetitions: about a minute), ``--sizes``, ``--batches``, ``--arms``. Raw results go to
``benchmarks/out/diversity/``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import signal
import statistics
import sys
import time
import tracemalloc
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HERE, header, load_line, rotated, shim_modal, use_peers_venv

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

OUT = HERE / "out" / "diversity"
D = 384
N_CLUSTERS = 64
N_LABELED = 100
N_CLASSES = 10  # the toy labels of the logistic regression: cluster id modulo 10
GEMM_CHUNK = 16_384
ARMS = (
    "ref greedy k-center",
    "ours kcenter",
    "ours margin_kcenter",
    "scikit-activeml CoreSet",
    "modAL ranked batch",
    "small-text GreedyCoreset",
    "random",
)
REFERENCE = ARMS[0]


# ------------------------------------------------------------------------------------ data


def make_embeddings(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit-norm float32 vectors from an uneven mixture of Gaussian clusters; cluster ids."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((N_CLUSTERS, D)).astype(np.float32)
    share = rng.dirichlet(np.full(N_CLUSTERS, 0.7))
    cluster = rng.choice(N_CLUSTERS, size=n, p=share)
    spread = rng.uniform(0.5, 1.5, N_CLUSTERS).astype(np.float32)
    V = rng.standard_normal((n, D), dtype=np.float32)
    V *= spread[cluster, None]
    V += centres[cluster]
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    return V, cluster


# ------------------------------------------------------------------- numpy reference


def sq_norms(V: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", V, V)


def min_sq_dist(V: np.ndarray, C: np.ndarray, v_sq: np.ndarray | None = None) -> np.ndarray:
    """Squared euclidean distance from every row of V to its nearest row of C (chunked GEMM)."""
    if v_sq is None:
        v_sq = sq_norms(V)
    c_sq = sq_norms(C)
    out = np.empty(V.shape[0], dtype=V.dtype)
    for lo in range(0, V.shape[0], GEMM_CHUNK):
        G = V[lo : lo + GEMM_CHUNK] @ C.T
        G *= -2.0
        G += c_sq
        out[lo : lo + GEMM_CHUNK] = G.min(axis=1)
    out += v_sq
    np.maximum(out, 0.0, out=out)
    return out


def ref_kcenter(V_unl: np.ndarray, V_lab: np.ndarray, b: int) -> np.ndarray:
    """Greedy k-center over the candidates, distance-aware to the labeled points.

    Each pick is the candidate farthest from every labeled-or-picked point; the distances are
    updated incrementally with one GEMV per pick.
    """
    v_sq = sq_norms(V_unl)
    d = min_sq_dist(V_unl, V_lab, v_sq)
    picks = np.empty(b, dtype=np.intp)
    for k in range(b):
        i = int(np.argmax(d))
        picks[k] = i
        new = V_unl @ V_unl[i]
        new *= -2.0
        new += v_sq
        new += v_sq[i]
        np.minimum(d, new, out=d)
        d[i] = -np.inf
    return picks


def coverage(V: np.ndarray, centres: np.ndarray, v_sq: np.ndarray) -> tuple[float, float]:
    """Mean and max distance from every pool point to its nearest centre."""
    dist = np.sqrt(min_sq_dist(V, V[centres], v_sq))
    return float(dist.mean()), float(dist.max())


# --------------------------------------------------------------------------------- arms


def build_arms(
    V: np.ndarray, y: np.ndarray, lab: np.ndarray, unl: np.ndarray, *, b: int, wanted: set[str]
) -> tuple[dict[str, Callable[[], np.ndarray]], dict[str, str]]:
    """Return arm name -> callable giving positions into ``unl``; and arms left out, why."""
    from sklearn.linear_model import LogisticRegression

    from jupyter_al.strategies import STRATEGIES, Candidates, get_strategy

    V_lab = V[lab]
    V_unl = V[unl]
    clf = LogisticRegression(max_iter=500).fit(V_lab, y[lab])
    P_unl = clf.predict_proba(V_unl)
    classes = tuple(str(c) for c in clf.classes_)
    arms: dict[str, Callable[[], np.ndarray]] = {}
    missing: dict[str, str] = {}
    position_of = np.full(V.shape[0], -1, dtype=np.intp)
    position_of[unl] = np.arange(unl.size)

    arms[REFERENCE] = lambda: ref_kcenter(V_unl, V_lab, b)

    for name in ("kcenter", "margin_kcenter"):
        if name not in STRATEGIES:
            missing[f"ours {name}"] = f"strategy {name!r} is not registered in this checkout"
            continue
        info = get_strategy(name, "classification")
        cands = Candidates(
            task="classification",
            classes=classes,
            proba=P_unl if info.needs_proba else None,
            X=None,
            vectors=V_unl,  # type: ignore[call-arg]  # fields added by issue 5
            vectors_labeled=V_lab,
        )

        def ours(info: Any = info, cands: Any = cands) -> np.ndarray:
            return np.asarray(info.func(cands, b, np.random.default_rng(0)).positions)

        arms[f"ours {name}"] = ours

    from skactiveml.pool import CoreSet

    y_nan = np.full(V.shape[0], np.nan)
    y_nan[lab] = y[lab]
    arms["scikit-activeml CoreSet"] = lambda: position_of[
        np.asarray(CoreSet(random_state=0).query(V, y_nan, batch_size=b))
    ]

    from modAL.batch import uncertainty_batch_sampling
    from modAL.models import ActiveLearner

    learner = ActiveLearner(
        estimator=LogisticRegression(max_iter=500), X_training=V_lab, y_training=y[lab]
    )
    arms["modAL ranked batch"] = lambda: np.asarray(
        uncertainty_batch_sampling(learner, V_unl, n_instances=b)[0]
    )

    import small_text

    greedy = small_text.GreedyCoreset(distance_metric="euclidean")
    # small-text's query takes embeddings of the unlabeled then the labeled items (the order
    # it builds its subset in) and returns indices into the dataset; prepared untimed
    V_subset = V[np.concatenate([unl, lab])]
    arms["small-text GreedyCoreset"] = lambda: position_of[
        np.asarray(greedy.query(None, V, unl, lab, y[lab], n=b, embeddings=V_subset))
    ]

    rng = np.random.default_rng(1)
    arms["random"] = lambda: rng.choice(unl.size, b, replace=False)
    return {k: v for k, v in arms.items() if k in wanted}, missing


# ------------------------------------------------------------------------------ timing


class CallTimeoutError(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def on_alarm(signum: int, frame: object) -> None:
        raise CallTimeoutError

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def status_mb(key: str) -> float:
    with Path("/proc/self/status").open() as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_hwm() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) to the current RSS; False when impossible."""
    try:
        with Path("/proc/self/clear_refs").open("w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def warm_up(fn: Callable[[], np.ndarray], timeout: float) -> tuple[float, float, np.ndarray]:
    """One untraced call: seconds, extra peak RSS (MB, NaN when unmeasurable), the selection."""
    gc.collect()
    rss = status_mb("VmRSS")
    hwm_ok = reset_hwm()
    with time_limit(timeout):
        t0 = time.perf_counter()
        sel = fn()
        seconds = time.perf_counter() - t0
    return seconds, (status_mb("VmHWM") - rss) if hwm_ok else float("nan"), sel


def traced_peak(fn: Callable[[], np.ndarray], timeout: float) -> float:
    """Peak tracemalloc memory (MB) of one call."""
    gc.collect()
    tracemalloc.start()
    try:
        with time_limit(timeout):
            fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def run_case(
    arms: dict[str, Callable[[], np.ndarray]], repeats: int, budget: float, timeout: float
) -> dict[str, dict[str, Any]]:
    """Time every arm: warm-up (memory), then rotated repetitions; selection of the last run."""
    res: dict[str, dict[str, Any]] = {name: {"times": {}} for name in arms}
    for name, fn in arms.items():
        try:
            seconds, peak, sel = warm_up(fn, timeout)
        except CallTimeoutError:
            res[name]["error"] = f"stopped after {timeout:.0f} s (timeout)"
            print(f"  {name}: stopped after {timeout:.0f} s", flush=True)
            continue
        except Exception as exc:  # noqa: BLE001  # a peer failing is a result, not a crash
            res[name]["error"] = f"{type(exc).__name__}: {exc}"[:300]
            print(f"  {name}: {res[name]['error']}", flush=True)
            continue
        res[name].update(rss_mb=peak, selection=np.asarray(sel, dtype=np.intp))
        if seconds > budget:  # too slow to repeat: the warm-up is its figure
            res[name]["times"][-1] = seconds
        print(f"  warm-up {name}: {seconds:.3f} s, +{peak:.0f} MB RSS", flush=True)
    live = [name for name in arms if "error" not in res[name]]
    for rep in range(repeats):
        for name in rotated(live, rep):
            times = res[name]["times"]
            if times and sum(times.values()) > budget:
                continue
            gc.collect()
            try:
                with time_limit(timeout):
                    t0 = time.perf_counter()
                    sel = arms[name]()
                    times[rep] = time.perf_counter() - t0
            except CallTimeoutError:
                res[name]["error"] = f"stopped after {timeout:.0f} s (timeout)"
                live.remove(name)
                continue
            res[name]["selection"] = np.asarray(sel, dtype=np.intp)
    for name in live:  # memory: one more, traced call, for arms that are quick enough
        times = res[name]["times"]
        if times and statistics.median(times.values()) < budget / 4:
            res[name]["traced_mb"] = traced_peak(arms[name], timeout)
    ref_times = res[REFERENCE]["times"]
    for r in res.values():
        times = r.pop("times")
        if not times:
            continue
        r["n_runs"] = len(times)
        r["median_s"] = statistics.median(times.values())
        ratios = [t / ref_times[k] for k, t in times.items() if k in ref_times]
        if -1 in times and not ratios:  # warm-up only: pair it with the reference's median
            ratios = [times[-1] / statistics.median(ref_times.values())]
        r["ratio"] = statistics.median(ratios) if ratios else None
    return res


# ---------------------------------------------------------------------------------- main


def dist_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="n=10,000 only, 3 repetitions")
    p.add_argument("--sizes", default=None, help="pool sizes, comma-separated")
    p.add_argument("--batches", default="50,200")
    p.add_argument("--repeats", type=int, default=None, help="default 5 (3 with --quick)")
    p.add_argument("--budget", type=float, default=20.0, help="seconds per arm before it stops")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per call at most")
    p.add_argument("--arms", default=",".join(ARMS), help="comma-separated arm names")
    args = p.parse_args()
    sizes = [int(s) for s in (args.sizes or ("10000" if args.quick else "10000,100000")).split(",")]
    batches = [int(s) for s in args.batches.split(",")]
    repeats = args.repeats or (3 if args.quick else 5)
    wanted = {a.strip() for a in args.arms.split(",")} | {REFERENCE}

    for module in ("modAL", "small_text", "skactiveml"):
        use_peers_venv(module)
    header(
        "diversity-aware batch: ours vs numpy greedy k-center, scikit-activeml, modAL, small-text"
    )
    print(
        "peers: "
        + ", ".join(
            f"{d} {dist_version(d)}" for d in ("modal-python", "small-text", "scikit-activeml")
        )
    )
    print(shim_modal())
    warnings.filterwarnings("ignore")  # peers' deprecation and convergence chatter
    print(
        f"repeats {repeats} after a warm-up; budget {args.budget:.0f} s per arm; "
        f"timeout {args.timeout:.0f} s per call; memory: tracemalloc peak of an extra call "
        "(RSS delta of the warm-up for slow arms)",
        flush=True,
    )
    OUT.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    skip_note: dict[tuple[int, int], str] = {}
    for n in sizes:
        V, cluster = make_embeddings(n, seed=n)
        y = cluster % N_CLASSES
        lab = np.sort(np.random.default_rng(1).choice(n, N_LABELED, replace=False))
        unl = np.setdiff1d(np.arange(n), lab)
        v_sq = sq_norms(V)
        for b in batches:
            case_wanted = set(wanted)
            note = skip_note.get((n, b))
            if note:
                case_wanted.discard("small-text GreedyCoreset")
            arms, missing = build_arms(V, y, lab, unl, b=b, wanted=case_wanted)
            print(f"\n## n={n:,}, b={b}, d={D}, L={N_LABELED}", flush=True)
            res = run_case(arms, repeats, args.budget, args.timeout)
            for name, why in missing.items():
                res[name] = {"error": why}
            if note:
                res["small-text GreedyCoreset"] = {"error": note}
            ref_sel = set(unl[res[REFERENCE]["selection"]].tolist())
            for r in res.values():
                sel = r.pop("selection", None)
                if sel is None:
                    continue
                chosen = unl[sel]
                r["n_selected"] = len(set(chosen.tolist()))
                r["coverage_mean"], r["coverage_max"] = coverage(
                    V, np.concatenate([lab, chosen]), v_sq
                )
                r["same_as_ref"] = len(ref_sel & set(chosen.tolist())) / b
            st = res.get("small-text GreedyCoreset", {})
            bigger = [bb for bb in batches if bb > b]
            if bigger and st.get("median_s") and st["median_s"] * 4 > args.timeout:
                for bb in bigger:
                    skip_note[n, bb] = (
                        f"skipped: {st['median_s']:.0f} s at b={b} predicts more than the "
                        f"{args.timeout:.0f} s timeout at b={bb}"
                    )
            elif "error" in st and bigger:
                for bb in bigger:
                    skip_note[n, bb] = f"skipped: {st['error']} at b={b}"
            rows.append({"n": n, "b": b, "d": D, "L": N_LABELED, "arms": res})
            print_table(n, b, res)
            (OUT / "diversity.json").write_text(json.dumps(rows, indent=1, default=str))
    print(f"\n{load_line()}")
    print(f"raw results: {OUT / 'diversity.json'}")


def print_table(n: int, b: int, res: dict[str, dict[str, Any]]) -> None:
    print(
        "\n| n, b | arm | median time | x ref | coverage mean | coverage max | same as ref "
        "| peak memory | runs |\n|---|---|---|---|---|---|---|---|---|"
    )
    for name in [*ARMS, *(k for k in res if k not in ARMS)]:
        r = res.get(name)
        if r is None:
            continue
        where = f"{n // 1000}k, {b}"
        if "median_s" not in r:
            print(f"| {where} | {name} | {r.get('error', '—')} | | | | | | |")
            continue
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        traced = r.get("traced_mb")
        memory = f"{traced:.1f} MB" if traced is not None else f"{r['rss_mb']:.0f} MB (RSS)"
        print(
            f"| {where} | {name} | {fmt_s(r['median_s'])} | {ratio} | {r['coverage_mean']:.4f} "
            f"| {r['coverage_max']:.4f} | {r['same_as_ref']:.2f} | {memory} "
            f"| {r['n_runs']} |",
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
