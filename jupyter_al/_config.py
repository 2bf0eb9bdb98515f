"""The interview's answers as frozen, validated records."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, cast

from jupyter_al._types import ALL_TASKS, OTHER_TASKS, TASKS, AnyTask, Task
from jupyter_al.exceptions import ConfigError

__all__ = ["Budget", "Config"]

#: Rounds a run may take when no budget at all is given: a run is always bounded.
DEFAULT_MAX_ROUNDS = 50


def _check_positive_int(value: object, name: str, *, allow_none: bool = True) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")


def _check_positive_number(value: object, name: str, *, allow_zero: bool = False) -> None:
    if value is None:
        return
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (value < 0 if allow_zero else value <= 0):  # type: ignore[operator]  # why: guarded by ok
        what = "a non-negative" if allow_zero else "a positive"
        raise ConfigError(f"{name} must be {what} finite number, got {value!r}")


@dataclass(frozen=True, slots=True)
class Budget:
    """How much a run may spend. The first limit reached stops the run.

    Parameters
    ----------
    max_labels : int, optional
        Human labels (examples) the run may collect, initial labels from the data excluded.
    max_rounds : int, optional
        Rounds (batches submitted).
    max_minutes : float, optional
        Wall-clock minutes since the session was configured (resumes included).
    max_cost : float, optional
        Money the run may spend on labels; needs ``cost_per_label``.
    cost_per_label : float, optional
        Price of one human label, in the same unit as ``max_cost``.

    Examples
    --------
    >>> Budget(max_labels=200, max_rounds=10).max_labels
    200
    """

    max_labels: int | None = None
    max_rounds: int | None = None
    max_minutes: float | None = None
    max_cost: float | None = None
    cost_per_label: float | None = None

    def __post_init__(self) -> None:
        """Check every limit."""
        _check_positive_int(self.max_labels, "budget.max_labels")
        _check_positive_int(self.max_rounds, "budget.max_rounds")
        _check_positive_number(self.max_minutes, "budget.max_minutes")
        _check_positive_number(self.max_cost, "budget.max_cost")
        _check_positive_number(self.cost_per_label, "budget.cost_per_label", allow_zero=True)
        if self.max_cost is not None and self.cost_per_label is None:
            raise ConfigError(
                "budget.max_cost needs budget.cost_per_label (the price of one label), got None"
            )

    @property
    def is_unbounded(self) -> bool:
        """True when no limit at all is set."""
        return all(
            v is None for v in (self.max_labels, self.max_rounds, self.max_minutes, self.max_cost)
        )

    @classmethod
    def coerce(cls, value: Budget | Mapping[str, Any] | int | None) -> Budget:
        """Build a budget from what a user may pass.

        An int is a number of labels; a mapping holds the field names; None means the
        default bound of :data:`DEFAULT_MAX_ROUNDS` rounds.

        Examples
        --------
        >>> Budget.coerce(100).max_labels
        100
        """
        if value is None:
            return cls(max_rounds=DEFAULT_MAX_ROUNDS)
        if isinstance(value, Budget):
            return (
                value if not value.is_unbounded else replace(value, max_rounds=DEFAULT_MAX_ROUNDS)
            )
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(max_labels=value)
        if isinstance(value, Mapping):
            known = {f.name for f in fields(cls)}
            unknown = sorted(set(value) - known)
            if unknown:
                raise ConfigError(
                    f"budget got unknown keys {unknown}; expected some of {sorted(known)}"
                )
            return cls.coerce(cls(**value))
        raise ConfigError(
            "budget must be an int (labels), a Budget, a mapping of its fields or None, "
            f"got {type(value).__name__}"
        )


#: What ``guards=`` accepts (see :class:`Config`).
GUARD_MODES = ("all", "fast", "off")
#: What ``prediction_unit=`` accepts: a row of the data, or units cut from its text column.
PREDICTION_UNITS = ("row", "document", "sentence", "chunk", "message")
#: What ``span_overlap=`` accepts (extraction): see :class:`jupyter_al.extraction.SpanSchema`.
SPAN_OVERLAPS = ("forbid", "nested", "allow")
#: Unit options ``Config.unit`` may hold (see :class:`jupyter_al.units.UnitSpec`).
UNIT_OPTIONS = ("size", "overlap", "by", "thread", "order", "splitter")


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the interview asks, validated on creation.

    Parameters
    ----------
    labels : tuple of str
        The label schema: classes (at least two), span types for extraction (at least one),
        relevance grade names for ranking, lowest first (at least two; grade ``i`` is the
        ``i``-th name), nothing for regression.
    text : str, optional
        The column holding the text to label. Exactly one of ``text`` and ``features``.
    features : tuple of str, optional
        Numeric columns to learn from (shown as a table).
    task : {"classification", "multilabel", "extraction", "ranking", "regression"}
        Extraction labels are typed character spans of ``text``; ranking labels are
        relevance grades of (``query``, ``text``) pairs; regression ("other") labels are
        numbers.
    label_column : str, optional
        Column with labels already known for pool items (empty cells mean unlabeled).
    holdout_label_column : str, optional
        Column with the gold labels of held-out items; defaults to ``label_column``.
    label_sep : str
        Separator of several labels in one cell (multilabel), default ``"|"``.
    holdout : float or str, optional
        A fraction of the data split off (stratified) at the start, or a file path.
        A DataFrame passed to ``Session`` is stored in the run folder and recorded here as the
        file name it was saved under.
    metric : str
        Metric name, ``"default"`` for the task's default.
    strategy : str
        Strategy name, ``"default"`` for the task's recommended one.
    batch_size : int
    budget : Budget
    plateau_patience : int, optional
        Stop when the metric has not improved by ``plateau_min_delta`` for this many rounds.
    plateau_min_delta : float
    annotator_capacity : int, optional
        Labels one annotator may give in this run; the run stops when one reaches it.
    min_per_class : int
        Labels per class below which the first batch is a diverse seed set.
    random_state : int, optional
        The run's seed; drawn once and logged when None.
    model : str
        ``"default"`` for the baseline model, else a description of the user's estimator.
    prediction_unit : {"row", "document", "sentence", "chunk", "message"}
        What one item is: a row of the data (``"document"`` is the same: one row, one
        document), or units cut from the ``text`` column (:mod:`jupyter_al.units`), each
        keeping its parent's id, its position and its offsets.
    unit : tuple of (str, value) pairs
        The unit options of :class:`jupyter_al.units.UnitSpec` besides the kind: chunk
        ``size``/``overlap``/``by``, message ``thread``/``order``, sentence ``splitter``.
    query : str, optional
        Ranking: the column with each pair's query (``text`` holds the document).
    query_id : str, optional
        Ranking: the column with each pair's query id (default: the query's text). The
        held-out set is split by query, never by pair.
    span_overlap : {"forbid", "nested", "allow"}
        Extraction: how two spans of one text may overlap.
    llm_judge : bool
        Whether an LLM may act as judge (recorded; judges arrive with a later release).
    label_descriptions : tuple of (str, str) pairs
        Optional guidelines per label, shown next to the label buttons.
    image_shape : (int, int), optional
        (height, width) when the feature columns are an image's pixels (e.g. digits).
    guards : {"all", "fast", "off"}
        Failure-mode guards read every round: all of them, all but the cross-validated
        suspicious-labels check (``"fast"``, for simulations), or none.
    encoder : str
        The representation for diversity and density: ``"tfidf"`` (the model's features), or
        an encoder spec such as ``"sentence-transformers:all-MiniLM-L6-v2"`` or
        ``"model2vec:<path>"`` (see :mod:`jupyter_al.embeddings`), or the name of an encoder
        object passed to the session.
    seed_keywords : tuple of (str, tuple of str) pairs
        Keywords per label: the cold-start seed first looks for an item of each label that has
        no label yet among the texts holding one of its keywords (then among the texts most
        similar to the label's name and description).
    """

    labels: tuple[str, ...]
    text: str | None = None
    features: tuple[str, ...] | None = None
    task: AnyTask = "classification"
    label_column: str | None = None
    holdout_label_column: str | None = None
    label_sep: str = "|"
    holdout: float | str | None = None
    metric: str = "default"
    strategy: str = "default"
    batch_size: int = 10
    budget: Budget = field(default_factory=Budget)
    plateau_patience: int | None = None
    plateau_min_delta: float = 0.005
    annotator_capacity: int | None = None
    min_per_class: int = 2
    random_state: int | None = None
    model: str = "default"
    prediction_unit: str = "row"
    llm_judge: bool = False
    label_descriptions: tuple[tuple[str, str], ...] = ()
    image_shape: tuple[int, int] | None = None
    guards: str = "all"
    encoder: str = "tfidf"
    seed_keywords: tuple[tuple[str, tuple[str, ...]], ...] = ()
    unit: tuple[tuple[str, Any], ...] = ()
    query: str | None = None
    query_id: str | None = None
    span_overlap: str = "forbid"

    def __post_init__(self) -> None:
        """Validate every answer; raise ConfigError naming the argument."""
        if self.guards not in GUARD_MODES:
            raise ConfigError(f"guards must be one of {list(GUARD_MODES)}, got {self.guards!r}")
        if not isinstance(self.encoder, str) or not self.encoder.strip():
            raise ConfigError(f"encoder must be a non-empty name, got {self.encoder!r}")
        if self.task not in ALL_TASKS:
            raise ConfigError(f"task must be one of {list(ALL_TASKS)}, got {self.task!r}")
        if not isinstance(self.labels, tuple) or not all(isinstance(x, str) for x in self.labels):
            raise ConfigError(f"labels must be a tuple of str, got {self.labels!r}")
        self._check_schema_size()
        dupes = sorted({x for x in self.labels if self.labels.count(x) > 1})
        if dupes:
            raise ConfigError(f"labels must be unique, got duplicates {dupes}")
        if any(not x.strip() for x in self.labels):
            raise ConfigError(f"labels must be non-empty strings, got {self.labels!r}")
        if (self.text is None) == (self.features is None):
            raise ConfigError(
                "pass exactly one of text= (a column of text) and features= (numeric columns), "
                f"got text={self.text!r}, features={self.features!r}"
            )
        if self.features is not None and (
            not isinstance(self.features, tuple) or not self.features
        ):
            raise ConfigError(
                f"features must be a non-empty tuple of columns, got {self.features!r}"
            )
        if self.task == "multilabel" and not self.label_sep:
            raise ConfigError("label_sep must be a non-empty string for multilabel data, got ''")
        if self.holdout is not None:
            h = self.holdout
            if isinstance(h, float | int) and not isinstance(h, bool):
                if not 0 < h < 1:
                    raise ConfigError(
                        f"holdout as a fraction must be between 0 and 1 (exclusive), got {h!r}"
                    )
            elif not isinstance(h, str):
                raise ConfigError(
                    f"holdout must be a fraction, a path or a DataFrame, got {type(h).__name__}"
                )
        _check_positive_int(self.batch_size, "batch_size", allow_none=False)
        _check_positive_int(self.plateau_patience, "plateau_patience")
        _check_positive_number(self.plateau_min_delta, "plateau_min_delta", allow_zero=True)
        _check_positive_int(self.annotator_capacity, "annotator_capacity")
        _check_positive_int(self.min_per_class, "min_per_class", allow_none=False)
        if self.random_state is not None and (
            isinstance(self.random_state, bool)
            or not isinstance(self.random_state, int)
            or self.random_state < 0
        ):
            raise ConfigError(
                f"random_state must be a non-negative int or None, got {self.random_state!r}"
            )
        if not isinstance(self.budget, Budget):
            raise ConfigError(f"budget must be a Budget, got {type(self.budget).__name__}")
        unknown = [k for k, _ in self.label_descriptions if k not in self.labels]
        if unknown:
            raise ConfigError(
                f"label_descriptions names labels outside the schema {list(self.labels)}: {unknown}"
            )
        for key, words in self.seed_keywords:
            if key not in self.labels:
                raise ConfigError(
                    f"keywords names a label outside the schema {list(self.labels)}: {key!r}"
                )
            if not words or not all(isinstance(w, str) and w.strip() for w in words):
                raise ConfigError(
                    f"keywords[{key!r}] must be a non-empty list of non-empty strings, "
                    f"got {list(words)!r}"
                )
        if self.image_shape is not None:
            h, w = self.image_shape
            n = len(self.features or ())
            if self.features is None or h * w != n:
                raise ConfigError(
                    f"image_shape {self.image_shape} needs features= with {h}x{w} pixel columns, "
                    f"got {n} feature columns"
                )
        self._check_task_fields()

    def _check_schema_size(self) -> None:
        n = len(set(self.labels))
        if self.task == "regression":
            if self.labels:
                raise ConfigError(
                    f"labels must be empty for task='regression' (labels are numbers), "
                    f"got {self.labels!r}"
                )
        elif self.task == "extraction":
            if n < 1:
                raise ConfigError("labels must name at least 1 span type for extraction, got ()")
        elif n < 2:  # why: two labels make a classification, two grades a ranking
            what = "grades (lowest first)" if self.task == "ranking" else "distinct values"
            raise ConfigError(
                f"labels needs at least 2 {what}, got {tuple(dict.fromkeys(self.labels))}"
            )

    def _check_task_fields(self) -> None:
        """Check what only some tasks and units use."""
        if self.prediction_unit not in PREDICTION_UNITS:
            raise ConfigError(
                f"prediction_unit must be one of {list(PREDICTION_UNITS)}, "
                f"got {self.prediction_unit!r}"
            )
        split = self.prediction_unit not in ("row", "document")
        if split and self.text is None:
            raise ConfigError(
                f"prediction_unit={self.prediction_unit!r} cuts a text column into units: "
                "pass text=, got features="
            )
        if split and self.task in ("ranking", "regression"):
            raise ConfigError(
                f"prediction_unit={self.prediction_unit!r} works with classification, "
                f"multilabel and extraction, got task={self.task!r}; use 'row'"
            )
        bad = [k for k, _ in self.unit if k not in UNIT_OPTIONS]
        if bad:
            raise ConfigError(f"unit has unknown options {bad}; expected some of {UNIT_OPTIONS}")
        if self.unit and not split:
            raise ConfigError(
                f"unit options {[k for k, _ in self.unit]} apply to sentence, chunk or message "
                f"units, got prediction_unit={self.prediction_unit!r}"
            )
        if self.task == "ranking":
            if self.text is None or self.query is None:
                raise ConfigError(
                    "task='ranking' needs query= (the query column) and text= (the document "
                    f"column), got query={self.query!r}, text={self.text!r}"
                )
        elif self.query is not None or self.query_id is not None:
            raise ConfigError(
                f"query= and query_id= are for task='ranking', got task={self.task!r}"
            )
        if self.task == "extraction" and self.text is None:
            raise ConfigError("task='extraction' needs text= (spans point into a text column)")
        if self.span_overlap not in SPAN_OVERLAPS:
            raise ConfigError(
                f"span_overlap must be one of {list(SPAN_OVERLAPS)}, got {self.span_overlap!r}"
            )
        if self.task in OTHER_TASKS and self.llm_judge:
            raise ConfigError(
                f"llm_judge=True works with {list(TASKS)} for now, got task={self.task!r}"
            )
        if self.task in OTHER_TASKS and self.label_sep != "|":
            raise ConfigError(f"label_sep is for multilabel data, got task={self.task!r}")

    @property
    def class_task(self) -> Task:
        """The task, for code that handles class labels only (a clear error otherwise)."""
        if self.task in ("classification", "multilabel"):
            return self.task
        raise ConfigError(
            f"this step handles class labels ({list(TASKS)}) only, got task={self.task!r}"
        )

    @property
    def unit_options(self) -> dict[str, Any]:
        """The unit options as a dict (empty for rows)."""
        return dict(self.unit)

    @property
    def gold_column(self) -> str | None:
        """The column with the held-out set's gold labels."""
        return self.holdout_label_column or self.label_column

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (the form logged in the run folder).

        Examples
        --------
        >>> Config(labels=("a", "b"), text="t").to_dict()["labels"]
        ['a', 'b']
        """
        d = asdict(self)
        d["labels"] = list(self.labels)
        d["features"] = list(self.features) if self.features is not None else None
        d["label_descriptions"] = [list(p) for p in self.label_descriptions]
        d["seed_keywords"] = [[k, list(v)] for k, v in self.seed_keywords]
        d["image_shape"] = list(self.image_shape) if self.image_shape is not None else None
        d["unit"] = [list(p) for p in self.unit]
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Config:
        """Rebuild a config logged by :meth:`to_dict`.

        Examples
        --------
        >>> c = Config(labels=("a", "b"), text="t", batch_size=5)
        >>> Config.from_dict(c.to_dict()) == c
        True
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"config has unknown keys {unknown}; expected some of {sorted(known)}"
            )
        d = dict(data)
        d["labels"] = tuple(d["labels"])
        if d.get("features") is not None:
            d["features"] = tuple(d["features"])
        if "label_descriptions" in d:
            d["label_descriptions"] = tuple((str(k), str(v)) for k, v in d["label_descriptions"])
        if "unit" in d:
            d["unit"] = tuple((str(k), v) for k, v in d["unit"])
        if d.get("image_shape") is not None:
            d["image_shape"] = (int(d["image_shape"][0]), int(d["image_shape"][1]))
        if "seed_keywords" in d:
            d["seed_keywords"] = tuple(
                (str(k), tuple(str(w) for w in v)) for k, v in d["seed_keywords"]
            )
        budget = d.get("budget")
        if isinstance(budget, Mapping):
            d["budget"] = Budget(**cast("Mapping[str, Any]", budget))
        return cls(**d)
