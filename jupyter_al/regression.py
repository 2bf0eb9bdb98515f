"""Regression (the interview's "other" task): models with uncertainty, strategies, metrics.

A numeric target gets a model that says how sure it is, so that uncertainty sampling has
something to work with:

- :class:`EnsembleRegressor`: scikit-learn's ``BaggingRegressor`` (bootstrap members of one
  base estimator, ridge regression by default); the spread of the members' predictions is the
  uncertainty (query by committee for regression, Burbidge et al. 2007).
- :class:`QuantileRegressor`: two gradient-boosted quantile models (``alpha`` and
  ``1 - alpha``) and a median model; the width of the interval is the uncertainty.

Both give :meth:`predict_dist` -> :class:`Prediction` (point, spread, interval). The
strategies rank a pool by that spread (:func:`by_spread`) and say why for each item; the
metrics are MAE, RMSE and R² (:func:`evaluate`). Targets are checked by :func:`check_target`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import BaggingRegressor, HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from jupyter_al.exceptions import ConfigError, LabelError
from jupyter_al.strategies import Selection, top_k

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "REGRESSION_METRICS",
    "EnsembleRegressor",
    "Prediction",
    "QuantileRegressor",
    "by_spread",
    "check_target",
    "evaluate",
]

#: Metric names for regression; the first is the default (lower is better for MAE and RMSE).
REGRESSION_METRICS = ("mae", "rmse", "r2")


def check_target(value: Any, *, item_id: Any = None, argument: str = "label") -> float:
    """Return a regression label as a finite float; a clear error otherwise.

    Examples
    --------
    >>> check_target("3.5")
    3.5
    >>> check_target("high", item_id=7)
    Traceback (most recent call last):
    ...
    jupyter_al.exceptions.LabelError: label of item 7 must be a finite number, got 'high'
    """
    where = f" of item {item_id!r}" if item_id is not None else ""
    if isinstance(value, bool):
        raise LabelError(f"{argument}{where} must be a finite number, got the bool {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise LabelError(f"{argument}{where} must be a finite number, got {value!r}") from None
    if not math.isfinite(number):
        raise LabelError(f"{argument}{where} must be a finite number, got {value!r}")
    return number


@dataclass(frozen=True, slots=True)
class Prediction:
    """Point predictions with their uncertainty, one entry per row.

    ``spread`` is what the strategies rank by: the members' standard deviation (ensemble) or
    the interval's width (quantile). ``low``/``high`` bound a central interval.
    """

    point: NDArray[np.float64]
    spread: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]
    kind: Literal["ensemble_std", "interval_width"]

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.point.shape[0])


class EnsembleRegressor:
    """Bootstrap ensemble of one base regressor; the members' spread is the uncertainty.

    Parameters
    ----------
    estimator : regressor, optional
        The base model (default ``Ridge(alpha=1.0)``: fast on TF-IDF rows and scaled numbers).
    n_members : int
        Bootstrap members (at least 2).
    random_state : int
        Seeds the bootstrap samples: the same data and seed give the same model.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(40, dtype=float).reshape(-1, 1); y = 2 * X[:, 0] + 1
    >>> d = EnsembleRegressor(random_state=0).fit(X, y).predict_dist(np.array([[10.0], [100.0]]))
    >>> bool(d.spread[1] > d.spread[0])  # farther from the data, less sure
    True
    """

    def __init__(self, estimator: Any = None, *, n_members: int = 8, random_state: int = 0) -> None:
        if isinstance(n_members, bool) or not isinstance(n_members, int) or n_members < 2:
            raise ConfigError(f"n_members must be an integer >= 2, got {n_members!r}")
        self.estimator = estimator
        self.n_members = n_members
        self.random_state = random_state

    def fit(self, X: Any, y: ArrayLike) -> EnsembleRegressor:
        """Fit the members on bootstrap samples of ``(X, y)``."""
        target = np.asarray(y, dtype=np.float64)
        if target.ndim != 1 or target.shape[0] < 2:
            raise ConfigError(f"y must hold at least two numbers, got shape {target.shape}")
        base = Ridge(alpha=1.0) if self.estimator is None else clone(self.estimator)
        self.model_ = BaggingRegressor(
            estimator=base,
            n_estimators=self.n_members,
            bootstrap=True,
            random_state=self.random_state,
        ).fit(X, target)
        return self

    def predict(self, X: Any) -> NDArray[np.float64]:
        """Return the ensemble's mean prediction."""
        return self.predict_dist(X).point

    def predict_dist(self, X: Any) -> Prediction:
        """Return the mean, the members' standard deviation and a ±2 sd interval."""
        model = self.model_
        members = np.stack(
            [
                np.asarray(est.predict(X[:, feats] if feats is not None else X), dtype=np.float64)
                for est, feats in zip(model.estimators_, _member_features(model), strict=True)
            ]
        )
        point = members.mean(axis=0)
        spread = members.std(axis=0, ddof=1)
        return Prediction(point, spread, point - 2 * spread, point + 2 * spread, "ensemble_std")


def _member_features(model: BaggingRegressor) -> list[Any]:
    """Return each member's feature subset (None when it saw every feature)."""
    n = model.n_features_in_
    return [
        None if len(feats) == n and np.array_equal(feats, np.arange(n)) else feats
        for feats in model.estimators_features_
    ]


class QuantileRegressor:
    """Gradient-boosted quantile models: the central interval's width is the uncertainty.

    Parameters
    ----------
    alpha : float
        The interval is the ``alpha`` to ``1 - alpha`` quantiles (default 0.1: an 80% interval).
    max_iter : int
        Boosting iterations per model.
    random_state : int

    Notes
    -----
    Dense input only (scikit-learn's histogram gradient boosting); for TF-IDF rows use
    :class:`EnsembleRegressor`.
    """

    def __init__(self, *, alpha: float = 0.1, max_iter: int = 100, random_state: int = 0) -> None:
        if not 0.0 < alpha < 0.5:
            raise ConfigError(f"alpha must be in (0, 0.5), got {alpha!r}")
        self.alpha = alpha
        self.max_iter = max_iter
        self.random_state = random_state

    def _model(self, quantile: float) -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(
            loss="quantile",
            quantile=quantile,
            max_iter=self.max_iter,
            random_state=self.random_state,
        )

    def fit(self, X: Any, y: ArrayLike) -> QuantileRegressor:
        """Fit the low, median and high quantile models."""
        if hasattr(X, "tocsr"):
            raise ConfigError(
                "QuantileRegressor needs dense features; use EnsembleRegressor for text (TF-IDF)"
            )
        target = np.asarray(y, dtype=np.float64)
        self.low_ = self._model(self.alpha).fit(X, target)
        self.mid_ = self._model(0.5).fit(X, target)
        self.high_ = self._model(1.0 - self.alpha).fit(X, target)
        return self

    def predict(self, X: Any) -> NDArray[np.float64]:
        """Return the median prediction."""
        return np.asarray(self.mid_.predict(X), dtype=np.float64)

    def predict_dist(self, X: Any) -> Prediction:
        """Return the median, the interval's width and its bounds (crossings repaired)."""
        lo = np.asarray(self.low_.predict(X), dtype=np.float64)
        hi = np.asarray(self.high_.predict(X), dtype=np.float64)
        lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
        mid = np.clip(self.predict(X), lo, hi)
        return Prediction(mid, hi - lo, lo, hi, "interval_width")


def by_spread(
    dist: Prediction, batch_size: int, rng: np.random.Generator, *, name: str = "regression_spread"
) -> Selection:
    """Select the ``batch_size`` items the model is least sure of (widest spread).

    Parameters
    ----------
    dist : Prediction
        The model's predictions over the candidates.
    batch_size : int
    rng : numpy.random.Generator
        Breaks ties.
    name : str
        The strategy's name in the selection.

    Examples
    --------
    >>> import numpy as np
    >>> d = Prediction(np.array([1.0, 2.0, 3.0]), np.array([0.1, 0.9, 0.5]),
    ...                np.zeros(3), np.zeros(3), "ensemble_std")
    >>> by_spread(d, 2, np.random.default_rng(0)).positions.tolist()
    [1, 2]
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size must be a positive integer, got {batch_size!r}")
    spread = np.asarray(dist.spread, dtype=np.float64)
    if not np.isfinite(spread).all():
        raise ConfigError("the model's spread holds NaN or infinite values")
    chosen = top_k(spread, min(batch_size, spread.shape[0]), rng)
    what = "ensemble sd" if dist.kind == "ensemble_std" else "80% interval width"
    n = spread.shape[0]
    reasons = tuple(
        f"prediction {dist.point[i]:.3g} (interval {dist.low[i]:.3g} to {dist.high[i]:.3g}), "
        f"{what} {spread[i]:.3g}: rank {rank} of {n:,} by uncertainty"
        for rank, i in enumerate(chosen.tolist(), start=1)
    )
    return Selection(chosen, spread[chosen], reasons, name)


def evaluate(y_true: Sequence[float] | ArrayLike, y_pred: ArrayLike) -> dict[str, float]:
    """Return MAE, RMSE and R² (R² is NaN with fewer than two items or a constant target).

    Examples
    --------
    >>> evaluate([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])["mae"]
    0.6666666666666666
    """
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    if t.shape != p.shape or t.ndim != 1:
        raise ConfigError(f"y_true and y_pred must be 1-D of one length, got {t.shape}, {p.shape}")
    if t.size == 0:
        return {}
    r2 = float(r2_score(t, p)) if t.size >= 2 and np.ptp(t) > 0 else math.nan
    return {
        "mae": float(mean_absolute_error(t, p)),
        "rmse": float(math.sqrt(mean_squared_error(t, p))),
        "r2": r2,
    }
