"""Tests of jupyter_al.strategies: the contract, hand-checked scores, top_k, the seed."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import scipy.sparse as sp

from jupyter_al.exceptions import ConfigError, PoolExhaustedError
from jupyter_al.strategies import (
    _BLOCK_ROWS,
    DEFAULT_STRATEGY,
    STRATEGIES,
    Candidates,
    Selection,
    binary_minimum_scores,
    check_candidates,
    entropy_scores,
    get_strategy,
    known_strategies,
    label_cardinality_scores,
    least_confidence_scores,
    margin_scores,
    mean_max_loss_scores,
    register_strategy,
    top_k,
)

SEED = 20240611

CLASSES = ("ham", "spam", "promo")
LABELS = ("sports", "politics", "tech", "arts")


def _pool(task, x_kind, *, n=40, seed=0, labeled=0):
    """A small pool: probabilities plus dense or sparse (TF-IDF-like) features."""
    rng = np.random.default_rng(seed)
    if task == "classification":
        classes = CLASSES
        proba = rng.dirichlet(np.ones(len(classes)), size=n)
    else:
        classes = LABELS
        proba = rng.random((n, len(classes)))
    dense = rng.random((n + labeled, 12))
    if x_kind == "sparse":
        dense[dense < 0.6] = 0.0
        X = sp.csr_matrix(dense)
    else:
        X = dense
    if task == "classification":
        committee = tuple(rng.dirichlet(np.ones(len(classes)), size=n) for _ in range(3))
    else:
        committee = tuple(rng.random((n, len(classes))) for _ in range(3))
    return Candidates(
        task=task,
        classes=classes,
        proba=proba,
        X=X[:n],
        X_labeled=X[n:] if labeled else None,
        label_counts=dict.fromkeys(classes, 2),
        n_labeled=2 * len(classes),
        mean_cardinality=1.5 if task == "multilabel" else None,
        committee=committee,
    )


def _empty(cands):
    proba = None if cands.proba is None else cands.proba[:0]
    committee = None if cands.committee is None else tuple(m[:0] for m in cands.committee)
    return dataclasses.replace(cands, proba=proba, X=cands.X[:0], committee=committee)


# the class tasks here; extraction, ranking and regression strategies read ``task_data``
# (their contract is in tests/test_tasks.py)
CASES = [
    (name, task)
    for name, info in sorted(STRATEGIES.items())
    for task in sorted(info.tasks)
    if task in ("classification", "multilabel")
]


# ------------------------------------------------------------------------ contract


@pytest.mark.parametrize("x_kind", ["dense", "sparse"])
@pytest.mark.parametrize(("name", "task"), CASES)
def test_strategy_contract(name, task, x_kind):
    info = STRATEGIES[name]
    cands = _pool(task, x_kind, n=40)
    variants = [cands]
    if not info.needs_proba:
        variants.append(dataclasses.replace(_pool(task, x_kind, n=40, labeled=6), proba=None))

    for c in variants:
        sel = info.func(c, 7, np.random.default_rng(SEED))
        again = info.func(c, 7, np.random.default_rng(SEED))

        assert isinstance(sel, Selection)
        assert name == sel.strategy
        assert 7 == len(sel.positions) == len(sel.scores) == len(sel.reasons)
        assert 7 == len(set(sel.positions.tolist()))
        assert np.intp == sel.positions.dtype
        assert np.float64 == sel.scores.dtype
        assert ((sel.positions >= 0) & (sel.positions < c.n)).all()
        assert all(isinstance(r, str) and r for r in sel.reasons)
        assert (np.diff(sel.scores) <= 0).all(), "ranked best first"
        assert sel.positions.tolist() == again.positions.tolist()
        assert sel.scores.tolist() == again.scores.tolist()
        assert sel.reasons == again.reasons

        whole = info.func(c, c.n + 5, np.random.default_rng(SEED))

        assert list(range(c.n)) == sorted(whole.positions.tolist())

        with pytest.raises(PoolExhaustedError):
            info.func(_empty(c), 3, np.random.default_rng(SEED))
        with pytest.raises(ConfigError, match="batch_size"):
            info.func(c, 0, np.random.default_rng(SEED))

    if info.needs_proba:
        with pytest.raises(ConfigError, match="cold start"):
            info.func(dataclasses.replace(cands, proba=None), 3, np.random.default_rng(SEED))
    other = next(t for t in ("classification", "multilabel") if t != task)
    if other not in info.tasks:
        with pytest.raises(ConfigError, match="task"):
            info.func(_pool(other, x_kind), 3, np.random.default_rng(SEED))


def test_proba_shape_must_match_classes():
    cands = dataclasses.replace(_pool("classification", "dense"), classes=("a", "b"))

    with pytest.raises(ConfigError, match=r"shape \(n_candidates, 2\)"):
        get_strategy("margin", "classification").func(cands, 3, np.random.default_rng(0))


def test_x_rows_must_match_proba_rows():
    cands = _pool("classification", "dense")
    cands = dataclasses.replace(cands, X=cands.X[:5])

    with pytest.raises(ConfigError, match="rows"):
        check_candidates(cands, 3, strategy="margin")


def test_check_candidates_rejects_non_integer_batch_size():
    cands = _pool("classification", "dense")

    with pytest.raises(ConfigError, match="batch_size"):
        check_candidates(cands, True, strategy="margin")
    with pytest.raises(ConfigError, match="batch_size"):
        check_candidates(cands, 2.5, strategy="margin")  # type: ignore[arg-type]


# ---------------------------------------------------------------- hand-made scores


def test_least_confidence_scores_by_hand():
    proba = [[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]]

    assert pytest.approx([0.1, 0.5, 0.2]) == least_confidence_scores(proba)
    assert pytest.approx([0.4]) == least_confidence_scores([[0.6, 0.3, 0.1]])


def test_margin_scores_by_hand():
    proba = [[0.7, 0.2, 0.1], [0.4, 0.4, 0.2], [1.0, 0.0, 0.0], [0.2, 0.3, 0.5]]

    assert pytest.approx([0.5, 1.0, 0.0, 0.8]) == margin_scores(proba)


def test_margin_needs_two_classes():
    with pytest.raises(ConfigError, match="at least 2 classes"):
        margin_scores([[1.0], [1.0]])


def test_entropy_scores_by_hand():
    proba = [[0.5, 0.5, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.25] * 4, [0.5, 0.25, 0.25, 0.0]]
    expected = [math.log(2), 0.0, math.log(4), 1.5 * math.log(2)]

    assert pytest.approx(expected) == entropy_scores(proba)


def test_binary_minimum_scores_by_hand():
    proba = [[0.9, 0.4], [0.0, 1.0], [0.5, 0.99]]

    assert pytest.approx([0.8, 0.0, 1.0]) == binary_minimum_scores(proba)


def test_mean_max_loss_scores_by_hand():
    # [0.9, 0.2]: predicted {0}; losses 0.1 + 0.2.  [0.3, 0.1]: nothing reaches 0.5, so the
    # argmax label is predicted: 0.7 + 0.1.  [0.5, 0.5]: both predicted: 0.5 + 0.5.
    proba = [[0.9, 0.2], [0.3, 0.1], [0.5, 0.5], [1.0, 0.0]]

    assert pytest.approx([0.15, 0.4, 0.5, 0.0]) == mean_max_loss_scores(proba)


def test_label_cardinality_scores_by_hand():
    # row 0: predicted {0, 1}, separation 0.6 - 0.1 = 0.5 -> u = 2; 2 labels vs 1.0 -> c = 2
    # row 1: predicted {0}, separation 0.55 - 0.45 = 0.1 -> u = 10; 1 label -> c = 1
    # row 2: nothing >= 0.5 -> argmax predicted; separation 0 -> u = 1 / eps = 100; c = 1
    # row 3: every label predicted, negatives count as 0 -> separation 0.8 -> u = 1.25; c = 3
    proba = [[0.9, 0.6, 0.1], [0.55, 0.45, 0.0], [0.45, 0.45, 0.1], [0.9, 0.8, 0.95]]
    u = np.array([2.0, 10.0, 100.0, 1.25])
    c = np.array([2.0, 1.0, 1.0, 3.0])

    assert pytest.approx(np.sqrt(u * c)) == label_cardinality_scores(proba, 1.0)
    assert pytest.approx(u) == label_cardinality_scores(proba, 1.0, beta=1.0)
    assert pytest.approx(c) == label_cardinality_scores(proba, 1.0, beta=0.0)
    assert pytest.approx(u) == label_cardinality_scores(proba, None)
    with pytest.raises(ConfigError, match="beta"):
        label_cardinality_scores(proba, 1.0, beta=1.5)


def _naive(name, P):
    P = np.asarray(P, dtype=np.float64)
    if name == "least_confidence":
        return 1.0 - P.max(axis=1)
    if name == "margin":
        s = np.sort(P, axis=1)
        return 1.0 - (s[:, -1] - s[:, -2])
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.nansum(P * np.log(P), axis=1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_classes", [2, 10, 16, 17, 40, 60])
@pytest.mark.parametrize(
    ("name", "func"),
    [
        ("least_confidence", least_confidence_scores),
        ("margin", margin_scores),
        ("entropy", entropy_scores),
    ],
)
def test_fast_paths_match_naive_formula(name, func, n_classes, dtype):
    rng = np.random.default_rng(n_classes)
    n = 3 * _BLOCK_ROWS + 1  # three full blocks and a one-row tail
    P = rng.random((n, n_classes)) ** 4  # skewed rows, like a fitted model's
    P = (P / P.sum(axis=1, keepdims=True)).astype(dtype)
    P[5, :] = 0.0
    P[5, 0] = 1.0  # a one-hot row: 0 log 0 = 0
    P[-1, :] = 1.0 / n_classes  # the tail row: a uniform row

    assert pytest.approx(_naive(name, P), abs=1e-9) == func(P)


def test_fortran_ordered_proba_gives_the_same_scores():
    P = np.random.default_rng(1).dirichlet(np.ones(5), size=1000)

    assert margin_scores(P).tolist() == margin_scores(np.asfortranarray(P)).tolist()


def test_multilabel_scores_match_naive_formula_across_blocks():
    rng = np.random.default_rng(3)
    P = rng.random((2 * _BLOCK_ROWS + 1, 6))
    yhat = P >= 0.5
    none = ~yhat.any(axis=1)
    yhat[none, P[none].argmax(axis=1)] = True
    sign = np.where(yhat, 1.0, -1.0)
    expected_mml = ((1.0 - sign * (2.0 * P - 1.0)) / 2.0).mean(axis=1)

    assert pytest.approx(1.0 - 2.0 * np.abs(P - 0.5).min(axis=1)) == binary_minimum_scores(P)
    assert pytest.approx(expected_mml) == mean_max_loss_scores(P)


# --------------------------------------------------------------------------- top_k


def test_top_k_equals_full_sort_on_continuous_data():
    scores = np.random.default_rng(5).random(10_000)

    assert np.argsort(-scores)[:50].tolist() == top_k(scores, 50, np.random.default_rng(0)).tolist()


def test_top_k_breaks_ties_reproducibly_and_by_seed():
    scores = np.zeros(1000)
    picks = [tuple(top_k(scores, 10, np.random.default_rng(s)).tolist()) for s in range(5)]
    again = tuple(top_k(scores, 10, np.random.default_rng(0)).tolist())

    assert picks[0] == again
    assert len(set(picks)) == 5
    assert all(len(set(p)) == 10 for p in picks)


def test_top_k_ties_at_the_boundary_only_draw_among_the_tied():
    scores = np.array([3.0, 2.0, 2.0, 2.0, 1.0])
    firsts = {top_k(scores, 2, np.random.default_rng(s))[0] for s in range(20)}
    seconds = {top_k(scores, 2, np.random.default_rng(s))[1] for s in range(20)}

    assert {0} == firsts
    assert {1, 2, 3} == seconds


def test_top_k_more_than_n_returns_all_best_first():
    scores = np.array([0.2, 0.9, 0.5])

    assert [1, 2, 0] == top_k(scores, 10, np.random.default_rng(0)).tolist()
    assert [] == top_k(scores, 0, np.random.default_rng(0)).tolist()


def test_top_k_rejects_nan_and_negative_k():
    with pytest.raises(ConfigError, match="NaN"):
        top_k(np.array([0.1, np.nan]), 1, np.random.default_rng(0))
    with pytest.raises(ConfigError, match="k must be"):
        top_k(np.array([0.1]), -1, np.random.default_rng(0))


# ------------------------------------------------------------------------- reasons


def test_uncertainty_reasons_carry_the_numbers():
    proba = np.array([[0.52, 0.48], [0.9, 0.1], [0.7, 0.3]])
    cands = Candidates("classification", ("spam", "ham"), proba)
    rng = np.random.default_rng(0)

    margin = get_strategy("margin", "classification").func(cands, 1, rng)
    least = get_strategy("least_confidence", "classification").func(cands, 1, rng)
    entropy = get_strategy("entropy", "classification").func(cands, 1, rng)

    assert (
        "margin 0.04 between 'spam' (0.52) and 'ham' (0.48): rank 1 of 3 candidates by margin",
    ) == margin.reasons
    assert ("least confidence: top class 'spam' at 0.52; rank 1 of 3 candidates",) == (
        least.reasons
    )
    assert ("entropy 0.69 nats (max 0.69 for 2 classes): rank 1 of 3",) == entropy.reasons


def test_multilabel_reasons_name_the_uncertain_labels():
    proba = np.array([[0.49, 0.9, 0.1, 0.02], [0.99, 0.01, 0.0, 0.0]])
    cands = Candidates("multilabel", LABELS, proba, mean_cardinality=1.0)
    rng = np.random.default_rng(0)

    for name in ("binary_minimum", "mean_max_loss", "label_cardinality"):
        sel = get_strategy(name, "multilabel").func(cands, 1, rng)

        assert [0] == sel.positions.tolist()
        assert "'sports' (0.49)" in sel.reasons[0] or "'sports' at 0.49" in sel.reasons[0]


def test_random_reason_says_baseline():
    cands = _pool("classification", "dense")
    sel = get_strategy("random", "classification").func(cands, 3, np.random.default_rng(0))

    assert "random pick 1 of 3 from 40 candidates (baseline)" == sel.reasons[0]
    assert [0.0, 0.0, 0.0] == sel.scores.tolist()


# -------------------------------------------------------------------- diverse_seed


SIZES = (200, 120, 80, 50, 30)


def _planted(x_kind, seed=0):
    """Five well separated clusters of different sizes, stored cluster by cluster."""
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(len(SIZES)), SIZES)
    if x_kind == "dense":
        centres = 10.0 * np.eye(len(SIZES), 8)
        X = centres[cluster] + rng.normal(scale=0.3, size=(cluster.shape[0], 8))
    else:
        # TF-IDF-like: each cluster uses its own 6 of 30 columns.
        dense = np.zeros((cluster.shape[0], 30))
        for c in range(len(SIZES)):
            rows = cluster == c
            dense[np.ix_(rows, range(6 * c, 6 * c + 6))] = rng.random((rows.sum(), 6)) + 0.5
        dense /= np.linalg.norm(dense, axis=1, keepdims=True)
        X = sp.csr_matrix(dense)
    return X, cluster


def _seed(cands, batch_size, seed=SEED):
    return get_strategy("diverse_seed", cands.task).func(
        cands, batch_size, np.random.default_rng(seed)
    )


@pytest.mark.parametrize("x_kind", ["dense", "sparse"])
def test_diverse_seed_covers_planted_clusters_largest_first(x_kind):
    X, cluster = _planted(x_kind)
    cands = Candidates("classification", CLASSES, None, X=X)

    sel = _seed(cands, 5)
    picked = cluster[sel.positions]

    assert [0, 1, 2, 3, 4] == picked.tolist()  # every cluster, the largest first
    assert sel.positions.tolist() != list(range(5))  # not the head of the pool
    assert "cluster 1 of 5 (200 candidates, 41.7% of the pool)" in sel.reasons[0]
    assert pytest.approx([s / 480 for s in SIZES]) == sel.scores


def test_diverse_seed_spreads_over_predicted_classes():
    rng = np.random.default_rng(1)
    n = 400
    X = rng.normal(size=(n, 5))  # one blob: clusters alone would follow the majority
    minority = rng.choice(n, size=20, replace=False)  # 95 / 5 predicted imbalance
    proba = np.tile([0.8, 0.15, 0.05], (n, 1))
    proba[minority] = [0.3, 0.6, 0.1]
    cands = Candidates(
        "classification",
        CLASSES,
        proba,
        X=X,
        label_counts={"ham": 3, "spam": 1, "promo": 0},
        n_labeled=4,
    )

    sel = _seed(cands, 5)

    assert np.isin(sel.positions, minority).sum() >= 1
    assert any("predicted 'spam'" in r for r in sel.reasons)


@pytest.mark.parametrize("x_kind", ["dense", "sparse"])
def test_diverse_seed_prefers_clusters_away_from_the_labeled(x_kind):
    X, cluster = _planted(x_kind)
    labeled = np.flatnonzero(cluster == 0)[:10]
    pool = np.setdiff1d(np.arange(cluster.shape[0]), labeled)
    cands = Candidates("classification", CLASSES, None, X=X[pool], X_labeled=X[labeled])

    sel = _seed(cands, 4)
    picked = cluster[pool][sel.positions]

    assert 0 not in picked.tolist()
    assert {1, 2, 3, 4} == set(picked.tolist())


def test_diverse_seed_with_duplicates_never_repeats_a_position():
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0], [0.0, 9.0]]), [6, 3, 1], axis=0)
    cands = Candidates("classification", CLASSES, None, X=X)

    sel = _seed(cands, 6)

    assert 6 == len(set(sel.positions.tolist()))
    assert {0.0, 5.0, 9.0} == set(X[sel.positions, 1].tolist())  # every distinct point first


def test_diverse_seed_runs_on_proba_alone_for_multilabel():
    cands = dataclasses.replace(_pool("multilabel", "dense", n=60), X=None)

    sel = _seed(cands, 5)

    assert 5 == len(set(sel.positions.tolist()))


# ------------------------------------------------------------------------ registry


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ConfigError) as err:
        get_strategy("marginn", "classification")

    message = str(err.value)
    assert "strategy='marginn' is not a known strategy for task 'classification'" in message
    assert "did you mean 'margin'?" in message
    assert f"known: {', '.join(known_strategies('classification'))}" in message
    assert "(or pass your own function)" in message


def test_default_resolves_per_task():
    for task, name in DEFAULT_STRATEGY.items():
        assert name == get_strategy("default", task).name
    assert "margin_density_kmeans" == get_strategy("default", "classification").name
    assert "mean_max_loss_density" == get_strategy("default", "multilabel").name


def test_multilabel_only_strategy_is_refused_for_classification():
    with pytest.raises(ConfigError, match="works for task 'multilabel' only, not 'classification'"):
        get_strategy("binary_minimum", "classification")


def test_unknown_task_and_wrong_type_are_refused():
    with pytest.raises(ConfigError, match="task must be one of"):
        get_strategy("margin", "sorting")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="works for task"):
        get_strategy("margin", "regression")
    with pytest.raises(TypeError, match="strategy must be"):
        get_strategy(42, "classification")  # type: ignore[arg-type]


def test_a_user_function_is_accepted_and_runs():
    def newest_first(candidates, batch_size, rng):
        """The last candidates of the pool."""
        k = check_candidates(candidates, batch_size, strategy="newest_first")
        pos = np.arange(candidates.n - 1, candidates.n - 1 - k, -1)
        return Selection(pos, np.zeros(k), ("newest",) * k, "newest_first")

    info = get_strategy(newest_first, "classification")
    sel = info.func(_pool("classification", "dense"), 3, np.random.default_rng(0))

    assert "newest_first" == info.name
    assert "The last candidates of the pool." == info.summary
    assert info.needs_proba
    assert [39, 38, 37] == sel.positions.tolist()


def test_register_strategy_adds_refuses_clashes_and_reserved_names():
    def mine(candidates, batch_size, rng):
        return get_strategy("random", candidates.task).func(candidates, batch_size, rng)

    def other(candidates, batch_size, rng):
        return mine(candidates, batch_size, rng)

    try:
        register_strategy("mine", tasks=("multilabel",), needs_proba=False)(mine)
        register_strategy("mine", tasks=("multilabel",), needs_proba=False)(mine)  # re-run

        assert "mine" in known_strategies("multilabel")
        assert "mine" not in known_strategies("classification")
        assert get_strategy(mine, "multilabel") is STRATEGIES["mine"]
        with pytest.raises(ConfigError, match="already registered"):
            register_strategy("mine")(other)
    finally:
        STRATEGIES.pop("mine", None)
    with pytest.raises(ConfigError, match="reserved"):
        register_strategy("default")
    with pytest.raises(ConfigError, match="tasks"):
        register_strategy("x", tasks=())


def test_seed_strategy_declares_it_needs_features():
    assert STRATEGIES["diverse_seed"].needs_features
    assert not STRATEGIES["margin"].needs_features


def test_blocked_kth_largest_equals_a_full_partition():
    from jupyter_al.strategies import _kth_largest

    rng = np.random.default_rng(3)
    for n in (10, 200_000, 300_001):
        s = rng.random(n)
        s[rng.integers(0, n, 50)] = 0.5  # ties too
        for k in (k for k in (1, 50, 500) if k <= n):
            assert np.partition(s, n - k)[n - k] == _kth_largest(s, k)
