"""Tests of jupyter_al._diversity: the kernels against brute-force references."""

import numpy as np
import pytest
import scipy.sparse as sp

from jupyter_al import _diversity as dv


def _naive_kcenter(X, k, X_labeled):
    """O(n^2) textbook greedy k-center: recompute every distance at every pick."""
    chosen = []
    centres = list(X_labeled)
    for _ in range(k):
        best, best_d = -1, -1.0
        for i, x in enumerate(X):
            if i in chosen:
                continue
            d = min(np.linalg.norm(x - c) for c in centres)
            if d > best_d:
                best, best_d = i, d
        chosen.append(best)
        centres.append(X[best])
    return chosen


@pytest.mark.parametrize("kind", ["dense", "sparse"])
def test_kcenter_matches_the_textbook_algorithm(kind):
    rng = np.random.default_rng(3)
    X = rng.random((60, 5))
    L = rng.random((4, 5))
    want = _naive_kcenter(X, 8, L)
    rows = sp.csr_matrix(X) if kind == "sparse" else X
    lab = sp.csr_matrix(L) if kind == "sparse" else L

    got, dists = dv.kcenter_greedy(rows, 8, np.random.default_rng(0), X_labeled=lab)

    assert want == got.tolist()
    assert (np.diff(dists) <= 1e-12).all(), "greedy distances never increase"


def test_kcenter_keeps_float32_rows_float32_and_agrees_with_float64():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((500, 16)).astype(np.float32)

    a, _ = dv.kcenter_greedy(X, 10, np.random.default_rng(0), X_labeled=X[:3])
    b, _ = dv.kcenter_greedy(X.astype(np.float64), 10, np.random.default_rng(0), X_labeled=X[:3])

    assert a.tolist() == b.tolist()


def test_kcenter_takes_one_member_per_group_while_others_remain():
    # rows 0-4 are far from everything else and from each other, but all in group 7
    X = np.vstack([np.eye(5) * 10, np.zeros((5, 5)) + 0.01 * np.arange(5)[:, None]])
    groups = np.array([7] * 5 + [-1] * 5)

    pos, _ = dv.kcenter_greedy(X, 4, np.random.default_rng(0), X_labeled=X[5:6], groups=groups)

    assert 1 == np.isin(pos, np.arange(5)).sum()


def test_kcenter_avoids_groups_that_hold_a_labeled_item():
    X = np.vstack([np.eye(3) * 10, np.ones((3, 3))])
    groups = np.array([1, 1, 1, -1, -1, -1])

    pos, _ = dv.kcenter_greedy(
        X, 3, np.random.default_rng(0), X_labeled=np.zeros((1, 3)), groups=groups, taken_groups={1}
    )

    assert {3, 4, 5} == set(pos.tolist())


def test_kcenter_without_labels_starts_at_random_and_is_reproducible():
    X = np.random.default_rng(0).random((30, 3))

    a, d = dv.kcenter_greedy(X, 5, np.random.default_rng(4))
    b, _ = dv.kcenter_greedy(X, 5, np.random.default_rng(4))

    assert a.tolist() == b.tolist()
    assert np.isinf(d[0])
    assert len(set(a.tolist())) == 5


def test_min_sq_dist_matches_brute_force_across_blocks(monkeypatch):
    monkeypatch.setattr(dv, "BLOCK_ROWS", 7)
    rng = np.random.default_rng(2)
    X, C = rng.random((30, 4)), rng.random((11, 4))
    want = ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2).min(axis=1)

    np.testing.assert_allclose(dv.min_sq_dist(X, C), want, atol=1e-12)
    np.testing.assert_allclose(dv.min_sq_dist(sp.csr_matrix(X), sp.csr_matrix(C)), want, atol=1e-12)


def test_knn_similarity_matches_brute_force_and_excludes_self(monkeypatch):
    monkeypatch.setattr(dv, "BLOCK_ROWS", 5)
    rng = np.random.default_rng(5)
    X = rng.random((23, 6))
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    S = unit @ unit.T
    np.fill_diagonal(S, -np.inf)
    want = np.sort(S, axis=1)[:, -4:].mean(axis=1)
    q = np.array([0, 7, 22])

    got = dv.knn_similarity(X[q], X, 4, exclude=q)

    np.testing.assert_allclose(got, want[q], atol=1e-12)


def test_kmeanspp_never_repeats_and_is_reproducible():
    X = np.random.default_rng(0).random((40, 3))

    a, _ = dv.kmeanspp_select(X, 12, np.random.default_rng(9), X_labeled=X[:2])
    b, _ = dv.kmeanspp_select(X, 12, np.random.default_rng(9), X_labeled=X[:2])

    assert a.tolist() == b.tolist()
    assert 12 == len(set(a.tolist()))


def test_kmeanspp_never_draws_a_zero_weight_row_while_others_have_weight():
    X = np.random.default_rng(0).random((20, 3))
    w = np.zeros(20)
    w[[2, 5, 9]] = 1.0

    pos, _ = dv.kmeanspp_select(X, 3, np.random.default_rng(0), weights=w)

    assert {2, 5, 9} == set(pos.tolist())


@pytest.mark.parametrize("task", ["classification", "multilabel"])
def test_badge_distances_equal_those_of_explicit_gradient_embeddings(task):
    rng = np.random.default_rng(7)
    n, C, d = 25, 3, 4
    P = rng.dirichlet(np.ones(C), size=n) if task == "classification" else rng.random((n, C))
    X = rng.random((n, d))
    A, _ = dv.gradient_embedding_parts(P, task)
    G = np.einsum("ic,id->icd", A, X).reshape(n, C * d)  # the embedding BADGE builds

    pos, norms, dists = dv.badge_select(A, X, 6, np.random.default_rng(0))

    assert int(np.argmax(np.linalg.norm(G, axis=1))) == pos[0]
    np.testing.assert_allclose(norms, np.linalg.norm(G[pos], axis=1))
    for j in range(1, 6):
        want = min(np.linalg.norm(G[pos[j]] - G[p]) for p in pos[:j])
        assert want == pytest.approx(dists[j], abs=1e-9)


def test_gradient_factor_is_p_minus_onehot_of_the_prediction():
    P = np.array([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4]])

    A, pred = dv.gradient_embedding_parts(P, "classification")

    np.testing.assert_allclose(A, [[-0.3, 0.2, 0.1], [0.3, 0.3, -0.6]])
    assert [0, 2] == pred.tolist()


def _blobs():
    rng = np.random.default_rng(5)
    centres = np.eye(6)[:3] * 4.0
    truth = np.repeat(np.arange(3), 15)
    return centres[truth] + 0.1 * rng.standard_normal((45, 6)), truth


@pytest.mark.parametrize("kind", ["dense", "sparse"])
def test_kmeans_clusters_recovers_separated_blobs(kind):
    X, truth = _blobs()
    rows = sp.csr_matrix(X) if kind == "sparse" else X

    labels = dv.kmeans_clusters(rows, 3, np.random.default_rng(0))

    assert 3 == len(set(labels.tolist()))
    for j in range(3):  # each blob is one cluster
        assert 1 == len(set(labels[truth == j].tolist()))


def test_kmeans_clusters_gives_the_same_partition_for_sparse_and_dense_rows():
    rng = np.random.default_rng(6)
    X = rng.random((80, 12))

    dense = dv.kmeans_clusters(X, 7, np.random.default_rng(1), X_labeled=X[:3])
    sparse = dv.kmeans_clusters(sp.csr_matrix(X), 7, np.random.default_rng(1), X_labeled=X[:3])

    assert dense.tolist() == sparse.tolist()


def test_kmeans_clusters_lowers_the_within_cluster_spread_of_its_seeding():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((200, 4))

    def inertia(labels):
        return sum(((X[labels == j] - X[labels == j].mean(0)) ** 2).sum() for j in set(labels))

    seeded = dv.kmeans_clusters(X, 8, np.random.default_rng(2), iterations=0)
    refined = dv.kmeans_clusters(X, 8, np.random.default_rng(2))

    assert inertia(refined) < inertia(seeded)


def test_as_rows_rejects_one_dimensional_input():
    with pytest.raises(ValueError, match="2-D"):
        dv.as_rows(np.ones(3))
