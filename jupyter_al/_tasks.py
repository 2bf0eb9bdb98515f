"""The tasks without class labels, in the loop: extraction, ranking and regression.

The session and the engine call these where the class tasks call ``_model`` and
``metrics``; everything here is a pure function of the :class:`~jupyter_al._engine.Pool`
and the labels, so the live session and replay walk the same code.

========== ======================== ============================== ========================
task       label (as logged)        model (default)                held-out metrics
========== ======================== ============================== ========================
extraction spans ``[[s, e, type]]`` ``CRFTagger`` (token features) span P/R/F1, per type
ranking    grade (int, 0 lowest)    ``PointwiseRanker`` (BM25 ...) nDCG@10, nDCG@5, MAP, MRR
regression a finite number          ``EnsembleRegressor`` (Ridge)  RMSE, MAE, R2
========== ======================== ============================== ========================

Strategies (registered here, in the one registry, for their task only): extraction's
sequence least confidence (default), its length-normalised variant and mean / max token
entropy; ranking's top-k disagreement (default) and grade uncertainty; regression's spread;
and, for every task, ``random`` and the cold start.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from jupyter_al.exceptions import ConfigError, LabelError
from jupyter_al.strategies import Candidates, Selection, register_strategy

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from jupyter_al._config import Config
    from jupyter_al._types import Features, ItemId
    from jupyter_al.extraction import SpanSchema
    from jupyter_al.ranking import GradeScale

__all__ = [
    "RankingCandidates",
    "can_fit",
    "check_label",
    "default_model",
    "evaluate",
    "fit_model",
    "label_classes",
    "parse_label_column",
    "predictions",
    "scores",
]

#: A span as logged: ``(start, end, type)``.
SpanTuple = tuple[int, int, str]
#: The k of the ranking strategies' top-k cut-off (nDCG@10 is the default metric).
TOP_K: Final = 10


# ============================================================================ schema


def grade_scale(config: Config) -> GradeScale:
    """Return the ranking task's grades: ``0..n-1``, named by ``config.labels``."""
    from jupyter_al.ranking import GradeScale

    return GradeScale(tuple(range(len(config.labels))), names=config.labels)


def span_schema(config: Config) -> SpanSchema:
    """Return the extraction task's span types and overlap rule."""
    from jupyter_al.extraction import SpanSchema

    return SpanSchema(config.labels, overlap=config.span_overlap)  # type: ignore[arg-type]  # why: checked by Config


# ============================================================================ labels


def _span_values(value: Any, item_id: object) -> list[Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError:
            raise LabelError(
                f"label of item {item_id!r} must be a list of spans [start, end, type], got "
                f"the str {value[:60]!r}"
            ) from None
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise LabelError(
            f"label of item {item_id!r} must be a list of spans [start, end, type] (or "
            f"{{start, end, type}} dicts), got {type(value).__name__}"
        )
    out: list[Any] = []
    for span in value:
        if isinstance(span, Mapping):
            missing = [k for k in ("start", "end", "type") if k not in span]
            if missing:
                raise LabelError(f"a span of item {item_id!r} lacks {missing}: {dict(span)!r}")
            out.append([span["start"], span["end"], span["type"]])
        else:
            out.append(span)
    return out


def check_label(config: Config, value: Any, *, text: str | None, item_id: object) -> Any:
    """Return ``value`` as the task's label, or raise :class:`LabelError` saying why.

    Extraction: a list of spans (``[start, end, type]``, ``Span`` or ``{start, end, type}``;
    ``[]`` = no span) checked against the item's text and the schema, returned sorted as a
    tuple of ``(start, end, type)``. Ranking: a grade of the scale (its number or its name).
    Regression: a finite number.
    """
    task = config.task
    if task == "extraction":
        from jupyter_al.extraction import check_spans

        assert text is not None
        try:
            spans = check_spans(
                text, _span_values(value, item_id), span_schema(config), item_id=item_id
            )
        except LabelError:
            raise
        except ConfigError as err:
            raise LabelError(str(err)) from None
        return tuple((s.start, s.end, s.type) for s in spans)
    if task == "ranking":
        from jupyter_al.ranking import check_grade

        return int(check_grade(value, grade_scale(config), item_id=item_id))
    if task == "regression":
        from jupyter_al.regression import check_target

        return check_target(value, item_id=item_id)
    raise ConfigError(f"check_label is for {('extraction', 'ranking', 'regression')}, got {task!r}")


def _missing(value: Any) -> bool:
    """Return True for an empty cell: None, NaN, pandas' NA or NaT, or blank text."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict | np.ndarray):
        return False
    return bool(pd.isna(value))


def parse_label_column(
    column: pd.Series, config: Config, texts: pd.Series | None, *, argument: str
) -> dict[ItemId, Any]:
    r"""Parse a label column of the task: a missing cell means unlabeled.

    Extraction cells hold JSON span lists (``"[[0, 4, \\"time\\"]]"``, ``"[]"`` for none) or
    lists; ranking cells grades (numbers or names); regression cells numbers.

    Raises
    ------
    LabelError
        A cell that is not a label of the task, naming the column and the item.
    """
    from jupyter_al._data import to_item_id

    out: dict[ItemId, Any] = {}
    lookup = {} if texts is None else texts.astype(str).to_dict()
    for key, value in column.items():
        if _missing(value):
            continue
        item = to_item_id(key)
        text = lookup.get(key)
        try:
            out[item] = check_label(config, value, text=text, item_id=item)
        except LabelError as err:
            raise LabelError(f"{argument}: {err}") from None
    return out


def label_classes(value: Any, classes: Sequence[str]) -> list[str]:
    """Return the schema names a label counts for (span types, a grade's name; none for numbers)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, tuple):
        return [v[2] if isinstance(v, tuple) else v for v in value]
    if isinstance(value, int | np.integer) and not isinstance(value, bool) and classes:
        return [classes[int(value)]] if 0 <= int(value) < len(classes) else []
    return []


# ============================================================================ models


def default_model(config: Config) -> Any:
    """Return the task's baseline model template (not fitted)."""
    if config.task == "extraction":
        from jupyter_al.extraction import CRFTagger

        return CRFTagger()
    if config.task == "ranking":
        from jupyter_al.ranking import PRF_FEATURE_NAMES, PointwiseRanker

        # unweighted: its probabilities drive the selection; two features (BM25 relative to
        # the query's best, and cosine to the pseudo-relevance-feedback centroid): the only
        # set with which the ranker beats BM25 alone on CISI (docs/benchmarks.md, ranking)
        return PointwiseRanker(
            grade_scale(config), class_weight=None, feature_names=PRF_FEATURE_NAMES
        )
    from jupyter_al.regression import EnsembleRegressor

    return EnsembleRegressor()


def check_model(model: Any, config: Config) -> None:
    """Check a user's model for the task: the methods the loop calls."""
    need = {
        "extraction": ("fit", "predict", "marginals", "tokens"),
        "ranking": ("fit", "predict_proba"),
        "regression": ("fit", "predict_dist"),
    }[config.task]
    missing = [m for m in need if not hasattr(model, m)]
    if missing:
        raise ConfigError(
            f"model for task={config.task!r} must have {', '.join(need)}, got "
            f"{type(model).__name__} without {', '.join(missing)}"
        )


def can_fit(task: str, labels: Mapping[Any, Any]) -> bool:
    """Return True when the task's model can learn from ``labels``."""
    values = list(labels.values())
    if task == "extraction":
        return len(values) >= 2 and any(values)  # why: a tagger needs one span to learn a tag
    if task == "ranking":
        return len(set(values)) >= 2  # why: two grades to tell apart
    return len(values) >= 3 and len(set(values)) >= 2  # why: a bootstrap needs a few varied rows


def fit_model(
    template: Any,
    config: Config,
    *,
    texts: Sequence[str],
    X: Features,
    y: Sequence[Any],
    random_state: int,
) -> tuple[Any, list[str]]:
    """Fit a copy of ``template`` on the labeled rows (in pool order); return it and notes."""
    model = copy.deepcopy(template)
    if config.task == "extraction":
        from jupyter_al.extraction import Span

        model.fit(list(texts), [[Span(*s) for s in spans] for spans in y])
        return model, list(getattr(model, "fit_notes_", ()))
    if hasattr(model, "random_state"):
        model.random_state = random_state
    if config.task == "ranking":
        model.fit(X, np.asarray(y, dtype=np.int64))
    else:
        model.fit(X, np.asarray(y, dtype=np.float64))
    return model, []


@dataclass(frozen=True, slots=True)
class RankingCandidates:
    """What the ranking strategies read: grade probabilities and each pair's query.

    Parameters
    ----------
    proba : ndarray of shape (n, n_grades)
    query_codes : ndarray of shape (n,)
        The query of each candidate pair (codes shared with the labeled pairs).
    labeled_codes, labeled_grades : ndarray
        The labeled pairs' queries and grades (top-k disagreement counts them).
    """

    proba: NDArray[np.float64]
    query_codes: NDArray[np.intp]
    labeled_codes: NDArray[np.intp]
    labeled_grades: NDArray[np.int64]

    @property
    def n(self) -> int:
        """Number of candidates."""
        return int(self.proba.shape[0])


def scores(
    model: Any,
    config: Config,
    *,
    texts: Sequence[str],
    X: Features,
    codes: NDArray[np.intp] | None = None,
    labeled: tuple[NDArray[np.intp], NDArray[np.int64]] | None = None,
) -> Any:
    """Return what the model says about candidate rows (the strategies' ``task_data``)."""
    if config.task == "extraction":
        from jupyter_al.extraction import sequence_candidates

        return sequence_candidates(model, list(texts))
    if config.task == "ranking":
        assert codes is not None
        assert labeled is not None
        proba = np.asarray(model.predict_proba(X), dtype=np.float64)
        return RankingCandidates(proba, codes, labeled[0], labeled[1])
    return model.predict_dist(X)


def predictions(
    config: Config, data: Any, chosen: NDArray[np.intp]
) -> tuple[list[Any], list[float | None], list[list[float]] | None]:
    """Return the shown prediction, its confidence and (regression) interval per chosen row."""
    if config.task == "extraction":
        preds: list[Any] = [
            [[s.start, s.end, s.type] for s in data.predicted[i]] if data.predicted else []
            for i in chosen.tolist()
        ]
        conf: list[float | None] = [_r(data.best_proba[i]) for i in chosen.tolist()]
        return preds, conf, None
    if config.task == "ranking":
        rows = data.proba[chosen]
        top = rows.argmax(axis=1)
        return (
            [config.labels[int(t)] for t in top],
            [_r(rows[i, t]) for i, t in enumerate(top.tolist())],
            None,
        )
    return (
        [_r(data.point[i]) for i in chosen.tolist()],
        [None] * len(chosen),
        [[_r(data.low[i]), _r(data.high[i])] for i in chosen.tolist()],
    )


def evaluate(
    model: Any,
    config: Config,
    *,
    texts: Sequence[str],
    X: Features | None,
    gold: Sequence[Any],
    codes: NDArray[np.intp] | None = None,
) -> dict[str, float]:
    """Score the model on held-out gold: the task's metrics (see the module docstring)."""
    if config.task == "extraction":
        from jupyter_al.extraction import Span, span_prf

        pred = model.predict(list(texts))
        result = span_prf([[Span(*s) for s in g] for g in gold], pred, types=config.labels)
        out = {
            "span_f1_micro": result.micro.f1,
            "span_f1_macro": result.macro.f1,
            "span_precision_micro": result.micro.precision,
            "span_recall_micro": result.micro.recall,
            "span_precision_macro": result.macro.precision,
            "span_recall_macro": result.macro.recall,
        }
        for name, prf in result.per_type.items():
            out[f"span_f1:{name}"] = prf.f1
            out[f"span_precision:{name}"] = prf.precision
            out[f"span_recall:{name}"] = prf.recall
        return {k: _r(v) for k, v in out.items() if v is not None and not math.isnan(v)}
    if config.task == "ranking":
        from jupyter_al.ranking import evaluate_ranking, expected_grade

        assert codes is not None
        s = expected_grade(model.predict_proba(X), grade_scale(config))
        g = np.asarray(gold, dtype=np.float64)
        ten = evaluate_ranking(g, s, codes, k=10)
        five = evaluate_ranking(g, s, codes, k=5)
        out = {"ndcg@10": ten["ndcg@10"], "ndcg@5": five["ndcg@5"], "map": ten["map"]}
        out["mrr"] = ten["mrr"]
        return {k: _r(v) for k, v in out.items() if not math.isnan(v)}
    from jupyter_al.regression import evaluate as regression_metrics

    values = regression_metrics(np.asarray(gold, dtype=np.float64), model.predict(X))
    return {k: _r(v) for k, v in values.items() if not math.isnan(v)}


def _r(x: Any) -> float:
    return float(f"{float(x):.12g}")


# ============================================================================ strategies


def _task_data(candidates: Candidates, name: str) -> Any:
    if candidates.task_data is None:
        raise ConfigError(f"strategy {name!r} needs a fitted model's predictions; none given")
    return candidates.task_data


def _sequence_strategy(name: str, doc: str) -> None:
    def run(candidates: Candidates, batch_size: int, rng: np.random.Generator) -> Selection:
        from jupyter_al.extraction import select_sequences

        return select_sequences(_task_data(candidates, name), batch_size, rng, strategy=name)

    run.__doc__ = doc
    run.__name__ = run.__qualname__ = f"_{name}"
    register_strategy(name, tasks=("extraction",))(run)


_sequence_strategy(
    "sequence_least_confidence",
    "Sequence least confidence: 1 - P(best tagging) (Culotta & McCallum, AAAI 2005).",
)
_sequence_strategy(
    "normalized_least_confidence",
    "Length-normalised least confidence: 1 - P(best tagging) ** (1 / n_tokens).",
)
_sequence_strategy("token_entropy_mean", "Mean token entropy of the tag marginals.")
_sequence_strategy("token_entropy_max", "Max token entropy of the tag marginals.")


@register_strategy("grade_uncertainty", tasks=("ranking",))
def _grade_uncertainty(
    candidates: Candidates, batch_size: int, rng: np.random.Generator
) -> Selection:
    """Grade uncertainty: the entropy of each pair's grade, spread over the queries."""
    from jupyter_al.ranking import grade_uncertainty

    data: RankingCandidates = _task_data(candidates, "grade_uncertainty")
    return grade_uncertainty(data.proba, data.query_codes, batch_size, rng)


@register_strategy("topk_disagreement", tasks=("ranking",))
def _topk_disagreement(
    candidates: Candidates, batch_size: int, rng: np.random.Generator
) -> Selection:
    """Top-k disagreement: pairs whose grade decides what crosses their query's top-10."""
    from jupyter_al.ranking import topk_disagreement

    data: RankingCandidates = _task_data(candidates, "topk_disagreement")
    return topk_disagreement(
        data.proba,
        data.query_codes,
        batch_size,
        rng,
        k=TOP_K,
        labeled_query_ids=data.labeled_codes,
        labeled_grades=data.labeled_grades,
    )


@register_strategy("regression_spread", tasks=("regression",))
def _regression_spread(
    candidates: Candidates, batch_size: int, rng: np.random.Generator
) -> Selection:
    """Regression spread: the widest ensemble spread (or prediction interval)."""
    from jupyter_al.regression import by_spread

    return by_spread(_task_data(candidates, "regression_spread"), batch_size, rng)


# ============================================================================ units

#: Columns a units frame adds to the data: each unit's provenance (see jupyter_al.units).
UNIT_PROVENANCE: Final = ("parent_id", "unit_kind", "unit_position", "unit_start", "unit_end")


def is_split(config: Config) -> bool:
    """Return True when items are units cut from the text column (sentence, chunk, message)."""
    return config.prediction_unit in ("sentence", "chunk", "message")


def unit_spec(config: Config, splitter: Any = None) -> Any:
    """Return the config's :class:`~jupyter_al.units.UnitSpec` (``splitter``: its function)."""
    from jupyter_al.units import UnitSpec

    data = {"kind": config.prediction_unit, **config.unit_options}
    return UnitSpec.from_dict(data, splitter=splitter)


def unit_frame(frame: pd.DataFrame, config: Config, spec: Any, *, argument: str) -> pd.DataFrame:
    """Cut ``frame``'s text column into units: one row per unit, indexed by unit id.

    The unit's text takes the text column's name; :data:`UNIT_PROVENANCE` columns say where
    it comes from. Message units keep every other column of their row (labels included);
    sentence and chunk units have no label of their own in the data.

    Raises
    ------
    ConfigError
        A label column with sentence or chunk units (a document's label is not its
        sentences'); what :func:`jupyter_al.units.split_units` refuses.
    """
    from jupyter_al.units import split_units

    assert config.text is not None
    label_cols = [c for c in (config.label_column, config.holdout_label_column) if c is not None]
    if spec.kind != "message" and any(c in frame.columns for c in label_cols):
        raise ConfigError(
            f"{argument}: label columns {label_cols} hold one label per document, but "
            f"prediction_unit={spec.kind!r} labels each {spec.kind}: label units with "
            "session.label(unit_id, ...) (held-out units too), or leave the label columns out"
        )
    units = split_units(frame, config.text, spec, on_empty="skip")
    out = pd.DataFrame(index=pd.Index(units.index, name=None))
    if spec.kind == "message":
        rows = frame.loc[units["row_id"].to_numpy()]
        for col in frame.columns:
            if col != config.text and col not in UNIT_PROVENANCE:
                out[col] = rows[col].to_numpy()
    out[config.text] = units["text"].to_numpy()
    out["parent_id"] = units["parent_id"].to_numpy()
    out["unit_kind"] = units["kind"].to_numpy()
    out["unit_position"] = units["position"].to_numpy()
    out["unit_start"] = units["start"].to_numpy()
    out["unit_end"] = units["end"].to_numpy()
    return out


def units_view(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Return a unit frame in :func:`jupyter_al.units.split_units`' column names."""
    assert config.text is not None
    return pd.DataFrame(
        {
            "parent_id": frame["parent_id"].to_numpy(),
            "kind": frame["unit_kind"].to_numpy(),
            "position": frame["unit_position"].to_numpy(),
            "start": frame["unit_start"].to_numpy(),
            "end": frame["unit_end"].to_numpy(),
            "text": frame[config.text].astype(str).to_numpy(),
        },
        index=frame.index,
    )


def provenance_of(frame: pd.DataFrame, ids: Iterable[Any]) -> dict[Any, dict[str, Any]]:
    """Return each unit's provenance fields (for the per-round files)."""
    keep = [i for i in dict.fromkeys(ids) if i in frame.index]
    if not keep:
        return {}
    rows = frame.loc[keep, list(UNIT_PROVENANCE)]
    out: dict[Any, dict[str, Any]] = {}
    for item_id, row in zip(keep, rows.itertuples(index=False), strict=True):
        parent, kind, position, start, end = row
        out[item_id] = {
            "parent_id": parent if isinstance(parent, str) else int(parent),
            "unit": str(kind),
            "position": int(position),
            "start": int(start),
            "end": int(end),
        }
    return out
