"""Ranking: grades, preferences, pairs, features, the pointwise ranker, strategies, metrics."""

from __future__ import annotations

import itertools
import math
import pickle
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import average_precision_score, ndcg_score

from jupyter_al import ranking as rk
from jupyter_al.exceptions import ConfigError, LabelError, PoolExhaustedError
from jupyter_al.strategies import Selection
from tests.conftest import SHARED_DATA

CISI = SHARED_DATA / "cisi"
SCALE4 = rk.GradeScale((0, 1, 2, 3), ("bad", "fair", "good", "perfect"))


# --------------------------------------------------------------------------- grades


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"grades": [0, 1]}, "grades must be a tuple of int, got \\[0, 1\\]"),
        ({"grades": (0, True)}, "grades must be a tuple of int"),
        ({"grades": (0, 1.5)}, "grades must be a tuple of int"),
        ({"grades": (1,)}, "grades needs at least 2 values, got \\(1,\\)"),
        ({"grades": (0, 2, 1)}, "strictly increasing, got \\(0, 2, 1\\)"),
        ({"grades": (0, 1, 1)}, "strictly increasing"),
        ({"grades": (-1, 0, 1)}, "grades must be >= 0"),
        ({"grades": (0, 1), "names": ("no",)}, "one name per grade \\(2 for \\(0, 1\\)\\), got 1"),
        ({"grades": (0, 1), "names": ("x", "x")}, "names must be unique"),
        ({"grades": (0, 1), "names": ("x", " ")}, "names must be a tuple of non-empty str"),
        ({"grades": (0, 1, 2), "relevant": 0}, "relevant must be one of the grades above"),
        ({"grades": (0, 1, 2), "relevant": 5}, "relevant must be one of the grades above"),
    ],
)
def test_bad_scales_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        rk.GradeScale(**kwargs)  # type: ignore[arg-type]


def test_scale_defaults_and_threshold() -> None:
    assert (0, 1, 2, 3) == rk.GradeScale().grades
    assert 1 == rk.GradeScale().relevant_from
    assert 2 == rk.GradeScale((0, 1, 2, 3), relevant=2).relevant_from
    assert "good" == SCALE4.name_of(2)
    assert "3" == rk.GradeScale().name_of(3)
    assert pickle.loads(pickle.dumps(SCALE4)) == SCALE4


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), (3, 3), (np.int64(2), 2), (2.0, 2), (np.float32(1.0), 1), ("2", 2), (" 3 ", 3)],
)
def test_grades_in_the_scale_are_accepted(value: object, expected: int) -> None:
    assert expected == rk.check_grade(value, rk.GradeScale())


def test_grade_names_are_accepted() -> None:
    assert 3 == rk.check_grade("perfect", SCALE4)
    with pytest.raises(LabelError, match="got 'perfect'"):
        rk.check_grade("perfect", rk.GradeScale())


@pytest.mark.parametrize("bad", [4, -1, 2.5, "4", "high", None, True, float("nan"), [1], "1.0"])
def test_a_grade_outside_the_scale_names_the_item_and_the_grades(bad: object) -> None:
    with pytest.raises(LabelError) as info:
        rk.check_grade(bad, rk.GradeScale(), item_id="12::408")

    assert f"grade of item '12::408' must be one of 0, 1, 2, 3, got {bad!r}" == str(info.value)


def test_the_message_lists_the_names_too() -> None:
    with pytest.raises(LabelError, match=r"one of 0, 1, 2, 3 \(0='bad', 1='fair'.*got 7"):
        rk.check_grade(7, SCALE4, item_id="q::d")


def test_check_grades_counts_the_bad_values_and_names_the_first() -> None:
    with pytest.raises(LabelError) as info:
        rk.check_grades([0, 9, 1, "x"], rk.GradeScale((0, 1)), ["a", "b", "c", "d"])

    assert "grades: 2 values outside the scale; grade of item 'b'" in str(info.value)
    with pytest.raises(LabelError, match="grade of the value at position 1"):
        rk.check_grades(np.array([0, 5]), rk.GradeScale((0, 1)))
    with pytest.raises(ConfigError, match="one id per value"):
        rk.check_grades([0, 1], rk.GradeScale((0, 1)), ["a"])
    assert [1, 0] == rk.check_grades(np.array([1, 0]), rk.GradeScale((0, 1))).tolist()


# ---------------------------------------------------------------------- preferences


def test_preferences_become_constraints_and_ties_give_none() -> None:
    prefs = [
        rk.Preference(1, "a", "b", "a"),
        rk.Preference(1, "b", "c", "b"),
        rk.Preference(1, "a", "c", "tie"),
    ]

    cons = rk.constraints_from_preferences(prefs, ["1::a", "1::b", "1::c"])

    assert (rk.Constraint(1, "1::a", "1::b"), rk.Constraint(1, "1::c", "1::b")) == cons


def test_bad_preferences_are_refused() -> None:
    with pytest.raises(LabelError, match="winner of the preference 1: 'a' vs 'b' must be one of"):
        rk.Preference(1, "a", "b", "A")  # type: ignore[arg-type]
    with pytest.raises(LabelError, match="compares a document with itself"):
        rk.Preference(1, "a", "a", "a")
    with pytest.raises(LabelError, match=r"not among the candidates: \['1::z'\]"):
        rk.constraints_from_preferences([rk.Preference(1, "a", "z", "a")], ["1::a", "1::b"])
    with pytest.raises(ConfigError, match="must hold Preference records"):
        rk.constraints_from_preferences([("1", "a", "b", "a")])  # type: ignore[list-item]


def test_pairwise_accuracy_counts_score_ties_as_half() -> None:
    cons = rk.constraints_from_grades(["q::a", "q::b", "q::c"], ["q"] * 3, [2, 1, 0])

    assert 3 == len(cons)
    assert 1.0 == rk.pairwise_accuracy(cons, ["q::a", "q::b", "q::c"], [3.0, 2.0, 1.0])
    assert 0.0 == rk.pairwise_accuracy(cons, ["q::a", "q::b", "q::c"], [1.0, 2.0, 3.0])
    assert 0.5 == rk.pairwise_accuracy(cons, ["q::a", "q::b", "q::c"], [1.0, 1.0, 1.0])
    assert math.isnan(rk.pairwise_accuracy([], ["q::a"], [1.0]))
    with pytest.raises(LabelError, match="without a score"):
        rk.pairwise_accuracy(cons, ["q::a", "q::b"], [1.0, 2.0])


def test_constraints_from_grades_stay_within_a_query() -> None:
    cons = rk.constraints_from_grades(["1::a", "2::b"], [1, 2], [1, 0])

    assert () == cons


# ------------------------------------------------------------------- index, pairs


QUERIES = pd.DataFrame(
    {"query_id": [1, 2], "query": ["library catalogue indexing", "retrieval of citations"]}
)
DOCS = pd.DataFrame(
    {
        "doc_id": [10, 11, 12, 13],
        "text": [
            "Library catalogue rules and library catalogue indexing",
            "Citation retrieval in science",
            "Fish and chips",
            "Indexing for information retrieval of citations",
        ],
    }
)


def test_bm25_matches_the_lucene_formula() -> None:
    index = rk.build_index(DOCS)
    lengths = index.doc_lengths
    n, avgdl = len(DOCS), lengths.mean()
    k1, b = 1.5, 0.75

    def term(tf: float, df: int, dl: float) -> float:
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        return idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))

    scores = index.bm25_scores(["catalogue", "indexing"])

    # doc 10: catalogue twice (df 1), indexing once (df 2); 6 terms after stop words
    assert ["library", "catalogue", "rules", "library", "catalogue", "indexing"] == index.analyze(
        DOCS.text[0]
    )
    assert pytest.approx(term(2, 1, 6) + term(1, 2, 6)) == scores[0]
    assert 0.0 == scores[2]
    assert [0.0] * 4 == index.bm25_scores(["unseen"]).tolist()
    assert [0.0] * 4 == index.bm25_scores([]).tolist()


def test_make_pairs_takes_bm25_top_n_with_a_positive_score() -> None:
    pairs = rk.make_pairs(QUERIES, DOCS, n_candidates=2)

    assert ["pair_id", "query_id", "doc_id"] == list(pairs.columns)
    assert ["1::10", "1::13", "2::13", "2::11"] == pairs.pair_id.tolist()
    everything = rk.make_pairs(QUERIES, DOCS, n_candidates=10)
    assert "1::12" not in set(everything.pair_id)  # zero score: not a candidate


def test_make_pairs_from_lists_and_frames() -> None:
    from_lists = rk.make_pairs(QUERIES, DOCS, {2: [12, 11], 1: [10]})
    frame = pd.DataFrame({"query_id": [2, 1, 2], "doc_id": [12, 10, 11]})
    from_frame = rk.make_pairs(QUERIES, DOCS, frame)

    assert ["1::10", "2::12", "2::11"] == from_lists.pair_id.tolist()
    assert from_lists.equals(from_frame)


@pytest.mark.parametrize(
    ("candidates", "message"),
    [
        ({3: [10]}, "candidates name queries not in queries: 3"),
        ({1: [99]}, "candidates name documents not in docs: 99"),
        ({1: [10, 10]}, r"more than once: \['1::10'\]"),
        ({1: 10}, r"candidates\[1\] must be a list of doc ids"),
        ([(1, 10)], "candidates must be a mapping"),
        (pd.DataFrame({"query": [1]}), r"candidates must have columns \['query_id', 'doc_id'\]"),
    ],
)
def test_bad_candidates_are_refused(candidates: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        rk.make_pairs(QUERIES, DOCS, candidates)  # type: ignore[arg-type]


def test_bad_frames_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"docs must have columns \['doc_id', 'text'\]; missing"):
        rk.make_pairs(QUERIES, DOCS.rename(columns={"text": "body"}))
    with pytest.raises(ConfigError, match="docs\\['doc_id'\\] must be unique, got duplicates 10"):
        rk.build_index(pd.DataFrame({"doc_id": [10, 10], "text": ["a b", "c d"]}))
    with pytest.raises(ConfigError, match="must not contain '::'"):
        rk.build_index(pd.DataFrame({"doc_id": ["a::b"], "text": ["library"]}))
    with pytest.raises(ConfigError, match=r"docs\['text'\] must hold text, got float nan at row 1"):
        rk.build_index(pd.DataFrame({"doc_id": [1, 2], "text": ["library", np.nan]}))
    with pytest.raises(ConfigError, match="no indexable term"):
        rk.build_index(pd.DataFrame({"doc_id": [1], "text": ["the a of"]}))
    with pytest.raises(ConfigError, match="at least one document"):
        rk.build_index(pd.DataFrame({"doc_id": [], "text": []}))
    with pytest.raises(ConfigError, match="n_candidates must be an integer >= 1, got 0"):
        rk.make_pairs(QUERIES, DOCS, n_candidates=0)
    with pytest.raises(ConfigError, match="index must be built from these docs"):
        rk.make_pairs(QUERIES, DOCS, index=rk.build_index(DOCS.iloc[:2]))


# ----------------------------------------------------------------------- features


def test_features_by_hand() -> None:
    pairs = rk.make_pairs(QUERIES, DOCS, {1: [10, 12, 13]})

    X = rk.pair_features(pairs, QUERIES, DOCS)

    assert list(rk.FEATURE_NAMES) == list(X.columns)
    # query 1 terms: library, catalogue, indexing (3); doc 10 has all of them
    assert [1.0, 0.0, 1 / 3] == X.query_coverage.tolist()
    # doc 13: {indexing, information, retrieval, citations} vs 3 query terms: 1 shared of 6
    assert pytest.approx([3 / 4, 0.0, 1 / 6]) == X.jaccard.tolist()
    assert [6.0, 2.0, 4.0] == X.doc_length.tolist()
    assert [3.0, 3.0, 3.0] == X.query_length.tolist()
    assert [1.0, 3.0, 2.0] == X.bm25_rank.tolist()  # docs 11 and 12 both score 0: rank 3
    assert pytest.approx([1.0, 0.0]) == X.bm25_ratio.tolist()[:2]
    index = rk.build_index(DOCS)
    q = index.vectorizer.transform([QUERIES["query"][0]]).toarray().ravel()
    d = index.doc_tfidf[3].toarray().ravel()
    expected_cos = q @ d / (np.linalg.norm(q) * np.linalg.norm(d))
    assert pytest.approx(expected_cos) == X.tfidf_cosine.iloc[2]


def test_features_are_deterministic_and_do_not_depend_on_other_pairs() -> None:
    pairs = rk.make_pairs(QUERIES, DOCS, n_candidates=4)
    X = rk.pair_features(pairs, QUERIES, DOCS)

    again = rk.pair_features(pairs, QUERIES, DOCS)
    alone = rk.pair_features(pairs.iloc[[2]], QUERIES, DOCS)

    pd.testing.assert_frame_equal(X, again)
    pd.testing.assert_frame_equal(X.iloc[[2]], alone)


def test_features_refuse_unknown_ids() -> None:
    pairs = pd.DataFrame({"query_id": [1, 7], "doc_id": [10, 10]})
    with pytest.raises(ConfigError, match="pairs name queries not in queries: 7"):
        rk.pair_features(pairs, QUERIES, DOCS)
    pairs = pd.DataFrame({"query_id": [1], "doc_id": [77]})
    with pytest.raises(ConfigError, match="pairs name documents not in docs: 77"):
        rk.pair_features(pairs, QUERIES, DOCS)


# ------------------------------------------------------------------------- ranker


def _synthetic(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, len(rk.FEATURE_NAMES))), columns=list(rk.FEATURE_NAMES))
    X["bm25_rank"] = rng.integers(1, 30, n)
    X["doc_length"] = rng.integers(10, 300, n)
    X["query_length"] = rng.integers(2, 40, n)
    latent = 1.5 * X["bm25"] + X["tfidf_cosine"] + rng.normal(scale=0.5, size=n)
    y = np.digitize(latent, [-1.0, 0.5, 1.5])  # grades 0..3
    return X, y


def test_ranker_predicts_grade_distributions_and_ranks_by_expected_grade() -> None:
    X, y = _synthetic()
    ranker = rk.PointwiseRanker(rk.GradeScale()).fit(X[:300], y[:300])

    P = ranker.predict_proba(X[300:])
    score = ranker.expected_grade(X[300:])

    assert (100, 4) == P.shape
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(score, P @ np.arange(4))
    assert np.corrcoef(score, y[300:])[0, 1] > 0.7
    assert set(ranker.predict(X[300:]).tolist()) <= {0, 1, 2, 3}
    # columns are picked by name, whatever the frame's order
    np.testing.assert_allclose(P, ranker.predict_proba(X[300:][list(reversed(X.columns))]))


def test_a_grade_missing_from_the_labels_gets_probability_zero() -> None:
    X, y = _synthetic()
    keep = y != 2
    ranker = rk.PointwiseRanker(rk.GradeScale()).fit(X[keep], y[keep])

    P = ranker.predict_proba(X)

    assert [0, 1, 3] == ranker.classes_.tolist()
    assert (0 == P[:, 2]).all()


def test_ranker_is_deterministic_and_clonable() -> None:
    X, y = _synthetic()
    a = rk.PointwiseRanker(rk.GradeScale(), C=0.5).fit(X, y).predict_proba(X)
    b = clone(rk.PointwiseRanker(rk.GradeScale(), C=0.5)).fit(X, y).predict_proba(X)

    np.testing.assert_array_equal(a, b)


def test_ranker_bad_inputs() -> None:
    X, y = _synthetic(40)
    ranker = rk.PointwiseRanker(rk.GradeScale())
    with pytest.raises(NotFittedError):
        ranker.predict_proba(X)
    with pytest.raises(
        ConfigError, match=r"y needs at least 2 distinct grades to fit a ranker, got \(1,\)"
    ):
        ranker.fit(X, np.ones(40, dtype=int))
    with pytest.raises(
        LabelError, match="y: 1 value outside the scale; grade of the value at position 0"
    ):
        ranker.fit(X, [7, *y[1:]])
    with pytest.raises(ConfigError, match="missing \\['jaccard'\\]"):
        ranker.fit(X.drop(columns="jaccard"), y)
    with pytest.raises(ConfigError, match=r"X must have shape \(n_pairs, 8\)"):
        ranker.fit(np.zeros((40, 3)), y)
    with pytest.raises(ConfigError, match="one row per pair, got 40 and 39"):
        ranker.fit(X, y[:39])
    with pytest.raises(ConfigError, match="NaN or infinite"):
        ranker.fit(X.assign(bm25=np.nan), y)
    with pytest.raises(ConfigError, match="scale must be a GradeScale"):
        rk.PointwiseRanker((0, 1)).fit(X, y)  # type: ignore[arg-type]


# --------------------------------------------------------------------- strategies


def _check_selection(sel: Selection, n: int, batch: int) -> None:
    k = min(n, batch)
    assert k == sel.positions.shape[0] == len(set(sel.positions.tolist()))
    assert k == sel.scores.shape[0] == len(sel.reasons)
    assert np.intp == sel.positions.dtype
    assert all(0 <= p < n for p in sel.positions.tolist())
    assert (np.diff(sel.scores) <= 0).all(), "ranked best first"
    assert np.float64 == sel.scores.dtype


@pytest.mark.parametrize("name", ["grade_uncertainty", "topk_disagreement"])
def test_strategy_contract(name: str) -> None:
    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.ones(4), size=60)
    qids = rng.integers(0, 5, 60)
    func = getattr(rk, name)

    first = func(P, qids, 7, np.random.default_rng(3))
    again = func(P, qids, 7, np.random.default_rng(3))
    everything = func(P, qids, 100, np.random.default_rng(3))

    _check_selection(first, 60, 7)
    _check_selection(everything, 60, 100)
    np.testing.assert_array_equal(first.positions, again.positions)
    assert first.reasons == again.reasons
    assert name == first.strategy
    with pytest.raises(PoolExhaustedError):
        func(np.zeros((0, 4)), [], 3, rng)
    with pytest.raises(ConfigError, match="batch_size must be an integer >= 1, got 0"):
        func(P, qids, 0, rng)
    with pytest.raises(ConfigError, match="one query id per row of proba \\(60\\), got 59"):
        func(P, qids[:59], 3, rng)
    with pytest.raises(ConfigError, match="rows must sum to 1"):
        func(P * 2, qids, 3, rng)
    with pytest.raises(ConfigError, match="shape \\(n_pairs, n_grades >= 2\\)"):
        func(P[:, 0], qids, 3, rng)
    with pytest.raises(ConfigError, match="the scale has 2 grades"):
        func(P, qids, 3, rng, scale=rk.GradeScale((0, 1)))


def test_entropy_margin_and_variance_on_hand_made_distributions() -> None:
    P = np.array(
        [
            [0.5, 0.0, 0.0, 0.5],  # torn between 0 and 3
            [0.5, 0.5, 0.0, 0.0],  # torn between 0 and 1
            [0.25, 0.25, 0.25, 0.25],  # no idea
            [0.97, 0.01, 0.01, 0.01],  # sure
        ]
    )
    q = ["a", "a", "a", "a"]
    rng = np.random.default_rng(0)

    entropy = rk.grade_uncertainty(P, q, 4, rng, query_discount=1.0)
    margin = rk.grade_uncertainty(P, q, 1, rng, measure="margin", query_discount=1.0)
    variance = rk.grade_uncertainty(P, q, 1, rng, measure="variance", query_discount=1.0)

    assert 2 == entropy.positions[0]
    assert pytest.approx(math.log(4)) == entropy.scores[0]
    assert 3 == entropy.positions[-1]
    assert 1.0 == margin.scores[0]  # rows 0, 1 and 2 all have equal top two
    assert [0] == variance.positions.tolist()  # a 0-vs-3 doubt outweighs "no idea"
    assert pytest.approx(2.25) == variance.scores[0]
    with pytest.raises(ConfigError, match="measure must be one of"):
        rk.grade_uncertainty(P, q, 1, rng, measure="gini")  # type: ignore[arg-type]


def test_picks_are_spread_over_queries() -> None:
    # query "a" holds the three most uncertain items; "b" and "c" one less uncertain each
    P = np.array([[0.5, 0.5], [0.52, 0.48], [0.55, 0.45], [0.7, 0.3], [0.8, 0.2], [0.99, 0.01]])
    q = ["a", "a", "a", "b", "c", "c"]

    spread = rk.grade_uncertainty(P, q, 4, np.random.default_rng(0))
    plain = rk.grade_uncertainty(P, q, 3, np.random.default_rng(0), query_discount=1.0)
    rounds = rk.grade_uncertainty(P, q, 6, np.random.default_rng(0), query_discount=0.0)

    assert [0, 3, 4, 1] == spread.positions.tolist()  # a, b, c, then a's second
    assert "2nd pick in this query (score x 0.5^1)" in spread.reasons[3]
    assert pytest.approx(spread.scores[3]) == 0.5 * plain.scores[1]
    assert [0, 1, 2] == plain.positions.tolist()
    assert [0, 3, 4, 1, 5, 2] == rounds.positions.tolist()  # round 1, then round 2 by score
    with pytest.raises(ConfigError, match="query_discount must be a number in \\[0, 1\\], got 2"):
        rk.grade_uncertainty(P, q, 1, np.random.default_rng(0), query_discount=2)


def test_a_query_with_much_more_to_learn_gets_several_picks() -> None:
    # query "a": four coin flips; "b": four nearly sure items
    P = np.array([[0.5, 0.5]] * 4 + [[0.99, 0.01]] * 4)
    q = ["a"] * 4 + ["b"] * 4

    sel = rk.grade_uncertainty(P, q, 3, np.random.default_rng(0))

    assert (sel.positions < 4).all()


def test_ties_are_broken_by_the_rng() -> None:
    P = np.full((40, 2), 0.5)
    q = np.zeros(40, dtype=int)

    picks = {
        tuple(rk.grade_uncertainty(P, q, 3, np.random.default_rng(s)).positions.tolist())
        for s in range(10)
    }

    assert len(picks) > 5


def _staircase() -> tuple[np.ndarray, list[str]]:
    """Query "q": 8 surely relevant, 4 coin flips, 8 surely not; query "deep": 15 surely
    relevant then 3 coin flips that can never reach the top 10."""
    sure, flip, never = [0.0, 1.0], [0.5, 0.5], [1.0, 0.0]
    rows = [sure] * 8 + [flip] * 4 + [never] * 8 + [sure] * 15 + [flip] * 3
    return np.array(rows), ["q"] * 20 + ["deep"] * 18


def test_topk_disagreement_picks_the_items_at_the_cut_off() -> None:
    P, q = _staircase()

    topk = rk.topk_disagreement(P, q, 4, np.random.default_rng(0), k=10)
    uncertain = rk.grade_uncertainty(P, q, 7, np.random.default_rng(0), query_discount=1.0)

    assert {8, 9, 10, 11} == set(topk.positions.tolist())  # the coin flips around rank 10
    assert (topk.scores > 0).all()
    assert topk.scores[0] > 0.4
    assert {8, 9, 10, 11, 35, 36, 37} == set(uncertain.positions.tolist())
    p = rk.top_k_probability(P, q, k=10)
    assert [0.0, 0.0, 0.0] == p[35:].tolist()  # behind 15 sure ones: never in the top 10
    assert [1.0] * 8 == p[:8].tolist()
    assert "P(in top 10)" in topk.reasons[0]


def test_labeled_pairs_compete_for_the_top_k() -> None:
    P = np.array([[0.5, 0.5], [0.5, 0.5], [1.0, 0.0]])
    q = [1, 1, 1]

    alone = rk.top_k_probability(P, q, k=2)
    crowded = rk.top_k_probability(P, q, k=2, labeled_query_ids=[1, 1, 2], labeled_grades=[1, 1, 1])

    assert 1.0 == alone[0]  # a query of 3 with k=2: the first coin flip is always in
    assert [0.0, 0.0, 0.0] == crowded.tolist()  # two labeled relevant pairs fill the top 2
    with pytest.raises(LabelError, match="labeled_grades: 1 value outside the scale"):
        rk.top_k_probability(P, q, k=2, labeled_query_ids=[1], labeled_grades=[4])
    with pytest.raises(ConfigError, match="pass labeled_query_ids and labeled_grades together"):
        rk.top_k_probability(P, q, k=2, labeled_query_ids=[1])
    with pytest.raises(ConfigError, match="k must be an integer >= 1, got 0"):
        rk.top_k_probability(P, q, k=0)


def test_small_queries_have_nothing_to_decide() -> None:
    P = np.array([[0.5, 0.5], [0.4, 0.6]])

    sel = rk.topk_disagreement(P, [1, 1], 2, np.random.default_rng(0), k=10)

    assert [0.0, 0.0] == sel.scores.tolist()


def test_top_k_probability_is_exact() -> None:
    """Against a Monte Carlo simulation of the same model: grades drawn per pair, ranked by
    grade then by expected grade, with labeled pairs at their grade."""
    rng = np.random.default_rng(1)
    scale = rk.GradeScale((0, 1, 2, 3))
    P = rng.dirichlet([3.0, 1.0, 0.6, 0.3], size=9)
    lab_grades = np.array([2, 0, 3])
    k = 4

    p = rk.top_k_probability(
        P, ["x"] * 9, k=k, scale=scale, labeled_query_ids=["x"] * 3, labeled_grades=lab_grades
    )

    allP = np.vstack([P, np.eye(4)[lab_grades]])
    expected = allP @ np.arange(4)
    draws = 40_000
    cum = allP.cumsum(axis=1)
    u = rng.random((draws, allP.shape[0], 1))
    g = (u > cum[None, :, :]).sum(axis=2)  # sampled grade index per draw and pair
    key = g * 10.0 + expected[None, :] / 10.0  # grade first, expected grade on ties
    ranks = (-key).argsort(axis=1).argsort(axis=1)
    mc = (ranks[:, :9] < k).mean(axis=0)
    np.testing.assert_allclose(p, mc, atol=0.015)


# -------------------------------------------------------------------------- metrics


def test_metrics_by_hand() -> None:
    grades = [3, 2, 0, 0, 1]
    scores = [0.1, 0.9, 0.8, 0.3, 0.2]  # order: 2, 0, 0, 1, 3

    dcg = 2 / math.log2(2) + 0 + 0 + 1 / math.log2(5) + 3 / math.log2(6)
    idcg = 3 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)

    assert pytest.approx(dcg / idcg) == rk.ndcg_at_k(grades, scores, k=5)
    dcg3 = 2 / math.log2(2)
    idcg3 = idcg
    assert pytest.approx(dcg3 / idcg3) == rk.ndcg_at_k(grades, scores, k=3)
    # relevant (grade >= 1) at ranks 1, 4, 5
    assert pytest.approx((1 / 1 + 2 / 4 + 3 / 5) / 3) == rk.average_precision(grades, scores)
    # relevant (grade >= 2) at ranks 1 and 5
    assert pytest.approx((1 / 1 + 2 / 5) / 2) == rk.average_precision(grades, scores, threshold=2)
    assert 1.0 == rk.mrr(grades, scores)
    assert pytest.approx(1 / 5) == rk.mrr(grades, scores, threshold=3)
    exp_dcg = 3 + 1 / math.log2(5) + 7 / math.log2(6)
    exp_idcg = 7 + 3 / math.log2(3) + 1 / math.log2(4)
    assert pytest.approx(exp_dcg / exp_idcg) == rk.ndcg_at_k(
        grades, scores, k=5, gain="exponential"
    )


def test_ndcg_matches_sklearn_ties_included() -> None:
    rng = np.random.default_rng(0)
    for trial in range(30):
        n = int(rng.integers(2, 25))
        grades = rng.integers(0, 4, n)
        grades[0] = max(grades[0], 1)  # at least one gain
        scores = rng.integers(0, 5, n).astype(float) if trial % 2 else rng.normal(size=n)
        for k in (1, 3, 10):
            expected = ndcg_score([grades], [scores], k=k)

            assert pytest.approx(expected) == rk.ndcg_at_k(grades, scores, k=k)


def test_map_matches_sklearn_without_ties() -> None:
    rng = np.random.default_rng(1)
    grades, scores, qids, expected = [], [], [], []
    for q in range(12):
        n = int(rng.integers(3, 20))
        g = rng.integers(0, 2, n)
        g[0] = 1
        s = rng.normal(size=n)
        grades += g.tolist()
        scores += s.tolist()
        qids += [q] * n
        expected.append(average_precision_score(g, s))

    assert pytest.approx(np.mean(expected)) == rk.mean_average_precision(grades, scores, qids)


def _brute_force(rel: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """AP and RR averaged over every ordering of the tied scores."""
    aps, rrs = [], []
    for perm in itertools.permutations(range(len(rel))):
        order = sorted(perm, key=lambda i: -scores[i])  # stable: ties keep the permutation
        r = rel[order]
        hits = np.flatnonzero(r)
        aps.append(np.mean([(j + 1) / (pos + 1) for j, pos in enumerate(hits)]))
        rrs.append(1 / (hits[0] + 1))
    return float(np.mean(aps)), float(np.mean(rrs))


@pytest.mark.parametrize(
    ("rel", "scores"),
    [
        ([1, 0, 0, 1, 0, 1], [1, 1, 1, 1, 1, 1]),
        ([0, 1, 0, 1, 1, 0], [2, 1, 1, 1, 0, 0]),
        ([0, 0, 1, 0, 0, 1], [3, 3, 3, 2, 1, 1]),
        ([1, 0, 0, 0, 0, 0], [0, 1, 1, 0, 0, 2]),
    ],
)
def test_tied_scores_are_averaged_over_their_orderings(rel: list[int], scores: list[float]) -> None:
    ap, rr = _brute_force(np.array(rel), np.array(scores, dtype=float))

    assert pytest.approx(ap) == rk.average_precision(rel, scores)
    assert pytest.approx(rr) == rk.mrr(rel, scores)


def test_queries_without_a_relevant_pair_are_excluded() -> None:
    grades = [1, 0, 0, 0, 0, 2]
    scores = [0.1, 0.9, 0.5, 0.4, 0.1, 0.9]
    qids = ["a", "a", "b", "b", "c", "c"]

    table = rk.per_query_metrics(grades, scores, qids, k=2)
    result = rk.evaluate_ranking(grades, scores, qids, k=2)

    assert ["a", "b", "c"] == table.index.tolist()
    assert math.isnan(table.loc["b", "ndcg@2"])
    assert math.isnan(table.loc["b", "ap"])
    assert pytest.approx((1 / math.log2(3) + 1.0) / 2) == result["ndcg@2"]
    assert pytest.approx((0.5 + 1.0) / 2) == result["map"]
    assert pytest.approx((0.5 + 1.0) / 2) == result["mrr"]
    assert 2.0 == result["n_queries"]
    assert math.isnan(rk.ndcg_at_k([0, 0], [1.0, 2.0]))
    # grade 1 is a gain for nDCG but not relevant at threshold 2
    assert math.isnan(rk.mrr([1, 0], [1.0, 2.0], threshold=2))
    assert 1.0 > rk.ndcg_at_k([1, 0], [1.0, 2.0], k=2) > 0.0


def test_metric_bad_inputs() -> None:
    with pytest.raises(ConfigError, match="one entry per pair, got 2 and 3"):
        rk.ndcg_at_k([1, 0], [1.0, 2.0, 3.0])
    with pytest.raises(ConfigError, match="grades must be finite and >= 0"):
        rk.ndcg_at_k([-1, 0], [1.0, 2.0])
    with pytest.raises(ConfigError, match="scores hold 1 NaN"):
        rk.mrr([1, 0], [np.nan, 2.0])
    with pytest.raises(ConfigError, match="k must be an integer >= 1, got 0"):
        rk.ndcg_at_k([1, 0], [1.0, 2.0], k=0)
    with pytest.raises(ConfigError, match="query_ids must have one entry per pair"):
        rk.mean_average_precision([1, 0], [1.0, 2.0], [1])
    with pytest.raises(ConfigError, match="gain must be 'linear' or 'exponential'"):
        rk.ndcg_at_k([1, 0], [1.0, 2.0], gain="log")  # type: ignore[arg-type]


# ---------------------------------------------------------------- split, loader


def test_split_is_by_query_and_reproducible() -> None:
    qids = np.repeat(np.arange(40), 5)

    held = rk.split_queries(qids, 0.25, seed=3)
    shuffled = rk.split_queries(np.random.default_rng(0).permutation(qids), 0.25, seed=3)
    pool = set(qids.tolist()) - set(held)

    assert 10 == len(held)
    assert held == shuffled
    assert held == rk.split_queries(pd.Series(qids), 0.25, seed=3)
    assert all(type(q) is int for q in held)
    assert held == rk.split_queries(qids, 0.25, seed=3)
    assert held != rk.split_queries(qids, 0.25, seed=4)
    assert not pool & set(held)
    assert 1 == len(rk.split_queries([1, 2, 3], 0.01))
    assert 2 == len(rk.split_queries([1, 2, 3], 0.99))
    for bad in (0, 1, 1.5, True, "0.2"):
        with pytest.raises(ConfigError, match="fraction must be a number strictly between 0 and 1"):
            rk.split_queries(qids, bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="at least 2 distinct queries"):
        rk.split_queries([1, 1], 0.5)


def test_lookup_grades_defaults_to_not_relevant() -> None:
    pairs = rk.make_pairs(QUERIES, DOCS, {1: [10, 12], 2: [11]})
    qrels = pd.DataFrame({"query_id": [1, 2, 2], "doc_id": [12, 11, 13], "grade": [2, 1, 1]})

    assert [0, 2, 1] == rk.lookup_grades(pairs, qrels).tolist()
    with pytest.raises(ConfigError, match="qrels must have columns"):
        rk.lookup_grades(pairs, qrels.drop(columns="grade"))


def _write_smart(
    tmp_path, all_text: str, qry: str = ".I 1\n.W\nlibraries\n", rel: str = "1 1 0 0.0\n"
):
    (tmp_path / "CISI.ALL").write_text(all_text)
    (tmp_path / "CISI.QRY").write_text(qry)
    (tmp_path / "CISI.REL").write_text(rel)
    return tmp_path


def test_loader_parses_the_smart_format(tmp_path) -> None:
    folder = _write_smart(
        tmp_path,
        ".I 1\n.T\nA  Title\n.A\nDoe, J.\n.A\nRoe, R.\n.W\n  Some text\nmore text.\n.X\n1\t2\t3\n"
        ".I 2\n.T\nOther\n.W\nBody\n",
        ".I 1\n.T\nPaper title\n.A\nX\n.B\n(1980)\n.W\nWhat about libraries?\n"
        ".I 2\n.W\nAnd indexing?\n",
        "1     2\t0\t0.000000\n\n2 1 0 0.0\n",
    )

    queries, docs, qrels = rk.load_cisi(folder)

    assert [1, 2] == docs.doc_id.tolist()
    assert "A Title" == docs.title[0]
    assert "Doe, J.; Roe, R." == docs.authors[0]
    assert "Some text more text." == docs.abstract[0]
    assert "A Title\nSome text more text." == docs.text[0]
    assert "Paper title\nWhat about libraries?" == queries["query"][0]
    assert "And indexing?" == queries["query"][1]
    assert [(1, 2, 1), (2, 1, 1)] == list(qrels.itertuples(index=False, name=None))


@pytest.mark.parametrize(
    ("all_text", "rel", "message"),
    [
        (".I x\n.W\nabc\n", "1 1\n", "CISI.ALL line 1: expected '.I <id>', got '.I x'"),
        ("junk\n.I 1\n.W\nabc\n", "1 1\n", "CISI.ALL line 1: expected a field marker"),
        (".W\nabc\n", "1 1\n", "CISI.ALL line 1: field .W before the first .I"),
        (".I 1\n.W\na\n.I 1\n.W\nb\n", "1 1\n", "CISI.ALL line 4: duplicate record id 1"),
        (".I 1\n.W\nabc\n", "1\n", "CISI.REL line 1: expected 'query_id doc_id ...', got '1'"),
        (".I 1\n.W\nabc\n", "1 9 0 0.0\n", "CISI.REL line 1: judges query 1 and document 9"),
    ],
)
def test_loader_names_the_bad_line(tmp_path, all_text: str, rel: str, message: str) -> None:
    folder = _write_smart(tmp_path, all_text, rel=rel)
    with pytest.raises(ConfigError, match=re.escape(message)):
        rk.load_cisi(folder)


def test_loader_names_missing_files(tmp_path) -> None:
    (tmp_path / "CISI.ALL").write_text(".I 1\n")
    with pytest.raises(ConfigError, match=re.escape("lacks CISI.QRY, CISI.REL")):
        rk.load_cisi(tmp_path)


@pytest.fixture(scope="module")
def cisi() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    if not CISI.is_dir():
        pytest.skip(f"shared data not found: {CISI}")
    return rk.load_cisi(CISI)


def test_loader_on_the_shared_cisi(cisi: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    queries, docs, qrels = cisi

    assert 1460 == len(docs)
    assert 112 == len(queries)
    assert 3114 == len(qrels)
    assert 76 == qrels.query_id.nunique()
    assert "18 Editions of the Dewey Decimal Classifications" == docs.title[0]
    assert docs.text[0].startswith("18 Editions of the Dewey Decimal Classifications\nThe present")
    assert "Comaromi, J.P." == docs.authors[0]
    assert queries["query"][0].startswith("What problems and concerns are there in making up")
    assert {1} == set(qrels.grade)


def test_the_whole_chain_on_cisi(cisi: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    queries, docs, qrels = cisi
    queries = queries[queries.query_id.isin(qrels.query_id)].reset_index(drop=True)
    index = rk.build_index(docs)
    pairs = rk.make_pairs(queries, docs, n_candidates=30, index=index)
    X = rk.pair_features(pairs, queries, docs, index=index)
    y = rk.lookup_grades(pairs, qrels)
    held = rk.split_queries(pairs.query_id, 0.25, seed=0)
    out = pairs.query_id.isin(held).to_numpy()

    ranker = rk.PointwiseRanker(rk.GradeScale((0, 1))).fit(X[~out], y[~out])
    learned = rk.evaluate_ranking(y[out], ranker.expected_grade(X[out]), pairs.query_id[out])
    bm25 = rk.evaluate_ranking(y[out], X.bm25[out], pairs.query_id[out])
    sel = rk.topk_disagreement(
        ranker.predict_proba(X[~out][:300]),
        pairs.query_id[~out][:300],
        10,
        np.random.default_rng(0),
    )

    assert 76 * 30 == len(pairs)
    assert not set(pairs.query_id[~out]) & set(held)
    assert 19 == len(held)
    assert 0.4 < bm25["ndcg@10"] < 0.7  # BM25 re-ranking its own top 30: a sanity band
    assert abs(learned["ndcg@10"] - bm25["ndcg@10"]) < 0.1
    assert 10 == len(set(pairs.query_id[~out].iloc[sel.positions]))  # one pick per query
