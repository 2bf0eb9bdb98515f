"""Numeric kernels of the diversity-aware strategies: pure functions over row vectors.

Rows are dense arrays (embeddings, float32 kept as float32) or CSR matrices (TF-IDF rows).
Every kernel is incremental: distances to the labeled set are computed once, in row blocks,
then each pick costs one matrix-vector product over the candidates (``O((L + k) n d)`` in
all, the cost of reading the rows ``L/block + k`` times). No ``n x n`` matrix, and no
Python loop over the pool: the only Python loops run once per pick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from numpy.typing import NDArray

#: Rows per block when a block of rows meets a whole matrix (block x m distances).
BLOCK_ROWS = 4096

Rows = Any  # dense ndarray or scipy CSR: scipy-stubs cannot express the mixed algebra below


def as_rows(X: Any, name: str = "vectors") -> Rows:
    """Return ``X`` as a float CSR matrix or a 2-D float array (float32 stays float32).

    Raises
    ------
    ValueError
        If ``X`` is not 2-D.
    """
    is_sparse = sp.issparse(X)
    if is_sparse:
        M = sp.csr_matrix(X)
        if not np.issubdtype(M.dtype, np.floating):
            M = M.astype(np.float64)
        return M
    A = np.asarray(X)
    if A.ndim != 2:
        raise ValueError(f"{name} must be 2-D of shape (n, n_dims), got shape {A.shape}")
    if not np.issubdtype(A.dtype, np.floating):
        A = A.astype(np.float64)
    return A


def sq_norms(X: Rows) -> NDArray[np.float64]:
    """Squared Euclidean norm of every row."""
    if sp.issparse(X):
        sq = X.multiply(X).sum(axis=1)  # type: ignore[attr-defined]
        return np.asarray(sq, dtype=np.float64).ravel()
    return np.asarray(np.einsum("ij,ij->i", X, X, dtype=np.float64), dtype=np.float64)


def row_dot(X: Rows, i_row: Rows) -> NDArray[np.float64]:
    """``X @ x`` for one row ``x`` (a 1-row CSR or a 1-D array), as a dense float64 vector."""
    x_sparse: bool = sp.issparse(X)  # plain bools: TypeIs narrowing loses the CSR API in mypy
    row_sparse: bool = sp.issparse(i_row)
    if x_sparse:
        r = X @ (i_row.T if row_sparse else np.asarray(i_row).ravel())
        r_sparse: bool = sp.issparse(r)
        if r_sparse:
            r = r.toarray()
        return np.asarray(r, dtype=np.float64).ravel()
    v = np.asarray(i_row.toarray() if row_sparse else i_row).ravel()
    return np.asarray(X @ v.astype(X.dtype, copy=False), dtype=np.float64)


def block_dot(A: Rows, B: Rows) -> NDArray[np.float64]:
    """Return ``A @ B.T`` as a dense float64 array, for any mix of dense and sparse."""
    G = A @ B.T
    g_sparse: bool = sp.issparse(G)
    if g_sparse:
        G = G.toarray()
    return np.asarray(G, dtype=np.float64)


def min_sq_dist(X: Rows, C: Rows, xsq: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
    """Squared distance of each row of ``X`` to its nearest row of ``C`` (blocked over ``X``).

    Examples
    --------
    >>> import numpy as np
    >>> min_sq_dist(np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([[0.0, 0.0]])).tolist()
    [0.0, 25.0]
    """
    n = X.shape[0]
    if xsq is None:
        xsq = sq_norms(X)
    out = np.full(n, np.inf)
    if C.shape[0] == 0:
        return out
    csq = sq_norms(C)
    for start in range(0, n, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, n)
        for cstart in range(0, C.shape[0], BLOCK_ROWS):
            G = block_dot(X[start:stop], C[cstart : cstart + BLOCK_ROWS])
            G *= -2.0
            G += csq[cstart : cstart + BLOCK_ROWS]
            np.minimum(out[start:stop], G.min(axis=1) + xsq[start:stop], out=out[start:stop])
    np.maximum(out, 0.0, out=out)
    return out


def group_members(groups: NDArray[np.intp] | None, g: int) -> NDArray[np.intp]:
    """Positions of the members of group ``g`` (empty for ``g < 0`` or no groups)."""
    if groups is None or g < 0:
        return np.empty(0, dtype=np.intp)
    return np.flatnonzero(groups == g).astype(np.intp)


def blocked_mask(
    groups: NDArray[np.intp] | None, taken_groups: frozenset[int] | set[int]
) -> NDArray[np.bool_] | None:
    """Rows whose near-duplicate group already holds a labeled or chosen item (None: none)."""
    if groups is None or not taken_groups:
        return None
    return np.isin(groups, np.fromiter(taken_groups, dtype=np.intp, count=len(taken_groups)))


def _lower(
    d: NDArray[np.float64], dots: NDArray[np.float64], sq: NDArray[np.float64], i: int
) -> None:
    """Lower ``d`` (squared distances) to row ``i`` where closer: ``sq + sq[i] - 2 dots``."""
    dots *= -2.0
    dots += sq
    dots += sq[i]
    np.maximum(dots, 0.0, out=dots)
    np.minimum(d, dots, out=d)


def _allowed_rows(
    n: int, groups: NDArray[np.intp] | None, taken_groups: frozenset[int] | set[int]
) -> NDArray[np.bool_]:
    """Rows a draw may take: all but those of groups already taken (unless that is every row)."""
    allowed = np.ones(n, dtype=bool)
    blocked = blocked_mask(groups, taken_groups)
    if blocked is not None and not blocked.all():
        allowed &= ~blocked
    return allowed


def _d2_draw(
    allowed: NDArray[np.bool_],
    mass: NDArray[np.float64],
    positions: NDArray[np.intp],
    j: int,
    rng: np.random.Generator,
) -> int:
    """Draw the ``j``-th pick with probability proportional to ``mass`` among allowed rows.

    Only blocked rows left: they are let in again (but never a row already picked). No mass
    left (every allowed row coincides with a pick, or has zero weight): uniform.
    """
    if not allowed.any():
        allowed[:] = True
        allowed[positions[:j]] = False
    p = np.where(allowed, mass, 0.0)
    total = float(p.sum())
    if total <= 0.0 or not np.isfinite(total):
        p = allowed.astype(np.float64)
        total = float(p.sum())
    return int(rng.choice(allowed.shape[0], p=p / total))


def _close_group(allowed: NDArray[np.bool_], groups: NDArray[np.intp] | None, i: int) -> None:
    """Row ``i`` is picked: neither it nor its near-duplicate group may be drawn again."""
    allowed[i] = False
    if groups is not None and groups[i] >= 0:
        allowed[group_members(groups, int(groups[i]))] = False


def kcenter_greedy(
    X: Rows,
    k: int,
    rng: np.random.Generator,
    *,
    X_labeled: Rows | None = None,
    groups: NDArray[np.intp] | None = None,
    taken_groups: frozenset[int] | set[int] = frozenset(),
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Greedy k-center (the core-set of Sener & Savarese, ICLR 2018), incremental.

    Each pick is the row farthest from everything labeled or already picked; the distance is
    kept per row and lowered by one matrix-vector product per pick. Rows of a near-duplicate
    group (``groups[i] >= 0``) that already holds a labeled or picked item are not picked
    while other rows are left.

    Parameters
    ----------
    X : ndarray or CSR of shape (n, d)
        The candidates' vectors.
    k : int
        How many to pick (``<= n``).
    rng : numpy.random.Generator
        Picks the first row when nothing is labeled.
    X_labeled : ndarray or CSR of shape (L, d), optional
    groups : ndarray of shape (n,), optional
        Near-duplicate group of each row; -1 = in no group.
    taken_groups : set of int
        Groups that already hold a labeled item.

    Returns
    -------
    positions : ndarray of shape (k,)
        In pick order.
    distances : ndarray of shape (k,)
        Each pick's distance to the nearest labeled or earlier pick at the time it was
        picked (``inf`` for a first pick with nothing labeled).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.1], [5.0], [9.0]])
    >>> pos, d = kcenter_greedy(X, 2, np.random.default_rng(0), X_labeled=np.array([[0.0]]))
    >>> pos.tolist(), d.round(2).tolist()
    ([3, 2], [9.0, 4.0])
    """
    n = X.shape[0]
    xsq = sq_norms(X)
    if X_labeled is not None and X_labeled.shape[0] > 0:
        d = min_sq_dist(X, X_labeled, xsq)
    else:
        d = np.full(n, np.inf)
    blocked = blocked_mask(groups, taken_groups)
    if blocked is not None and not blocked.all():
        d[blocked] = -1.0  # below every real distance: taken only when nothing else is left
    positions = np.empty(k, dtype=np.intp)
    dists = np.empty(k, dtype=np.float64)
    for j in range(k):
        if j == 0 and np.isposinf(d).any() and not np.isfinite(d[d > -1.0]).any():
            # nothing labeled: the first pick is random among the rows not blocked
            i = int(rng.choice(np.flatnonzero(np.isposinf(d))))
        else:
            i = int(np.argmax(d))
        positions[j] = i
        dists[j] = float(np.sqrt(d[i])) if d[i] >= 0 else 0.0
        _lower(d, row_dot(X, X[i]), xsq, i)
        if groups is not None and groups[i] >= 0:
            d[group_members(groups, int(groups[i]))] = -1.0
        d[positions[: j + 1]] = -np.inf
    return positions, dists


def kmeanspp_select(
    X: Rows,
    k: int,
    rng: np.random.Generator,
    *,
    X_labeled: Rows | None = None,
    weights: NDArray[np.float64] | None = None,
    groups: NDArray[np.intp] | None = None,
    taken_groups: frozenset[int] | set[int] = frozenset(),
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """k-means++ (D² sampling) conditioned on the labeled set, optionally weighted.

    A row is drawn with probability proportional to ``weights x squared distance`` to the
    nearest labeled or drawn row (Arthur & Vassilvitskii, 2007); with uncertainty weights this
    is the seeding used by BADGE-like and weighted diverse mini-batch methods. Returns the
    positions and each pick's distance at the time it was drawn.
    """
    n = X.shape[0]
    xsq = sq_norms(X)
    if X_labeled is not None and X_labeled.shape[0] > 0:
        d = min_sq_dist(X, X_labeled, xsq)
    else:
        d = np.full(n, 1.0)  # uniform first draw
    w = np.ones(n) if weights is None else np.maximum(np.asarray(weights, dtype=np.float64), 0)
    allowed = _allowed_rows(n, groups, taken_groups)
    positions = np.empty(k, dtype=np.intp)
    dists = np.empty(k, dtype=np.float64)
    for j in range(k):
        i = _d2_draw(allowed, d * w, positions, j, rng)
        positions[j] = i
        dists[j] = float(np.sqrt(max(d[i], 0.0)))
        _lower(d, row_dot(X, X[i]), xsq, i)
        _close_group(allowed, groups, i)
    return positions, dists


def knn_similarity(
    Q: Rows,
    X: Rows,
    k: int = 10,
    *,
    exclude: NDArray[np.intp] | None = None,
) -> NDArray[np.float64]:
    """Mean cosine similarity of each row of ``Q`` to its ``k`` most similar rows of ``X``.

    The local density of information-density sampling (Settles & Craven, EMNLP 2008; Zhu et
    al., COLING 2008): a typical item has close neighbours, a lone outlier does not. Exact,
    blocked over ``X``: ``O(|Q| n d)`` with ``|Q|`` a few hundred candidates.

    Parameters
    ----------
    Q : ndarray or CSR of shape (m, d)
    X : ndarray or CSR of shape (n, d)
    k : int
        Neighbours averaged (fewer when ``X`` is smaller).
    exclude : ndarray of shape (m,), optional
        For each query, the row of ``X`` that is the query itself (never its own neighbour);
        -1 for none.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]])
    >>> knn_similarity(X, X, k=1, exclude=np.arange(3)).round(3).tolist()
    [0.995, 0.995, 0.1]
    """
    m, n = Q.shape[0], X.shape[0]
    qn = np.sqrt(sq_norms(Q))
    xn = np.sqrt(sq_norms(X))
    qn[qn == 0] = 1.0
    xn[xn == 0] = 1.0
    kk = max(1, min(k, n - (1 if exclude is not None else 0)))
    best = np.full((m, kk), -np.inf)
    rows = np.arange(m)
    for start in range(0, n, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, n)
        S = block_dot(Q, X[start:stop])
        S /= qn[:, None]
        S /= xn[start:stop]
        if exclude is not None:
            inside = (exclude >= start) & (exclude < stop)
            S[rows[inside], exclude[inside] - start] = -np.inf
        both = np.concatenate([best, S], axis=1)
        if both.shape[1] > kk:
            both = np.partition(both, both.shape[1] - kk, axis=1)[:, -kk:]
        best = both
    best[~np.isfinite(best)] = 0.0
    return np.asarray(best.mean(axis=1), dtype=np.float64)


def gradient_embedding_parts(
    proba: NDArray[np.floating], task: str
) -> tuple[NDArray[np.float64], NDArray[np.intp] | NDArray[np.bool_]]:
    """Return the per-class factor ``a`` of BADGE's last-layer gradient ``g = a (x) x``.

    For a linear model with softmax (or per-label sigmoid) output, the loss gradient with
    respect to the weights, taking the model's own prediction as the label, is the outer
    product of ``a = p - onehot(prediction)`` and the features ``x`` (Ash et al., ICLR 2020).
    The gradient is never materialised: ``<g_i, g_j> = <a_i, a_j> <x_i, x_j>``.
    """
    P = np.asarray(proba, dtype=np.float64)
    if task == "classification":
        pred = P.argmax(axis=1).astype(np.intp)
        A = P.copy()
        A[np.arange(P.shape[0]), pred] -= 1.0
        return A, pred
    on = P >= 0.5
    return P - on, on


def badge_select(
    A: NDArray[np.float64],
    X: Rows,
    k: int,
    rng: np.random.Generator,
    *,
    groups: NDArray[np.intp] | None = None,
    taken_groups: frozenset[int] | set[int] = frozenset(),
) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]:
    """k-means++ seeding over gradient embeddings ``a_i (x) x_i`` without building them.

    The first pick is the largest gradient (the most uncertain, large-norm item), then each
    pick is drawn with probability proportional to its squared gradient distance to the
    nearest pick: ``|g_i - g_c|² = |a_i|²|x_i|² + |a_c|²|x_c|² - 2 <a_i,a_c> <x_i,x_c>``.
    Cost per pick: ``O(n (C + d))``.

    Returns
    -------
    positions, gradient norms of the picks, and each pick's distance when drawn.
    """
    n = A.shape[0]
    asq = np.einsum("ij,ij->i", A, A)
    xsq = sq_norms(X)
    gsq = asq * xsq
    allowed = _allowed_rows(n, groups, taken_groups)
    d = np.full(n, np.inf)
    positions = np.empty(k, dtype=np.intp)
    dists = np.empty(k, dtype=np.float64)
    for j in range(k):
        if j == 0:
            i = int(np.argmax(np.where(allowed, gsq, -1.0)))
            dists[j] = float(np.sqrt(gsq[i]))
        else:
            i = _d2_draw(allowed, d, positions, j, rng)
            dists[j] = float(np.sqrt(max(d[i], 0.0)))
        positions[j] = i
        _lower(d, (A @ A[i]) * row_dot(X, X[i]), gsq, i)
        _close_group(allowed, groups, i)
    return positions, np.sqrt(gsq[positions]), dists


#: Lloyd iterations of :func:`kmeans_clusters` (it stops earlier once no row moves).
KMEANS_ITERATIONS = 10


def kmeans_clusters(
    X: Rows,
    k: int,
    rng: np.random.Generator,
    *,
    X_labeled: Rows | None = None,
    weights: NDArray[np.float64] | None = None,
    groups: NDArray[np.intp] | None = None,
    taken_groups: frozenset[int] | set[int] = frozenset(),
    iterations: int = KMEANS_ITERATIONS,
) -> NDArray[np.intp]:
    """Partition the rows into at most ``k`` clusters: k-means seeded by :func:`kmeanspp_select`.

    The seeds are the weighted k-means++ draws (distance-aware to the labeled rows, one per
    near-duplicate group), so the clusters start in regions the labels do not cover yet; then
    plain Lloyd iterations (Lloyd, 1982) move every row to its nearest centroid. A centroid is
    the mean of its rows, kept as ``A^T X`` with ``A`` the sparse (n, k) membership matrix: a
    sparse centroid for sparse rows, so no dense ``k x d`` block is ever made from TF-IDF
    rows. Cost per iteration: one product of ``X`` with the ``k`` centroids, ``O(nnz(X) k)``.

    Parameters
    ----------
    X : ndarray or CSR of shape (n, d)
    k : int
        Number of seeds (``<= n``); a cluster that empties stays empty.
    rng : numpy.random.Generator
        Drives the k-means++ draws.
    X_labeled : ndarray or CSR of shape (L, d), optional
    weights : ndarray of shape (n,), optional
        Weights of the k-means++ draws (the scores); the iterations are unweighted.
    groups, taken_groups
        Near-duplicate groups, as for :func:`kmeanspp_select` (seeds only).
    iterations : int
        At most this many Lloyd iterations.

    Returns
    -------
    ndarray of shape (n,)
        The cluster of each row, in ``0 .. k-1``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1]])
    >>> labels = kmeans_clusters(X, 2, np.random.default_rng(0))
    >>> len(set(labels[:3].tolist())), len(set(labels[3:].tolist())), bool(labels[0] != labels[3])
    (1, 1, True)
    """
    n = X.shape[0]
    seeds, _ = kmeanspp_select(
        X, k, rng, X_labeled=X_labeled, weights=weights, groups=groups, taken_groups=taken_groups
    )
    xsq = sq_norms(X)
    seed_rows = X[seeds]
    d = block_dot(X, seed_rows)
    d *= -2.0
    d += xsq[:, None]
    d += sq_norms(seed_rows)[None, :]
    assign = np.asarray(d.argmin(axis=1), dtype=np.intp)
    rows = np.arange(n)
    for _ in range(iterations):
        sizes = np.bincount(assign, minlength=k).astype(np.float64)
        live = sizes > 0
        A = sp.csr_matrix((1.0 / sizes[assign], (rows, assign)), shape=(n, k))
        C = A.T @ X  # the centroids (sparse for sparse rows)
        c_sparse: bool = sp.issparse(C)
        C = sp.csr_matrix(C) if c_sparse else np.asarray(C)
        d = block_dot(X, C)
        d *= -2.0
        d += xsq[:, None]
        d += sq_norms(C)[None, :]
        d[:, ~live] = np.inf
        new = np.asarray(d.argmin(axis=1), dtype=np.intp)
        if np.array_equal(new, assign):
            break
        assign = new
    return assign
