"""Active learning for ranking on CISI, without the Session: strategies vs random.

The loop (``jupyter_al.ranking`` only, no Session, no run folder):

* data: CISI (``../shared/data/cisi``), the 76 queries with judgements; pairs are BM25's top
  30 documents per query (binary grades: a pair listed in CISI.REL is 1, else 0);
* per seed: 25% of the queries are held out (:func:`split_queries`: every pair of a held-out
  query is out of the pool); the rest is the pool; 50 pool pairs drawn at random are the
  first labels (the same for every strategy of a seed);
* per round: fit :class:`PointwiseRanker` on the labels, score the held-out pairs by expected
  grade, record nDCG@10 (and MAP, MRR); then the strategy picks 25 pairs from the pool with
  ``default_rng([seed, round])``; 10 rounds, so 50 -> 300 labels, 11 points per curve;
* arms: random; grade_uncertainty (entropy) with the default query_discount 0.5, with 1 (no
  spreading) and with 0 (strict rounds); topk_disagreement (k=10, the labeled pairs compete
  for the top 10) with query_discount 0.5 and 1, and without the labeled pairs;
* summary: the area under the nDCG@10 learning curve (``metrics.area_under_curve``, on the
  metric's scale), its mean over seeds, the per-seed difference to random (paired: a seed
  fixes the split and the first labels), and in how many seeds a strategy beat random.

What it showed with the original eight lexical features (``--features lexical``, 10 seeds):
the learned ranker never beat BM25 alone on CISI (nDCG@10 0.515 with all 1,710 pool labels vs
0.532 for BM25), and no strategy's AULC gain over random exceeded two standard errors.

With ``--features prf`` (the default: ``bm25_ratio`` + ``prf_cosine``, the cosine with the
centroid of the query's top 3 BM25 documents; ``class_weight=None``), 10 seeds: all pool
labels 0.539 vs BM25 0.532; AULC random 0.533, grade_uncertainty +0.001 +- 0.007 (6/10),
topk_disagreement +0.004 +- 0.007 (7/10); lexical: random 0.483, grade_uncertainty +0.013 +-
0.008, topk_disagreement +0.003 +- 0.015. Here BM25 and TF-IDF are fitted on all 1,460 CISI
documents. Through ``jupyter-al simulate`` (the session fits them on the 903 documents of the
pairs, holds out 20% of the queries, seeds with ``diverse_seed``, 15 rounds of 20) the PRF
model beat BM25 with all pool labels in 10/10 seeds (+0.030) and its random curve's AULC beat
BM25 in 8/10 (+0.027); topk_disagreement beat random in 8/10 seeds (+0.016 +- 0.007),
grade_uncertainty in 7/10 (-0.002 +- 0.009); those numbers come from ``compare_strategies``
with the CLI's arguments and ``model=PointwiseRanker(scale, class_weight=None,
feature_names=PRF_FEATURE_NAMES)``.

References printed with it: BM25 alone on the held-out queries, and the ranker fitted on every
pool pair (all labels: the ceiling of this model).

Run: ``python benchmarks/bench_ranking.py [--seeds 3] [--rounds 10] [--batch 25]
[--class-weight balanced|none] [--features prf|lexical]`` (about 10 s for 3 seeds on 2 idle
cores, 90 s under heavy load; 10 seeds about 30 s idle).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

try:
    from jupyter_al import ranking as rk
except ModuleNotFoundError:  # a checkout without `pip install -e .`: import it from here
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from jupyter_al import ranking as rk
from jupyter_al.metrics import area_under_curve

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import header, load_line

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_al.strategies import Selection

CISI = Path(__file__).resolve().parents[2] / "shared" / "data" / "cisi"
SCALE = rk.GradeScale((0, 1))
K = 10
FEATURE_SETS = {"prf": rk.PRF_FEATURE_NAMES, "lexical": rk.LEXICAL_FEATURE_NAMES}


class Loop:
    """The fixed parts of one seed: pool, held-out pairs, features and grades."""

    def __init__(
        self,
        pairs: pd.DataFrame,
        X: pd.DataFrame,
        y: np.ndarray,
        held: tuple[object, ...],
        class_weight: str | None,
        *,
        feature_names: tuple[str, ...] = rk.PRF_FEATURE_NAMES,
    ) -> None:
        self.class_weight = class_weight
        self.feature_names = feature_names
        out = pairs["query_id"].isin(held).to_numpy()
        self.pool = np.flatnonzero(~out)
        self.held = np.flatnonzero(out)
        self.X = X.to_numpy()
        self.y = y
        self.qid = pairs["query_id"].to_numpy()

    def fit(self, labeled: np.ndarray) -> rk.PointwiseRanker:
        model = rk.PointwiseRanker(
            SCALE, class_weight=self.class_weight, feature_names=self.feature_names
        )
        return model.fit(self.X[labeled], self.y[labeled])

    def evaluate(self, model: rk.PointwiseRanker) -> dict[str, float]:
        scores = model.expected_grade(self.X[self.held])
        return rk.evaluate_ranking(self.y[self.held], scores, self.qid[self.held], k=K)


# (loop, model, labeled, *, batch, rng) -> pool positions to label next
Chooser = Callable[..., np.ndarray]


def _random(loop, model, labeled, *, batch, rng):
    unlabeled = np.setdiff1d(loop.pool, labeled)
    return rng.choice(unlabeled, size=min(batch, unlabeled.size), replace=False)


def _via(select: Callable[..., Selection], **kwargs: object) -> Chooser:
    def choose(loop, model, labeled, *, batch, rng):
        unlabeled = np.setdiff1d(loop.pool, labeled)
        proba = model.predict_proba(loop.X[unlabeled])
        extra = dict(kwargs)
        if extra.pop("context", False):  # the labeled pairs compete for the top k too
            extra |= {"labeled_query_ids": loop.qid[labeled], "labeled_grades": loop.y[labeled]}
        sel = select(proba, loop.qid[unlabeled], batch, rng, scale=SCALE, **extra)
        return unlabeled[sel.positions]

    return choose


STRATEGIES: dict[str, Chooser] = {
    "random": _random,
    "grade_uncertainty": _via(rk.grade_uncertainty),
    "grade_uncertainty, query_discount=1 (no spreading)": _via(
        rk.grade_uncertainty, query_discount=1.0
    ),
    "grade_uncertainty, query_discount=0 (strict rounds)": _via(
        rk.grade_uncertainty, query_discount=0.0
    ),
    "topk_disagreement": _via(rk.topk_disagreement, k=K, context=True),
    "topk_disagreement, query_discount=1": _via(
        rk.topk_disagreement, k=K, context=True, query_discount=1.0
    ),
    "topk_disagreement, without the labeled pairs": _via(rk.topk_disagreement, k=K),
}


def run_curve(
    loop: Loop, choose: Chooser, *, seed: int, start: int, batch: int, rounds: int
) -> tuple[list[int], list[dict[str, float]], float]:
    labeled = np.sort(np.random.default_rng(seed).choice(loop.pool, size=start, replace=False))
    xs, values = [], []
    spent = 0.0
    for r in range(rounds + 1):
        model = loop.fit(labeled)
        xs.append(int(labeled.size))
        values.append(loop.evaluate(model))
        if r == rounds:
            break
        t0 = time.perf_counter()
        picked = choose(loop, model, labeled, batch=batch, rng=np.random.default_rng([seed, r]))
        spent += time.perf_counter() - t0
        labeled = np.sort(np.concatenate([labeled, picked]))
    return xs, values, spent


def _paired(values: list[float], base: list[float]) -> str:
    """Mean and standard error of the per-seed differences (same seed: same split, start)."""
    diffs = [v - b for v, b in zip(values, base, strict=True)]
    if len(diffs) < 2 or not any(diffs):
        return "-"
    se = statistics.stdev(diffs) / len(diffs) ** 0.5
    return f"{statistics.mean(diffs):+.4f} ± {se:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--start", type=int, default=50)
    parser.add_argument("--candidates", type=int, default=30)
    parser.add_argument("--holdout", type=float, default=0.25)
    parser.add_argument("--class-weight", choices=["balanced", "none"], default="none")
    parser.add_argument(
        "--features",
        choices=list(FEATURE_SETS),
        default="prf",
        help="prf: bm25_ratio + prf_cosine (the default model); lexical: the original eight",
    )
    args = parser.parse_args()
    header("bench_ranking: active learning for ranking on CISI (nDCG@10 on held-out queries)")
    if not CISI.is_dir():
        raise SystemExit(f"CISI not found at {CISI} (the shared data folder)")

    t0 = time.perf_counter()
    queries, docs, qrels = rk.load_cisi(CISI)
    queries = queries[queries["query_id"].isin(qrels["query_id"])].reset_index(drop=True)
    index = rk.build_index(docs)
    pairs = rk.make_pairs(queries, docs, n_candidates=args.candidates, index=index)
    X = rk.pair_features(pairs, queries, docs, index=index)
    y = rk.lookup_grades(pairs, qrels)
    print(
        f"CISI: {len(docs)} docs, {len(queries)} queries with judgements, {len(pairs)} pairs "
        f"(BM25 top {args.candidates}), {y.mean():.1%} relevant; "
        f"prepared in {time.perf_counter() - t0:.1f} s"
    )
    print(
        f"loop: held-out {args.holdout:.0%} of queries, start {args.start}, batch {args.batch}, "
        f"{args.rounds} rounds, seeds 0..{args.seeds - 1}; model PointwiseRanker "
        f"(multinomial LR, class_weight={args.class_weight}, features "
        f"{', '.join(FEATURE_SETS[args.features])})\n"
    )

    aulc: dict[str, list[float]] = {name: [] for name in STRATEGIES}
    final: dict[str, list[dict[str, float]]] = {name: [] for name in STRATEGIES}
    seconds: dict[str, float] = dict.fromkeys(STRATEGIES, 0.0)
    refs: dict[str, list[float]] = {"bm25": [], "all pool labels": []}
    for seed in range(args.seeds):
        held = rk.split_queries(queries["query_id"], args.holdout, seed)
        loop = Loop(
            pairs,
            X,
            y,
            held,
            None if args.class_weight == "none" else "balanced",
            feature_names=FEATURE_SETS[args.features],
        )
        assert not set(loop.qid[loop.pool]) & set(held)  # split by query, never by pair
        bm25 = rk.evaluate_ranking(
            y[loop.held], X["bm25"].to_numpy()[loop.held], loop.qid[loop.held], k=K
        )
        refs["bm25"].append(bm25[f"ndcg@{K}"])
        refs["all pool labels"].append(loop.evaluate(loop.fit(loop.pool))[f"ndcg@{K}"])
        for name, choose in STRATEGIES.items():
            xs, values, spent = run_curve(
                loop, choose, seed=seed, start=args.start, batch=args.batch, rounds=args.rounds
            )
            aulc[name].append(area_under_curve(xs, [v[f"ndcg@{K}"] for v in values]))
            final[name].append(values[-1])
            seconds[name] += spent
        print(
            f"seed {seed}: {len(held)} held-out queries ({int(bm25['n_queries'])} with a "
            f"relevant pair in their top {args.candidates}); nDCG@{K} of BM25 "
            f"{refs['bm25'][-1]:.4f}, of the ranker on all pool labels "
            f"{refs['all pool labels'][-1]:.4f}",
            flush=True,
        )

    print(
        f"\nreferences (nDCG@{K}, mean over seeds): "
        + ", ".join(f"{n} {statistics.mean(v):.4f}" for n, v in refs.items())
    )
    print(
        f"\n| strategy | AULC nDCG@{K} (mean ± sd) | per seed | minus random (mean ± se) "
        f"| wins vs random | nDCG@{K} at "
        f"{args.start + args.rounds * args.batch} | MAP | MRR | selection s/round |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    base = aulc["random"]
    for name, values in aulc.items():
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        wins = (
            "-"
            if name == "random"
            else f"{sum(v > b for v, b in zip(values, base, strict=True))}/{len(values)}"
        )
        last = final[name]
        print(
            f"| {name} | {statistics.mean(values):.4f} ± {sd:.4f} | "
            f"{' '.join(f'{v:.3f}' for v in values)} | {_paired(values, base)} | {wins} | "
            f"{statistics.mean(v[f'ndcg@{K}'] for v in last):.4f} | "
            f"{statistics.mean(v['map'] for v in last):.4f} | "
            f"{statistics.mean(v['mrr'] for v in last):.4f} | "
            f"{seconds[name] / (args.seeds * args.rounds):.3f} |"
        )
    print(f"\ntotal {time.perf_counter() - t0:.1f} s; {load_line()}")


if __name__ == "__main__":
    main()
