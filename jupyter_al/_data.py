"""Data at the session's boundary: load, check, parse labels, split, fingerprint (private).

Every function here is pure: it never mutates its inputs and holds no state. The session calls
them when it is configured and turns item ids into positions itself; in this module an item id
(a DataFrame index label) is called ``row_id`` and an integer array position ``pos``.
"""

from __future__ import annotations

import ast
import csv
import difflib
import hashlib
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pandas.util import hash_pandas_object
from sklearn.model_selection import train_test_split

from jupyter_al.exceptions import ConfigError, LabelError

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable, Sequence

    from jupyter_al._types import ItemId, Task

__all__ = [
    "SUPPORTED_SUFFIXES",
    "check_item_ids",
    "content_digest",
    "exact_duplicate_rows",
    "exact_duplicates",
    "infer_classes",
    "load_frame",
    "missing_text",
    "normalize_text",
    "parse_labels",
    "require_columns",
    "split_holdout",
    "to_item_id",
]

#: File suffixes :func:`load_frame` reads (optionally followed by a compression suffix).
SUPPORTED_SUFFIXES: Final = (".csv", ".tsv", ".parquet", ".jsonl", ".ndjson")
_COMPRESSION_SUFFIXES: Final = (".gz", ".bz2", ".zip", ".xz", ".zst")
_MAX_LISTED: Final = 10
NDArrayObj: TypeAlias = NDArray[np.object_]
NDArrayInt: TypeAlias = NDArray[np.intp]
_MAX_LISTED_IDS: Final = 5


def _preview(values: Iterable[object], limit: int = _MAX_LISTED) -> str:
    """Show at most ``limit`` values as a tuple-like string, with "..." when cut."""
    items = list(values)
    shown = ", ".join(repr(v) for v in items[:limit])
    more = f", ... ({len(items) - limit} more)" if len(items) > limit else ""
    return f"({shown}{more})"


# --------------------------------------------------------------------------------------------
# Loading and column checks
# --------------------------------------------------------------------------------------------


def _format_of(path: Path) -> str | None:
    """Return the data suffix of ``path`` (``.csv`` for ``x.csv.gz``), or None if unsupported."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in SUPPORTED_SUFFIXES:
        return suffixes[-1]
    return None


def _read(path: Path, fmt: str) -> pd.DataFrame:
    if fmt == ".csv":
        return pd.read_csv(path)
    if fmt == ".tsv":
        # TSV has no quoting: a field may start with '"' (SMS spam does); reading it as a
        # quote would swallow the following lines
        return pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE)
    if fmt == ".parquet":
        df = pd.read_parquet(path)
        # A frame saved with its own index comes back with it; keep those values as a
        # column (the user may name it as the id column) so that nothing is lost.
        return df if isinstance(df.index, pd.RangeIndex) else df.reset_index()
    return pd.read_json(path, lines=True)


def load_frame(data: pd.DataFrame | str | Path, *, argument: str = "data") -> pd.DataFrame:
    """Return ``data`` as a DataFrame, reading it from a file when given a path.

    A DataFrame is returned as is (the same object, never mutated). A path is read by its
    suffix: ``.csv``, ``.tsv`` (tab-separated), ``.parquet`` and ``.jsonl`` / ``.ndjson``
    (one JSON object per line), each optionally compressed (``.csv.gz``). A file keeps its
    row order and gets a fresh ``RangeIndex``; a parquet file's stored index, if any, becomes
    a column.

    Parameters
    ----------
    data : DataFrame, str or Path
        The frame, or the path of a file to read.
    argument : str, default="data"
        The argument's name, used in error messages.

    Returns
    -------
    DataFrame

    Raises
    ------
    ConfigError
        The file does not exist, its suffix is not supported, it cannot be read, or it holds
        no rows or no columns.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"text": ["a", "b"]})
    >>> load_frame(df) is df
    True
    """
    if isinstance(data, pd.DataFrame):
        return data
    if not isinstance(data, str | Path):
        raise ConfigError(
            f"{argument} must be a DataFrame or the path of a file, got {type(data).__name__}"
        )
    path = Path(data).expanduser()
    fmt = _format_of(path)
    if fmt is None:
        raise ConfigError(
            f"{argument}={str(path)!r} has an unsupported suffix {''.join(path.suffixes)!r}; "
            f"supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    if not path.is_file():
        raise ConfigError(f"{argument}={str(path)!r}: no such file")
    try:
        df = _read(path, fmt)
    except (OSError, ValueError, ImportError) as exc:
        # pandas reports a malformed file as ValueError (ParserError, EmptyDataError and
        # pyarrow's ArrowInvalid all subclass it); a missing parquet engine as ImportError.
        raise ConfigError(
            f"{argument}={str(path)!r} could not be read as {fmt[1:]}: {exc}"
        ) from exc
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise ConfigError(
            f"{argument}={str(path)!r} is empty: expected at least one row and one column, "
            f"got {df.shape[0]} rows and {df.shape[1]} columns"
        )
    if not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index(drop=True)
    return df


def require_columns(df: pd.DataFrame, columns: Iterable[Hashable], *, argument: str) -> None:
    """Raise unless every one of ``columns`` is a column of ``df``.

    Parameters
    ----------
    df : DataFrame
    columns : iterable of column names
    argument : str
        The argument that named the columns, used in the error message.

    Raises
    ------
    ConfigError
        Lists the missing columns, the available ones, and a "did you mean" suggestion for
        near misses.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"text": ["a"]}), ["text"], argument="text")
    """
    available = list(df.columns)
    missing = [c for c in columns if c not in df.columns]
    if not missing:
        return
    names = [str(c) for c in available]
    hints = []
    for col in missing:
        close = difflib.get_close_matches(str(col), names, n=1)
        if close:
            hints.append(f"did you mean {close[0]!r} for {col!r}?")
    hint = f"; {' '.join(hints)}" if hints else ""
    raise ConfigError(
        f"{argument} names columns that are not in the data: missing {_preview(missing)}, "
        f"available {_preview(available, limit=30)}{hint}"
    )


# --------------------------------------------------------------------------------------------
# Item ids and text
# --------------------------------------------------------------------------------------------


def _is_item_id(value: object) -> bool:
    if isinstance(value, bool | np.bool_):
        return False
    return isinstance(value, int | str | np.integer)


def check_item_ids(df: pd.DataFrame, *, argument: str) -> None:
    """Raise unless the index of ``df`` holds usable item ids.

    Item ids are the index labels: each must be an ``int`` (numpy integers included) or a
    ``str``, and they must be unique. They are what the log, the exports and Argilla use
    to name an item.

    Parameters
    ----------
    df : DataFrame
    argument : str
        The argument that gave the data, used in error messages.

    Raises
    ------
    ConfigError
        Duplicated ids (up to 5 listed, with their count) or an id of another type (floats,
        NaN, tuples of a MultiIndex, booleans).

    Examples
    --------
    >>> import pandas as pd
    >>> check_item_ids(pd.DataFrame({"text": ["a", "b"]}, index=["x", "y"]), argument="data")
    """
    index = df.index
    if isinstance(index, pd.MultiIndex):
        raise ConfigError(
            f"{argument} must have item ids of type int or str in its index, "
            f"got a MultiIndex of tuples (levels {list(index.names)}); set one column as index"
        )
    kind = pd.api.types.infer_dtype(index, skipna=False)
    if pd.api.types.is_bool_dtype(index.dtype) or kind not in {"integer", "string"}:
        # Slow path (mixed, categorical, float...): look at each id.
        for value in index:
            if not _is_item_id(value):
                raise ConfigError(
                    f"{argument} must have item ids of type int or str in its index, "
                    f"got {type(value).__name__} {value!r}"
                )
    if not index.is_unique:
        dup_mask = index.duplicated(keep="first")
        dups = pd.unique(index[dup_mask])
        raise ConfigError(
            f"{argument} must have unique item ids in its index, got {len(dups)} duplicated "
            f"ids: {_preview(dups.tolist(), limit=_MAX_LISTED_IDS)}"
        )


def to_item_id(value: object) -> ItemId:
    """Return ``value`` as a JSON-safe item id (a plain ``int`` or ``str``).

    Parameters
    ----------
    value : int, numpy integer or str

    Returns
    -------
    int or str

    Raises
    ------
    ConfigError
        ``value`` is of another type.

    Examples
    --------
    >>> import numpy as np
    >>> to_item_id(np.int64(3)), to_item_id("a")
    (3, 'a')
    """
    if isinstance(value, bool | np.bool_):
        raise ConfigError(f"item id must be an int or a str, got bool {value!r}")
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, str):
        return str(value)
    raise ConfigError(f"item id must be an int or a str, got {type(value).__name__} {value!r}")


def missing_text(series: pd.Series) -> pd.Index:
    """Return the ids whose text is missing: NaN, None, empty or only whitespace.

    Parameters
    ----------
    series : Series
        The text column, indexed by item id.

    Returns
    -------
    Index
        The ids, in the order of ``series``.

    Examples
    --------
    >>> import pandas as pd
    >>> missing_text(pd.Series(["ok", " ", None], index=[1, 2, 3])).tolist()
    [2, 3]
    """
    mask = series.isna()
    dtype = series.dtype
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        # ``.str`` gives NaN for non-str objects (numbers count as text, not as missing);
        # a column holding no str at all has no ``.str`` accessor.
        try:
            blank = series.str.strip().eq("")
        except AttributeError:
            pass
        else:
            mask = mask | blank.fillna(value=False).astype(bool)
    return series.index[mask.to_numpy(dtype=bool)]


def normalize_text(s: str) -> str:
    r"""Casefold, collapse runs of whitespace into one space and strip.

    Parameters
    ----------
    s : str

    Returns
    -------
    str

    Examples
    --------
    >>> normalize_text("  Hello\n  WORLD ")
    'hello world'
    """
    return " ".join(s.casefold().split())


def _normalized(series: pd.Series) -> dict[str, list[ItemId]]:
    """Map normalized non-blank text to the ids carrying it, in series order."""
    groups: dict[str, list[ItemId]] = {}
    for row_id, value in zip(series.index, series.to_numpy(dtype=object), strict=True):
        if not isinstance(value, str):
            continue
        key = normalize_text(value)
        if key:
            groups.setdefault(key, []).append(to_item_id(row_id))
    return groups


def exact_duplicates(a: pd.Series, b: pd.Series) -> list[tuple[ItemId, ItemId]]:
    """Return the pairs ``(id_in_a, id_in_b)`` whose normalized texts are equal.

    Texts are compared after :func:`normalize_text`; missing and blank texts never match.
    A hash join: O(len(a) + len(b) + number of pairs). Use it to find held-out items that
    also sit in the pool (a leak that inflates the held-out metric).

    Parameters
    ----------
    a, b : Series
        Text columns indexed by item id.

    Returns
    -------
    list of (id, id)
        In the order of ``a``, then of ``b``.

    Examples
    --------
    >>> import pandas as pd
    >>> exact_duplicates(pd.Series(["Hi  there", "x"]), pd.Series(["y", "hi there"], index=[7, 8]))
    [(0, 8)]
    """
    in_b = _normalized(b)
    pairs: list[tuple[ItemId, ItemId]] = []
    for key, ids_a in _normalized(a).items():
        ids_b = in_b.get(key)
        if ids_b:
            pairs.extend((ia, ib) for ia in ids_a for ib in ids_b)
    # dict order follows first occurrence; sort by position in ``a`` for a stable order.
    order = {to_item_id(row_id): pos for pos, row_id in enumerate(a.index)}
    pairs.sort(key=lambda pair: order[pair[0]])
    return pairs


def exact_duplicate_rows(
    a_df: pd.DataFrame, b_df: pd.DataFrame, columns: Sequence[Hashable]
) -> list[tuple[ItemId, ItemId]]:
    """Return the pairs ``(id_in_a, id_in_b)`` of rows equal on every one of ``columns``.

    Rows are matched by two independent 64-bit hashes of their values (a 128-bit key, so a
    false match is practically impossible); missing values match missing values.

    Parameters
    ----------
    a_df, b_df : DataFrame
        Frames indexed by item id, holding ``columns`` with the same dtypes.
    columns : sequence of column names

    Returns
    -------
    list of (id, id)
        In the order of ``a_df``, then of ``b_df``.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"x": [1.0, 2.0]})
    >>> b = pd.DataFrame({"x": [2.0, 3.0]}, index=[10, 11])
    >>> exact_duplicate_rows(a, b, ["x"])
    [(1, 10)]
    """
    cols = list(columns)
    require_columns(a_df, cols, argument="columns")
    require_columns(b_df, cols, argument="columns")

    def keys(df: pd.DataFrame) -> pd.DataFrame:
        part = df[cols]
        return pd.DataFrame(
            {
                "h1": hash_pandas_object(part, index=False).to_numpy(),
                "h2": hash_pandas_object(part, index=False, hash_key="jupyter_al_key_2").to_numpy(),
                "pos": np.arange(len(df)),
            }
        )

    joined = keys(a_df).merge(keys(b_df), on=["h1", "h2"], suffixes=("_a", "_b"))
    joined = joined.sort_values(["pos_a", "pos_b"], kind="stable")
    ids_a = a_df.index[joined["pos_a"].to_numpy()]
    ids_b = b_df.index[joined["pos_b"].to_numpy()]
    return [(to_item_id(x), to_item_id(y)) for x, y in zip(ids_a, ids_b, strict=True)]


# --------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _label_str(value: object) -> str | None:
    """One scalar label as its str form, or None when it means "no label"."""
    if _is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    text = str(value).strip()
    return text or None


def _parse_single(value: object, *, argument: str) -> str | None:
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        raise LabelError(
            f"{argument} holds a {type(value).__name__} {value!r} but the task is "
            "classification (one label per item); use task='multilabel' for several labels"
        )
    return _label_str(value)


def _literal_list(text: str) -> list[object] | None:
    """Parse a string such as ``"['a', 'b']"`` (a list column written to CSV) or None."""
    if not (text.startswith("[") and text.endswith("]")):
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return list(value) if isinstance(value, list | tuple) else None


def _parse_multi(value: object, *, label_sep: str) -> tuple[str, ...] | None:
    elements: Iterable[object]
    if isinstance(value, np.ndarray):
        elements = value.ravel().tolist()
    elif isinstance(value, list | tuple | set | frozenset):
        elements = list(value)
    elif _is_missing(value):
        return None
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        listed = _literal_list(text)
        elements = listed if listed is not None else text.split(label_sep)
    else:
        elements = [value]
    labels = {label for e in elements if (label := _label_str(e)) is not None}
    return tuple(sorted(labels))


def parse_labels(
    series: pd.Series,
    *,
    task: Task,
    classes: tuple[str, ...] | None,
    label_sep: str = "|",
    argument: str,
) -> pd.Series:
    """Turn a label column into plain Python labels; None marks an unlabeled item.

    Classification: each value becomes a ``str`` (numbers by their str form: ``1`` and
    ``1.0`` both become ``"1"``; surrounding whitespace is stripped) or None for NaN, None
    and empty strings. Multilabel: each value becomes a sorted tuple of distinct ``str``
    labels, from a list, tuple, set or array, from a ``label_sep``-joined string
    (``"a|b"``) or from a list written as text (``"['a', 'b']"``, as a list column comes
    back from CSV); NaN, None and ``""`` are unlabeled, while an explicitly empty list
    ``[]`` is labeled with no label applying and becomes ``()``.

    Parameters
    ----------
    series : Series
        The label column, indexed by item id.
    task : {"classification", "multilabel"}
    classes : tuple of str or None
        The label schema; when given, any other label raises.
    label_sep : str, default="|"
        Separator of a multilabel string.
    argument : str
        The argument that named the column, used in error messages.

    Returns
    -------
    Series of object
        Same index and name as ``series``.

    Raises
    ------
    LabelError
        Labels outside ``classes`` (up to 10 listed, with the number of rows), or a list
        in a classification column.

    Examples
    --------
    >>> import pandas as pd
    >>> parse_labels(pd.Series([1.0, None, "b"]), task="classification", classes=None,
    ...              argument="labels").tolist()
    ['1', None, 'b']
    >>> parse_labels(pd.Series(["b|a", [], None]), task="multilabel", classes=None,
    ...              argument="labels").tolist()
    [('a', 'b'), (), None]
    """
    if task not in ("classification", "multilabel"):
        raise ConfigError(f"task must be 'classification' or 'multilabel', got {task!r}")
    raw = series.to_numpy(dtype=object)
    parsed: list[Any]
    if task == "classification":
        # Parse each distinct value once: label columns repeat a few values many times.
        # Keyed by (type, value): True, 1 and 1.0 are equal dict keys but not equal labels.
        cache: dict[tuple[type, object], str | None] = {}
        parsed = []
        for value in raw:
            key = (type(value), value)
            try:
                label = cache[key]
            except KeyError:
                label = cache[key] = _parse_single(value, argument=argument)
            except TypeError:  # unhashable: a list in a classification column
                label = _parse_single(value, argument=argument)
            parsed.append(label)
    else:
        if not label_sep:
            raise ConfigError("label_sep must be a non-empty string, got ''")
        parsed = [_parse_multi(value, label_sep=label_sep) for value in raw]
    result = pd.Series(parsed, index=series.index, name=series.name, dtype=object)
    if classes is not None:
        _check_schema(result, task=task, classes=classes, argument=argument)
    return result


def _check_schema(
    parsed: pd.Series, *, task: Task, classes: tuple[str, ...], argument: str
) -> None:
    allowed = set(classes)
    offending: set[str] = set()
    n_rows = 0
    for value in parsed.to_numpy(dtype=object):
        if value is None:
            continue
        labels = (value,) if task == "classification" else value
        bad = [label for label in labels if label not in allowed]
        if bad:
            n_rows += 1
            offending.update(bad)
    if offending:
        raise LabelError(
            f"{argument} holds labels outside the schema {classes!r}: "
            f"{_preview(sorted(offending))} in {n_rows} rows"
        )


def infer_classes(parsed: pd.Series, task: Task) -> tuple[str, ...]:
    """Return the sorted distinct labels of a column parsed by :func:`parse_labels`.

    Parameters
    ----------
    parsed : Series of object
    task : {"classification", "multilabel"}

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> import pandas as pd
    >>> infer_classes(pd.Series([("b", "c"), None, ("a",)]), "multilabel")
    ('a', 'b', 'c')
    """
    values = [v for v in parsed.to_numpy(dtype=object) if v is not None]
    if task == "classification":
        return tuple(sorted({str(v) for v in values}))
    return tuple(sorted({str(label) for v in values for label in v}))


# --------------------------------------------------------------------------------------------
# Held-out split
# --------------------------------------------------------------------------------------------


def _split_positions(
    n: int, fraction: float, seed: int, strata: NDArrayObj | None
) -> tuple[NDArrayInt, NDArrayInt]:
    """Split positions ``0..n-1``; stratified when possible, random otherwise."""
    positions = np.arange(n)
    if strata is not None and n >= 2:
        # Sorted integer codes: the same classes in the same order as the strings, but
        # train_test_split's np.unique runs on ints (1M rows: 0.1 s instead of 0.7 s).
        codes = pd.factorize(strata, sort=True)[0]
        for stratify in (codes, _merge_rare(codes)):
            if stratify is None:
                continue
            try:
                train, test = train_test_split(
                    positions, test_size=fraction, random_state=seed, stratify=stratify
                )
            except ValueError:
                # A class too small to reach both parts: retry with rare classes pooled,
                # then without stratification.
                continue
            return np.sort(train), np.sort(test)
    rng = np.random.default_rng(seed)
    n_test = round(fraction * n)
    perm = rng.permutation(n)
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def _merge_rare(codes: NDArrayInt) -> NDArrayInt | None:
    """Pool classes with fewer than 2 rows into one stratum (-1); None if there are none."""
    counts = np.bincount(codes)
    rare = counts[codes] < 2
    if not rare.any():
        return None
    return np.where(rare, -1, codes)


def split_holdout(
    ids: pd.Index, y: pd.Series | None, fraction: float, seed: int
) -> tuple[pd.Index, pd.Index]:
    """Split item ids into a pool and a held-out set.

    Items whose label is known are split stratified by it (multilabel: by the first label
    of each sorted tuple), so both parts keep the label proportions. Classes too small to
    stratify are pooled together, and when even that fails the known items are split at
    random: the split never fails on small classes. Items with an unknown label (None)
    are split at random with the same fraction.

    Parameters
    ----------
    ids : Index
        Item ids.
    y : Series or None
        Parsed labels (see :func:`parse_labels`) indexed by item id; None or missing
        entries mean unknown.
    fraction : float
        The held-out share, strictly between 0 and 1.
    seed : int
        The split is a deterministic function of ``ids``, ``y``, ``fraction`` and ``seed``.

    Returns
    -------
    pool_ids, holdout_ids : Index
        Each in the order of ``ids``.

    Raises
    ------
    ConfigError
        ``fraction`` outside (0, 1), or a split that leaves either part empty.

    Examples
    --------
    >>> import pandas as pd
    >>> ids = pd.Index(range(10))
    >>> y = pd.Series(["a", "b"] * 5, index=ids, dtype=object)
    >>> pool, holdout = split_holdout(ids, y, 0.2, seed=0)
    >>> len(pool), len(holdout), sorted(y[holdout])
    (8, 2, ['a', 'b'])
    """
    if isinstance(fraction, bool) or not (
        isinstance(fraction, int | float) and 0.0 < fraction < 1.0
    ):
        raise ConfigError(f"holdout must be a fraction strictly between 0 and 1, got {fraction!r}")
    n = len(ids)
    known = np.zeros(n, dtype=bool)
    strata = np.empty(n, dtype=object)
    if y is not None:
        aligned = y.reindex(ids)
        # isna() is False for tuples, including the empty tuple ("no label applies").
        known = aligned.notna().to_numpy(dtype=bool)
        values = aligned.to_numpy(dtype=object)[known]
        # Multilabel: stratify on the first (sorted) label; "" for "no label applies".
        strata[known] = [
            (v[0] if v else "") if isinstance(v, tuple | list) else str(v) for v in values
        ]
    in_holdout = np.zeros(n, dtype=bool)
    known_pos = np.flatnonzero(known)
    unknown_pos = np.flatnonzero(~known)
    if known_pos.size:
        _, test = _split_positions(known_pos.size, fraction, seed, strata[known_pos])
        in_holdout[known_pos[test]] = True
    if unknown_pos.size:
        _, test = _split_positions(unknown_pos.size, fraction, seed + 1, None)
        in_holdout[unknown_pos[test]] = True
    n_holdout = int(in_holdout.sum())
    if n_holdout in {0, n}:
        raise ConfigError(
            f"holdout={fraction!r} of {n} items leaves "
            f"{'no held-out item' if n_holdout == 0 else 'an empty pool'}; "
            "expected both the pool and the held-out set to be non-empty"
        )
    return ids[~in_holdout], ids[in_holdout]


# --------------------------------------------------------------------------------------------
# Fingerprint
# --------------------------------------------------------------------------------------------


def content_digest(df: pd.DataFrame, columns: Sequence[Hashable]) -> str:
    """Return a sha256 hex digest of the item ids and ``columns``' content, in row order.

    Rows are hashed by :func:`pandas.util.hash_pandas_object` (SipHash with pandas' fixed
    default key, the index included), and the per-row hashes, the column names and the
    row count are fed to sha256. The digest does not depend on the process, and a frame
    read back from CSV or parquet gives the same digest when its values and dtypes come back
    the same (text as object or as pandas' ``str`` dtype hash alike). Reordering rows,
    changing an id or one cell changes it. About 0.3 s per million text rows.

    Parameters
    ----------
    df : DataFrame
    columns : sequence of column names

    Returns
    -------
    str
        64 hex characters.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"text": ["a", "b"]})
    >>> content_digest(df, ["text"]) == content_digest(df.copy(), ["text"])
    True
    """
    cols = list(columns)
    require_columns(df, cols, argument="columns")
    digest = hashlib.sha256()
    digest.update(b"jupyter_al.content_digest.v1\x00")
    digest.update(repr([str(c) for c in cols]).encode())
    digest.update(f"\x00{len(df)}\x00".encode())
    if cols:
        part = df[cols]
        nested = [
            c
            for c in cols
            if part[c].dtype == object
            and part[c].map(lambda v: isinstance(v, list | tuple | dict)).any()
        ]
        if nested:  # list cells (spans given as lists) hash as their JSON text
            part = part.assign(
                **{
                    str(c): part[c].map(
                        lambda v: json.dumps(v) if isinstance(v, list | tuple | dict) else v
                    )
                    for c in nested
                }
            )
        rows = hash_pandas_object(part, index=True)
    else:
        rows = hash_pandas_object(df.index.to_series(), index=False)
    digest.update(np.ascontiguousarray(rows.to_numpy(dtype=np.uint64)).astype("<u8").tobytes())
    return digest.hexdigest()
