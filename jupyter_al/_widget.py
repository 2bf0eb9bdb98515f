"""The labeling widget: a thin anywidget view of a :class:`~jupyter_al.Session`.

State goes to the page as traits, events come back as messages; the protocol is written down
in ``docs/widget-protocol.md``. The widget holds view state only: every change goes through
the session (and so into its durable log) before the page is updated. Only the open batch
crosses to the page, never the pool.
"""

from __future__ import annotations

import math
import string
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import numpy as np
import traitlets

from jupyter_al.exceptions import JupyterALError

if TYPE_CHECKING:
    from jupyter_al._events import Event
    from jupyter_al._session import Session
    from jupyter_al._types import Task

__all__ = ["LabelingWidget", "hotkeys"]

_STATIC = Path(__file__).parent / "static"
_MISSING_ESM = """
export default { render({ el }) {
  el.textContent = "jupyter_al: the widget's front end is not built. Reinstall the " +
    "package (pip install jupyter_al) or, in a checkout, run: " +
    "npm --prefix js ci && npm --prefix js run build";
} };
"""
_SQL_LATER = "the query runs when you start labeling (never while you type)"
#: Keys the page uses for actions; never given to a label.
_RESERVED_KEYS = set("suz?")


def hotkeys(classes: tuple[str, ...], taken: set[str] | None = None) -> list[str]:
    """Give each label a key: a one-character label keeps its own, the rest get 1-9, a-z.

    Reserved keys (s skip, u undo, z, ?) are never given; "" when none is left.

    Examples
    --------
    >>> hotkeys(("ham", "spam"))
    ['1', '2']
    >>> hotkeys(("0", "1", "2"))
    ['0', '1', '2']
    >>> hotkeys(tuple(f"c{i}" for i in range(11)))[-2:]
    ['a', 'b']
    """
    blocked = _RESERVED_KEYS | (taken or set())
    own = {c.lower(): c for c in classes if len(c) == 1 and c.lower() not in blocked}
    keys = {c: k for k, c in own.items()}
    free = [
        k
        for k in [str(i) for i in range(1, 10)] + list(string.ascii_lowercase)
        if k not in blocked and k not in own
    ]
    out = []
    for c in classes:
        if c in keys:
            out.append(keys[c])
        else:
            out.append(free.pop(0) if free else "")
    return out


def _json_scalar(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class LabelingWidget(anywidget.AnyWidget):
    """The labeling view of one session (create it with ``session.widget``)."""

    _esm = _STATIC / "widget.js" if (_STATIC / "widget.js").exists() else _MISSING_ESM
    _css = _STATIC / "widget.css" if (_STATIC / "widget.css").exists() else ""

    task = traitlets.Unicode("classification").tag(sync=True)
    classes = traitlets.List(traitlets.Dict()).tag(sync=True)
    items = traitlets.List(traitlets.Dict()).tag(sync=True)
    position = traitlets.Int(0).tag(sync=True)
    status = traitlets.Unicode("ready").tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    progress = traitlets.Dict().tag(sync=True)
    curve = traitlets.Dict().tag(sync=True)
    #: the failure-mode guards read when the last round closed (js/src/guards.ts)
    guards = traitlets.List(traitlets.Dict()).tag(sync=True)
    class_counts = traitlets.Dict().tag(sync=True)
    hide_prediction = traitlets.Bool(default_value=False).tag(sync=True)
    auto_submit = traitlets.Bool(default_value=True).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    ack_t = traitlets.Float(0.0).tag(sync=True)
    mode = traitlets.Unicode("label").tag(sync=True)
    interview = traitlets.Dict().tag(sync=True)
    argilla = traitlets.Dict().tag(sync=True)
    #: extraction: how two spans of one text may overlap ("forbid", "nested", "allow")
    span_overlap = traitlets.Unicode("forbid").tag(sync=True)

    def __init__(self, session: Session, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._session = session
        self._batch_round = -1
        self._static: list[dict[str, Any]] = []
        self._source_key: str | None = None
        self._source_frame: Any = None
        self.on_msg(self._on_custom_msg)
        if session.is_configured:
            self.configured()
        else:
            self.mode = "interview"
            self._push_interview(session.answers)

    def configured(self) -> None:
        """Switch to the labeling view (the session was just configured)."""
        s = self._session
        names = s.classes
        descriptions = s.label_descriptions
        chosen = {
            x.get("name"): str(x.get("key") or "").lower() for x in s.answers_used.get("labels", [])
        }
        default_keys = hotkeys(names, taken={k for k in chosen.values() if k})
        if not s.stopped and not s.has_open_batch:
            s.next_batch()
        with self.hold_sync():
            self.task = s.config.task
            self.span_overlap = s.config.span_overlap
            self.classes = [
                {"name": n, "key": chosen.get(n) or k, "description": descriptions.get(n, "")}
                for n, k in zip(names, default_keys, strict=True)
            ]
            if s.config.task == "ranking":  # grades, lowest first: their number is the gain
                self.classes = [{**c, "value": i} for i, c in enumerate(self.classes)]
            self.mode = "label"
            self.refresh()
            self._push_argilla()

    # ------------------------------------------------------------------ Python -> page
    def refresh(self) -> None:
        """Push the session's current state to the page (one sync)."""
        with self.hold_sync():
            self._push_batch()
            self._push_curve()

    def on_event(self, event: Event) -> None:
        """Update the page after the session logged ``event`` (called by the session)."""
        from jupyter_al._events import Judged, Labeled, Skipped, Undone

        try:
            if isinstance(event, Judged):
                self._batch_round = -1  # the judge's notes on the open batch may have changed
            with self.hold_sync():
                self._push_batch()
                if not isinstance(event, Labeled | Skipped | Undone):
                    self._push_curve()
        except Exception as exc:  # noqa: BLE001  # why: the event is logged; show, never undo it
            self.error = f"the widget could not show the latest state: {exc}"

    def _push_batch(self) -> None:
        s = self._session
        if s.stopped:
            self.status = "stopped"
            self.message = f"stopped: {s.stop_reason}"
            self.items = []
            self.position = 0
        elif s.has_open_batch:
            if s.round != self._batch_round:
                # the shown values and the selection's numbers are fixed for a batch: build
                # them once, then only statuses change while the batch is labeled
                self._static = [self._item(rec) for rec in s.batch_records()]
                self._batch_round = s.round
            items = []
            for static, (status, label) in zip(self._static, s.batch_status(), strict=True):
                item = dict(static)
                item["status"] = status
                item["label"] = page_label(s.config, label)
                items.append(item)
            self.items = items
            pending = [i for i, it in enumerate(items) if it["status"] == "pending"]
            self.position = pending[0] if pending else max(len(items) - 1, 0)
            if self.status in ("stopped", "training"):
                self.status = "ready"
        self.progress = self._progress()

    def _push_curve(self) -> None:
        s = self._session
        rounds = s.rounds
        done = rounds.dropna(subset=["value"])
        self.curve = {
            "metric": s.metric,
            "x": [int(v) for v in done["n_labeled"]],
            "y": [float(v) for v in done["value"]],
            "rounds": [int(v) for v in done["round"]],
            "stop": s.stop_reason,
            "closed": int((rounds["round"] > 0).sum()) if len(rounds) else 0,
            "judge": _judge_series(rounds, s.metric),
        }
        self.class_counts = s.class_counts()
        self.guards = s.last_guards()
        if len(rounds):
            last = rounds.iloc[-1]
            value = last["value"]
            shown = "not evaluated" if value != value else f"{value:.3f}"  # noqa: PLR0124  # why: NaN check
            if not s.stopped:
                self.message = f"round {int(last['round'])} closed: {last['metric']} {shown}"

    def _item(self, rec: dict[str, Any]) -> dict[str, Any]:
        s = self._session
        cfg = s.config
        values = rec["values"]
        item: dict[str, Any] = {"id": str(rec["id"])}
        if cfg.text is not None:
            item["kind"] = "text"
            item["text"] = str(values[cfg.text])
        else:
            cols = list(cfg.features or ())
            numbers = [_json_scalar(values[c]) for c in cols]
            shape = s.image_shape
            if shape is not None:
                arr = np.asarray([np.nan if v is None else v for v in numbers], dtype=np.float64)
                lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
                scaled = (arr - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(arr)
                item["kind"] = "image"
                item["image"] = {
                    "width": shape[1],
                    "height": shape[0],
                    "pixels": [round(float(v)) for v in np.nan_to_num(scaled)],
                }
            else:
                item["kind"] = "table"
                item["fields"] = [[c, _format_value(v)] for c, v in zip(cols, numbers, strict=True)]
        if cfg.query is not None:
            item["query"] = str(values[cfg.query])
        where = s.unit_context(rec["id"])
        if where is not None:
            item["context"] = where
        if rec.get("interval") is not None:
            item["interval"] = list(rec["interval"])
        for key in (
            "confidence",
            "uncertainty",
            "strategy",
            "reason",
            "rank",
            "round",
        ):
            item[key] = rec[key]
        item["prediction"] = page_label(cfg, rec["prediction"], prediction=True)
        # the LLM judge's answer about this item (a suggestion for the reviewer, never a label)
        note = s.judge_note(rec["id"])
        if note is not None:
            item["judge"] = _json_note(note)
        return item

    def _progress(self) -> dict[str, Any]:
        s = self._session
        done = sum(1 for it in self.items if it["status"] != "pending")
        total = s.config.budget.max_labels
        return {
            "round": s.round,
            "n_labeled": s.n_human_labels,
            "batch_done": done,
            "batch_size": len(self.items),
            "budget": s.budget_left(),
            "labels_total": total,
            "labels_left": None if total is None else max(total - s.n_human_labels, 0),
        }

    def _push_interview(self, answers: dict[str, Any]) -> None:
        """Show the interview: the answers, what is wrong with them, the data and the code."""
        from jupyter_al import metrics as _metrics
        from jupyter_al._interview import (
            PREDICTION_UNITS,
            TASK_CHOICES,
            label_status,
            summarize,
            to_code,
            validate,
        )
        from jupyter_al.strategies import known_strategies

        frame, source_error = self._interview_frame(answers)
        errors = validate(answers, frame)
        notes: dict[str, str] = {}
        if source_error == _SQL_LATER:
            notes["source"] = source_error
        elif source_error:
            errors = {"source": source_error, **errors}
        statuses: dict[str, Any] = {}
        if frame is not None:
            for key in ("label_column",):
                col = answers.get(key)
                if col and col in frame.columns:
                    statuses[key] = {
                        "column": col,
                        **label_status(frame, col, task=str(answers.get("task", "classification"))),
                    }
            hold = answers.get("holdout") or {}
            hold_col = hold.get("label_column")
            # a fraction is split from this data; a separate held-out set is read at the start
            if hold.get("kind") == "fraction" and hold_col and hold_col in frame.columns:
                statuses["holdout"] = {
                    "column": hold_col,
                    **label_status(
                        frame, hold_col, task=str(answers.get("task", "classification"))
                    ),
                }
        task: Task = "multilabel" if answers.get("task") == "multilabel" else "classification"
        self.interview = {
            "answers": answers,
            "errors": errors,
            "code": to_code(answers),
            "summary": summarize(frame) if frame is not None else None,
            "source_fixed": self._session.pending_frame is not None,
            "notes": notes,
            "label_status": statuses,
            "choices": {
                "tasks": TASK_CHOICES,
                "units": PREDICTION_UNITS,
                "metrics": [
                    "default",
                    *(
                        _metrics.MULTILABEL_METRICS
                        if task == "multilabel"
                        else _metrics.CLASSIFICATION_METRICS
                    ),
                ],
                "strategies": ["default", *known_strategies(task)],
            },
        }

    def _interview_frame(self, answers: dict[str, Any]) -> tuple[Any, str | None]:
        """Return the data the answers point at (cached per source) and a loading error."""
        import json

        from jupyter_al._interview import load_source

        pending = self._session.pending_frame
        if pending is not None:
            return pending, None
        source = answers.get("source") or {}
        if source.get("kind") == "sql" and not source.get("run"):
            # never run half-typed queries against a real database: the query runs when the
            # form asks for it (source.run) or at submit
            return None, _SQL_LATER
        if source.get("kind") == "file" and not Path(str(source.get("path") or "")).is_file():
            return None, f"source.path: no file at {source.get('path')!r}"
        key = json.dumps(
            {k: v for k, v in source.items() if k != "run"}, sort_keys=True, default=str
        )
        if key != self._source_key:
            self._source_key = key
            try:
                self._source_frame = load_source(source, _user_namespace())
                self._source_error: str | None = None
            except JupyterALError as exc:
                self._source_frame, self._source_error = None, str(exc)
        return self._source_frame, self._source_error

    # ------------------------------------------------------------------ page -> Python
    def _on_custom_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Handle one message from the page; errors are shown, never raised into the comm."""
        if not isinstance(content, dict):
            return
        with self.hold_sync():
            self._handle(content)

    def _handle(self, content: dict[str, Any]) -> None:
        try:
            self._dispatch(content)
            if self.error:
                self.error = ""
            if self.status == "error":
                self.status = "stopped" if self._session.stopped else "ready"
        except JupyterALError as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001  # why: the widget boundary shows every error
            self.error = f"{type(exc).__name__}: {exc}"
            self.status = "error"
        finally:
            t = content.get("t")
            if isinstance(t, int | float):
                self.ack_t = float(t)

    def _dispatch(self, msg: dict[str, Any]) -> None:
        s = self._session
        kind = msg.get("kind")
        if kind == "label":
            item_id = s.batch_item_id(str(msg.get("item_id")))
            label = msg.get("label")
            s.label(item_id, label, source=f"widget:{msg.get('source', 'click')}")
            self._maybe_submit()
        elif kind == "skip":
            s.skip(s.batch_item_id(str(msg.get("item_id"))), unsure=bool(msg.get("unsure", False)))
            self._maybe_submit()
        elif kind == "undo":
            s.undo()
        elif kind == "submit":
            self._submit()
        elif kind == "interview_change":
            self._push_interview(dict(msg.get("answers") or {}))
        elif kind == "interview_submit":
            answers = dict(msg.get("answers") or {})
            answers["source"] = {**dict(answers.get("source") or {}), "run": True}
            self._push_interview(answers)
            if self.interview["errors"]:
                raise JupyterALError("the interview has answers to fix (see the marked fields)")
            self._session.configure_from_answers(answers, _user_namespace())
        elif kind in ("argilla_send", "argilla_pull", "argilla_progress"):
            self._on_argilla(kind)
        elif kind == "settings":
            if "hide_prediction" in msg:
                self.hide_prediction = bool(msg["hide_prediction"])
            if "auto_submit" in msg:
                self.auto_submit = bool(msg["auto_submit"])
        else:
            raise JupyterALError(f"unknown widget message kind {kind!r}")

    # ------------------------------------------------------------------ Argilla panel (#4)
    def _push_argilla(self, **extra: Any) -> None:
        """Show the Argilla panel's state (never a credential: see Session.argilla_status)."""
        import os

        s = self._session
        status = s.argilla_status
        enabled = bool(status) or bool(os.environ.get("ARGILLA_API_URL"))
        self.argilla = {
            "enabled": enabled,
            "busy": False,
            "message": "",
            "progress": self.argilla.get("progress"),
            **status,
            "dataset": status.get("dataset") or f"jal-{s.session_id}",
            **extra,
        }

    def _on_argilla(self, kind: str) -> None:
        """Send the batch, pull the answers, or read the progress; show what happened."""
        from jupyter_al.exceptions import ArgillaError

        s = self._session
        dataset = self.argilla.get("dataset") or f"jal-{s.session_id}"
        self.argilla = {**self.argilla, "busy": True, "message": f"{kind[8:]}..."}
        try:
            if kind == "argilla_send":
                message = str(s.to_argilla(dataset, **_auth(s)))
            elif kind == "argilla_pull":
                message = str(s.from_argilla(dataset, **_auth(s)))
                self._push_batch()
                self._push_curve()
            else:
                message = ""
            progress = s.argilla_progress(**_auth(s))
        except ArgillaError as exc:
            self._push_argilla(message=str(exc))
            raise
        self._push_argilla(message=message, progress=progress)

    def _maybe_submit(self) -> None:
        if self.auto_submit and self.items and all(it["status"] != "pending" for it in self.items):
            self._submit()

    def _submit(self) -> None:
        self.status = "training"  # sent now, before the retrain blocks
        self._session.submit()
        self.status = "stopped" if self._session.stopped else "ready"
        self.refresh()


def page_label(config: Any, value: Any, *, prediction: bool = False) -> Any:
    """Return a label (or a prediction) in the page's form (docs/widget-protocol.md).

    Spans become ``{start, end, type}`` dicts (code point offsets), a grade its name, a
    multilabel tuple a list; a class name or a number stays as it is.
    """
    if value is None:
        return None
    task = config.task
    if task == "extraction":
        return [{"start": int(a), "end": int(b), "type": str(t)} for a, b, t in value]
    if task == "ranking" and not prediction:
        return config.labels[int(value)]
    if isinstance(value, tuple):
        return list(value)
    return value


def _auth(session: Session) -> dict[str, Any]:
    """Return the credentials the session was last given (in memory), else none (env)."""
    auth = getattr(session, "_argilla_auth", None)
    return {"api_url": auth[0], "api_key": auth[1]} if auth else {}


def _user_namespace() -> dict[str, Any]:
    """Return the notebook's variables (for a DataFrame named in the interview)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return {}
    shell = get_ipython()
    return dict(shell.user_ns) if shell is not None else {}


def _judge_series(rounds: Any, metric: str) -> dict[str, list[Any]]:
    """Return the judge-assisted points of ``metric`` (``judge:<metric>``), numbers only.

    These are the model scored against an LLM judge's labels of held-out items, never human
    gold; the page draws them as their own series.
    """
    out: dict[str, list[Any]] = {"x": [], "y": [], "rounds": []}
    column = f"judge:{metric}"
    if column not in rounds.columns:
        return out
    for n, value, r in zip(rounds["n_labeled"], rounds[column], rounds["round"], strict=True):
        y = _json_scalar(value)
        if isinstance(y, bool) or not isinstance(y, int | float):
            continue
        out["x"].append(int(n))
        out["y"].append(float(y))
        out["rounds"].append(int(r))
    return out


def _json_note(note: dict[str, Any]) -> dict[str, Any]:
    """Return the judge's note on an item as plain JSON (a label: str or list of str)."""
    label = note.get("label")
    if isinstance(label, set | frozenset):
        label = sorted(str(x) for x in label)
    elif isinstance(label, list | tuple | np.ndarray):
        label = [str(x) for x in label]
    elif label is not None:
        label = str(_json_scalar(label))
    confidence = _json_scalar(note.get("confidence"))
    rationale = note.get("rationale")
    return {
        "label": label,
        "rationale": None if rationale is None else str(rationale),
        "confidence": float(confidence)
        if isinstance(confidence, int | float) and not isinstance(confidence, bool)
        else None,
        "use": str(note.get("use") or ""),
        "model": str(note.get("model") or ""),
    }


def _format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
