"""Tests of jupyter_al._model: features, the used-columns model, fitting and aligned scoring."""

from __future__ import annotations

import pickle
import time
import tracemalloc
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from jupyter_al._model import (
    Featurizer,
    MultilabelModel,
    UsedColumnsLogisticRegression,
    default_model,
    fit_classifier,
    fit_multilabel,
    model_version,
    predict_proba_aligned,
)
from jupyter_al.exceptions import ConfigError


def make_docs(n: int, n_classes: int, vocab: int, seed: int) -> pd.DataFrame:
    """Zipf-distributed words plus a few topic words per class: a TF-IDF problem."""
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(vocab)])
    p = 1.0 / np.arange(1, vocab + 1)
    p /= p.sum()
    topics = [rng.choice(vocab, 30, replace=False) for _ in range(n_classes)]
    y = rng.integers(0, n_classes, n)
    docs = []
    for c in y:
        picked = np.concatenate(
            [rng.choice(vocab, rng.integers(6, 20), p=p), rng.choice(topics[c], 3)]
        )
        docs.append(" ".join(words[picked]))
    return pd.DataFrame({"text": docs, "label": [f"c{c}" for c in y]})


@pytest.fixture(autouse=True)
def _one_blas_thread() -> Any:
    # The lbfgs fits here work on vectors of 1e4-1e5 weights; on a busy 2-core machine
    # OpenBLAS threads spin-wait on each tiny dot product and make fits 5-50x slower and
    # their timings noisy. One thread keeps the module fast and the speed comparison fair.
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def tfidf_problem() -> tuple[sp.csr_matrix, np.ndarray]:
    df = make_docs(2000, 5, 5000, seed=0)
    X = Featurizer.for_text("text").fit_transform(df)
    assert isinstance(X, sp.csr_matrix)
    return X, df["label"].to_numpy(dtype=object)


# --------------------------------------------------------------------------------------------
# Featurizer
# --------------------------------------------------------------------------------------------


def test_featurizer_text_fits_on_the_pool_only():
    pool = pd.DataFrame({"text": ["Good film", "bad film", "café noir"]})
    holdout = pd.DataFrame({"text": ["good unseen words", "cafe"]})

    featurizer = Featurizer.for_text("text").fit(pool)
    X = featurizer.transform(holdout)

    assert "text" == featurizer.kind
    assert ("text",) == featurizer.columns
    assert 8 == featurizer.n_features_  # good, film, bad, cafe, noir + 3 bigrams
    assert isinstance(X, sp.csr_matrix)
    assert np.float64 == X.dtype
    assert (2, 8) == X.shape
    assert [1, 1] == np.diff(X.indptr).tolist()  # only "good" and the accent-stripped "cafe"
    assert 0 == featurizer.n_imputed_


def test_featurizer_text_tolerates_missing_cells():
    df = pd.DataFrame({"text": ["red fox", None, np.nan, 42]})

    X = Featurizer.for_text("text").fit_transform(df)

    assert (4, 4) == X.shape  # red, fox, "red fox", 42
    assert [3, 0, 0, 1] == np.diff(X.indptr).tolist()


def test_featurizer_text_without_words():
    with pytest.raises(ConfigError, match="text column 'body' holds no words in any of its 2 rows"):
        Featurizer.for_text("body").fit(pd.DataFrame({"body": ["", "!"]}))


def test_featurizer_text_missing_column_suggests():
    with pytest.raises(ConfigError, match="did you mean 'text'"):
        Featurizer.for_text("txt").fit(pd.DataFrame({"text": ["a b"]}))


def test_featurizer_features_impute_and_scale():
    pool = pd.DataFrame(
        {
            "a": [1.0, np.nan, 3.0, 5.0],
            "b": pd.array([1, 2, None, 2], dtype="Int64"),
            "flag": [True, False, True, True],
            "empty": [np.nan] * 4,
        }
    )

    featurizer = Featurizer.for_features(["a", "b", "flag", "empty"]).fit(pool)
    X = featurizer.transform(pool)

    assert "features" == featurizer.kind
    assert 4 == featurizer.n_features_
    assert 6 == featurizer.n_imputed_
    assert {"a": 1, "b": 1, "empty": 4} == featurizer.imputed_columns_
    assert X.dtype == np.float64
    assert X.flags.c_contiguous
    np.testing.assert_allclose(X[:, :3].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X[:, :3].std(axis=0), 1.0)
    assert [0.0] * 4 == X[:, 3].tolist()  # an all-missing column stays, as zeros
    assert 3.0 == featurizer._imputer.statistics_[0]  # the median of 1, 3, 5


def test_featurizer_features_uses_pool_statistics_for_holdout():
    pool = pd.DataFrame({"a": [0.0, 2.0, 4.0]})
    featurizer = Featurizer.for_features(["a"]).fit(pool)

    X = featurizer.transform(pd.DataFrame({"a": [2.0, np.nan, 100.0]}))

    assert [0.0, 0.0] == X[:2, 0].tolist()
    assert X[2, 0] > 10


def test_featurizer_features_rejects_text_columns():
    df = pd.DataFrame({"x": [1.0, 2.0], "title": ["a", "b"]})

    with pytest.raises(ConfigError) as info:
        Featurizer.for_features(["x", "title"]).fit(df)

    message = str(info.value)
    assert "features column 'title'" in message
    assert "dtype str" in message or "dtype object" in message
    assert "text='title'" in message


def test_featurizer_features_missing_column():
    with pytest.raises(ConfigError, match="features names columns that are not in the data"):
        Featurizer.for_features(["x", "nope"]).fit(pd.DataFrame({"x": [1.0]}))


def test_featurizer_bad_construction_and_unfitted():
    with pytest.raises(ConfigError, match="kind must be 'text' or 'features', got 'image'"):
        Featurizer("image", ["x"])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="features needs at least one column"):
        Featurizer.for_features([])
    with pytest.raises(NotFittedError):
        Featurizer.for_text("t").transform(pd.DataFrame({"t": ["a"]}))
    with pytest.raises(NotFittedError):
        _ = Featurizer.for_features(["x"]).n_features_


# --------------------------------------------------------------------------------------------
# UsedColumnsLogisticRegression
# --------------------------------------------------------------------------------------------


def _compare(X_train: Any, y: np.ndarray, X_test: Any) -> tuple[Any, Any]:
    used = UsedColumnsLogisticRegression().fit(X_train, y)
    full = LogisticRegression(max_iter=1000).fit(X_train, y)

    assert full.classes_.tolist() == used.classes_.tolist()
    assert full.coef_.shape == used.coef_.shape
    np.testing.assert_allclose(used.predict_proba(X_test), full.predict_proba(X_test), atol=1e-6)
    np.testing.assert_allclose(
        used.decision_function(X_test), full.decision_function(X_test), atol=1e-5
    )
    np.testing.assert_allclose(used.coef_, full.coef_, atol=1e-5)
    return used, full


@pytest.mark.parametrize("n_classes", [2, 5])
def test_used_columns_equals_logistic_regression_on_tfidf(tfidf_problem, n_classes):
    X, labels = tfidf_problem
    keep = np.flatnonzero(np.isin(labels, [f"c{i}" for i in range(n_classes)]))
    train, test = keep[:200], keep[200:]

    used, full = _compare(X[train], labels[train], X[test])

    assert used.used_columns_.size < X.shape[1] / 3
    unused = np.setdiff1d(np.arange(X.shape[1]), used.used_columns_)
    assert 0.0 == np.abs(used.coef_[:, unused]).max()
    assert full.predict(X[test]).tolist() == used.predict(X[test]).tolist()


@pytest.mark.parametrize("n_classes", [2, 5])
def test_used_columns_equals_logistic_regression_dense(n_classes):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 12))
    X[:150, [3, 7]] = 0.0  # columns unused by the training rows
    signal = X[:, [0, 1, 2, 4, 5]][:, :n_classes] + 0.5 * rng.standard_normal((300, n_classes))
    y = np.array([f"k{i}" for i in range(n_classes)], dtype=object)[signal.argmax(axis=1)]

    used, _ = _compare(X[:150], y[:150], X[150:])

    assert [0, 1, 2, 4, 5, 6, 8, 9, 10, 11] == used.used_columns_.tolist()


def test_used_columns_is_faster_on_tfidf(tfidf_problem):
    X, labels = tfidf_problem
    X_train, y_train = X[:200], labels[:200]

    def best_of(model: Any, runs: int = 3) -> float:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            clone(model).fit(X_train, y_train)
            times.append(time.perf_counter() - start)
        return min(times)

    used = best_of(UsedColumnsLogisticRegression())
    full = best_of(LogisticRegression(max_iter=1000))

    assert used < full


def test_used_columns_sklearn_api():
    model = UsedColumnsLogisticRegression(C=0.5, class_weight="balanced")
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 2.0], [2.0, 0.0]])

    copy = clone(model).set_params(max_iter=50)
    fitted = copy.fit(X, ["a", "b", "a", "b"])

    assert {
        "C": 0.5,
        "max_iter": 1000,
        "tol": 1e-4,
        "class_weight": "balanced",
        "random_state": None,
    } == model.get_params()
    assert 50 == copy.get_params()["max_iter"]
    assert 2 == fitted.n_features_in_
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(fitted.predict_proba(X), restored.predict_proba(X))
    with pytest.raises(NotFittedError):
        model.predict(X)
    with pytest.raises(ValueError, match="one class"):
        clone(model).fit(X, ["a"] * 4)


def test_used_columns_all_zero_training_rows():
    X = sp.csr_matrix((4, 6))

    model = UsedColumnsLogisticRegression().fit(X, ["a", "b", "b", "b"])

    assert 0.0 == np.abs(model.coef_).max()
    assert ["b"] == model.predict(sp.csr_matrix(np.ones((1, 6)))).tolist()


# --------------------------------------------------------------------------------------------
# fit_classifier / fit_multilabel
# --------------------------------------------------------------------------------------------


def test_fit_classifier_clones_and_seeds():
    template = make_pipeline(StandardScaler(), LogisticRegression())
    X = np.array([[0.0], [1.0], [2.0], [3.0]])

    fitted, notes = fit_classifier(template, X, ["n", "n", "y", "y"], random_state=7)

    assert [] == notes
    assert 7 == fitted.get_params()["logisticregression__random_state"]
    assert template.get_params()["logisticregression__random_state"] is None
    assert not hasattr(template, "classes_")
    assert ["n", "y"] == fitted.classes_.tolist()


def test_fit_classifier_turns_convergence_warnings_into_notes(tfidf_problem):
    X, labels = tfidf_problem

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may escape
        fitted, notes = fit_classifier(
            UsedColumnsLogisticRegression(max_iter=1),
            X[:100],
            labels[:100].tolist(),
            random_state=0,
        )

    assert 1 == len(notes)
    assert notes[0].startswith("UsedColumnsLogisticRegression: ")
    assert "failed to converge" in notes[0]
    assert hasattr(fitted, "coef_")


class _Noisy(ClassifierMixin, BaseEstimator):
    def fit(self, X: Any, y: Any) -> _Noisy:
        warnings.warn("user warning from fit", UserWarning, stacklevel=1)
        self.classes_ = np.unique(y)
        return self


def test_fit_classifier_lets_other_warnings_through():
    with pytest.warns(UserWarning, match="user warning from fit"):
        _, notes = fit_classifier(_Noisy(), np.zeros((2, 1)), ["a", "b"], random_state=0)

    assert [] == notes


def test_fit_classifier_needs_two_labels():
    with pytest.raises(ConfigError) as info:
        fit_classifier(default_model("text"), np.zeros((3, 1)), ["pos"] * 3, random_state=0)
    with pytest.raises(ConfigError, match="X and y must have the same number of rows, got 3 and 2"):
        fit_classifier(default_model("text"), np.zeros((3, 1)), ["a", "b"], random_state=0)

    assert "y needs at least 2 distinct labels, got ('pos',)" == str(info.value)


def test_fit_multilabel_constant_columns():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 3))
    Y = np.zeros((10, 3), dtype=bool)
    Y[:, 0] = X[:, 0] > 0  # learnable
    Y[:, 2] = True  # always present

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model, notes = fit_multilabel(
            default_model("features"), X, Y, random_state=0, classes=["a", "b", "c"]
        )
    proba = model.predict_proba(X)

    assert [] == notes
    assert ("a", "b", "c") == model.classes_
    assert model.estimators_[0] is not None
    assert model.estimators_[1] is None
    assert model.estimators_[2] is None
    assert [1 / 12] * 10 == proba[:, 1].tolist()
    assert [11 / 12] * 10 == proba[:, 2].tolist()
    assert (proba[:, 0] > 0.5).tolist() == Y[:, 0].tolist()
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(proba, restored.predict_proba(X))
    assert "logreg-ovr-r2" == model_version(2, model)


def test_fit_multilabel_checks_shapes():
    with pytest.raises(ConfigError, match="Y must be a 2-D"):
        fit_multilabel(
            default_model("text"), np.zeros((2, 1)), np.zeros(2, dtype=bool), random_state=0
        )
    with pytest.raises(ConfigError, match="got 3 and 2"):
        fit_multilabel(
            default_model("text"), np.zeros((3, 1)), np.zeros((2, 2), dtype=bool), random_state=0
        )
    with pytest.raises(ConfigError, match="classes must name the 2 columns of Y, got 1"):
        fit_multilabel(
            default_model("text"),
            np.zeros((2, 1)),
            np.zeros((2, 2), dtype=bool),
            random_state=0,
            classes=["a"],
        )
    with pytest.raises(ConfigError, match="one entry per label"):
        MultilabelModel([None], np.zeros(2), ("a", "b"))


# --------------------------------------------------------------------------------------------
# predict_proba_aligned
# --------------------------------------------------------------------------------------------


def test_predict_proba_aligned_unseen_classes_get_zero():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    model, _ = fit_classifier(default_model("features"), X, ["c", "c", "a", "a"], random_state=0)

    proba = predict_proba_aligned(model, X, ("a", "b", "c", "d"), task="classification")

    assert np.float32 == proba.dtype
    assert (4, 4) == proba.shape
    assert [0.0] * 4 == proba[:, 1].tolist() == proba[:, 3].tolist()
    np.testing.assert_allclose(proba[:, [0, 2]], model.predict_proba(X), rtol=1e-6)


@pytest.mark.parametrize("kind", ["sparse", "dense", "coo", "csr_array"])
def test_predict_proba_aligned_chunks_equal_one_pass(tfidf_problem, kind):
    X, labels = tfidf_problem
    X = X[:103]
    if kind == "dense":
        X = X.toarray()
    elif kind == "coo":
        X = X.tocoo()
    elif kind == "csr_array":
        X = sp.csr_array(X)
    model, _ = fit_classifier(
        default_model("text"), sp.csr_matrix(X)[:60], labels[:60].tolist(), random_state=0
    )
    classes = ("c4", "c3", "c2", "c1", "c0", "zz")

    chunked = predict_proba_aligned(
        model, X, classes, task="classification", chunk_rows=7, dtype=np.float64
    )
    whole = predict_proba_aligned(
        model, X, classes, task="classification", chunk_rows=10**6, dtype=np.float64
    )
    direct = model.predict_proba(X)

    np.testing.assert_allclose(chunked, whole, rtol=1e-12)  # dense BLAS may round per block
    np.testing.assert_allclose(chunked[:, [4, 3, 2, 1, 0]], direct, rtol=1e-12)
    assert [0.0] * 103 == chunked[:, 5].tolist()


def test_predict_proba_aligned_any_sklearn_classifier():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 4))
    y = np.where(X[:, 0] > 0, "b", "a")
    model = GaussianNB().fit(X, y)

    proba = predict_proba_aligned(model, X, ("a", "b"), task="classification", chunk_rows=16)

    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=1e-5, atol=1e-7)


def test_predict_proba_aligned_multilabel():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    Y = np.array([[1, 0], [1, 0], [0, 0], [0, 0]], dtype=bool)
    model, _ = fit_multilabel(default_model("features"), X, Y, random_state=0, classes=("x", "y"))

    proba = predict_proba_aligned(model, X, ("y", "x"), task="multilabel", chunk_rows=3)

    np.testing.assert_allclose(proba, model.predict_proba(X)[:, ::-1], rtol=1e-6)


def test_predict_proba_aligned_errors():
    X = np.array([[0.0], [1.0]])
    model, _ = fit_classifier(default_model("features"), X, ["a", "b"], random_state=0)

    with pytest.raises(ConfigError, match=r"outside the schema \('a',\): \('b',\)"):
        predict_proba_aligned(model, X, ("a",), task="classification")
    with pytest.raises(ConfigError, match="chunk_rows must be a positive int, got 0"):
        predict_proba_aligned(model, X, ("a", "b"), task="classification", chunk_rows=0)
    with pytest.raises(ConfigError, match="task must be"):
        predict_proba_aligned(model, X, ("a", "b"), task="regression")  # type: ignore[arg-type]


def test_predict_proba_aligned_empty_pool():
    X = np.array([[0.0], [1.0]])
    model, _ = fit_classifier(default_model("features"), X, ["a", "b"], random_state=0)

    proba = predict_proba_aligned(model, np.zeros((0, 1)), ("a", "b"), task="classification")

    assert (0, 2) == proba.shape


def test_predict_proba_aligned_extra_memory_is_small():
    rng = np.random.default_rng(0)
    n, nnz, d = 100_000, 10, 2**15
    X = sp.csr_matrix(
        (
            rng.random(n * nnz),
            rng.integers(0, d, n * nnz, dtype=np.int32),
            np.arange(0, n * nnz + 1, nnz, dtype=np.int32),
        ),
        shape=(n, d),
    )
    before = (X.data.copy(), X.indices.copy())
    classes = tuple(f"c{i}" for i in range(10))
    y = np.array(classes, dtype=object)[rng.integers(0, 10, 500)]
    model = UsedColumnsLogisticRegression().fit(X[:500], y)
    size = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes

    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        proba = predict_proba_aligned(model, X, classes, task="classification", chunk_rows=4096)
        extra = tracemalloc.get_traced_memory()[1] - base - proba.nbytes
    finally:
        tracemalloc.stop()

    assert extra < 0.1 * size
    np.testing.assert_array_equal(before[0], X.data)  # chunks are views, never written
    np.testing.assert_array_equal(before[1], X.indices)


# --------------------------------------------------------------------------------------------
# default_model / model_version
# --------------------------------------------------------------------------------------------


def test_default_model_and_versions():
    assert isinstance(default_model("text"), UsedColumnsLogisticRegression)
    assert isinstance(default_model("features"), UsedColumnsLogisticRegression)
    with pytest.raises(ConfigError, match="kind must be 'text' or 'features', got 'audio'"):
        default_model("audio")

    assert "logreg-r3" == model_version(3, default_model("text"))
    assert "logreg-r0" == model_version(0, LogisticRegression())
    assert "GaussianNB-r1" == model_version(1, GaussianNB())
    assert "logreg-r4" == model_version(4, make_pipeline(StandardScaler(), LogisticRegression()))


def test_many_classes_with_few_labels_fit_without_warning_noise():
    """Early in active learning most classes have one or two labels: that is not a mistake."""
    import numpy as np

    from jupyter_al._model import default_model, fit_classifier

    X = np.eye(12)
    y = [f"c{i}" for i in range(10)] + ["c0", "c1"]
    fitted, _notes = fit_classifier(default_model("features"), X, y, random_state=0)

    assert 10 == len(fitted.classes_)
