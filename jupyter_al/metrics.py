"""Held-out metrics and learning-curve summaries.

:func:`evaluate` scores the model's probabilities on the held-out items. Built-in names:

========================  ============================================================
task                      metric names
========================  ============================================================
classification            accuracy, balanced_accuracy, f1_macro, f1_micro, f1_weighted,
                          precision_macro, recall_macro, matthews_corrcoef, cohen_kappa,
                          neg_log_loss, roc_auc_ovr -- and any name that
                          ``sklearn.metrics.get_scorer_names()`` lists
multilabel                f1_micro, f1_macro, f1_samples, hamming_loss, subset_accuracy,
                          jaccard_samples
========================  ============================================================

Predictions are the most probable class (ties: the first in the schema) for classification
and every label with probability >= 0.5 for multilabel. Every metric is higher-is-better
except ``hamming_loss`` (see :func:`higher_is_better`); losses are negated (``neg_log_loss``).
A metric that the held-out set cannot define (ROC AUC with one class present, say) is NaN.

:func:`area_under_curve` and :func:`labels_to_reach` summarise a learning curve.
"""

from __future__ import annotations

import difflib
import inspect
import math
import warnings
from functools import partial
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from sklearn import metrics as skm
from sklearn.base import BaseEstimator, ClassifierMixin

from jupyter_al._types import ALL_TASKS
from jupyter_al.exceptions import ConfigError, LabelError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from numpy.typing import ArrayLike, NDArray

    from jupyter_al._types import AnyTask, Task

__all__ = [
    "CLASSIFICATION_METRICS",
    "DEFAULT_METRIC",
    "MULTILABEL_METRICS",
    "STANDARD_METRICS",
    "area_under_curve",
    "evaluate",
    "higher_is_better",
    "labels_to_reach",
    "resolve_metric",
]

#: Built-in classification metrics.
CLASSIFICATION_METRICS: Final = (
    "accuracy",
    "balanced_accuracy",
    "f1_macro",
    "f1_micro",
    "f1_weighted",
    "precision_macro",
    "recall_macro",
    "matthews_corrcoef",
    "cohen_kappa",
    "neg_log_loss",
    "roc_auc_ovr",
)
#: Multilabel metrics.
MULTILABEL_METRICS: Final = (
    "f1_micro",
    "f1_macro",
    "f1_samples",
    "hamming_loss",
    "subset_accuracy",
    "jaccard_samples",
)
#: Extraction metrics: exact-match span scores (``jupyter_al.extraction.span_prf``).
EXTRACTION_METRICS: Final = (
    "span_f1_micro",
    "span_f1_macro",
    "span_precision_micro",
    "span_recall_micro",
    "span_precision_macro",
    "span_recall_macro",
)
#: Ranking metrics over held-out queries (``jupyter_al.ranking.evaluate_ranking``).
RANKING_METRICS: Final = ("ndcg@10", "ndcg@5", "map", "mrr")
#: Regression metrics (``jupyter_al.regression.evaluate``).
REGRESSION_METRICS: Final = ("rmse", "mae", "r2")
#: The metric each task reports when none is chosen.
DEFAULT_METRIC: Final[Mapping[str, str]] = {
    "classification": "f1_macro",
    "multilabel": "f1_micro",
    "extraction": "span_f1_micro",
    "ranking": "ndcg@10",
    "regression": "rmse",
}
#: Metrics :func:`evaluate` always returns besides the requested one.
STANDARD_METRICS: Final[Mapping[str, tuple[str, ...]]] = {
    "classification": ("accuracy", "f1_macro", "f1_micro"),
    "multilabel": ("f1_micro", "f1_macro", "hamming_loss", "subset_accuracy"),
}
_LOWER_IS_BETTER: Final = frozenset({"hamming_loss", "rmse", "mae"})
_BUILTIN: Final[Mapping[str, tuple[str, ...]]] = {
    "classification": CLASSIFICATION_METRICS,
    "multilabel": MULTILABEL_METRICS,
    "extraction": EXTRACTION_METRICS,
    "ranking": RANKING_METRICS,
    "regression": REGRESSION_METRICS,
}
# Errors a scikit-learn scorer raises when it does not fit the data (a regression scorer on
# string labels, a binary-only scorer on three classes...).
_SCORER_ERRORS: Final = (ValueError, TypeError, AttributeError, IndexError, KeyError)


def _check_task(task: str) -> None:
    if task not in ALL_TASKS:
        raise ConfigError(f"task must be one of {ALL_TASKS!r}, got {task!r}")


def resolve_metric(name: str, task: AnyTask, *, classes: Sequence[str] | None = None) -> str:
    """Check a metric name for a task and return it.

    Parameters
    ----------
    name : str
        A built-in name (see the module docstring) or, for classification, any scikit-learn
        scorer name (``sklearn.metrics.get_scorer_names()``).
    task : {"classification", "multilabel"}
    classes : sequence of str or None
        The label schema. When given, a scikit-learn scorer is tried once on a small made-up
        held-out set over these classes, so that one that cannot work (a regression scorer,
        a binary-only scorer on three classes) fails now rather than at the first round.

    Returns
    -------
    str

    Raises
    ------
    ConfigError
        An unknown name (the message lists the task's built-in names and suggests the
        closest), or a scorer that cannot score ``classes``.

    Examples
    --------
    >>> resolve_metric("f1_micro", "multilabel")
    'f1_micro'
    >>> resolve_metric("jaccard_macro", "classification", classes=("a", "b", "c"))
    'jaccard_macro'
    """
    _check_task(task)
    if not isinstance(name, str):
        raise ConfigError(f"metric must be a str, got {type(name).__name__} {name!r}")
    builtin = _BUILTIN[task]
    if name in builtin:
        return name
    if task == "classification" and name in skm.get_scorer_names():
        if classes is not None and len(classes) >= 2:
            _dry_run(name, tuple(str(c) for c in classes))
        return name
    known = list(builtin) + (list(skm.get_scorer_names()) if task == "classification" else [])
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    extra = (
        "; any scikit-learn scorer name (sklearn.metrics.get_scorer_names()) is also accepted"
        if task == "classification"
        else "; scikit-learn scorer names are accepted for classification only"
    )
    raise ConfigError(
        f"metric {name!r} is not known for task={task!r}; built-in: {', '.join(builtin)}"
        f"{extra}{hint}"
    )


def _dry_run(name: str, classes: tuple[str, ...]) -> None:
    """Score a made-up held-out set covering every class twice; raise if the scorer fails."""
    n_classes = len(classes)
    y = np.asarray(list(classes) * 2, dtype=object)
    proba = np.full((y.size, n_classes), 0.5 / max(n_classes - 1, 1))
    proba[np.arange(y.size), np.arange(y.size) % n_classes] = 0.5
    proba[:n_classes, :] = proba[:n_classes, ::-1]  # some errors, not a perfect score
    proba /= proba.sum(axis=1, keepdims=True)
    pred = np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]
    _scorer_value(name, y, pred, proba, classes)


def higher_is_better(name: str) -> bool:
    """Return whether a larger value of metric ``name`` is better.

    True for every metric but ``hamming_loss``, ``rmse`` and ``mae``: scikit-learn scorers
    negate losses (``neg_log_loss``), so they are higher-is-better too.

    Parameters
    ----------
    name : str

    Returns
    -------
    bool

    Examples
    --------
    >>> higher_is_better("f1_macro"), higher_is_better("hamming_loss")
    (True, False)
    """
    return name not in _LOWER_IS_BETTER


# --------------------------------------------------------------------------------------------
# evaluate
# --------------------------------------------------------------------------------------------


def evaluate(
    task: Task,
    y_true: Sequence[Any],
    proba: ArrayLike,
    classes: Sequence[str],
    metric: str,
) -> dict[str, float]:
    """Score held-out probabilities against the true labels.

    Parameters
    ----------
    task : {"classification", "multilabel"}
    y_true : sequence of str (classification) or of tuples of str (multilabel)
        The held-out items' labels, in the row order of ``proba``.
    proba : array-like of shape (n_items, n_classes)
        Columns in the order of ``classes``. Classification: class probabilities (rows are
        renormalised to sum to 1 for ``neg_log_loss``). Multilabel: the probability that
        each label applies.
    classes : sequence of str
        The label schema.
    metric : str
        The requested metric (see :func:`resolve_metric`).

    Returns
    -------
    dict of str to float
        The requested metric first, then the task's standard set (classification:
        accuracy, f1_macro, f1_micro; multilabel: f1_micro, f1_macro, hamming_loss,
        subset_accuracy). An undefined value is NaN.

    Raises
    ------
    ConfigError
        Empty ``y_true``, a ``proba`` of the wrong shape, an unknown metric, or a scikit-learn
        scorer that cannot score this data.
    LabelError
        A label in ``y_true`` outside ``classes``.

    Notes
    -----
    Averages over classes follow scikit-learn's functions with ``zero_division=0``: the
    classification macro averages run over the classes present in ``y_true`` or predicted
    (a schema class that is neither does not count), the multilabel ones over every label.
    ``f1_samples`` and ``jaccard_samples`` count an item with no true and no predicted label
    as perfect (``zero_division=1``), since "no label applies" is a valid answer.
    ``roc_auc_ovr`` averages one-vs-rest AUCs over the classes present in ``y_true``
    (scikit-learn's value when every class is present). No warning escapes.

    Examples
    --------
    >>> import numpy as np
    >>> proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    >>> evaluate("classification", ["a", "b", "b"], proba, ("a", "b"), "accuracy")["accuracy"]
    0.6666666666666666
    """
    if task not in ("classification", "multilabel"):
        raise ConfigError(
            "task must be one of ('classification', 'multilabel') here (class probabilities), "
            f"got {task!r}: extraction, ranking and regression are scored in their own modules"
        )
    _check_task(task)
    name = resolve_metric(metric, task)
    labels_schema = tuple(str(c) for c in classes)
    n = len(y_true)
    if n == 0:
        raise ConfigError("y_true is empty: expected at least one held-out label, got none")
    P = np.asarray(proba, dtype=np.float64)
    if P.shape != (n, len(labels_schema)):
        raise ConfigError(
            f"proba must have shape (len(y_true), len(classes)) = ({n}, {len(labels_schema)}), "
            f"got {P.shape}"
        )
    names = [name, *(m for m in STANDARD_METRICS[task] if m != name)]
    if task == "classification":
        y = np.asarray([str(v) for v in y_true], dtype=object)
        _check_labels(set(y.tolist()), labels_schema)
        pred = np.asarray(labels_schema, dtype=object)[np.argmax(P, axis=1)]
        return {m: _classification_value(m, y, pred, P, labels_schema) for m in names}
    Y_true = _indicator(y_true, labels_schema)
    Y_pred = P >= 0.5  # a label applies when the model gives it at least even odds
    return {m: _multilabel_value(m, Y_true, Y_pred) for m in names}


def _check_labels(seen: set[str], classes: tuple[str, ...]) -> None:
    outside = sorted(seen - set(classes))
    if outside:
        raise LabelError(
            f"y_true holds labels outside the schema {classes!r}: {tuple(outside[:10])!r}"
        )


def _indicator(y_true: Sequence[Any], classes: tuple[str, ...]) -> NDArray[np.bool_]:
    column = {c: j for j, c in enumerate(classes)}
    Y = np.zeros((len(y_true), len(classes)), dtype=bool)
    outside: set[str] = set()
    for i, labels in enumerate(y_true):
        if isinstance(labels, str):
            raise ConfigError(
                f"y_true must hold tuples of labels for task='multilabel', got str {labels!r}"
            )
        for label in labels:
            j = column.get(str(label))
            if j is None:
                outside.add(str(label))
            else:
                Y[i, j] = True
    if outside:
        _check_labels(outside, classes)
    return Y


def _quiet(func: Callable[[], float]) -> float:
    """Call a metric with its warnings (undefined metric, single class...) suppressed here only."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(func())


def _classification_value(
    name: str,
    y: NDArray[np.object_],
    pred: NDArray[np.object_],
    P: NDArray[np.float64],
    classes: tuple[str, ...],
) -> float:
    simple: dict[str, Callable[[], float]] = {
        "accuracy": lambda: skm.accuracy_score(y, pred),
        "balanced_accuracy": lambda: skm.balanced_accuracy_score(y, pred),
        "f1_macro": lambda: skm.f1_score(y, pred, average="macro", zero_division=0),
        "f1_micro": lambda: skm.f1_score(y, pred, average="micro", zero_division=0),
        "f1_weighted": lambda: skm.f1_score(y, pred, average="weighted", zero_division=0),
        "precision_macro": lambda: skm.precision_score(y, pred, average="macro", zero_division=0),
        "recall_macro": lambda: skm.recall_score(y, pred, average="macro", zero_division=0),
        "matthews_corrcoef": lambda: skm.matthews_corrcoef(y, pred),
        "cohen_kappa": lambda: skm.cohen_kappa_score(y, pred),
        "neg_log_loss": lambda: -skm.log_loss(y, _normalized(P), labels=list(classes)),
        "roc_auc_ovr": lambda: _roc_auc_ovr(y, P, classes),
    }
    if name in simple:
        return _quiet(simple[name])
    return _scorer_value(name, y, pred, P, classes)


def _normalized(P: NDArray[np.float64]) -> NDArray[np.float64]:
    """Rows scaled to sum to 1 (probabilities kept in float32 drift by ~1e-7)."""
    sums = P.sum(axis=1, keepdims=True)
    out = np.full_like(P, 1.0 / max(P.shape[1], 1))
    np.divide(P, sums, out=out, where=sums > 0)
    return out


def _roc_auc_ovr(y: NDArray[np.object_], P: NDArray[np.float64], classes: tuple[str, ...]) -> float:
    present = [j for j, c in enumerate(classes) if np.any(y == c)]
    if len(present) < 2:  # an AUC needs a positive and a negative class
        return math.nan
    if len(classes) == 2:  # binary: the positive class is the second, as in sklearn
        return float(skm.roc_auc_score(y == classes[1], P[:, 1]))
    return float(np.mean([skm.roc_auc_score(y == classes[j], P[:, j]) for j in present]))


def _multilabel_value(name: str, Y_true: NDArray[np.bool_], Y_pred: NDArray[np.bool_]) -> float:
    funcs: dict[str, Callable[[], float]] = {
        "f1_micro": lambda: skm.f1_score(Y_true, Y_pred, average="micro", zero_division=0),
        "f1_macro": lambda: skm.f1_score(Y_true, Y_pred, average="macro", zero_division=0),
        "f1_samples": lambda: skm.f1_score(Y_true, Y_pred, average="samples", zero_division=1),
        "hamming_loss": lambda: skm.hamming_loss(Y_true, Y_pred),
        "subset_accuracy": lambda: skm.accuracy_score(Y_true, Y_pred),
        "jaccard_samples": lambda: skm.jaccard_score(
            Y_true, Y_pred, average="samples", zero_division=1
        ),
    }
    return _quiet(funcs[name])


# --------------------------------------------------------------------------------------------
# Any scikit-learn scorer, through a stand-in estimator
# --------------------------------------------------------------------------------------------


class _Precomputed(ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # sklearn is untyped
    """A "fitted classifier" that answers with held-out predictions computed beforehand.

    ``X`` passed to it is the column vector of row positions ``0..n-1``; scikit-learn's
    scorers call ``predict`` / ``predict_proba`` on it and compare with ``y_true``.
    """

    def __init__(
        self,
        classes: NDArray[np.object_],
        pred: NDArray[np.object_],
        proba: NDArray[np.float64],
    ) -> None:
        self.classes = classes
        self.pred = pred
        self.proba = proba
        self.classes_ = classes

    def fit(self, X: Any, y: Any) -> _Precomputed:  # noqa: ARG002 - the estimator API
        return self

    def predict(self, X: Any) -> NDArray[np.object_]:
        return self.pred[np.asarray(X, dtype=np.intp).ravel()]

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        return self.proba[np.asarray(X, dtype=np.intp).ravel()]


def _schema_scorer(scorer: Any, classes: tuple[str, ...]) -> Any | None:
    """Return the scorer with the schema filled in where its metric needs it, or None.

    Binary schema: ``pos_label`` is the second class (string labels have no default
    positive class). Probability scorers: ``labels`` is the schema, so that classes absent
    from the held-out set do not break them.
    """
    func = getattr(scorer, "_score_func", None)
    response = getattr(scorer, "_response_method", "predict")
    kwargs = dict(getattr(scorer, "_kwargs", {}) or {})
    sign = getattr(scorer, "_sign", 1)
    if func is None:
        return None
    params = inspect.signature(func).parameters
    extra: dict[str, Any] = {}
    if "pos_label" in params and len(classes) == 2 and "pos_label" not in kwargs:
        extra["pos_label"] = classes[1]
    responses = (response,) if isinstance(response, str) else tuple(response)
    if "labels" in params and "labels" not in kwargs and set(responses) != {"predict"}:
        extra["labels"] = list(classes)
    if not extra:
        return None
    return skm.make_scorer(
        func, response_method=response, greater_is_better=sign > 0, **kwargs, **extra
    )


def _scorer_value(
    name: str,
    y: NDArray[np.object_],
    pred: NDArray[np.object_],
    P: NDArray[np.float64],
    classes: tuple[str, ...],
) -> float:
    scorer = skm.get_scorer(name)
    shim = _Precomputed(np.asarray(classes, dtype=object), pred, P)
    X = np.arange(y.size, dtype=np.intp).reshape(-1, 1)
    attempts = [s for s in (_schema_scorer(scorer, classes), scorer) if s is not None]
    error: Exception | None = None
    for attempt in attempts:
        try:
            return _quiet(partial(attempt, shim, X, y))
        except _SCORER_ERRORS as exc:
            error = exc
    raise ConfigError(
        f"metric {name!r} (a scikit-learn scorer) cannot score task='classification' with "
        f"classes {classes!r}: {error}"
    ) from error


# --------------------------------------------------------------------------------------------
# Learning-curve summaries
# --------------------------------------------------------------------------------------------


def _curve(
    n_labeled: ArrayLike, values: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x = np.asarray(n_labeled, dtype=np.float64).ravel()
    v = np.asarray(values, dtype=np.float64).ravel()
    if x.size != v.size or x.size == 0:
        raise ConfigError(
            "n_labeled and values must be non-empty and of the same length, "
            f"got {x.size} and {v.size}"
        )
    if np.any(np.diff(x) < 0):
        raise ConfigError(f"n_labeled must be non-decreasing, got {x.tolist()!r}")
    return x, v


def area_under_curve(n_labeled: ArrayLike, values: ArrayLike) -> float:
    """Return the normalised area under a learning curve: its mean value over the label range.

    The trapezoid rule over ``(n_labeled, values)`` divided by the width of the range
    ``n_labeled[-1] - n_labeled[0]``, so it is on the metric's scale (an AULC of 0.85 for
    accuracy means "0.85 on average while labeling"). One point gives its value; points that
    all share one ``n_labeled`` give their mean. Compare curves only over the same range.

    Parameters
    ----------
    n_labeled : array-like of shape (n_points,)
        Non-decreasing label counts.
    values : array-like of shape (n_points,)
        The metric at each count.

    Returns
    -------
    float

    Raises
    ------
    ConfigError
        Empty or unequal inputs, or a decreasing ``n_labeled``.

    Examples
    --------
    >>> area_under_curve([10, 20, 30], [0.5, 0.7, 0.7])
    0.65
    """
    x, v = _curve(n_labeled, values)
    width = x[-1] - x[0]
    if width == 0:
        return float(np.mean(v))
    return float(np.trapezoid(v, x) / width)


def labels_to_reach(
    n_labeled: ArrayLike,
    values: ArrayLike,
    target: float,
    *,
    higher_is_better: bool = True,
) -> int | None:
    """Return the first label count at which the curve reaches ``target``, or None.

    Reaching means ``value >= target`` (or ``value <= target`` with
    ``higher_is_better=False``, for a loss); NaN never reaches. Use it for "labels needed
    to get 95% of the full-data score".

    Parameters
    ----------
    n_labeled : array-like of shape (n_points,)
        Non-decreasing label counts.
    values : array-like of shape (n_points,)
    target : float
    higher_is_better : bool, default=True

    Returns
    -------
    int or None

    Examples
    --------
    >>> labels_to_reach([10, 20, 30], [0.5, 0.7, 0.8], 0.7), labels_to_reach([10], [0.5], 0.9)
    (20, None)
    """
    x, v = _curve(n_labeled, values)
    reached = v >= target if higher_is_better else v <= target
    hits = np.flatnonzero(reached)
    return int(x[hits[0]]) if hits.size else None
