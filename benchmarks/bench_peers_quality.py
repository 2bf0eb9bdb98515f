"""Label efficiency of every jupyter_al strategy vs modAL, small-text and scikit-activeml.

Same data, same model, same seeds, same held-out set and the same initial labeled set for
every arm, in one run:

* data: SMS spam (25% held out, stratified, fixed), BANKING77 (its official ``test.csv`` held
  out), NLU++ banking multilabel (``prepare_data.py``'s file, 25% held out, fixed), and
  scikit-learn's digits (64 numeric features, 25% held out, stratified, fixed);
* features and model: jupyter_al's own (``Featurizer`` fitted on the pool: TF-IDF for text,
  scaled columns for digits; ``default_model``: logistic regression, C=10 for text and C=1
  for numbers, class_weight="balanced", fitted on the used columns; multilabel one-vs-rest).
  The peers get the same estimator object (cloned by them) and the same feature matrix;
* initial labeled set per seed: one random item per class plus random items up to one batch
  (SMS 10, BANKING77 77, digits 10); NLU++: one random batch (20). Every arm starts from it;
  round 0 is the model of those labels;
* ours: every strategy registered for the task (``known_strategies(task)`` minus
  ``diverse_seed`` and ``judge_triage``, read at run time) through the real loop,
  ``jupyter_al.simulate`` (a ``Session`` whose oracle answers from the true labels), with
  the initial labels given as a partly filled ``label_column``, the held-out set as a
  DataFrame and ``min_per_class=1``
  (so no arm starts with a cold-start seed batch); ``random`` is ours;
* peers, through their public APIs: modAL (``ActiveLearner`` with uncertainty, margin and
  entropy sampling and ranked batch ``uncertainty_batch_sampling``; multilabel:
  ``min_confidence``, ``avg_confidence``, ``mean_max_loss``), small-text (the query
  strategies ``LeastConfidence``, ``BreakingTies``, ``PredictionEntropy``, ``GreedyCoreset``,
  with its ``SklearnClassifier``), scikit-activeml (``UncertaintySampling`` least confident,
  margin, entropy, with its ``SklearnClassifier``; ``CoreSet``, ``TypiClust``). Every peer
  curve is scored with the code the Session uses (``jupyter_al._model`` fit +
  ``predict_proba_aligned`` + ``jupyter_al.metrics.evaluate``), on the same held-out set.

Representation for the peers' geometric strategies (GreedyCoreset, CoreSet, TypiClust):
scikit-activeml rejects sparse X and dense TF-IDF of SMS or BANKING77 would take 1-2 GB, so
text gets TruncatedSVD(256) of the TF-IDF rows, L2-normalised (digits: the scaled features).
scikit-activeml's uncertainty strategies see the TF-IDF through a one-column row index (an
estimator that looks the rows up), so their model is exactly ours.

Metric: macro F1 (classification, digits included), micro F1 (multilabel); AULC =
``jupyter_al.metrics.area_under_curve`` over rounds 0..R; labels to 95% of the full-data
score (the model fitted on the whole pool) by ``jupyter_al.metrics.labels_to_reach``; wins =
seeds whose AULC beats ours ``random`` on the same seed.

Run: ``python benchmarks/bench_peers_quality.py`` (re-runs itself in
``benchmarks/.venv-peers``), ``--quick`` (2 seeds, 4 rounds), ``--datasets sms,banking77,
nlupp,digits``, ``--strategies NAME,...`` (arm names as printed, e.g. ``margin``,
``modAL margin``), ``--seeds``. Raw results: ``benchmarks/out/peers_quality/<dataset>.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, clone

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HERE, header, load_line, shim_modal, use_peers_venv

SHARED = Path("/work/shared/data")
SVD_DIMS = 256
# batch size, rounds (full run), held-out fraction
PLAN = {
    "sms": (10, 20, 0.25),
    "banking77": (50, 20, None),
    "nlupp": (20, 15, 0.25),
    "digits": (10, 20, 0.25),
}
QUICK_ROUNDS = 4


# ------------------------------------------------------------------------------ datasets


@dataclass
class Dataset:
    name: str
    task: str
    pool: pd.DataFrame  # columns: the input column(s) and "y" (the oracle)
    holdout: pd.DataFrame
    text: str | None
    features: list[str] | None
    classes: tuple[str, ...]
    batch: int
    rounds: int


def split(frame: pd.DataFrame, fraction: float, stratify: pd.Series | None) -> tuple[Any, Any]:
    from sklearn.model_selection import train_test_split

    pool, hold = train_test_split(frame, test_size=fraction, random_state=0, stratify=stratify)
    return pool.reset_index(drop=True), hold


def load_dataset(name: str, rounds: int | None) -> Dataset:
    batch, full_rounds, fraction = PLAN[name]
    rounds = rounds or full_rounds
    if name == "sms":
        frame = pd.read_csv(SHARED / "sms_spam" / "SMSSpamCollection.tsv", sep="\t", quoting=3)
        frame = frame.rename(columns={"SMS": "text", "Label": "y"})[["text", "y"]]
        pool, hold = split(frame, fraction, frame["y"])
        return Dataset(
            name, "classification", pool, hold, "text", None, ("ham", "spam"), batch, rounds
        )
    if name == "banking77":
        pool = pd.read_csv(SHARED / "banking77" / "train.csv").rename(columns={"category": "y"})
        hold = pd.read_csv(SHARED / "banking77" / "test.csv").rename(columns={"category": "y"})
        classes = tuple(sorted(set(pool["y"])))
        return Dataset(name, "classification", pool, hold, "text", None, classes, batch, rounds)
    if name == "nlupp":
        path = HERE / "out" / "data" / "nlupp_banking.jsonl"
        if not path.exists():
            import subprocess

            subprocess.run([sys.executable, str(HERE / "prepare_data.py")], check=True)
        frame = pd.read_json(path, lines=True).rename(columns={"intents": "y"})
        pool, hold = split(frame, fraction, None)
        classes = tuple(sorted({c for v in frame["y"] for c in v.split("|")}))
        return Dataset(name, "multilabel", pool, hold, "text", None, classes, batch, rounds)
    if name == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        cols = [f"px{i}" for i in range(X.shape[1])]
        frame = pd.DataFrame(X, columns=cols)
        frame["y"] = [str(v) for v in y]
        pool, hold = split(frame, fraction, frame["y"])
        classes = tuple(str(i) for i in range(10))
        return Dataset(name, "classification", pool, hold, None, cols, classes, batch, rounds)
    raise SystemExit(f"unknown dataset {name!r}; known: {', '.join(PLAN)}")


def initial_positions(ds: Dataset, codes: np.ndarray, seed: int) -> np.ndarray:
    """One random item per class plus random items up to one batch (multilabel: one batch)."""
    rng = np.random.default_rng(10_000 + seed)
    n = len(ds.pool)
    chosen: list[int] = []
    if ds.task == "classification":
        chosen.extend(int(rng.choice(np.flatnonzero(codes == j))) for j in range(len(ds.classes)))
    rest = np.setdiff1d(np.arange(n), chosen)
    extra = max(ds.batch - len(chosen), 0)
    chosen.extend(int(i) for i in rng.choice(rest, extra, replace=False))
    return np.array(sorted(chosen), dtype=np.intp)


# -------------------------------------------------------------------- shared evaluation


class Context:
    """Features, labels, the evaluation code and the peers' representation of one dataset."""

    def __init__(self, ds: Dataset) -> None:
        from jupyter_al._model import Featurizer, default_model

        self.ds = ds
        featurizer = (
            Featurizer.for_text(ds.text) if ds.text else Featurizer.for_features(ds.features or [])
        )
        self.X = featurizer.fit_transform(ds.pool)  # fitted on the pool only, as the Session does
        self.X_test = featurizer.transform(ds.holdout)
        self.model = default_model(featurizer.kind)
        self.kind = featurizer.kind
        col = {c: j for j, c in enumerate(ds.classes)}
        if ds.task == "classification":
            self.y = np.array([col[v] for v in ds.pool["y"]], dtype=np.intp)
            self.y_test = list(ds.holdout["y"])
        else:
            self.y = np.zeros((len(ds.pool), len(ds.classes)), dtype=np.int8)
            for i, v in enumerate(ds.pool["y"]):
                for c in v.split("|"):
                    self.y[i, col[c]] = 1
            self.y_test = [tuple(v.split("|")) for v in ds.holdout["y"]]
        self.metric = "f1_macro" if ds.task == "classification" else "f1_micro"
        self._E: np.ndarray | None = None

    @property
    def E(self) -> np.ndarray:  # noqa: N802  # a matrix, named like the features
        """Dense representation for the peers' geometric strategies."""
        if self._E is None:
            if sp.issparse(self.X):
                from sklearn.decomposition import TruncatedSVD

                E = TruncatedSVD(SVD_DIMS, random_state=0).fit_transform(self.X)
                E /= np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
                self._E = np.ascontiguousarray(E)
            else:
                self._E = np.asarray(self.X)
        return self._E

    def score(self, lab: np.ndarray) -> float:
        """Held-out metric of our model fitted on the rows ``lab`` (the Session's code)."""
        from jupyter_al import metrics
        from jupyter_al._model import fit_classifier, fit_multilabel, predict_proba_aligned

        classes = self.ds.classes
        if self.ds.task == "classification":
            fitted, _ = fit_classifier(
                self.model, self.X[lab], [classes[j] for j in self.y[lab]], random_state=0
            )
        else:
            fitted, _ = fit_multilabel(
                self.model, self.X[lab], self.y[lab].astype(bool), random_state=0, classes=classes
            )
        proba = predict_proba_aligned(fitted, self.X_test, classes, task=self.ds.task)
        values = metrics.evaluate(
            self.ds.task, self.y_test, proba.astype(np.float64), classes, self.metric
        )
        return float(values[self.metric])


# ------------------------------------------------------------------------------ ours


def run_ours(ctx: Context, name: str, seed: int, init: np.ndarray) -> list[tuple[int, float]]:
    from jupyter_al import simulate

    ds = ctx.ds
    pool = ds.pool.copy()
    pool["init"] = None
    pool.loc[init, "init"] = pool.loc[init, "y"]
    hold = ds.holdout.copy()
    hold["init"] = None
    hold.index = pd.Index([f"h{i}" for i in range(len(hold))])
    store = Path(tempfile.mkdtemp(prefix=f"jal-{ds.name}-{name}-"))
    try:
        session = simulate(
            pool,
            oracle="y",
            text=ds.text,
            features=ds.features,
            labels=list(ds.classes),
            task=ds.task,
            label_sep="|",
            holdout=hold,
            strategy=name,
            batch_size=ds.batch,
            rounds=ds.rounds,
            store=store / "run",
            random_state=seed,
            label_column="init",
            min_per_class=1,
            guards="off",  # the guards read, never select: leave their cost out of the loop
        )
        rounds = session.rounds
    finally:
        shutil.rmtree(store, ignore_errors=True)
    return [
        (int(r["n_labeled"]), float(r["value"]))
        for _, r in rounds.sort_values("round").iterrows()
        if pd.notna(r["value"])
    ]


# ------------------------------------------------------------------------------ peers


class RowLookup(ClassifierMixin, BaseEstimator):
    """An estimator whose input is a one-column row index into the TF-IDF matrix.

    Lets scikit-activeml (which rejects sparse X) drive exactly our model on our features.
    """

    def __init__(self, rows: Any = None, estimator: Any = None) -> None:
        self.rows = rows
        self.estimator = estimator

    def _x(self, X: Any) -> Any:
        return self.rows[np.asarray(X, dtype=np.intp).ravel()]

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> RowLookup:
        self.estimator_ = clone(self.estimator).fit(self._x(X), y)
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.estimator_.predict_proba(self._x(X))

    def predict(self, X: Any) -> np.ndarray:
        return self.estimator_.predict(self._x(X))


# Opt-in only (--strategies): they pick what a faster arm picks and cost minutes per run here.
# small-text's PredictionEntropy ranks as entropy does (scipy's entropy row by row);
# its GreedyCoreset picks what scikit-activeml's CoreSet picks (bench_diversity.py: same
# selection as the greedy reference) at 10-100x its time.
SLOW_PEERS = ("small-text PredictionEntropy", "small-text GreedyCoreset")


def peer_arms(task: str) -> list[str]:
    if task == "multilabel":
        return ["modAL min_confidence", "modAL avg_confidence", "modAL mean_max_loss"]
    return [
        "modAL least_confidence",
        "modAL margin",
        "modAL entropy",
        "modAL ranked_batch",
        "small-text LeastConfidence",
        "small-text BreakingTies",
        "scikit-activeml least_confident",
        "scikit-activeml margin_sampling",
        "scikit-activeml entropy",
        "scikit-activeml CoreSet",
        "scikit-activeml TypiClust",
    ]


def make_selector(ctx: Context, arm: str, seed: int) -> Any:
    """Return select(lab, unl, b) -> pool positions, calling the peer's public API."""
    lib, name = arm.split(" ", 1)
    X, y, E, model = ctx.X, ctx.y, ctx.E if "Core" in arm or "Typi" in arm else None, ctx.model
    if lib == "modAL":
        from modAL import batch, multilabel, uncertainty
        from modAL.models import ActiveLearner

        fn = {
            "least_confidence": uncertainty.uncertainty_sampling,
            "margin": uncertainty.margin_sampling,
            "entropy": uncertainty.entropy_sampling,
            "ranked_batch": batch.uncertainty_batch_sampling,
            "min_confidence": multilabel.min_confidence,
            "avg_confidence": multilabel.avg_confidence,
            "mean_max_loss": multilabel.mean_max_loss,
        }[name]
        if ctx.ds.task == "multilabel":
            from sklearn.multiclass import OneVsRestClassifier

            model = OneVsRestClassifier(model)
        state: dict[str, Any] = {}

        def modal(lab: np.ndarray, unl: np.ndarray, b: int) -> np.ndarray:
            learner = state.get("learner")
            if learner is None:
                learner = ActiveLearner(
                    estimator=clone(model), query_strategy=fn, X_training=X[lab], y_training=y[lab]
                )
                state["learner"], state["lab"] = learner, lab
            else:  # teach the items labeled since the last call
                new = np.setdiff1d(lab, state["lab"])
                learner.teach(X[new], y[new])
                state["lab"] = lab
            q = learner.query(X[unl], n_instances=b)
            q = q[0] if isinstance(q, tuple) else q
            return unl[np.asarray(q, dtype=np.intp).ravel()]

        return modal
    if lib == "small-text":
        import small_text

        if name == "GreedyCoreset":
            strategy = small_text.GreedyCoreset(distance_metric="euclidean")

            def coreset(lab: np.ndarray, unl: np.ndarray, b: int) -> np.ndarray:
                emb = E[np.concatenate([unl, lab])]  # its subset order: unlabeled, then labeled
                return np.asarray(strategy.query(None, E, unl, lab, y[lab], n=b, embeddings=emb))

            return coreset
        strategy = getattr(small_text, name)()
        dataset = small_text.SklearnDataset(X, y)

        def stx(lab: np.ndarray, unl: np.ndarray, b: int) -> np.ndarray:
            clf = small_text.SklearnClassifier(clone(model), len(ctx.ds.classes))
            clf.fit(small_text.SklearnDataset(X[lab], y[lab]))
            return np.asarray(strategy.query(clf, dataset, unl, lab, y[lab], n=b))

        return stx
    if lib == "scikit-activeml":
        from skactiveml.classifier import SklearnClassifier
        from skactiveml.pool import CoreSet, TypiClust, UncertaintySampling

        n = X.shape[0]
        if name in {"CoreSet", "TypiClust"}:
            qs = (CoreSet if name == "CoreSet" else TypiClust)(random_state=seed)

            def geometric(lab: np.ndarray, unl: np.ndarray, b: int) -> np.ndarray:
                y_nan = np.full(n, np.nan)
                y_nan[lab] = y[lab]
                return np.asarray(qs.query(E, y_nan, batch_size=b))

            return geometric
        if sp.issparse(X):
            Xq, est = np.arange(n, dtype=np.float64).reshape(-1, 1), RowLookup(X, model)
        else:
            Xq, est = X, model
        us = UncertaintySampling(method=name, random_state=seed)
        clf = SklearnClassifier(est, classes=np.arange(len(ctx.ds.classes)), random_state=seed)

        def skal(lab: np.ndarray, unl: np.ndarray, b: int) -> np.ndarray:
            y_nan = np.full(n, np.nan)
            y_nan[lab] = y[lab]
            clf.fit(Xq, y_nan)
            return np.asarray(us.query(Xq, y_nan, clf, fit_clf=False, batch_size=b))

        return skal
    raise SystemExit(f"unknown peer arm {arm!r}")


def run_peer(ctx: Context, arm: str, seed: int, init: np.ndarray) -> list[tuple[int, float]]:
    select = make_selector(ctx, arm, seed)
    n = ctx.X.shape[0]
    lab = init.copy()
    curve = [(len(lab), ctx.score(lab))]
    for _ in range(ctx.ds.rounds):
        unl = np.setdiff1d(np.arange(n), lab)
        b = min(ctx.ds.batch, unl.size)
        if b == 0:
            break
        picks = np.asarray(select(lab, unl, b), dtype=np.intp).ravel()
        if picks.size != b or np.intersect1d(picks, lab).size or np.unique(picks).size != b:
            raise RuntimeError(f"{arm} returned {picks.size} picks, not {b} new unique ones")
        lab = np.sort(np.concatenate([lab, picks]))
        curve.append((len(lab), ctx.score(lab)))
    return curve


# -------------------------------------------------------------------------------- main


def summarize(
    curves: dict[str, dict[int, list[tuple[int, float]]]], full: float
) -> dict[str, dict[str, Any]]:
    from jupyter_al import metrics

    out: dict[str, dict[str, Any]] = {}
    rand = {s: metrics.area_under_curve(*zip(*c, strict=True)) for s, c in curves["random"].items()}
    for arm, by_seed in curves.items():
        if not by_seed:
            continue
        aulc = {s: metrics.area_under_curve(*zip(*c, strict=True)) for s, c in by_seed.items()}
        to95 = [
            metrics.labels_to_reach(*zip(*c, strict=True), 0.95 * full) for c in by_seed.values()
        ]
        reached = [t for t in to95 if t is not None]
        vals = list(aulc.values())
        out[arm] = {
            "aulc_mean": float(np.mean(vals)),
            "aulc_sd": float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0,
            "final_mean": float(np.mean([c[-1][1] for c in by_seed.values()])),
            "labels_to_95_median": statistics.median(reached) if reached else None,
            "reached_95": f"{len(reached)}/{len(to95)}",
            "wins_vs_random": sum(aulc[s] > rand[s] for s in aulc if s in rand),
            "n_seeds": len(vals),
            "delta_vs_random": float(np.mean([aulc[s] - rand[s] for s in aulc if s in rand])),
        }
    return out


def dist_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="2 seeds, 4 rounds")
    p.add_argument("--datasets", default="sms,digits,nlupp,banking77")
    p.add_argument("--strategies", default=None, help="arm names, comma-separated (default all)")
    p.add_argument("--seeds", default=None, help="default 0..4 (0,1 with --quick)")
    p.add_argument("--rounds", type=int, default=None, help="override the rounds of every set")
    p.add_argument(
        "--out",
        default="peers_quality",
        help="folder under benchmarks/out for the raw curves (a partial rerun: use another one)",
    )
    args = p.parse_args()
    seeds = [int(s) for s in (args.seeds or ("0,1" if args.quick else "0,1,2,3,4")).split(",")]
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else None)
    wanted = None if args.strategies is None else {s.strip() for s in args.strategies.split(",")}

    for module in ("modAL", "small_text", "skactiveml"):
        use_peers_venv(module)
    header("label efficiency: jupyter_al strategies vs modAL, small-text, scikit-activeml")
    print(
        "peers: "
        + ", ".join(
            f"{d} {dist_version(d)}" for d in ("modal-python", "small-text", "scikit-activeml")
        )
    )
    print(shim_modal())
    warnings.filterwarnings("ignore")  # peers' deprecation and convergence chatter
    from jupyter_al.strategies import known_strategies

    out_dir = HERE / "out" / args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    for name in args.datasets.split(","):
        t_data = time.perf_counter()
        ds = load_dataset(name.strip(), rounds)
        ctx = Context(ds)
        Y = ctx.y if ds.task == "classification" else ctx.y.argmax(axis=1)
        full = ctx.score(np.arange(len(ds.pool)))
        # judge_triage needs an LLM judge; without one it is margin (tests/test_session_judge.py)
        ours = [s for s in known_strategies(ds.task) if s not in ("diverse_seed", "judge_triage")]
        known = [*ours, *peer_arms(ds.task), *(SLOW_PEERS if ds.task == "classification" else ())]
        arms = [a for a in known if (a in wanted if wanted is not None else a not in SLOW_PEERS)]
        if "random" not in arms:
            arms.insert(0, "random")
        print(
            f"\n## {name}: pool {len(ds.pool):,}, held out {len(ds.holdout):,}, "
            f"{len(ds.classes)} classes, {ds.task}, batch {ds.batch} x {ds.rounds} rounds, "
            f"seeds {seeds}, {ctx.metric} full data {full:.4f}",
            flush=True,
        )
        curves: dict[str, dict[int, list[tuple[int, float]]]] = {a: {} for a in arms}
        errors: dict[str, str] = {}
        seconds: dict[str, float] = {}
        round0: dict[int, set[float]] = {}
        for seed in seeds:
            init = initial_positions(ds, Y, seed)
            for arm in arms:
                if arm in errors:
                    continue
                t0 = time.perf_counter()
                try:
                    if arm in ours:
                        curve = run_ours(ctx, arm, seed, init)
                    else:
                        curve = run_peer(ctx, arm, seed, init)
                except Exception as exc:  # noqa: BLE001  # an arm failing is a result
                    errors[arm] = f"{type(exc).__name__}: {exc}"[:300]
                    print(f"  {arm}: FAILED {errors[arm]}", flush=True)
                    continue
                dt = time.perf_counter() - t0
                seconds[arm] = seconds.get(arm, 0.0) + dt
                curves[arm][seed] = curve
                round0.setdefault(seed, set()).add(round(curve[0][1], 6))
                print(
                    f"  seed {seed} {arm}: {curve[0][0]}->{curve[-1][0]} labels, "
                    f"final {curve[-1][1]:.4f}, {dt:.1f} s",
                    flush=True,
                )
        same_start = all(len(v) == 1 for v in round0.values())
        summary = summarize(curves, full)
        result = {
            "dataset": name,
            "task": ds.task,
            "metric": ctx.metric,
            "full_data": full,
            "batch": ds.batch,
            "rounds": ds.rounds,
            "seeds": seeds,
            "pool": len(ds.pool),
            "holdout": len(ds.holdout),
            "same_round0_score_for_all_arms": same_start,
            "summary": summary,
            "errors": errors,
            "seconds": seconds,
            "curves": {a: {str(s): c for s, c in v.items()} for a, v in curves.items()},
        }
        (out_dir / f"{name}{suffix}.json").write_text(json.dumps(result, indent=1))
        print(
            f"\nround 0 (initial labels) scores identical for every arm: {same_start}; "
            f"{time.perf_counter() - t_data:.0f} s for {name}"
        )
        print_table(result, ours)
    print(f"\n{load_line()}")


def print_table(result: dict[str, Any], ours: list[str]) -> None:
    full = result["full_data"]
    print(
        f"\n**{result['dataset']}** ({result['metric']}, full data {full:.3f}, "
        f"{len(result['seeds'])} seeds)\n\n"
        "| arm | AULC mean ± sd | final | labels to 95% (median; seeds reaching) "
        "| wins vs random | ΔAULC vs random | s/run |\n|---|---|---|---|---|---|---|"
    )
    rows = sorted(result["summary"].items(), key=lambda kv: -kv[1]["aulc_mean"])
    for arm, s in rows:
        tag = arm if arm not in ours else f"**ours** {arm}"
        to95 = "not reached" if s["labels_to_95_median"] is None else s["labels_to_95_median"]
        per_run = result["seconds"].get(arm, 0.0) / max(s["n_seeds"], 1)
        print(
            f"| {tag} | {s['aulc_mean']:.3f} ± {s['aulc_sd']:.3f} | {s['final_mean']:.3f} "
            f"| {to95} ({s['reached_95']}) | {s['wins_vs_random']}/{s['n_seeds']} "
            f"| {s['delta_vs_random']:+.3f} | {per_run:.1f} |"
        )
    for arm, err in result["errors"].items():
        print(f"| {arm} | failed: {err} | | | | | |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
