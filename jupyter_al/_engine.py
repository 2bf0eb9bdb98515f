"""The round's computations, shared by the live ``Session`` and ``replay``.

``Pool`` holds what is fixed for a run (the data split, the features, the model template and
the strategies). The functions here take a pool and a folded :class:`RunState` and return
records; they write nothing. The session logs what they return, and replay compares what
they return with what was logged, so both walk through the same code.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from jupyter_al import _tasks
from jupyter_al import metrics as _metrics
from jupyter_al._events import BatchSelected, Label, RunState
from jupyter_al._model import (
    Featurizer,
    fit_classifier,
    fit_multilabel,
    model_version,
    predict_proba_aligned,
)
from jupyter_al._tasks import label_classes
from jupyter_al._types import OTHER_TASKS
from jupyter_al.strategies import Candidates, Selection, StrategyInfo

if TYPE_CHECKING:
    from collections.abc import Mapping

    from numpy.typing import NDArray

    from jupyter_al._config import Config
    from jupyter_al._types import Features, ItemId

#: Pool rows scored at a time: bounds the extra memory of scoring to O(SCORE_CHUNK x
#: (n_classes + the model's per-row work)); rows are taken as contiguous slices (views of a
#: dense matrix, small copies of a sparse one), never gathered by fancy indexing.
SCORE_CHUNK = 8_192


def fit_seed(seed: int, round_: int) -> int:
    """Return the model's random_state for the fit that closes ``round_`` (0 = initial labels)."""
    return int(np.random.SeedSequence([seed, round_, 0]).generate_state(1)[0])


def select_rng(seed: int, round_: int) -> np.random.Generator:
    """Return the generator the strategy of ``round_`` draws from."""
    return np.random.default_rng([seed, round_])


@dataclass(slots=True)
class Pool:
    """What stays fixed for a run: the split, the features, the model and strategies."""

    config: Config
    classes: tuple[str, ...]
    seed: int
    ids: pd.Index
    frame: pd.DataFrame
    X: Features
    initial: dict[ItemId, Label]
    holdout_ids: pd.Index
    X_holdout: Features | None
    holdout_gold: dict[ItemId, Label]
    featurizer: Featurizer
    model: Any
    strategy: StrategyInfo
    seed_strategy: StrategyInfo
    metric: str
    #: the representation diversity and density work on (None: the features ``X``)
    vectors: Features | None = None
    #: near-duplicate group of each pool row (-1 = in no group); None when not computed
    groups: NDArray[np.intp] | None = None
    #: the held-out rows' shown content as strings (for the leakage guard)
    holdout_texts: list[str] | None = None
    #: what a task needs besides (ranking: ``query_codes``, ``holdout_query_codes``)
    extra: dict[str, Any] = field(default_factory=dict)

    def texts_at(self, positions: NDArray[np.intp]) -> list[str]:
        """Return pool rows' shown content as strings (the text, or the feature values)."""
        return shown_strings(self.frame.iloc[positions], self.config)

    def positions(self, item_ids: list[ItemId]) -> NDArray[np.intp]:
        """Return the pool positions of ``item_ids`` (all must be in the pool)."""
        pos = self.ids.get_indexer(pd.Index(item_ids, dtype=self.ids.dtype))
        return np.asarray(pos, dtype=np.intp)


def shown_strings(frame: pd.DataFrame, config: Config) -> list[str]:
    """Return each row's shown content as one string (the text, or the feature values joined)."""
    if config.query is not None and config.text is not None:
        return (frame[config.query].astype(str) + "\n\n" + frame[config.text].astype(str)).tolist()
    if config.text is not None:
        return frame[config.text].astype(str).tolist()
    cols = list(config.features or ())
    return [" ".join(map(str, row)) for row in frame[cols].itertuples(index=False)]


def training_labels(pool: Pool, state: RunState) -> dict[ItemId, Label]:
    """Return every pool item's label: the data's own, overridden by people's."""
    labels = dict(pool.initial)
    for item_id, rec in state.labels("pool").items():
        labels[item_id] = rec.label
    return labels


def holdout_labels(pool: Pool, state: RunState) -> dict[ItemId, Label]:
    """Return the held-out set's gold labels: the data's own, overridden by people's."""
    gold = dict(pool.holdout_gold)
    for item_id, rec in state.labels("holdout").items():
        gold[item_id] = rec.label
    return gold


def class_counts(classes: tuple[str, ...], labels: Mapping[Any, Label]) -> dict[str, int]:
    """Count labeled items per class (every class present, zeros included)."""
    counts = dict.fromkeys(classes, 0)
    for value in labels.values():
        for c in label_classes(value, classes):
            if c in counts:
                counts[c] += 1
    return counts


def can_fit(task: str, labels: Mapping[Any, Label]) -> bool:
    """Return True when a model can be fitted: two classes (or one varying label) seen."""
    if task == "classification":
        return len(set(labels.values())) >= 2  # why: two classes to separate
    if task in OTHER_TASKS:
        return _tasks.can_fit(task, labels)
    seen: set[str] = set()
    absent: set[str] = set()
    sets = [set(cast("tuple[str, ...]", v)) for v in labels.values()]
    for s in sets:
        seen |= s
    for s in sets:
        absent |= seen - s
    return len(sets) >= 2 and bool(absent)  # why: one label must vary


@dataclass(frozen=True, slots=True)
class Fitted:
    """A model fitted on the labels known at the close of ``round``."""

    model: Any
    round: int
    version: str
    warnings: tuple[str, ...]
    seconds: float


def fit(pool: Pool, labels: Mapping[ItemId, Label], round_: int) -> Fitted | None:
    """Fit a clone of the pool's model on ``labels``; None when it cannot be fitted yet.

    Training rows are ordered by pool position, so the model does not depend on the order
    in which labels arrived.
    """
    task = pool.config.task
    if not can_fit(task, labels):
        return None
    ids = list(labels)
    pos = pool.positions(ids)
    order = np.argsort(pos, kind="stable")
    pos = pos[order]
    y = [labels[ids[i]] for i in order]
    X = pool.X[pos]
    t0 = time.perf_counter()
    warns: list[str]
    if task in OTHER_TASKS:
        model, warns = _tasks.fit_model(
            pool.model,
            pool.config,
            texts=pool.texts_at(pos) if task == "extraction" else [],
            X=X,
            y=y,
            random_state=fit_seed(pool.seed, round_),
        )
    elif task == "classification":
        model, warns = fit_classifier(
            pool.model, X, [str(v) for v in y], random_state=fit_seed(pool.seed, round_)
        )
    else:
        Y = np.zeros((len(y), len(pool.classes)), dtype=np.bool_)
        col = {c: j for j, c in enumerate(pool.classes)}
        for i, value in enumerate(y):
            for c in cast("tuple[str, ...]", value):
                Y[i, col[c]] = True
        model, warns = fit_multilabel(
            pool.model, X, Y, classes=pool.classes, random_state=fit_seed(pool.seed, round_)
        )
    seconds = time.perf_counter() - t0
    return Fitted(model, round_, model_version(round_, model), tuple(warns), seconds)


#: Members of the query-by-committee committee, and the share of the labels each is fitted on.
COMMITTEE_SIZE = 5
COMMITTEE_SHARE = 0.8


def fit_committee(pool: Pool, labels: Mapping[ItemId, Label], round_: int) -> list[Fitted]:
    """Fit the query-by-committee members: each on a random 80% of the labels.

    Classification subsamples within each class (every class keeps at least one label);
    multilabel draws plain subsets and keeps only those a model can be fitted on. The draws
    come from the run's seed and the round, so replay refits the same committee.
    """
    rng = np.random.default_rng([pool.seed, round_, 7])
    ids = list(labels)
    ids = [ids[i] for i in np.argsort(pool.positions(ids), kind="stable")]
    members: list[Fitted] = []
    for _ in range(COMMITTEE_SIZE):
        if pool.config.task == "classification":
            by_class: dict[Label, list[ItemId]] = {}
            for item in ids:
                by_class.setdefault(labels[item], []).append(item)
            sub: list[ItemId] = []
            for group in by_class.values():
                take = max(1, round(COMMITTEE_SHARE * len(group)))
                pick = rng.choice(len(group), size=take, replace=False)
                sub.extend(group[i] for i in pick)
        else:
            take = max(2, round(COMMITTEE_SHARE * len(ids)))
            sub = [ids[i] for i in rng.choice(len(ids), size=min(take, len(ids)), replace=False)]
        sample = {item: labels[item] for item in sub}
        member = fit(pool, sample if can_fit(pool.config.task, sample) else labels, round_)
        if member is not None:
            members.append(member)
    return members


def score(pool: Pool, fitted: Fitted, positions: NDArray[np.intp]) -> NDArray[np.float32]:
    """Return probabilities of the pool rows at ``positions`` (sorted), in schema order.

    The pool is walked in contiguous row blocks; each block that holds candidates is scored
    whole and only the candidates' rows are kept, so no gathered copy of the features exists.
    """
    out = np.empty((len(positions), len(pool.classes)), dtype=np.float32)
    n = int(pool.X.shape[0])
    done = 0
    for lo in range(0, n, SCORE_CHUNK):
        hi = min(lo + SCORE_CHUNK, n)
        end = int(np.searchsorted(positions, hi, side="left"))
        if end == done:
            continue
        block = predict_proba_aligned(
            fitted.model, pool.X[lo:hi], pool.classes, task=pool.config.class_task
        )
        out[done:end] = block[positions[done:end] - lo]
        done = end
    return out


def candidate_positions(pool: Pool, state: RunState) -> NDArray[np.intp]:
    """Return the pool positions open for selection: not labeled, not skipped."""
    taken = set(pool.initial) | set(state.labels("pool")) | set(state.skipped)
    if not taken:
        return np.arange(len(pool.ids), dtype=np.intp)
    mask = np.ones(len(pool.ids), dtype=bool)
    pos = pool.ids.get_indexer(pd.Index(list(taken), dtype=pool.ids.dtype))
    mask[pos[pos >= 0]] = False
    return np.flatnonzero(mask).astype(np.intp)


def batch_limit(pool: Pool, state: RunState) -> int:
    """Return how many items the next batch may hold under the budget."""
    budget = pool.config.budget
    limit = pool.config.batch_size
    n_human = state.n_human_labels
    if budget.max_labels is not None:
        limit = min(limit, budget.max_labels - n_human)
    if budget.max_cost is not None and budget.cost_per_label:
        affordable = int(
            (budget.max_cost - n_human * budget.cost_per_label) // budget.cost_per_label
        )
        limit = min(limit, affordable)
    return max(limit, 0)


def is_seed_round(pool: Pool, state: RunState, labels: Mapping[ItemId, Label]) -> bool:
    """Return True when the next batch must be the diverse seed set (cold start)."""
    if not state.batches:
        counts = class_counts(pool.classes, labels)
        if pool.config.task == "classification":
            return min(counts.values()) < pool.config.min_per_class
        if pool.config.task == "ranking":
            # a seed that finds relevant pairs: the top grade is rarely hit at random
            return min(counts.values()) < 1 or len(labels) < pool.config.min_per_class * 2
        return len(labels) < pool.config.min_per_class * 2
    return False


def select(
    pool: Pool,
    state: RunState,
    fitted: Fitted | None,
    round_: int,
    labels: Mapping[ItemId, Label],
) -> BatchSelected | None:
    """Select the batch of ``round_``; None when nothing is left to select."""
    t0 = time.perf_counter()
    cand = candidate_positions(pool, state)
    k = min(batch_limit(pool, state), len(cand))
    if k <= 0 or len(cand) == 0:
        return None
    cold = fitted is None or is_seed_round(pool, state, labels)
    info = pool.seed_strategy if cold else pool.strategy
    other = pool.config.task in OTHER_TASKS
    task_data = _task_scores(pool, fitted, cand, labels) if other and fitted is not None else None
    proba = score(pool, fitted, cand) if fitted is not None and not other else None
    committee: tuple[NDArray[np.floating], ...] | None = None
    if info.needs_committee and fitted is not None:
        committee = tuple(score(pool, m, cand) for m in fit_committee(pool, labels, round_))
    t_score = time.perf_counter() - t0
    need_x, need_v = info.needs_features, info.needs_vectors
    # only strategies that look at features/vectors get them (copies of the rows)
    lab_pos = np.sort(pool.positions(list(labels))) if labels else np.empty(0, dtype=np.intp)
    V = pool.vectors if pool.vectors is not None else pool.X
    taken: frozenset[int] = frozenset()
    if pool.groups is not None and lab_pos.size:
        g = pool.groups[lab_pos]
        taken = frozenset(int(x) for x in np.unique(g[g >= 0]))
    cands = Candidates(
        task=pool.config.task,
        classes=pool.classes,
        proba=proba,
        X=pool.X[cand] if need_x else None,
        X_labeled=pool.X[lab_pos] if need_x and lab_pos.size else None,
        label_counts=class_counts(pool.classes, labels),
        n_labeled=len(labels),
        mean_cardinality=(
            float(np.mean([len(cast("tuple[str, ...]", v)) for v in labels.values()]))
            if pool.config.task == "multilabel" and labels
            else None
        ),
        vectors=V[cand] if need_v else None,
        vectors_labeled=V[lab_pos] if need_v and lab_pos.size else None,
        groups=pool.groups[cand] if pool.groups is not None else None,
        taken_groups=taken,
        committee=committee,
        texts=(
            pool.frame[pool.config.text].iloc[cand].astype(str).tolist()
            if info.needs_texts and pool.config.text is not None
            else None
        ),
        judge=_judge_opinions(pool, state, cand) if info.needs_judge else None,
        task_data=None if cold else task_data,
    )
    t1 = time.perf_counter()
    rng = select_rng(pool.seed, round_)
    hints = seed_hints(pool, cand, labels, k) if cold and not other else []
    if hints:
        sel = _seed_with_hints(cands, hints, k, info, rng, pool=pool, cand=cand)
    else:
        sel = info.func(cands, k, rng)
    t_select = time.perf_counter() - t1
    chosen = np.asarray(sel.positions, dtype=np.intp)
    item_ids = [_json_id(x) for x in pool.ids[cand[chosen]]]
    predictions: list[Any]
    confidences: list[float | None]
    intervals: list[list[float]] | None = None
    if task_data is not None:
        predictions, confidences, intervals = _tasks.predictions(pool.config, task_data, chosen)
    elif proba is not None:
        rows = proba[chosen].astype(np.float64)
        predictions, confidences = _predictions(pool, rows)
    else:
        predictions, confidences = [None] * len(chosen), [None] * len(chosen)
    return BatchSelected(
        round=round_,
        strategy=sel.strategy if not cold else info.name,
        cold_start=cold,
        item_ids=item_ids,
        predictions=predictions,
        confidences=confidences,
        scores=[_round_float(s) for s in np.asarray(sel.scores, dtype=np.float64)],
        reasons=list(sel.reasons),
        model_version=fitted.version if fitted is not None else None,
        n_candidates=len(cand),
        intervals=intervals,
        timings={
            "fit_s": round(fitted.seconds, 6) if fitted is not None else 0.0,
            "score_s": round(t_score, 6),
            "select_s": round(t_select, 6),
        },
    )


def seed_hints(
    pool: Pool, cand: NDArray[np.intp], labels: Mapping[ItemId, Label], k: int
) -> list[tuple[int, str, float]]:
    """Cold-start picks for labels that have no label yet, from their keywords or descriptions.

    For each such label with keywords (``Config.seed_keywords``) or a description, in schema
    order and for at most half the batch: among the candidates whose text holds one of its
    keywords (whole word, any case), or else among all candidates, the one most similar (TF-IDF
    cosine) to the label's name, description and keywords. Text pools only. Returns
    ``(candidate index, reason, similarity)`` per pick.
    """
    cfg = pool.config
    if cfg.text is None or k < 2:
        return []
    desc = dict(cfg.label_descriptions)
    kw = dict(cfg.seed_keywords)
    floor = cfg.min_per_class if cfg.task == "classification" else 1
    counts = class_counts(pool.classes, labels)
    need = [c for c in pool.classes if counts[c] < floor and (c in desc or c in kw)]
    if not need:
        return []
    from jupyter_al import _diversity as dv

    texts = pool.frame[cfg.text].iloc[cand].astype(str)
    X = pool.X[cand]
    xn = np.sqrt(dv.sq_norms(X))
    xn[xn == 0] = 1.0
    taken = np.zeros(len(cand), dtype=bool)
    groups = pool.groups[cand] if pool.groups is not None else None
    picks: list[tuple[int, str, float]] = []
    for c in need[: max(1, k // 2)]:
        words = kw.get(c, ())
        query = " ".join([c.replace("_", " "), desc.get(c, ""), *words])
        q = pool.featurizer.transform(pd.DataFrame({cfg.text: [query]}))
        sims = dv.row_dot(X, q[0]) / xn
        allowed = ~taken
        how = f"closest to the name and description of {c!r}"
        if words:
            pattern = r"\b(?:" + "|".join(re.escape(w.strip()) for w in words) + r")\b"
            hit = texts.str.contains(pattern, case=False, regex=True).to_numpy(dtype=bool)
            if (hit & allowed).any():
                allowed = allowed & hit
                how = f"holds a keyword of {c!r} and is the closest such text to its description"
        elif not (sims[allowed] > 0).any():
            continue
        j = int(np.argmax(np.where(allowed, sims, -np.inf)))
        taken[j] = True
        if groups is not None and groups[j] >= 0:
            taken |= groups == groups[j]
        reason = (
            f"cold start: {c!r} has {counts[c]} label(s); this item {how} "
            f"(similarity {sims[j]:.2f})"
        )
        picks.append((j, reason, float(sims[j])))
    return picks


def _seed_with_hints(
    cands: Candidates,
    hints: list[tuple[int, str, float]],
    k: int,
    info: StrategyInfo,
    rng: np.random.Generator,
    *,
    pool: Pool,
    cand: NDArray[np.intp],
) -> Selection:
    """Return the seed batch: the hinted picks first, then the seed strategy on the rest.

    The rest is chosen distance-aware to the hinted picks too (they join ``X_labeled``).
    """
    import dataclasses

    import scipy.sparse as sp

    hint_idx = np.array([h[0] for h in hints], dtype=np.intp)
    keep = np.ones(len(cand), dtype=bool)
    keep[hint_idx] = False
    rest = np.flatnonzero(keep).astype(np.intp)
    n_rest = min(k - len(hints), rest.size)
    positions = list(hint_idx.tolist())
    scores = [1.0 + h[2] for h in hints]
    reasons = [h[1] for h in hints]
    if n_rest > 0:
        X = cands.X if cands.X is not None else pool.X[cand]
        XL: Any = X[hint_idx]
        before: Any = cands.X_labeled
        if before is not None and before.shape[0]:
            both_sparse = bool(sp.issparse(XL)) and bool(sp.issparse(before))
            XL = (
                sp.vstack([before, XL]).tocsr()
                if both_sparse
                else np.vstack([np.asarray(before), np.asarray(XL)])
            )
        sub = dataclasses.replace(
            cands,
            proba=None if cands.proba is None else cands.proba[rest],
            X=X[rest],
            X_labeled=XL,
            groups=None if cands.groups is None else cands.groups[rest],
            committee=None,
            vectors=None,
            vectors_labeled=None,
            texts=None,
        )
        sel = info.func(sub, n_rest, rng)
        positions.extend(rest[sel.positions].tolist())
        scores.extend(float(x) for x in sel.scores)
        reasons.extend(sel.reasons)
    return Selection(
        positions=np.asarray(positions, dtype=np.intp),
        scores=np.asarray(scores, dtype=np.float64),
        reasons=tuple(reasons),
        strategy=info.name,
    )


def _task_scores(
    pool: Pool, fitted: Fitted, cand: NDArray[np.intp], labels: Mapping[ItemId, Label]
) -> Any:
    """Return the other tasks' ``task_data`` for the candidates (``jupyter_al._tasks``)."""
    task = pool.config.task
    codes = labeled = None
    if task == "ranking":
        all_codes = pool.extra["query_codes"]
        lab_pos = pool.positions(list(labels))
        codes = all_codes[cand]
        labeled = (
            all_codes[lab_pos],
            np.asarray([labels[i] for i in labels], dtype=np.int64),
        )
    return _tasks.scores(
        fitted.model,
        pool.config,
        texts=pool.texts_at(cand) if task == "extraction" else [],
        X=pool.X[cand] if task != "extraction" else pool.X[:0],
        codes=codes,
        labeled=labeled,
    )


def _judge_opinions(pool: Pool, state: RunState, cand: NDArray[np.intp]) -> list[Any]:
    from jupyter_al._judging import judge_opinions

    return judge_opinions(pool, state, cand)


def _predictions(
    pool: Pool, rows: NDArray[np.float64]
) -> tuple[list[str | list[str] | None], list[float | None]]:
    predictions: list[str | list[str] | None] = []
    confidences: list[float | None] = []
    classes = pool.classes
    for row in rows:
        if pool.config.task == "classification":
            j = int(np.argmax(row))
            predictions.append(classes[j])
            confidences.append(_round_float(row[j]))
        else:
            on = [classes[j] for j in np.flatnonzero(row >= 0.5)]  # why: p>=.5
            predictions.append(on)
            confidences.append(_round_float(np.mean(np.maximum(row, 1.0 - row))))
    return predictions, confidences


def evaluate(pool: Pool, fitted: Fitted | None, state: RunState) -> tuple[dict[str, float], int]:
    """Evaluate on the held-out items that have gold labels; ``({}, n)`` when impossible."""
    gold = holdout_labels(pool, state)
    if fitted is None or not gold or pool.X_holdout is None:
        return {}, len(gold)
    return score_holdout(pool, fitted, gold), len(gold)


def score_holdout(pool: Pool, fitted: Fitted, truth: Mapping[ItemId, Label]) -> dict[str, float]:
    """Score the model on held-out items against ``truth`` (human gold, or a judge's labels).

    Rows are taken in held-out order, so the result does not depend on the order of
    ``truth``. Needs ``pool.X_holdout``.
    """
    assert pool.X_holdout is not None
    ids = list(truth)
    pos = pool.holdout_ids.get_indexer(pd.Index(ids, dtype=pool.holdout_ids.dtype))
    order = np.argsort(pos, kind="stable")
    pos = np.asarray(pos[order], dtype=np.intp)
    y_true = [truth[ids[i]] for i in order]
    if pool.config.task in OTHER_TASKS:
        texts = pool.holdout_texts or []
        return _tasks.evaluate(
            fitted.model,
            pool.config,
            texts=[texts[i] for i in pos.tolist()] if pool.config.task == "extraction" else [],
            X=pool.X_holdout[pos],
            gold=y_true,
            codes=(
                pool.extra["holdout_query_codes"][pos] if pool.config.task == "ranking" else None
            ),
        )
    task = pool.config.class_task
    proba = predict_proba_aligned(fitted.model, pool.X_holdout[pos], pool.classes, task=task)
    values = _metrics.evaluate(task, y_true, proba.astype(np.float64), pool.classes, pool.metric)
    return {k: _round_float(v) for k, v in values.items()}


def _round_float(x: float | np.floating[Any]) -> float:
    """Round to 12 significant digits: stable through JSON, identical on replay."""
    return float(f"{float(x):.12g}")


def _json_id(x: Any) -> ItemId:
    return int(x) if isinstance(x, int | np.integer) else str(x)
