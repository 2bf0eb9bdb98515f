"""Failure-mode guards: one number, one threshold and one plain sentence each, every round.

The loop goes wrong in known ways: a pool full of near-duplicates, batches that repeat
themselves, lone outliers chosen for their uncertainty, one class swamping the selection, a
label schema annotators stumble over, a held-out set that leaks into the training labels,
and labels that the data itself contradicts. Each guard here is a pure function of what the
round knows and returns a :class:`Guard`; the session logs them in ``RoundClosed.guards``, and
``results.tsv``, ``notes.md`` and the widget show them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from jupyter_al import _diversity as dv
from jupyter_al._engine import fit
from jupyter_al._events import Labeled, label_from_json
from jupyter_al._model import predict_proba_aligned

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from numpy.typing import NDArray

    from jupyter_al._engine import Pool
    from jupyter_al._events import Label, RunState
    from jupyter_al._types import ItemId

__all__ = [
    "THRESHOLDS",
    "Guard",
    "class_imbalance",
    "confident_issues",
    "duplicate_pool",
    "eval_leakage",
    "evaluate_guards",
    "near_identical",
    "outliers_selected",
    "schema_confusion",
    "skip_rate",
    "suspicious_labels",
]

#: Default thresholds: a guard trips when its value exceeds (``>``) its threshold.
THRESHOLDS: dict[str, float] = {
    "duplicate_pool": 0.10,
    "near_identical": 0.0,
    "outliers_selected": 0.25,
    "class_imbalance": 0.80,
    "schema_confusion": 0.50,
    "skip_rate": 0.30,
    "eval_leakage": 0.01,
    "suspicious_labels": 0.05,
}
#: Neighbours in the density of the outlier guard, and the pool quantile called "outlier".
DENSITY_NEIGHBOURS = 10
OUTLIER_QUANTILE = 0.05
#: Pool items sampled for the reference density distribution.
DENSITY_SAMPLE = 300
#: Minimum counts before a rate-based guard can trip (fewer items say nothing).
MIN_ITEMS = 5


@dataclass(frozen=True, slots=True)
class Guard:
    """One guard's reading for one round.

    Parameters
    ----------
    name : str
    value : float or None
        The measured number (None when it could not be measured, with the reason in
        ``message``).
    threshold : float
        The guard trips when ``value > threshold``.
    tripped : bool
    message : str
        A plain sentence with the numbers (also when it does not trip).
    details : dict
        Small JSON-safe extras: example ids, pairs, per-class rates.
    """

    name: str
    value: float | None
    threshold: float
    tripped: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-safe dict logged in ``RoundClosed.guards``."""
        return asdict(self)


def _make(
    name: str,
    value: float | None,
    message: str,
    details: dict[str, Any] | None = None,
    *,
    threshold: float | None = None,
    min_ok: bool = True,
) -> Guard:
    t = THRESHOLDS[name] if threshold is None else threshold
    tripped = value is not None and min_ok and value > t
    return Guard(
        name, None if value is None else round(float(value), 6), t, tripped, message, details or {}
    )


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _ids(items: Sequence[Any], limit: int = 5) -> list[Any]:
    return [x.item() if isinstance(x, np.generic) else x for x in list(items)[:limit]]


def duplicate_pool(near: NDArray[np.intp] | None, *, n_pool: int) -> Guard:
    """Share of the pool that sits in near-duplicate groups.

    Examples
    --------
    >>> import numpy as np
    >>> duplicate_pool(np.array([0, 0, -1, -1]), n_pool=4).value
    0.5
    """
    if near is None or n_pool == 0:
        return _make("duplicate_pool", None, "near-duplicates were not computed for this pool")
    grouped = int((near >= 0).sum())
    n_groups = len(np.unique(near[near >= 0]))
    share = grouped / n_pool
    msg = (
        f"{_pct(share)} of the pool ({grouped:,} of {n_pool:,} items) sits in {n_groups:,} "
        "near-duplicate groups"
    )
    if share > THRESHOLDS["duplicate_pool"]:
        msg += (
            ": plain uncertainty sampling will spend labels on copies; use a strategy that takes "
            "one item per group (margin_kcenter, margin_density, margin_balance)"
        )
    return _make("duplicate_pool", share, msg, {"n_grouped": grouped, "n_groups": n_groups})


def near_identical(
    batch_ids: Sequence[ItemId],
    group_of: Callable[[ItemId], int],
    earlier_groups: set[int],
) -> Guard:
    """Share of the batch that repeats another batch item or an item selected before.

    ``group_of`` maps an item to its near-duplicate group (-1 for none); ``earlier_groups`` are
    the groups of items selected in earlier rounds.

    Examples
    --------
    >>> g = {1: 0, 2: 0, 3: -1, 4: 5}.get
    >>> near_identical([1, 2, 3, 4], g, {5}).value
    0.75
    """
    groups = [group_of(i) for i in batch_ids]
    counts = Counter(g for g in groups if g >= 0)
    within = [i for i, g in zip(batch_ids, groups, strict=True) if g >= 0 and counts[g] > 1]
    across = [i for i, g in zip(batch_ids, groups, strict=True) if g >= 0 and g in earlier_groups]
    hit = set(within) | set(across)
    n = len(batch_ids)
    if n == 0:
        return _make("near_identical", None, "no batch this round")
    share = len(hit) / n
    msg = (
        f"{len(within)} of {n} batch items are near-duplicates of another item in the batch, "
        f"{len(across)} of an item selected in an earlier round"
    )
    if hit:
        msg += f" (e.g. {', '.join(repr(x) for x in _ids(sorted(hit, key=str)))})"
    return _make(
        "near_identical",
        share,
        msg,
        {"within": _ids(within, 20), "across": _ids(across, 20)},
    )


def outliers_selected(
    V: Any,
    batch_pos: NDArray[np.intp],
    rng: np.random.Generator,
) -> Guard:
    """Share of the batch whose density is below the pool's 5th percentile.

    Density is the mean cosine similarity to the 10 nearest pool items. A random batch holds
    about 5% such lone items; uncertainty sampling often holds many more.
    """
    n = V.shape[0]
    if batch_pos.size == 0 or n <= DENSITY_NEIGHBOURS + 1:
        return _make("outliers_selected", None, "too few items to measure density")
    sample = rng.choice(n, size=min(DENSITY_SAMPLE, n), replace=False).astype(np.intp)
    ref = dv.knn_similarity(V[sample], V, DENSITY_NEIGHBOURS, exclude=sample)
    dens = dv.knn_similarity(V[batch_pos], V, DENSITY_NEIGHBOURS, exclude=batch_pos)
    cut = float(np.quantile(ref, OUTLIER_QUANTILE))
    low = dens < cut
    share = float(low.mean())
    msg = (
        f"{int(low.sum())} of {batch_pos.size} batch items are lone outliers (density below "
        f"{cut:.2f}, the pool's 5th percentile; expected at random: 5%)"
    )
    if share > THRESHOLDS["outliers_selected"]:
        msg += "; a density-weighted strategy (margin_density, entropy_density) avoids them"
    return _make(
        "outliers_selected",
        share,
        msg,
        {
            "cutoff": round(cut, 6),
            "batch_median_density": round(float(np.median(dens)), 6),
            "pool_median_density": round(float(np.median(ref)), 6),
        },
    )


def class_imbalance(batch_labels: Sequence[Label], n_classes: int) -> Guard:
    """Share of the round's labels that went to its most frequent class (or label).

    Examples
    --------
    >>> class_imbalance(["a"] * 9 + ["b"], 2).tripped
    True
    """
    flat = [c for v in batch_labels for c in (v if isinstance(v, tuple) else (v,))]
    n = len(batch_labels)
    if n == 0 or not flat:
        return _make("class_imbalance", None, "no label this round")
    top, count = Counter(flat).most_common(1)[0]
    share = count / n
    msg = f"{count} of {n} labels this round are {top!r} ({_pct(share)})"
    ok = n >= MIN_ITEMS and n_classes > 1
    if ok and share > THRESHOLDS["class_imbalance"]:
        msg += (
            ": the selection is dominated by one class; margin_balance boosts items predicted "
            "as classes with fewer labels"
        )
    return _make("class_imbalance", share, msg, {"top": top, "count": count}, min_ok=ok)


def schema_confusion(pairs: Sequence[tuple[str, str]], n_classes: int) -> Guard:
    """How much of the annotators' corrections of the model fall on one pair of labels.

    ``pairs`` holds ``(predicted, given)`` for every labeled item that was selected with a
    prediction, over the run. The value is the share of the corrected items (given differs
    from predicted) whose correction is the single most frequent pair, counted both ways:
    when corrections concentrate on two labels among three or more, people and the model
    keep mixing those two up, and the schema should tell them apart. With two labels every
    correction is between them, so the guard reports the pairs but cannot trip.

    Examples
    --------
    >>> schema_confusion([("a", "b")] * 4 + [("c", "a")] * 4 + [("a", "a")] * 4, 3).value
    0.5
    """
    n = len(pairs)
    changed = Counter((p, g) for p, g in pairs if p != g)
    if n == 0:
        return _make("schema_confusion", None, "no labeled item with a model prediction yet")
    if not changed:
        return _make("schema_confusion", 0.0, f"annotators agreed with all {n} predictions")
    both: Counter[tuple[str, str]] = Counter()
    for (a, b), c in changed.items():
        both[(min(a, b), max(a, b))] += c
    (p, g), count = both.most_common(1)[0]
    n_changed = sum(changed.values())
    share = count / n_changed
    top3 = [f"{a!r} -> {b!r} ({c})" for (a, b), c in changed.most_common(3)]
    msg = (
        f"annotators changed the prediction on {n_changed} of {n} items; most often "
        f"{', '.join(top3)}"
    )
    ok = n_classes >= 3 and count >= MIN_ITEMS
    if ok and share > THRESHOLDS["schema_confusion"]:
        msg += (
            f": {share:.0%} of the corrections are between {p!r} and {g!r}; tell them apart "
            "in the label descriptions"
        )
    return _make(
        "schema_confusion",
        share,
        msg,
        {"pairs": [[a, b, c] for (a, b), c in changed.most_common(5)]},
        min_ok=ok,
    )


def skip_rate(
    shown: Mapping[str, int], skipped: Mapping[str, int], unsure: Mapping[str, int]
) -> Guard:
    """Return the highest skip + "unsure" rate of any predicted class (with enough items shown).

    Examples
    --------
    >>> skip_rate({"a": 10, "b": 10}, {"a": 1}, {"a": 3}).value
    0.4
    """
    rates = {
        c: (skipped.get(c, 0) + unsure.get(c, 0)) / n for c, n in shown.items() if n >= MIN_ITEMS
    }
    if not rates:
        return _make("skip_rate", None, f"fewer than {MIN_ITEMS} items shown per predicted class")
    worst = max(rates, key=lambda c: (rates[c], c))
    value = rates[worst]
    msg = (
        f"items predicted {worst!r} were skipped or marked unsure {_pct(value)} of the time "
        f"({skipped.get(worst, 0)} skipped, {unsure.get(worst, 0)} unsure of {shown[worst]})"
    )
    if value > THRESHOLDS["skip_rate"]:
        msg += ": the label schema may not fit these items"
    return _make(
        "skip_rate",
        value,
        msg,
        {"rates": {c: round(r, 4) for c, r in sorted(rates.items())}},
    )


def eval_leakage(n_holdout: int, leaked: Sequence[tuple[ItemId, ItemId, bool]]) -> Guard:
    """Share of the held-out set with an exact or near duplicate among the labeled items.

    ``leaked`` holds ``(held-out id, labeled id, exact)`` pairs.

    Examples
    --------
    >>> eval_leakage(100, [("h1", 3, True), ("h2", 4, False)]).value
    0.02
    """
    if n_holdout == 0:
        return _make("eval_leakage", None, "no held-out set")
    items = {h for h, _, _ in leaked}
    exact = {h for h, _, e in leaked if e}
    share = len(items) / n_holdout
    msg = (
        f"{len(items)} of {n_holdout:,} held-out items ({_pct(share)}) have a duplicate among the "
        f"labeled items ({len(exact)} exact)"
    )
    if share > THRESHOLDS["eval_leakage"]:
        msg += ": the metric is optimistic; remove them from the held-out set or the labels"
    return _make(
        "eval_leakage",
        share,
        msg,
        {"pairs": [[h, lab, e] for h, lab, e in list(leaked)[:10]]},
    )


def suspicious_labels(
    ids: Sequence[ItemId],
    given: Sequence[Label],
    p_given: NDArray[np.float64],
    suggested: Sequence[Label],
    p_suggested: NDArray[np.float64],
    *,
    flagged: NDArray[np.bool_],
) -> Guard:
    """Labels that a cross-validated model contradicts, listed for review (never changed).

    ``flagged`` marks the items (see :func:`confident_issues` for how they are found);
    ``p_given`` is the out-of-fold probability of each given label, ``suggested`` and
    ``p_suggested`` the model's own choice. The most contradicted items are listed first.

    Examples
    --------
    >>> import numpy as np
    >>> g = suspicious_labels([1, 2], ["a", "a"], np.array([0.9, 0.1]), ["a", "b"],
    ...                       np.array([0.9, 0.9]), flagged=np.array([False, True]))
    >>> g.value, g.details["items"][0]["id"]
    (0.5, 2)
    """
    n = len(ids)
    if n == 0:
        return _make("suspicious_labels", None, "too few labels to cross-validate")
    where = np.flatnonzero(np.asarray(flagged, dtype=bool))
    where = where[np.argsort(np.asarray(p_given)[where], kind="stable")]
    share = where.size / n
    listed = [
        {
            "id": ids[i],
            "given": _jsonable(given[i]),
            "suggested": _jsonable(suggested[i]),
            "p_given": round(float(p_given[i]), 4),
            "p_suggested": round(float(p_suggested[i]), 4),
        }
        for i in where[:10].tolist()
    ]
    msg = (
        f"{where.size} of {n} labels are contradicted by a cross-validated model that is "
        "confident in another label"
    )
    if listed:
        first = listed[0]
        msg += (
            f" (e.g. {first['id']!r}: given {first['given']!r} at {first['p_given']:.2f}, the "
            f"model says {first['suggested']!r} at {first['p_suggested']:.2f}); review them"
        )
    return _make("suspicious_labels", share, msg, {"items": listed}, min_ok=n >= 4 * MIN_ITEMS)


def confident_issues(
    P: NDArray[np.float64], y: NDArray[np.intp]
) -> tuple[NDArray[np.bool_], NDArray[np.intp]]:
    """Find label issues by the confident joint (Northcutt et al., JAIR 2021).

    ``P`` holds out-of-fold probabilities, ``y`` the given class of each item. The threshold
    of class ``j`` is the mean out-of-fold probability of ``j`` over the items labeled ``j``
    (its self-confidence). An item is an issue when some other class reaches its own
    threshold and is the most probable such class while the given class stays below its
    threshold. Returns the flags and, per item, the class it would rather be.

    Examples
    --------
    >>> import numpy as np
    >>> P = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.2, 0.8], [0.88, 0.12]])
    >>> confident_issues(P, np.array([0, 0, 1, 1, 1]))[0].tolist()
    [False, False, False, False, True]
    """
    n, C = P.shape
    t = np.full(C, np.inf)
    for j in range(C):
        mine = y == j
        if mine.any():
            t[j] = float(P[mine, j].mean())
    above = t[None, :] <= P
    above[np.arange(n), y] = False
    masked = np.where(above, P, -np.inf)
    other = masked.argmax(axis=1).astype(np.intp)
    has_other = np.isfinite(masked[np.arange(n), other])
    below = P[np.arange(n), y] < t[y]
    return has_other & below, other


def _jsonable(label: Label) -> str | list[str]:
    return list(label) if isinstance(label, tuple) else str(label)


# ------------------------------------------------------------------ the round's guards


#: Folds of the suspicious-labels cross-validation, and the labels needed before it runs.
CV_FOLDS = 3
CV_MIN_LABELS = 20


def evaluate_guards(
    pool: Pool,
    state: RunState,
    labels: Mapping[ItemId, Label],
    round_: int,
    *,
    mode: str = "all",
) -> list[Guard]:
    """Read every guard for the round being closed (pure: writes nothing).

    Parameters
    ----------
    pool : Pool
    state : RunState
        The state before the round's ``RoundClosed`` (the batch of ``round_`` is open).
    labels : mapping
        Every pool label known at the close of the round (the training labels).
    round_ : int
    mode : {"all", "fast", "off"}
        ``"fast"`` leaves out the cross-validated suspicious-labels check (3 extra fits).

    Notes
    -----
    Every task reads the guards on the pool and the batch (near-duplicates, near-identical
    picks, outliers) and on evaluation leakage; class imbalance needs classes (and grades);
    the annotator guards need one class per item; the suspicious-labels check fits
    classifiers, so it runs for classification and multilabel only.
    """
    if mode == "off":
        return []
    task = pool.config.task
    guards: list[Guard] = []
    n_pool = len(pool.ids)
    groups = pool.groups
    guards.append(duplicate_pool(groups, n_pool=n_pool))
    batch = state.batches.get(round_) if round_ > 0 else None
    if batch is not None:
        pos = pool.positions(list(batch.item_ids))
        if groups is not None:
            group_by_id = dict(zip(batch.item_ids, groups[pos].tolist(), strict=True))
            earlier: set[int] = set()
            for r, b in state.batches.items():
                if r < round_ and b.item_ids:
                    g = groups[pool.positions(list(b.item_ids))]
                    earlier.update(int(x) for x in g[g >= 0])
            guards.append(near_identical(batch.item_ids, lambda i: group_by_id.get(i, -1), earlier))
        V = pool.vectors if pool.vectors is not None else pool.X
        guards.append(outliers_selected(V, pos, np.random.default_rng([pool.seed, round_, 13])))
        given = [e.label for _, e in state.round_log.get(round_, []) if isinstance(e, Labeled)]
        if task in ("classification", "multilabel", "ranking"):  # spans and numbers: no class
            guards.append(class_imbalance([label_from_json(x) for x in given], len(pool.classes)))
    if task == "classification":
        guards.extend(_annotator_guards(state, len(pool.classes)))
    guards.append(_leakage(pool, state))
    if mode == "all" and task in ("classification", "multilabel"):
        guards.append(_suspicious(pool, labels, round_))
    return guards


def _annotator_guards(state: RunState, n_classes: int) -> list[Guard]:
    current = state.labels("pool")
    pairs: list[tuple[str, str]] = []
    shown: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    unsure: Counter[str] = Counter()
    for b in state.batches.values():
        for item, pred in zip(b.item_ids, b.predictions, strict=True):
            if not isinstance(pred, str):
                continue
            shown[pred] += 1
            rec = current.get(item)
            if rec is not None and isinstance(rec.label, str):
                pairs.append((pred, rec.label))
            elif item in state.skipped:
                (unsure if state.skipped[item][2] == "unsure" else skipped)[pred] += 1
    return [schema_confusion(pairs, n_classes), skip_rate(shown, skipped, unsure)]


def _leakage(pool: Pool, state: RunState) -> Guard:
    from jupyter_al._dedup import cross_duplicates

    n_h = len(pool.holdout_ids)
    if n_h == 0 or pool.holdout_texts is None:
        return eval_leakage(0, [])
    labeled = list(dict.fromkeys([*pool.initial, *state.labels("pool")]))
    if not labeled:
        return eval_leakage(n_h, [])
    pos = np.sort(pool.positions(labeled))
    texts_l = pool.texts_at(pos)
    # ranking's features are query-document scores, not a text's: its pairs match exactly
    is_text = pool.config.text is not None and pool.config.task != "ranking"
    pairs = cross_duplicates(
        pool.holdout_texts,
        pool.X_holdout if is_text else None,
        texts_l,
        pool.X[pos] if is_text else None,
        threshold=0.9 if is_text else 1.0,
    )
    ids_l = pool.ids[pos]
    leaked = [
        (_plain(pool.holdout_ids[a]), _plain(ids_l[b]), bool(e))
        for a, b, e in zip(pairs.a.tolist(), pairs.b.tolist(), pairs.exact.tolist(), strict=True)
    ]
    return eval_leakage(n_h, leaked)


def _plain(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def _suspicious(pool: Pool, labels: Mapping[ItemId, Label], round_: int) -> Guard:
    if len(labels) < CV_MIN_LABELS:
        return suspicious_labels(
            [], [], np.empty(0), [], np.empty(0), flagged=np.empty(0, dtype=bool)
        )
    ids = list(labels)
    ids = [ids[i] for i in np.argsort(pool.positions(ids), kind="stable")]
    rng = np.random.default_rng([pool.seed, round_, 11])
    fold = np.empty(len(ids), dtype=np.intp)
    if pool.config.task == "classification":
        by_class: dict[Label, list[int]] = {}
        for i, item in enumerate(ids):
            by_class.setdefault(labels[item], []).append(i)
        for members in by_class.values():
            perm = rng.permutation(len(members))
            for rank, j in enumerate(perm.tolist()):
                fold[members[j]] = rank % CV_FOLDS
    else:
        fold[:] = rng.permutation(len(ids)) % CV_FOLDS
    col = {c: j for j, c in enumerate(pool.classes)}
    p_given = np.full(len(ids), np.nan)
    P_all = np.full((len(ids), len(pool.classes)), np.nan)
    p_sugg = np.full(len(ids), np.nan)
    sugg: list[Label] = [""] * len(ids)
    for f in range(CV_FOLDS):
        test = np.flatnonzero(fold == f)
        train = {ids[i]: labels[ids[i]] for i in np.flatnonzero(fold != f)}
        fitted = fit(pool, train, round_)
        if fitted is None or test.size == 0:
            continue
        P = predict_proba_aligned(
            fitted.model,
            pool.X[pool.positions([ids[i] for i in test])],
            pool.classes,
            task=pool.config.class_task,
        ).astype(np.float64)
        P_all[test] = P
        for row, i in zip(P, test.tolist(), strict=True):
            given = labels[ids[i]]
            if isinstance(given, str):
                j = int(np.argmax(row))
                p_given[i] = row[col[given]]
                p_sugg[i] = row[j]
                sugg[i] = pool.classes[j]
            else:
                on = np.zeros(len(pool.classes), dtype=bool)
                on[[col[c] for c in cast("tuple[str, ...]", given)]] = True
                support = np.where(on, row, 1.0 - row)
                p_given[i] = float(support.min())
                p_sugg[i] = 1.0
                sugg[i] = tuple(c for c, p in zip(pool.classes, row, strict=True) if p >= 0.5)
    keep = np.flatnonzero(~np.isnan(p_given))
    if pool.config.task == "classification" and keep.size:
        P_oof = P_all[keep]
        y = np.array([col[str(labels[ids[i]])] for i in keep], dtype=np.intp)
        flags, other = confident_issues(P_oof, y)
        sugg_k: list[Label] = [pool.classes[int(j)] for j in other]
        p_sugg_k = P_oof[np.arange(keep.size), other]
    else:
        flags = p_given[keep] < 0.1  # multilabel: a given decision the model puts below 10%
        sugg_k = [sugg[i] for i in keep]
        p_sugg_k = p_sugg[keep]
    return suspicious_labels(
        [ids[i] for i in keep],
        [labels[ids[i]] for i in keep],
        p_given[keep],
        sugg_k,
        p_sugg_k,
        flagged=flags,
    )
