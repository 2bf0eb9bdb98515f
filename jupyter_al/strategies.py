"""Selection strategies: plain functions with one signature and one return type.

A strategy receives the unlabeled candidates (their model probabilities and features) and
returns which of them to show next, best first, with a score and a reason sentence each::

    def my_strategy(candidates: Candidates, batch_size: int, rng: np.random.Generator) -> Selection

Positions are integer positions into the candidate arrays (``0 .. candidates.n - 1``); the
session maps them to item ids. Strategies never see item ids, never mutate their inputs and
draw randomness only from ``rng``.

CONTRACT (every registered strategy, checked by ``tests/test_strategies.py``):

* returns ``min(batch_size, candidates.n)`` unique positions, ranked best first;
* ``scores`` and ``reasons`` have the same length as ``positions``; higher score = more wanted;
* deterministic given ``rng``'s seed; ties are broken by ``rng``, reproducibly;
* raises :class:`~jupyter_al.exceptions.PoolExhaustedError` when ``candidates.n == 0`` and
  :class:`~jupyter_al.exceptions.ConfigError` when ``batch_size < 1``;
* a strategy with ``needs_proba=True`` raises ``ConfigError`` when ``candidates.proba`` is None
  (cold start is explicit: the session calls the seed strategy instead).

Built-in strategies
-------------------
=====================  ===============  ===========  ==========================================
name                   tasks            needs proba  measures
=====================  ===============  ===========  ==========================================
``random``             both             no           nothing: the uniform baseline
``diverse_seed``       both             no           k-means coverage of the pool (cold start)
``least_confidence``   classification   yes          ``1 - max_j p_j``
``margin``             classification   yes          ``1 - (p_(1) - p_(2))``
``entropy``            classification   yes          ``-sum_j p_j log p_j`` (nats)
``binary_minimum``     multilabel       yes          the single most uncertain label
``mean_max_loss``      multilabel       yes          expected Hamming loss of the prediction
``label_cardinality``  multilabel       yes          margin x label-count surprise
=====================  ===============  ===========  ==========================================

Composed strategies (``jupyter_al._hybrid``; build your own with :func:`hybrid`). None of them
puts two members of one near-duplicate group in a batch while other candidates are left:

===========================  ==============  ================================================
name                         tasks           picks
===========================  ==============  ================================================
``kcenter``                  both            core-set: greedy k-center over the vectors
``margin_kcenter``           classification  k-center among the 10 x batch smallest margins
``margin_kmeanspp``          classification  margin-weighted k-means++ on that shortlist
``margin_density``           classification  margin x similarity to the 10 nearest items
``margin_density_kmeanspp``  classification  k-means++ weighted by margin x density
``margin_density_kmeans``    classification  best margin x density per k-means cluster (default)
``entropy_density``          classification  entropy x the same density (information density)
``margin_balance``           classification  margin, boosted for predicted rare classes
``margin_explore``           classification  margin, plus 10% random exploration picks
``mean_max_loss_kcenter``    multilabel      k-center among the most uncertain label sets
``mean_max_loss_density``    multilabel      mean max loss x density (default)
``mean_max_loss_balance``    multilabel      mean max loss, boosted for rare labels
``qbc``                      both            disagreement of a subsampled committee
``badge``                    both            k-means++ over last-layer gradient embeddings
===========================  ==============  ================================================

Speed
-----
The score functions are vectorised over row blocks of ``_BLOCK_ROWS`` rows, so no temporary
of the pool's size ``n x C`` is ever created. For narrow rows (``C <= 16``; up to 50 for the
margin's running top-2) a block is first copied transposed to ``(C, block)`` so that the
per-class reductions run over contiguous rows (numpy's ``P.max(axis=1)`` over 10-wide rows is
about 2x slower than that; see ``benchmarks/bench_select.py``). :func:`top_k` is O(n): one
``np.partition`` finds the k-th value and only the items at or above it are sorted.
"""

from __future__ import annotations

import difflib
import math
import operator
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
import scipy.sparse as sp

from jupyter_al import _diversity as dv
from jupyter_al._types import ALL_TASKS, TASKS, AnyTask, Task
from jupyter_al.exceptions import ConfigError, PoolExhaustedError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from numpy.typing import ArrayLike, NDArray

    from jupyter_al._types import Features

__all__ = [
    "DEFAULT_STRATEGY",
    "STRATEGIES",
    "Candidates",
    "Hybrid",
    "Selection",
    "Strategy",
    "StrategyInfo",
    "binary_minimum_scores",
    "check_candidates",
    "entropy_scores",
    "get_strategy",
    "hybrid",
    "known_strategies",
    "label_cardinality_scores",
    "least_confidence_scores",
    "margin_scores",
    "mean_max_loss_scores",
    "register_strategy",
    "top_k",
]


@dataclass(frozen=True, slots=True)
class Candidates:
    """What a strategy may look at: the unlabeled pool as the model sees it.

    Parameters
    ----------
    task : {"classification", "multilabel"}
    classes : tuple of str
        The label schema, in the column order of ``proba``.
    proba : ndarray of shape (n_candidates, n_classes) or None
        Classification: class probabilities (rows sum to 1). Multilabel: the probability that
        each label applies (independent columns). None before a model can be fitted.
    X : ndarray or sparse matrix of shape (n_candidates, n_features) or None
        The candidates' features (TF-IDF rows for text, scaled columns for numbers).
    X_labeled : ndarray or sparse matrix of shape (n_labeled, n_features) or None
        Features of the items labeled so far (for distance-aware choices).
    label_counts : mapping of str to int
        How many labeled items carry each label so far (every class present, zeros included).
    n_labeled : int
        Number of labeled items so far.
    mean_cardinality : float or None
        Multilabel only: the mean number of labels per labeled item (None when nothing is
        labeled yet).
    vectors : ndarray or sparse matrix of shape (n_candidates, n_dims) or None
        The candidates' representation for diversity and density (sentence embeddings, or
        the TF-IDF rows by default); given to strategies registered with ``needs_vectors``.
    vectors_labeled : ndarray or sparse matrix of shape (n_labeled, n_dims) or None
        The same representation of the labeled items.
    groups : ndarray of shape (n_candidates,) or None
        Near-duplicate group of each candidate (-1 = in no group).
    taken_groups : frozenset of int
        Near-duplicate groups that already hold a labeled item.
    committee : tuple of ndarray or None
        Probabilities of each committee member (each shaped like ``proba``), for
        query-by-committee; given to strategies registered with ``needs_committee``.
    judge : sequence or None
        The LLM judge's latest opinion of each candidate (a label, a list of labels for
        multilabel, or None where it has none), given only to strategies that declare
        ``needs_judge``. Opinions are never labels: they only order what people see.
    texts : sequence of str or None
        The candidates' texts (keyword rules); given to strategies with ``needs_texts``.
    task_data : object or None
        What the model says about the candidates of the tasks without class probabilities
        (``jupyter_al._tasks``): extraction's ``SequenceCandidates``, ranking's query codes,
        regression's ``Prediction``. It has ``n``, the number of candidates.
    """

    task: AnyTask
    classes: tuple[str, ...]
    proba: NDArray[np.floating] | None
    X: Features | None = None
    X_labeled: Features | None = None
    label_counts: Mapping[str, int] = field(default_factory=dict)
    n_labeled: int = 0
    mean_cardinality: float | None = None
    vectors: Features | None = None
    vectors_labeled: Features | None = None
    groups: NDArray[np.intp] | None = None
    taken_groups: frozenset[int] = frozenset()
    committee: tuple[NDArray[np.floating], ...] | None = None
    texts: Sequence[str] | None = None
    judge: Sequence[Any] | None = None
    task_data: Any = None

    @property
    def n(self) -> int:
        """Number of candidates."""
        if self.proba is not None:
            return int(self.proba.shape[0])
        if self.task_data is not None:
            return int(self.task_data.n)
        if self.X is not None:
            return int(self.X.shape[0])
        if self.vectors is not None:
            return int(self.vectors.shape[0])
        return 0


@dataclass(frozen=True, slots=True)
class Selection:
    """What a strategy returns.

    Parameters
    ----------
    positions : ndarray of shape (k,), dtype intp
        Unique positions into the candidates, best first.
    scores : ndarray of shape (k,), dtype float64
        The strategy's score of each chosen candidate (higher = more wanted). For uncertainty
        strategies it is the uncertainty the strategy measures.
    reasons : tuple of str, length k
        One sentence per chosen candidate, with the numbers behind the choice.
    strategy : str
        Name of the strategy that chose.
    """

    positions: NDArray[np.intp]
    scores: NDArray[np.float64]
    reasons: tuple[str, ...]
    strategy: str


class Strategy(Protocol):
    """The one signature every strategy has."""

    def __call__(
        self, candidates: Candidates, batch_size: int, rng: np.random.Generator
    ) -> Selection:
        """Choose up to ``batch_size`` candidates, best first."""
        ...


@dataclass(frozen=True, slots=True)
class StrategyInfo:
    """A registry entry: the function and what it needs.

    Parameters
    ----------
    name : str
    func : Strategy
    tasks : frozenset of {"classification", "multilabel"}
    needs_proba : bool
        The strategy needs ``candidates.proba`` (a fitted model).
    summary : str
        One line for listings (the function's docstring's first line).
    needs_features : bool, default False
        The strategy reads ``candidates.X`` / ``X_labeled``; the session passes the feature
        matrix only to those (uncertainty strategies get probabilities only).
    needs_vectors : bool, default False
        The strategy reads ``candidates.vectors`` / ``vectors_labeled``.
    needs_committee : bool, default False
        The strategy reads ``candidates.committee`` (the session fits the committee).
    needs_texts : bool, default False
        The strategy reads ``candidates.texts``.
    needs_judge : bool, default False
        The strategy reads ``candidates.judge`` (the session asks the judge first).
    """

    name: str
    func: Strategy
    tasks: frozenset[AnyTask]
    needs_proba: bool
    summary: str
    needs_features: bool = False
    needs_vectors: bool = False
    needs_committee: bool = False
    needs_texts: bool = False
    needs_judge: bool = False


#: name -> registry entry. Filled by :func:`register_strategy`.
STRATEGIES: dict[str, StrategyInfo] = {}

#: What ``strategy="default"`` means per task, chosen from the label-efficiency benchmark
#: against modAL, small-text and scikit-activeml (docs/benchmarks.md, docs/strategies.md):
#: density-weighted margin, taking the best item of each k-means cluster of the 20 x batch most
#: uncertain, was best on SMS spam, digits and BANKING77 (ahead of scikit-activeml's TypiClust);
#: density-weighted mean max loss was best on NLU++.
DEFAULT_STRATEGY: dict[AnyTask, str] = {
    "classification": "margin_density_kmeans",
    "multilabel": "mean_max_loss_density",
    # the other tasks' strategies live in jupyter_al._tasks (see docs/benchmarks.md)
    "extraction": "sequence_least_confidence",
    "ranking": "topk_disagreement",
    "regression": "regression_spread",
}

# Rows per block in the score functions: 8192 rows x 10 classes x 8 bytes = 640 kB stays in
# L2 cache; 4096-16384 measured within 10% of each other on 1M x 10 (benchmarks/bench_select.py).
_BLOCK_ROWS = 8192
# Up to this many columns a block is transposed to (C, rows) so reductions over classes run
# over contiguous rows; wider rows are reduced in place (numpy handles long rows well).
_TRANSPOSE_MAX_COLS = 16
# The running top-2 (3 elementwise ops per class) beats a per-row np.partition up to about
# 50 classes (1M rows: 137 vs 174 ms at C=50, 65 vs 95 ms at C=24); wider rows partition.
_TOP2_TRANSPOSE_MAX_COLS = 50
# Cold start: k-means centres are fitted on at most this many sampled candidates, then every
# candidate is assigned to its nearest centre (keeps diverse_seed near linear in n).
_SEED_FIT_MAX = 20_000
# Below this many fitted rows k-means restarts 3 times (cheap, steadier on tiny pools).
_SEED_MULTI_INIT_MAX = 5_000


# --------------------------------------------------------------------------- registry


def _summary(func: Callable[..., Any], fallback: str) -> str:
    doc = getattr(func, "__doc__", None)
    if not isinstance(doc, str) or not doc.strip():
        return fallback
    return doc.strip().splitlines()[0].strip()


def _callable_name(func: Callable[..., Any]) -> str:
    name = getattr(func, "__name__", None)
    return name if isinstance(name, str) else type(func).__name__


def register_strategy(
    name: str,
    *,
    tasks: tuple[AnyTask, ...] = TASKS,
    needs_proba: bool = True,
    needs_features: bool = False,
    needs_vectors: bool = False,
    needs_committee: bool = False,
    needs_texts: bool = False,
    needs_judge: bool = False,
) -> Callable[[Strategy], Strategy]:
    """Register a strategy under ``name`` (a decorator).

    The function is stored unchanged in :data:`STRATEGIES`; its docstring's first line becomes
    the entry's ``summary``. Registering the same name again is allowed only for a function of
    the same module and qualified name (a notebook cell that is run twice); anything else is a
    clash and raises.

    Parameters
    ----------
    name : str
        The name users pass as ``strategy=``. ``"default"`` is reserved.
    tasks : tuple of {"classification", "multilabel"}
        The tasks the strategy supports.
    needs_proba : bool
        Whether the strategy needs ``candidates.proba`` (a fitted model).
    needs_features : bool
        Whether the strategy reads ``candidates.X`` / ``candidates.X_labeled``.
    needs_vectors, needs_committee, needs_texts, needs_judge : bool
        Whether it reads ``candidates.vectors`` / ``vectors_labeled``, ``committee``,
        ``texts``, ``judge``.

    Returns
    -------
    callable
        A decorator that registers the function and returns it unchanged.

    Raises
    ------
    ConfigError
        If ``name`` is empty or reserved, ``tasks`` is empty or unknown, or another function is
        already registered under ``name``.

    Examples
    --------
    >>> import numpy as np
    >>> @register_strategy("head_first", tasks=("classification",), needs_proba=False)
    ... def head_first(candidates, batch_size, rng):
    ...     '''The first candidates of the pool (a toy).'''
    ...     k = check_candidates(candidates, batch_size, strategy="head_first",
    ...                          tasks=("classification",), needs_proba=False)
    ...     return Selection(np.arange(k), np.zeros(k), ("first",) * k, "head_first")
    >>> STRATEGIES["head_first"].summary
    'The first candidates of the pool (a toy).'
    >>> del STRATEGIES["head_first"]
    """
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"strategy name must be a non-empty string, got {name!r}")
    if name == "default":
        raise ConfigError("strategy name 'default' is reserved (it resolves via DEFAULT_STRATEGY)")
    unknown = [t for t in tasks if t not in ALL_TASKS]
    if not tasks or unknown:
        raise ConfigError(f"tasks must be a non-empty subset of {ALL_TASKS}, got {tasks!r}")

    def decorator(func: Strategy) -> Strategy:
        old = STRATEGIES.get(name)
        if old is not None and (
            getattr(old.func, "__module__", None) != getattr(func, "__module__", None)
            or getattr(old.func, "__qualname__", None) != getattr(func, "__qualname__", None)
        ):
            raise ConfigError(
                f"strategy {name!r} is already registered by "
                f"{getattr(old.func, '__module__', '?')}.{_callable_name(old.func)}; "
                "pick another name"
            )
        STRATEGIES[name] = StrategyInfo(
            name=name,
            func=func,
            tasks=frozenset(tasks),
            needs_proba=needs_proba,
            summary=_summary(func, f"user strategy {name!r}"),
            needs_features=needs_features,
            needs_vectors=needs_vectors,
            needs_committee=needs_committee,
            needs_texts=needs_texts,
            needs_judge=needs_judge,
        )
        return func

    return decorator


def _check_task(task: object) -> AnyTask:
    for known in ALL_TASKS:
        if task == known:
            return known
    raise ConfigError(f"task must be one of {ALL_TASKS}, got {task!r}")


def known_strategies(task: AnyTask) -> tuple[str, ...]:
    """Names of the registered strategies that support ``task``, sorted.

    Parameters
    ----------
    task : {"classification", "multilabel"}

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> known_strategies("multilabel")  # doctest: +NORMALIZE_WHITESPACE
    ('badge', 'binary_minimum', 'diverse_seed', 'judge_triage', 'kcenter', 'label_cardinality',
     'mean_max_loss', 'mean_max_loss_balance', 'mean_max_loss_density', 'mean_max_loss_kcenter',
     'qbc', 'random')
    """
    task = _check_task(task)
    return tuple(sorted(name for name, info in STRATEGIES.items() if task in info.tasks))


def get_strategy(strategy: str | Strategy, task: AnyTask) -> StrategyInfo:
    """Resolve a strategy name (or a user's function) for ``task``.

    Parameters
    ----------
    strategy : str or callable
        A registered name, ``"default"`` (resolved through :data:`DEFAULT_STRATEGY`), or a
        function with the :class:`Strategy` signature.
    task : {"classification", "multilabel"}

    Returns
    -------
    StrategyInfo
        The registry entry. ``"default"`` returns the entry of the strategy it stands for
        (its ``name`` is the real name). A callable that is not registered is wrapped as
        ``StrategyInfo(name=func.__name__, tasks=both, needs_proba=True,
        needs_features=True)``: it gets everything (register it to say it needs less).

    Raises
    ------
    ConfigError
        For an unknown name (the message lists the known names for ``task``), for a name
        registered for other tasks only, or for an unknown task.
    TypeError
        If ``strategy`` is neither a string nor callable.

    Examples
    --------
    >>> get_strategy("default", "classification").name
    'margin_density_kmeans'
    >>> try:
    ...     get_strategy("marginn", "classification")
    ... except ConfigError as err:
    ...     print(err)  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    strategy='marginn' is not a known strategy for task 'classification';
    did you mean 'margin'? known: badge, diverse_seed, entropy, ...
    """
    task = _check_task(task)
    if isinstance(strategy, str):
        name = DEFAULT_STRATEGY.get(task, strategy) if strategy == "default" else strategy
        info = STRATEGIES.get(name)
        known = known_strategies(task)
        if info is None:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(
                f"strategy={strategy!r} is not a known strategy for task {task!r}; "
                f"{hint}known: {', '.join(known)} (or pass your own function)"
            )
        if task not in info.tasks:
            supported = ", ".join(repr(t) for t in sorted(info.tasks))
            raise ConfigError(
                f"strategy={strategy!r} works for task {supported} only, not {task!r}; "
                f"known for {task!r}: {', '.join(known)}"
            )
        return info
    if callable(strategy):
        for info in STRATEGIES.values():
            if info.func is strategy:
                return get_strategy(info.name, task)
        own_info = getattr(strategy, "info", None)
        if callable(own_info):  # a composed strategy (jupyter_al.strategies.hybrid) knows its needs
            entry = own_info()
            if isinstance(entry, StrategyInfo):
                if task not in entry.tasks:
                    raise ConfigError(
                        f"strategy {entry.name!r} works for task "
                        f"{', '.join(repr(t) for t in sorted(entry.tasks))} only, not {task!r}"
                    )
                return entry
        name = _callable_name(strategy)
        return StrategyInfo(
            name=name,
            func=strategy,
            tasks=frozenset(TASKS),
            needs_proba=True,
            summary=_summary(strategy, f"user strategy {name!r}"),
            needs_features=True,
            needs_vectors=True,
            needs_texts=True,
        )
    raise TypeError(
        f"strategy must be a name (str) or a function (candidates, batch_size, rng) -> "
        f"Selection, got {type(strategy).__name__}"
    )


# ------------------------------------------------------------------------- validation


def check_candidates(
    candidates: Candidates,
    batch_size: int,
    *,
    strategy: str,
    tasks: tuple[AnyTask, ...] = ALL_TASKS,
    needs_proba: bool = True,
) -> int:
    """Check a strategy's inputs against the contract; return the number of items to pick.

    Every built-in strategy starts with this call; a user's own strategy can too.

    Parameters
    ----------
    candidates : Candidates
    batch_size : int
        Requested batch size (at least 1).
    strategy : str
        The calling strategy's name (used in the messages).
    tasks : tuple of {"classification", "multilabel"}
        Tasks the strategy supports.
    needs_proba : bool
        Whether ``candidates.proba`` is required.

    Returns
    -------
    int
        ``min(batch_size, candidates.n)``.

    Raises
    ------
    ConfigError
        ``batch_size < 1``; a task the strategy does not support; ``proba`` missing when
        needed (cold start); ``proba`` not of shape ``(n, len(classes))``; ``X`` rows not
        matching ``proba`` rows.
    PoolExhaustedError
        When there is no candidate left.

    Examples
    --------
    >>> import numpy as np
    >>> cands = Candidates("classification", ("a", "b"), np.array([[0.6, 0.4], [0.1, 0.9]]))
    >>> check_candidates(cands, 5, strategy="margin")
    2
    """
    try:
        k = operator.index(batch_size)
    except TypeError:
        k = 0
    if isinstance(batch_size, bool) or k < 1:
        raise ConfigError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    if candidates.task not in tasks:
        supported = " or ".join(repr(t) for t in tasks)
        raise ConfigError(
            f"strategy {strategy!r} works for task {supported}, got task {candidates.task!r}"
        )
    proba = candidates.proba
    if proba is None:
        if needs_proba:
            raise ConfigError(
                f"strategy {strategy!r} needs model probabilities (candidates.proba), got "
                "None: no model is fitted yet (cold start). Label a first batch chosen by "
                "'diverse_seed' or 'random', then switch to an uncertainty strategy."
            )
    else:
        shape = tuple(np.shape(proba))
        if len(shape) != 2 or shape[1] != len(candidates.classes):
            raise ConfigError(
                f"proba must have shape (n_candidates, {len(candidates.classes)}) to match "
                f"classes {candidates.classes!r}, got shape {shape}"
            )
        for what, arr in (("X", candidates.X), ("vectors", candidates.vectors)):
            if arr is not None and arr.shape[0] != shape[0]:
                raise ConfigError(
                    f"{what} has {arr.shape[0]} rows but proba has {shape[0]}: both must "
                    "describe the same candidates"
                )
    n = candidates.n
    if n == 0:
        raise PoolExhaustedError(
            f"strategy {strategy!r}: no unlabeled candidate left to select (candidates.n == 0)"
        )
    return min(k, n)


# ---------------------------------------------------------------------------- top_k


_KTH_BLOCK = 65_536


def _kth_largest(s: NDArray[np.float64], k: int) -> float:
    """Return the k-th largest value of ``s`` using block-sized memory, not a copy of ``s``.

    The global top k lie within the top k of their blocks, so the k-th largest of the union
    of every block's top k is the k-th largest overall (the same value as a full partition).
    """
    n = int(s.shape[0])
    if n <= 2 * _KTH_BLOCK or k > _KTH_BLOCK // 4:
        return float(np.partition(s, n - k)[n - k])
    tops = []
    for start in range(0, n, _KTH_BLOCK):
        block = s[start : start + _KTH_BLOCK]
        m = min(k, int(block.shape[0]))
        tops.append(np.partition(block, block.shape[0] - m)[block.shape[0] - m :])
    union = np.concatenate(tops)
    return float(np.partition(union, union.shape[0] - k)[union.shape[0] - k])


def top_k(scores: ArrayLike, k: int, rng: np.random.Generator) -> NDArray[np.intp]:
    """Positions of the ``k`` highest scores, best first, ties broken by ``rng``.

    O(n): ``np.partition`` finds the k-th largest value; only the items above it (and as many
    of the items equal to it as needed, drawn by ``rng``) are then ordered with
    ``np.lexsort`` on ``(random key, -score)``. The pool is never sorted nor shuffled.

    Parameters
    ----------
    scores : array-like of shape (n,)
        Higher = more wanted. ``inf`` and ``-inf`` are allowed, NaN is not.
    k : int
        How many to return; ``k > n`` returns all ``n``.
    rng : numpy.random.Generator
        Source of the tie-breaking keys.

    Returns
    -------
    ndarray of shape (min(k, n),), dtype intp

    Raises
    ------
    ConfigError
        If ``scores`` is not 1-D, contains NaN, or ``k < 0``.

    Examples
    --------
    >>> import numpy as np
    >>> top_k(np.array([0.1, 0.9, 0.5, 0.7]), 2, np.random.default_rng(0))
    array([1, 3])
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 1:
        raise ConfigError(f"scores must be 1-D of shape (n,), got shape {s.shape}")
    kk = operator.index(k)
    if kk < 0:
        raise ConfigError(f"k must be >= 0, got {k!r}")
    n = int(s.shape[0])
    kk = min(kk, n)
    if kk == 0:
        return np.empty(0, dtype=np.intp)
    nan = np.isnan(s)
    if nan.any():
        where = np.flatnonzero(nan)[:5].tolist()
        raise ConfigError(
            f"scores contain {int(nan.sum())} NaN value(s) (first at positions {where}); "
            "check the model's predict_proba output"
        )
    if kk == n:
        chosen = np.arange(n, dtype=np.intp)
    else:
        kth = _kth_largest(s, kk)
        above = np.flatnonzero(s > kth)
        tied = np.flatnonzero(s == kth)
        need = kk - int(above.shape[0])
        if need < tied.shape[0]:
            tied = rng.choice(tied, size=need, replace=False)
        chosen = np.concatenate([above, tied]).astype(np.intp, copy=False)
    keys = rng.random(chosen.shape[0])
    order = np.lexsort((keys, -s[chosen]))
    return chosen[order]


# ----------------------------------------------------------------- score functions


def _as_proba(proba: ArrayLike, name: str = "proba") -> NDArray[np.floating]:
    P = np.asarray(proba)
    if P.ndim != 2:
        raise ConfigError(
            f"{name} must be 2-D of shape (n_candidates, n_classes), got shape {P.shape}"
        )
    if not np.issubdtype(P.dtype, np.floating):
        P = P.astype(np.float64)
    return P


def _transposed_blocks(
    P: NDArray[np.floating], rows: int = _BLOCK_ROWS
) -> Iterator[tuple[slice, NDArray[np.float64]]]:
    """Yield ``(row slice, block)`` with ``block`` = ``P[rows].T`` as contiguous float64.

    The block is a reused buffer: consume it before asking for the next one.
    """
    n, c = P.shape
    buf = np.empty((c, min(rows, max(n, 1))), dtype=np.float64)
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        block = buf[:, : stop - start]
        np.copyto(block, P[start:stop].T)
        yield slice(start, stop), block


def _row_blocks(
    P: NDArray[np.floating], rows: int = _BLOCK_ROWS
) -> Iterator[tuple[slice, NDArray[np.floating]]]:
    n = P.shape[0]
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        yield slice(start, stop), P[start:stop]


def _margin_into(P: NDArray[np.floating]) -> NDArray[np.float64]:
    """``1 - (top1 - top2)`` per row of ``P`` (n, C >= 2), blocked.

    Only the output is pool-sized; the running top-2 lives in block-sized buffers (scoring a
    1M-row pool must stay within 10% of its feature matrix, see benchmarks/bench_memory.py).
    """
    n, c = P.shape
    out = np.empty(n, dtype=np.float64)
    size = min(_BLOCK_ROWS, max(n, 1))
    a_buf, b_buf, t_buf = (np.empty(size, dtype=np.float64) for _ in range(3))
    if c <= _TOP2_TRANSPOSE_MAX_COLS:
        for rows, T in _transposed_blocks(P):
            k = T.shape[1]
            a, b, t = a_buf[:k], b_buf[:k], t_buf[:k]
            np.maximum(T[0], T[1], out=a)
            np.minimum(T[0], T[1], out=b)
            for j in range(2, c):
                # running top-2: the second best is max(second, min(best, new)).
                np.minimum(a, T[j], out=t)
                np.maximum(b, t, out=b)
                np.maximum(a, T[j], out=a)
            # 1 - (m1 - m2) written as (1 - m1) + m2
            np.subtract(1.0, a, out=a)
            np.add(a, b, out=out[rows])
    else:
        for rows, B in _row_blocks(P):
            part = np.partition(B, c - 2, axis=1)
            k = part.shape[0]
            a, b = a_buf[:k], b_buf[:k]
            a[:] = part[:, c - 1]
            b[:] = part[:, c - 2]
            np.subtract(1.0, a, out=a)
            np.add(a, b, out=out[rows])
    return out


def least_confidence_scores(proba: ArrayLike) -> NDArray[np.float64]:
    """Least confidence: ``1 - max_j p_j`` per row (higher = more uncertain).

    Parameters
    ----------
    proba : array-like of shape (n, C)
        Class probabilities, rows summing to 1.

    Returns
    -------
    ndarray of shape (n,), dtype float64
        In ``[0, 1 - 1/C]`` for valid probabilities.

    Examples
    --------
    >>> least_confidence_scores([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]])
    array([0.1, 0.5, 0.2])
    """
    P = _as_proba(proba)
    n, c = P.shape
    out = np.empty(n, dtype=np.float64)
    if c == 0:
        raise ConfigError("proba has 0 columns; least confidence needs at least 1 class")
    if c <= _TRANSPOSE_MAX_COLS:
        for rows, T in _transposed_blocks(P):
            np.max(T, axis=0, out=out[rows])
    else:
        for rows, B in _row_blocks(P):
            out[rows] = B.max(axis=1)
    np.subtract(1.0, out, out=out)
    return out


def margin_scores(proba: ArrayLike) -> NDArray[np.float64]:
    """Margin uncertainty: ``1 - (p_(1) - p_(2))`` per row (higher = more uncertain).

    ``p_(1)`` and ``p_(2)`` are the largest and second largest class probabilities; the score
    is 1 when the two best classes tie and 0 when one class has all the mass. Known as
    "breaking ties" (Scheffer et al., IDA 2001); the "margin" of Bahri et al. (2022, "Is margin
    all you need?").

    Parameters
    ----------
    proba : array-like of shape (n, C), C >= 2
        Class probabilities.

    Returns
    -------
    ndarray of shape (n,), dtype float64
        In ``[0, 1]``.

    Raises
    ------
    ConfigError
        If ``C < 2``.

    Examples
    --------
    >>> margin_scores([[0.7, 0.2, 0.1], [0.4, 0.4, 0.2], [1.0, 0.0, 0.0]])
    array([0.5, 1. , 0. ])
    """
    P = _as_proba(proba)
    if P.shape[1] < 2:
        raise ConfigError(f"margin needs at least 2 classes, got proba of shape {P.shape}")
    return _margin_into(P)


def entropy_scores(proba: ArrayLike) -> NDArray[np.float64]:
    """Prediction entropy ``-sum_j p_j ln p_j`` in nats, with ``0 ln 0 = 0``.

    Parameters
    ----------
    proba : array-like of shape (n, C)
        Class probabilities.

    Returns
    -------
    ndarray of shape (n,), dtype float64
        In ``[0, ln C]``.

    Examples
    --------
    >>> entropy_scores([[0.5, 0.5], [1.0, 0.0]]).round(4)
    array([0.6931, 0.    ])
    """
    P = _as_proba(proba)
    n, c = P.shape
    out = np.empty(n, dtype=np.float64)
    tiny = np.finfo(np.float64).tiny
    ones = np.ones(c, dtype=np.float64)
    buf = np.empty((min(_BLOCK_ROWS, max(n, 1)), c), dtype=np.float64)
    for rows, B in _row_blocks(P):
        L = buf[: B.shape[0]]
        # ln(max(p, tiny)) is ln p for every normal p and finite for p == 0, so p * ln(...)
        # is exactly 0 there (0 ln 0 = 0) while a NaN input still propagates.
        np.maximum(B, tiny, out=L)
        np.log(L, out=L)
        L *= B
        # Row sums as a matrix-vector product: BLAS beats np.sum(axis=1) on narrow rows.
        np.matmul(L, ones, out=out[rows])
    np.negative(out, out=out)
    np.maximum(out, 0.0, out=out)  # -0.0 and rounding below 0 for one-hot rows
    return out


def binary_minimum_scores(proba: ArrayLike) -> NDArray[np.float64]:
    """Binary minimum: ``1 - 2 min_j |p_j - 0.5|``, the single most uncertain label.

    For independent per-label probabilities (binary relevance). Reference: Brinker, "On active
    learning in multi-label classification", GfKl 2006 (the ``BinaryMinimization`` of libact).

    Parameters
    ----------
    proba : array-like of shape (n, L)
        Probability that each label applies.

    Returns
    -------
    ndarray of shape (n,), dtype float64
        In ``[0, 1]``: 1 when some label sits at exactly 0.5.

    Examples
    --------
    >>> binary_minimum_scores([[0.9, 0.4], [0.0, 1.0]])
    array([0.8, 0. ])
    """
    P = _as_proba(proba)
    n, nl = P.shape
    if nl == 0:
        raise ConfigError("proba has 0 columns; binary minimum needs at least 1 label")
    out = np.empty(n, dtype=np.float64)
    for rows, B in _row_blocks(P):
        out[rows] = np.abs(B - 0.5).min(axis=1)
    out *= -2.0
    out += 1.0
    return out


def _predicted_positive(B: NDArray[np.floating]) -> NDArray[np.bool_]:
    """``p >= 0.5`` per label, and the argmax label where no label reaches 0.5."""
    yhat = B >= 0.5
    none = ~yhat.any(axis=1)
    if none.any():
        rows = np.flatnonzero(none)
        yhat[rows, B[rows].argmax(axis=1)] = True
    return yhat


def mean_max_loss_scores(proba: ArrayLike) -> NDArray[np.float64]:
    """Mean max loss: expected per-label loss of the predicted label vector (MMC).

    With the predicted vector ``yhat_j = +1`` if ``p_j >= 0.5`` else ``-1`` (and the argmax
    label set to +1 when no label reaches 0.5, so at least one label is predicted), the score
    is ``(1 / L) * sum_j (1 - yhat_j (2 p_j - 1)) / 2``: each label adds ``1 - p_j`` when
    predicted positive and ``p_j`` when predicted negative, i.e. the probability that this
    label of the prediction is wrong. This is the "maximum loss reduction with maximal
    confidence" of Yang et al., "Effective multi-label active learning for text
    classification", KDD 2009, with ``2 p - 1`` standing in for the SVM output and the 0.5
    threshold standing in for their label-count predictor.

    Parameters
    ----------
    proba : array-like of shape (n, L)
        Probability that each label applies.

    Returns
    -------
    ndarray of shape (n,), dtype float64
        In ``[0, 1)``; at most 0.5 unless the forced argmax label is below 0.5.

    Examples
    --------
    >>> mean_max_loss_scores([[0.9, 0.2], [0.3, 0.1]])
    array([0.15, 0.4 ])
    """
    P = _as_proba(proba)
    n, nl = P.shape
    if nl == 0:
        raise ConfigError("proba has 0 columns; mean max loss needs at least 1 label")
    out = np.empty(n, dtype=np.float64)
    for rows, B in _row_blocks(P):
        loss = np.minimum(B, 1.0 - B)
        m1 = B.max(axis=1)
        total = loss.sum(axis=1)
        # Where no label reaches 0.5, the argmax label is predicted positive: its term is
        # 1 - p instead of p.
        forced = m1 < 0.5
        total[forced] += 1.0 - 2.0 * m1[forced]
        out[rows] = total
    out /= nl
    return out


def _separation_margin(
    B: NDArray[np.floating],
) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.bool_]]:
    """Per row: margin between the weakest predicted label and the strongest other one.

    Returns ``(sep, count, yhat)``: ``sep = min_{yhat} p - max_{not yhat} p`` (with the
    negative side taken as 0 when every label is predicted), the predicted label count and the
    predicted label mask.
    """
    yhat = _predicted_positive(B)
    count = yhat.sum(axis=1).astype(np.intp)
    min_pos = np.where(yhat, B, np.inf).min(axis=1)
    max_neg = np.where(yhat, -np.inf, B).max(axis=1)
    np.maximum(max_neg, 0.0, out=max_neg)
    sep = np.asarray(min_pos - max_neg, dtype=np.float64)
    return sep, count, yhat


def label_cardinality_scores(
    proba: ArrayLike,
    mean_cardinality: float | None,
    *,
    beta: float = 0.5,
    eps: float = 0.01,
) -> NDArray[np.float64]:
    """Max-margin uncertainty combined with label cardinality inconsistency.

    Li & Guo, "Active learning with multi-label SVM classification", IJCAI 2013. With the
    predicted label set ``Y+ = {j : p_j >= 0.5}`` (the argmax label if empty) and ``Y-`` the
    rest, this computes on the probability scale::

        sep(x)  = min_{j in Y+} p_j - max_{j in Y-} p_j        (max over empty Y- = 0)
        u(x)    = 1 / max(sep(x), eps)                         max-margin uncertainty
        c(x)    = 1 + | |Y+| - mean_cardinality |              cardinality inconsistency
        score   = u(x) ** beta * c(x) ** (1 - beta)

    The paper's ``u^beta * c^(1-beta)``; the ``+1`` on ``c`` (as in small-text's
    AdaptiveActiveLearning) keeps a perfectly typical label count from zeroing the
    uncertainty, and ``eps`` bounds ``u`` by ``1 / eps``. The paper picks ``beta`` per query
    by retraining once per candidate; here it is a fixed weight. ``mean_cardinality=None``
    (nothing labeled yet) uses the margin term only (``beta = 1``).

    Parameters
    ----------
    proba : array-like of shape (n, L)
        Probability that each label applies.
    mean_cardinality : float or None
        Mean number of labels per labeled item.
    beta : float, default 0.5
        Weight of the margin term, in ``[0, 1]``.
    eps : float, default 0.01
        Floor of the separation margin, > 0.

    Returns
    -------
    ndarray of shape (n,), dtype float64
        In ``[1, (1/eps) ** beta * (1 + L) ** (1 - beta)]``.

    Raises
    ------
    ConfigError
        For ``beta`` outside ``[0, 1]``, ``eps <= 0`` or a negative ``mean_cardinality``.

    Examples
    --------
    >>> label_cardinality_scores([[0.9, 0.6, 0.1], [0.55, 0.45, 0.0]], 1.0).round(3)
    array([2.   , 3.162])
    """
    if not 0.0 <= beta <= 1.0:
        raise ConfigError(f"beta must be in [0, 1], got {beta!r}")
    if not eps > 0.0:
        raise ConfigError(f"eps must be > 0, got {eps!r}")
    if mean_cardinality is not None and not mean_cardinality >= 0.0:
        raise ConfigError(f"mean_cardinality must be >= 0 or None, got {mean_cardinality!r}")
    P = _as_proba(proba)
    n, nl = P.shape
    if nl == 0:
        raise ConfigError("proba has 0 columns; label cardinality needs at least 1 label")
    weight = 1.0 if mean_cardinality is None else beta
    out = np.empty(n, dtype=np.float64)
    for rows, B in _row_blocks(P):
        sep, count, _ = _separation_margin(B)
        u = 1.0 / np.maximum(sep, eps)
        if weight == 1.0:
            out[rows] = u
            continue
        c = 1.0 + np.abs(count - float(mean_cardinality or 0.0))
        out[rows] = u**weight * c ** (1.0 - weight)
    return out


# -------------------------------------------------------------------------- reasons


def _num(x: float) -> str:
    """Two decimals, or two significant digits for small non-zero values."""
    if x == 0 or abs(x) >= 0.005:
        return f"{x:.2f}"
    return f"{x:.1g}"


def _label(name: str) -> str:
    return repr(name)


def _selection(
    positions: NDArray[np.intp], scores: NDArray[np.float64], reasons: list[str], name: str
) -> Selection:
    return Selection(
        positions=np.asarray(positions, dtype=np.intp),
        scores=np.asarray(scores, dtype=np.float64),
        reasons=tuple(reasons),
        strategy=name,
    )


def _by_score(
    candidates: Candidates,
    batch_size: int,
    rng: np.random.Generator,
    *,
    name: str,
    task: Task,
    score: Callable[[NDArray[np.floating]], NDArray[np.float64]],
    reasons: Callable[[NDArray[np.float64], NDArray[np.float64], int], list[str]],
) -> Selection:
    """Shared body of the uncertainty strategies: score, top-k, then k reasons.

    ``reasons(rows, scores, n)`` gets the chosen rows of proba (k, C) in rank order and
    builds the k sentences (vectorised: reasons never cost more than the selection).
    """
    k = check_candidates(candidates, batch_size, strategy=name, tasks=(task,))
    P = _as_proba(candidates.proba if candidates.proba is not None else np.empty((0, 0)))
    scores = score(P)
    positions = top_k(scores, k, rng)
    chosen = scores[positions]
    rows = np.asarray(P[positions], dtype=np.float64)
    return _selection(positions, chosen, reasons(rows, chosen, candidates.n), name)


def _pick(rows: NDArray[np.float64], cols: NDArray[np.intp]) -> list[float]:
    """``rows[i, cols[i]]`` for every i, as Python floats."""
    return [float(x) for x in np.take_along_axis(rows, cols[:, None], axis=1)[:, 0]]


# ----------------------------------------------------------------------- strategies


@register_strategy("random", tasks=ALL_TASKS, needs_proba=False)
def _random(candidates: Candidates, batch_size: int, rng: np.random.Generator) -> Selection:
    """Uniformly random candidates: the baseline every other strategy must beat."""
    k = check_candidates(candidates, batch_size, strategy="random", needs_proba=False)
    n = candidates.n
    positions = rng.choice(n, size=k, replace=False).astype(np.intp)
    reasons = [f"random pick {i + 1} of {k} from {n:,} candidates (baseline)" for i in range(k)]
    return _selection(positions, np.zeros(k), reasons, "random")


@register_strategy("least_confidence", tasks=("classification",))
def _least_confidence(
    candidates: Candidates, batch_size: int, rng: np.random.Generator
) -> Selection:
    """Least confidence: the lowest top-class probability (Lewis & Gale, SIGIR 1994)."""
    classes = candidates.classes

    def reasons(rows: NDArray[np.float64], _s: NDArray[np.float64], n: int) -> list[str]:
        names = [_label(c) for c in classes]
        top = rows.argmax(axis=1)
        tail = f" of {n:,} candidates"
        return [
            f"least confidence: top class {names[t]} at {_num(p)}; rank {rank}{tail}"
            for rank, (t, p) in enumerate(zip(top.tolist(), _pick(rows, top), strict=True), 1)
        ]

    return _by_score(
        candidates,
        batch_size,
        rng,
        name="least_confidence",
        task="classification",
        score=least_confidence_scores,
        reasons=reasons,
    )


@register_strategy("margin", tasks=("classification",))
def _margin(candidates: Candidates, batch_size: int, rng: np.random.Generator) -> Selection:
    """Margin: the smallest gap between the two most probable classes (Scheffer et al., 2001)."""
    classes = candidates.classes

    def reasons(rows: NDArray[np.float64], _s: NDArray[np.float64], n: int) -> list[str]:
        names = [_label(c) for c in classes]
        order = np.argsort(-rows, axis=1, kind="stable")[:, :2]
        first, second = order[:, 0], order[:, 1]
        p1, p2 = _pick(rows, first), _pick(rows, second)
        tail = f" of {n:,} candidates by margin"
        return [
            f"margin {_num(a - b)} between {names[i1]} ({_num(a)}) and {names[i2]} "
            f"({_num(b)}): rank {rank}{tail}"
            for rank, (i1, i2, a, b) in enumerate(
                zip(first.tolist(), second.tolist(), p1, p2, strict=True), start=1
            )
        ]

    return _by_score(
        candidates,
        batch_size,
        rng,
        name="margin",
        task="classification",
        score=margin_scores,
        reasons=reasons,
    )


@register_strategy("entropy", tasks=("classification",))
def _entropy(candidates: Candidates, batch_size: int, rng: np.random.Generator) -> Selection:
    """Entropy: the highest prediction entropy over all classes (Settles, 2009)."""
    n_classes = len(candidates.classes)
    max_h = _num(math.log(n_classes)) if n_classes else "0.00"

    def reasons(_rows: NDArray[np.float64], s: NDArray[np.float64], n: int) -> list[str]:
        head = f" nats (max {max_h} for {n_classes} classes): rank "
        tail = f" of {n:,}"
        return [f"entropy {_num(h)}{head}{rank}{tail}" for rank, h in enumerate(s.tolist(), 1)]

    return _by_score(
        candidates,
        batch_size,
        rng,
        name="entropy",
        task="classification",
        score=entropy_scores,
        reasons=reasons,
    )


def _closest_to_half(rows: NDArray[np.float64], count: int) -> NDArray[np.intp]:
    """Per row, the ``count`` labels closest to 0.5, closest first (k, count)."""
    return np.argsort(np.abs(rows - 0.5), axis=1, kind="stable")[:, :count]


def _label_set(mask: NDArray[np.bool_], classes: tuple[str, ...], limit: int = 3) -> str:
    names = [_label(classes[j]) for j in np.flatnonzero(mask)]
    more = f" +{len(names) - limit} more" if len(names) > limit else ""
    return "{" + ", ".join(names[:limit]) + more + "}"


@register_strategy("binary_minimum", tasks=("multilabel",))
def _binary_minimum(candidates: Candidates, batch_size: int, rng: np.random.Generator) -> Selection:
    """Binary minimum: the single label closest to 0.5 (Brinker, 2006)."""
    classes = candidates.classes

    def reasons(rows: NDArray[np.float64], _s: NDArray[np.float64], n: int) -> list[str]:
        order = _closest_to_half(rows, 2)
        out = []
        for i in range(rows.shape[0]):
            j = int(order[i, 0])
            p = float(rows[i, j])
            text = (
                f"most uncertain label {_label(classes[j])} at {_num(p)} "
                f"(|p - 0.5| = {_num(abs(p - 0.5))})"
            )
            if order.shape[1] > 1:
                j2 = int(order[i, 1])
                text += f"; next {_label(classes[j2])} at {_num(float(rows[i, j2]))}"
            out.append(f"{text}: rank {i + 1} of {n:,} candidates by binary minimum")
        return out

    return _by_score(
        candidates,
        batch_size,
        rng,
        name="binary_minimum",
        task="multilabel",
        score=binary_minimum_scores,
        reasons=reasons,
    )


@register_strategy("mean_max_loss", tasks=("multilabel",))
def _mean_max_loss(candidates: Candidates, batch_size: int, rng: np.random.Generator) -> Selection:
    """Mean max loss: the largest expected per-label loss of the prediction (Yang et al., 2009)."""
    classes = candidates.classes

    def reasons(rows: NDArray[np.float64], s: NDArray[np.float64], n: int) -> list[str]:
        yhat = _predicted_positive(rows)
        order = _closest_to_half(rows, 2)
        out = []
        for i in range(rows.shape[0]):
            unsure = ", ".join(
                f"{_label(classes[j])} ({_num(float(rows[i, j]))})" for j in order[i]
            )
            out.append(
                f"expected loss {_num(float(s[i]))} per label; predicted "
                f"{_label_set(yhat[i], classes)}; least sure: {unsure}: "
                f"rank {i + 1} of {n:,} candidates by mean max loss"
            )
        return out

    return _by_score(
        candidates,
        batch_size,
        rng,
        name="mean_max_loss",
        task="multilabel",
        score=mean_max_loss_scores,
        reasons=reasons,
    )


@register_strategy("label_cardinality", tasks=("multilabel",))
def _label_cardinality(
    candidates: Candidates, batch_size: int, rng: np.random.Generator
) -> Selection:
    """Label cardinality: thin label margin x unusual label count (Li & Guo, 2013)."""
    classes = candidates.classes
    mean_card = candidates.mean_cardinality

    def score(P: NDArray[np.floating]) -> NDArray[np.float64]:
        return label_cardinality_scores(P, mean_card)

    def reasons(rows: NDArray[np.float64], s: NDArray[np.float64], n: int) -> list[str]:
        sep, count, yhat = _separation_margin(rows)
        weakest = np.where(yhat, rows, np.inf).argmin(axis=1)
        strongest = np.where(yhat, -np.inf, rows).argmax(axis=1)
        out = []
        for i in range(rows.shape[0]):
            cnt, w, o = int(count[i]), int(weakest[i]), int(strongest[i])
            if cnt < rows.shape[1]:
                margin = (
                    f"margin {_num(float(sep[i]))} between predicted {_label(classes[w])} "
                    f"({_num(float(rows[i, w]))}) and unpredicted {_label(classes[o])} "
                    f"({_num(float(rows[i, o]))})"
                )
            else:
                margin = (
                    f"all {cnt} labels predicted, weakest {_label(classes[w])} "
                    f"({_num(float(rows[i, w]))})"
                )
            if mean_card is None:
                card = f"predicts {cnt} label(s); no labeled cardinality yet, margin only"
            else:
                card = f"predicts {cnt} label(s) vs {mean_card:.1f} per labeled item"
            out.append(
                f"{card}; {margin}: rank {i + 1} of {n:,} candidates (score {_num(float(s[i]))})"
            )
        return out

    return _by_score(
        candidates,
        batch_size,
        rng,
        name="label_cardinality",
        task="multilabel",
        score=score,
        reasons=reasons,
    )


# ----------------------------------------------------------------- cold start seed

_Matrix = Any  # dense ndarray or scipy CSR: scipy-stubs cannot express the mixed algebra below


def _as_features(X: Any, name: str) -> _Matrix:
    try:
        return dv.as_rows(X, name)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


# the same kernels the composed strategies use (jupyter_al._diversity)
_sq_norms = dv.sq_norms
_dot = dv.block_dot


def _take(X: _Matrix, rows: NDArray[np.intp] | None, start: int, stop: int) -> _Matrix:
    return X[start:stop] if rows is None else X[rows[start:stop]]


def _restrict_columns(chunk: _Matrix, colmap: NDArray[np.intp] | None, n_used: int) -> _Matrix:
    """Map a CSR chunk onto the columns the centres were fitted on.

    Columns unused by the fitting sample have zero centre weight, so dropping them (data 0)
    leaves every dot product with a centre unchanged.
    """
    if colmap is None:
        return chunk
    idx = colmap[chunk.indices]
    keep = idx >= 0
    data = np.where(keep, chunk.data, 0.0)
    return sp.csr_matrix(
        (data, np.where(keep, idx, 0), chunk.indptr), shape=(chunk.shape[0], n_used)
    )


def _min_sq_dist(
    X: _Matrix,
    rows: NDArray[np.intp] | None,
    centres: _Matrix,
    colmap: NDArray[np.intp] | None = None,
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Nearest centre and its squared distance for each row of ``X[rows]``, chunked."""
    n = X.shape[0] if rows is None else rows.shape[0]
    csq = _sq_norms(centres)
    labels = np.empty(n, dtype=np.intp)
    d2 = np.empty(n, dtype=np.float64)
    for start in range(0, n, _BLOCK_ROWS):
        stop = min(start + _BLOCK_ROWS, n)
        chunk = _take(X, rows, start, stop)
        xsq = _sq_norms(chunk)
        G = _dot(_restrict_columns(chunk, colmap, centres.shape[1]), centres)
        G *= -2.0
        G += csq
        lab = np.argmin(G, axis=1)
        labels[start:stop] = lab
        d2[start:stop] = G[np.arange(stop - start), lab] + xsq
    np.maximum(d2, 0.0, out=d2)
    return labels, d2


def _fit_centres(Xfit: _Matrix, m: int, seed: int) -> NDArray[np.float64]:
    """k-means centres (m, n_features) of ``Xfit``; single-threaded so replay is exact."""
    if m == 1:
        return np.asarray(Xfit.mean(axis=0), dtype=np.float64).reshape(1, -1)
    # Lazy imports (noqa PLC0415): keep `import jupyter_al` light; the seed runs rarely.
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    n_init = 3 if Xfit.shape[0] <= _SEED_MULTI_INIT_MAX else 1
    # max_iter 100 (sklearn: 300): a seed needs spread, not convergence to 1e-4, and this
    # bounds the worst case (structureless data) to about a second per 20k x 100 fit.
    km = KMeans(n_clusters=m, n_init=n_init, max_iter=100, random_state=seed)
    # One OpenMP thread: sklearn's Lloyd sums thread buffers in lock order, so with several
    # threads the centres can differ in the last bits between runs and replay would drift.
    with threadpool_limits(limits=1, user_api="openmp"), warnings.catch_warnings():
        # Fewer distinct points than clusters: we fill those picks ourselves (see _seed_group).
        warnings.simplefilter("ignore", ConvergenceWarning)
        km.fit(Xfit)
    return np.asarray(km.cluster_centers_, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class _Group:
    """A share of the seed batch: candidates predicted as one class (or the whole pool)."""

    rows: NDArray[np.intp] | None  # positions in the pool; None = every candidate
    size: int
    quota: int
    label: str | None = None
    n_labeled: int = 0


@dataclass(frozen=True, slots=True)
class _Pick:
    pos: int
    score: float
    kind: Literal["centre", "all", "far_fill", "random_fill"]
    group: _Group
    cluster_size: int = 1
    n_clusters: int = 1
    distance: float | None = None


def _seed_groups(candidates: Candidates, k: int, rng: np.random.Generator) -> list[_Group]:
    """Split the batch across predicted classes; the fewer labels a class has, the more picks.

    Each predicted class present in the pool gets one pick (in order of fewest labels) while
    picks last; the rest go one at a time to the class with the largest
    ``w_c / (quota_c + 1)``, ``w_c = 1 / (1 + labels_c)`` (D'Hondt apportionment), never more
    than the candidates predicted as that class.
    """
    n = candidates.n
    whole = [_Group(rows=None, size=n, quota=k)]
    if candidates.proba is None:
        return whole
    P = _as_proba(candidates.proba)
    pred = P.argmax(axis=1)
    counts = np.bincount(pred, minlength=P.shape[1])
    present = np.flatnonzero(counts)
    if present.shape[0] < 2:
        return whole
    classes = candidates.classes
    labeled = np.array([int(candidates.label_counts.get(c, 0)) for c in classes])
    weight = 1.0 / (1.0 + labeled)
    priority = present[
        np.lexsort((rng.random(present.shape[0]), counts[present], -weight[present]))
    ]
    quota = np.zeros(P.shape[1], dtype=np.intp)
    quota[priority[:k]] = 1
    for _ in range(k - int(quota.sum())):
        room = priority[quota[priority] < counts[priority]]
        gain = weight[room] / (quota[room] + 1.0)
        quota[room[int(np.argmax(gain))]] += 1  # argmax: first = highest priority on ties
    order = np.argsort(pred, kind="stable").astype(np.intp)
    ends = np.cumsum(counts)
    return [
        _Group(
            rows=order[ends[c] - counts[c] : ends[c]],
            size=int(counts[c]),
            quota=int(quota[c]),
            label=classes[c],
            n_labeled=int(labeled[c]),
        )
        for c in priority
        if quota[c] > 0
    ]


def _fill(
    X: _Matrix,
    group: _Group,
    chosen: list[int],
    need: int,
    *,
    rng: np.random.Generator,
) -> list[_Pick]:
    """Farthest-first picks from the group, then random ones once only duplicates remain."""
    rows = group.rows
    size = group.size
    taken = np.zeros(size, dtype=bool)
    taken[chosen] = True
    if chosen:
        sel = np.asarray(chosen, dtype=np.intp)
        ref = _as_features(X[sel if rows is None else rows[sel]], "X")
        _, d2 = _min_sq_dist(X, rows, ref)
    else:
        d2 = np.full(size, np.inf)
    picks: list[_Pick] = []
    for _ in range(need):
        masked = np.where(taken, -1.0, d2)
        j = int(np.argmax(masked))
        if masked[j] <= 0.0:
            break
        taken[j] = True
        dist = math.sqrt(masked[j]) if np.isfinite(masked[j]) else None
        picks.append(
            _Pick(int(j if rows is None else rows[j]), 0.0, "far_fill", group, distance=dist)
        )
        ref = _as_features(X[[j] if rows is None else rows[[j]]], "X")
        _, dj = _min_sq_dist(X, rows, ref)
        np.minimum(d2, dj, out=d2)
    rest = need - len(picks)
    if rest > 0:
        free = np.flatnonzero(~taken)
        extra = rng.choice(free, size=rest, replace=False)
        picks.extend(
            _Pick(int(j if rows is None else rows[j]), 0.0, "random_fill", group) for j in extra
        )
    return picks


def _seed_group(
    X: _Matrix,
    X_labeled: _Matrix | None,
    group: _Group,
    k: int,
    rng: np.random.Generator,
) -> list[_Pick]:
    """k-means over one group: the candidate nearest each centre (see ``_diverse_seed``)."""
    rows, size, q = group.rows, group.size, group.quota
    share = q / k  # this group's part of the batch
    if q >= size:
        local = rng.permutation(size)
        return [
            _Pick(int(j if rows is None else rows[j]), share / size, "all", group) for j in local
        ]
    m = min(size, 2 * q if X_labeled is not None else q)
    if size > _SEED_FIT_MAX:
        sample = np.sort(rng.choice(size, size=_SEED_FIT_MAX, replace=False))
        Xfit = X[sample if rows is None else rows[sample]]
    else:
        Xfit = X if rows is None else X[rows]
    colmap: NDArray[np.intp] | None = None
    is_sparse = sp.issparse(Xfit)
    if is_sparse:
        used = np.flatnonzero(np.bincount(Xfit.indices, minlength=Xfit.shape[1]))
        if used.shape[0] < Xfit.shape[1] // 2:
            # Hashed TF-IDF: fit on the used columns only (dense centres over 2**18 columns
            # would cost n_clusters x 2 MB each), then map every chunk onto them.
            colmap = np.full(Xfit.shape[1], -1, dtype=np.intp)
            colmap[used] = np.arange(used.shape[0])
            Xfit = Xfit[:, used]
    m = min(m, Xfit.shape[0])
    centres = _fit_centres(Xfit, m, int(rng.integers(2**31 - 1)))
    labels, d2 = _min_sq_dist(X, rows, centres, colmap)
    sizes_all = np.bincount(labels, minlength=m)
    best = np.full(m, np.inf)
    np.minimum.at(best, labels, d2)
    tied = np.flatnonzero(d2 <= best[labels])
    tied = tied[rng.permutation(tied.shape[0])]  # random among exact duplicates
    cluster_ids, first = np.unique(labels[tied], return_index=True)
    reps = tied[first]
    sizes = sizes_all[cluster_ids]
    n_clusters = int(cluster_ids.shape[0])

    chosen: list[tuple[int, int, float | None]]
    if X_labeled is None:
        chosen = []
        for r, s in zip(reps[:q], sizes[:q], strict=True):
            chosen.append((int(r), int(s), None))
        novelty = [1.0] * len(chosen)
    else:
        chosen, novelty = _far_from_labeled(X, X_labeled, rows, reps, sizes=sizes, q=q)
    picks = [
        _Pick(
            pos=r if rows is None else int(rows[r]),
            score=share * (s / size) * nov,
            kind="centre",
            group=group,
            cluster_size=s,
            n_clusters=n_clusters,
            distance=dist,
        )
        for (r, s, dist), nov in zip(chosen, novelty, strict=True)
    ]
    if len(picks) < q:
        taken = [r for r, _, _ in chosen]
        picks.extend(_fill(X, group, taken, q - len(picks), rng=rng))
    return picks


def _far_from_labeled(
    X: _Matrix,
    X_labeled: _Matrix,
    rows: NDArray[np.intp] | None,
    reps: NDArray[np.intp],
    *,
    sizes: NDArray[np.intp],
    q: int,
) -> tuple[list[tuple[int, int, float | None]], list[float]]:
    """Greedily take the cluster representatives with the largest ``size x distance``.

    The distance is to the nearest labeled item or already taken representative, so a seed
    after one labeled class explores the other regions first, and spreads while doing so.
    """
    R = _as_features(X[reps if rows is None else rows[reps]], "X")
    rsq = _sq_norms(R)
    lsq = _sq_norms(X_labeled)
    dl = np.full(R.shape[0], np.inf)
    for start in range(0, X_labeled.shape[0], _BLOCK_ROWS):
        G = _dot(R, X_labeled[start : start + _BLOCK_ROWS])
        G *= -2.0
        G += lsq[start : start + _BLOCK_ROWS]
        np.minimum(dl, G.min(axis=1) + rsq, out=dl)
    dl = np.sqrt(np.maximum(dl, 0.0))
    RR = _dot(R, R)
    RR *= -2.0
    RR += rsq
    RR += rsq[:, None]
    RR = np.sqrt(np.maximum(RR, 0.0))
    scale = float(dl.max()) if dl.shape[0] and dl.max() > 0 else 1.0
    free = np.ones(R.shape[0], dtype=bool)
    chosen: list[tuple[int, int, float | None]] = []
    novelty: list[float] = []
    for _ in range(min(q, R.shape[0])):
        value = np.where(free, sizes * dl, -1.0)
        j = int(np.argmax(value))
        if value[j] <= 0.0:  # only exact copies of labeled/taken points left: biggest first
            j = int(np.argmax(np.where(free, sizes, -1)))
        free[j] = False
        chosen.append((int(reps[j]), int(sizes[j]), float(dl[j])))
        novelty.append(float(dl[j]) / scale)
        np.minimum(dl, RR[j], out=dl)
    return chosen, novelty


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _seed_reason(pick: _Pick, number: int, n: int) -> str:
    g = pick.group
    where = (
        f" among the {g.size:,} predicted {_label(g.label)} (a class with "
        f"{_count(g.n_labeled, 'label')} so far)"
        if g.label is not None
        else ""
    )
    if pick.kind == "all" and g.label is not None:
        return (
            f"cold start: the batch holds every candidate predicted {_label(g.label)} "
            f"({g.size:,}; a class with {_count(g.n_labeled, 'label')} so far)"
        )
    if pick.kind == "all":
        return f"cold start: the batch holds all {_count(g.size, 'candidate')}"
    if pick.kind == "far_fill":
        dist = "" if pick.distance is None else f" (distance {_num(pick.distance)})"
        return (
            f"cold start: farthest remaining candidate from those already chosen{dist}{where}; "
            "fewer distinct points than clusters"
        )
    if pick.kind == "random_fill":
        return f"cold start: random fill{where}: only duplicates of chosen candidates are left"
    text = (
        f"cold start: closest to the centre of cluster {number} of {pick.n_clusters} "
        f"({_count(pick.cluster_size, 'candidate')}, "
        f"{100.0 * pick.cluster_size / n:.1f}% of the pool){where}"
    )
    if pick.distance is not None:
        text += f"; {_num(pick.distance)} from the nearest labeled or chosen item"
    return text


@register_strategy("diverse_seed", tasks=ALL_TASKS, needs_proba=False, needs_features=True)
def _diverse_seed(candidates: Candidates, batch_size: int, rng: np.random.Generator) -> Selection:
    """Cold start: one representative per k-means cluster, spread over predicted classes.

    k-means (``n_clusters = batch_size``) is fitted on at most 20,000 sampled candidates and
    every candidate is assigned to its nearest centre; the candidate nearest each centre is
    picked, largest cluster first (score = the cluster's share of the pool). With ``proba``
    the batch is first split across predicted classes (more picks for classes with fewer
    labels, one at least for each class while picks last) and clustered per class. Without
    ``proba`` but with ``X_labeled``, ``2 x batch_size`` clusters are fitted and the
    representatives with the largest ``cluster size x distance to the nearest labeled or
    already chosen item`` are taken. Fewer distinct points than clusters: the remaining
    picks go farthest-first, then at random; a position is never repeated. Features are
    ``X`` (dense or CSR), else ``proba``. Cluster-based cold start as in Zhu et al., "Active
    learning with sampling by uncertainty and density", COLING 2008 and Hacohen et al.,
    "Active learning on a budget" (TypiClust), ICML 2022.
    """
    k = check_candidates(candidates, batch_size, strategy="diverse_seed", needs_proba=False)
    n = candidates.n
    if candidates.X is not None:
        X = _as_features(candidates.X, "X")
        X_labeled = candidates.X_labeled
    else:
        X = _as_features(candidates.proba, "proba")
        X_labeled = None  # labeled features live in X's space, not in proba's
    XL: _Matrix | None = None
    if X_labeled is not None and X_labeled.shape[0] > 0:
        XL = _as_features(X_labeled, "X_labeled")
        if XL.shape[1] != X.shape[1]:
            raise ConfigError(
                f"X_labeled has {XL.shape[1]} features but X has {X.shape[1]}: both must come "
                "from the same feature pipeline"
            )
    if k == n:
        positions = rng.permutation(n).astype(np.intp)
        reasons = [f"cold start: the batch takes every remaining candidate ({n:,} of {n:,})"] * n
        return _selection(positions, np.full(n, 1.0 / n), reasons, "diverse_seed")
    picks: list[_Pick] = []
    for group in _seed_groups(candidates, k, rng):
        picks.extend(_seed_group(X, XL, group, k, rng))
    scores = np.array([p.score for p in picks], dtype=np.float64)
    order = np.lexsort((rng.random(len(picks)), -scores))
    ordered = [picks[i] for i in order]
    # Number clusters within each group in the order they are shown (1 = first shown).
    seen: dict[int, int] = {}
    reasons = []
    for p in ordered:
        key = id(p.group)
        seen[key] = seen.get(key, 0) + (p.kind == "centre")
        reasons.append(_seed_reason(p, seen[key], n))
    positions = np.array([p.pos for p in ordered], dtype=np.intp)
    return _selection(positions, scores[order], reasons, "diverse_seed")


# Composed strategies (diversity, density, class balance, committees, BADGE) register
# themselves on import; imported last because they build on everything above.
# The judge-triage strategy (LLM judge, #7) registers itself the same way.
import jupyter_al._judging  # noqa: E402

# The extraction, ranking and regression strategies (#6) register themselves the same way.
import jupyter_al._tasks  # noqa: E402, F401
from jupyter_al._hybrid import Hybrid, hybrid  # noqa: E402
