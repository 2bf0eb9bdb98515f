"""``Session``: the one stateful object. It owns the loop and the run folder."""

from __future__ import annotations

import contextlib
import difflib
import inspect
import json
import math
import secrets
import time
import uuid
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, cast

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError

from jupyter_al import _tasks
from jupyter_al import metrics as _metrics
from jupyter_al._config import Budget, Config
from jupyter_al._data import load_frame, parse_labels, split_holdout, to_item_id
from jupyter_al._engine import (
    Fitted,
    Pool,
    _round_float,
    class_counts,
    evaluate,
    fit,
    holdout_labels,
    select,
    training_labels,
)
from jupyter_al._events import (
    Configured,
    Event,
    JudgeAttached,
    Judged,
    Label,
    Labeled,
    PseudoLabelsSwitched,
    Resumed,
    RoundClosed,
    RunState,
    Skipped,
    Stopped,
    Undone,
    event_from_dict,
    event_to_dict,
    label_to_json,
)
from jupyter_al._exports import write_all, write_round_files, write_selection
from jupyter_al._guards import evaluate_guards
from jupyter_al._judging import (
    OPINION_USES,
    answer_spec,
    append_records,
    evaluate_judge,
    judge_opinions,
    n_pseudo_used,
    read_records,
    sample_ids,
    training_set,
    triage_shortlist,
)
from jupyter_al._pool import (
    HOLDOUT_FILE,
    attach_vectors,
    default_store,
    digest_columns,
    encoder_name,
    infer_labels,
    load_saved_holdout,
    pool_digest,
    prepare,
    save_holdout,
)
from jupyter_al._store import EventLog
from jupyter_al._types import OTHER_TASKS
from jupyter_al.argilla import agreement as argilla_agreement
from jupyter_al.exceptions import (
    ArgillaDatasetMissingError,
    ArgillaError,
    ArgillaSchemaError,
    ConfigError,
    LabelError,
    ReplayMismatchError,
    SessionStoppedError,
)
from jupyter_al.judge import Judge, JudgeCache, JudgeRecord
from jupyter_al.strategies import Candidates, top_k

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from types import TracebackType

    import plotly.graph_objects as go

    from jupyter_al._types import AnyTask, ItemId
    from jupyter_al._widget import LabelingWidget
    from jupyter_al.argilla import Agreement, PullSummary, SendSummary, Vote
    from jupyter_al.strategies import Strategy

__all__ = ["RoundResult", "Session"]


@dataclass(frozen=True, slots=True)
class RoundResult:
    """What ``submit()`` reports about the round it closed."""

    round: int
    n_labeled: int
    metric: str
    value: float | None
    stopped: bool
    stop_reason: str | None


def _version() -> str:
    from jupyter_al import __version__

    return __version__


class Session:
    """An active-learning labeling session: select, label, retrain, evaluate, repeat.

    Every change is appended to a durable log in the run folder (``store``) before it is
    acknowledged, so a session can be resumed after a crash and replayed exactly.

    Parameters
    ----------
    data : DataFrame or path, optional
        The items to label, indexed by item id (the data's own index). A path to a .csv,
        .tsv, .parquet or .jsonl file is read with a fresh 0..n-1 index. Without data, or
        without ``text``/``features`` (and ``config``), the session waits for the interview
        (display it in a notebook) or :meth:`configure`.
    config : Config, optional
        All answers at once; then no other configuration argument may be given.
    text : str, optional
        Column with the text to label.
    features : sequence of str, optional
        Numeric columns (instead of ``text``).
    labels : sequence of str, optional
        The label schema; inferred from ``label_column`` when omitted.
    task : {"classification", "multilabel"}
    label_column : str, optional
        Labels already known (empty cells = unlabeled).
    holdout_label_column : str, optional
        Gold labels of the held-out set (defaults to ``label_column``).
    label_sep : str
        Separator of several labels in one cell (multilabel).
    holdout : float, path or DataFrame, optional
        Fraction split off (stratified) and fenced off for good, or a separate set.
    metric : str
        ``"default"`` (macro F1 for classification, micro F1 for multilabel) or a name from
        :mod:`jupyter_al.metrics`, or any scikit-learn scorer name.
    strategy : str or callable
        A name from :data:`jupyter_al.strategies.STRATEGIES`, ``"default"``, or your function.
    batch_size : int
    budget : int, Budget or mapping, optional
        An int is a number of labels. None bounds the run to 50 rounds.
    plateau_patience, plateau_min_delta
        Stop when the metric has not improved by ``min_delta`` for ``patience`` rounds.
    annotator_capacity : int, optional
        Labels one annotator may give in this run.
    min_per_class : int
        Below this many labels in some class, the first batch is a diverse seed set.
    model : scikit-learn classifier, optional
        Any estimator with ``predict_proba``; it is fitted on the features (TF-IDF rows for
        text, scaled columns for numbers). Multilabel: one copy per label (one-vs-rest).
    store : path, optional
        The run folder (created). Default: a new folder under ``./jal_runs``.
    random_state : int, optional
        The run's seed; drawn once and logged when None.
    annotator : str, optional
        The default annotator name for ``label`` (default ``"annotator"``).
    llm_judge : bool
        Whether an LLM may act as judge (recorded in the configuration). ``judge=`` needs it.
    label_descriptions : mapping of str to str, optional
        Guidelines per label, shown next to the label buttons in the widget.
    image_shape : (int, int), optional
        (height, width) when ``features`` are the pixels of an image: the widget shows images.
    guards : {"all", "fast", "off"}, default "all"
        Failure-mode guards read every round (``"fast"`` skips the cross-validated
        suspicious-labels check).
    encoder : str or callable, default "tfidf"
        The representation diversity-aware and density-weighted strategies work on: the
        model's TF-IDF features, an encoder spec (``"sentence-transformers:<name or path>"``,
        ``"model2vec:<path>"``) or an encoder object / ``f(list[str]) -> array`` (pass it again
        to ``resume``). Embeddings are computed once per pool and cached in the run folder.
    keywords : mapping of str to list of str, optional
        Keywords per label for the cold-start seed: a label with no label yet gets an item
        holding one of its keywords (else the item closest to its name and description).
    judge : jupyter_al.judge.Judge, optional
        An LLM judge (needs ``llm_judge=True``); see ``docs/judge.md``. Its answers go to
        ``judge.jsonl``, never into the labels. Pass it again to ``resume``.
    judge_eval : int, optional
        Ask the judge about this many held-out items before round 0 is evaluated, so that
        every round has judge-assisted metrics beside the human-gold ones.
    tracker : str, Tracker or list, optional
        Experiment tracking: ``"mlflow"``, ``"wandb"``, a ``jupyter_al.tracking.Tracker``, or a
        list of them (``docs/tracking.md``). The run folder is always the record.

    Examples
    --------
    >>> import pandas as pd, tempfile
    >>> from jupyter_al import Session
    >>> df = pd.DataFrame({"text": ["good", "bad", "fine", "awful"] * 10,
    ...                    "gold": ["pos", "neg", "pos", "neg"] * 10})
    >>> s = Session(df, text="text", labels=["pos", "neg"], holdout=0.25,
    ...             holdout_label_column="gold", batch_size=4, random_state=0,
    ...             store=tempfile.mkdtemp())
    >>> batch = s.next_batch()
    >>> for item_id in batch.index:
    ...     s.label(item_id, df.loc[item_id, "gold"])
    >>> s.submit().round
    1
    >>> s.close()
    """

    _pending: _Pending | None = None

    def __init__(
        self,
        data: pd.DataFrame | str | Path | None = None,
        *,
        config: Config | None = None,
        text: str | None = None,
        features: Sequence[str] | None = None,
        labels: Sequence[str] | None = None,
        task: AnyTask = "classification",
        label_column: str | None = None,
        holdout_label_column: str | None = None,
        label_sep: str = "|",
        holdout: float | str | Path | pd.DataFrame | None = None,
        metric: str = "default",
        strategy: str | Strategy = "default",
        batch_size: int = 10,
        budget: Budget | Mapping[str, Any] | int | None = None,
        plateau_patience: int | None = None,
        plateau_min_delta: float = 0.005,
        annotator_capacity: int | None = None,
        min_per_class: int = 2,
        model: Any = None,
        store: str | Path | None = None,
        random_state: int | None = None,
        annotator: str | None = None,
        llm_judge: bool = False,
        label_descriptions: Mapping[str, str] | None = None,
        image_shape: tuple[int, int] | None = None,
        guards: str = "all",
        encoder: Any = "tfidf",
        keywords: Mapping[str, Sequence[str]] | None = None,
        judge: Judge | None = None,
        judge_eval: int | None = None,
        tracker: Any = None,
        query: str | None = None,
        query_id: str | None = None,
        span_overlap: str = "forbid",
        prediction_unit: str = "row",
        unit: Mapping[str, Any] | None = None,
        splitter: Any = None,
        **unknown: Any,
    ) -> None:
        if unknown:
            name = next(iter(unknown))
            known = [p for p in inspect.signature(Session.__init__).parameters if p != "self"]
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            msg = f"Session() got an unexpected keyword argument {name!r}{hint}"
            raise TypeError(msg)
        self._annotator = annotator or "annotator"
        self._widget: LabelingWidget | None = None
        self._extras = _Extras(judge=judge, judge_eval=judge_eval, tracker=tracker)
        args: dict[str, Any] = {
            "config": config,
            "text": text,
            "features": features,
            "labels": labels,
            "task": task,
            "label_column": label_column,
            "holdout_label_column": holdout_label_column,
            "label_sep": label_sep,
            "holdout": holdout,
            "metric": metric,
            "strategy": strategy,
            "batch_size": batch_size,
            "budget": budget,
            "plateau_patience": plateau_patience,
            "plateau_min_delta": plateau_min_delta,
            "annotator_capacity": annotator_capacity,
            "min_per_class": min_per_class,
            "model": model,
            "store": store,
            "random_state": random_state,
            "llm_judge": llm_judge,
            "label_descriptions": label_descriptions,
            "image_shape": image_shape,
            "guards": guards,
            "encoder": encoder,
            "keywords": keywords,
            "query": query,
            "query_id": query_id,
            "span_overlap": span_overlap,
            "prediction_unit": prediction_unit,
            "unit": unit,
            "splitter": splitter,
        }
        if data is None or (config is None and text is None and features is None):
            # an incomplete configuration: the widget shows the interview, pre-filled
            self._enter_interview(data, args)
            return
        self._setup(data, **args)

    def _setup(
        self,
        data: pd.DataFrame | str | Path,
        *,
        config: Config | None,
        text: str | None,
        features: Sequence[str] | None,
        labels: Sequence[str] | None,
        task: AnyTask,
        label_column: str | None,
        holdout_label_column: str | None,
        label_sep: str,
        holdout: float | str | Path | pd.DataFrame | None,
        metric: str,
        strategy: str | Strategy,
        batch_size: int,
        budget: Budget | Mapping[str, Any] | int | None,
        plateau_patience: int | None,
        plateau_min_delta: float,
        annotator_capacity: int | None,
        min_per_class: int,
        model: Any,
        store: str | Path | None,
        random_state: int | None,
        llm_judge: bool,
        label_descriptions: Mapping[str, str] | None,
        image_shape: tuple[int, int] | None,
        guards: str = "all",
        encoder: Any = "tfidf",
        keywords: Mapping[str, Sequence[str]] | None = None,
        query: str | None = None,
        query_id: str | None = None,
        span_overlap: str = "forbid",
        prediction_unit: str = "row",
        unit: Mapping[str, Any] | None = None,
        splitter: Any = None,
    ) -> None:
        """Validate everything, build the pool, open the run folder and log the start."""
        frame = load_frame(data, argument="data")
        holdout_frame: pd.DataFrame | None = None
        holdout_value: float | str | None
        if isinstance(holdout, pd.DataFrame):
            holdout_frame = load_frame(holdout, argument="holdout")
            holdout_value = HOLDOUT_FILE
        elif isinstance(holdout, str | Path):
            holdout_frame = load_frame(holdout, argument="holdout")
            # a file's rows are numbered 0..n-1 like the data's: those numbers are not ids, so
            # held-out rows get their own ("holdout-0", ...) and never collide with the pool's
            holdout_frame.index = pd.Index([f"holdout-{i}" for i in range(len(holdout_frame))])
            holdout_value = str(holdout)
        elif holdout is None or (
            isinstance(holdout, float | int) and not isinstance(holdout, bool)
        ):
            holdout_value = holdout
        else:
            raise ConfigError(
                f"holdout must be a fraction, a path or a DataFrame, got {type(holdout).__name__}"
            )

        if config is not None:
            given = {
                k: v
                for k, v in {
                    "text": text,
                    "features": features,
                    "labels": labels,
                    "label_column": label_column,
                    "holdout_label_column": holdout_label_column,
                    "budget": budget,
                    "random_state": random_state,
                }.items()
                if v is not None
            }
            if given:
                raise TypeError(
                    "pass either config= or configuration keywords, not both; got config and "
                    f"{sorted(given)}"
                )
            if not isinstance(config, Config):
                raise ConfigError(f"config must be a Config, got {type(config).__name__}")
            cfg = config
        else:
            kwargs: dict[str, Any] = {
                "text": text,
                "features": tuple(features) if features is not None else None,
                "task": task,
                "label_column": label_column,
                "holdout_label_column": holdout_label_column,
                "label_sep": label_sep,
                "holdout": holdout_value,
                "metric": metric,
                "strategy": strategy if isinstance(strategy, str) else _callable_name(strategy),
                "batch_size": batch_size,
                "budget": Budget.coerce(budget),
                "plateau_patience": plateau_patience,
                "plateau_min_delta": plateau_min_delta,
                "annotator_capacity": annotator_capacity,
                "min_per_class": min_per_class,
                "random_state": random_state,
                "llm_judge": llm_judge,
                "label_descriptions": tuple(
                    (str(k), str(v)) for k, v in (label_descriptions or {}).items()
                ),
                "image_shape": tuple(image_shape) if image_shape is not None else None,
                "guards": guards,
                "encoder": encoder_name(encoder),
                "seed_keywords": _keyword_pairs(keywords),
                "query": query,
                "query_id": query_id,
                "span_overlap": span_overlap,
                "prediction_unit": prediction_unit,
                "unit": _unit_pairs(unit, splitter),
            }
            if isinstance(features, str):
                raise ConfigError(
                    f"features must be a list of column names, got the str {features!r}"
                )
            if labels is None and task == "regression":
                schema: tuple[str, ...] = ()
            elif labels is None and task in OTHER_TASKS:
                what = "span types" if task == "extraction" else "grade names, lowest first"
                raise ConfigError(f"labels is required for task={task!r}: pass the {what}")
            elif labels is None:
                schema = infer_labels(frame, holdout_frame, kwargs)
            elif isinstance(labels, str):
                raise ConfigError(f"labels must be a list of label names, got the str {labels!r}")
            else:
                schema = tuple(str(x) for x in labels)
            cfg = Config(labels=schema, **kwargs)
        if model is not None and cfg.task in OTHER_TASKS:
            _tasks.check_model(model, cfg)
            name = f"{type(model).__module__}.{type(model).__qualname__}"
            cfg = Config.from_dict({**cfg.to_dict(), "model": name})
        elif model is not None:
            from jupyter_al._pool import resolve_model

            cfg = Config.from_dict({**cfg.to_dict(), "model": resolve_model(model, "features")[1]})
        self._splitter = splitter
        if _tasks.is_split(cfg):
            spec = _tasks.unit_spec(cfg, splitter)
            frame = _tasks.unit_frame(frame, cfg, spec, argument="data")
            if holdout_frame is not None:
                holdout_frame = _tasks.unit_frame(holdout_frame, cfg, spec, argument="holdout")
        seed = cfg.random_state if cfg.random_state is not None else secrets.randbits(31)

        from jupyter_al._pool import check_frame, holdout_from_text, holdout_text

        check_frame(frame, cfg, argument="data")
        saved_holdout: str | None = None
        if holdout_frame is not None:
            # the run keeps its own copy; build the pool from that copy so that resume and
            # replay see exactly what this session saw
            check_frame(holdout_frame, cfg, argument="holdout")
            saved_holdout = holdout_text(holdout_frame, cfg)
            holdout_frame = holdout_from_text(saved_holdout)
        holdout_ids: list[ItemId] | None = None
        if isinstance(cfg.holdout, float):
            holdout_ids = self._split(frame, cfg, seed)
        prep = prepare(
            frame,
            cfg,
            seed=seed,
            holdout_ids=holdout_ids,
            holdout_frame=holdout_frame,
            model=model,
            strategy=strategy,
        )
        if cfg.batch_size > len(prep.pool.ids) - len(prep.pool.initial):
            raise ConfigError(
                f"batch_size={cfg.batch_size} is larger than the pool "
                f"({len(prep.pool.ids) - len(prep.pool.initial)} unlabeled items)"
            )
        folder = Path(store) if store is not None else default_store()
        self._log = EventLog(folder, create=True, header_extra={"jupyter_al": _version()})
        try:
            attach_vectors(
                prep.pool, encoder, cache_dir=folder / "cache", pool_digest=pool_digest(frame, cfg)
            )
            if saved_holdout is not None:
                save_holdout(folder, saved_holdout)
            configured = Configured(
                config=cfg.to_dict(),
                seed=seed,
                session_id=uuid.uuid4().hex[:12],
                pool_digest=pool_digest(frame, cfg),
                n_pool=len(prep.pool.ids),
                holdout_digest=(
                    pool_digest(holdout_frame, cfg) if holdout_frame is not None else None
                ),
                holdout_ids=holdout_ids,
                excluded=prep.excluded,
                n_initial_labels=len(prep.pool.initial),
                version=_version(),
            )
            _attach_units(prep.pool, frame, holdout_frame)
            self._init_common(frame, prep.pool, RunState(), prep.warnings)
            self._append(configured)
            self._start_warnings = list(prep.warnings)
            self._start_extras(resumed=False)
            self._close_initial_round()
            write_all(self._log.folder, self._state, self._notes_context())
            self._track_round()
        except BaseException:
            self._log.close()
            raise

    # ------------------------------------------------------------------ the interview
    def _enter_interview(
        self, data: pd.DataFrame | str | Path | None, args: dict[str, Any]
    ) -> None:
        """Hold what was given until the interview (or ``configure``) completes it."""
        from jupyter_al._interview import default_answers

        frame = load_frame(data, argument="data") if data is not None else None
        self._pending = _Pending(frame=frame, args=args)
        given = {k: v for k, v in args.items() if v is not None}
        if isinstance(data, str | Path):
            given["source"] = {"kind": "file", "path": str(data)}
        self._answers = default_answers(given)
        self._state = RunState()
        self._pool = cast("Pool", _Unconfigured())
        self._log = cast("EventLog", _Unconfigured())

    @property
    def is_configured(self) -> bool:
        """False while the interview is open (the session was created without a full config)."""
        return getattr(self, "_pending", None) is None

    @property
    def answers(self) -> dict[str, Any]:
        """The interview's current answers (pre-filled from the arguments given)."""
        return dict(self._answers) if not self.is_configured else {}

    @property
    def answers_used(self) -> dict[str, Any]:
        """The interview's answers that configured this session ({} when configured in code)."""
        return dict(getattr(self, "_answers", {})) if self.is_configured else {}

    @property
    def pending_frame(self) -> pd.DataFrame | None:
        """The data given to an unconfigured session (None when it comes from the interview)."""
        return self._pending.frame if self._pending is not None else None

    def configure(self, data: pd.DataFrame | str | Path | None = None, **kwargs: Any) -> Session:
        """Complete the configuration of a session created without one; return it.

        Keyword arguments are those of :class:`Session`; they override what was given at
        creation. The run folder is created now.
        """
        if self._pending is None:
            raise ConfigError("the session is configured already; start a new Session instead")
        pending = self._pending
        args = dict(pending.args)
        unknown = sorted(set(kwargs) - set(args))
        if unknown:
            raise TypeError(f"configure() got unexpected keyword arguments {unknown}")
        args.update(kwargs)
        source = data if data is not None else pending.frame
        if source is None:
            raise ConfigError("data is required: a DataFrame or a file path")
        self._setup(source, **args)
        self._pending = None
        if self._widget is not None:
            self._widget.configured()
        return self

    def configure_from_answers(
        self, answers: dict[str, Any], namespace: Mapping[str, Any] | None = None
    ) -> Session:
        """Configure from the interview's answers (what the form's submit does).

        Raises
        ------
        ConfigError
            Naming the first wrong field; :func:`validate` lists them all.
        """
        from jupyter_al._interview import load_source, to_kwargs, validate

        frame = self.pending_frame
        if frame is None:
            frame = load_source(answers.get("source") or {}, namespace)
        errors = validate(answers, frame)
        if errors:
            field, why = next(iter(errors.items()))
            raise ConfigError(f"{field}: {why}")
        kwargs = to_kwargs(answers)
        hold = answers.get("holdout") or {}
        if hold.get("kind") == "dataframe":
            kwargs["holdout"] = load_source(
                {"kind": "dataframe", "name": hold.get("name")}, namespace
            )
        elif hold.get("kind") == "none":
            kwargs["holdout"] = None
        self._answers = dict(answers)
        return self.configure(frame, **kwargs)

    # ------------------------------------------------------------------ construction
    @staticmethod
    def _split(frame: pd.DataFrame, cfg: Config, seed: int) -> list[ItemId]:
        assert isinstance(cfg.holdout, float)
        ids = frame.index
        if cfg.text is not None:
            from jupyter_al._data import missing_text

            ids = ids.difference(missing_text(frame[cfg.text]), sort=False)
        y = None
        gold = cfg.gold_column
        if cfg.task == "ranking":
            # held-out queries, never held-out pairs of a query that is also in the pool
            key = frame.loc[ids, cfg.query_id or cfg.query or ""].astype(str)
            return [to_item_id(x) for x in _group_split(ids, key, cfg.holdout, seed)]
        if _tasks.is_split(cfg):
            # held-out documents (threads): never a sentence of a document the pool holds
            key = frame.loc[ids, "parent_id"].astype(str)
            return [to_item_id(x) for x in _group_split(ids, key, cfg.holdout, seed)]
        if cfg.task in OTHER_TASKS:
            gold = None
        if gold is not None:
            parsed = parse_labels(
                frame.loc[ids, gold],
                task=cfg.class_task,
                classes=cfg.labels,
                label_sep=cfg.label_sep,
                argument="holdout_label_column",
            )
            y = parsed.map(
                lambda v: None if v is None else (v if isinstance(v, str) else "|".join(v))
            )
        _, hold = split_holdout(ids, y, cfg.holdout, seed)
        return [to_item_id(x) for x in hold]

    def _init_common(
        self, frame: pd.DataFrame, pool: Pool, state: RunState, warnings: list[str]
    ) -> None:
        self._frame = frame
        self._pool = pool
        self._state = state
        self._fitted: Fitted | None = None
        self._fit_labels: dict[ItemId, Label] = {}
        self._pending = None
        self._start_warnings = warnings
        self._t_opened = time.monotonic()
        self._judge: Judge | None = None
        self._judge_cache: JudgeCache | None = None
        self._judge_notes: dict[ItemId, JudgeRecord] = {}
        self._tracker: Any = None

    def _close_initial_round(self) -> None:
        """Evaluate the model of the data's own labels as round 0, when there is one."""
        labels = training_labels(self._pool, self._state)
        if not self._pool.initial:
            return
        t0 = time.perf_counter()
        fitted = fit(self._pool, training_set(self._pool, self._state, labels), 0)
        if fitted is None:
            return
        self._set_fitted(fitted, labels)
        t1 = time.perf_counter()
        metrics, n_gold = evaluate(self._pool, fitted, self._state)
        timings = {"fit_s": round(t1 - t0, 6), "eval_s": round(time.perf_counter() - t1, 6)}
        self._append(
            self._round_closed(
                0,
                fitted=fitted,
                metrics=metrics,
                n_gold=n_gold,
                labels=labels,
                timings=timings,
                warns=[],
            )
        )

    @classmethod
    def resume(
        cls,
        store: str | Path,
        data: pd.DataFrame | str | Path,
        *,
        model: Any = None,
        strategy: str | Strategy | None = None,
        annotator: str | None = None,
        encoder: Any = None,
        judge: Judge | None = None,
        tracker: Any = None,
        splitter: Any = None,
    ) -> Session:
        """Continue a run where it stopped (after a kernel restart or a crash).

        Parameters
        ----------
        store : path
            The run folder.
        data : DataFrame or path
            The same data the run was started on (checked by digest).
        model, strategy : optional
            Needed only when the run used your own estimator or strategy function.
        annotator : str, optional
            The default annotator name from now on.
        judge, tracker : optional
            The run's LLM judge and trackers (they are not saved: a judge holds a client).
        splitter : callable, optional
            The sentence splitter function, when the run used your own.

        Raises
        ------
        ReplayMismatchError
            When ``data`` is not the data the run was started on.
        """
        log = EventLog(store, create=False)
        try:
            events = [event_from_dict(d) for d in log.contents.events]
            self = cls.__new__(cls)
            self._log = log
            self._annotator = annotator or "annotator"
            self._widget = None
            frame, pool, state = _rebuild(
                log.folder,
                events,
                data,
                model=model,
                strategy=strategy,
                encoder=encoder,
                splitter=splitter,
            )
            self._splitter = splitter
            self._init_common(frame, pool, state, [])
            damage = log.contents.damage
            self._append(Resumed(round=state.round, damage=damage.describe() if damage else None))
            self._extras = _Extras(judge=judge, judge_eval=None, tracker=tracker)
            self._start_extras(resumed=True)
            write_all(self._log.folder, self._state, self._notes_context())
        except BaseException:
            log.close()
            raise
        return self

    # ------------------------------------------------------------------ the loop
    def next_batch(self) -> pd.DataFrame:
        """Return the open batch, selecting a new one when none is open.

        Returns
        -------
        DataFrame
            Indexed by item id: the shown fields, ``prediction``, ``confidence``,
            ``uncertainty`` (the strategy's score), ``strategy``, ``reason``, ``rank``,
            ``round``, ``status`` (pending, labeled, skipped) and ``label``.

        Raises
        ------
        SessionStoppedError
            When a stopping rule has fired.
        """
        self._check_open()
        if not self._state.batch_open:
            self._select_next()
            self._check_open()
        return self._batch_frame()

    def label(
        self,
        item_id: Any,
        label: Any,
        *,
        annotator: str | None = None,
        source: str = "api",
    ) -> None:
        """Record a label; it is durable on disk when this returns.

        Parameters
        ----------
        item_id
            An id of the data (pool or held-out item).
        label : str or sequence of str
            One label of the schema; for multilabel, a list of them (``[]`` = none applies).
        annotator : str, optional
            Who labeled (default: the session's annotator).
        source : str
            Where the label came from (``"api"``, ``"widget"``, ``"simulation"``, ...).
        """
        self._check_open()
        item_id, split = self._resolve_item(item_id)
        value = self._check_label(label, item_id=item_id, split=split)
        self._append(
            Labeled(
                round=self._state.round,
                item_id=item_id,
                label=label_to_json(value),
                annotator=annotator or self._annotator,
                source=source,
                split=split,
            )
        )

    def skip(self, item_id: Any, *, annotator: str | None = None, unsure: bool = False) -> None:
        """Skip an item of the pool (it will not be selected again); ``unsure`` marks why."""
        self._check_open()
        item_id, split = self._resolve_item(item_id)
        if split == "holdout":
            raise LabelError(f"item_id {item_id!r} is held out: only pool items can be skipped")
        self._append(
            Skipped(
                round=self._state.round,
                item_id=item_id,
                annotator=annotator or self._annotator,
                reason="unsure" if unsure else "skip",
            )
        )

    def undo(self) -> ItemId:
        """Take back the last label or skip of the open round; return its item id.

        The log keeps both the label and its undo: nothing is erased.
        """
        self._check_open()
        if not self._state.undo_stack:
            raise LabelError(
                f"nothing to undo in round {self._state.round}: undo takes back labels and "
                "skips of the open round only (label the item again to change an older label)"
            )
        seq, item_id, _ = self._state.undo_stack[-1]
        self._append(Undone(round=self._state.round, target_seq=seq, item_id=item_id))
        return item_id

    def submit(self) -> RoundResult:
        """Close the round: retrain, evaluate on the held-out set, log, select the next batch.

        Items of the batch left without a label or skip go back to the pool.
        """
        self._check_open()
        state = self._state
        if not state.batch_open or state.batch is None:
            raise ConfigError("no open batch to submit: call next_batch() first")
        round_ = state.batch.round
        t0 = time.perf_counter()
        labels = training_labels(self._pool, state)
        fitted = fit(self._pool, training_set(self._pool, state, labels), round_)
        t1 = time.perf_counter()
        metrics, n_gold = evaluate(self._pool, fitted, state)
        timings = {"fit_s": round(t1 - t0, 6), "eval_s": round(time.perf_counter() - t1, 6)}
        warns = list(fitted.warnings) if fitted is not None else []
        if fitted is None:
            warns.append("the model could not be fitted yet: it needs labels of two classes")
        self._set_fitted(fitted, labels)
        closed = self._round_closed(
            round_,
            fitted=fitted,
            metrics=metrics,
            n_gold=n_gold,
            labels=labels,
            timings=timings,
            warns=warns,
        )
        self._append(closed)
        stop = self._stop_rule()
        if stop is not None:
            self._append(Stopped(rule=stop[0], reason=stop[1], round=round_))
        else:
            self._select_next()
        write_round_files(self._log.folder, self._state, round_, self._notes_context())
        self._track_round()
        return RoundResult(
            round=round_,
            n_labeled=closed.n_labeled,
            metric=closed.metric,
            value=closed.value,
            stopped=self._state.stopped is not None,
            stop_reason=self.stop_reason,
        )

    def stop(self, reason: str = "stopped by the user") -> None:
        """Stop the run now; the reason is logged."""
        if self._state.stopped is not None:
            return
        self._append(Stopped(rule="user", reason=reason, round=self._state.round))
        write_all(self._log.folder, self._state, self._notes_context())

    def close(self) -> None:
        """Release the run folder (its lock) and finish the trackers. The log stays complete."""
        tracker = getattr(self, "_tracker", None)
        if tracker is not None and not self._log.closed:
            tracker.finish("stopped" if self._state.stopped is not None else "finished")
            self._tracker = None
        cache = getattr(self, "_judge_cache", None)
        if cache is not None:
            cache.close()
            self._judge_cache = None
        self._log.close()

    def __enter__(self) -> Self:
        """Use the session in a ``with`` block that closes it."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the session."""
        self.close()

    # ------------------------------------------------------------------ read-only views
    @property
    def config(self) -> Config:
        """The validated configuration."""
        assert self._state.config is not None
        return self._state.config

    @property
    def store(self) -> Path:
        """The run folder."""
        return self._log.folder

    @property
    def seed(self) -> int:
        """The run's seed (drawn once and logged when ``random_state`` was None)."""
        return self._pool.seed

    @property
    def session_id(self) -> str:
        """A short id of this run."""
        assert self._state.configured is not None
        return self._state.configured.session_id

    @property
    def metric(self) -> str:
        """The metric the run is judged by (``"default"`` resolved for the task)."""
        return self._pool.metric

    @property
    def classes(self) -> tuple[str, ...]:
        """The label schema."""
        return self._pool.classes

    @property
    def round(self) -> int:
        """The current round (the open batch's, or the last closed one)."""
        return self._state.round

    @property
    def stopped(self) -> bool:
        """True once a stopping rule fired or ``stop()`` was called."""
        return self._state.stopped is not None

    @property
    def stop_reason(self) -> str | None:
        """Why the run stopped, in words; None while it runs."""
        return self._state.stopped.reason if self._state.stopped is not None else None

    @property
    def warnings(self) -> list[str]:
        """What was found at configuration (exclusions, duplicates, missing gold labels)."""
        return list(self._start_warnings)

    @property
    def pool_ids(self) -> pd.Index:
        """Ids of the pool (items that may be selected)."""
        return self._pool.ids

    @property
    def holdout_ids(self) -> pd.Index:
        """Ids of the held-out set (never selected, never trained on)."""
        return self._pool.holdout_ids

    @property
    def labels(self) -> pd.Series:
        """Every item's current label (None where unlabeled), aligned to the data's index."""
        out = pd.Series([None] * len(self._frame), index=self._frame.index, dtype=object)
        values: dict[Any, Any] = dict(self._pool.initial)
        values.update(self._pool.holdout_gold)
        for split in ("pool", "holdout"):
            values.update({k: v.label for k, v in self._state.labels(split).items()})
        idx = {to_item_id(x): x for x in self._frame.index}
        for k, v in values.items():
            if k in idx:
                out.loc[idx[k]] = v
        return out

    @property
    def provenance(self) -> pd.DataFrame:
        """Who gave each current human label, when, in which round and from where."""
        rows = []
        for split in ("pool", "holdout"):
            for k, rec in self._state.labels(split).items():
                rows.append(
                    {
                        "item_id": k,
                        "label": rec.label,
                        "annotator": rec.annotator,
                        "source": rec.source,
                        "round": rec.round,
                        "split": rec.split,
                        "timestamp": rec.ts,
                    }
                )
        cols = ["label", "annotator", "source", "round", "split", "timestamp"]
        if not rows:
            return pd.DataFrame(columns=cols, index=pd.Index([], name="item_id"))
        return pd.DataFrame(rows).set_index("item_id")

    @property
    def rounds(self) -> pd.DataFrame:
        """One row per closed round (the same numbers as ``results.tsv``)."""
        from jupyter_al._exports import results_frame

        return results_frame(self._state)

    def guards(self) -> pd.DataFrame:
        """Return the failure-mode guards of every closed round, one row per guard and round.

        Columns: ``round, name, value, threshold, tripped, message``. A guard trips when its
        value exceeds its threshold; tripped guards are also in ``warnings``, ``notes.md``,
        ``results.tsv`` (``guard:<name>`` columns) and the widget's checks panel.
        """
        rows = [
            {"round": r.round, **{k: g.get(k) for k in _GUARD_COLUMNS[1:]}}
            for r in self._state.rounds
            for g in r.guards
        ]
        return pd.DataFrame(rows, columns=list(_GUARD_COLUMNS))

    def last_guards(self) -> list[dict[str, Any]]:
        """Return the guards of the last closed round (JSON-safe, with their round)."""
        if not self._state.rounds:
            return []
        last = self._state.rounds[-1]
        return [
            {k: g.get(k) for k in _GUARD_COLUMNS[1:]} | {"round": last.round} for g in last.guards
        ]

    @property
    def model_(self) -> Any:
        """The model fitted at the last closed round.

        Raises
        ------
        NotFittedError
            Before any model could be fitted.
        """
        if self._fitted is None:
            last = self._state.rounds[-1].round if self._state.rounds else None
            if last is not None:
                labels = _labels_at_round_close(self._pool, self._events_cache())
                self._set_fitted(fit(self._pool, labels, last), labels)
        if self._fitted is None:
            raise NotFittedError(
                "no model yet: it is fitted when a round closes with labels of two classes"
            )
        return self._fitted.model

    def learning_curve(self) -> go.Figure:
        """Return the held-out metric against the number of labels, one point per round."""
        from jupyter_al.plots import learning_curve

        return learning_curve(self.rounds, stop_reason=self.stop_reason)

    @property
    def has_open_batch(self) -> bool:
        """True while a batch is selected and not yet submitted."""
        return self._state.batch_open

    @property
    def n_human_labels(self) -> int:
        """Labels people gave to pool items so far (after undos)."""
        return self._state.n_human_labels

    @property
    def label_descriptions(self) -> dict[str, str]:
        """Optional descriptions of the labels (shown as guidelines)."""
        return dict(self.config.label_descriptions)

    @property
    def image_shape(self) -> tuple[int, int] | None:
        """(height, width) when the feature columns are the pixels of an image."""
        return self.config.image_shape

    def class_counts(self) -> dict[str, int]:
        """Return how many training labels each class has (the data's own included)."""
        return class_counts(self._pool.classes, training_labels(self._pool, self._state))

    def budget_left(self) -> str:
        """Describe what is left of the budget, in words."""
        budget = self.config.budget
        n = self._state.n_human_labels
        parts = []
        if budget.max_labels is not None:
            parts.append(f"{max(budget.max_labels - n, 0)} of {budget.max_labels} labels left")
        if budget.max_rounds is not None:
            done = len([r for r in self._state.rounds if r.round > 0])
            parts.append(f"{max(budget.max_rounds - done, 0)} of {budget.max_rounds} rounds left")
        if budget.max_cost is not None and budget.cost_per_label is not None:
            left = budget.max_cost - n * budget.cost_per_label - self._state.judge.cost
            parts.append(f"{max(left, 0):g} of {budget.max_cost:g} money left")
        if budget.max_minutes is not None:
            assert self._state.configured is not None
            started = datetime.fromisoformat(self._state.configured.ts)
            used = (datetime.now(started.tzinfo) - started).total_seconds() / 60
            left_min = max(budget.max_minutes - used, 0)
            parts.append(f"{left_min:.0f} of {budget.max_minutes:g} min left")
        return " · ".join(parts)

    def batch_item_id(self, text: str) -> ItemId:
        """Return the id of the open batch's item whose string form is ``text``."""
        batch = self._state.batch
        if batch is not None:
            for item_id in batch.item_ids:
                if str(item_id) == text:
                    return item_id
        return self._resolve_item(text)[0]

    @property
    def widget(self) -> LabelingWidget:
        """The labeling widget (created on first use; displaying the session shows it)."""
        if self._widget is None:
            from jupyter_al._widget import LabelingWidget

            if (
                self.is_configured
                and not self.stopped
                and not self.has_open_batch
                and not self._log.closed
            ):
                self.next_batch()
            self._widget = LabelingWidget(self)
        return self._widget

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """Show the labeling widget when the session is displayed in a notebook."""
        bundle = cast(
            "tuple[dict[str, Any], dict[str, Any]]", self.widget._repr_mimebundle_(**kwargs)
        )
        data, meta = bundle
        return {**data, "text/plain": repr(self)}, meta

    def __repr__(self) -> str:
        """Summarise the session in one line."""
        if not self.is_configured:
            frame = self.pending_frame
            what = f"{len(frame)} rows" if frame is not None else "no data yet"
            return f"<Session (not configured: answer the interview; {what})>"
        status = f"stopped: {self.stop_reason}" if self.stopped else f"round {self.round}"
        return (
            f"<Session {self.session_id} {self.config.task} {len(self._pool.ids)} pool items, "
            f"{self._state.n_human_labels} human labels, {status}, store={str(self.store)!r}>"
        )

    # ------------------------------------------------------------------ Argilla (issue #4)
    # Team review: send batches to an Argilla dataset, pull the answers back as labels. The
    # settings, records, votes and agreement are pure functions in jupyter_al.argilla; these
    # methods gather what the session knows, call the server, and log what came of it.
    # Credentials stay in memory (self._argilla_auth): never logged, never written.

    def to_argilla(
        self,
        dataset: str,
        *,
        workspace: str | None = None,
        api_url: str | None = None,
        api_key: str | None = None,
        min_submitted: int = 1,
        item_ids: Sequence[Any] | None = None,
        vectors: Mapping[Any, Sequence[float]] | None = None,
        recreate: bool = False,
    ) -> SendSummary:
        """Send the open batch (or ``item_ids``) to an Argilla dataset for team review.

        The dataset is created when missing, with settings from the session: a field for what
        is shown (ranking: the query and the document), a question ``"label"`` with the schema
        (a label, multi-label or span question, or a rating of the grades), the label
        descriptions as guidelines, metadata (round, strategy, selection reason, uncertainty,
        model prediction, session id) and ``TaskDistribution(min_submitted)``. Records are
        keyed by item id, so sending again updates them (no duplicates, answers kept) and
        refreshes the suggestions with the current model (spans, a grade). Items whose sending
        failed earlier are sent again too. Regression sessions are refused (``ConfigError``):
        Argilla has no question for a free number.

        Parameters
        ----------
        dataset : str
            The dataset's name on the server.
        workspace : str, optional
            Default: the first workspace of the user (one named ``jupyter_al`` when none).
        api_url, api_key : str, optional
            Default: ``ARGILLA_API_URL`` / ``ARGILLA_API_KEY``. Owner or admin key.
        min_submitted : int
            Answers needed before a record counts as completed (several annotators: 2+).
        item_ids : sequence, optional
            Pool items to send instead of the open batch.
        vectors : mapping of item id to a sequence of floats, optional
            One embedding per item sent (for Argilla's similarity search).
        recreate : bool
            Create the dataset again when it was deleted on the server.

        Returns
        -------
        SendSummary

        Raises
        ------
        ArgillaError
            Naming the step that failed; what was not sent is logged and sent next time.
        """
        from jupyter_al import argilla as ag
        from jupyter_al._events import ArgillaFailed, ArgillaSent

        self._check_argilla_open()
        url, key = ag.resolve_credentials(api_url, api_key)
        self._argilla_auth = (url, key)
        state = self._state.argilla
        ids = self._argilla_ids(item_ids)
        retried = [i for i in state.pending_send.get(dataset, []) if i not in set(ids)]
        ids_all = ids + retried
        vecs = {str(to_item_id(k)): list(v) for k, v in (vectors or {}).items()}
        dims = {len(v) for v in vecs.values()}
        if len(dims) > 1:
            raise ConfigError(f"vectors must all have the same length, got lengths {sorted(dims)}")
        spec = ag.dataset_spec(
            self.config,
            dataset=dataset,
            workspace=workspace,
            min_submitted=min_submitted,
            vector_dims=dims.pop() if dims else None,
        )
        gateway = ag.ArgillaGateway(url, key)
        ws = workspace
        try:
            ws = gateway.workspace(workspace)
            ds, created = self._argilla_dataset(gateway, spec, ws, recreate=recreate)
            rows, model_version = self._argilla_rows(ids_all)
            payloads = ag.record_payloads(
                rows, spec, session_id=self.session_id, model_version=model_version, vectors=vecs
            )
            gateway.upsert(ds, payloads)
        except ArgillaError as exc:
            self._append(
                ArgillaFailed(
                    operation="send",
                    dataset=dataset,
                    workspace=ws,
                    round=self._state.round,
                    item_ids=ids_all,
                    error=str(exc),
                )
            )
            raise
        finally:
            gateway.close()
        self._append(
            ArgillaSent(
                dataset=dataset,
                workspace=ws,
                dataset_id=str(ds.id),
                url=ag.public_url(url),
                round=self._state.round,
                item_ids=ids_all,
                model_version=model_version,
                created=created,
            )
        )
        return ag.SendSummary(
            dataset=dataset,
            workspace=ws,
            dataset_id=str(ds.id),
            url=gateway.link(ds),
            n_sent=len(ids_all),
            created=created,
            retried=tuple(retried),
        )

    def from_argilla(
        self,
        dataset: str | None = None,
        *,
        workspace: str | None = None,
        api_url: str | None = None,
        api_key: str | None = None,
        round: int | None = None,  # noqa: A002  # why: the issue's name; shadowing is local
    ) -> PullSummary:
        """Pull the answers of this session's records from Argilla and merge them as labels.

        Each submitted answer becomes a ``Labeled`` event (annotator: the Argilla user name,
        source ``"argilla"``, the record's round, the answer's time); a discarded record is a
        skip. When several people answered one record every vote stays in the log and the
        majority decides (``LabelDecided``); ties and disagreements are flagged for
        adjudication (:attr:`argilla_review`). An answer outside the schema is refused and
        kept for review. Pulling again merges only what changed on the server.

        Parameters
        ----------
        dataset : str, optional
            Default: the dataset the session last sent to.
        workspace, api_url, api_key : str, optional
            As for :meth:`to_argilla`.
        round : int, optional
            Only the records sent in this round.

        Returns
        -------
        PullSummary
            merged, skipped, refused, disagreements, and agreement per round (Cohen's kappa
            for two annotators, Krippendorff's alpha for more).

        Raises
        ------
        ArgillaError
            Naming the step that failed (the failure is logged; labels merged before are safe).
        """
        from jupyter_al import argilla as ag
        from jupyter_al._events import ArgillaFailed

        self._check_argilla_open()
        state = self._state.argilla
        if dataset is None:
            if state.last is None:
                raise ConfigError(
                    "dataset is needed: this session has not sent anything to Argilla yet"
                )
            dataset = state.last[0]
            workspace = workspace or state.last[1]
        url, key = ag.resolve_credentials(api_url, api_key)
        self._argilla_auth = (url, key)
        spec = ag.dataset_spec(self.config, dataset=dataset, workspace=workspace, min_submitted=1)
        gateway = ag.ArgillaGateway(url, key)
        ws = workspace or self._argilla_workspace(dataset)
        try:
            ws = gateway.workspace(ws)
            ds = gateway.find_dataset(dataset, ws)
            known = state.datasets.get((ws, dataset))
            if ds is None or (known is not None and str(ds.id) != known):
                unpulled = [i for i, r in state.sent.items() if i not in state.votes]
                raise ArgillaDatasetMissingError(
                    f"Argilla at {ag.public_url(url)}: dataset {ws}/{dataset} "
                    + ("is not on the server" if ds is None else "was replaced on the server")
                    + f" (this session sent to id {known}); the answers to {len(unpulled)} sent "
                    "items not pulled yet went with it. Labels pulled before are in the log; "
                    "send the items again with to_argilla(..., recreate=True)"
                )
            problems = ag.schema_problems(spec, gateway.server_schema(ds), sending=False)
            if problems:
                raise ArgillaSchemaError(
                    f"Argilla at {ag.public_url(url)}: dataset {ws}/{dataset} changed on the "
                    f"server: {'; '.join(problems)}; its answers cannot be read as labels"
                )
            records = gateway.records(ds)
            usernames = gateway.usernames()
        except ArgillaError as exc:
            self._append(
                ArgillaFailed(
                    operation="pull",
                    dataset=dataset,
                    workspace=ws,
                    round=self._state.round,
                    item_ids=[],
                    error=str(exc),
                )
            )
            raise
        finally:
            gateway.close()
        ours = [
            r
            for r in records
            if (r.get("metadata") or {}).get("session_id") == self.session_id
            and (round is None or (r.get("metadata") or {}).get("round") == round)
        ]
        return self._merge_argilla(
            ag.votes_from_records(ours, usernames),
            dataset=dataset,
            ws=ws,
            dataset_id=str(ds.id),
            round_filter=round,
            n_records=len(ours),
        )

    @property
    def argilla_review(self) -> pd.DataFrame:
        """What waits for a person: ties and disagreements to adjudicate, refused answers.

        One row per item or answer: ``kind`` (``"tie"``, ``"majority"``, ``"refused"``),
        ``item_id``, ``round``, ``label`` (the majority's, if any), ``votes`` or the refused
        ``value``, ``annotator`` and ``reason``.
        """
        state = self._state.argilla
        rows: list[dict[str, Any]] = [
            {
                "kind": d.status,
                "item_id": d.item_id,
                "round": d.round,
                "label": d.label,
                "votes": {str(a): v for a, v in d.votes},
                "annotator": None,
                "reason": "tie: no majority" if d.label is None else "the annotators disagree",
            }
            for d in state.flagged.values()
        ]
        rows += [
            {
                "kind": "refused",
                "item_id": r.record_id,
                "round": r.round,
                "label": None,
                "votes": r.value,
                "annotator": r.annotator,
                "reason": r.reason,
            }
            for r in state.refused
        ]
        cols = ["kind", "item_id", "round", "label", "votes", "annotator", "reason"]
        return pd.DataFrame(rows, columns=cols)

    @property
    def argilla_votes(self) -> pd.DataFrame:
        """Every Argilla answer merged: item_id, annotator, status, label and ts."""
        rows = [
            {"item_id": i, "annotator": a, "status": s, "label": lab, "ts": ts}
            for i, per in self._state.argilla.votes.items()
            for a, (s, lab, ts) in per.items()
        ]
        return pd.DataFrame(rows, columns=["item_id", "annotator", "status", "label", "ts"])

    @property
    def argilla_status(self) -> dict[str, Any]:
        """The Argilla side at a glance (what the widget shows); never holds a credential."""
        state = self._state.argilla
        if state.last is None:
            return {}
        dataset, ws, url = state.last
        dataset_id = state.datasets.get((ws, dataset))
        return {
            "dataset": dataset,
            "workspace": ws,
            "link": f"{url}/dataset/{dataset_id}/annotation-mode" if dataset_id and url else "",
            "n_sent": sum(1 for _ in state.sent),
            "pending_send": len(state.pending_send.get(dataset, [])),
            "pending_pull": dataset in state.pending_pull,
            "flagged": len(state.flagged),
            "refused": len(state.refused),
            "last_error": state.failures[-1].error if state.failures else "",
        }

    def argilla_progress(
        self, *, api_url: str | None = None, api_key: str | None = None
    ) -> dict[str, Any]:
        """Return the last dataset's progress: total, completed, pending, per annotator."""
        from jupyter_al import argilla as ag

        status = self.argilla_status
        if not status:
            raise ConfigError("nothing was sent to Argilla yet: call to_argilla(dataset) first")
        url, key = (
            self._argilla_auth
            if api_url is None and api_key is None and getattr(self, "_argilla_auth", None)
            else ag.resolve_credentials(api_url, api_key)
        )
        gateway = ag.ArgillaGateway(url, key, retries=1)
        try:
            ds = gateway.find_dataset(status["dataset"], status["workspace"])
            if ds is None:
                raise ArgillaDatasetMissingError(
                    f"Argilla at {ag.public_url(url)}: dataset {status['workspace']}/"
                    f"{status['dataset']} is not on the server"
                )
            return gateway.progress(ds)
        finally:
            gateway.close()

    def _check_argilla_open(self) -> None:
        if not self.is_configured:
            self._check_open()
        if self._log.closed:
            raise SessionStoppedError(
                f"the session is closed; reopen it with Session.resume({str(self.store)!r}, data)"
            )

    def _argilla_workspace(self, dataset: str) -> str | None:
        known = [ws for ws, name in self._state.argilla.datasets if name == dataset]
        return known[-1] if known else None

    def _argilla_ids(self, item_ids: Sequence[Any] | None) -> list[ItemId]:
        if item_ids is None:
            batch = self._state.batch
            if batch is None or not self._state.batch_open:
                raise ConfigError(
                    "no open batch to send: call next_batch() first, or pass item_ids=[...]"
                )
            return list(batch.item_ids)
        if isinstance(item_ids, str):
            raise ConfigError(f"item_ids must be a list of item ids, got the str {item_ids!r}")
        out: list[ItemId] = []
        for raw in item_ids:
            key, split = self._resolve_item(raw)
            if split != "pool":
                raise LabelError(f"item_ids: {key!r} is held out; only pool items can be sent")
            if key not in out:
                out.append(key)
        return out

    def _argilla_dataset(
        self, gateway: Any, spec: Any, ws: str, *, recreate: bool
    ) -> tuple[Any, bool]:
        """Return the server's dataset (created when missing) after checking its settings."""
        from jupyter_al import argilla as ag

        known = self._state.argilla.datasets.get((ws, spec.name))
        ds = gateway.find_dataset(spec.name, ws)
        where = f"Argilla at {ag.public_url(gateway.url)}: dataset {ws}/{spec.name}"
        if ds is None:
            if known is not None and not recreate:
                raise ArgillaDatasetMissingError(
                    f"{where} (id {known}), which this session sent records to, is no longer "
                    "on the server; answers not pulled yet went with it. Nothing was sent: "
                    "pass recreate=True to create it again, or send to a new dataset"
                )
            return gateway.create_dataset(spec, ws), True
        schema = gateway.server_schema(ds)
        problems = ag.schema_problems(spec, schema, sending=True)
        if problems:
            raise ArgillaSchemaError(
                f"{where} changed on the server: {'; '.join(problems)}. Nothing was sent: "
                "restore the settings or send to a new dataset"
            )
        if known is not None and str(ds.id) != known and not recreate:
            raise ArgillaDatasetMissingError(
                f"{where} was deleted and created again on the server (id {ds.id}, this "
                f"session sent to {known}). Nothing was sent: pass recreate=True to use the "
                "new one"
            )
        lost = [name for name, _ in ag.METADATA if name not in schema["metadata"]]
        if lost:
            gateway.add_metadata(ds, lost)
        return ds, False

    def _argilla_rows(self, ids: list[ItemId]) -> tuple[list[dict[str, Any]], str | None]:
        """Return what to send per item, with the current model's predictions."""
        from jupyter_al._engine import _predictions, _task_scores, score

        state = self._state
        where: dict[ItemId, tuple[Any, int]] = {}
        for batch in state.batches.values():
            for k, item_id in enumerate(batch.item_ids):
                where[item_id] = (batch, k)
        with contextlib.suppress(NotFittedError):
            self.model_  # noqa: B018  # why: refits the last round's model after a resume
        fitted = self._fitted
        preds: dict[ItemId, tuple[Any, float | None]] = {}
        if fitted is not None and ids:
            pos = self._pool.positions(ids)
            order = np.argsort(pos, kind="stable")
            p: list[Any]
            c: list[float | None]
            if self.config.task in OTHER_TASKS:
                # spans and their probability, or the likeliest grade's name (as in a batch)
                data = _task_scores(self._pool, fitted, pos[order], {})
                p, c, _ = _tasks.predictions(self.config, data, np.arange(len(ids)))
            else:
                proba = score(self._pool, fitted, pos[order]).astype(np.float64)
                p, c = _predictions(self._pool, proba)
            for k, j in enumerate(order):
                preds[ids[int(j)]] = (p[k], c[k])
        cols = self._shown_columns()
        frame_rows = self._frame.loc[[self._frame_key(i) for i in ids], cols].to_numpy(dtype=object)
        rows = []
        for k, item_id in enumerate(ids):
            batch, pos_in = where.get(item_id, (None, -1))
            prediction, confidence = preds.get(item_id, (None, None))
            values = dict(zip(cols, frame_rows[k], strict=True))
            if self.config.task == "extraction":
                assert self.config.text is not None
                # why: the spans answered point into this string; the pull checks them on it
                values[self.config.text] = self._item_text(item_id, "pool")
            rows.append(
                {
                    "id": item_id,
                    "values": values,
                    "prediction": prediction,
                    "confidence": confidence,
                    "uncertainty": batch.scores[pos_in] if batch is not None else None,
                    "strategy": batch.strategy if batch is not None else "manual",
                    "reason": batch.reasons[pos_in] if batch is not None else "chosen by the user",
                    "round": batch.round if batch is not None else state.round,
                }
            )
        return rows, fitted.version if fitted is not None else None

    def _merge_argilla(
        self,
        votes: list[Vote],
        *,
        dataset: str,
        ws: str,
        dataset_id: str,
        round_filter: int | None,
        n_records: int,
    ) -> PullSummary:
        """Log the votes that are new since the last pull, decide, and summarise."""
        from jupyter_al import argilla as ag
        from jupyter_al._events import ArgillaPulled, ArgillaRefused, LabelDecided

        state = self._state.argilla
        id_map = {str(i): i for i in state.sent}
        seen_refused = {(r.record_id, r.annotator, repr(r.value)) for r in state.refused}
        classes = self._pool.classes
        touched: list[ItemId] = []
        merged = skipped = 0
        refused: list[dict[str, Any]] = []
        for vote in sorted(votes, key=lambda v: (v.ts, v.record_id, v.annotator)):
            item_id = id_map.get(vote.record_id)
            round_ = vote.round if vote.round is not None else self._state.round
            ts = vote.ts if "+" in vote.ts or not vote.ts else vote.ts + "+00:00"
            label: Label | None = None
            why: str | None = None
            if item_id is None:
                why = f"record {vote.record_id!r} was not sent by this session"
            elif vote.status == "submitted":
                label, why = ag.check_answer(
                    vote.value,
                    self.config,
                    classes=classes,
                    text=self._item_text(item_id, "pool")
                    if self.config.task == "extraction"
                    else None,
                    item_id=item_id,
                )
            if why is not None:
                key = (vote.record_id, vote.annotator, repr(vote.value))
                if key not in seen_refused:
                    seen_refused.add(key)
                    event = ArgillaRefused(
                        dataset=dataset,
                        record_id=vote.record_id,
                        annotator=vote.annotator,
                        value=vote.value,
                        reason=f"answer of {vote.annotator} to record {vote.record_id} "
                        f"refused: {why}; kept for review (session.argilla_review)",
                        round=round_,
                    )
                    self._append(event)
                    refused.append(
                        {
                            "record_id": vote.record_id,
                            "annotator": vote.annotator,
                            "value": vote.value,
                            "reason": event.reason,
                        }
                    )
                continue
            assert item_id is not None
            before = state.votes.get(item_id, {}).get(vote.annotator)
            if before is not None and before[:2] == (vote.status, label):
                continue
            if vote.status == "submitted":
                assert label is not None
                self._append(
                    Labeled(
                        round=round_,
                        item_id=item_id,
                        label=label_to_json(label),
                        annotator=vote.annotator,
                        source="argilla",
                        ts=ts,
                    )
                )
                merged += 1
            else:
                self._append(
                    Skipped(
                        round=round_,
                        item_id=item_id,
                        annotator=vote.annotator,
                        reason="discarded",
                        ts=ts,
                    )
                )
                skipped += 1
            if item_id not in touched:
                touched.append(item_id)
        flagged: list[ItemId] = []
        for item_id in touched:
            submitted = [
                (a, lab)
                for a, (s, lab, _) in sorted(state.votes[item_id].items())
                if s == "submitted" and lab is not None
            ]
            if len(submitted) < 2 and item_id not in state.flagged:
                continue
            if not submitted:
                continue
            decision = ag.decide([lab for _, lab in submitted], self.config.task)
            self._append(
                LabelDecided(
                    round=state.sent.get(item_id, self._state.round),
                    item_id=item_id,
                    label=label_to_json(decision.label) if decision.label is not None else None,
                    status=decision.status,
                    votes=[[a, label_to_json(lab)] for a, lab in submitted],
                )
            )
            if decision.flagged:
                flagged.append(item_id)
        agreements = self._argilla_agreement(round_filter)
        if merged or skipped or refused or dataset in state.pending_pull:
            self._append(
                ArgillaPulled(
                    dataset=dataset,
                    workspace=ws,
                    dataset_id=dataset_id,
                    round=round_filter,
                    n_records=n_records,
                    merged=merged,
                    skipped=skipped,
                    refused=len(refused),
                    disagreements=flagged,
                    agreement=[a.to_dict() for a in agreements.values()],
                )
            )
        return ag.PullSummary(
            dataset=dataset,
            n_records=n_records,
            merged=merged,
            skipped=skipped,
            refused=tuple(refused),
            disagreements=tuple(flagged),
            agreement=agreements,
        )

    def _argilla_agreement(self, round_filter: int | None) -> dict[int, Agreement]:
        from jupyter_al import argilla as ag

        state = self._state.argilla
        per_round: dict[int, dict[ItemId, dict[str, Label]]] = {}
        for item_id, per in state.votes.items():
            r = state.sent.get(item_id)
            if r is None or (round_filter is not None and r != round_filter):
                continue
            # why: "is not None": no span, (), and grade 0 are answers too
            answers = {
                a: lab for a, (s, lab, _) in per.items() if s == "submitted" and lab is not None
            }
            if answers:
                per_round.setdefault(r, {})[item_id] = answers
        return {r: ag.agreement(ratings, r) for r, ratings in sorted(per_round.items())}

    # ------------------------------------------------------------------ internals
    # ------------------------------------------------------------------ LLM judge (#7)
    @property
    def judge(self) -> Judge | None:
        """The LLM judge attached to this session (None without one)."""
        return self._judge

    def attach_judge(self, judge: Judge | None, *, cache: str | Path | None = None) -> None:
        """Use ``judge`` from now on; None detaches it.

        Its configuration (the model, the endpoint, the rubric and its version, the name of
        the key's environment variable, never a key) is logged when it changes.

        Parameters
        ----------
        judge : jupyter_al.judge.Judge or None
        cache : path, optional
            The judge's answer cache (SQLite). Default ``cache/judge.sqlite`` in the run
            folder; point several runs at one file to share answers between them.

        Raises
        ------
        ConfigError
            When the session's configuration does not allow an LLM judge
            (``llm_judge=False``), or ``judge`` is not a Judge.
        """
        if judge is None:
            self._judge = None
            return
        if not isinstance(judge, Judge):
            raise ConfigError(f"judge must be a jupyter_al.judge.Judge, got {type(judge).__name__}")
        if not self.config.llm_judge:
            raise ConfigError(
                "judge= needs llm_judge=True: this session's configuration does not allow an "
                "LLM judge (start it with Session(..., llm_judge=True))"
            )
        old = self._judge_cache
        if old is not None:
            old.close()
        self._judge = judge
        path = Path(cache) if cache is not None else self._log.folder / "cache" / "judge.sqlite"
        self._judge_cache = JudgeCache(path)
        conf = judge.config.to_dict()
        last = self._state.judge.attached
        if last is None or last.config != conf or last.endpoint != judge.endpoint:
            self._append(
                JudgeAttached(config=conf, endpoint=judge.endpoint, round=self._state.round)
            )

    def judge_evaluate(
        self, n: int | None = 200, *, item_ids: Sequence[Any] | None = None
    ) -> pd.DataFrame:
        """Ask the judge to label held-out items, for judge-assisted metrics.

        From the next round on, ``results.tsv`` has ``judge:<metric>`` columns (the model
        scored against these labels) beside the human-gold ones, and ``judge_vs_gold``: how
        often the judge gave the human gold label. Neither ever enters a human-gold metric.

        Parameters
        ----------
        n : int or None
            How many held-out items not yet judged to ask about (drawn with the run's seed);
            None for all of them.
        item_ids : sequence, optional
            Exactly these held-out items instead.

        Returns
        -------
        DataFrame
            The records of this call (``judge_records`` has them all).
        """
        self._check_open()
        done = self._state.judge.answers.get("evaluation", {})
        if item_ids is not None:
            ids = [self._judge_item(x, "holdout", "judge_evaluate") for x in item_ids]
        else:
            _check_count(n, "n")
            left = [to_item_id(x) for x in self._pool.holdout_ids if to_item_id(x) not in done]
            if not left and len(self._pool.holdout_ids) == 0:
                raise ConfigError("judge_evaluate needs a held-out set; this session has none")
            rng = np.random.default_rng([self.seed, 7, len(self._state.judge.calls)])
            ids = sample_ids(left, n, rng)
        return self._records_frame(self._ask_judge("evaluation", ids))

    def pseudo_label(
        self,
        n: int | None = None,
        *,
        item_ids: Sequence[Any] | None = None,
        min_confidence: float | None = None,
    ) -> pd.DataFrame:
        """Let the judge label unlabeled pool items for training (opt-in pseudo-labeling).

        Pseudo-labels carry their source (``judge.jsonl``, ``provenance``), train the model
        only for items no person labeled, are never evaluated as gold, and are switched off
        with ``use_pseudo_labels(False)``.

        Parameters
        ----------
        n : int, optional
            How many unlabeled pool items to label (the most uncertain under the current
            model first; drawn at random before any model).
        item_ids : sequence, optional
            Exactly these pool items instead.
        min_confidence : float, optional
            Keep only answers whose stated confidence is at least this (in [0, 1]).
        """
        self._check_open()
        if min_confidence is not None and not (
            isinstance(min_confidence, int | float) and 0.0 <= float(min_confidence) <= 1.0
        ):
            raise ConfigError(f"min_confidence must be a number in [0, 1], got {min_confidence!r}")
        labeled = set(training_labels(self._pool, self._state))
        if item_ids is not None:
            ids = [self._judge_item(x, "pool", "pseudo_label") for x in item_ids]
            already = [x for x in ids if x in labeled]
            if already:
                raise LabelError(
                    f"pseudo_label takes unlabeled pool items; {already[:5]} already have a "
                    "person's label"
                )
        else:
            if n is None:
                raise ConfigError("pseudo_label needs n= (how many items) or item_ids=")
            _check_count(n, "n")
            ids = self._uncertain_unlabeled(n, exclude=set(self._state.judge.pseudo_labels()))
        event = self._ask_judge("pseudo-labeling", ids, min_confidence=min_confidence)
        self._fitted = None  # the next fit sees the new training set
        return self._records_frame(event)

    @property
    def pseudo_labels(self) -> pd.DataFrame:
        """The judge's pseudo-labels, with their source and whether training uses each.

        Columns: ``label``, ``source`` (``judge:<model>``), ``rubric_version``, ``round``
        and ``in_training`` (False when switched off or when a person labeled the item).
        """
        people = training_labels(self._pool, self._state)
        rows: dict[ItemId, dict[str, Any]] = {}
        for call in self._state.judge.calls:
            if call.use != "pseudo-labeling":
                continue
            for item_id, value in call.answers:
                rows[item_id] = {
                    "label": value,
                    "source": f"judge:{call.model}",
                    "rubric_version": call.rubric_version,
                    "round": call.round,
                }
        on = self._state.judge.pseudo_enabled
        for item_id, row in rows.items():
            row["in_training"] = on and item_id not in people
        cols = ["label", "source", "rubric_version", "round", "in_training"]
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
        frame.index.name = "item_id"
        return frame

    def use_pseudo_labels(self, enabled: bool) -> None:
        """Switch training on the judge's pseudo-labels on or off (logged)."""
        self._check_open()
        if not isinstance(enabled, bool):
            raise ConfigError(f"enabled must be True or False, got {enabled!r}")
        if enabled != self._state.judge.pseudo_enabled:
            self._append(PseudoLabelsSwitched(enabled=enabled, round=self._state.round))
            self._fitted = None

    def judge_adjudicate(self, item_ids: Sequence[Any] | None = None) -> pd.DataFrame:
        """Ask the judge about disputed items; its label and rationale support the reviewer.

        By default the items team review left disputed (``argilla_review``). The answer is
        shown in the widget and in ``argilla_review``; it never decides a label.
        """
        self._check_open()
        if item_ids is None:
            ids = list(self._state.argilla.flagged)
            if not ids:
                raise ConfigError(
                    "nothing to adjudicate: no item is disputed; pass item_ids= to ask about "
                    "particular items"
                )
        else:
            ids = [self._resolve_item(x)[0] for x in item_ids]
        return self._records_frame(self._ask_judge("adjudication", ids))

    def judge_records(self) -> pd.DataFrame:
        """Return every judge record of the run (``judge.jsonl``), one row each."""
        records = read_records(self._log.folder)
        columns = [f.name for f in dataclass_fields(JudgeRecord)]
        return pd.DataFrame([r.to_dict() for r in records], columns=columns)

    def judge_agreement(self) -> pd.DataFrame:
        """Return how often people, the judge and the model agree, pair by pair.

        One row per pair (human vs judge, human vs model, judge vs model): the items both
        gave an answer for, the share that agree, and Cohen's kappa.
        """
        table = self.judge_disagreements(all_items=True)
        rows = []
        for a, b in (("human", "judge"), ("human", "model"), ("judge", "model")):
            both = table[table[a].notna() & table[b].notna()]
            ratings = {
                i: {a: _as_label(x), b: _as_label(y)}
                for i, x, y in zip(both.index, both[a], both[b], strict=True)
            }
            kappa = argilla_agreement(ratings, self._state.round).value if ratings else None
            same = [_as_label(x) == _as_label(y) for x, y in zip(both[a], both[b], strict=True)]
            rows.append(
                {
                    "pair": f"{a} vs {b}",
                    "n_items": len(both),
                    "agreement": float(np.mean(same)) if same else math.nan,
                    "cohen_kappa": math.nan if kappa is None else kappa,
                }
            )
        return pd.DataFrame(rows).set_index("pair")

    def judge_disagreements(self, *, all_items: bool = False) -> pd.DataFrame:
        """Return the items the judge answered about, with people's and the model's labels.

        Columns: ``human`` (a person's label: pool or held-out gold), ``judge``, ``model``
        (the current model's prediction), ``use``, ``rationale`` and ``disagreement`` (who
        disagrees with whom). Only items with a disagreement, unless ``all_items``.
        """
        opinions: dict[ItemId, tuple[Any, str]] = {}
        for use in ("evaluation", *OPINION_USES):
            for k, v in self._state.judge.answers.get(use, {}).items():
                opinions[k] = (v, use)
        gold = {
            **training_labels(self._pool, self._state),
            **holdout_labels(self._pool, self._state),
        }
        ids = list(opinions)
        preds = self._predict_items(ids)
        rows = []
        for item_id in ids:
            value, use = opinions[item_id]
            human, model = gold.get(item_id), preds.get(item_id)
            pairs = [
                name
                for name, x, y in (
                    ("human-judge", human, value),
                    ("human-model", human, model),
                    ("judge-model", value, model),
                )
                if x is not None and y is not None and _as_label(x) != _as_label(y)
            ]
            if not all_items and not pairs:
                continue
            note = self._judge_notes.get(item_id)
            rows.append(
                {
                    "item_id": item_id,
                    "human": human,
                    "judge": value,
                    "model": model,
                    "use": use,
                    "rationale": note.rationale if note is not None else None,
                    "disagreement": ", ".join(pairs),
                }
            )
        cols = ["item_id", "human", "judge", "model", "use", "rationale", "disagreement"]
        return pd.DataFrame(rows, columns=cols).set_index("item_id")

    def judge_note(self, item_id: Any) -> dict[str, Any] | None:
        """Return the judge's latest answer about an item (label, rationale, use), or None."""
        key, _ = self._resolve_item(item_id)
        rec = self._judge_notes.get(key)
        if rec is None:
            return None
        return {
            "label": rec.value,
            "rationale": rec.rationale,
            "confidence": rec.confidence,
            "use": rec.use,
            "model": rec.model_answered or rec.model,
        }

    def _judge_item(self, item_id: Any, split: str, what: str) -> ItemId:
        key, where = self._resolve_item(item_id)
        if where != split:
            kind = "held-out" if split == "holdout" else "pool"
            raise LabelError(f"{what} takes {kind} items; item_id {key!r} is in the {where}")
        return key

    def _uncertain_unlabeled(self, n: int, *, exclude: set[ItemId]) -> list[ItemId]:
        from jupyter_al._engine import candidate_positions, score

        cand = candidate_positions(self._pool, self._state)
        ids_all = self._pool.ids[cand].tolist()
        keep = np.array([to_item_id(x) not in exclude for x in ids_all], dtype=bool)
        cand = cand[keep]
        if len(cand) == 0:
            raise ConfigError("no unlabeled pool item is left to pseudo-label")
        labels = training_labels(self._pool, self._state)
        fitted = self._fitted or fit(
            self._pool, training_set(self._pool, self._state, labels), self._state.round
        )
        rng = np.random.default_rng([self.seed, 11, len(self._state.judge.calls)])
        if fitted is None:
            order = rng.permutation(len(cand))[:n]
        else:
            proba = score(self._pool, fitted, cand)
            u = (
                _metrics_uncertainty(proba, self.config.task)
                if proba is not None
                else rng.random(len(cand))
            )
            order = top_k(u, min(n, len(cand)), rng)
        return [to_item_id(x) for x in self._pool.ids[cand[np.sort(order)]]]

    def _triage(self, fitted: Fitted, round_: int, labels: Mapping[ItemId, Label]) -> None:
        """Ask the judge about the triage shortlist's items it has no opinion of yet."""
        from jupyter_al._engine import candidate_positions, is_seed_round, score, select_rng

        if is_seed_round(self._pool, self._state, labels):
            return
        cand = candidate_positions(self._pool, self._state)
        if len(cand) == 0:
            return
        cands = Candidates(
            task=self.config.task, classes=self._pool.classes, proba=score(self._pool, fitted, cand)
        )
        k = min(self.config.batch_size, len(cand))
        short = triage_shortlist(cands, k, select_rng(self.seed, round_))
        opinions = judge_opinions(self._pool, self._state, cand[short])
        ids = [
            to_item_id(x)
            for x, op in zip(self._pool.ids[cand[short]], opinions, strict=True)
            if op is None
        ]
        if ids:
            self._ask_judge("prioritization", ids)

    def _ask_judge(
        self, use: str, ids: list[ItemId], *, min_confidence: float | None = None
    ) -> Judged:
        judge = self._judge
        if judge is None:
            raise ConfigError(
                "no LLM judge is attached: pass judge=Judge(...) to Session or resume, or call "
                "session.attach_judge(judge)"
            )
        texts = self._shown_texts(ids)
        budget = self.config.budget
        max_cost = None
        if budget.max_cost is not None:
            spent = self._state.n_human_labels * (budget.cost_per_label or 0.0)
            max_cost = max(0.0, budget.max_cost - spent - self._state.judge.cost)
        deadline = None
        if budget.max_minutes is not None:
            assert self._state.configured is not None
            started = datetime.fromisoformat(self._state.configured.ts)
            used = (datetime.now(started.tzinfo) - started).total_seconds()
            deadline = time.monotonic() + max(0.0, budget.max_minutes * 60 - used)
        folder = self._log.folder

        def keep(record: JudgeRecord) -> None:
            append_records(folder, [record])
            if record.ok:
                self._judge_notes[record.item_id] = record

        run = judge.ask(
            list(zip(ids, texts, strict=True)),
            answer_spec(self.config),
            use=cast("Any", use),
            round=self._state.round,
            cache=self._judge_cache,
            max_cost=max_cost,
            deadline=deadline,
            on_record=keep,
        )
        values, rejected = [], 0
        for r in run.records:
            if not r.ok:
                continue
            if min_confidence is not None and (
                r.confidence is None or r.confidence < min_confidence
            ):
                rejected += 1
                continue
            values.append([r.item_id, r.value])
        event = Judged(
            round=self._state.round,
            use=use,
            output_type="label",
            model=judge.config.model,
            rubric_version=judge.config.rubric_version,
            record_ids=[r.record_id for r in run.records],
            answers=values,
            n_asked=len(ids),
            n_failed=sum(1 for r in run.records if not r.ok),
            n_cache_hits=sum(1 for r in run.records if r.cache_hit),
            n_rejected=rejected,
            cost=_round_float(run.cost),
            tokens=run.tokens,
            seconds=run.seconds,
            stopped=run.stopped,
        )
        self._append(event)
        if run.stopped is not None:
            import warnings as _warnings

            _warnings.warn(
                f"the judge stopped after {len(run.records)} of {len(ids)} items: {run.stopped}",
                stacklevel=3,
            )
        return event

    def _records_frame(self, event: Judged) -> pd.DataFrame:
        frame = self.judge_records()
        return frame[frame["record_id"].isin(event.record_ids)].reset_index(drop=True)

    def _shown_texts(self, ids: list[ItemId]) -> list[str]:
        pool = self._pool
        out = []
        for item_id in ids:
            if item_id in pool.ids:
                out.append(pool.texts_at(pool.positions([item_id]))[0])
            else:
                assert pool.holdout_texts is not None
                hpos = pool.holdout_ids.get_indexer(
                    pd.Index([item_id], dtype=pool.holdout_ids.dtype)
                )
                out.append(pool.holdout_texts[int(hpos[0])])
        return out

    def _predict_items(self, ids: list[ItemId]) -> dict[ItemId, Any]:
        """Return the current model's prediction for pool and held-out items (none unfitted)."""
        from jupyter_al._engine import _predictions, score
        from jupyter_al._model import predict_proba_aligned

        try:
            self.model_  # noqa: B018  # why: fits the last closed round's model when needed
        except NotFittedError:
            return {}
        fitted = self._fitted
        assert fitted is not None
        pool = self._pool
        out: dict[ItemId, Any] = {}
        in_pool = [i for i in ids if i in pool.ids]
        if in_pool:
            pos = pool.positions(in_pool)
            preds, _ = _predictions(pool, score(pool, fitted, pos).astype(np.float64))
            out.update(zip(in_pool, preds, strict=True))
        held = [i for i in ids if i not in pool.ids and i in pool.holdout_ids]
        if held and pool.X_holdout is not None:
            hpos = np.asarray(
                pool.holdout_ids.get_indexer(pd.Index(held, dtype=pool.holdout_ids.dtype)),
                dtype=np.intp,
            )
            proba = predict_proba_aligned(
                fitted.model, pool.X_holdout[hpos], pool.classes, task=self.config.class_task
            ).astype(np.float64)
            preds, _ = _predictions(pool, proba)
            out.update(zip(held, preds, strict=True))
        return out

    # ------------------------------------------------------------------ trackers and judge setup
    def _start_extras(self, *, resumed: bool) -> None:
        extras = self._extras
        for record in read_records(self._log.folder):
            if record.ok:
                self._judge_notes[record.item_id] = record
        if extras.judge is not None:
            self.attach_judge(extras.judge)
        if extras.judge_eval is not None:
            if extras.judge is None:
                raise ConfigError("judge_eval= needs judge= (the judge that labels held-out items)")
            self.judge_evaluate(extras.judge_eval)
        if extras.tracker is not None:
            from jupyter_al.tracking import RunInfo, make_tracker

            tracker = make_tracker(extras.tracker)
            assert self._state.configured is not None
            tracker.start(
                RunInfo(
                    run_dir=self._log.folder,
                    session_id=self.session_id,
                    name=self._log.folder.name,
                    params=_flat_params(self._state.configured),
                    resumed=resumed,
                )
            )
            self._tracker = tracker

    def _track_round(self) -> None:
        tracker = self._tracker
        if tracker is None or not self._state.rounds:
            return
        from jupyter_al._exports import NOTES_FILE, RESULTS_FILE, annotation_file, selection_file
        from jupyter_al.tracking import RoundInfo

        r = self._state.rounds[-1]
        folder = self._log.folder
        files = [
            folder / selection_file(r.round),
            folder / annotation_file(r.round),
            folder / RESULTS_FILE,
            folder / NOTES_FILE,
        ]
        values = {
            "n_batch_labeled": float(r.n_batch_labeled),
            "n_batch_skipped": float(r.n_batch_skipped),
            "n_holdout_gold": float(r.n_holdout_gold),
            **{k: float(v) for k, v in r.timings.items()},
            **{k: float(v) for k, v in r.judge.items() if isinstance(v, int | float)},
        }
        tracker.log_round(
            RoundInfo(
                round=r.round,
                n_labeled=r.n_labeled,
                gold_metrics=dict(r.metrics),
                judge_metrics=dict(r.judge_metrics),
                values=values,
                artifacts=[f for f in files if f.exists()],
            )
        )
        if self._state.stopped is not None:
            tracker.finish("stopped")
            self._tracker = None

    def _append(self, event: Event) -> None:
        seq = self._log.append(event_to_dict(event))
        self._state.apply(seq, event)
        if self._widget is not None:
            self._widget.on_event(event)

    def _events_cache(self) -> list[tuple[int, Event]]:
        from jupyter_al._store import read_log

        return [event_from_dict(d) for d in read_log(self._log.folder).events]

    def _check_open(self) -> None:
        if not self.is_configured:
            raise ConfigError(
                "the session is not configured yet: answer the interview (display the session "
                "in a notebook) or call session.configure(text=..., labels=[...])"
            )
        if self._log.closed:
            raise SessionStoppedError(
                f"the session is closed; reopen it with Session.resume({str(self.store)!r}, data)"
            )
        if self._state.stopped is not None:
            raise SessionStoppedError(f"the session has stopped: {self._state.stopped.reason}")

    def _resolve_item(self, item_id: Any) -> tuple[ItemId, Any]:
        try:
            key = to_item_id(item_id)
        except (TypeError, ValueError, ConfigError):
            raise LabelError(
                f"item_id must be an id of the data (int or str), got {type(item_id).__name__}"
            ) from None
        if key in self._pool.ids:
            return key, "pool"
        if key in self._pool.holdout_ids:
            return key, "holdout"
        assert self._state.configured is not None
        for why, ids in self._state.configured.excluded.items():
            if key in ids:
                raise LabelError(
                    f"item_id {key!r} was left out of the session at start "
                    f"({why.replace('_', ' ')})"
                )
        units = self._pool.extra.get("units")
        if units is not None and isinstance(key, str) and "#" in key:
            parent = key.rsplit("#", 1)[0]
            known = {str(p) for p in units["parent_id"].to_numpy(dtype=object)}
            if parent not in known:
                raise LabelError(
                    f"unit {key!r} names parent {parent!r}, which is not in the data "
                    f"({len(known)} parents, e.g. {sorted(known)[:3]})"
                )
            n = int((units["parent_id"].astype(str) == parent).sum())
            raise LabelError(
                f"unit {key!r} is not a unit of parent {parent!r}: it has {n} "
                f"{self.config.prediction_unit} unit(s), ids {parent}#..0 to {n - 1}"
            )
        sample = ", ".join(repr(x) for x in list(self._pool.ids[:3]))
        raise LabelError(
            f"item_id {key!r} is not in the data (the pool has {len(self._pool.ids)} items, "
            f"ids like {sample})"
        )

    def _check_label(self, label: Any, *, item_id: ItemId, split: str) -> Label:
        classes = self._pool.classes
        if self.config.task in OTHER_TASKS:
            text = None
            if self.config.task == "extraction":
                text = self._item_text(item_id, split)
            return cast("Label", _tasks.check_label(self.config, label, text=text, item_id=item_id))
        if self.config.task == "classification":
            if isinstance(label, list | tuple | set):
                raise LabelError(
                    f"label must be one of {list(classes)} for a classification task, got "
                    f"{type(label).__name__} {label!r}"
                )
            value = _label_str(label)
            if value not in classes:
                close = difflib.get_close_matches(value, classes, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise LabelError(f"label {value!r} is not in the schema {list(classes)}{hint}")
            return value
        items: Iterable[Any] = [label] if isinstance(label, str) else label
        try:
            values = tuple(sorted({_label_str(x) for x in items}))
        except TypeError:
            raise LabelError(
                f"label must be a list of labels from {list(classes)} for a multilabel task, "
                f"got {type(label).__name__}"
            ) from None
        unknown = [v for v in values if v not in classes]
        if unknown:
            raise LabelError(f"labels {unknown} are not in the schema {list(classes)}")
        return values

    def _item_text(self, item_id: ItemId, split: str) -> str:
        """Return the text of a pool or held-out item (what its spans point into)."""
        pool = self._pool
        if split == "pool":
            return str(pool.frame[self.config.text].iloc[int(pool.positions([item_id])[0])])
        pos = int(cast("int", pool.holdout_ids.get_loc(item_id)))
        return (pool.holdout_texts or [])[pos]

    def _select_next(self) -> None:
        state = self._state
        round_ = state.round + 1
        labels = training_labels(self._pool, state)
        # the batch of round r is chosen by the model fitted on the labels known now, seeded
        # for round r - 1; right after submit() that is the model submit() just fitted
        fitted = self._fitted
        train = training_set(self._pool, state, labels)
        if fitted is None or fitted.round != round_ - 1 or self._fit_labels != train:
            fitted = fit(self._pool, train, round_ - 1)
            self._set_fitted(fitted, train)
        if self._judge is not None and self._pool.strategy.needs_judge and fitted is not None:
            self._triage(fitted, round_, labels)
        batch = select(self._pool, state, fitted, round_, labels)
        if batch is None:
            rule = self._exhaustion_rule()
            self._append(Stopped(rule=rule[0], reason=rule[1], round=state.round))
            write_all(self._log.folder, self._state, self._notes_context())
            return
        self._append(batch)
        write_selection(self._log.folder, batch, self._notes_context())

    def _exhaustion_rule(self) -> tuple[str, str]:
        from jupyter_al._engine import batch_limit, candidate_positions

        if batch_limit(self._pool, self._state) <= 0:
            return self._budget_rule() or ("budget", "the label budget is spent")
        n_left = len(candidate_positions(self._pool, self._state))
        assert n_left == 0
        return (
            "pool",
            (
                f"pool exhausted: all {len(self._pool.ids)} pool items are labeled or skipped "
                f"({len(training_labels(self._pool, self._state))} labeled, "
                f"{len(self._state.skipped)} skipped)"
            ),
        )

    def _budget_rule(self) -> tuple[str, str] | None:
        budget = self.config.budget
        n = self._state.n_human_labels
        if budget.max_labels is not None and n >= budget.max_labels:
            return "max_labels", f"label budget reached: {n} of {budget.max_labels} labels given"
        if budget.max_cost is not None and budget.cost_per_label is not None:
            judge_cost = self._state.judge.cost
            spent = n * budget.cost_per_label + judge_cost
            if spent + budget.cost_per_label > budget.max_cost + 1e-12:
                judged = f" and {judge_cost:g} on the LLM judge" if judge_cost else ""
                return (
                    "max_cost",
                    (
                        f"money budget reached: {spent:g} of {budget.max_cost:g} spent "
                        f"({n} labels at {budget.cost_per_label:g} each{judged})"
                    ),
                )
        return None

    def _stop_rule(self) -> tuple[str, str] | None:
        """Return (rule, reason) of the first stopping rule that fires, else None."""
        state, cfg = self._state, self.config
        budget = cfg.budget
        closed = [r for r in state.rounds if r.round > 0]
        if budget.max_rounds is not None and len(closed) >= budget.max_rounds:
            return "max_rounds", f"round limit reached: {len(closed)} of {budget.max_rounds} rounds"
        rule = self._budget_rule()
        if rule is not None:
            return rule
        if budget.max_minutes is not None:
            assert state.configured is not None
            started = datetime.fromisoformat(state.configured.ts)
            last = datetime.fromisoformat(state.rounds[-1].ts)
            minutes = (last - started).total_seconds() / 60
            if minutes >= budget.max_minutes:
                return (
                    "max_minutes",
                    f"time budget reached: {minutes:.1f} of {budget.max_minutes:g} minutes",
                )
        if cfg.annotator_capacity is not None:
            for name, n in sorted(state.per_annotator.items()):
                if n >= cfg.annotator_capacity:
                    return (
                        "annotator_capacity",
                        (
                            f"annotator {name!r} reached capacity: {n} of "
                            f"{cfg.annotator_capacity} labels"
                        ),
                    )
        if cfg.plateau_patience is not None:
            return _plateau(state.rounds, cfg.plateau_patience, cfg.plateau_min_delta)
        return None

    def _round_closed(
        self,
        round_: int,
        *,
        fitted: Fitted | None,
        metrics: dict[str, float],
        n_gold: int,
        labels: Mapping[ItemId, Label],
        timings: dict[str, float],
        warns: list[str],
    ) -> RoundClosed:
        state = self._state
        batch = state.batch if round_ > 0 else None
        entries = state.round_log.get(round_, [])
        in_batch = set(batch.item_ids) if batch is not None else set()
        # distinct items: several people may label one item (team review, #4)
        n_lab = len(
            {e.item_id for _, e in entries if isinstance(e, Labeled) and e.item_id in in_batch}
        )
        n_skip = len(
            {e.item_id for _, e in entries if isinstance(e, Skipped) and e.item_id in in_batch}
            - {e.item_id for _, e in entries if isinstance(e, Labeled)}
        )
        from jupyter_al._engine import candidate_positions

        if n_gold == 0 and self._pool.X_holdout is not None:
            warns.append("no gold labels in the held-out set: nothing was evaluated")
        if batch is not None and n_lab + n_skip < len(batch.item_ids):
            warns.append(
                f"{len(batch.item_ids) - n_lab - n_skip} item(s) of the batch were left "
                "unreviewed and went back to the pool"
            )
        t_guards = time.perf_counter()
        guards = evaluate_guards(self._pool, state, labels, round_, mode=self.config.guards)
        timings = {**timings, "guards_s": round(time.perf_counter() - t_guards, 6)}
        said = {g["name"] for r in state.rounds for g in r.guards if g.get("tripped")}
        warns.extend(
            f"guard {g.name}: {g.message}"
            for g in guards
            # a property of the pool is said once, the round it first trips
            if g.tripped and not (g.name == "duplicate_pool" and g.name in said)
        )
        value = metrics.get(self._pool.metric)
        judge_metrics, judge_info = evaluate_judge(self._pool, fitted, state)
        if state.judge.calls:
            judge_info["n_pseudo"] = n_pseudo_used(state, labels)
            judge_info["judge_cost"] = _round_float(state.judge.cost)
        return RoundClosed(
            round=round_,
            n_labeled=len(labels),
            n_unlabeled=len(candidate_positions(self._pool, state)),
            batch_size=len(batch.item_ids) if batch is not None else 0,
            n_batch_labeled=n_lab,
            n_batch_skipped=n_skip,
            strategy=batch.strategy if batch is not None else "initial labels",
            metric=self._pool.metric,
            value=None if value is None or math.isnan(value) else value,
            metrics=metrics,
            n_holdout_gold=n_gold,
            model_version=fitted.version if fitted is not None else None,
            class_counts=class_counts(self._pool.classes, labels),
            timings=timings,
            warnings=warns,
            guards=[g.to_dict() for g in guards],
            judge_metrics=judge_metrics,
            judge=judge_info if state.judge.calls else {},
        )

    def _set_fitted(self, fitted: Fitted | None, labels: Mapping[ItemId, Label]) -> None:
        self._fitted = fitted
        self._fit_labels = dict(labels)

    def _notes_context(self) -> dict[str, Any]:
        context: dict[str, Any] = {"warnings": self._start_warnings, "classes": self._pool.classes}
        units = self._pool.extra.get("units_frame")
        if units is not None:
            context["provenance"] = lambda ids: _tasks.provenance_of(units, ids)
        return context

    def unit_context(
        self, item_id: Any, *, before: int = 1, after: int = 1
    ) -> dict[str, Any] | None:
        """Return where a unit comes from and its neighbours (None when items are rows).

        Parameters
        ----------
        item_id
            A unit id (``"<parent id>#s<position>"``, ``#c`` for chunks, ``#m`` for messages).
        before, after : int
            Neighbouring units of the same parent to include.

        Returns
        -------
        dict or None
            ``{kind, parent_id, position, n_units, start, end, before: [str], after: [str]}``.
        """
        from jupyter_al.units import context as unit_context

        units = self._pool.extra.get("units")
        if units is None:
            return None
        key, _ = self._resolve_item(item_id)
        ctx = unit_context(units, str(key), before=before, after=after)
        parent = units["parent_id"].to_numpy(dtype=object) == ctx.parent_id
        return {
            "kind": ctx.kind,
            "parent_id": str(ctx.parent_id),
            "position": ctx.position,
            "n_units": int(parent.sum()),
            "start": int(units["start"].loc[str(key)]),
            "end": int(units["end"].loc[str(key)]),
            "before": list(ctx.before),
            "after": list(ctx.after),
        }

    def rollup(self, how: str = "majority", *, positive: str | None = None) -> pd.DataFrame:
        """Roll the model's unit predictions up to their parents (documents, threads).

        Parameters
        ----------
        how : {"any", "majority", "max"}
            ``"any"``: the parent gets ``positive`` if any unit is predicted so (multilabel:
            the union); ``"majority"``: the most frequent unit prediction; ``"max"``: per
            class the highest unit probability, then the best class.
        positive : str, optional
            The positive class for ``how="any"`` (classification).

        Returns
        -------
        DataFrame
            One row per parent (pool and held-out): ``prediction`` and ``n_units``.

        Raises
        ------
        ConfigError
            Items are rows (no units); the task is not classification or multilabel; no
            model fitted yet; ``how`` unknown.
        """
        from jupyter_al.units import rollup, rollup_proba

        units = self._pool.extra.get("units")
        if units is None:
            raise ConfigError(
                "rollup needs prediction units: this session labels rows "
                f"(prediction_unit={self.config.prediction_unit!r})"
            )
        task = self.config.class_task
        if self._fitted is None:
            raise ConfigError("rollup needs a fitted model: label a batch and submit it first")
        ids = list(self._pool.ids) + list(self._pool.holdout_ids)
        proba = self._unit_proba(ids)
        parents = units["parent_id"].loc[[str(i) for i in ids]]
        out = rollup(
            proba,
            parents.to_numpy(),
            how,  # type: ignore[arg-type]  # why: checked by rollup, naming the choices
            classes=self.classes,
            positive=positive,
            task=task,
        )
        frame = out.to_frame("prediction")
        frame["n_units"] = parents.value_counts().reindex(frame.index).to_numpy()
        if how == "max":
            frame = frame.join(rollup_proba(proba, parents.to_numpy(), self.classes))
        return frame

    def _unit_proba(self, ids: list[Any]) -> Any:
        pool, fitted = self._pool, self._fitted
        assert fitted is not None
        from jupyter_al._model import predict_proba_aligned

        task = self.config.class_task
        n = len(pool.ids)
        parts = [predict_proba_aligned(fitted.model, pool.X, pool.classes, task=task)]
        if pool.X_holdout is not None and len(ids) > n:
            parts.append(
                predict_proba_aligned(fitted.model, pool.X_holdout, pool.classes, task=task)
            )
        return np.vstack(parts)

    def _batch_frame(self) -> pd.DataFrame:
        batch = self._state.batch
        assert batch is not None
        cols = self._shown_columns()
        if _tasks.is_split(self.config):
            cols = [*cols, *_tasks.UNIT_PROVENANCE]
        idx = [self._frame_key(i) for i in batch.item_ids]
        shown = self._frame.loc[idx, cols].copy()
        name = self._frame.index.name or "item_id"
        shown.index = pd.Index(cast("list[Any]", batch.item_ids), name=name)
        pairs = self.batch_status()
        status = [p[0] for p in pairs]
        current = [p[1] for p in pairs]
        shown["prediction"] = pd.Series(batch.predictions, index=shown.index, dtype=object)
        shown["confidence"] = pd.array(batch.confidences, dtype="Float64")
        if batch.intervals is not None:
            shown["interval"] = pd.Series(
                [tuple(x) for x in batch.intervals], index=shown.index, dtype=object
            )
        shown["uncertainty"] = batch.scores
        shown["strategy"] = batch.strategy
        shown["reason"] = batch.reasons
        shown["rank"] = np.arange(1, len(batch.item_ids) + 1)
        shown["round"] = batch.round
        shown["status"] = status
        shown["label"] = pd.Series(current, index=shown.index, dtype=object)
        return shown

    def batch_status(self) -> list[tuple[str, Label | None]]:
        """Return ``(status, label)`` of each item of the open batch, in rank order.

        ``status`` is ``"pending"``, ``"labeled"`` or ``"skipped"``.
        """
        batch = self._state.batch
        if batch is None:
            return []
        history, skipped = self._state.history, self._state.skipped
        out: list[tuple[str, Label | None]] = []
        for i in batch.item_ids:
            recs = history.get(i)
            if recs and recs[-1].split == "pool":
                out.append(("labeled", recs[-1].label))
            elif i in skipped:
                out.append(("skipped", None))
            else:
                out.append(("pending", None))
        return out

    def batch_records(self) -> list[dict[str, Any]]:
        """Return the open batch as plain records: shown values and the selection's numbers."""
        batch = self._state.batch
        if batch is None:
            return []
        cols = self._shown_columns()
        idx = [self._frame_key(i) for i in batch.item_ids]
        rows = self._frame.loc[idx, cols].to_numpy(dtype=object)
        return [
            {
                "id": item_id,
                "values": dict(zip(cols, rows[i], strict=True)),
                "prediction": batch.predictions[i],
                "confidence": batch.confidences[i],
                "uncertainty": batch.scores[i],
                "strategy": batch.strategy,
                "reason": batch.reasons[i],
                "rank": i + 1,
                "round": batch.round,
                "interval": batch.intervals[i] if batch.intervals is not None else None,
            }
            for i, item_id in enumerate(batch.item_ids)
        ]

    def _shown_columns(self) -> list[str]:
        """Return the columns a person sees: the query (ranking) and the text, or features."""
        cfg = self.config
        if cfg.text is None:
            return list(cfg.features or ())
        return [cfg.query, cfg.text] if cfg.query is not None else [cfg.text]

    def _frame_key(self, item_id: ItemId) -> Any:
        if item_id in self._frame.index:
            return item_id
        return self._frame.index[self._pool.ids.get_loc(item_id)]


_GUARD_COLUMNS = ("round", "name", "value", "threshold", "tripped", "message")


def _group_split(ids: pd.Index, groups: pd.Series, fraction: float, seed: int) -> list[Any]:
    """Hold out whole groups (queries, parent documents): about ``fraction`` of the items."""
    codes, uniques = pd.factorize(groups.to_numpy())
    order = np.random.default_rng([seed, 11]).permutation(len(uniques))
    sizes = np.bincount(codes, minlength=len(uniques))
    target = fraction * len(ids)
    chosen: set[int] = set()
    total = 0
    for g in order.tolist():
        if total >= target or len(chosen) >= len(uniques) - 1:
            break
        chosen.add(g)
        total += int(sizes[g])
    if not chosen:
        raise ConfigError(
            f"holdout={fraction} needs at least 2 groups (queries or documents) to hold one "
            f"out, got {len(uniques)}"
        )
    mask = np.isin(codes, list(chosen))
    return list(ids[mask])


def _unit_pairs(unit: Any, splitter: Any) -> tuple[tuple[str, Any], ...]:
    """Return ``unit=`` (a mapping of UnitSpec options) as Config's sorted pairs.

    A ``splitter=`` function is recorded by its name (``"custom:<qualname>"``), as
    :class:`~jupyter_al.units.UnitSpec` records it; pass it again to resume or replay.
    """
    from collections.abc import Mapping as _Mapping

    from jupyter_al.units import UnitSpec

    if unit is None:
        unit = {}
    if not isinstance(unit, _Mapping):
        raise ConfigError(
            "unit must be a mapping of unit options (size, overlap, by, thread, order, "
            f"splitter), got {type(unit).__name__}"
        )
    opts = dict(unit)
    if callable(opts.get("splitter")):
        raise ConfigError(
            "unit['splitter'] must be a splitter's name; pass a function as splitter="
        )
    if splitter is not None:
        if not callable(splitter):
            raise ConfigError(
                f"splitter must be a function text -> [(start, end), ...], got {splitter!r}"
            )
        opts["splitter"] = UnitSpec("sentence", splitter=splitter).splitter_name
    return tuple(sorted((str(k), v) for k, v in opts.items()))


def _attach_units(pool: Pool, frame: pd.DataFrame, holdout_frame: pd.DataFrame | None) -> None:
    """Give a pool of units the units frame (pool and held-out) its context is read from."""
    if not _tasks.is_split(pool.config):
        return
    both = frame if holdout_frame is None else pd.concat([frame, holdout_frame])
    pool.extra["units"] = _tasks.units_view(both, pool.config)
    pool.extra["units_frame"] = both


def _keyword_pairs(keywords: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Return ``keywords=`` as the config's pairs; a clear error for other shapes."""
    from collections.abc import Mapping, Sequence

    if keywords is None:
        return ()
    if not isinstance(keywords, Mapping):
        raise ConfigError(
            f"keywords must map labels to lists of words, got {type(keywords).__name__}"
        )
    out = []
    for key, words in keywords.items():
        if isinstance(words, str) or not isinstance(words, Sequence):
            raise ConfigError(
                f"keywords[{key!r}] must be a list of words, got {type(words).__name__}"
            )
        out.append((str(key), tuple(str(w) for w in words)))
    return tuple(out)


@dataclass(slots=True)
class _Pending:
    """What an unconfigured session was given."""

    frame: pd.DataFrame | None
    args: dict[str, Any]


class _Unconfigured:
    """Stands in for the pool and the log until the interview is answered."""

    def __getattr__(self, name: str) -> Any:
        raise ConfigError(
            "the session is not configured yet: answer the interview (display the session in "
            "a notebook) or call session.configure(text=..., labels=[...])"
        )


def _label_str(value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise LabelError(
            f"a label must be a str (or a number), got {type(value).__name__} {value!r}"
        )
    return str(value)


def _callable_name(func: Any) -> str:
    if not callable(func):
        raise ConfigError(
            f"strategy must be a strategy name or a function, got {type(func).__name__}"
        )
    return f"custom:{getattr(func, '__name__', type(func).__name__)}"


def _plateau(rounds: list[RoundClosed], patience: int, min_delta: float) -> tuple[str, str] | None:
    values = [(r.round, r.value) for r in rounds if r.value is not None]
    if len(values) <= patience:
        return None
    metric = rounds[-1].metric
    sign = 1.0 if _metrics.higher_is_better(metric) else -1.0
    before = max(sign * v for _, v in values[:-patience])
    recent = max(sign * v for _, v in values[-patience:])
    if recent - before < min_delta:
        return (
            "plateau",
            (
                f"{metric} plateaued: best {sign * recent:.4f} in the last {patience} rounds vs "
                f"{sign * before:.4f} before (needs +{min_delta:g})"
            ),
        )
    return None


def _labels_at_round_close(pool: Pool, events: list[tuple[int, Event]]) -> dict[ItemId, Label]:
    """Return the training labels as they were when the last round closed."""
    from jupyter_al._events import fold

    last = max(i for i, (_, e) in enumerate(events) if isinstance(e, RoundClosed))
    state = fold(events[: last + 1])
    return training_set(pool, state, training_labels(pool, state))


def _rebuild(
    folder: Path,
    events: list[tuple[int, Event]],
    data: pd.DataFrame | str | Path,
    *,
    model: Any,
    strategy: str | Strategy | None,
    encoder: Any = None,
    splitter: Any = None,
) -> tuple[pd.DataFrame, Pool, RunState]:
    """Rebuild frame, pool and state of a logged run on ``data`` (resume and replay)."""
    from jupyter_al._events import fold

    if not events or not isinstance(events[0][1], Configured):
        raise ReplayMismatchError(f"{folder} holds no configured session (first event missing)")
    configured = events[0][1]
    cfg = Config.from_dict(configured.config)
    frame = load_frame(data, argument="data")
    if _tasks.is_split(cfg):
        spec = _tasks.unit_spec(cfg, splitter)
        frame = _tasks.unit_frame(frame, cfg, spec, argument="data")
    digest = pool_digest(frame, cfg)
    if digest != configured.pool_digest:
        raise ReplayMismatchError(
            f"data is not the pool this run was started on: its digest (ids and content of "
            f"{', '.join(digest_columns(cfg))}) is {digest[:12]}..., the run's is "
            f"{configured.pool_digest[:12]}...; pass the same data, unchanged"
        )
    if cfg.model != "default" and model is None:
        raise ConfigError(
            f"this run used your own model ({cfg.model}); pass model= with the same estimator"
        )
    if cfg.strategy.startswith("custom:") and strategy is None:
        raise ConfigError(
            f"this run used your own strategy function ({cfg.strategy[7:]}); pass strategy="
        )
    holdout_frame = None
    if isinstance(cfg.holdout, str):
        holdout_frame = load_saved_holdout(folder)
        if configured.holdout_digest is not None:
            hd = pool_digest(holdout_frame, cfg)
            if hd != configured.holdout_digest:
                raise ReplayMismatchError(
                    f"the held-out copy in {folder / HOLDOUT_FILE} does not match the run's "
                    "digest: it was changed after the run started"
                )
    prep = prepare(
        frame,
        cfg,
        seed=configured.seed,
        holdout_ids=configured.holdout_ids,
        holdout_frame=holdout_frame,
        model=model,
        strategy=strategy if strategy is not None else cfg.strategy,
    )
    attach_vectors(prep.pool, encoder, cache_dir=folder / "cache", pool_digest=digest)
    _attach_units(prep.pool, frame, holdout_frame)
    return frame, prep.pool, fold(events)


@dataclass(frozen=True, slots=True)
class _Extras:
    """What a session is given besides its configuration: not logged as configuration."""

    judge: Judge | None = None
    judge_eval: int | None = None
    tracker: Any = None


def _check_count(n: object, name: str) -> None:
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ConfigError(f"{name} must be a positive integer or None, got {n!r}")


def _as_label(value: Any) -> Any:
    """Return a label comparable across sources (a list/tuple of labels as a sorted tuple)."""
    if isinstance(value, list | tuple):
        return tuple(sorted(str(v) for v in value))
    return value


def _metrics_uncertainty(proba: Any, task: str) -> Any:
    from jupyter_al.strategies import margin_scores, mean_max_loss_scores

    return mean_max_loss_scores(proba) if task == "multilabel" else margin_scores(proba)


def _flat_params(configured: Configured) -> dict[str, str | int | float | bool | None]:
    """Return the configuration as flat parameters for trackers (``budget.max_labels``...)."""
    out: dict[str, str | int | float | bool | None] = {"seed": configured.seed}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif value is None or isinstance(value, str | int | float | bool):
            out[prefix] = value
        else:
            out[prefix] = json.dumps(value, ensure_ascii=False, default=str)

    walk("", configured.config)
    return out
