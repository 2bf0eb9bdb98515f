"""Strategies that earn their labels: diversity, density, class balance, committees, BADGE.

Every strategy here keeps the contract of :mod:`jupyter_al.strategies` and is a composition
of small parts, so each pick's reason can say which part chose it and with what numbers:

* an **uncertainty** score over every candidate (margin, entropy, ...; none for pure
  diversity);
* **boosts** over every candidate: class balance (items predicted as classes with fewer
  labels) and heuristics (a user's scoring function, or keyword rules);
* a **shortlist** of the ``candidates_factor x batch`` best-scored candidates;
* on the shortlist, a **density** weight (mean similarity to the 10 nearest pool items, so
  lone outliers do not dominate) and/or a **diversity** pick (greedy k-center, k-means++, or
  the best-scored item of each k-means cluster, over the vectors, distance-aware to what is
  already labeled);
* an **exploration** share of random picks.

Near-duplicate control: none of these strategies puts two members of one near-duplicate
group (``candidates.groups``) in a batch, nor a member of a group that already holds a labeled
item (``candidates.taken_groups``), while other candidates are left. Cost stays near linear in
the pool: the only Python loops run once per pick, over numpy operations.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from jupyter_al import _diversity as dv
from jupyter_al._types import TASKS
from jupyter_al.exceptions import ConfigError
from jupyter_al.strategies import (
    Candidates,
    Selection,
    StrategyInfo,
    _as_proba,
    _label,
    _num,
    _selection,
    binary_minimum_scores,
    check_candidates,
    entropy_scores,
    least_confidence_scores,
    margin_scores,
    mean_max_loss_scores,
    register_strategy,
    top_k,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from numpy.typing import ArrayLike, NDArray

    from jupyter_al._types import Task

__all__ = ["Hybrid", "hybrid"]

Uncertainty = Literal["least_confidence", "margin", "entropy", "binary_minimum", "mean_max_loss"]
Diversity = Literal["kcenter", "kmeans++", "kmeans"]

_UNCERTAINTY: dict[str, tuple[Task, Callable[[ArrayLike], NDArray[np.float64]]]] = {
    "least_confidence": ("classification", least_confidence_scores),
    "margin": ("classification", margin_scores),
    "entropy": ("classification", entropy_scores),
    "binary_minimum": ("multilabel", binary_minimum_scores),
    "mean_max_loss": ("multilabel", mean_max_loss_scores),
}
#: Neighbours averaged for the density weight.
DENSITY_NEIGHBOURS = 10
#: Balance boosts are clipped to this factor either way.
MAX_BOOST = 4.0


def _normalised_uncertainty(
    name: str, P: NDArray[np.floating], n_classes: int
) -> NDArray[np.float64]:
    """Return the named uncertainty scaled to [0, 1] (entropy divided by its maximum)."""
    s = _UNCERTAINTY[name][1](P)
    if name == "entropy" and n_classes > 1:
        s = s / math.log(n_classes)
    return np.clip(s, 0.0, None)


def _vectors(c: Candidates) -> tuple[Any, Any]:
    """Return the candidates' and labeled items' vectors (embeddings, features or proba)."""
    if c.vectors is not None:
        return dv.as_rows(c.vectors, "vectors"), (
            dv.as_rows(c.vectors_labeled, "vectors_labeled")
            if c.vectors_labeled is not None and c.vectors_labeled.shape[0] > 0
            else None
        )
    if c.X is not None:
        return dv.as_rows(c.X, "X"), (
            dv.as_rows(c.X_labeled, "X_labeled")
            if c.X_labeled is not None and c.X_labeled.shape[0] > 0
            else None
        )
    if c.proba is not None:
        return dv.as_rows(np.asarray(c.proba, dtype=np.float64), "proba"), None
    raise ConfigError(
        "a diversity-aware strategy needs candidates.vectors, candidates.X or candidates.proba; "
        "got none of them"
    )


def _balance_boost(
    c: Candidates, P: NDArray[np.floating], alpha: float
) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.float64]]:
    """Per candidate: the boost, the class it is credited to, and that class's label count.

    Classification: the predicted class. Multilabel: the predicted label with the fewest
    labels so far (the most probable one when none is predicted).
    """
    counts = np.array([float(c.label_counts.get(k, 0)) for k in c.classes])
    mean = float(counts.mean()) if counts.size else 0.0
    if c.task == "classification":
        cls = np.asarray(P.argmax(axis=1), dtype=np.intp)
    else:
        on = P >= 0.5
        masked = np.where(on, counts[None, :], np.inf)
        cls = np.where(on.any(axis=1), masked.argmin(axis=1), P.argmax(axis=1)).astype(np.intp)
    got = counts[cls]
    boost = np.clip(((mean + 1.0) / (got + 1.0)) ** alpha, 1.0 / MAX_BOOST, MAX_BOOST)
    return np.asarray(boost, dtype=np.float64), cls, got


def _keyword_hits(
    texts: Sequence[str], keywords: Mapping[str, Sequence[str]]
) -> tuple[NDArray[np.float64], list[str | None]]:
    """Return 1.0 where a text holds a keyword (whole word, any case), with the matching rule."""
    import pandas as pd

    s = pd.Series(list(texts), dtype="object").fillna("").astype(str)
    hit = np.zeros(len(s), dtype=np.float64)
    which: list[str | None] = [None] * len(s)
    for label, words in keywords.items():
        clean = [w for w in words if isinstance(w, str) and w.strip()]
        if not clean:
            continue
        pattern = r"\b(?:" + "|".join(re.escape(w.strip()) for w in clean) + r")\b"
        found = s.str.extract("(" + pattern + ")", flags=re.IGNORECASE)[0]
        for i in np.flatnonzero(found.notna().to_numpy() & (hit == 0)):
            hit[i] = 1.0
            which[i] = f"keyword {found.iloc[i]!r} (rule for {_label(label)})"
    return hit, which


def _dedupe_order(
    order: NDArray[np.intp], k: int, groups: NDArray[np.intp] | None, taken: frozenset[int]
) -> tuple[NDArray[np.intp], int]:
    """Return the first ``k`` of ``order`` with at most one member per near-duplicate group.

    Members of groups already used come last, and only when nothing else is left. Returns
    the picks and how many of them are fresh (not such fillers).
    """
    if groups is None:
        head = order[:k]
        return head, int(head.shape[0])
    out: list[int] = []
    later: list[int] = []
    used: set[int] = set()
    for i in order.tolist():
        g = int(groups[i])
        if g >= 0 and (g in used or g in taken):
            later.append(i)
            continue
        if g >= 0:
            used.add(g)
        out.append(i)
        if len(out) == k:
            break
    fresh = len(out)
    out.extend(later[: k - len(out)])
    return np.asarray(out, dtype=np.intp), fresh


@dataclass(frozen=True, slots=True)
class Hybrid:
    """A composed strategy (see the module docstring); build it with :func:`hybrid`."""

    name: str
    uncertainty: str | None = "margin"
    diversity: str | None = None
    density: float = 0.0
    balance: float = 0.0
    heuristic: Callable[[Candidates], ArrayLike] | None = None
    keywords: Mapping[str, Sequence[str]] | None = None
    heuristic_weight: float = 1.0
    exploration: float = 0.0
    candidates_factor: int | None = 10

    @property
    def tasks(self) -> tuple[Task, ...]:
        """The tasks this composition supports."""
        return TASKS if self.uncertainty is None else (_UNCERTAINTY[self.uncertainty][0],)

    @property
    def needs_proba(self) -> bool:
        """Whether the composition needs model probabilities."""
        return self.uncertainty is not None or self.balance > 0

    @property
    def needs_vectors(self) -> bool:
        """Whether the composition reads vectors (diversity or density)."""
        return self.diversity is not None or self.density > 0

    @property
    def needs_texts(self) -> bool:
        """Whether the composition reads the candidates' texts (keyword rules)."""
        return bool(self.keywords)

    def info(self) -> StrategyInfo:
        """Return the registry entry for this composition (what ``get_strategy`` returns)."""
        return StrategyInfo(
            name=self.name,
            func=self,
            tasks=frozenset(self.tasks),
            needs_proba=self.needs_proba,
            summary=self.describe(),
            needs_features=self.needs_vectors,
            needs_vectors=self.needs_vectors,
            needs_texts=self.needs_texts,
        )

    def describe(self) -> str:
        """One line saying what the composition does."""
        parts = [self.uncertainty or "no uncertainty"]
        if self.balance:
            parts.append(f"class-balance boost (alpha {self.balance:g})")
        if self.heuristic is not None or self.keywords:
            parts.append("heuristic boost")
        if self.density:
            parts.append(f"density-weighted (beta {self.density:g})")
        if self.diversity:
            parts.append(f"{self.diversity} diversity")
        if self.exploration:
            parts.append(f"{self.exploration:.0%} random exploration")
        return "Hybrid: " + " + ".join(parts) + "; one item per near-duplicate group"

    def __call__(
        self, candidates: Candidates, batch_size: int, rng: np.random.Generator
    ) -> Selection:
        """Choose up to ``batch_size`` candidates, best first (see the module docstring)."""
        c = candidates
        k = check_candidates(
            c, batch_size, strategy=self.name, tasks=self.tasks, needs_proba=self.needs_proba
        )
        n = c.n
        groups = None if c.groups is None else np.asarray(c.groups, dtype=np.intp)
        taken = frozenset(int(g) for g in c.taken_groups)
        n_explore = 0
        if self.exploration > 0 and k >= 2:
            n_explore = min(k - 1, max(1, round(self.exploration * k)))
        k_main = k - n_explore

        P = _as_proba(c.proba) if c.proba is not None else None
        base = np.ones(n, dtype=np.float64)
        unc: NDArray[np.float64] | None = None
        if self.uncertainty is not None and P is not None:
            unc = _normalised_uncertainty(self.uncertainty, P, len(c.classes))
            base = unc.copy()
        boost_b = cls_b = got_b = None
        if self.balance > 0 and P is not None:
            boost_b, cls_b, got_b = _balance_boost(c, P, self.balance)
            base *= boost_b
        heur: NDArray[np.float64] | None = None
        heur_why: list[str | None] | None = None
        if self.heuristic is not None:
            heur = _check_heuristic(self.heuristic(c), n, self.name)
        if self.keywords:
            if c.texts is None:
                raise ConfigError(
                    f"strategy {self.name!r} has keyword rules but candidates.texts is None: "
                    "keyword rules need a text column"
                )
            hits, heur_why = _keyword_hits(c.texts, self.keywords)
            heur = hits if heur is None else np.maximum(heur, hits)
        if heur is not None:
            base *= 1.0 + self.heuristic_weight * heur

        # --- the shortlist: the best-scored candidates (all of them for pure diversity)
        dens: NDArray[np.float64] | None = None
        dist: NDArray[np.float64] | None = None
        cluster_of: dict[int, tuple[int, bool]] = {}
        n_clusters = 0
        if self.needs_vectors:
            V, VL = _vectors(c)
            if self.candidates_factor is None or self.candidates_factor * k_main >= n:
                m = n
                shortlist = np.arange(n, dtype=np.intp)
            else:
                m = max(self.candidates_factor * k_main, k_main)
                shortlist = top_k(base, m, rng)
            score = base[shortlist]
            if self.density > 0 and shortlist.size:
                dens = _density(V, VL, shortlist)
                score = score * np.power(np.clip(dens, 1e-6, None), self.density)
            sub_groups = None if groups is None else groups[shortlist]
            Vs = V if m == n else V[shortlist]
            if self.diversity == "kcenter":
                picked, dist = dv.kcenter_greedy(
                    Vs, k_main, rng, X_labeled=VL, groups=sub_groups, taken_groups=taken
                )
            elif self.diversity == "kmeans++":
                picked, dist = dv.kmeanspp_select(
                    Vs,
                    k_main,
                    rng,
                    X_labeled=VL,
                    weights=score,
                    groups=sub_groups,
                    taken_groups=taken,
                )
                # rank the drawn set by its score (the draw order is not a ranking)
                fresh = _n_fresh(picked, sub_groups, taken)
                head = picked[:fresh][np.argsort(-score[picked[:fresh]], kind="stable")]
                picked = np.concatenate([head, picked[fresh:]]).astype(np.intp)
                dist = None
            elif self.diversity == "kmeans":
                cluster = dv.kmeans_clusters(
                    Vs,
                    k_main,
                    rng,
                    X_labeled=VL,
                    weights=score,
                    groups=sub_groups,
                    taken_groups=taken,
                )
                order = np.lexsort((rng.random(shortlist.size), -score)).astype(np.intp)
                picked, heads = _best_per_cluster(order, cluster, k_main, sub_groups, taken)
                sizes = np.bincount(cluster, minlength=k_main)
                n_clusters = int((sizes > 0).sum())
                cluster_of = {
                    int(shortlist[j]): (int(sizes[cluster[j]]), j_rank < heads)
                    for j_rank, j in enumerate(picked.tolist())
                }
                # rank the fresh picks by their score (cluster order is not a ranking)
                fresh = _n_fresh(picked, sub_groups, taken)
                head = picked[:fresh][np.argsort(-score[picked[:fresh]], kind="stable")]
                picked = np.concatenate([head, picked[fresh:]]).astype(np.intp)
            else:
                order = np.lexsort((rng.random(shortlist.size), -score)).astype(np.intp)
                picked, _ = _dedupe_order(order, k_main, sub_groups, taken)
            fresh = _n_fresh(picked, sub_groups, taken)
            main = shortlist[picked]
            main_score = dist.copy() if dist is not None else score[picked]
            dens_of = (
                {} if dens is None else {int(shortlist[j]): float(dens[j]) for j in picked.tolist()}
            )
        else:
            m = n
            main, fresh = _ranked_dedupe(base, k_main, groups, taken, rng)
            main_score = base[main]
            dens_of = {}
        main_score[fresh:] = 0.0  # near-duplicate fillers rank last

        chosen = list(main.tolist())
        scores = list(main_score.tolist())
        kinds = ["main"] * fresh + ["filler"] * (len(chosen) - fresh)
        if n_explore:
            extra = _explore(n, chosen, n_explore, rng, groups=groups, taken=taken)
            chosen.extend(extra.tolist())
            scores.extend([0.0] * extra.size)
            kinds.extend(["explore"] * extra.size)

        dens_median = float(np.median(dens)) if dens is not None and dens.size else 0.0
        reasons: list[str] = []
        for rank, (pos, kind) in enumerate(zip(chosen, kinds, strict=True), start=1):
            if kind == "explore":
                reasons.append(
                    f"exploration: random pick ({n_explore} of {k}, "
                    f"{self.exploration:.0%} of the batch) from {n:,} candidates"
                )
                continue
            if kind == "filler":
                reasons.append(
                    "near-duplicate of an item already labeled or in this batch, taken only "
                    f"because no other candidate is left; rank {rank} of {k}"
                )
                continue
            parts: list[str] = []
            if unc is not None:
                text = f"{self.uncertainty} uncertainty {_num(float(unc[pos]))}"
                if self.needs_vectors and m < n:
                    text += f" (shortlist: the {m:,} best-scored of {n:,})"
                parts.append(text)
            if boost_b is not None and cls_b is not None and got_b is not None:
                what = "predicted" if c.task == "classification" else "predicted label"
                parts.append(
                    f"{what} {_label(c.classes[int(cls_b[pos])])} has "
                    f"{int(got_b[pos])} label(s) so far: boost x{_num(float(boost_b[pos]))}"
                )
            if heur is not None and heur[pos] > 0:
                why = heur_why[pos] if heur_why is not None else None
                parts.append(why or f"heuristic score {_num(float(heur[pos]))}")
            if dens is not None and pos in dens_of:
                parts.append(f"density {_num(dens_of[pos])} (shortlist median {_num(dens_median)})")
            if pos in cluster_of:
                size, heads_it = cluster_of[pos]
                parts.append(
                    f"k-means: the best-scored of its cluster ({size} of the {m:,} shortlisted, "
                    f"{n_clusters} clusters)"
                    if heads_it
                    else f"k-means: taken after the best of every cluster ({n_clusters} "
                    "clusters for the batch)"
                )
            if dist is not None:
                d = scores[rank - 1]
                near = "first pick, nothing labeled" if math.isinf(d) else f"{_num(d)}"
                parts.append(f"{self.diversity}: {near} from the nearest labeled or chosen item")
            reasons.append("; ".join(parts) + f"; rank {rank} of {k}")
        finite = [s if math.isfinite(s) else 1e12 for s in scores]
        return _selection(np.asarray(chosen, dtype=np.intp), np.asarray(finite), reasons, self.name)


def _check_heuristic(value: ArrayLike, n: int, name: str) -> NDArray[np.float64]:
    h = np.asarray(value, dtype=np.float64)
    if h.shape != (n,):
        raise ConfigError(
            f"strategy {name!r}: the heuristic must return one score per candidate, shape "
            f"({n},), got shape {h.shape}"
        )
    if not np.isfinite(h).all():
        raise ConfigError(f"strategy {name!r}: the heuristic returned NaN or infinite scores")
    return np.clip(h, 0.0, 1.0)


def _density(V: Any, VL: Any, shortlist: NDArray[np.intp]) -> NDArray[np.float64]:
    """Mean similarity of each shortlisted candidate to its nearest pool items (labeled too)."""
    sims = dv.knn_similarity(V[shortlist], V, DENSITY_NEIGHBOURS, exclude=shortlist)
    if VL is not None and VL.shape[0]:
        sims_l = dv.knn_similarity(V[shortlist], VL, DENSITY_NEIGHBOURS)
        n_v, n_l = V.shape[0] - 1, VL.shape[0]
        # the k nearest of the union lie within the k nearest of each part: take the better
        sims = np.maximum(sims, sims_l) if n_l >= DENSITY_NEIGHBOURS else sims
        del n_v
    return sims


def _ranked_dedupe(
    base: NDArray[np.float64],
    k: int,
    groups: NDArray[np.intp] | None,
    taken: frozenset[int],
    rng: np.random.Generator,
) -> tuple[NDArray[np.intp], int]:
    """Return the ``k`` best-scored positions, one per near-duplicate group, best first.

    Ranks a shortlist of ``4k + 64`` first and widens it only when near-duplicates used it
    up. Also returns how many picks are fresh (the rest are near-duplicate fillers).
    """
    n = base.shape[0]
    if groups is None:
        head = top_k(base, k, rng)
        return head, int(head.shape[0])
    m = min(n, 4 * k + 64)
    while True:
        picked, fresh = _dedupe_order(top_k(base, m, rng), k, groups, taken)
        if fresh >= k or m == n:
            return picked, fresh
        m = min(n, 4 * m)


def _best_per_cluster(
    order: NDArray[np.intp],
    cluster: NDArray[np.intp],
    k: int,
    groups: NDArray[np.intp] | None,
    taken: frozenset[int],
) -> tuple[NDArray[np.intp], int]:
    """Return up to ``k`` positions: the best of each cluster first, then the next best.

    ``order`` ranks the positions best first. Each cluster gives its best-ranked member whose
    near-duplicate group is neither taken nor already in the batch; when the clusters (or
    their fresh members) run out before ``k``, the best remaining positions follow, one per
    group (near-duplicate fillers last). Also returns how many picks head a cluster.
    """
    used_clusters: set[int] = set()
    used_groups: set[int] = set(taken)
    heads: list[int] = []
    for i in order.tolist():
        c = int(cluster[i])
        if c in used_clusters:
            continue
        g = -1 if groups is None else int(groups[i])
        if g >= 0 and g in used_groups:
            continue
        used_clusters.add(c)
        if g >= 0:
            used_groups.add(g)
        heads.append(i)
        if len(heads) == k:
            break
    head_arr = np.asarray(heads, dtype=np.intp)
    if head_arr.size == k:
        return head_arr, k
    rest = order[~np.isin(order, head_arr)]
    more, _ = _dedupe_order(rest, k - head_arr.size, groups, frozenset(used_groups))
    return np.concatenate([head_arr, more]).astype(np.intp), int(head_arr.size)


def _n_fresh(
    picked: NDArray[np.intp], groups: NDArray[np.intp] | None, taken: frozenset[int]
) -> int:
    """Return how many leading picks are fresh: no two share a group, none in a taken one."""
    if groups is None:
        return int(picked.shape[0])
    used = set(taken)
    for j, i in enumerate(picked.tolist()):
        g = int(groups[i])
        if g >= 0:
            if g in used:
                return j
            used.add(g)
    return int(picked.shape[0])


def _explore(
    n: int,
    chosen: list[int],
    count: int,
    rng: np.random.Generator,
    *,
    groups: NDArray[np.intp] | None,
    taken: frozenset[int],
) -> NDArray[np.intp]:
    free = np.ones(n, dtype=bool)
    free[np.asarray(chosen, dtype=np.intp)] = False
    if groups is not None:
        used = {int(groups[i]) for i in chosen if groups[i] >= 0} | set(taken)
        ok = free & ~np.isin(groups, np.fromiter(used, dtype=np.intp, count=len(used)))
        if ok.sum() >= count:
            free = ok
    pool = np.flatnonzero(free)
    return rng.choice(pool, size=min(count, pool.size), replace=False).astype(np.intp)


def hybrid(
    uncertainty: str | None = "margin",
    *,
    diversity: str | None = None,
    density: float = 0.0,
    balance: float = 0.0,
    heuristic: Callable[[Candidates], ArrayLike] | None = None,
    keywords: Mapping[str, Sequence[str]] | None = None,
    heuristic_weight: float = 1.0,
    exploration: float = 0.0,
    candidates_factor: int | None = 10,
    name: str | None = None,
) -> Hybrid:
    """Compose a strategy from uncertainty, boosts, density, diversity and exploration.

    Parameters
    ----------
    uncertainty : str or None
        One of "margin", "entropy", "least_confidence", "mean_max_loss", "binary_minimum".
        The base score (None: pure diversity, no model needed).
    diversity : {"kcenter", "kmeans++", "kmeans"} or None
        Choose the batch among the shortlist by greedy k-center, by k-means++ sampling
        weighted by the score (both distance-aware to the labeled items), or by k-means:
        cluster the shortlist into ``batch`` clusters (seeded by that k-means++ draw, then
        Lloyd iterations) and take the best-scored item of each cluster. With ``density``,
        that is the most uncertain *typical* item of each region of the shortlist: the
        clusters stand in for TypiClust's (Hacohen et al., 2022) and the density for its
        typicality, as in diverse mini-batch active learning (Zhdanov, 2019), and unlike a
        k-means++ draw it never trades a higher score for a larger distance.
    density : float
        Exponent beta of the density weight (0 = off; 1 = information density).
    balance : float
        Exponent alpha of the class-balance boost ``((mean count + 1) / (count + 1))^alpha``
        for the class each candidate is predicted as (0 = off), clipped to [1/4, 4].
    heuristic : callable, optional
        ``f(candidates) -> scores in [0, 1]`` (one per candidate); multiplies the score by
        ``1 + heuristic_weight x score``.
    keywords : mapping of str to list of str, optional
        Keyword rules, ``{label or rule name: [words]}``: a candidate whose text holds one of
        the words (whole word, any case) scores 1 as a heuristic.
    heuristic_weight : float
    exploration : float
        Share of the batch drawn at random (at least one pick when > 0 and the batch has 2+).
    candidates_factor : int or None
        The shortlist holds ``candidates_factor x batch`` candidates (None: all, for diversity).
    name : str, optional
        Defaults to a name built from the parts, e.g. ``"margin+kcenter"``.

    Returns
    -------
    Hybrid
        A strategy: pass it as ``Session(..., strategy=...)`` or register it.

    References
    ----------
    G. Hacohen, A. Dekel and D. Weinshall, "Active learning on a budget: opposite strategies
    suit high and low budgets", ICML 2022 (TypiClust). F. Zhdanov, "Diverse mini-batch active
    learning", arXiv:1901.05954, 2019. B. Settles and M. Craven, "An analysis of active
    learning strategies for sequence labeling tasks", EMNLP 2008 (information density).

    Raises
    ------
    ConfigError
        For an unknown part, a negative weight or an exploration share outside [0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> from jupyter_al.strategies import Candidates
    >>> s = hybrid("margin", exploration=0.5)
    >>> s.name
    'margin+explore50'
    >>> P = np.array([[0.5, 0.5], [0.9, 0.1], [0.6, 0.4], [0.99, 0.01]])
    >>> sel = s(Candidates("classification", ("a", "b"), P), 2, np.random.default_rng(0))
    >>> int(sel.positions[0]), sel.reasons[1].startswith("exploration")
    (0, True)
    """
    if uncertainty is not None and uncertainty not in _UNCERTAINTY:
        raise ConfigError(
            f"uncertainty must be one of {sorted(_UNCERTAINTY)} or None, got {uncertainty!r}"
        )
    if diversity not in (None, "kcenter", "kmeans++", "kmeans"):
        raise ConfigError(
            f"diversity must be 'kcenter', 'kmeans++', 'kmeans' or None, got {diversity!r}"
        )
    for arg, value in (
        ("density", density),
        ("balance", balance),
        ("heuristic_weight", heuristic_weight),
    ):
        if not isinstance(value, int | float) or not value >= 0:
            raise ConfigError(f"{arg} must be a number >= 0, got {value!r}")
    if not isinstance(exploration, int | float) or not 0 <= exploration < 1:
        raise ConfigError(f"exploration must be a share in [0, 1), got {exploration!r}")
    if candidates_factor is not None and (
        not isinstance(candidates_factor, int) or candidates_factor < 1
    ):
        raise ConfigError(
            f"candidates_factor must be an integer >= 1 or None, got {candidates_factor!r}"
        )
    if (
        uncertainty is None
        and diversity is None
        and not density
        and heuristic is None
        and not keywords
    ):
        raise ConfigError(
            "hybrid() needs at least one part: uncertainty, diversity, density or a heuristic"
        )
    if heuristic is not None and not callable(heuristic):
        raise ConfigError(
            f"heuristic must be a function f(candidates) -> scores, got {type(heuristic).__name__}"
        )
    if name is None:
        parts = [uncertainty or "diversity"]
        if balance:
            parts.append("balance")
        if heuristic is not None or keywords:
            parts.append("heuristic")
        if density:
            parts.append("density")
        if diversity:
            parts.append(diversity)
        if exploration:
            parts.append(f"explore{round(100 * exploration)}")
        name = "+".join(parts)
    return Hybrid(
        name=name,
        uncertainty=uncertainty,
        diversity=diversity,
        density=float(density),
        balance=float(balance),
        heuristic=heuristic,
        keywords=keywords,
        heuristic_weight=float(heuristic_weight),
        exploration=float(exploration),
        candidates_factor=candidates_factor,
    )


# ------------------------------------------------------------- committee and gradients


def _consensus_kl(members: list[NDArray[np.floating]], task: Task) -> NDArray[np.float64]:
    """Mean KL divergence of each member from the committee's mean, per candidate (blocked)."""
    n = members[0].shape[0]
    out = np.empty(n, dtype=np.float64)
    eps = 1e-12
    for start in range(0, n, 8192):
        stop = min(start + 8192, n)
        block = np.stack([np.asarray(m[start:stop], dtype=np.float64) for m in members])
        np.clip(block, eps, 1.0 - eps if task == "multilabel" else 1.0, out=block)
        mean = block.mean(axis=0)
        if task == "classification":
            kl = (block * (np.log(block) - np.log(mean))).sum(axis=2)
        else:
            q = 1.0 - block
            qm = 1.0 - mean
            kl = (block * (np.log(block) - np.log(mean)) + q * (np.log(q) - np.log(qm))).mean(
                axis=2
            )
        out[start:stop] = kl.mean(axis=0)
    return out


@register_strategy("qbc", tasks=TASKS, needs_committee=True)
def _qbc(candidates: Candidates, batch_size: int, rng: np.random.Generator) -> Selection:
    """Query by committee: where subsampled models disagree most (McCallum & Nigam, 1998).

    The session fits the committee: models on random 80% subsamples of the labeled items
    (stratified by class), one seed each. The score is the mean KL divergence of the members
    from their consensus (per-label binary KL, averaged over labels, for multilabel).
    """
    c = candidates
    k = check_candidates(c, batch_size, strategy="qbc")
    if c.committee is None or len(c.committee) < 2:
        got = 0 if c.committee is None else len(c.committee)
        raise ConfigError(
            f"strategy 'qbc' needs candidates.committee: the probabilities of 2 or more "
            f"committee members, got {got}"
        )
    members = [_as_proba(m, "committee member") for m in c.committee]
    for m in members:
        if m.shape != (c.n, len(c.classes)):
            raise ConfigError(
                f"every committee member must have shape ({c.n}, {len(c.classes)}), got {m.shape}"
            )
    score = _consensus_kl(members, "multilabel" if c.task == "multilabel" else "classification")
    groups = None if c.groups is None else np.asarray(c.groups, dtype=np.intp)
    chosen, fresh = _ranked_dedupe(score, k, groups, frozenset(c.taken_groups), rng)
    out_score = score[chosen].copy()
    out_score[fresh:] = 0.0  # near-duplicate fillers rank last
    reasons = []
    size = len(members)
    for rank, pos in enumerate(chosen.tolist(), start=1):
        if c.task == "classification":
            votes = np.bincount([int(np.argmax(m[pos])) for m in members], minlength=len(c.classes))
            top = np.argsort(-votes, kind="stable")
            said = ", ".join(
                f"{int(votes[j])} for {_label(c.classes[int(j)])}" for j in top if votes[j]
            )
            reasons.append(
                f"committee of {size}: disagreement (consensus KL) {_num(float(score[pos]))}; "
                f"votes {said}; rank {rank} of {k}"
            )
        else:
            spread = np.ptp(np.stack([np.asarray(m[pos], dtype=np.float64) for m in members]), 0)
            j = int(np.argmax(spread))
            reasons.append(
                f"committee of {size} disagrees: mean KL {_num(float(score[pos]))}, most on "
                f"{_label(c.classes[j])} (p from {_num(float(min(m[pos][j] for m in members)))}"
                f" to {_num(float(max(m[pos][j] for m in members)))}); rank {rank} of {k}"
            )
    return _selection(chosen, out_score, reasons, "qbc")


@register_strategy("badge", tasks=TASKS, needs_features=True)
def _badge(candidates: Candidates, batch_size: int, rng: np.random.Generator) -> Selection:
    """BADGE: k-means++ over last-layer gradient embeddings (Ash et al., ICLR 2020).

    For a linear model the gradient of the loss (taking the prediction as the label) is
    ``(p - onehot(prediction)) (x) x``: large for uncertain items, and spread out over
    different directions for different kinds of items. It is never materialised (the
    distances come from the two factors), so a pick costs ``O(n (C + d))``.
    """
    c = candidates
    k = check_candidates(c, batch_size, strategy="badge")
    X = c.X if c.X is not None else c.vectors
    if X is None:
        raise ConfigError("strategy 'badge' needs the model's features (candidates.X), got None")
    Xr = dv.as_rows(X, "X")
    P = _as_proba(c.proba if c.proba is not None else np.empty((0, 0)))
    A, pred = dv.gradient_embedding_parts(P, c.task)
    groups = None if c.groups is None else np.asarray(c.groups, dtype=np.intp)
    positions, gnorm, dist = dv.badge_select(
        A, Xr, k, rng, groups=groups, taken_groups=frozenset(c.taken_groups)
    )
    # rank the drawn set by gradient norm (the draw order is not a ranking); fillers last
    fresh = _n_fresh(positions, groups, frozenset(c.taken_groups))
    order = np.concatenate([np.argsort(-gnorm[:fresh], kind="stable"), np.arange(fresh, k)]).astype(
        np.intp
    )
    positions, gnorm, dist = positions[order], gnorm[order].copy(), dist[order]
    gnorm_out = gnorm.copy()
    gnorm_out[fresh:] = 0.0
    reasons = []
    for rank, (pos, g, d) in enumerate(
        zip(positions.tolist(), gnorm.tolist(), dist.tolist(), strict=True), start=1
    ):
        if c.task == "classification":
            j = int(pred[pos])
            what = f"predicted {_label(c.classes[j])} at {_num(float(P[pos, j]))}"
        else:
            on = [_label(c.classes[int(i)]) for i in np.flatnonzero(P[pos] >= 0.5)[:3]]
            what = "predicted labels " + (", ".join(on) if on else "none")
        how = (
            "near-duplicate filler (no other candidate left)"
            if rank > fresh
            else f"k-means++ draw at gradient distance {_num(d)} from the nearest earlier pick"
        )
        reasons.append(f"gradient norm {_num(g)} ({what}); {how}; rank {rank} of {k}")
    return _selection(positions, gnorm_out, reasons, "badge")


# -------------------------------------------------------------------------- presets


def _register(h: Hybrid, summary: str) -> None:
    from jupyter_al.strategies import STRATEGIES

    if h.name in STRATEGIES:
        raise ConfigError(f"strategy {h.name!r} is already registered")
    info = h.info()
    STRATEGIES[h.name] = StrategyInfo(
        name=info.name,
        func=info.func,
        tasks=info.tasks,
        needs_proba=info.needs_proba,
        summary=summary,
        needs_features=info.needs_features,
        needs_vectors=info.needs_vectors,
        needs_texts=info.needs_texts,
    )


_register(
    hybrid(None, diversity="kcenter", candidates_factor=None, name="kcenter"),
    "Core-set: greedy k-center over the vectors, farthest from everything labeled",
)
_register(
    hybrid("margin", diversity="kcenter", name="margin_kcenter"),
    "Margin + diversity: greedy k-center among the 10 x batch smallest margins",
)
_register(
    hybrid("margin", diversity="kmeans++", name="margin_kmeanspp"),
    "Margin + diversity: margin-weighted k-means++ among the 10 x batch smallest margins",
)
_register(
    hybrid("margin", density=1.0, name="margin_density"),
    "Density-weighted margin: margin x similarity to the 10 nearest pool items",
)
_register(
    hybrid("entropy", density=1.0, name="entropy_density"),
    "Density-weighted entropy (information density; Settles & Craven, 2008)",
)
_register(
    hybrid("margin", density=1.0, diversity="kmeans++", name="margin_density_kmeanspp"),
    "Density-weighted margin + diversity: k-means++ weighted by margin x density (default)",
)
_register(
    hybrid(
        "margin",
        density=1.0,
        diversity="kmeans",
        candidates_factor=20,
        name="margin_density_kmeans",
    ),
    "Density-weighted margin + clusters: the best margin x density of each k-means cluster "
    "of the 20 x batch most uncertain",
)
_register(
    hybrid("margin", balance=0.5, name="margin_balance"),
    "Class-balance-aware margin: boosts items predicted as classes with fewer labels",
)
_register(
    hybrid("margin", exploration=0.1, name="margin_explore"),
    "Margin with a 10% share of random exploration picks",
)
_register(
    hybrid("mean_max_loss", diversity="kcenter", name="mean_max_loss_kcenter"),
    "Mean max loss + diversity: greedy k-center among the 10 x batch most uncertain",
)
_register(
    hybrid("mean_max_loss", density=1.0, name="mean_max_loss_density"),
    "Density-weighted mean max loss",
)
_register(
    hybrid("mean_max_loss", balance=0.5, name="mean_max_loss_balance"),
    "Class-balance-aware mean max loss: boosts items predicted with rare labels",
)
