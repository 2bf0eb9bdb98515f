"""The interview: what the form asks, checked answer by answer, and its code equivalent.

Pure functions over plain dicts (the form's answers, as the page sends them) so the widget
stays thin and everything here is tested without a browser. The answers' shape::

    {
      "source": {"kind": "dataframe" | "file" | "sql", "name": str, "path": str,
                 "query": str, "url": str},
      "task": "classification" | "multilabel" | "ranking" | "extraction" | "other",
      "prediction_unit": "row" | "document" | "sentence" | "chunk" | "message",
      "text": str | None, "features": [str] | None, "label_column": str | None,
      "labels": [{"name": str, "description": str, "key": str}],
      "metric": str, "strategy": str, "batch_size": int,
      "holdout": {"kind": "fraction" | "dataframe" | "file" | "none", "fraction": float,
                  "name": str, "path": str, "label_column": str | None},
      "budget": {"max_labels": int | None, "max_rounds": int | None,
                 "max_minutes": float | None, "max_cost": float | None,
                 "cost_per_label": float | None},
      "llm_judge": bool,
      "query": str | None, "query_id": str | None,       # ranking
      "span_overlap": "forbid" | "nested" | "allow",     # extraction
      "unit": {"size": int | None, "overlap": int | None, "by": "tokens" | "chars",
               "thread": str | None, "order": str | None},  # chunk / message units
    }

The task "other" is regression (a number per item; ``labels`` stays empty).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from jupyter_al import metrics as _metrics
from jupyter_al._data import load_frame, parse_labels
from jupyter_al.exceptions import ConfigError
from jupyter_al.strategies import known_strategies

if TYPE_CHECKING:
    from jupyter_al._types import Task

__all__ = [
    "PREDICTION_UNITS",
    "TASK_CHOICES",
    "default_answers",
    "label_status",
    "load_source",
    "summarize",
    "to_code",
    "to_kwargs",
    "validate",
]

#: Task types the form offers ("other" is regression: a number per item).
TASK_CHOICES = {
    "classification": "ready",
    "multilabel": "ready",
    "ranking": "ready",
    "extraction": "ready",
    "other": "ready",
}
#: The form's task name -> Config.task.
SESSION_TASK = {"other": "regression"}
PREDICTION_UNITS = {
    "row": "ready",
    "document": "ready",
    "sentence": "ready",
    "chunk": "ready",
    "message": "ready",
}
_MAX_CLASSES_SHOWN = 50
_TEXT_MIN_MEAN_LENGTH = 20


def summarize(frame: pd.DataFrame) -> dict[str, Any]:
    """Describe the data for the form: columns, their kind, and likely roles.

    Returns
    -------
    dict
        ``{"n_rows", "columns": [{"name", "dtype", "kind", "n_missing", "example"}],
        "text_candidates", "numeric_candidates", "label_candidates"}``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = summarize(pd.DataFrame({"review": ["a long enough review text"] * 6,
    ...                             "score": ["great", None, "other"] * 2}))
    >>> s["text_candidates"], s["label_candidates"]
    (['review'], ['score'])
    """
    columns = []
    text, numeric, label = [], [], []
    for name in frame.columns:
        col = frame[name]
        kind = "other"
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            kind = "numeric"
            numeric.append(str(name))
        elif pd.api.types.is_string_dtype(col) or col.dtype == object:
            values = col.dropna().astype(str)
            mean_len = float(values.str.len().mean()) if len(values) else 0.0
            n_distinct = int(values.nunique())
            kind = "text" if mean_len >= _TEXT_MIN_MEAN_LENGTH else "category"
            if kind == "text":
                text.append(str(name))
            if 2 <= n_distinct <= max(_MAX_CLASSES_SHOWN * 4, 2) and n_distinct < 0.5 * len(col):
                label.append(str(name))
        example = col.dropna().iloc[0] if col.notna().any() else None
        columns.append(
            {
                "name": str(name),
                "dtype": str(col.dtype),
                "kind": kind,
                "n_missing": int(col.isna().sum()),
                "example": None if example is None else str(example)[:80],
            }
        )
    return {
        "n_rows": len(frame),
        "columns": columns,
        "text_candidates": text,
        "numeric_candidates": numeric,
        "label_candidates": label,
    }


def label_status(
    frame: pd.DataFrame, column: str, *, task: str = "classification", label_sep: str = "|"
) -> dict[str, Any]:
    """Detect whether ``column`` labels all, some or none of the rows, with counts per class.

    Examples
    --------
    >>> import pandas as pd
    >>> label_status(pd.DataFrame({"y": ["a", None, "b", "a"]}), "y")["status"]
    'partially labeled'
    """
    if task not in ("classification", "multilabel"):
        known = frame[column].map(lambda v: v is not None and str(v).strip() not in ("", "nan"))
        n = int(known.sum())
        status = "labeled" if n == len(frame) else "unlabeled" if n == 0 else "partially labeled"
        return {
            "column": column,
            "status": status,
            "n_labeled": n,
            "n_rows": len(frame),
            "counts": {},
            "n_classes": 0,
        }
    kind: Task = "multilabel" if task == "multilabel" else "classification"
    parsed = parse_labels(
        frame[column], task=kind, classes=None, label_sep=label_sep, argument=column
    )
    labeled = parsed.dropna()
    counts: dict[str, int] = {}
    for value in labeled:
        for c in value if isinstance(value, tuple) else (value,):
            counts[c] = counts.get(c, 0) + 1
    n = len(labeled)
    status = "unlabeled" if n == 0 else ("labeled" if n == len(frame) else "partially labeled")
    top = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:_MAX_CLASSES_SHOWN])
    return {
        "status": status,
        "n_labeled": n,
        "n_rows": len(frame),
        "counts": top,
        "n_classes": len(counts),
    }


def default_answers(given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return a complete answers dict, pre-filled from ``given`` (Session keyword arguments)."""
    g = dict(given or {})
    labels = g.get("labels") or []
    descriptions = dict(g.get("label_descriptions") or {})
    budget = g.get("budget") or {}
    if isinstance(budget, int):
        budget = {"max_labels": budget}
    elif not isinstance(budget, Mapping):
        budget = {
            k: getattr(budget, k)
            for k in ("max_labels", "max_rounds", "max_minutes", "max_cost", "cost_per_label")
        }
    holdout = g.get("holdout")
    if isinstance(holdout, float):
        hold = {"kind": "fraction", "fraction": holdout}
    elif isinstance(holdout, str):
        hold = {"kind": "file", "path": holdout}
    elif holdout is None and "holdout" in g:
        hold = {"kind": "none"}
    else:
        hold = {"kind": "fraction", "fraction": 0.2}
    hold = {"kind": "fraction", "fraction": 0.2, "name": "", "path": "", **hold}
    hold.setdefault("label_column", g.get("holdout_label_column") or g.get("label_column"))
    hold["label_column"] = (
        hold["label_column"] or g.get("holdout_label_column") or g.get("label_column")
    )
    features = g.get("features")
    return {
        "source": {
            "kind": "dataframe",
            "name": "df",
            "path": "",
            "query": "",
            "url": "",
            **dict(g.get("source") or {}),
        },
        "task": g.get("task", "classification"),
        "prediction_unit": g.get("prediction_unit", "row"),
        "text": g.get("text"),
        "features": list(features) if features else None,
        "label_column": g.get("label_column"),
        "labels": [
            {"name": str(n), "description": descriptions.get(str(n), ""), "key": ""} for n in labels
        ],
        "metric": g.get("metric", "default"),
        "strategy": g.get("strategy", "default")
        if isinstance(g.get("strategy", "default"), str)
        else "default",
        "batch_size": int(g.get("batch_size", 10)),
        "holdout": hold,
        "budget": {
            "max_labels": budget.get("max_labels"),
            "max_rounds": budget.get("max_rounds"),
            "max_minutes": budget.get("max_minutes"),
            "max_cost": budget.get("max_cost"),
            "cost_per_label": budget.get("cost_per_label"),
        },
        "llm_judge": bool(g.get("llm_judge", False)),
        "query": g.get("query"),
        "query_id": g.get("query_id"),
        "span_overlap": g.get("span_overlap", "forbid"),
        "unit": {
            "size": None,
            "overlap": None,
            "by": None,
            "thread": None,
            "order": None,
            **dict(g.get("unit") or {}),
        },
    }


def load_source(
    source: Mapping[str, Any], namespace: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Load the data the form points at: a notebook variable, a file, or a SQL query.

    Raises
    ------
    ConfigError
        Naming the field: ``source.name``, ``source.path``, ``source.query`` or ``source.url``.
    """
    kind = source.get("kind")
    if kind == "dataframe":
        name = str(source.get("name") or "").strip()
        ns = namespace or {}
        if not name.isidentifier():
            raise ConfigError(f"source.name must be a Python variable name, got {name!r}")
        if name not in ns:
            raise ConfigError(f"source.name: no variable {name!r} in the notebook")
        value = ns[name]
        if not isinstance(value, pd.DataFrame):
            raise ConfigError(f"source.name: {name!r} is a {type(value).__name__}, not a DataFrame")
        return value
    if kind == "file":
        return load_frame(str(source.get("path") or ""), argument="source.path")
    if kind == "sql":
        query, url = str(source.get("query") or ""), str(source.get("url") or "")
        if not query.strip():
            raise ConfigError("source.query must be a SQL query, got an empty string")
        if not url.strip():
            raise ConfigError(
                "source.url must be a connection URL (e.g. sqlite:///data.db), got ''"
            )
        return _read_sql(query, url)
    raise ConfigError(f"source.kind must be 'dataframe', 'file' or 'sql', got {kind!r}")


def _read_sql(query: str, url: str) -> pd.DataFrame:
    if url.startswith("sqlite:///"):
        import sqlite3

        path = url.removeprefix("sqlite:///")
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
                frame = pd.read_sql_query(query, conn)
        except (sqlite3.Error, pd.errors.DatabaseError) as exc:
            raise ConfigError(f"source.query failed on {url}: {exc}") from exc
    else:
        try:
            import sqlalchemy  # type: ignore[import-not-found,unused-ignore]  # why: optional
        except ImportError:
            raise ConfigError(
                f"source.url {url.split(':', 1)[0]}:... needs SQLAlchemy (pip install sqlalchemy "
                "and the database's driver); sqlite:/// URLs work without it"
            ) from None
        try:
            engine = sqlalchemy.create_engine(url)
            with engine.connect() as conn:
                frame = pd.read_sql_query(sqlalchemy.text(query), conn)
        except sqlalchemy.exc.SQLAlchemyError as exc:
            raise ConfigError(f"source.query failed: {exc}") from exc
    if frame.empty:
        raise ConfigError("source.query returned no rows")
    return frame


def _positive(value: Any, *, integer: bool) -> bool:
    if value is None or isinstance(value, bool):
        return False
    if integer:
        return isinstance(value, int) and value > 0
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def validate(answers: Mapping[str, Any], frame: pd.DataFrame | None) -> dict[str, str]:
    """Check every answer; return ``{field: explanation}`` for the wrong ones (empty = ok).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t": ["some text here, long enough"] * 4, "y": ["a", "b"] * 2})
    >>> a = default_answers({"text": "t", "labels": ["a", "b"], "holdout_label_column": "y"})
    >>> validate(a, df)
    {}
    >>> validate({**a, "text": "x"}, df)["text"]
    "column 'x' is not in the data (columns: t, y)"
    """
    errors: dict[str, str] = {}
    task = answers.get("task")
    if TASK_CHOICES.get(str(task)) != "ready":
        errors["task"] = f"choose one of {', '.join(TASK_CHOICES)}, got {task!r}"
    unit = answers.get("prediction_unit")
    if PREDICTION_UNITS.get(str(unit)) != "ready":
        errors["prediction_unit"] = f"choose one of {', '.join(PREDICTION_UNITS)}, got {unit!r}"
    columns = [str(c) for c in frame.columns] if frame is not None else None

    def column_error(name: Any) -> str | None:
        if columns is None:
            return None
        if name not in columns:
            return f"column {name!r} is not in the data (columns: {', '.join(columns[:20])})"
        return None

    text, features = answers.get("text"), answers.get("features")
    if not text and not features:
        errors["text"] = "choose the column with the text to label (or numeric feature columns)"
    elif text and features:
        errors["features"] = "choose either a text column or feature columns, not both"
    elif text:
        err = column_error(text)
        if err:
            errors["text"] = err
    else:
        bad = [f for f in features or [] if column_error(f)]
        if bad:
            errors["features"] = f"columns not in the data: {', '.join(map(str, bad))}"
        elif frame is not None:
            non_numeric = [f for f in features or [] if not pd.api.types.is_numeric_dtype(frame[f])]
            if non_numeric:
                errors["features"] = f"feature columns must be numeric: {', '.join(non_numeric)}"
    label_column = answers.get("label_column")
    if label_column:
        err = column_error(label_column)
        if err:
            errors["label_column"] = err
    names = [str(x.get("name", "")).strip() for x in answers.get("labels") or []]
    if any(not n for n in names):
        errors["labels"] = "every label needs a name"
    elif len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        errors["labels"] = f"label names must be unique: {', '.join(dupes)} repeated"
    elif task == "other" and names:
        errors["labels"] = "a regression label is a number: leave the label list empty"
    elif task == "extraction" and not names:
        errors["labels"] = "add the span types (at least 1), e.g. date, time, people"
    elif task == "ranking" and len(names) < 2:
        errors["labels"] = "add the relevance grades, lowest first (at least 2)"
    elif task in ("classification", "multilabel") and len(names) < 2 and not label_column:
        errors["labels"] = "add at least 2 labels (or pick a label column to read them from)"
    _validate_task_fields(answers, errors, column_error)
    keys = [str(x.get("key", "")).strip().lower() for x in answers.get("labels") or []]
    used = [k for k in keys if k]
    if len(set(used)) != len(used):
        errors["labels"] = "each hotkey may belong to one label only"
    elif any(len(k) > 1 or k in "suz?" for k in used):
        errors["labels"] = "a hotkey is one character, not s, u, z or ? (they skip, undo, unsure)"
    metric = str(answers.get("metric") or "default")
    session_task = SESSION_TASK.get(str(task), task)
    if metric != "default" and TASK_CHOICES.get(str(task)) == "ready":
        try:
            _metrics.resolve_metric(metric, session_task)  # type: ignore[arg-type]  # why: checked above
        except ConfigError as exc:
            errors["metric"] = str(exc)
    strategy = str(answers.get("strategy") or "default")
    if strategy != "default" and TASK_CHOICES.get(str(task)) == "ready":
        known = known_strategies(session_task)  # type: ignore[arg-type]  # why: checked above
        if strategy not in known:
            errors["strategy"] = f"unknown strategy {strategy!r}; known: {', '.join(known)}"
    if not _positive(answers.get("batch_size"), integer=True):
        errors["batch_size"] = f"a positive whole number, got {answers.get('batch_size')!r}"
    hold = answers.get("holdout") or {}
    kind = hold.get("kind")
    if kind == "fraction":
        f = hold.get("fraction")
        if not isinstance(f, int | float) or isinstance(f, bool) or not 0 < f < 1:
            errors["holdout"] = f"a fraction between 0 and 1 (e.g. 0.2), got {f!r}"
    elif kind == "file" and not str(hold.get("path") or "").strip():
        errors["holdout"] = "give the held-out file's path"
    elif kind == "dataframe" and not str(hold.get("name") or "").isidentifier():
        errors["holdout"] = "give the held-out DataFrame's variable name"
    elif kind not in ("fraction", "file", "dataframe", "none"):
        errors["holdout"] = "choose a fraction, a DataFrame, a file, or none"
    # sentence and chunk units are labeled in the session, held-out ones too
    units_labeled_here = answers.get("prediction_unit") in ("sentence", "chunk")
    if kind in ("fraction", "file", "dataframe") and not hold.get("label_column"):
        if not units_labeled_here:
            errors.setdefault(
                "holdout",
                "name the column with the held-out set's gold labels (needed to evaluate)",
            )
    elif kind == "fraction" and hold.get("label_column"):
        err = column_error(hold.get("label_column"))
        if err:
            errors["holdout"] = err
    budget = answers.get("budget") or {}
    for key, integer in (
        ("max_labels", True),
        ("max_rounds", True),
        ("max_minutes", False),
        ("max_cost", False),
    ):
        value = budget.get(key)
        if value is not None and not _positive(value, integer=integer):
            errors["budget"] = (
                f"{key} must be a positive {'whole ' if integer else ''}number, got {value!r}"
            )
    if budget.get("max_cost") is not None and budget.get("cost_per_label") is None:
        errors["budget"] = "a money budget needs the cost per label"
    cpl = budget.get("cost_per_label")
    if cpl is not None and (not isinstance(cpl, int | float) or isinstance(cpl, bool) or cpl < 0):
        errors["budget"] = f"cost per label must be a non-negative number, got {cpl!r}"
    if not isinstance(answers.get("llm_judge", False), bool):
        errors["llm_judge"] = "yes or no"
    return errors


def _validate_task_fields(
    answers: Mapping[str, Any], errors: dict[str, str], column_error: Any
) -> None:
    """Check what only some tasks and units ask: the query column, unit options."""
    task, unit = answers.get("task"), answers.get("prediction_unit")
    if task == "ranking":
        query = answers.get("query")
        if not query:
            errors["query"] = "choose the column with each pair's query (text= is the document)"
        elif column_error(query):
            errors["query"] = column_error(query)
        qid = answers.get("query_id")
        if qid and column_error(qid):
            errors["query_id"] = column_error(qid)
        if answers.get("features"):
            errors["text"] = "ranking needs the document's text column, not feature columns"
    if task == "extraction" and answers.get("features"):
        errors["text"] = "extraction needs a text column (spans point into it)"
    if answers.get("span_overlap", "forbid") not in ("forbid", "nested", "allow"):
        errors["span_overlap"] = "choose forbid, nested or allow"
    opts = answers.get("unit") or {}
    if unit in ("sentence", "chunk", "message"):
        if answers.get("features"):
            errors["prediction_unit"] = f"{unit} units are cut from a text column: choose text"
        elif task in ("ranking", "other"):
            errors["prediction_unit"] = (
                f"{unit} units work with classification, multilabel and extraction"
            )
        if unit in ("sentence", "chunk") and answers.get("label_column"):
            errors["label_column"] = (
                f"a label column holds one label per document; {unit} units are labeled in "
                "the session: leave it empty"
            )
    if unit == "chunk" and not _positive(opts.get("size"), integer=True):
        errors["unit"] = f"chunks need a size (a positive whole number), got {opts.get('size')!r}"
    if unit == "message":
        for key in ("thread", "order"):
            if not opts.get(key):
                errors.setdefault("unit", f"messages need the {key} column")
            elif column_error(opts[key]):
                errors.setdefault("unit", column_error(opts[key]))


def to_kwargs(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Return the ``Session`` keyword arguments the answers stand for (data and frames aside)."""
    hold = answers.get("holdout") or {}
    task = str(answers["task"])
    kwargs: dict[str, Any] = {"task": SESSION_TASK.get(task, task)}
    if task == "ranking":
        kwargs["query"] = answers.get("query")
        if answers.get("query_id"):
            kwargs["query_id"] = answers["query_id"]
    if task == "extraction" and answers.get("span_overlap", "forbid") != "forbid":
        kwargs["span_overlap"] = answers["span_overlap"]
    unit = answers.get("prediction_unit") or "row"
    if unit != "row":
        kwargs["prediction_unit"] = unit
    opts = answers.get("unit") or {}
    wanted = {"chunk": ("size", "overlap", "by"), "message": ("thread", "order")}.get(unit, ())
    unit_opts = {k: opts[k] for k in wanted if opts.get(k) is not None}
    if unit_opts:
        kwargs["unit"] = unit_opts
    if answers.get("text"):
        kwargs["text"] = answers["text"]
    elif answers.get("features"):
        kwargs["features"] = list(answers["features"])
    labels = [str(x["name"]).strip() for x in answers.get("labels") or []]
    if labels:
        kwargs["labels"] = labels
    descriptions = {
        str(x["name"]).strip(): str(x.get("description", "")).strip()
        for x in answers.get("labels") or []
        if str(x.get("description", "")).strip()
    }
    if descriptions:
        kwargs["label_descriptions"] = descriptions
    if answers.get("label_column"):
        kwargs["label_column"] = answers["label_column"]
    if hold.get("kind") == "fraction":
        kwargs["holdout"] = float(hold["fraction"])
    elif hold.get("kind") == "file":
        kwargs["holdout"] = str(hold["path"])
    if hold.get("label_column") and hold.get("label_column") != answers.get("label_column"):
        kwargs["holdout_label_column"] = hold["label_column"]
    for key in ("metric", "strategy"):
        if answers.get(key) and answers[key] != "default":
            kwargs[key] = answers[key]
    kwargs["batch_size"] = int(answers.get("batch_size") or 10)
    budget = {k: v for k, v in (answers.get("budget") or {}).items() if v is not None}
    if budget:
        kwargs["budget"] = budget
    if answers.get("llm_judge"):
        kwargs["llm_judge"] = True
    return kwargs


def to_code(answers: Mapping[str, Any]) -> str:
    """Return the Python call equivalent to the answers ("copy as code").

    Examples
    --------
    >>> a = default_answers({"text": "review", "labels": ["great", "other"]})
    >>> print(to_code(a).splitlines()[-1])
    session = Session(df, text='review', labels=['great', 'other'], holdout=0.2, batch_size=10)
    """
    source = answers.get("source") or {}
    lines = ["from jupyter_al import Session"]
    kind = source.get("kind")
    data = "df"
    if kind == "dataframe":
        data = str(source.get("name") or "df")
    elif kind == "file":
        data = repr(str(source.get("path") or ""))
    elif kind == "sql":
        lines += [
            "import pandas as pd",
            "import sqlalchemy",
            (
                f"df = pd.read_sql_query(sqlalchemy.text({source.get('query')!r}), "
                f"sqlalchemy.create_engine({source.get('url')!r}).connect())"
            ),
        ]
    hold = answers.get("holdout") or {}
    kwargs = to_kwargs(answers)
    if hold.get("kind") == "dataframe":
        kwargs["holdout"] = _Raw(str(hold.get("name")))
    if kwargs.get("task") == "classification":
        kwargs.pop("task")
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    lines.append(f"session = Session({data}, {args})")
    return "\n".join(lines)


class _Raw(str):
    """A string shown without quotes in generated code (a variable name)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)
