"""Exact and near-duplicate groups of texts, and duplicates between two sets (private).

Two passes, both linear or near-linear in the number of items:

* **exact**: texts equal after :func:`normalise_text` (Unicode NFKC, casefold, runs of
  whitespace collapsed). A hash join (:func:`pandas.factorize`), O(n).
* **near**: the exact groups, plus texts equal after the *loose* normalisation (punctuation
  and symbols dropped, every run of digits masked as ``0``: SMS duplicates often differ only
  in a phone number or a price), plus pairs whose cosine similarity is at least
  ``threshold``. The vectors are the caller's (sparse TF-IDF rows or dense embeddings) or,
  by default, character 4-gram TF-IDF of the loose texts. Groups are the connected
  components of those links, so exact groups always lie inside near groups. Like any
  single-linkage grouping, a chain ``a ~ b ~ c`` puts ``a`` and ``c`` in one group even when
  they are not similar themselves.

Why no MinHash (datasketch): its ``MinHash.update`` hashes one shingle per Python call
(about 20 million calls for 100k SMS-length texts), it estimates Jaccard rather than
computing a similarity, and the rest of the package already works in cosine on TF-IDF
rows. Here the sparse pass is exact and the dense pass verifies every candidate:

* sparse rows: *prefix filtering* (Bayardo, Ma & Srikant, "Scaling up all pairs similarity
  search", WWW 2007). Order the features rarest first; the prefix of a row is its shortest
  run of rarest features whose remaining suffix has norm below ``threshold``. Two unit rows
  with cosine >= ``threshold`` share a feature in both prefixes, so only pairs sharing a
  prefix feature (mostly rare ones) are ever compared. No pair above the threshold is missed.
* dense rows: blocked exact all-pairs up to ``exact_below`` rows (default 5,000); above
  it, random-hyperplane LSH (SimHash). Bits per band are fitted to the data (16 to 32, so
  that a band's expected number of chance candidates, estimated on 4,096 random pairs, stays
  below ``2 n``: anisotropic sentence embeddings need more bits than TF-IDF); bands are as
  many as give recall 0.99 for a pair exactly at ``threshold``, at most 64 (so recall at the
  threshold drops below 0.99 for thresholds under about 0.9 with 18+ bits). Candidates are
  screened on the Hamming distance of all bands' bits, then verified exactly: no false
  pair is ever reported, and a pair well above the threshold is practically always found.

Positions (``pos``) are integer positions into the sequence of texts given.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from jupyter_al.exceptions import ConfigError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

__all__ = [
    "DEFAULT_THRESHOLD",
    "DuplicateGroups",
    "DuplicatePairs",
    "Vectors",
    "cross_duplicates",
    "exact_groups",
    "find_duplicates",
    "near_duplicate_groups",
    "normalise_text",
    "normalise_texts",
    "similar_pairs",
    "text_vectors",
]

#: Sparse (CSR) or dense rows, one per item.
Vectors: TypeAlias = "sp.csr_matrix | sp.csr_array | NDArray[np.floating[Any]]"
Texts: TypeAlias = "Sequence[object] | pd.Series | NDArray[Any]"

#: Default cosine threshold for a near-duplicate pair.
DEFAULT_THRESHOLD: Final = 0.9
#: Dense rows up to this count are compared all-pairs (exactly); above it, LSH.
EXACT_BELOW: Final = 5_000
_MIN_BITS: Final = 16
_MAX_BITS: Final = 32
_MAX_BANDS: Final = 64
_LSH_RECALL: Final = 0.99
_SMALL_BUCKET: Final = 64  # larger LSH buckets are compared by one BLAS product each
_PAIR_CHUNK: Final = 16_384  # candidate pairs verified at a time (bounded gathers)
_BLOCK_CELLS: Final = 1 << 24  # entries of one similarity block (64 MiB of float32)
_EPS: Final = 1e-6  # float32 rounding margin on cosine comparisons

_WHITESPACE = re.compile(r"\s+")
_NON_WORD = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------


def normalise_text(s: object, *, loose: bool = False) -> str:
    r"""Return the key two texts are compared by.

    Always: Unicode NFKC (full-width letters and digits, ligatures and non-breaking spaces
    become their plain forms), casefold, runs of whitespace collapsed into one space,
    stripped. With ``loose=True`` (the near-duplicate pass only) also: every run of
    characters that are neither letters nor digits (punctuation, symbols, emoji, ``_``)
    becomes a space, and every run of digits becomes ``0``, so texts that differ only in a
    phone number, a price or a date match. Missing values (None, NaN) give ``""``; other
    non-strings are compared by ``str(s)``.

    Parameters
    ----------
    s : object
        A text.
    loose : bool, default False
        Drop punctuation and mask digit runs too.

    Returns
    -------
    str

    Examples
    --------
    >>> normalise_text("  Hello\u00a0 WORLD!! ")
    'hello world!!'
    >>> normalise_text("Call 0800-123 now, win £500!", loose=True)
    'call 0 0 now win 0'
    """
    if s is None or (isinstance(s, float) and math.isnan(s)):
        return ""
    text = s if isinstance(s, str) else str(s)
    text = unicodedata.normalize("NFKC", text).casefold()
    if loose:
        text = _DIGITS.sub("0", _NON_WORD.sub(" ", text))
    return " ".join(_WHITESPACE.split(text)).strip()


def normalise_texts(texts: Texts, *, loose: bool = False) -> NDArray[np.object_]:
    """Apply :func:`normalise_text` to every text.

    Parameters
    ----------
    texts : sequence of str, Series or ndarray
    loose : bool, default False

    Returns
    -------
    ndarray of str, shape (n,)

    Examples
    --------
    >>> normalise_texts(["A  b", None]).tolist()
    ['a b', '']
    """
    values = _as_objects(texts, argument="texts")
    out = np.empty(len(values), dtype=object)
    out[:] = [normalise_text(v, loose=loose) for v in values]
    return out


def _as_objects(texts: Texts, *, argument: str) -> NDArray[np.object_]:
    if isinstance(texts, str | bytes):
        raise ConfigError(f"{argument} must be a sequence of texts, got a single {type(texts)}")
    if isinstance(texts, pd.Series):
        return texts.to_numpy(dtype=object)
    arr = np.asarray(texts, dtype=object)
    if arr.ndim != 1:
        raise ConfigError(f"{argument} must be one-dimensional, got shape {arr.shape}")
    return arr


def _key_groups(keys: NDArray[np.object_]) -> NDArray[np.intp]:
    """Group id per row for equal non-empty keys, -1 for blank or unique keys."""
    codes, _ = pd.factorize(keys, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.intp)
    blank = keys == ""
    codes[blank] = -1
    return _compact(codes)


def _compact(labels: NDArray[np.intp]) -> NDArray[np.intp]:
    """Renumber labels 0.. by first appearance; labels held by one row only become -1."""
    out = np.full(len(labels), -1, dtype=np.intp)
    valid = labels >= 0
    if not valid.any():
        return out
    codes, _ = pd.factorize(labels[valid])
    codes = np.asarray(codes, dtype=np.intp)
    counts = np.bincount(codes)
    keep = counts >= 2
    new_id = np.cumsum(keep) - 1
    out[valid] = np.where(keep[codes], new_id[codes], -1)
    return out


def exact_groups(texts: Texts) -> NDArray[np.intp]:
    """Return a group id per text for texts equal after :func:`normalise_text`.

    Parameters
    ----------
    texts : sequence of str, Series or ndarray of shape (n,)

    Returns
    -------
    ndarray of intp, shape (n,)
        Group ids ``0 ..`` numbered by first appearance; -1 for a text with no duplicate
        (blank and missing texts are never grouped).

    Examples
    --------
    >>> exact_groups(["Hi there", "other", "hi  THERE", ""]).tolist()
    [0, -1, 0, -1]
    """
    return _key_groups(normalise_texts(texts))


# --------------------------------------------------------------------------------------------
# Vectors and similar pairs
# --------------------------------------------------------------------------------------------


def text_vectors(texts: Texts) -> sp.csr_matrix:
    """Character 4-gram TF-IDF of the loose texts: the default vectors of the near pass.

    Character n-grams survive typos, glued words and small edits that change word tokens.
    As scikit-learn's ``analyzer="char_wb"``, each word is padded with a space on both sides
    and no 4-gram spans two words (common cross-word grams like ``"e yo"`` would make many
    more candidate pairs); one-letter words give no gram. The 4-grams are
    hashed to 64 bits in one vectorised pass over all texts (instead of a Python loop per
    word), counted, weighted by sublinear tf and smoothed idf (as
    ``TfidfVectorizer(sublinear_tf=True)``) and L2-normalised; float32.

    Parameters
    ----------
    texts : sequence of str, Series or ndarray of shape (n,)

    Returns
    -------
    csr_matrix of shape (n, n_distinct_4grams)
        A text without a word of 2 characters or more gets a zero row.

    Examples
    --------
    >>> X = text_vectors(["free prize now", "FREE prize now!!", "see you"])
    >>> S = (X @ X.T).toarray()
    >>> round(float(S[0, 1]), 3), round(float(S[0, 2]), 3)
    (1.0, 0.0)
    """
    keys = normalise_texts(texts, loose=True)
    n = len(keys)
    # each word padded with spaces and fenced by NUL: no 4-gram spans two words (char_wb)
    padded = [" " + k.replace(" ", " \0 ") + " " if k else "" for k in keys]
    lengths = np.fromiter((len(p) + 1 for p in padded), dtype=np.int64, count=n)
    codes = np.frombuffer("\0".join(padded).encode("utf-32-le"), dtype=np.uint32)
    if len(codes) < 4:
        return sp.csr_matrix(np.zeros((n, 1), dtype=np.float32))
    c = codes.astype(np.uint64)
    # a polynomial hash of 4 code points (21 bits each) with 64-bit wrap-around
    grams = ((c[:-3] * _P + c[1:-2]) * _P + c[2:-1]) * _P + c[3:]
    sep = codes == 0
    valid = ~(sep[:-3] | sep[1:-2] | sep[2:-1] | sep[3:])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    rows = np.searchsorted(starts, np.flatnonzero(valid), side="right") - 1
    cols, uniques = pd.factorize(grams[valid])
    counts = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, np.asarray(cols))),
        shape=(n, max(1, len(uniques))),
    )
    counts.sum_duplicates()
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    counts.data = (1.0 + np.log(counts.data)) * idf[counts.indices]
    return _unit_rows_sparse(counts)


_P: Final = np.uint64(0x100000001B3)  # the 64-bit FNV prime: odd, so multiplying mixes


def _unit_rows_sparse(X: Any) -> sp.csr_matrix:
    X = sp.csr_matrix(X, dtype=np.float32, copy=True)
    X.eliminate_zeros()
    X.sum_duplicates()
    sq = np.asarray(X.multiply(X).sum(axis=1), dtype=np.float64).ravel()
    norms = np.sqrt(sq)
    norms[norms == 0] = 1.0
    scale = np.repeat(1.0 / norms, np.diff(X.indptr)).astype(np.float32)
    X.data *= scale
    out: sp.csr_matrix = X
    return out


def _unit_rows_dense(V: Any) -> NDArray[np.float32]:
    V = np.array(V, dtype=np.float32, copy=True)
    norms = np.linalg.norm(V, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    V /= norms
    out: NDArray[np.float32] = V
    return out


def _check_vectors(vectors: Any, n: int | None, *, argument: str) -> tuple[str, Any]:
    if sp.issparse(vectors):
        matrix: Any = vectors  # issparse narrows to an abstract type without .shape
        vectors = sp.csr_matrix(matrix)
        shape = vectors.shape
        kind = "sparse"
    else:
        arr = np.asarray(vectors)
        if not np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_:
            raise ConfigError(f"{argument} must hold numbers, got dtype {arr.dtype}")
        shape = arr.shape
        kind = "dense"
        vectors = arr
    if len(shape) != 2:
        raise ConfigError(f"{argument} must be 2-dimensional (n, d), got shape {shape}")
    if n is not None and shape[0] != n:
        raise ConfigError(f"{argument} must have one row per text ({n}), got {shape[0]} rows")
    if kind == "dense" and not np.isfinite(vectors).all():
        raise ConfigError(f"{argument} must be finite, got NaN or inf")
    return kind, vectors


def _check_threshold(threshold: float) -> float:
    t = float(threshold)
    if not 0.0 < t <= 1.0:
        raise ConfigError(f"threshold must be a cosine similarity in (0, 1], got {threshold!r}")
    return t


def similar_pairs(
    vectors: Vectors,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    other: Vectors | None = None,
    exact_below: int = EXACT_BELOW,
    random_state: int = 0,
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float32]]:
    """Return the pairs of rows whose cosine similarity is at least ``threshold``.

    Parameters
    ----------
    vectors : csr_matrix or ndarray of shape (n, d)
        Rows are L2-normalised here (zero rows match nothing).
    threshold : float in (0, 1], default 0.9
    other : csr_matrix or ndarray of shape (m, d), optional
        When given, pairs (i in ``vectors``, j in ``other``) instead of pairs within
        ``vectors``; both must be sparse or both dense, in the same feature space.
    exact_below : int, default 5,000
        Dense rows: compare all pairs exactly when ``n`` is at most this (with ``other``:
        when ``n * m`` is at most its square); above it, LSH candidates verified exactly.
        Sparse rows are always exact (prefix filtering).
    random_state : int, default 0
        Seed of the LSH hyperplanes (dense rows above ``exact_below`` only).

    Returns
    -------
    i, j : ndarray of intp, shape (n_pairs,)
        Within ``vectors``: ``i < j``. Sorted by ``(i, j)``.
    similarity : ndarray of float32, shape (n_pairs,)

    Examples
    --------
    >>> import numpy as np
    >>> V = np.array([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0]])
    >>> i, j, s = similar_pairs(V, 0.9)
    >>> i.tolist(), j.tolist()
    ([0], [1])
    """
    t = _check_threshold(threshold)
    kind, X = _check_vectors(vectors, None, argument="vectors")
    split: int | None = None
    if other is not None:
        kind_b, Y = _check_vectors(other, None, argument="other")
        if kind_b != kind:
            raise ConfigError(
                f"vectors and other must both be sparse or both dense, got {kind} and {kind_b}"
            )
        if Y.shape[1] != X.shape[1]:
            raise ConfigError(
                "vectors and other must have the same width (one feature space), got "
                f"{X.shape[1]} and {Y.shape[1]}"
            )
        split = X.shape[0]
        X = sp.vstack([X, Y], format="csr") if kind == "sparse" else np.vstack([X, Y])
    if kind == "sparse":
        i, j, s = _sparse_pairs(_unit_rows_sparse(X), t, split)
    else:
        i, j, s = _dense_pairs(_unit_rows_dense(X), t, split, exact_below, random_state)
    if split is not None:
        j = j - split
    order = np.lexsort((j, i))
    return i[order], j[order], s[order]


def _empty_pairs() -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float32]]:
    return np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0, np.float32)


def _concat(
    parts: list[tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float32]]],
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float32]]:
    if not parts:
        return _empty_pairs()
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )


def _sparse_pairs(
    X: sp.csr_matrix, t: float, split: int | None
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float32]]:
    """Prefix filtering over unit sparse rows (see the module docstring)."""
    n, width = X.shape
    if X.nnz == 0:
        return _empty_pairs()
    # Columns renumbered rarest first, so each row's sorted indices run rarest first.
    df = np.bincount(X.indices, minlength=width)
    rank = np.empty(width, dtype=np.int64)
    rank[np.argsort(df, kind="stable")] = np.arange(width)
    Xr = sp.csr_matrix((X.data, rank[X.indices], X.indptr), shape=X.shape)
    Xr.sort_indices()
    sq = Xr.data.astype(np.float64) ** 2
    csum = np.cumsum(sq)
    lengths = np.diff(Xr.indptr)
    row_end = np.repeat(Xr.indptr[1:] - 1, lengths)
    suffix = csum[row_end] - csum + sq  # norm^2 of the row from this entry on
    in_prefix = suffix >= t * t - _EPS
    row_of = np.repeat(np.arange(n), lengths)
    prefix_len = np.bincount(row_of[in_prefix], minlength=n)
    P = sp.csr_matrix(
        (
            np.ones(int(in_prefix.sum()), dtype=np.float32),
            Xr.indices[in_prefix],
            np.concatenate([[0], np.cumsum(prefix_len)]),
        ),
        shape=Xr.shape,
    )
    if split is None:
        row_range, col_offset = (0, n), 0
        PT = sp.csr_matrix(P.T)
    else:
        row_range, col_offset = (0, split), split
        PT = sp.csr_matrix(P[split:].T)
    parts = []
    avg = max(1.0, P.nnz / max(n, 1))
    block = max(256, int(200_000 / avg))
    for a in range(row_range[0], row_range[1], block):
        b = min(a + block, row_range[1])
        C = (P[a:b] @ PT).tocoo()
        i = C.row.astype(np.intp) + a
        j = C.col.astype(np.intp) + col_offset
        if split is None:
            keep = j > i
            i, j = i[keep], j[keep]
        s = _verify_sparse(Xr, i, j)
        ok = s >= t - _EPS
        parts.append((i[ok], j[ok], s[ok]))
    return _concat(parts)


def _verify_sparse(
    X: sp.csr_matrix, i: NDArray[np.intp], j: NDArray[np.intp]
) -> NDArray[np.float32]:
    out = np.empty(len(i), dtype=np.float32)
    for a in range(0, len(i), _PAIR_CHUNK):
        b = a + _PAIR_CHUNK
        prod = X[i[a:b]].multiply(X[j[a:b]])
        out[a:b] = np.asarray(prod.sum(axis=1)).ravel()
    return out


def _verify_dense(
    V: NDArray[np.float32], i: NDArray[np.intp], j: NDArray[np.intp]
) -> NDArray[np.float32]:
    out = np.empty(len(i), dtype=np.float32)
    for a in range(0, len(i), _PAIR_CHUNK):
        b = a + _PAIR_CHUNK
        out[a:b] = np.einsum("ij,ij->i", V[i[a:b]], V[j[a:b]])
    return out


def _block_pairs(
    A: NDArray[np.float32],
    B: NDArray[np.float32],
    t: float,
    a_ids: NDArray[np.intp],
    b_ids: NDArray[np.intp],
    *,
    upper: bool,
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float32]]:
    """Exact all-pairs between the rows of A and B, in blocks of A's rows."""
    parts = []
    step = max(1, _BLOCK_CELLS // max(1, len(B)))
    for a in range(0, len(A), step):
        S = A[a : a + step] @ B.T
        r, c = np.nonzero(t - _EPS <= S)
        i, j = a_ids[a + r], b_ids[c]
        s = S[r, c].astype(np.float32)
        if upper:
            keep = i < j
            i, j, s = i[keep], j[keep], s[keep]
        parts.append((i, j, s))
    return _concat(parts)


def _dense_pairs(
    V: NDArray[np.float32], t: float, split: int | None, exact_below: int, random_state: int
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float32]]:
    n = len(V)
    ids = np.arange(n, dtype=np.intp)
    if split is None and n <= exact_below:
        return _block_pairs(V, V, t, ids, ids, upper=True)
    if split is not None and split * (n - split) <= exact_below * exact_below:
        return _block_pairs(V[:split], V[split:], t, ids[:split], ids[split:], upper=False)
    return _lsh_pairs(V, t, split, random_state)


def _hit(cos: Any, bits: int) -> Any:
    """Probability that ``bits`` random hyperplanes all agree on a pair at cosine ``cos``."""
    return (1.0 - np.arccos(np.clip(cos, -1.0, 1.0)) / np.pi) ** bits


def _lsh_plan(V: NDArray[np.float32], t: float, split: int | None, seed: int) -> tuple[int, int]:
    """Choose bits per band and bands from the data's background similarity.

    Bits: the fewest (16 to 32) for which a band's expected number of candidate pairs,
    estimated from 4,096 random pairs, stays below ``2 n`` (anisotropic embeddings, whose
    random pairs sit at cosine 0.2 or more, need more bits than TF-IDF). Bands: as many as
    give recall 0.99 for a pair exactly at ``t``, at most 64.
    """
    n = len(V)
    rng = np.random.default_rng([seed, 1])
    m = min(4096, n * (n - 1) // 2)
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    if split is not None:
        a, b = rng.integers(0, split, m), rng.integers(split, n, m)
    keep = a != b
    background = np.einsum("ij,ij->i", V[a[keep]], V[b[keep]]).astype(np.float64)
    n_pairs = split * (n - split) if split is not None else n * (n - 1) / 2
    bits = _MIN_BITS
    while bits < _MAX_BITS and n_pairs * float(np.mean(_hit(background, bits))) > 2 * n:
        bits += 1
    hit = float(_hit(t, bits))
    if hit >= 1.0:
        return bits, 1
    bands = math.ceil(math.log(1 - _LSH_RECALL) / math.log1p(-hit))
    return bits, max(1, min(_MAX_BANDS, bands))


def _lsh_pairs(
    V: NDArray[np.float32], t: float, split: int | None, random_state: int
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float32]]:
    """SimHash banding: candidates share every bit of some band; verified exactly.

    All bands' sign bits are kept packed (``bands * bits / 8`` bytes per row); a candidate
    is first checked on its Hamming distance over all of them (an estimate of its angle)
    and only those within 5 standard errors of ``t`` are compared on their vectors, which
    reads ten times less memory than verifying every candidate exactly.
    """
    n, d = V.shape
    bits, bands = _lsh_plan(V, t, split, random_state)
    rng = np.random.default_rng(random_state)
    weights = np.left_shift(np.uint64(1), np.arange(bits, dtype=np.uint64))
    keys = np.empty((bands, n), dtype=np.uint64)
    signs = np.empty((n, bands * bits), dtype=bool)
    for band in range(bands):
        positive = (V @ rng.standard_normal((d, bits), dtype=np.float32)) > 0
        signs[:, band * bits : (band + 1) * bits] = positive
        keys[band] = positive.astype(np.uint64) @ weights
    packed = np.packbits(signs, axis=1)
    del signs
    n_bits = bands * bits
    p_t = 1.0 - math.acos(min(1.0, t)) / math.pi
    max_hamming = n_bits * (1.0 - p_t) + 5.0 * math.sqrt(n_bits * p_t * (1.0 - p_t)) + 1.0

    def check(i: NDArray[np.intp], j: NDArray[np.intp]) -> None:
        if split is not None:
            cross = (i < split) & (j >= split)
            i, j = i[cross], j[cross]
        for a in range(0, len(i), _PAIR_CHUNK):
            ii, jj = i[a : a + _PAIR_CHUNK], j[a : a + _PAIR_CHUNK]
            hamming = np.bitwise_count(packed[ii] ^ packed[jj]).sum(axis=1, dtype=np.int64)
            near = hamming <= max_hamming
            ii, jj = ii[near], jj[near]
            sim = _verify_dense(V, ii, jj)
            ok = sim >= t - _EPS
            parts.append((ii[ok], jj[ok], sim[ok]))

    parts: list[tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float32]]] = []
    for band in range(bands):
        order = np.argsort(keys[band], kind="stable").astype(np.intp)
        sorted_keys = keys[band][order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        sizes = np.diff(np.r_[starts, n])
        bucket = np.repeat(np.arange(len(starts)), sizes)
        size_at = sizes[bucket]
        small = (size_at >= 2) & (size_at <= _SMALL_BUCKET)
        max_small = int(size_at[small].max()) if small.any() else 1
        for k in range(1, max_small):
            same = (bucket[:-k] == bucket[k:]) & small[:-k]
            i, j = order[:-k][same], order[k:][same]
            check(np.minimum(i, j), np.maximum(i, j))
        for g in np.flatnonzero(sizes > _SMALL_BUCKET):
            members = np.sort(order[starts[g] : starts[g] + sizes[g]])
            if split is None:
                parts.append(_block_pairs(V[members], V[members], t, members, members, upper=True))
            else:
                a_ids, b_ids = members[members < split], members[members >= split]
                if len(a_ids) and len(b_ids):
                    parts.append(_block_pairs(V[a_ids], V[b_ids], t, a_ids, b_ids, upper=False))
    i, j, s = _concat(parts)
    if len(i) == 0:
        return i, j, s
    _, first = np.unique(i.astype(np.int64) * n + j, return_index=True)
    return i[first], j[first], s[first]


# --------------------------------------------------------------------------------------------
# Groups
# --------------------------------------------------------------------------------------------


def _components(n: int, i: NDArray[np.intp], j: NDArray[np.intp]) -> NDArray[np.intp]:
    graph = sp.coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n, n)).tocsr()
    _, labels = connected_components(graph, directed=False)
    return _compact(np.asarray(labels, dtype=np.intp))


def _star_edges(groups: NDArray[np.intp]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Edges from each grouped row to its group's first row (enough for components)."""
    pos = np.flatnonzero(groups >= 0)
    if len(pos) == 0:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    first = np.full(int(groups.max()) + 1, -1, dtype=np.intp)
    # reversed assignment leaves the first occurrence in place
    first[groups[pos[::-1]]] = pos[::-1]
    return pos, first[groups[pos]]


def near_duplicate_groups(
    texts: Texts,
    vectors: Vectors | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    exact_below: int = EXACT_BELOW,
    random_state: int = 0,
) -> NDArray[np.intp]:
    """Return a near-duplicate group id per text (see the module docstring).

    Parameters
    ----------
    texts : sequence of str, Series or ndarray of shape (n,)
    vectors : csr_matrix or ndarray of shape (n, d), optional
        One row per text. Default: :func:`text_vectors` of ``texts``.
    threshold : float in (0, 1], default 0.9
        Cosine similarity at or above which two texts are near-duplicates.
    exact_below, random_state
        See :func:`similar_pairs`.

    Returns
    -------
    ndarray of intp, shape (n,)
        Group ids ``0 ..`` by first appearance, -1 for a text in no group.

    Examples
    --------
    >>> near_duplicate_groups(["Call 0800 123 now!", "call 0800 999 now", "hello"]).tolist()
    [0, 0, -1]
    """
    return find_duplicates(
        texts, vectors, threshold=threshold, exact_below=exact_below, random_state=random_state
    ).near


@dataclass(frozen=True, slots=True, eq=False)
class DuplicateGroups:
    """Exact and near-duplicate groups of a set of texts.

    Parameters
    ----------
    exact : ndarray of intp, shape (n,)
        Exact group id per row (``0 ..`` by first appearance), -1 when the row has no exact
        duplicate.
    near : ndarray of intp, shape (n,)
        Near-duplicate group id per row, -1 when none. Every exact group lies inside one
        near group.
    threshold : float
        The cosine threshold of the near pass.
    vectors : str
        What the near pass compared: ``"char-4gram tf-idf"``, ``"sparse"`` or ``"dense"``.

    Examples
    --------
    >>> groups = find_duplicates(["Win £100 now", "win £250 NOW!", "hi", "hi"])
    >>> groups.share_in_groups, groups.members(0).tolist()
    (1.0, [0, 1])
    """

    exact: NDArray[np.intp]
    near: NDArray[np.intp]
    threshold: float
    vectors: str

    def __post_init__(self) -> None:
        """Check shapes and that exact groups lie inside near groups."""
        if self.exact.ndim != 1 or self.exact.shape != self.near.shape:
            raise ConfigError(
                "exact and near must be 1-d arrays of one length, got shapes "
                f"{self.exact.shape} and {self.near.shape}"
            )
        grouped = self.exact >= 0
        if (self.near[grouped] < 0).any():
            raise ConfigError("every row in an exact group must be in a near group")
        if grouped.any():
            _, first = np.unique(self.exact[grouped], return_inverse=True)
            near_of = np.full(int(first.max()) + 1, -1, dtype=np.intp)
            near_of[first] = self.near[grouped]
            if (near_of[first] != self.near[grouped]).any():
                raise ConfigError("an exact group is split across near groups")

    @property
    def n(self) -> int:
        """Number of rows."""
        return len(self.exact)

    @property
    def exact_sizes(self) -> NDArray[np.intp]:
        """Size of each exact group, indexed by group id (shape ``(n_exact_groups,)``)."""
        return np.bincount(self.exact[self.exact >= 0]).astype(np.intp)

    @property
    def near_sizes(self) -> NDArray[np.intp]:
        """Size of each near group, indexed by group id (shape ``(n_near_groups,)``)."""
        return np.bincount(self.near[self.near >= 0]).astype(np.intp)

    @property
    def n_exact_groups(self) -> int:
        """Number of exact-duplicate groups."""
        return int(self.exact.max(initial=-1)) + 1

    @property
    def n_near_groups(self) -> int:
        """Number of near-duplicate groups."""
        return int(self.near.max(initial=-1)) + 1

    @property
    def share_in_exact_groups(self) -> float:
        """Share of the rows that are in an exact-duplicate group (0 for no rows)."""
        return float(np.mean(self.exact >= 0)) if self.n else 0.0

    @property
    def share_in_groups(self) -> float:
        """Share of the rows that are in a near-duplicate group (0 for no rows)."""
        return float(np.mean(self.near >= 0)) if self.n else 0.0

    def members(self, pos: int, kind: Literal["near", "exact"] = "near") -> NDArray[np.intp]:
        """Return the positions in ``pos``'s group, ``pos`` included, ascending (O(n)).

        Parameters
        ----------
        pos : int
            A row position, ``0 <= pos < n``.
        kind : {"near", "exact"}, default "near"

        Returns
        -------
        ndarray of intp
            ``[pos]`` alone when the row is in no group.
        """
        if kind not in ("near", "exact"):
            raise ConfigError(f"kind must be 'near' or 'exact', got {kind!r}")
        if not 0 <= int(pos) < self.n:
            raise ConfigError(f"pos must be in [0, {self.n}), got {pos!r}")
        labels = self.near if kind == "near" else self.exact
        group = labels[int(pos)]
        if group < 0:
            return np.array([int(pos)], dtype=np.intp)
        return np.flatnonzero(labels == group).astype(np.intp)

    def summary(self) -> dict[str, Any]:
        """Return JSON-friendly figures: counts, shares, largest groups, threshold.

        Returns
        -------
        dict
        """
        near_sizes, exact_sizes = self.near_sizes, self.exact_sizes
        return {
            "n_items": self.n,
            "threshold": self.threshold,
            "vectors": self.vectors,
            "n_exact_groups": self.n_exact_groups,
            "n_in_exact_groups": int((self.exact >= 0).sum()),
            "share_in_exact_groups": round(self.share_in_exact_groups, 6),
            "largest_exact_group": int(exact_sizes.max(initial=0)),
            "n_near_groups": self.n_near_groups,
            "n_in_near_groups": int((self.near >= 0).sum()),
            "share_in_groups": round(self.share_in_groups, 6),
            "largest_near_group": int(near_sizes.max(initial=0)),
        }


def _near_links(
    texts: NDArray[np.object_],
    vectors: Vectors | None,
    exact: NDArray[np.intp],
    *,
    threshold: float,
    exact_below: int,
    random_state: int,
) -> tuple[NDArray[np.intp], NDArray[np.intp], str]:
    loose = _key_groups(normalise_texts(texts, loose=True))
    i1, j1 = _star_edges(exact)
    i2, j2 = _star_edges(loose)
    # Rows sharing a loose key are linked already: compare one representative per key.
    rep = np.flatnonzero((loose < 0) | ~_duplicated(loose))
    if vectors is None:
        label = "char-4gram tf-idf"
        V: Any = text_vectors(texts[rep])
    else:
        kind, V = _check_vectors(vectors, len(texts), argument="vectors")
        label = kind
        V = V[rep]
    i3, j3, _ = similar_pairs(V, threshold, exact_below=exact_below, random_state=random_state)
    return np.concatenate([i1, i2, rep[i3]]), np.concatenate([j1, j2, rep[j3]]), label


def _duplicated(groups: NDArray[np.intp]) -> NDArray[np.bool_]:
    """Mark each grouped row that is not its group's first row."""
    out = np.zeros(len(groups), dtype=bool)
    pos = np.flatnonzero(groups >= 0)
    out[pos] = pd.Series(groups[pos]).duplicated().to_numpy()
    return out


def find_duplicates(
    texts: Texts,
    vectors: Vectors | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    exact_below: int = EXACT_BELOW,
    random_state: int = 0,
) -> DuplicateGroups:
    """Find the exact and near-duplicate groups of ``texts``.

    Parameters
    ----------
    texts : sequence of str, Series or ndarray of shape (n,)
    vectors : csr_matrix or ndarray of shape (n, d), optional
        One row per text: the pool's TF-IDF rows or embeddings. Default: character 4-gram
        TF-IDF of the loose texts (:func:`text_vectors`), which suits near-duplicates best.
    threshold : float in (0, 1], default 0.9
        Cosine similarity at or above which two rows are near-duplicates. Its meaning
        depends on the vectors: 0.9 suits TF-IDF; sentence embeddings put paraphrases
        above 0.9, so use 0.95 or more there.
    exact_below : int, default 5,000
        Dense vectors: rows compared all-pairs up to this count, LSH above.
    random_state : int, default 0
        LSH seed (dense vectors above ``exact_below`` only).

    Returns
    -------
    DuplicateGroups

    Raises
    ------
    ConfigError
        ``threshold`` outside (0, 1]; ``vectors`` with a row count other than ``len(texts)``,
        not 2-d, or not finite.

    Examples
    --------
    >>> g = find_duplicates(["Free entry! Txt 80086", "free entry txt 80488", "see you"])
    >>> g.near.tolist(), g.exact.tolist()
    ([0, 0, -1], [-1, -1, -1])
    """
    t = _check_threshold(threshold)
    values = _as_objects(texts, argument="texts")
    exact = _key_groups(normalise_texts(values))
    i, j, label = _near_links(
        values, vectors, exact, threshold=t, exact_below=exact_below, random_state=random_state
    )
    near = _components(len(values), i, j)
    return DuplicateGroups(exact=exact, near=near, threshold=t, vectors=label)


# --------------------------------------------------------------------------------------------
# Between two sets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class DuplicatePairs:
    """Pairs ``(a[k], b[k])`` of positions in two sets that are duplicates.

    Parameters
    ----------
    a, b : ndarray of intp, shape (n_pairs,)
        Positions in the first and the second set, sorted by ``(a, b)``.
    exact : ndarray of bool, shape (n_pairs,)
        True when the pair is an exact duplicate (normalised text), else near.
    """

    a: NDArray[np.intp]
    b: NDArray[np.intp]
    exact: NDArray[np.bool_]

    def __len__(self) -> int:
        """Return the number of pairs."""
        return len(self.a)

    def summary(self) -> dict[str, Any]:
        """Return JSON-friendly counts: pairs, exact pairs, and distinct items on each side."""
        return {
            "n_pairs": len(self),
            "n_exact_pairs": int(self.exact.sum()),
            "n_a_items": len(np.unique(self.a)),
            "n_b_items": len(np.unique(self.b)),
        }


def _key_join(
    keys_a: NDArray[np.object_], keys_b: NDArray[np.object_]
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    fa = pd.DataFrame({"k": keys_a, "a": np.arange(len(keys_a))})
    fb = pd.DataFrame({"k": keys_b, "b": np.arange(len(keys_b))})
    m = fa[fa["k"] != ""].merge(fb[fb["k"] != ""], on="k")
    return m["a"].to_numpy(dtype=np.intp), m["b"].to_numpy(dtype=np.intp)


def cross_duplicates(
    texts_a: Texts,
    vectors_a: Vectors | None,
    texts_b: Texts,
    vectors_b: Vectors | None,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    exact_below: int = EXACT_BELOW,
    random_state: int = 0,
) -> DuplicatePairs:
    """Return the pairs (i in a, j in b) that are exact or near duplicates.

    For evaluation leakage: held-out items with a duplicate among the labeled (or pool)
    items. A pair is exact when the normalised texts are equal, near when the loose texts
    are equal or the vectors' cosine is at least ``threshold``. Groups are not chained
    across pairs: each pair is similar itself.

    Parameters
    ----------
    texts_a, texts_b : sequence of str, Series or ndarray
    vectors_a, vectors_b : csr_matrix or ndarray, or None
        Rows in one feature space (e.g. the same Featurizer's output). Both None: character
        4-gram TF-IDF fitted on both sets' loose texts (only used to compare them).
    threshold : float in (0, 1], default 0.9
    exact_below, random_state
        See :func:`similar_pairs`.

    Returns
    -------
    DuplicatePairs

    Examples
    --------
    >>> a, b = ["Ok lar...", "new text"], ["ok lar", "x", "OK LAR..."]
    >>> pairs = cross_duplicates(a, None, b, None)
    >>> pairs.a.tolist(), pairs.b.tolist(), pairs.exact.tolist()
    ([0, 0], [0, 2], [False, True])
    """
    t = _check_threshold(threshold)
    va = _as_objects(texts_a, argument="texts_a")
    vb = _as_objects(texts_b, argument="texts_b")
    if (vectors_a is None) != (vectors_b is None):
        raise ConfigError(
            "vectors_a and vectors_b must both be given or both be None, got "
            f"{type(vectors_a).__name__} and {type(vectors_b).__name__}"
        )
    ea, eb = _key_join(normalise_texts(va), normalise_texts(vb))
    la, lb = _key_join(normalise_texts(va, loose=True), normalise_texts(vb, loose=True))
    if vectors_a is None or vectors_b is None:
        both = text_vectors(np.concatenate([va, vb]))
        A: Any = both[: len(va)]
        B: Any = both[len(va) :]
    else:
        _, A = _check_vectors(vectors_a, len(va), argument="vectors_a")
        _, B = _check_vectors(vectors_b, len(vb), argument="vectors_b")
    if len(va) and len(vb):
        sa, sb, _ = similar_pairs(A, t, other=B, exact_below=exact_below, random_state=random_state)
    else:
        sa, sb = np.empty(0, np.intp), np.empty(0, np.intp)
    a = np.concatenate([ea, la, sa])
    b = np.concatenate([eb, lb, sb])
    is_exact = np.concatenate([np.ones(len(ea), bool), np.zeros(len(la) + len(sa), bool)])
    # keep one row per pair, exact first
    order = np.lexsort((~is_exact, b, a))
    a, b, is_exact = a[order], b[order], is_exact[order]
    first = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])] if len(a) else np.ones(0, bool)
    return DuplicatePairs(
        a=a[first].astype(np.intp), b=b[first].astype(np.intp), exact=is_exact[first]
    )
