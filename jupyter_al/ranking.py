"""Ranking: (query, document) pairs graded on a relevance scale, or preferences between two.

An item is a *pair*: one query and one candidate document, with the id
``f"{query_id}::{doc_id}"`` (:func:`pair_id`). Pairs come from an explicit list, from a query's
candidate list, or from BM25's top ``n`` documents per query (:func:`make_pairs`). A label is
either a relevance *grade* from a :class:`GradeScale` (checked by :func:`check_grade`: a grade
outside the scale is a :class:`~jupyter_al.exceptions.LabelError` naming the item and the
allowed grades) or a :class:`Preference` between two candidates of one query.

The pieces, in the order a loop uses them::

    queries, docs, qrels      load_cisi(folder) (tests and benchmarks only), or your frames
    index = build_index(docs)                 BM25 (bm25s) + TF-IDF, fitted on the documents
    pairs = make_pairs(queries, docs, index=index)         pair_id, query_id, doc_id
    held_out = split_queries(pairs["query_id"], 0.25, seed)   by query, never by pair
    X = pair_features(pairs, queries, docs, index=index)      FEATURE_NAMES columns
    ranker = PointwiseRanker(scale).fit(X[labeled], grades)   cold start: needs 2 grades
    proba = ranker.predict_proba(X[pool])                     (n, n_grades)
    grade_uncertainty(proba, query_ids, batch_size, rng)      -> strategies.Selection
    topk_disagreement(proba, query_ids, batch_size, rng, k=10, ...)
    evaluate_ranking(grades, ranker.expected_grade(X_heldout), heldout_query_ids)

Decisions and why
-----------------
* **BM25 from bm25s** (the Lucene variant, ``k1=1.5, b=0.75``): a maintained, numpy-only
  library whose scores match the textbook formula (``tests/test_ranking.py`` checks one by
  hand). Every feature uses one tokenizer: scikit-learn's analyzer of the TF-IDF vectorizer
  (lower case, words of 2+ characters, English stop words removed), so "a query term" means
  the same thing in BM25, TF-IDF and the overlap features. bm25s is imported lazily (it
  costs ~0.6 s to import and ships no type information).
* **Features relative to the query, and few of them.** Raw scores and lengths differ
  between queries far more than between a query's candidates, and a ranker is judged inside
  each query. The features that carry over to unseen queries are BM25 divided by the
  query's best score and ``prf_cosine``, the similarity to the query's top three BM25
  documents (pseudo-relevance feedback): the model they recommend
  (:data:`PRF_FEATURE_NAMES`, see :class:`PointwiseRanker`) is the first that beat BM25
  alone on CISI. Every feature is computed from the query, the document and the collection
  only (never from the other pairs), so a pair's features do not depend on the pool.
* **Pointwise model: multinomial logistic regression over the grades** with balanced class
  weights, on standardised features (``log1p`` of the rank and the lengths first). An ordinal
  model from cumulative binary classifiers (Frank & Hall 2001) respects the order of the
  grades but its ``P(y > g)`` curves can cross, so its grade distributions need clipping and
  renormalising, and the strategies below read those distributions directly. With eight
  features the multinomial model is small, always gives a proper distribution, and the order
  comes back in the ranking score, the *expected grade* ``sum_g g * P(g)``. On a binary scale
  the two models are the same model.
* **Preferences are not used by the pointwise model** (a preference carries no grade). They
  are kept as labels, turned into :class:`Constraint` records (:func:`constraints_from_preferences`;
  a tie gives no constraint) and evaluated as :func:`pairwise_accuracy` of the ranker's scores
  on held-out queries. Graded pairs give constraints too (:func:`constraints_from_grades`), so
  both kinds of label are judged on one scale. A pairwise model trained on feature
  differences is the natural next step for preference labels.
* **grade_uncertainty** measures the *entropy* of the grade distribution by default (it reads
  every grade, not only the top two); ``measure="margin"`` and the ordinal-aware
  ``measure="variance"`` (variance of the grade) are there too. On a binary scale all three
  order the items the same way.
* **topk_disagreement** computes, exactly, each candidate's probability of being in its
  query's top ``k`` (:func:`top_k_probability`) when every pair's true grade is drawn from the
  model's grade distribution (labeled pairs at their known grade) and equal grades are ordered
  by expected grade. The score is ``2 p (1 - p)``: the probability that two independent draws
  disagree on whether the item is in the top ``k``. It is highest (0.5) for an item at
  ``p = 0.5``, i.e. an item whose label decides what crosses the cut-off, and zero for items
  surely in or surely out. No sampling and no committee to refit: a Poisson-binomial
  recursion per query, O(n_grades x m^2 x k) for a query with m pairs.
* **Spreading picks over queries, by diminishing returns**: a query's items are ranked by
  score, and its r-th item (r = 0, 1, ...) competes with ``score * query_discount**r``
  (default ``query_discount=0.5``); the batch takes the highest of these discounted scores
  (they are :attr:`Selection.scores`, so the batch is ranked best first). With comparable
  scores the picks go one per query before a second from any; a query whose items are much
  more wanted still gets several, and an item that scores 0 (nothing to learn) is never
  preferred to one that scores more, whatever its query. ``query_discount=1`` is the plain
  top scores; ``query_discount=0`` strict rounds (one item per query per round; inside the
  zero-scored rest, rounds and then raw scores order the items). Ties are broken by the
  ``rng``. (Strict rounds were tried first: they forced zero-score picks from queries with
  nothing to decide, see ``tests/test_ranking.py``.)
* **Metrics** (:func:`ndcg_at_k`, :func:`average_precision`, :func:`mrr`, ...) average over
  queries; a query with no relevant pair is *excluded* (its nDCG and AP are undefined),
  and the mean of no query is NaN. nDCG uses the grade itself as the gain (linear, as
  scikit-learn's ``ndcg_score``; ``gain="exponential"`` gives ``2**g - 1``); MAP and MRR use
  binary relevance, ``grade >= threshold`` (:attr:`GradeScale.relevant_from`). Tied scores
  are averaged over their orderings (scikit-learn's convention for nDCG, McSherry & Najork
  2008), so a constant scorer gets the random-order expectation for all three metrics. AP is
  computed over the ranked list given (re-ranking evaluation): relevant documents that are
  not among a query's pairs are not counted.
* **Held-out split by query** (:func:`split_queries`): every pair of a held-out query is held
  out, so the model is never scored on a query it has seen a pair of.
"""

from __future__ import annotations

import importlib
import itertools
import math
import operator
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from jupyter_al.exceptions import ConfigError, LabelError, PoolExhaustedError
from jupyter_al.strategies import Selection

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable, Sequence

    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "FEATURE_NAMES",
    "LEXICAL_FEATURE_NAMES",
    "PRF_FEATURE_NAMES",
    "Constraint",
    "GradeScale",
    "LexicalIndex",
    "PointwiseRanker",
    "Preference",
    "average_precision",
    "build_index",
    "check_grade",
    "check_grades",
    "constraints_from_grades",
    "constraints_from_preferences",
    "evaluate_ranking",
    "expected_grade",
    "grade_uncertainty",
    "load_cisi",
    "lookup_grades",
    "make_pairs",
    "mean_average_precision",
    "mrr",
    "ndcg_at_k",
    "pair_features",
    "pair_id",
    "pairwise_accuracy",
    "per_query_metrics",
    "split_queries",
    "top_k_probability",
    "topk_disagreement",
]

#: The columns of :func:`pair_features`, in order.
FEATURE_NAMES: tuple[str, ...] = (
    "bm25",
    "bm25_ratio",
    "bm25_rank",
    "tfidf_cosine",
    "query_coverage",
    "jaccard",
    "doc_length",
    "query_length",
    "prf_cosine",
)
#: The first eight columns: what :class:`PointwiseRanker` reads by default (its features
#: before ``prf_cosine`` was added; kept so that ``PointwiseRanker(scale)`` is the same model).
LEXICAL_FEATURE_NAMES: tuple[str, ...] = FEATURE_NAMES[:8]
#: The features of the recommended ranker, ``PointwiseRanker(scale, class_weight=None,
#: feature_names=PRF_FEATURE_NAMES)``: BM25 relative to the query's best score and the
#: pseudo-relevance-feedback cosine (see :class:`PointwiseRanker`).
PRF_FEATURE_NAMES: tuple[str, ...] = ("bm25_ratio", "prf_cosine")
#: How many of the query's top BM25 documents make the feedback centroid of ``prf_cosine``.
PRF_DOCS = 3
# Counts and ranks are heavy-tailed: the ranker takes log1p of these before scaling.
_LOG1P_COLUMNS = frozenset({"bm25_rank", "doc_length", "query_length"})
_SEP = "::"
# Rows of proba may drift from summing to 1 when kept as float32.
_PROBA_SUM_TOL = 1e-3

Winner = Literal["a", "b", "tie"]
Measure = Literal["entropy", "margin", "variance"]
Gain = Literal["linear", "exponential"]


# --------------------------------------------------------------------------------------------
# Grades and preferences
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GradeScale:
    """The relevance grades a pair can get, e.g. ``(0, 1, 2, 3)``.

    Parameters
    ----------
    grades : tuple of int
        At least two distinct non-negative integers in increasing order. The grade is the
        gain in nDCG, so 0 should mean "not relevant".
    names : tuple of str or None
        One display name per grade (the annotator may also answer with a name).
    relevant : int or None
        The smallest grade counted as relevant by MAP, MRR and pairwise views; default the
        second grade of the scale (see :attr:`relevant_from`).

    Raises
    ------
    ConfigError
        Grades not a tuple of increasing non-negative ints, names not one unique string per
        grade, or ``relevant`` not a grade above the lowest.

    Examples
    --------
    >>> scale = GradeScale((0, 1, 2, 3), ("bad", "fair", "good", "perfect"))
    >>> scale.relevant_from, scale.name_of(2)
    (1, 'good')
    >>> GradeScale((0, 2, 1))
    Traceback (most recent call last):
    ...
    jupyter_al.exceptions.ConfigError: grades must be strictly increasing, got (0, 2, 1)
    """

    grades: tuple[int, ...] = (0, 1, 2, 3)
    names: tuple[str, ...] | None = None
    relevant: int | None = None

    def __post_init__(self) -> None:
        """Check the grades, the names and the relevance threshold."""
        g = self.grades
        if not isinstance(g, tuple) or not all(_is_int(x) for x in g):
            raise ConfigError(f"grades must be a tuple of int, got {g!r}")
        if len(g) < 2:
            raise ConfigError(f"grades needs at least 2 values, got {g!r}")
        if any(b <= a for a, b in itertools.pairwise(g)):
            raise ConfigError(f"grades must be strictly increasing, got {g!r}")
        if g[0] < 0:
            raise ConfigError(f"grades must be >= 0 (a grade is an nDCG gain), got {g!r}")
        n = self.names
        if n is not None:
            if not isinstance(n, tuple) or not all(isinstance(x, str) and x.strip() for x in n):
                raise ConfigError(f"names must be a tuple of non-empty str, got {n!r}")
            if len(n) != len(g):
                raise ConfigError(
                    f"names must give one name per grade ({len(g)} for {g!r}), got {len(n)}: {n!r}"
                )
            if len(set(n)) != len(n):
                raise ConfigError(f"names must be unique, got {n!r}")
        r = self.relevant
        if r is not None and (not _is_int(r) or r not in g[1:]):
            raise ConfigError(
                f"relevant must be one of the grades above the lowest {g[1:]!r}, got {r!r}"
            )

    @property
    def n_grades(self) -> int:
        """Number of grades."""
        return len(self.grades)

    @property
    def relevant_from(self) -> int:
        """The smallest grade counted as relevant (``relevant``, or the second grade)."""
        return self.grades[1] if self.relevant is None else int(self.relevant)

    def name_of(self, grade: int) -> str:
        """Return the display name of ``grade`` (the number itself when there are no names)."""
        pos = self.grades.index(grade)
        return str(grade) if self.names is None else self.names[pos]

    def describe(self) -> str:
        """Return the allowed answers as one phrase, for messages."""
        allowed = ", ".join(str(x) for x in self.grades)
        if self.names is None:
            return allowed
        named = ", ".join(f"{x}={n!r}" for x, n in zip(self.grades, self.names, strict=True))
        return f"{allowed} ({named})"


def _is_int(x: object) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool | np.bool_)


def check_grade(value: Any, scale: GradeScale, item_id: Any = None) -> int:
    """Return ``value`` as a grade of ``scale``; a :class:`LabelError` otherwise.

    Accepted: an int of the scale, an integral float (``2.0``, as pandas stores them), the
    grade written as a string (``"2"``), or the grade's name when the scale has names.

    Parameters
    ----------
    value : object
        The annotator's answer.
    scale : GradeScale
    item_id : object, optional
        The pair's id, named in the message.

    Returns
    -------
    int

    Raises
    ------
    LabelError
        A value outside the scale (the message names the item, the allowed grades and the
        value received).

    Examples
    --------
    >>> scale = GradeScale((0, 1, 2, 3), ("bad", "fair", "good", "perfect"))
    >>> check_grade(2.0, scale), check_grade("good", scale)
    (2, 2)
    >>> check_grade(5, scale, item_id="q1::d3")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    jupyter_al.exceptions.LabelError: grade of item 'q1::d3' must be one of 0, 1, 2, 3
    (0='bad', 1='fair', 2='good', 3='perfect'), got 5
    """
    grade = _as_grade(value, scale)
    if grade is None:
        where = f" of item {item_id!r}" if item_id is not None else ""
        raise LabelError(f"grade{where} must be one of {scale.describe()}, got {value!r}")
    return grade


def _as_grade(value: Any, scale: GradeScale) -> int | None:
    """Return the grade ``value`` stands for, or None."""
    candidate: int | None = None
    integral_float = (
        isinstance(value, float | np.floating) and math.isfinite(value) and value == int(value)
    )
    if _is_int(value) or integral_float:
        candidate = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if scale.names is not None and text in scale.names:
            return scale.grades[scale.names.index(text)]
        if re.fullmatch(r"[+-]?\d+", text):
            candidate = int(text)
    return candidate if candidate is not None and candidate in scale.grades else None


def check_grades(
    values: ArrayLike | Sequence[Any],
    scale: GradeScale,
    item_ids: Sequence[Any] | None = None,
    *,
    argument: str = "grades",
) -> NDArray[np.int64]:
    """Check many grades at once (see :func:`check_grade`); return them as int64.

    Parameters
    ----------
    values : array-like of shape (n,)
    scale : GradeScale
    item_ids : sequence of shape (n,), optional
        The items' ids for the message (positions are named otherwise).
    argument : str
        The argument's name in the message.

    Returns
    -------
    ndarray of shape (n,), dtype int64

    Raises
    ------
    LabelError
        Some value is outside the scale: the message names the first such item, the allowed
        grades, and how many values are outside.

    Examples
    --------
    >>> check_grades([0, 1, 1], GradeScale((0, 1))).tolist()
    [0, 1, 1]
    >>> check_grades([0, 4, 7], GradeScale((0, 1)), ["a", "b", "c"])
    Traceback (most recent call last):
    ...
    jupyter_al.exceptions.LabelError: grades: 2 values outside the scale; grade of item 'b' must be one of 0, 1, got 4
    """  # noqa: E501 - a doctest's expected output is one line
    arr = np.asarray(values, dtype=object).ravel()
    if item_ids is not None and len(item_ids) != arr.shape[0]:
        raise ConfigError(
            f"item_ids must have one id per value ({arr.shape[0]}), got {len(item_ids)}"
        )
    out = np.empty(arr.shape[0], dtype=np.int64)
    bad: list[int] = []
    for pos, value in enumerate(arr.tolist()):
        grade = _as_grade(value, scale)
        if grade is None:
            bad.append(pos)
        else:
            out[pos] = grade
    if bad:
        first = bad[0]
        item = item_ids[first] if item_ids is not None else f"at position {first}"
        what = f"item {item!r}" if item_ids is not None else f"the value {item}"
        raise LabelError(
            f"{argument}: {len(bad)} value{'s' if len(bad) > 1 else ''} outside the scale; "
            f"grade of {what} must be one of {scale.describe()}, got {arr[first]!r}"
        )
    return out


def pair_id(query_id: Hashable, doc_id: Hashable) -> str:
    """Return the id of the pair ``(query_id, doc_id)``: ``f"{query_id}::{doc_id}"``.

    Examples
    --------
    >>> pair_id(12, 408)
    '12::408'
    """
    return f"{query_id}{_SEP}{doc_id}"


@dataclass(frozen=True, slots=True)
class Preference:
    """An annotator's preference between two candidates of one query.

    Parameters
    ----------
    query_id : hashable
    doc_a, doc_b : hashable
        Two different documents among the query's candidates.
    winner : {"a", "b", "tie"}
        Which one is more relevant; ``"tie"`` when neither is.

    Raises
    ------
    LabelError
        A winner other than "a", "b" or "tie", or ``doc_a == doc_b``.

    Examples
    --------
    >>> p = Preference(3, 10, 42, "b")
    >>> p.pair_a, p.pair_b
    ('3::10', '3::42')
    >>> Preference(3, 10, 42, "left")
    Traceback (most recent call last):
    ...
    jupyter_al.exceptions.LabelError: winner of the preference 3: 10 vs 42 must be one of 'a', 'b', 'tie', got 'left'
    """  # noqa: E501 - a doctest's expected output is one line

    query_id: Hashable
    doc_a: Hashable
    doc_b: Hashable
    winner: Winner

    def __post_init__(self) -> None:
        """Check the winner and that the two documents differ."""
        what = f"the preference {self.query_id!r}: {self.doc_a!r} vs {self.doc_b!r}"
        if self.winner not in ("a", "b", "tie"):
            raise LabelError(
                f"winner of {what} must be one of 'a', 'b', 'tie', got {self.winner!r}"
            )
        if self.doc_a == self.doc_b:
            raise LabelError(f"{what} compares a document with itself: expected two documents")

    @property
    def pair_a(self) -> str:
        """The pair id of ``doc_a``."""
        return pair_id(self.query_id, self.doc_a)

    @property
    def pair_b(self) -> str:
        """The pair id of ``doc_b``."""
        return pair_id(self.query_id, self.doc_b)


@dataclass(frozen=True, slots=True)
class Constraint:
    """One pairwise ordering constraint: within ``query_id``, ``better`` outranks ``worse``.

    Parameters
    ----------
    query_id : hashable
    better, worse : str
        Pair ids.
    """

    query_id: Hashable
    better: str
    worse: str


def constraints_from_preferences(
    preferences: Iterable[Preference], pair_ids: Iterable[str] | None = None
) -> tuple[Constraint, ...]:
    """Turn preferences into ordering constraints; a tie gives none.

    Parameters
    ----------
    preferences : iterable of Preference
    pair_ids : iterable of str, optional
        The known pairs; when given, a preference about a pair outside them raises.

    Returns
    -------
    tuple of Constraint
        In the order of the preferences, ties left out.

    Raises
    ------
    LabelError
        A preference names a pair that is not among ``pair_ids``.

    Examples
    --------
    >>> constraints_from_preferences([Preference(1, 7, 9, "b"), Preference(1, 7, 8, "tie")])
    (Constraint(query_id=1, better='1::9', worse='1::7'),)
    """
    known = None if pair_ids is None else set(pair_ids)
    out: list[Constraint] = []
    for pref in preferences:
        if not isinstance(pref, Preference):
            raise ConfigError(
                f"preferences must hold Preference records, got {type(pref).__name__}: {pref!r}"
            )
        if known is not None:
            missing = [p for p in (pref.pair_a, pref.pair_b) if p not in known]
            if missing:
                raise LabelError(
                    f"preference on query {pref.query_id!r} names pairs that are not among "
                    f"the candidates: {missing!r}"
                )
        if pref.winner == "a":
            out.append(Constraint(pref.query_id, pref.pair_a, pref.pair_b))
        elif pref.winner == "b":
            out.append(Constraint(pref.query_id, pref.pair_b, pref.pair_a))
    return tuple(out)


def constraints_from_grades(
    pair_ids: Sequence[str], query_ids: Sequence[Hashable], grades: ArrayLike
) -> tuple[Constraint, ...]:
    """Every within-query pair of pairs whose grades differ, as constraints.

    Parameters
    ----------
    pair_ids : sequence of str, shape (n,)
    query_ids : sequence, shape (n,)
    grades : array-like of shape (n,)

    Returns
    -------
    tuple of Constraint
        ``m_q * (m_q - 1) / 2`` at most per query of ``m_q`` pairs (equal grades give none).

    Examples
    --------
    >>> constraints_from_grades(["q::a", "q::b", "q::c"], ["q", "q", "q"], [2, 0, 2])
    (Constraint(query_id='q', better='q::a', worse='q::b'), Constraint(query_id='q', better='q::c', worse='q::b'))
    """  # noqa: E501 - a doctest's expected output is one line
    g = np.asarray(grades, dtype=np.float64)
    ids = list(pair_ids)
    if not (len(ids) == len(query_ids) == g.shape[0]):
        raise ConfigError(
            "pair_ids, query_ids and grades must have one entry per pair, got lengths "
            f"{len(ids)}, {len(query_ids)}, {g.shape[0]}"
        )
    codes, uniques = pd.factorize(np.asarray(query_ids, dtype=object))
    out: list[Constraint] = []
    for code, rows in enumerate(_groups(codes, len(uniques))):
        members = rows.tolist()
        out.extend(
            Constraint(uniques[code], ids[i], ids[j])
            for i in members
            for j in members
            if g[i] > g[j]
        )
    return tuple(out)


def pairwise_accuracy(
    constraints: Iterable[Constraint], pair_ids: Sequence[str], scores: ArrayLike
) -> float:
    """Fraction of constraints the scores order correctly (a tie in score counts one half).

    Parameters
    ----------
    constraints : iterable of Constraint
    pair_ids : sequence of str, shape (n,)
        The pairs ``scores`` are about.
    scores : array-like of shape (n,)
        Higher = ranked first.

    Returns
    -------
    float
        NaN when there is no constraint.

    Raises
    ------
    LabelError
        A constraint names a pair that is not among ``pair_ids``.

    Examples
    --------
    >>> cons = constraints_from_preferences([Preference(1, "a", "b", "a"),
    ...                                      Preference(1, "b", "c", "a")])
    >>> pairwise_accuracy(cons, ["1::a", "1::b", "1::c"], [0.9, 0.2, 0.2])
    0.75
    """
    s = np.asarray(scores, dtype=np.float64)
    position = {p: i for i, p in enumerate(pair_ids)}
    if len(position) != s.shape[0]:
        raise ConfigError(
            f"pair_ids must be unique and match scores ({s.shape[0]}), got {len(pair_ids)} ids"
        )
    total = 0.0
    count = 0
    for con in constraints:
        i, j = position.get(con.better), position.get(con.worse)
        if i is None or j is None:
            raise LabelError(
                f"constraint on query {con.query_id!r} names pairs without a score: "
                f"{[p for p in (con.better, con.worse) if p not in position]!r}"
            )
        total += 1.0 if s[i] > s[j] else 0.5 if s[i] == s[j] else 0.0
        count += 1
    return total / count if count else math.nan


# --------------------------------------------------------------------------------------------
# Data: the CISI loader, grades of pairs, the split by query
# --------------------------------------------------------------------------------------------

_MARKER = re.compile(r"^\.([A-Z])(?:\s+(.*))?$")


def _parse_smart(path: Path) -> list[dict[str, list[list[str]]]]:
    """Return the records of a SMART file: letter -> blocks (``.A`` may repeat)."""
    records: list[dict[str, list[list[str]]]] = []
    seen: set[int] = set()
    block: list[str] | None = None
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        marker = _MARKER.match(line)
        if marker is None:
            if block is not None:
                block.append(line)
            elif line.strip():
                raise ConfigError(
                    f"{path.name} line {lineno}: expected a field marker such as '.I 1' or "
                    f"'.W' before text, got {line!r}"
                )
            continue
        tag, rest = marker.group(1), (marker.group(2) or "").strip()
        if tag == "I":
            if not re.fullmatch(r"\d+", rest):
                raise ConfigError(f"{path.name} line {lineno}: expected '.I <id>', got {line!r}")
            if int(rest) in seen:
                raise ConfigError(f"{path.name} line {lineno}: duplicate record id {int(rest)}")
            seen.add(int(rest))
            records.append({"I": [[rest]]})
            block = None
            continue
        if not records:
            raise ConfigError(f"{path.name} line {lineno}: field .{tag} before the first .I")
        block = [rest] if rest else []
        records[-1].setdefault(tag, []).append(block)
    return records


def _field(record: Mapping[str, list[list[str]]], tag: str, sep: str = " ") -> str:
    blocks = [" ".join(" ".join(lines).split()) for lines in record.get(tag, [])]
    return sep.join(b for b in blocks if b)


def _joined(title: str, body: str) -> str:
    return f"{title}\n{body}" if title and body else title or body


def load_cisi(folder: str | os.PathLike[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read the CISI test collection (SMART format): queries, documents and relevance.

    ``CISI.ALL`` holds documents (``.I`` id, ``.T`` title, ``.A`` authors (repeatable),
    ``.W`` abstract, ``.X`` citations, which are not read), ``CISI.QRY`` the queries (``.W``,
    some with ``.T``/``.A``/``.B``) and ``CISI.REL`` lines ``query_id doc_id 0 0.0``. The
    judgements are binary: a listed pair has grade 1; every other pair is grade 0
    (:func:`lookup_grades`). Text fields have their whitespace collapsed; ``text`` and
    ``query`` are the title and the body, one line each.

    The collection states no licence: use it in tests and benchmarks, never ship it.

    Parameters
    ----------
    folder : path
        The folder holding ``CISI.ALL``, ``CISI.QRY`` and ``CISI.REL``.

    Returns
    -------
    queries : DataFrame
        Columns ``query_id`` (int), ``title``, ``query``.
    docs : DataFrame
        Columns ``doc_id`` (int), ``title``, ``authors`` ("; "-separated), ``abstract``,
        ``text``.
    qrels : DataFrame
        Columns ``query_id``, ``doc_id``, ``grade`` (1), one row per judged relevant pair.

    Raises
    ------
    ConfigError
        A missing file, a malformed line (named with its file and line number), or a
        judgement about an unknown query or document.

    Examples
    --------
    >>> load_cisi("/nonexistent")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jupyter_al.exceptions.ConfigError: folder must hold CISI.ALL, CISI.QRY and CISI.REL; ...
    """
    root = Path(folder)
    names = ("CISI.ALL", "CISI.QRY", "CISI.REL")
    missing = [n for n in names if not (root / n).is_file()]
    if missing:
        raise ConfigError(
            f"folder must hold CISI.ALL, CISI.QRY and CISI.REL; {root} lacks {', '.join(missing)}"
        )
    doc_rows = []
    for rec in _parse_smart(root / "CISI.ALL"):
        title, abstract = _field(rec, "T"), _field(rec, "W")
        doc_rows.append(
            {
                "doc_id": int(rec["I"][0][0]),
                "title": title,
                "authors": _field(rec, "A", "; "),
                "abstract": abstract,
                "text": _joined(title, abstract),
            }
        )
    query_rows = []
    for rec in _parse_smart(root / "CISI.QRY"):
        title = _field(rec, "T")
        query_rows.append(
            {
                "query_id": int(rec["I"][0][0]),
                "title": title,
                "query": _joined(title, _field(rec, "W")),
            }
        )
    docs = pd.DataFrame(doc_rows, columns=["doc_id", "title", "authors", "abstract", "text"])
    queries = pd.DataFrame(query_rows, columns=["query_id", "title", "query"])
    qrels = _read_rel(root / "CISI.REL", set(queries["query_id"]), set(docs["doc_id"]))
    return queries, docs, qrels


def _read_rel(path: Path, query_ids: set[int], doc_ids: set[int]) -> pd.DataFrame:
    pairs: dict[tuple[int, int], None] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
            raise ConfigError(
                f"{path.name} line {lineno}: expected 'query_id doc_id ...', got {line!r}"
            )
        q, d = int(parts[0]), int(parts[1])
        if q not in query_ids or d not in doc_ids:
            raise ConfigError(
                f"{path.name} line {lineno}: judges query {q} and document {d}, but "
                f"{'the query' if q not in query_ids else 'the document'} is not in the collection"
            )
        pairs[(q, d)] = None
    rows = [(q, d, 1) for q, d in pairs]
    return pd.DataFrame(rows, columns=["query_id", "doc_id", "grade"])


def lookup_grades(
    pairs: pd.DataFrame, qrels: pd.DataFrame, *, default: int = 0
) -> NDArray[np.int64]:
    """Return the judged grade of each pair; unjudged pairs get ``default``.

    Parameters
    ----------
    pairs : DataFrame
        Columns ``query_id`` and ``doc_id`` (as :func:`make_pairs` returns).
    qrels : DataFrame
        Columns ``query_id``, ``doc_id``, ``grade``.
    default : int
        The grade of a pair that ``qrels`` does not list (0: "unjudged means not relevant",
        the convention of the classic test collections).

    Returns
    -------
    ndarray of shape (len(pairs),), dtype int64

    Examples
    --------
    >>> pairs = pd.DataFrame({"query_id": [1, 1], "doc_id": [5, 6]})
    >>> qrels = pd.DataFrame({"query_id": [1], "doc_id": [6], "grade": [1]})
    >>> lookup_grades(pairs, qrels).tolist()
    [0, 1]
    """
    _require_columns(pairs, ("query_id", "doc_id"), "pairs")
    _require_columns(qrels, ("query_id", "doc_id", "grade"), "qrels")
    table = {
        (q, d): int(g)
        for q, d, g in zip(qrels["query_id"], qrels["doc_id"], qrels["grade"], strict=True)
    }
    return np.asarray(
        [
            table.get((q, d), default)
            for q, d in zip(pairs["query_id"], pairs["doc_id"], strict=True)
        ],
        dtype=np.int64,
    )


def split_queries(
    query_ids: Iterable[Hashable], fraction: float = 0.25, seed: int = 0
) -> tuple[Hashable, ...]:
    """Choose the held-out queries: every pair of a held-out query is held out.

    The distinct ids are put in a fixed order (sorted by ``repr``, so the input's order does
    not matter) and ``round(fraction * n)`` of them (at least 1, at most ``n - 1``) are drawn
    with ``numpy.random.default_rng(seed)``.

    Parameters
    ----------
    query_ids : iterable of hashable
        The query id of every pair (repeats are fine) or of every query.
    fraction : float
        Share of the queries to hold out, strictly between 0 and 1.
    seed : int

    Returns
    -------
    tuple
        The held-out query ids, in the fixed order.

    Raises
    ------
    ConfigError
        ``fraction`` outside (0, 1), or fewer than 2 distinct queries.

    Examples
    --------
    >>> held = split_queries([1, 1, 2, 2, 3, 4], fraction=0.5, seed=0)
    >>> len(held), set(held) <= {1, 2, 3, 4}
    (2, True)
    """
    if isinstance(fraction, bool) or not isinstance(fraction, float | int) or not 0 < fraction < 1:
        raise ConfigError(f"fraction must be a number strictly between 0 and 1, got {fraction!r}")
    # numpy scalars as Python ones, so an array and a Series of the same ids split alike
    distinct = sorted({q.item() if isinstance(q, np.generic) else q for q in query_ids}, key=repr)
    n = len(distinct)
    if n < 2:
        raise ConfigError(f"query_ids needs at least 2 distinct queries to split, got {n}")
    n_held = min(max(round(fraction * n), 1), n - 1)
    chosen = np.sort(np.random.default_rng(seed).choice(n, size=n_held, replace=False))
    return tuple(distinct[i] for i in chosen.tolist())


# --------------------------------------------------------------------------------------------
# The lexical index and the pairs table
# --------------------------------------------------------------------------------------------


def _require_columns(frame: Any, columns: Sequence[str], argument: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(
            f"{argument} must be a DataFrame with columns {list(columns)}, "
            f"got {type(frame).__name__}"
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ConfigError(
            f"{argument} must have columns {list(columns)}; missing {missing}, "
            f"got columns {list(map(str, frame.columns))}"
        )


def _check_ids(ids: pd.Series[Any], argument: str) -> list[Hashable]:
    values = ids.tolist()
    dupes = (
        sorted({repr(v) for v in values if values.count(v) > 1}) if ids.duplicated().any() else []
    )
    if dupes:
        raise ConfigError(f"{argument} must be unique, got duplicates {', '.join(dupes[:5])}")
    bad = [v for v in values if _SEP in str(v)]
    if bad:
        raise ConfigError(
            f"{argument} must not contain {_SEP!r} (it separates the parts of a pair id), "
            f"got {bad[:5]!r}"
        )
    return values


def _texts(frame: pd.DataFrame, column: str, argument: str) -> list[str]:
    values = frame[column].tolist()
    bad = [i for i, v in enumerate(values) if not isinstance(v, str)]
    if bad:
        raise ConfigError(
            f"{argument}[{column!r}] must hold text, got {type(values[bad[0]]).__name__} "
            f"{values[bad[0]]!r} at row {bad[0]} ({len(bad)} non-text value(s))"
        )
    return values


def _bm25s() -> Any:
    # Lazy: bm25s takes ~0.6 s to import and ships no type information (no py.typed), so it
    # is typed as Any here rather than through a mypy override.
    return importlib.import_module("bm25s")


@dataclass(frozen=True, slots=True)
class LexicalIndex:
    """BM25 and TF-IDF over a document collection, with one shared tokenizer.

    Build it with :func:`build_index`; :func:`make_pairs` and :func:`pair_features` build one
    when none is given, so pass it to both to fit once.

    Parameters
    ----------
    doc_ids : tuple
        The documents' ids, in the collection's order (positions below refer to it).
    positions : mapping
        doc id -> position.
    vectorizer : TfidfVectorizer
        Fitted on the documents; its analyzer is the tokenizer of every feature.
    doc_tfidf : sparse matrix of shape (n_docs, n_terms)
        The documents' TF-IDF rows (L2-normalised).
    bm25 : bm25s.BM25
        The BM25 index of the analysed documents.
    doc_terms : tuple of frozenset of str
        Each document's distinct terms.
    doc_lengths : ndarray of shape (n_docs,)
        Each document's number of terms (repeats counted).
    """

    doc_ids: tuple[Hashable, ...]
    positions: Mapping[Hashable, int]
    vectorizer: Any
    doc_tfidf: Any
    bm25: Any
    doc_terms: tuple[frozenset[str], ...]
    doc_lengths: NDArray[np.float64]

    @property
    def n_docs(self) -> int:
        """Number of documents."""
        return len(self.doc_ids)

    def analyze(self, text: str) -> list[str]:
        """Return the terms of ``text`` (lower case, 2+ characters, no English stop words)."""
        analyzer: Callable[[str], list[str]] = self.vectorizer.build_analyzer()
        return analyzer(text)

    def bm25_scores(self, terms: Sequence[str]) -> NDArray[np.float64]:
        """Return the BM25 score of every document for a query's terms (repeats count).

        Examples
        --------
        >>> docs = pd.DataFrame({"doc_id": [1, 2], "text": ["cats and dogs", "stock markets"]})
        >>> index = build_index(docs)
        >>> (index.bm25_scores(index.analyze("dogs")) > 0).tolist()
        [True, False]
        """
        ids = self.bm25.get_tokens_ids(list(terms))
        if not ids:  # no term of the query occurs in the collection
            return np.zeros(self.n_docs, dtype=np.float64)
        return np.asarray(self.bm25.get_scores_from_ids(ids), dtype=np.float64)


def build_index(docs: pd.DataFrame, *, k1: float = 1.5, b: float = 0.75) -> LexicalIndex:
    """Fit TF-IDF (sublinear tf, English stop words) and BM25 (Lucene variant) on ``docs``.

    Parameters
    ----------
    docs : DataFrame
        Columns ``doc_id`` (unique) and ``text``.
    k1, b : float
        BM25's term-frequency saturation and length normalisation.

    Returns
    -------
    LexicalIndex

    Raises
    ------
    ConfigError
        Missing columns, duplicate or malformed ids, non-text values, an empty collection,
        or a collection with no term at all.

    Examples
    --------
    >>> docs = pd.DataFrame({"doc_id": ["d1", "d2"], "text": ["Library catalogues", "Indexing"]})
    >>> build_index(docs).doc_terms[0] == frozenset({"library", "catalogues"})
    True
    """
    _require_columns(docs, ("doc_id", "text"), "docs")
    if len(docs) == 0:
        raise ConfigError("docs must hold at least one document, got an empty frame")
    ids = _check_ids(docs["doc_id"], "docs['doc_id']")
    texts = _texts(docs, "text", "docs")
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, dtype=np.float64)
    try:
        doc_tfidf = vectorizer.fit_transform(texts).tocsr()
    except ValueError as err:  # sklearn: "empty vocabulary; perhaps the documents only..."
        raise ConfigError(f"docs['text'] holds no indexable term: {err}") from err
    analyzer = vectorizer.build_analyzer()
    tokens = [analyzer(t) for t in texts]
    bm25 = _bm25s().BM25(k1=k1, b=b, method="lucene", dtype="float64")
    bm25.index(tokens, show_progress=False)
    return LexicalIndex(
        doc_ids=tuple(ids),
        positions={d: i for i, d in enumerate(ids)},
        vectorizer=vectorizer,
        doc_tfidf=doc_tfidf,
        bm25=bm25,
        doc_terms=tuple(frozenset(t) for t in tokens),
        doc_lengths=np.asarray([len(t) for t in tokens], dtype=np.float64),
    )


def make_pairs(
    queries: pd.DataFrame,
    docs: pd.DataFrame,
    candidates: Mapping[Hashable, Sequence[Hashable]] | pd.DataFrame | None = None,
    *,
    n_candidates: int = 30,
    index: LexicalIndex | None = None,
) -> pd.DataFrame:
    """Build the pairs table: one row per (query, candidate document).

    Parameters
    ----------
    queries : DataFrame
        Columns ``query_id`` (unique) and ``query``.
    docs : DataFrame
        Columns ``doc_id`` (unique) and ``text``.
    candidates : mapping, DataFrame or None
        A mapping ``query_id -> [doc_id, ...]`` (a query with its candidate list), a frame
        with columns ``query_id`` and ``doc_id`` (explicit pairs), or None: BM25's top
        ``n_candidates`` documents per query with a positive score (equal scores keep the
        collection's order).
    n_candidates : int
        Candidates per query when ``candidates`` is None.
    index : LexicalIndex, optional
        Built from ``docs`` when not given (only used when ``candidates`` is None).

    Returns
    -------
    DataFrame
        Columns ``pair_id`` (``f"{query_id}::{doc_id}"``), ``query_id``, ``doc_id``; in the
        order of ``queries``, then of the candidate list (or BM25 rank).

    Raises
    ------
    ConfigError
        Missing columns, ids that are duplicated or contain ``"::"``, candidates naming an
        unknown query or document, or a pair listed twice.

    Examples
    --------
    >>> queries = pd.DataFrame({"query_id": [1], "query": ["library catalogues"]})
    >>> docs = pd.DataFrame({"doc_id": [10, 11, 12],
    ...                      "text": ["catalogues of a library", "fish", "library hours"]})
    >>> make_pairs(queries, docs)["pair_id"].tolist()
    ['1::10', '1::12']
    >>> make_pairs(queries, docs, {1: [11, 10]})["pair_id"].tolist()
    ['1::11', '1::10']
    """
    _require_columns(queries, ("query_id", "query"), "queries")
    _require_columns(docs, ("doc_id", "text"), "docs")
    query_ids = _check_ids(queries["query_id"], "queries['query_id']")
    doc_ids = _check_ids(docs["doc_id"], "docs['doc_id']")
    rows: list[tuple[Hashable, Hashable]] = []
    if candidates is None:
        if isinstance(n_candidates, bool) or not isinstance(n_candidates, int) or n_candidates < 1:
            raise ConfigError(f"n_candidates must be an integer >= 1, got {n_candidates!r}")
        idx = index if index is not None else build_index(docs)
        _check_index(idx, doc_ids)
        texts = _texts(queries, "query", "queries")
        for qid, text in zip(query_ids, texts, strict=True):
            scores = idx.bm25_scores(idx.analyze(text))
            order = np.argsort(-scores, kind="stable")[:n_candidates]
            rows.extend((qid, idx.doc_ids[p]) for p in order.tolist() if scores[p] > 0)
    else:
        rows = _candidate_rows(candidates, query_ids, doc_ids)
    frame = pd.DataFrame(rows, columns=["query_id", "doc_id"])
    frame.insert(0, "pair_id", [pair_id(q, d) for q, d in rows])
    return frame


def _check_index(index: LexicalIndex, doc_ids: list[Hashable]) -> None:
    if list(index.doc_ids) != doc_ids:
        raise ConfigError(
            f"index must be built from these docs (same ids, same order): it has "
            f"{index.n_docs} documents, docs has {len(doc_ids)}"
        )


def _candidate_rows(
    candidates: Mapping[Hashable, Sequence[Hashable]] | pd.DataFrame,
    query_ids: list[Hashable],
    doc_ids: list[Hashable],
) -> list[tuple[Hashable, Hashable]]:
    if isinstance(candidates, pd.DataFrame):
        _require_columns(candidates, ("query_id", "doc_id"), "candidates")
        listed = list(
            zip(candidates["query_id"].tolist(), candidates["doc_id"].tolist(), strict=True)
        )
        order = {q: i for i, q in enumerate(query_ids)}
        known_q = [r for r in listed if r[0] in order]
        rows = sorted(known_q, key=lambda r: order[r[0]])  # stable: list order within a query
        rows += [r for r in listed if r[0] not in order]
    elif isinstance(candidates, Mapping):
        rows = []
        for qid, docs_of in candidates.items():
            if isinstance(docs_of, str) or not hasattr(docs_of, "__iter__"):
                raise ConfigError(f"candidates[{qid!r}] must be a list of doc ids, got {docs_of!r}")
            rows.extend((qid, d) for d in docs_of)
        order = {q: i for i, q in enumerate(query_ids)}
        rows.sort(key=lambda r: order.get(r[0], len(order)))
    else:
        raise ConfigError(
            "candidates must be a mapping query_id -> doc ids, a DataFrame with columns "
            f"['query_id', 'doc_id'], or None, got {type(candidates).__name__}"
        )
    known_queries, known_docs = set(query_ids), set(doc_ids)
    unknown_q = sorted({repr(q) for q, _ in rows if q not in known_queries})
    if unknown_q:
        raise ConfigError(f"candidates name queries not in queries: {', '.join(unknown_q[:5])}")
    unknown_d = sorted({repr(d) for _, d in rows if d not in known_docs})
    if unknown_d:
        raise ConfigError(f"candidates name documents not in docs: {', '.join(unknown_d[:5])}")
    seen: set[tuple[Hashable, Hashable]] = set()
    twice = []
    for row in rows:
        if row in seen:
            twice.append(pair_id(*row))
        seen.add(row)
    if twice:
        raise ConfigError(f"candidates list these pairs more than once: {twice[:5]!r}")
    return rows


# --------------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------------


def pair_features(
    pairs: pd.DataFrame,
    queries: pd.DataFrame,
    docs: pd.DataFrame,
    *,
    index: LexicalIndex | None = None,
    prf_docs: int = PRF_DOCS,
) -> pd.DataFrame:
    """Query-document features of every pair (deterministic; see :data:`FEATURE_NAMES`).

    ============== =========================================================================
    column         value
    ============== =========================================================================
    bm25           BM25 score of the document for the query (fitted on ``docs``)
    bm25_ratio     ``bm25`` divided by the query's best BM25 score in the collection (0..1:
                   comparable across queries, where raw BM25 scales differ)
    bm25_rank      1 + number of documents of the collection with a higher BM25 score
                   (equal scores share a rank; independent of the other pairs)
    tfidf_cosine   cosine of the query's and the document's TF-IDF vectors (fitted on docs)
    query_coverage distinct query terms found in the document / distinct query terms
    jaccard        ``|Q & D| / |Q | D|`` of the distinct terms
    doc_length     terms in the document (repeats counted)
    query_length   terms in the query (repeats counted)
    prf_cosine     cosine of the document's TF-IDF vector and the centroid of the query's
                   top ``prf_docs`` BM25 documents of the collection (pseudo-relevance
                   feedback, as in Rocchio's method; 0 when no document scores above 0)
    ============== =========================================================================

    Every column is a function of the query, the document and the collection only, never of
    the other pairs. ``prf_cosine`` brings what BM25 lacks: a relevant document shares
    vocabulary with the query's best matches even where it misses the query's own words (the
    cluster hypothesis; Xu & Croft 1996 for local feedback). On CISI it is the one added
    feature that made a learned ranker beat BM25 alone (see :class:`PointwiseRanker`).

    Parameters
    ----------
    pairs : DataFrame
        Columns ``query_id`` and ``doc_id`` (as :func:`make_pairs` returns).
    queries : DataFrame
        Columns ``query_id`` and ``query``.
    docs : DataFrame
        Columns ``doc_id`` and ``text``.
    index : LexicalIndex, optional
        Built from ``docs`` when not given.
    prf_docs : int
        The size of the feedback set of ``prf_cosine`` (3 was best of 3, 5, 8 on CISI).

    Returns
    -------
    DataFrame of shape (len(pairs), len(FEATURE_NAMES))
        float64 columns :data:`FEATURE_NAMES`, with the index of ``pairs``.

    Raises
    ------
    ConfigError
        Missing columns, or a pair naming an unknown query or document.

    Examples
    --------
    >>> queries = pd.DataFrame({"query_id": [1], "query": ["library catalogues"]})
    >>> docs = pd.DataFrame({"doc_id": [10, 11], "text": ["catalogues of a library", "fish"]})
    >>> X = pair_features(make_pairs(queries, docs, {1: [10, 11]}), queries, docs)
    >>> X[["bm25_rank", "query_coverage", "jaccard"]].to_numpy().tolist()
    [[1.0, 1.0, 1.0], [2.0, 0.0, 0.0]]
    """
    _require_columns(pairs, ("query_id", "doc_id"), "pairs")
    _require_columns(queries, ("query_id", "query"), "queries")
    _require_columns(docs, ("doc_id", "text"), "docs")
    if isinstance(prf_docs, bool) or not isinstance(prf_docs, int) or prf_docs < 1:
        raise ConfigError(f"prf_docs must be an integer >= 1, got {prf_docs!r}")
    query_ids = _check_ids(queries["query_id"], "queries['query_id']")
    doc_ids = _check_ids(docs["doc_id"], "docs['doc_id']")
    idx = index if index is not None else build_index(docs)
    _check_index(idx, doc_ids)
    query_text = dict(zip(query_ids, _texts(queries, "query", "queries"), strict=True))
    pair_queries = pairs["query_id"].tolist()
    unknown_q = sorted({repr(q) for q in pair_queries if q not in query_text})
    if unknown_q:
        raise ConfigError(f"pairs name queries not in queries: {', '.join(unknown_q[:5])}")
    pair_docs = pairs["doc_id"].tolist()
    unknown_d = sorted({repr(d) for d in pair_docs if d not in idx.positions})
    if unknown_d:
        raise ConfigError(f"pairs name documents not in docs: {', '.join(unknown_d[:5])}")
    doc_pos = np.asarray([idx.positions[d] for d in pair_docs], dtype=np.intp)
    out = np.zeros((len(pairs), len(FEATURE_NAMES)), dtype=np.float64)
    col = {name: j for j, name in enumerate(FEATURE_NAMES)}
    codes, uniques = pd.factorize(np.asarray(pair_queries, dtype=object))
    for code, rows in enumerate(_groups(codes, len(uniques))):
        text = query_text[uniques[code]]
        terms = idx.analyze(text)
        qset = frozenset(terms)
        pos = doc_pos[rows]
        scores = idx.bm25_scores(terms)
        best = float(scores.max())
        desc = -np.sort(scores)[::-1]  # ascending negated scores, for searchsorted
        s = scores[pos]
        out[rows, col["bm25"]] = s
        out[rows, col["bm25_ratio"]] = s / best if best > 0 else 0.0
        out[rows, col["bm25_rank"]] = np.searchsorted(desc, -s, side="left") + 1
        qvec = idx.vectorizer.transform([text])
        out[rows, col["tfidf_cosine"]] = np.asarray((idx.doc_tfidf[pos] @ qvec.T).todense()).ravel()
        shared = np.asarray([len(qset & idx.doc_terms[p]) for p in pos.tolist()], dtype=np.float64)
        union = np.asarray([len(qset | idx.doc_terms[p]) for p in pos.tolist()], dtype=np.float64)
        out[rows, col["query_coverage"]] = shared / len(qset) if qset else 0.0
        out[rows, col["jaccard"]] = np.divide(
            shared, union, out=np.zeros_like(shared), where=union > 0
        )
        out[rows, col["doc_length"]] = idx.doc_lengths[pos]
        out[rows, col["query_length"]] = len(terms)
        out[rows, col["prf_cosine"]] = _prf_cosine(idx, scores, pos, prf_docs)
    return pd.DataFrame(out, columns=list(FEATURE_NAMES), index=pairs.index)


def _prf_cosine(
    index: LexicalIndex, scores: NDArray[np.float64], pos: NDArray[np.intp], n_docs: int
) -> NDArray[np.float64]:
    """Cosine of documents ``pos`` with the centroid of the top ``n_docs`` BM25 documents."""
    top = np.argsort(-scores, kind="stable")[:n_docs]  # equal scores: collection order
    top = top[scores[top] > 0]
    if top.size == 0:
        return np.zeros(pos.shape[0], dtype=np.float64)
    centroid = np.asarray(index.doc_tfidf[top].mean(axis=0), dtype=np.float64).ravel()
    norm = float(np.linalg.norm(centroid))
    if norm == 0:
        return np.zeros(pos.shape[0], dtype=np.float64)
    return np.asarray(index.doc_tfidf[pos] @ (centroid / norm), dtype=np.float64).ravel()


def _groups(codes: NDArray[np.intp], n_groups: int) -> list[NDArray[np.intp]]:
    """Positions of each code ``0..n_groups-1``, each in increasing order."""
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n_groups + 1))
    return [order[bounds[g] : bounds[g + 1]] for g in range(n_groups)]


# --------------------------------------------------------------------------------------------
# The pointwise model
# --------------------------------------------------------------------------------------------


def expected_grade(proba: ArrayLike, scale: GradeScale) -> NDArray[np.float64]:
    """Return ``sum_g g * P(g)`` per row: the ranking score of a pointwise model.

    Parameters
    ----------
    proba : array-like of shape (n, n_grades)
        Columns in the order of ``scale.grades``.
    scale : GradeScale

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> expected_grade([[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]], GradeScale()).tolist()
    [0.5, 2.5]
    """
    P = _check_proba(proba, scale.n_grades)
    return P @ np.asarray(scale.grades, dtype=np.float64)


class PointwiseRanker(BaseEstimator):  # type: ignore[misc]  # sklearn is untyped
    """Multinomial logistic regression over the grades of a scale; ranks by expected grade.

    The features (:func:`pair_features`) get ``log1p`` on the rank and length columns, then
    standard scaling; the model is scikit-learn's ``LogisticRegression`` (L2, lbfgs,
    multinomial) with balanced class weights by default, so a rare "relevant" grade is not
    drowned by the many non-relevant pairs. Grades of the scale absent from the training
    labels get probability 0. See the module docstring for why not an ordinal model.

    Balanced weights shift the probabilities that the strategies read (the ranking itself
    barely moves). In ``benchmarks/bench_ranking.py`` (CISI, 10 seeds) ``class_weight=None``
    made :func:`grade_uncertainty` beat random sampling (AULC +0.013 +- 0.008) where the
    balanced default made it lose (-0.015 +- 0.017); pass ``class_weight=None`` when the
    probabilities drive the selection.

    **Which features.** With the eight lexical features (:data:`LEXICAL_FEATURE_NAMES`, the
    default, kept for compatibility) the model never beat BM25 alone on CISI: a linear
    model over BM25 and its own re-weightings (coverage, Jaccard, lengths) can only re-rank
    by the same term matches, and the pointwise fit spends those weights on explaining
    which *queries* have many relevant pairs, so the curve fell as labels came. The
    recommended model is ``PointwiseRanker(scale, class_weight=None,
    feature_names=PRF_FEATURE_NAMES)``: BM25 relative to the query's best score plus
    ``prf_cosine`` (:func:`pair_features`), two features that are both relative to the
    query and a fit that cannot drift far from BM25. On CISI through ``simulate`` (15 rounds
    of 20, held-out queries) it beat BM25 alone on nDCG@10 with all pool labels in 10 of 10
    seeds (+0.030 on average) and :func:`topk_disagreement` beat random on AULC in 8 of 10
    (+0.016 +- 0.007); see ``benchmarks/bench_ranking.py``. Adding LSA or
    character n-gram cosines helped with all labels but hurt at 100 to 300 labels.

    Parameters
    ----------
    scale : GradeScale
    C : float
        Inverse regularisation strength.
    class_weight : "balanced" or None
    feature_names : tuple of str
        The features the model reads (default :data:`LEXICAL_FEATURE_NAMES`). A DataFrame's
        columns are selected by name; an array must have these columns in this order, or
        all of :data:`FEATURE_NAMES` in theirs (what the session passes), from which they
        are selected by position.
    random_state : int or None
        Passed to the logistic regression (lbfgs itself is deterministic).

    Examples
    --------
    >>> X = pd.DataFrame({"bm25": [0.0, 0.1, 2.0, 3.0]})
    >>> ranker = PointwiseRanker(GradeScale((0, 1)), feature_names=("bm25",))
    >>> ranker.fit(X, [0, 0, 1, 1]).predict_proba(X).shape
    (4, 2)
    >>> bool(ranker.expected_grade(X)[3] > ranker.expected_grade(X)[0])
    True
    """

    def __init__(
        self,
        scale: GradeScale,
        *,
        C: float = 1.0,
        class_weight: Literal["balanced"] | None = "balanced",
        feature_names: tuple[str, ...] = LEXICAL_FEATURE_NAMES,
        random_state: int | None = None,
    ) -> None:
        self.scale = scale
        self.C = C
        self.class_weight = class_weight
        self.feature_names = feature_names
        self.random_state = random_state

    def _matrix(self, X: Any) -> NDArray[np.float64]:
        names = tuple(self.feature_names)
        if isinstance(X, pd.DataFrame):
            missing = [c for c in names if c not in X.columns]
            if missing:
                raise ConfigError(
                    f"X must have the feature columns {list(names)}; missing {missing}"
                )
            M = X.loc[:, list(names)].to_numpy(dtype=np.float64)
        else:
            M = np.asarray(X, dtype=np.float64)
            if (
                M.ndim == 2
                and M.shape[1] == len(FEATURE_NAMES) != len(names)
                and set(names) <= set(FEATURE_NAMES)
            ):  # every feature of pair_features, in FEATURE_NAMES order: pick ours
                M = M[:, [FEATURE_NAMES.index(c) for c in names]]
            if M.ndim != 2 or M.shape[1] != len(names):
                raise ConfigError(
                    f"X must have shape (n_pairs, {len(names)}) for features {list(names)}, "
                    f"got shape {M.shape}"
                )
        if not np.isfinite(M).all():
            raise ConfigError("X holds NaN or infinite values")
        M = M.copy()
        for j, name in enumerate(names):
            if name in _LOG1P_COLUMNS:
                M[:, j] = np.log1p(np.maximum(M[:, j], 0.0))
        return M

    def fit(self, X: Any, y: ArrayLike | Sequence[Any]) -> PointwiseRanker:
        """Fit on labeled pairs.

        Parameters
        ----------
        X : DataFrame or array of shape (n_labeled, n_features)
        y : array-like of shape (n_labeled,)
            Grades of the scale (checked by :func:`check_grades`).

        Returns
        -------
        PointwiseRanker
            ``self``, fitted.

        Raises
        ------
        ConfigError
            Bad ``X``, or fewer than 2 distinct grades (cold start: rank by ``bm25`` until
            both a relevant and a non-relevant pair are labeled).
        LabelError
            A grade outside the scale.
        """
        if not isinstance(self.scale, GradeScale):
            raise ConfigError(f"scale must be a GradeScale, got {type(self.scale).__name__}")
        M = self._matrix(X)
        grades = check_grades(y, self.scale, argument="y")
        if grades.shape[0] != M.shape[0]:
            raise ConfigError(
                f"X and y must have one row per pair, got {M.shape[0]} and {grades.shape[0]}"
            )
        seen = np.unique(grades)
        if seen.shape[0] < 2:
            raise ConfigError(
                f"y needs at least 2 distinct grades to fit a ranker, got {tuple(seen.tolist())} "
                f"in {grades.shape[0]} labels"
            )
        self.scaler_ = StandardScaler().fit(M)
        self.model_ = LogisticRegression(
            C=self.C,
            class_weight=self.class_weight,
            max_iter=1000,
            random_state=self.random_state,
        ).fit(self.scaler_.transform(M), grades)
        self.classes_ = seen
        self.n_features_in_ = M.shape[1]
        return self

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Return the grade distribution of each pair.

        Returns
        -------
        ndarray of shape (n_pairs, n_grades)
            Columns in the order of ``scale.grades``; rows sum to 1.
        """
        check_is_fitted(self, "model_")
        P = self.model_.predict_proba(self.scaler_.transform(self._matrix(X)))
        out = np.zeros((P.shape[0], self.scale.n_grades), dtype=np.float64)
        cols = [self.scale.grades.index(int(g)) for g in self.model_.classes_]
        out[:, cols] = P
        return out

    def expected_grade(self, X: Any) -> NDArray[np.float64]:
        """Return the expected grade of each pair (the ranking score), shape (n_pairs,)."""
        return expected_grade(self.predict_proba(X), self.scale)

    def predict(self, X: Any) -> NDArray[np.int64]:
        """Return the most probable grade of each pair, shape (n_pairs,)."""
        P = self.predict_proba(X)
        grades = np.asarray(self.scale.grades, dtype=np.int64)
        return np.asarray(grades[np.argmax(P, axis=1)], dtype=np.int64)


# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------


def _check_proba(proba: ArrayLike, n_grades: int | None = None) -> NDArray[np.float64]:
    P = np.asarray(proba, dtype=np.float64)
    if P.ndim != 2 or P.shape[1] < 2:
        raise ConfigError(
            f"proba must be 2-D of shape (n_pairs, n_grades >= 2), got shape {P.shape}"
        )
    if n_grades is not None and P.shape[1] != n_grades:
        raise ConfigError(f"proba must have one column per grade ({n_grades}), got shape {P.shape}")
    if not np.isfinite(P).all() or (P < 0).any():
        raise ConfigError("proba must hold finite non-negative probabilities")
    sums = P.sum(axis=1)
    off = np.flatnonzero(np.abs(sums - 1.0) > _PROBA_SUM_TOL)
    if off.size:
        raise ConfigError(
            f"proba rows must sum to 1 (grade distributions), got {sums[off[0]]:.6g} at row "
            f"{int(off[0])} ({off.size} row(s) off)"
        )
    return P


def _check_batch_size(batch_size: int) -> int:
    try:
        k = operator.index(batch_size)
    except TypeError:
        k = 0
    if isinstance(batch_size, bool) or k < 1:
        raise ConfigError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    return k


def _codes(
    query_ids: ArrayLike | Sequence[Any], n: int, argument: str
) -> tuple[NDArray[np.intp], NDArray[Any]]:
    ids = np.asarray(query_ids, dtype=object).ravel()
    if ids.shape[0] != n:
        raise ConfigError(
            f"{argument} must have one query id per row of proba ({n}), got {ids.shape[0]}"
        )
    codes, uniques = pd.factorize(ids)
    return np.asarray(codes, dtype=np.intp), np.asarray(uniques, dtype=object)


def _grade_values(scale: GradeScale | None, n_grades: int) -> NDArray[np.float64]:
    if scale is None:
        return np.arange(n_grades, dtype=np.float64)
    if scale.n_grades != n_grades:
        raise ConfigError(
            f"proba has {n_grades} columns but the scale has {scale.n_grades} grades {scale.grades}"
        )
    return np.asarray(scale.grades, dtype=np.float64)


def _check_discount(query_discount: float) -> float:
    if (
        isinstance(query_discount, bool)
        or not isinstance(query_discount, float | int)
        or not 0 <= query_discount <= 1
    ):
        raise ConfigError(f"query_discount must be a number in [0, 1], got {query_discount!r}")
    return float(query_discount)


def _spread_order(
    scores: NDArray[np.float64],
    codes: NDArray[np.intp],
    rng: np.random.Generator,
    query_discount: float,
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """Return the pick order, each item's rank within its query (0 = best), discounted scores.

    An item's discounted score is ``score * query_discount ** rank_in_query``; the order is
    by discounted score, then rank in query, then score, then random keys.
    """
    keys = rng.random(int(scores.shape[0]))
    by_query = np.lexsort((keys, -scores, codes))
    sorted_codes = codes[by_query]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    lengths = np.diff(np.r_[starts, sorted_codes.shape[0]])
    within_sorted = np.arange(sorted_codes.shape[0]) - np.repeat(starts, lengths)
    within = np.empty_like(within_sorted)
    within[by_query] = within_sorted
    discounted = scores * np.power(query_discount, within.astype(np.float64))
    order = np.lexsort((keys, -scores, within, -discounted))
    return order.astype(np.intp), within.astype(np.intp), discounted


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _fmt_grade(g: float) -> str:
    return str(int(g)) if float(g).is_integer() else f"{g:g}"


def _uncertainty(
    P: NDArray[np.float64], grades: NDArray[np.float64], measure: str
) -> NDArray[np.float64]:
    if measure == "entropy":
        logs = np.log(P, out=np.zeros_like(P), where=P > 0)
        return np.asarray(-(P * logs).sum(axis=1), dtype=np.float64)
    if measure == "margin":
        top2 = np.sort(P, axis=1)[:, -2:]
        return np.asarray(1.0 - (top2[:, 1] - top2[:, 0]), dtype=np.float64)
    if measure == "variance":
        mean = P @ grades
        return np.asarray(np.maximum(P @ grades**2 - mean**2, 0.0), dtype=np.float64)
    raise ConfigError(f"measure must be one of 'entropy', 'margin', 'variance', got {measure!r}")


def grade_uncertainty(
    proba: ArrayLike,
    query_ids: ArrayLike | Sequence[Any],
    batch_size: int,
    rng: np.random.Generator,
    *,
    scale: GradeScale | None = None,
    measure: Measure = "entropy",
    query_discount: float = 0.5,
) -> Selection:
    """Pick the pairs whose grade the model is least sure of, spread over the queries.

    ``measure="entropy"`` (default): ``-sum_g P(g) log P(g)`` in nats, which reads the whole
    grade distribution; ``"margin"``: ``1 - (P_(1) - P_(2))``; ``"variance"``: the variance of
    the grade, which counts a 0-vs-3 doubt more than a 0-vs-1 one. Uncertainty sampling,
    Lewis & Gale 1994; on a binary scale the three agree.

    Parameters
    ----------
    proba : array-like of shape (n_candidates, n_grades)
        Grade distributions of the unlabeled candidate pairs.
    query_ids : array-like of shape (n_candidates,)
        Each candidate's query.
    batch_size : int
    rng : numpy.random.Generator
        Breaks ties.
    scale : GradeScale, optional
        The grades of the columns (default ``0 .. n_grades - 1``); used by "variance" and in
        the reasons.
    measure : {"entropy", "margin", "variance"}
    query_discount : float in [0, 1]
        Each further pick from one query counts this much less (see the module docstring);
        1 takes the plain top scores.

    Returns
    -------
    Selection
        ``min(batch_size, n_candidates)`` positions, their discounted scores (the measure
        for a query's first pick) and reasons.

    Raises
    ------
    ConfigError
        Bad ``proba``, ``query_ids``, ``batch_size`` or ``measure``.
    PoolExhaustedError
        No candidate.

    Examples
    --------
    >>> P = [[0.5, 0.5], [0.52, 0.48], [0.7, 0.3]]
    >>> sel = grade_uncertainty(P, ["q1", "q1", "q2"], 2, np.random.default_rng(0))
    >>> sel.positions.tolist()  # q2's best (0.611) beats q1's second pick (0.692 x 0.5)
    [0, 2]
    >>> sel.reasons[0]
    "query 'q1': P(grade) 0: 0.50, 1: 0.50, expected grade 0.50; entropy 0.693 nats; 1st pick in this query"
    """  # noqa: E501 - a doctest's expected output is one line
    k = _check_batch_size(batch_size)
    P = _check_proba(proba)
    grades = _grade_values(scale, P.shape[1])
    codes, uniques = _codes(query_ids, P.shape[0], "query_ids")
    if P.shape[0] == 0:
        raise PoolExhaustedError("grade_uncertainty: no unlabeled pair left to select")
    discount = _check_discount(query_discount)
    scores = _uncertainty(P, grades, measure)
    order, within, discounted = _spread_order(scores, codes, rng, discount)
    chosen = order[:k]
    unit = {"entropy": " nats", "margin": "", "variance": ""}[measure]
    means = P[chosen] @ grades
    reasons = []
    for pos, mean in zip(chosen.tolist(), means.tolist(), strict=True):
        dist = ", ".join(f"{_fmt_grade(g)}: {p:.2f}" for g, p in zip(grades, P[pos], strict=True))
        reasons.append(
            f"query {uniques[codes[pos]]!r}: P(grade) {dist}, expected grade {mean:.2f}; "
            f"{measure} {scores[pos]:.3g}{unit}; {_nth_pick(int(within[pos]), discount)}"
        )
    return Selection(chosen, discounted[chosen], tuple(reasons), "grade_uncertainty")


def _nth_pick(within: int, discount: float) -> str:
    text = f"{_ordinal(within + 1)} pick in this query"
    return text if within == 0 or discount == 1 else f"{text} (score x {discount:g}^{within})"


def top_k_probability(
    proba: ArrayLike,
    query_ids: ArrayLike | Sequence[Any],
    *,
    k: int = 10,
    scale: GradeScale | None = None,
    labeled_query_ids: ArrayLike | Sequence[Any] | None = None,
    labeled_grades: ArrayLike | Sequence[Any] | None = None,
    rng: np.random.Generator | None = None,
) -> NDArray[np.float64]:
    """Return each candidate's probability of being in its query's top ``k``.

    The model: every pair's true grade is drawn independently from its grade distribution
    (a labeled pair has its known grade), the pairs of a query are ranked by true grade, and
    equal grades are ordered by expected grade (then by ``rng``, or by position). For an item
    i whose grade is v, the number of pairs ahead of it is a sum of independent Bernoulli
    variables with ``P(g_j > v) + P(g_j = v) [j before i on ties]``; its distribution below
    ``k`` comes from the Poisson-binomial recursion, exactly. Cost per query of m pairs:
    O(n_grades x m^2 x k) time, O(n_grades x m x k) memory.

    Parameters
    ----------
    proba : array-like of shape (n_candidates, n_grades)
    query_ids : array-like of shape (n_candidates,)
    k : int
        The cut-off (at least 1).
    scale : GradeScale, optional
        The grades of the columns (default ``0 .. n_grades - 1``).
    labeled_query_ids, labeled_grades : array-like of shape (n_labeled,), optional
        Labeled pairs of the same queries: they compete for the top k at their known grade.
    rng : numpy.random.Generator, optional
        Breaks exact ties in expected grade (by position when None).

    Returns
    -------
    ndarray of shape (n_candidates,)

    Examples
    --------
    >>> P = [[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]  # sure, a coin flip, surely not relevant
    >>> top_k_probability(P, [1, 1, 1], k=1).tolist()
    [1.0, 0.0, 0.0]
    >>> top_k_probability(P, [1, 1, 1], k=2).tolist()
    [1.0, 1.0, 0.0]
    """
    P = _check_proba(proba)
    p_top, _, _ = _top_k_membership(
        P,
        query_ids,
        k=k,
        scale=scale,
        labeled_query_ids=labeled_query_ids,
        labeled_grades=labeled_grades,
        rng=rng,
    )
    return p_top


def _top_k_membership(
    P: NDArray[np.float64],
    query_ids: ArrayLike | Sequence[Any],
    *,
    k: int,
    scale: GradeScale | None,
    labeled_query_ids: ArrayLike | Sequence[Any] | None,
    labeled_grades: ArrayLike | Sequence[Any] | None,
    rng: np.random.Generator | None,
) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.intp]]:
    """P(in top k) per candidate, its rank by expected grade (1 = first), and query sizes."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ConfigError(f"k must be an integer >= 1, got {k!r}")
    k = int(k)
    n, n_grades = P.shape
    grades = _grade_values(scale, n_grades)
    ids = np.asarray(query_ids, dtype=object).ravel()
    if ids.shape[0] != n:
        raise ConfigError(
            f"query_ids must have one query id per row of proba ({n}), got {ids.shape[0]}"
        )
    if (labeled_query_ids is None) != (labeled_grades is None):
        raise ConfigError("pass labeled_query_ids and labeled_grades together, or neither")
    L = np.zeros((0, n_grades))
    lab_ids = np.zeros(0, dtype=object)
    if labeled_query_ids is not None and labeled_grades is not None:
        lab_ids = np.asarray(labeled_query_ids, dtype=object).ravel()
        used = scale if scale is not None else GradeScale(tuple(range(n_grades)))
        lab = check_grades(labeled_grades, used, argument="labeled_grades")
        if lab.shape[0] != lab_ids.shape[0]:
            raise ConfigError(
                "labeled_query_ids and labeled_grades must have one entry per labeled pair, "
                f"got {lab_ids.shape[0]} and {lab.shape[0]}"
            )
        L = np.zeros((lab.shape[0], n_grades))
        L[np.arange(lab.shape[0]), [used.grades.index(int(g)) for g in lab]] = 1.0
    allP = np.vstack([P, L])
    codes, uniques = pd.factorize(np.concatenate([ids, lab_ids]))
    codes = np.asarray(codes, dtype=np.intp)
    expected = allP @ grades
    keys = (
        rng.random(allP.shape[0]) if rng is not None else np.arange(allP.shape[0], dtype=np.float64)
    )
    # strictly greater on P(g > v): the mass above each grade
    above = np.cumsum(allP[:, ::-1], axis=1)[:, ::-1] - allP
    p_top = np.ones(n, dtype=np.float64)
    rank = np.zeros(n, dtype=np.intp)
    size = np.zeros(n, dtype=np.intp)
    for rows in _groups(codes, len(uniques)):
        cand = rows[rows < n]
        if cand.size == 0:
            continue
        m = rows.shape[0]
        tie_order = np.lexsort((keys[rows], -expected[rows]))  # best first
        place = np.empty(m, dtype=np.intp)
        place[tie_order] = np.arange(m)
        local = np.searchsorted(rows, cand)
        rank[cand] = place[local] + 1
        size[cand] = m
        if m <= k:
            continue
        p_top[cand] = _membership(allP[rows], above[rows], place, k)[local]
    return p_top, rank, size


def _membership(
    Pq: NDArray[np.float64], above: NDArray[np.float64], place: NDArray[np.intp], k: int
) -> NDArray[np.float64]:
    """P(fewer than k items ahead) for every item of one query (the Poisson-binomial DP)."""
    m, n_grades = Pq.shape
    # dist[i, v, c] = P(c of the items seen so far are ahead of i | g_i = grade v), c < k
    dist = np.zeros((m, n_grades, k), dtype=np.float64)
    dist[:, :, 0] = 1.0
    for j in range(m):
        ahead_on_tie = (place[j] < place)[:, None]  # item j wins ties against item i
        q = above[j][None, :] + Pq[j][None, :] * ahead_on_tie  # (m, n_grades)
        q[j, :] = 0.0
        q3 = q[:, :, None]
        new = dist * (1.0 - q3)
        new[:, :, 1:] += dist[:, :, :-1] * q3[:, :, :]
        dist = new
    return np.asarray(np.einsum("iv,iv->i", Pq, dist.sum(axis=2)), dtype=np.float64)


def topk_disagreement(
    proba: ArrayLike,
    query_ids: ArrayLike | Sequence[Any],
    batch_size: int,
    rng: np.random.Generator,
    *,
    k: int = 10,
    scale: GradeScale | None = None,
    labeled_query_ids: ArrayLike | Sequence[Any] | None = None,
    labeled_grades: ArrayLike | Sequence[Any] | None = None,
    query_discount: float = 0.5,
) -> Selection:
    """Pick the pairs whose label decides what crosses their query's top-``k`` cut-off.

    With ``p`` the probability that the pair is in its query's top ``k``
    (:func:`top_k_probability`), the score is ``2 p (1 - p)``: the probability that two
    independent draws of the true grades disagree on whether the pair makes the top ``k``
    (0.5 at most). Pairs surely in or surely out score 0, as do all pairs of a query with at
    most ``k`` pairs (nothing to decide there). Targets the top of the ranking, which nDCG@k
    and MRR weigh most; compare Long et al. 2010, "Active learning for ranking through
    expected loss optimization", here with a closed form instead of sampling.

    Parameters
    ----------
    proba : array-like of shape (n_candidates, n_grades)
        Grade distributions of the unlabeled candidate pairs.
    query_ids : array-like of shape (n_candidates,)
    batch_size : int
    rng : numpy.random.Generator
        Breaks ties (in expected grade and in score).
    k : int
        The cut-off, usually the k of the nDCG@k being optimised.
    scale : GradeScale, optional
        The grades of the columns (default ``0 .. n_grades - 1``).
    labeled_query_ids, labeled_grades : array-like, optional
        The labeled pairs of the candidates' queries, which compete for the top k at their
        known grade. Leave them out and the top k is contested by the candidates alone.
    query_discount : float in [0, 1]
        Each further pick from one query counts this much less; 1 takes the top scores.

    Returns
    -------
    Selection

    Raises
    ------
    ConfigError
        Bad inputs.
    LabelError
        A labeled grade outside the scale.
    PoolExhaustedError
        No candidate.

    Examples
    --------
    >>> P = [[0.0, 1.0], [0.2, 0.8], [0.5, 0.5], [0.9, 0.1], [1.0, 0.0]]
    >>> sel = topk_disagreement(P, [7] * 5, 1, np.random.default_rng(0), k=2)
    >>> sel.positions.tolist()
    [1]
    >>> sel.reasons[0]
    'query 7: expected grade 0.80, rank 2 of 5 in this query; P(in top 2) 0.89, disagreement 0.196; 1st pick in this query'
    """  # noqa: E501 - a doctest's expected output is one line
    n_pick = _check_batch_size(batch_size)
    P = _check_proba(proba)
    codes, uniques = _codes(query_ids, P.shape[0], "query_ids")
    if P.shape[0] == 0:
        raise PoolExhaustedError("topk_disagreement: no unlabeled pair left to select")
    p_top, rank, size = _top_k_membership(
        P,
        query_ids,
        k=k,
        scale=scale,
        labeled_query_ids=labeled_query_ids,
        labeled_grades=labeled_grades,
        rng=rng,
    )
    discount = _check_discount(query_discount)
    scores = 2.0 * p_top * (1.0 - p_top)
    order, within, discounted = _spread_order(scores, codes, rng, discount)
    chosen = order[:n_pick]
    means = P[chosen] @ _grade_values(scale, P.shape[1])
    reasons = tuple(
        f"query {uniques[codes[pos]]!r}: expected grade {mean:.2f}, rank {rank[pos]} of "
        f"{size[pos]} in this query; P(in top {k}) {p_top[pos]:.2f}, disagreement "
        f"{scores[pos]:.3f}; {_nth_pick(int(within[pos]), discount)}"
        for pos, mean in zip(chosen.tolist(), means.tolist(), strict=True)
    )
    return Selection(chosen, discounted[chosen], reasons, "topk_disagreement")


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------


def _check_ranking(
    grades: ArrayLike, scores: ArrayLike, query_ids: ArrayLike | Sequence[Any] | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[NDArray[np.intp]], NDArray[Any]]:
    g = np.asarray(grades, dtype=np.float64).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if g.shape != s.shape:
        raise ConfigError(
            f"grades and scores must have one entry per pair, got {g.shape[0]} and {s.shape[0]}"
        )
    if not np.isfinite(g).all() or (g < 0).any():
        raise ConfigError("grades must be finite and >= 0 (a grade is an nDCG gain)")
    if np.isnan(s).any():
        raise ConfigError(f"scores hold {int(np.isnan(s).sum())} NaN value(s)")
    if query_ids is None:
        return g, s, [np.arange(g.shape[0], dtype=np.intp)], np.asarray([None], dtype=object)
    ids = np.asarray(query_ids, dtype=object).ravel()
    if ids.shape[0] != g.shape[0]:
        raise ConfigError(
            f"query_ids must have one entry per pair ({g.shape[0]}), got {ids.shape[0]}"
        )
    codes, uniques = pd.factorize(ids)
    return (
        g,
        s,
        _groups(np.asarray(codes, dtype=np.intp), len(uniques)),
        np.asarray(uniques, dtype=object),
    )


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ConfigError(f"k must be an integer >= 1, got {k!r}")
    return int(k)


def _tie_groups(s: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Group label of each item (0 = highest score) and the size of each group."""
    _, inverse, counts = np.unique(-s, return_inverse=True, return_counts=True)
    return np.asarray(inverse, dtype=np.intp).ravel(), np.asarray(counts, dtype=np.intp)


def _ndcg_one(g: NDArray[np.float64], s: NDArray[np.float64], k: int, gain: str) -> float:
    gains = g if gain == "linear" else np.exp2(g) - 1.0
    n = g.shape[0]
    discount = 1.0 / np.log2(np.arange(n) + 2.0)
    discount[k:] = 0.0
    ideal = float(np.sort(gains)[::-1] @ discount)
    if ideal == 0:
        return math.nan
    group, counts = _tie_groups(s)
    mean_gain = np.bincount(group, weights=gains) / counts
    ends = np.cumsum(counts)
    cum = np.r_[0.0, np.cumsum(discount)]
    dcg = float(mean_gain @ (cum[ends] - cum[ends - counts]))
    return dcg / ideal


def _ap_one(rel: NDArray[np.bool_], s: NDArray[np.float64]) -> float:
    total = int(rel.sum())
    if total == 0:
        return math.nan
    group, counts = _tie_groups(s)
    rel_in = np.bincount(group, weights=rel.astype(np.float64), minlength=counts.shape[0])
    ap = 0.0
    before, rel_before = 0, 0.0
    for m, r in zip(counts.tolist(), rel_in.tolist(), strict=True):
        if r > 0:
            t = np.arange(1, m + 1, dtype=np.float64)
            # the expected number of the other r-1 relevant items ahead at position t
            others = (t - 1) * (r - 1) / (m - 1) if m > 1 else np.zeros(1)
            ap += r / m * float(np.sum((rel_before + 1 + others) / (before + t)))
        before += m
        rel_before += r
    return ap / total


def _rr_one(rel: NDArray[np.bool_], s: NDArray[np.float64]) -> float:
    if not rel.any():
        return math.nan
    group, counts = _tie_groups(s)
    rel_in = np.bincount(group, weights=rel.astype(np.float64), minlength=counts.shape[0])
    first = int(np.flatnonzero(rel_in > 0)[0])
    before = int(counts[:first].sum())
    m, r = int(counts[first]), int(rel_in[first])
    # P(first relevant after position t) = prod_{i<t} (m - r - i) / (m - i)
    i = np.arange(m - r + 1, dtype=np.float64)
    survive = np.r_[1.0, np.cumprod((m - r - i) / (m - i))]
    p_first = survive[:-1] - survive[1:]
    positions = np.arange(1, m - r + 2, dtype=np.float64)
    return float(np.sum(p_first / (before + positions)))


def per_query_metrics(
    grades: ArrayLike,
    scores: ArrayLike,
    query_ids: ArrayLike | Sequence[Any],
    *,
    k: int = 10,
    threshold: float = 1,
    gain: Gain = "linear",
) -> pd.DataFrame:
    """nDCG@k, average precision and reciprocal rank of each query.

    Parameters
    ----------
    grades : array-like of shape (n_pairs,)
        True grades (the nDCG gains); ``grade >= threshold`` is relevant for AP and RR.
    scores : array-like of shape (n_pairs,)
        The ranker's scores (higher = ranked first); ties are averaged over their orderings.
    query_ids : array-like of shape (n_pairs,)
    k : int
    threshold : float
    gain : {"linear", "exponential"}

    Returns
    -------
    DataFrame
        Indexed by query id (first-seen order), columns ``ndcg@{k}``, ``ap``, ``rr``,
        ``n_pairs``, ``n_relevant``. A metric is NaN for a query it excludes: nDCG when every
        gain is 0, AP and RR when no pair is relevant.

    Examples
    --------
    >>> per_query_metrics([1, 0, 0, 0], [0.1, 0.9, 0.2, 0.3], ["a", "a", "b", "b"])["rr"].tolist()
    [0.5, nan]
    """
    k = _check_k(k)
    if gain not in ("linear", "exponential"):
        raise ConfigError(f"gain must be 'linear' or 'exponential', got {gain!r}")
    g, s, groups, uniques = _check_ranking(grades, scores, query_ids)
    rows = []
    for rows_q in groups:
        gq, sq = g[rows_q], s[rows_q]
        rel = gq >= threshold
        rows.append(
            (
                _ndcg_one(gq, sq, k, gain),
                _ap_one(rel, sq),
                _rr_one(rel, sq),
                rows_q.shape[0],
                int(rel.sum()),
            )
        )
    return pd.DataFrame(
        rows,
        columns=[f"ndcg@{k}", "ap", "rr", "n_pairs", "n_relevant"],
        index=pd.Index(uniques, name="query_id"),
    )


def _mean(values: pd.Series[Any]) -> float:
    kept = values.dropna()
    return float(kept.mean()) if len(kept) else math.nan


def ndcg_at_k(
    grades: ArrayLike,
    scores: ArrayLike,
    query_ids: ArrayLike | Sequence[Any] | None = None,
    *,
    k: int = 10,
    gain: Gain = "linear",
) -> float:
    """Mean nDCG@k over the queries that have a non-zero gain (the others are excluded).

    DCG@k = ``sum_{r <= k} gain_r / log2(r + 1)``, divided by the DCG of the ideal order; ties
    in ``scores`` are averaged over their orderings. With linear gain this equals
    ``sklearn.metrics.ndcg_score(y_true, y_score, k=k)`` per query.

    Parameters
    ----------
    grades : array-like of shape (n_pairs,)
    scores : array-like of shape (n_pairs,)
    query_ids : array-like of shape (n_pairs,), optional
        None: all pairs belong to one query.
    k : int
    gain : {"linear", "exponential"}
        ``grade`` or ``2**grade - 1``.

    Returns
    -------
    float
        NaN when no query counts.

    Examples
    --------
    >>> round(ndcg_at_k([3, 2, 0], [0.1, 0.5, 0.9], k=3), 4)  # (2/log2(3) + 3/2) / (3 + 2/log2(3))
    0.648
    """
    return _mean(
        per_query_metrics(grades, scores, _ids_or_one(query_ids, grades), k=k, gain=gain)[
            f"ndcg@{k}"
        ]
    )


def _ids_or_one(
    query_ids: ArrayLike | Sequence[Any] | None, grades: ArrayLike
) -> ArrayLike | Sequence[Any]:
    return np.zeros(np.asarray(grades).size, dtype=np.intp) if query_ids is None else query_ids


def average_precision(grades: ArrayLike, scores: ArrayLike, *, threshold: float = 1) -> float:
    """Average precision of one query's ranking (relevant: ``grade >= threshold``).

    The mean, over the relevant pairs, of the precision at each one's rank; relevant
    documents outside the list are not counted. Ties are averaged over their orderings.

    Returns
    -------
    float
        NaN when no pair is relevant.

    Examples
    --------
    >>> average_precision([1, 0, 1], [0.9, 0.8, 0.7])  # (1/1 + 2/3) / 2
    0.8333333333333333
    """
    table = per_query_metrics(grades, scores, _ids_or_one(None, grades), threshold=threshold)
    return float(table["ap"].iloc[0])


def mean_average_precision(
    grades: ArrayLike,
    scores: ArrayLike,
    query_ids: ArrayLike | Sequence[Any],
    *,
    threshold: float = 1,
) -> float:
    """MAP: the mean average precision over the queries with a relevant pair.

    Examples
    --------
    >>> mean_average_precision([1, 0, 0, 1, 0], [0.9, 0.8, 0.1, 0.2, 0.3], [1, 1, 2, 2, 2])
    0.75
    """
    return _mean(per_query_metrics(grades, scores, query_ids, threshold=threshold)["ap"])


def mrr(
    grades: ArrayLike,
    scores: ArrayLike,
    query_ids: ArrayLike | Sequence[Any] | None = None,
    *,
    threshold: float = 1,
) -> float:
    """Mean reciprocal rank of the first relevant pair, over queries with a relevant pair.

    Examples
    --------
    >>> mrr([0, 1, 0, 0, 1], [0.9, 0.8, 0.1, 0.2, 0.3], [1, 1, 2, 2, 2])  # (1/2 + 1/1) / 2
    0.75
    """
    return _mean(
        per_query_metrics(grades, scores, _ids_or_one(query_ids, grades), threshold=threshold)["rr"]
    )


def evaluate_ranking(
    grades: ArrayLike,
    scores: ArrayLike,
    query_ids: ArrayLike | Sequence[Any],
    *,
    k: int = 10,
    threshold: float = 1,
    gain: Gain = "linear",
) -> dict[str, float]:
    """nDCG@k, MAP and MRR of held-out queries in one pass, and how many queries counted.

    Returns
    -------
    dict
        ``{"ndcg@{k}": ..., "map": ..., "mrr": ..., "n_queries": ...}``; ``n_queries`` is the
        number of queries with a relevant pair (those MAP and MRR average over).

    Examples
    --------
    >>> evaluate_ranking([1, 0, 0, 0], [0.9, 0.1, 0.5, 0.4], ["a", "a", "b", "b"])
    {'ndcg@10': 1.0, 'map': 1.0, 'mrr': 1.0, 'n_queries': 1.0}
    """
    table = per_query_metrics(grades, scores, query_ids, k=k, threshold=threshold, gain=gain)
    return {
        f"ndcg@{k}": _mean(table[f"ndcg@{k}"]),
        "map": _mean(table["ap"]),
        "mrr": _mean(table["rr"]),
        "n_queries": float((table["n_relevant"] > 0).sum()),
    }
