"""Tests of the composed strategies: each avoids the trap it is for, plain uncertainty does not."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from jupyter_al import replay, simulate
from jupyter_al._hybrid import _consensus_kl
from jupyter_al.exceptions import ConfigError
from jupyter_al.strategies import STRATEGIES, Candidates, get_strategy, hybrid

RNG = 20261124


def _unit(A):
    return A / np.linalg.norm(A, axis=1, keepdims=True)


def _dup_pool(with_groups=True):
    """200 candidates; the 30 most uncertain form 3 near-duplicate groups of 10."""
    rng = np.random.default_rng(0)
    n, d = 200, 32
    V = _unit(rng.standard_normal((n, d)))
    groups = np.full(n, -1)
    for g in range(3):
        rows = np.arange(g * 10, g * 10 + 10)
        V[rows] = _unit(V[g * 10] + 0.01 * rng.standard_normal((10, d)))
        groups[rows] = g
    p = rng.uniform(0.75, 0.99, n)
    p[:30] = rng.uniform(0.50, 0.52, 30)  # the near-duplicates are the most uncertain
    P = np.column_stack([p, 1 - p])
    return Candidates(
        task="classification",
        classes=("ham", "spam"),
        proba=P,
        vectors=V,
        vectors_labeled=_unit(rng.standard_normal((5, d))),
        label_counts={"ham": 3, "spam": 2},
        n_labeled=5,
        groups=groups if with_groups else None,
        committee=tuple(
            np.column_stack([q, 1 - q])
            for q in (np.clip(p + rng.normal(0, s, n), 0, 1) for s in (0.05, 0.1, 0.15))
        ),
    )


def _per_group(positions, n_groups=3):
    return [int(np.isin(positions, np.arange(g * 10, g * 10 + 10)).sum()) for g in range(n_groups)]


DEDUP_STRATEGIES = [
    "margin_kcenter",
    "margin_kmeanspp",
    "margin_density",
    "margin_density_kmeanspp",
    "margin_density_kmeans",
    "entropy_density",
    "margin_balance",
    "margin_explore",
    "kcenter",
    "qbc",
]


def test_plain_margin_fills_a_batch_with_near_duplicates():
    sel = STRATEGIES["margin"].func(_dup_pool(), 10, np.random.default_rng(RNG))

    assert max(_per_group(sel.positions)) >= 3


@pytest.mark.parametrize("name", DEDUP_STRATEGIES)
def test_a_batch_never_holds_two_members_of_a_near_duplicate_group(name):
    sel = STRATEGIES[name].func(_dup_pool(), 10, np.random.default_rng(RNG))

    assert max(_per_group(sel.positions)) <= 1
    assert 10 == len(set(sel.positions.tolist()))


def test_badge_takes_one_member_per_group_too():
    c = _dup_pool()
    c = dataclasses.replace(c, X=c.vectors)

    sel = STRATEGIES["badge"].func(c, 10, np.random.default_rng(RNG))

    assert max(_per_group(sel.positions)) <= 1


def test_kcenter_avoids_near_duplicates_even_without_group_information():
    sel = STRATEGIES["margin_kcenter"].func(
        _dup_pool(with_groups=False), 10, np.random.default_rng(RNG)
    )

    assert max(_per_group(sel.positions)) <= 1


def test_groups_that_hold_a_labeled_item_are_left_alone():
    c = dataclasses.replace(_dup_pool(), taken_groups=frozenset({0, 1}))

    sel = STRATEGIES["margin_density"].func(c, 10, np.random.default_rng(RNG))

    assert [0, 0, 1] == _per_group(sel.positions)


def test_near_duplicate_fillers_come_last_with_a_reason_when_nothing_else_is_left():
    c = _dup_pool()
    c = dataclasses.replace(
        c, proba=c.proba[:30], vectors=c.vectors[:30], groups=c.groups[:30], committee=None
    )

    sel = STRATEGIES["margin_balance"].func(c, 5, np.random.default_rng(RNG))

    assert [1, 1, 1] == [min(x, 1) for x in _per_group(sel.positions[:3])]
    assert all("near-duplicate" in r for r in sel.reasons[3:])
    assert (sel.scores[3:] == 0).all()


def _outlier_pool():
    """300 typical items of moderate uncertainty and 10 lone outliers of maximal entropy."""
    rng = np.random.default_rng(1)
    d, C = 64, 4
    centre = np.zeros(d)
    centre[:4] = 1.0
    typical = _unit(centre + 0.3 * rng.standard_normal((300, d)))
    outliers = _unit(rng.standard_normal((10, d)) * np.r_[np.zeros(4), np.ones(d - 4)])
    V = np.vstack([typical, outliers])
    P = np.vstack(
        [
            rng.dirichlet([8, 6, 1, 1], size=300),
            np.full((10, C), 1 / C) + rng.normal(0, 1e-3, (10, C)),
        ]
    )
    P = np.clip(P, 1e-6, None)
    P /= P.sum(axis=1, keepdims=True)
    return Candidates(
        task="classification",
        classes=("a", "b", "c", "d"),
        proba=P,
        vectors=V,
        label_counts=dict.fromkeys("abcd", 5),
        n_labeled=20,
    ), np.arange(300, 310)


def test_entropy_picks_lone_outliers_and_density_weighting_does_not():
    c, outliers = _outlier_pool()

    plain = STRATEGIES["entropy"].func(c, 10, np.random.default_rng(RNG))
    weighted = STRATEGIES["entropy_density"].func(c, 10, np.random.default_rng(RNG))

    assert np.isin(plain.positions, outliers).sum() >= 8
    assert np.isin(weighted.positions, outliers).sum() <= 2
    assert all("density" in r for r in weighted.reasons)


def _covered_pool():
    """A covered cluster A (labeled items there, model fairly sure), two uncovered uncertain
    clusters B and C (B a little more uncertain), and 6 lone outliers of maximal uncertainty.

    Positions: A 0-39, B 40-59, C 60-79, outliers 80-85.
    """
    rng = np.random.default_rng(3)
    d = 32
    centres = np.eye(d)[:3]

    def blob(j, n):
        return _unit(centres[j] + 0.15 * rng.standard_normal((n, d)))

    A, B, C = blob(0, 40), blob(1, 20), blob(2, 20)
    outliers = _unit(rng.standard_normal((6, d)) * np.r_[np.zeros(3), np.ones(d - 3)])

    def two(p):
        return np.column_stack([p, 1 - p])

    P = np.vstack(
        [
            two(rng.uniform(0.70, 0.80, 40)),
            two(rng.uniform(0.52, 0.56, 20)),
            two(rng.uniform(0.54, 0.58, 20)),
            two(np.full(6, 0.5)),
        ]
    )
    return Candidates(
        task="classification",
        classes=("a", "b"),
        proba=P,
        vectors=np.vstack([A, B, C, outliers]),
        vectors_labeled=blob(0, 5),
        label_counts={"a": 3, "b": 2},
        n_labeled=5,
    )


def _regions(positions):
    return "".join(sorted("ABCO"[min(int(i) // 20 - 1, 3) if i >= 40 else 0] for i in positions))


def test_margin_density_kmeans_takes_a_typical_item_of_each_uncovered_cluster():
    c = _covered_pool()

    plain = STRATEGIES["margin"].func(c, 2, np.random.default_rng(RNG))
    dense = STRATEGIES["margin_density"].func(c, 2, np.random.default_rng(RNG))
    runs = [
        STRATEGIES["margin_density_kmeans"].func(c, 2, np.random.default_rng(s)) for s in range(20)
    ]
    batches = [_regions(sel.positions) for sel in runs]

    assert "OO" == _regions(plain.positions)  # margin chases the lone outliers
    assert "BB" == _regions(dense.positions)  # density alone: both from the top cluster
    # whatever the k-means++ seeding draws: one typical item of each uncovered cluster,
    # never the covered cluster, never a lone outlier
    assert ["BC"] * 20 == batches
    heads = [r for sel in runs for r in sel.reasons]
    assert all("k-means: the best-scored of its cluster" in r for r in heads)
    assert all("density" in r for r in heads)


def test_kmeans_diversity_fills_the_batch_past_the_clusters_and_ranks_by_score():
    c = _covered_pool()

    sel = hybrid("margin", density=1.0, diversity="kmeans")(c, 30, np.random.default_rng(RNG))

    assert 30 == len(set(sel.positions.tolist()))
    assert (np.diff(sel.scores) <= 0).all()
    assert all("k-means" in r for r in sel.reasons)


def _rare_class_pool():
    rng = np.random.default_rng(2)
    a = rng.uniform(0.55, 0.60, 50)  # predicted 'a' (40 labels), margin about 0.1-0.2
    c = rng.uniform(0.62, 0.66, 20)  # predicted 'c' (1 label), margin about 0.25-0.3
    P = np.vstack(
        [np.column_stack([a, 1 - a, np.zeros(50)]), np.column_stack([np.zeros(20), 1 - c, c])]
    )
    return Candidates(
        task="classification",
        classes=("a", "b", "c"),
        proba=P,
        label_counts={"a": 40, "b": 40, "c": 1},
        n_labeled=81,
    )


def test_class_balance_boosts_items_predicted_as_a_rare_class():
    c = _rare_class_pool()

    plain = STRATEGIES["margin"].func(c, 10, np.random.default_rng(RNG))
    balanced = STRATEGIES["margin_balance"].func(c, 10, np.random.default_rng(RNG))

    assert (plain.positions < 50).all()
    assert (balanced.positions >= 50).all()
    assert "predicted 'c' has 1 label(s) so far: boost x" in balanced.reasons[0]


def test_exploration_takes_its_share_at_random_and_says_so():
    c = _rare_class_pool()

    sel = hybrid("margin", exploration=0.2)(c, 10, np.random.default_rng(RNG))

    explore = [r for r in sel.reasons if r.startswith("exploration")]
    assert 2 == len(explore)
    assert sel.reasons[-2:] == tuple(explore)


def test_keyword_rules_boost_matching_texts_and_name_the_rule():
    texts = ["where is my refund", "hello there", "REFUND please!", "refunding soon"] + ["x"] * 6
    P = np.tile([0.6, 0.4], (10, 1))
    c = Candidates("classification", ("a", "b"), P, texts=texts)

    sel = hybrid("margin", keywords={"refund_request": ["refund"]})(c, 2, np.random.default_rng(0))

    assert {0, 2} == set(sel.positions.tolist())
    assert all(
        "keyword 'refund' (rule for 'refund_request')" in r.replace("REFUND", "refund")
        for r in sel.reasons
    )


def test_a_users_heuristic_is_checked_and_used():
    c = _rare_class_pool()
    favour_last = hybrid("margin", heuristic=lambda cands: np.arange(cands.n) == cands.n - 1)

    assert 69 == favour_last(c, 1, np.random.default_rng(0)).positions[0]
    bad = hybrid("margin", heuristic=lambda cands: np.ones(3))
    with pytest.raises(ConfigError, match=r"heuristic must return one score per candidate"):
        bad(c, 1, np.random.default_rng(0))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"uncertainty": "marginn"}, "uncertainty must be one of"),
        ({"diversity": "kmedoids"}, "diversity must be"),
        ({"density": -1}, "density must be a number >= 0"),
        ({"exploration": 1.0}, r"exploration must be a share in \[0, 1\)"),
        ({"candidates_factor": 0}, "candidates_factor must be"),
        ({"uncertainty": None}, "needs at least one part"),
    ],
)
def test_hybrid_rejects_bad_parts(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        hybrid(**kwargs)


def test_keyword_rules_without_texts_fail_clearly():
    c = _rare_class_pool()

    with pytest.raises(ConfigError, match="keyword rules need a text column"):
        hybrid("margin", keywords={"x": ["y"]})(c, 2, np.random.default_rng(0))


def test_a_hybrid_reports_its_needs_to_the_registry_lookup():
    info = get_strategy(hybrid("margin", diversity="kcenter"), "classification")

    assert info.name == "margin+kcenter"
    assert info.needs_vectors
    assert info.needs_proba
    assert not info.needs_committee
    with pytest.raises(ConfigError, match="multilabel"):
        get_strategy(hybrid("margin"), "multilabel")


def test_consensus_kl_by_hand():
    a = np.array([[0.5, 0.5]])
    b = np.array([[0.9, 0.1]])
    m = np.array([0.7, 0.3])
    want = 0.5 * sum((p * np.log(p / m)).sum() for p in (a[0], b[0]))

    assert _consensus_kl([a, b], "classification")[0] == pytest.approx(want)


def _toy_text(n=240):
    rng = np.random.default_rng(0)
    words = {"pos": ["good", "great", "fine", "nice"], "neg": ["bad", "awful", "poor", "sad"]}
    rows = []
    for i in range(n):
        y = "pos" if i % 3 else "neg"
        text = " ".join(rng.choice(words[y], 3)) + f" item{i % 17}"
        rows.append({"text": text, "y": y})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("strategy", ["qbc", "badge", "margin_kcenter", "entropy_density"])
def test_the_session_runs_and_replays_every_composed_strategy(strategy, tmp_path):
    df = _toy_text()

    s = simulate(
        df,
        text="text",
        oracle="y",
        strategy=strategy,
        batch_size=8,
        rounds=4,
        store=tmp_path / "run",
        random_state=3,
    )

    assert len(s.rounds) >= 4
    assert replay(tmp_path / "run", df).ok
    sel = pd.read_json(tmp_path / "run" / "selection_round_03.jsonl", lines=True)
    assert (sel["strategy"] == strategy).all()


def test_the_default_avoids_lone_outliers_that_plain_margin_takes():
    c, outliers = _outlier_pool()

    plain = STRATEGIES["margin"].func(c, 10, np.random.default_rng(RNG))
    default = get_strategy("default", "classification").func(c, 10, np.random.default_rng(RNG))

    assert np.isin(plain.positions, outliers).sum() >= 8
    assert np.isin(default.positions, outliers).sum() <= 2
