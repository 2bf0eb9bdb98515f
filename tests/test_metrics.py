"""Tests of jupyter_al.metrics: hand-checked values, sklearn equality, scorer names, curves."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics as skm

from jupyter_al.exceptions import ConfigError, LabelError
from jupyter_al.metrics import (
    CLASSIFICATION_METRICS,
    DEFAULT_METRIC,
    MULTILABEL_METRICS,
    area_under_curve,
    evaluate,
    higher_is_better,
    labels_to_reach,
    resolve_metric,
)

CLASSES = ("a", "b", "c")


@pytest.fixture
def three_class() -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(0)
    y = rng.choice(CLASSES, 40).tolist()
    proba = rng.dirichlet(np.ones(3), 40)
    hits = rng.random(40) < 0.6  # make the model right more often than not
    for i in np.flatnonzero(hits):
        proba[i, CLASSES.index(y[i])] += 1.0
    return y, (proba / proba.sum(axis=1, keepdims=True)).astype(np.float32)


def _pred(proba: np.ndarray, classes: tuple[str, ...] = CLASSES) -> np.ndarray:
    return np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]


# --------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------


def test_accuracy_by_hand():
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])

    result = evaluate("classification", ["a", "b", "b"], proba, ("a", "b"), "accuracy")

    assert ["accuracy", "f1_macro", "f1_micro"] == list(result)
    assert 2 / 3 == result["accuracy"]
    assert 2 / 3 == result["f1_micro"]
    assert (2 / 3 + 2 / 3) / 2 == pytest.approx(result["f1_macro"])  # F1(a)=2/3, F1(b)=2/3


def test_requested_metric_comes_first_without_duplicates():
    proba = np.array([[0.9, 0.1], [0.2, 0.8]])

    result = evaluate("classification", ["a", "b"], proba, ("a", "b"), "matthews_corrcoef")

    assert ["matthews_corrcoef", "accuracy", "f1_macro", "f1_micro"] == list(result)
    assert all(isinstance(v, float) for v in result.values())


def test_ties_go_to_the_first_class():
    proba = np.array([[0.5, 0.5], [0.5, 0.5]])

    result = evaluate("classification", ["a", "b"], proba, ("a", "b"), "accuracy")

    assert 0.5 == result["accuracy"]


@pytest.mark.parametrize("metric", CLASSIFICATION_METRICS)
def test_builtin_classification_metrics_equal_sklearn(three_class, metric):
    y, proba = three_class
    pred = _pred(proba)
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "f1_macro": skm.f1_score(y, pred, average="macro"),
        "f1_micro": skm.f1_score(y, pred, average="micro"),
        "f1_weighted": skm.f1_score(y, pred, average="weighted"),
        "precision_macro": skm.precision_score(y, pred, average="macro"),
        "recall_macro": skm.recall_score(y, pred, average="macro"),
        "matthews_corrcoef": skm.matthews_corrcoef(y, pred),
        "cohen_kappa": skm.cohen_kappa_score(y, pred),
        "neg_log_loss": -skm.log_loss(
            y, proba.astype(np.float64) / proba.astype(np.float64).sum(axis=1, keepdims=True)
        ),
        "roc_auc_ovr": skm.roc_auc_score(y, proba.astype(np.float64), multi_class="ovr"),
    }[metric]

    result = evaluate("classification", y, proba, CLASSES, metric)

    assert expected == pytest.approx(result[metric], rel=1e-9)


def test_classes_absent_from_y_true_do_not_warn():
    # "c" is in the schema but neither true nor predicted; "b" is predicted but never true.
    y = ["a", "a", "a"]
    proba = np.array([[0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.9, 0.05, 0.05]])
    pred = _pred(proba)

    result = {
        m: evaluate("classification", y, proba, CLASSES, m)[m] for m in CLASSIFICATION_METRICS
    }

    assert 2 / 3 == result["accuracy"]
    assert skm.f1_score(y, pred, average="macro", zero_division=0) == result["f1_macro"]
    assert (
        skm.precision_score(y, pred, average="macro", zero_division=0) == result["precision_macro"]
    )
    assert math.isnan(result["roc_auc_ovr"])  # one class present: undefined
    assert -skm.log_loss(y, proba, labels=list(CLASSES)) == pytest.approx(result["neg_log_loss"])


def test_roc_auc_ovr_binary_and_over_present_classes():
    y2 = ["n", "y", "y", "n"]
    p2 = np.array([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4], [0.4, 0.6]])
    y3 = ["a", "b", "b", "a"]  # "c" absent
    p3 = np.array([[0.6, 0.3, 0.1], [0.1, 0.8, 0.1], [0.5, 0.4, 0.1], [0.3, 0.5, 0.2]])

    binary = evaluate("classification", y2, p2, ("n", "y"), "roc_auc_ovr")["roc_auc_ovr"]
    present = evaluate("classification", y3, p3, CLASSES, "roc_auc_ovr")["roc_auc_ovr"]

    assert 0.75 == binary
    expected = (
        skm.roc_auc_score([1, 0, 0, 1], p3[:, 0]) + skm.roc_auc_score([0, 1, 1, 0], p3[:, 1])
    ) / 2
    assert expected == present


def test_any_sklearn_scorer_name_works(three_class):
    y, proba = three_class
    pred = _pred(proba)

    result = evaluate("classification", y, proba, CLASSES, "jaccard_macro")
    adjusted = evaluate("classification", y, proba, CLASSES, "adjusted_rand_score")
    brier = evaluate("classification", y, proba, CLASSES, "neg_brier_score")

    assert skm.jaccard_score(y, pred, average="macro") == pytest.approx(result["jaccard_macro"])
    assert skm.adjusted_rand_score(y, pred) == pytest.approx(adjusted["adjusted_rand_score"])
    assert brier["neg_brier_score"] < 0


def test_binary_scorers_use_the_second_class_as_positive():
    y = ["neg", "pos", "pos", "neg", "pos"]
    proba = np.array([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4], [0.4, 0.6], [0.1, 0.9]])
    pred = _pred(proba, ("neg", "pos"))

    f1 = evaluate("classification", y, proba, ("neg", "pos"), "f1")["f1"]
    auc = evaluate("classification", y, proba, ("neg", "pos"), "roc_auc")["roc_auc"]

    assert skm.f1_score(y, pred, pos_label="pos") == f1
    assert skm.roc_auc_score([v == "pos" for v in y], proba[:, 1]) == auc


def test_probability_scorers_get_the_schema_labels():
    y = ["a", "b", "a"]  # "c" absent: top-k needs to know all classes
    proba = np.array([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.1, 0.3, 0.6]])

    result = evaluate("classification", y, proba, CLASSES, "top_k_accuracy")

    assert 2 / 3 == result["top_k_accuracy"]  # k=2: rows 0 and 1 hit, row 2 misses


def test_scorer_that_cannot_score_names_the_metric(three_class):
    y, proba = three_class

    with pytest.raises(ConfigError, match="metric 'r2' \\(a scikit-learn scorer\\) cannot score"):
        evaluate("classification", y, proba, CLASSES, "r2")
    with pytest.raises(ConfigError, match="metric 'roc_auc'"):
        evaluate("classification", y, proba, CLASSES, "roc_auc")


def test_evaluate_errors():
    proba = np.array([[0.9, 0.1]])

    with pytest.raises(ConfigError, match="y_true is empty"):
        evaluate("classification", [], np.zeros((0, 2)), ("a", "b"), "accuracy")
    with pytest.raises(ConfigError, match=r"proba must have shape .* = \(2, 2\), got \(1, 2\)"):
        evaluate("classification", ["a", "b"], proba, ("a", "b"), "accuracy")
    with pytest.raises(
        LabelError, match=r"y_true holds labels outside the schema \('a', 'b'\): \('z',\)"
    ):
        evaluate("classification", ["z"], proba, ("a", "b"), "accuracy")
    with pytest.raises(ConfigError, match="task must be one of"):
        evaluate("regression", ["a"], proba, ("a", "b"), "accuracy")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="task must be one of"):
        evaluate("sorting", ["a"], proba, ("a", "b"), "accuracy")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Multilabel
# --------------------------------------------------------------------------------------------


def test_multilabel_by_hand():
    y = [("a",), ("a", "b")]
    proba = np.array([[0.9, 0.1, 0.2], [0.8, 0.3, 0.1]])  # predicts {a}, {a}: one cell wrong

    result = evaluate("multilabel", y, proba, CLASSES, "hamming_loss")

    assert ["hamming_loss", "f1_micro", "f1_macro", "subset_accuracy"] == list(result)
    assert 1 / 6 == result["hamming_loss"]
    assert 0.5 == result["subset_accuracy"]
    assert 2 * 2 / (2 * 2 + 0 + 1) == result["f1_micro"]  # tp=2, fp=0, fn=1


@pytest.mark.parametrize("metric", MULTILABEL_METRICS)
def test_multilabel_metrics_equal_sklearn(metric):
    rng = np.random.default_rng(1)
    Y = rng.random((30, 3)) < 0.4
    proba = np.clip(Y * 0.6 + rng.random((30, 3)) * 0.5, 0, 1)
    y = [tuple(c for c, on in zip(CLASSES, row, strict=True) if on) for row in Y]
    P = proba >= 0.5
    expected = {
        "f1_micro": skm.f1_score(Y, P, average="micro", zero_division=0),
        "f1_macro": skm.f1_score(Y, P, average="macro", zero_division=0),
        "f1_samples": skm.f1_score(Y, P, average="samples", zero_division=1),
        "hamming_loss": skm.hamming_loss(Y, P),
        "subset_accuracy": skm.accuracy_score(Y, P),
        "jaccard_samples": skm.jaccard_score(Y, P, average="samples", zero_division=1),
    }[metric]

    result = evaluate("multilabel", y, proba, CLASSES, metric)

    assert expected == pytest.approx(result[metric])


def test_multilabel_empty_rows_and_unused_labels_do_not_warn():
    y = [(), ("a",)]
    proba = np.array([[0.1, 0.2, 0.3], [0.9, 0.1, 0.1]])  # both rows right; b, c never occur

    result = {m: evaluate("multilabel", y, proba, CLASSES, m)[m] for m in MULTILABEL_METRICS}

    assert 1.0 == result["f1_samples"]  # "no label applies", predicted as such, is right
    assert 1.0 == result["jaccard_samples"]
    assert 1.0 == result["subset_accuracy"]
    assert 0.0 == result["hamming_loss"]
    assert 1 / 3 == result["f1_macro"]  # b and c: zero_division=0


def test_multilabel_errors():
    proba = np.array([[0.9, 0.1, 0.1]])

    with pytest.raises(LabelError, match=r"\('z',\)"):
        evaluate("multilabel", [("a", "z")], proba, CLASSES, "f1_micro")
    with pytest.raises(ConfigError, match="must hold tuples of labels"):
        evaluate("multilabel", ["a"], proba, CLASSES, "f1_micro")


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


def test_resolve_metric():
    assert "f1_macro" == resolve_metric("f1_macro", "classification")
    assert "jaccard_macro" == resolve_metric("jaccard_macro", "classification")
    assert "hamming_loss" == resolve_metric("hamming_loss", "multilabel")
    assert "roc_auc" == resolve_metric("roc_auc", "classification", classes=("n", "y"))
    assert {
        "classification": "f1_macro",
        "multilabel": "f1_micro",
        "extraction": "span_f1_micro",
        "ranking": "ndcg@10",
        "regression": "rmse",
    } == dict(DEFAULT_METRIC)


def test_resolve_metric_unknown_lists_names_and_suggests():
    with pytest.raises(ConfigError) as info:
        resolve_metric("f1_marco", "classification")
    with pytest.raises(ConfigError) as info_ml:
        resolve_metric("jaccard_macro", "multilabel")

    message = str(info.value)
    assert "metric 'f1_marco' is not known for task='classification'" in message
    assert all(name in message for name in CLASSIFICATION_METRICS)
    assert "get_scorer_names()" in message
    assert "did you mean 'f1_macro'" in message
    assert all(name in str(info_ml.value) for name in MULTILABEL_METRICS)
    assert "classification only" in str(info_ml.value)


def test_resolve_metric_dry_run_with_classes():
    with pytest.raises(ConfigError, match="metric 'roc_auc'"):
        resolve_metric("roc_auc", "classification", classes=CLASSES)
    with pytest.raises(ConfigError, match="metric 'r2'"):
        resolve_metric("r2", "classification", classes=CLASSES)
    with pytest.raises(ConfigError, match="metric must be a str, got int"):
        resolve_metric(3, "classification")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="task must be one of"):
        resolve_metric("accuracy", "sorting")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="not known for task='ranking'; built-in: ndcg@10"):
        resolve_metric("accuracy", "ranking")
    assert resolve_metric("mrr", "ranking") == "mrr"
    assert resolve_metric("span_f1_macro", "extraction") == "span_f1_macro"
    assert resolve_metric("mae", "regression") == "mae"


def test_higher_is_better():
    assert higher_is_better("accuracy")
    assert higher_is_better("neg_log_loss")
    assert higher_is_better("jaccard_macro")
    assert not higher_is_better("hamming_loss")


# --------------------------------------------------------------------------------------------
# Curves
# --------------------------------------------------------------------------------------------


def test_area_under_curve():
    assert 0.65 == pytest.approx(area_under_curve([10, 20, 30], [0.5, 0.7, 0.7]))
    assert 0.625 == pytest.approx(area_under_curve([0, 10, 40], [0.0, 0.8, 0.6]))  # (4 + 21) / 40
    assert 0.4 == area_under_curve([10], [0.4])
    assert 0.5 == area_under_curve(np.array([5.0, 5.0]), np.array([0.4, 0.6]))


def test_area_under_curve_errors():
    with pytest.raises(ConfigError, match="same length, got 2 and 1"):
        area_under_curve([1, 2], [0.5])
    with pytest.raises(ConfigError, match="got 0 and 0"):
        area_under_curve([], [])
    with pytest.raises(ConfigError, match=r"n_labeled must be non-decreasing, got \[2.0, 1.0\]"):
        area_under_curve([2, 1], [0.5, 0.6])


def test_labels_to_reach():
    n = [10, 20, 30, 40]

    assert 20 == labels_to_reach(n, [0.5, 0.7, 0.65, 0.8], 0.7)
    assert labels_to_reach(n, [0.5, 0.6, 0.6, 0.6], 0.7) is None
    assert 30 == labels_to_reach(n, [0.3, 0.2, 0.1, 0.05], 0.1, higher_is_better=False)
    assert 40 == labels_to_reach(n, [np.nan, 0.5, 0.5, 0.9], 0.9)
    assert isinstance(labels_to_reach(np.array(n, dtype=np.float64), [1, 1, 1, 1], 1), int)
