"""Regression: uncertainty from an ensemble or quantile models, the spread strategy, metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, r2_score

from jupyter_al.exceptions import ConfigError, LabelError
from jupyter_al.regression import (
    EnsembleRegressor,
    Prediction,
    QuantileRegressor,
    by_spread,
    check_target,
    evaluate,
)


@pytest.mark.parametrize("bad", ["high", None, float("nan"), float("inf"), True, [1.0]])
def test_targets_must_be_finite_numbers(bad: object) -> None:
    with pytest.raises(LabelError, match="item 3 must be a finite number"):
        check_target(bad, item_id=3)


def test_numbers_as_strings_are_accepted() -> None:
    assert check_target("2.5") == 2.5
    assert check_target(4) == 4.0


def test_ensemble_is_less_sure_away_from_the_data() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(60, 1))
    y = 3 * X[:, 0] + rng.normal(0, 0.1, 60)
    model = EnsembleRegressor(n_members=10, random_state=0).fit(X, y)
    d = model.predict_dist(np.array([[0.5], [5.0]]))
    assert d.spread[1] > 5 * d.spread[0]
    assert d.kind == "ensemble_std"
    np.testing.assert_allclose(d.high - d.low, 4 * d.spread)
    # deterministic for a seed
    again = EnsembleRegressor(n_members=10, random_state=0).fit(X, y).predict_dist(X)
    np.testing.assert_array_equal(again.point, model.predict_dist(X).point)


def test_ensemble_takes_sparse_rows_and_any_base_model() -> None:
    X, y = load_diabetes(return_X_y=True)
    Xs = sp.csr_matrix(X)
    d = (
        EnsembleRegressor(LinearRegression(), n_members=4)
        .fit(Xs[:300], y[:300])
        .predict_dist(Xs[300:])
    )
    assert d.point.shape == (142,)
    assert (d.spread > 0).all()
    assert r2_score(y[300:], d.point) > 0.3
    with pytest.raises(ConfigError, match="n_members"):
        EnsembleRegressor(n_members=1)
    with pytest.raises(ConfigError, match="at least two"):
        EnsembleRegressor().fit(X[:1], y[:1])


def test_quantile_interval_covers_about_its_share() -> None:
    X, y = load_diabetes(return_X_y=True)
    model = QuantileRegressor(alpha=0.1, random_state=0).fit(X[:330], y[:330])
    d = model.predict_dist(X[330:])
    inside = ((y[330:] >= d.low) & (y[330:] <= d.high)).mean()
    assert 0.55 < inside < 0.97  # an 80% interval, estimated on 112 held-out rows
    assert (d.low <= d.point).all()
    assert (d.point <= d.high).all()
    np.testing.assert_allclose(d.spread, d.high - d.low)
    with pytest.raises(ConfigError, match="dense"):
        QuantileRegressor().fit(sp.csr_matrix(X), y)
    with pytest.raises(ConfigError, match="alpha"):
        QuantileRegressor(alpha=0.7)


def test_spread_strategy_picks_the_widest_and_says_why() -> None:
    d = Prediction(
        np.array([1.0, 2.0, 3.0, 4.0]),
        np.array([0.2, 0.9, 0.5, 0.9]),
        np.array([0.0, 0.0, 2.0, 2.0]),
        np.array([2.0, 4.0, 4.0, 6.0]),
        "ensemble_std",
    )
    sel = by_spread(d, 3, np.random.default_rng(0))
    assert set(sel.positions[:2].tolist()) == {1, 3}
    assert sel.positions[2] == 2
    assert sel.strategy == "regression_spread"
    assert "ensemble sd 0.5: rank 3 of 4" in sel.reasons[2]
    assert "interval 2 to 4" in sel.reasons[2]
    with pytest.raises(ConfigError, match="batch_size"):
        by_spread(d, 0, np.random.default_rng(0))


def test_metrics_match_scikit_learn() -> None:
    t, p = [3.0, 1.0, 4.0, 1.5], [2.5, 1.0, 5.0, 2.0]
    out = evaluate(t, p)
    assert out["mae"] == pytest.approx(mean_absolute_error(t, p))
    assert out["rmse"] == pytest.approx(math.sqrt(np.mean((np.array(t) - np.array(p)) ** 2)))
    assert out["r2"] == pytest.approx(r2_score(t, p))
    assert math.isnan(evaluate([1.0, 1.0], [1.0, 2.0])["r2"])
    assert evaluate([], []) == {}
    with pytest.raises(ConfigError, match="one length"):
        evaluate([1.0], [1.0, 2.0])
