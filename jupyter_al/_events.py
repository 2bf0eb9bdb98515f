"""Event records of the append-only log, and ``fold(events) -> RunState``.

The log in the run folder is the only source of truth: the model, the scores, the per-round
files and the plots are caches derived from it. Every change a session makes is one event.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias

from jupyter_al._config import Config
from jupyter_al.exceptions import StoreCorruptedError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from jupyter_al._types import ItemId

#: A label as stored: one class name, a tuple of names (multilabel), a tuple of
#: ``(start, end, type)`` spans (extraction), a grade (ranking, int) or a number (regression).
Label: TypeAlias = str | tuple[Any, ...] | int | float
Split: TypeAlias = Literal["pool", "holdout"]


def now_iso() -> str:
    """Return the current UTC time as an ISO 8601 string with microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def label_to_json(label: Label) -> Any:
    """Return a label in its JSON form (tuples become lists, spans ``[start, end, type]``)."""
    if isinstance(label, tuple):
        return [list(x) if isinstance(x, tuple) else x for x in label]
    return label


def label_from_json(value: Any) -> Label:
    """Return a label from its JSON form (lists become tuples; numbers stay numbers).

    Examples
    --------
    >>> label_from_json([[0, 4, "time"]]), label_from_json(2), label_from_json("spam")
    (((0, 4, 'time'),), 2, 'spam')
    """
    if isinstance(value, list):
        return tuple(tuple(x) if isinstance(x, list) else x for x in value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return str(value)


@dataclass(frozen=True, slots=True)
class Configured:
    """The session was configured: the first event of every run."""

    type: ClassVar[str] = "configured"
    config: dict[str, Any]
    seed: int
    session_id: str
    pool_digest: str
    n_pool: int
    holdout_digest: str | None
    holdout_ids: list[ItemId] | None
    excluded: dict[str, list[ItemId]]
    n_initial_labels: int
    version: str
    ts: str = field(default_factory=now_iso)


@dataclass(frozen=True, slots=True)
class BatchSelected:
    """A batch was selected for round ``round``."""

    type: ClassVar[str] = "batch_selected"
    round: int
    strategy: str
    cold_start: bool
    item_ids: list[ItemId]
    predictions: list[Any]
    confidences: list[float | None]
    scores: list[float]
    reasons: list[str]
    model_version: str | None
    n_candidates: int
    timings: dict[str, float]
    ts: str = field(default_factory=now_iso)
    #: regression: the central interval ``[low, high]`` of each prediction
    intervals: list[list[float]] | None = None


@dataclass(frozen=True, slots=True)
class Labeled:
    """A person (or the simulation's oracle) gave a label."""

    type: ClassVar[str] = "labeled"
    round: int
    item_id: ItemId
    label: Any
    annotator: str
    source: str
    split: Split = "pool"
    ts: str = field(default_factory=now_iso)


@dataclass(frozen=True, slots=True)
class Skipped:
    """An item was skipped (``reason`` is ``"skip"`` or ``"unsure"``)."""

    type: ClassVar[str] = "skipped"
    round: int
    item_id: ItemId
    annotator: str
    reason: str = "skip"
    ts: str = field(default_factory=now_iso)


@dataclass(frozen=True, slots=True)
class Undone:
    """The labeled/skipped event with sequence number ``target_seq`` was taken back."""

    type: ClassVar[str] = "undone"
    round: int
    target_seq: int
    item_id: ItemId
    ts: str = field(default_factory=now_iso)


@dataclass(frozen=True, slots=True)
class RoundClosed:
    """Round ``round`` was submitted: the model was retrained and evaluated."""

    type: ClassVar[str] = "round_closed"
    round: int
    n_labeled: int
    n_unlabeled: int
    batch_size: int
    n_batch_labeled: int
    n_batch_skipped: int
    strategy: str
    metric: str
    value: float | None
    metrics: dict[str, float]
    n_holdout_gold: int
    model_version: str | None
    class_counts: dict[str, int]
    timings: dict[str, float]
    warnings: list[str]
    ts: str = field(default_factory=now_iso)
    #: failure-mode guards read at the close (``jupyter_al._guards.Guard.to_dict()``)
    guards: list[dict[str, Any]] = field(default_factory=list)
    #: judge-assisted metrics: the model scored against an LLM judge's labels of held-out
    #: items (never human gold; empty without a judge)
    judge_metrics: dict[str, float] = field(default_factory=dict)
    #: judge bookkeeping at the close: n_judge_eval, judge_vs_gold, n_pseudo, judge_cost
    judge: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Stopped:
    """A stopping rule fired (``rule``), described in words (``reason``)."""

    type: ClassVar[str] = "stopped"
    rule: str
    reason: str
    round: int
    ts: str = field(default_factory=now_iso)


@dataclass(frozen=True, slots=True)
class Resumed:
    """The session was resumed (after a kernel restart, say)."""

    type: ClassVar[str] = "resumed"
    round: int
    damage: str | None = None
    ts: str = field(default_factory=now_iso)


# ---------------------------------------------------------------- team review (Argilla, #4)
@dataclass(frozen=True, slots=True)
class LabelDecided:
    """Several people labeled one item: the majority's label wins (None for a tie).

    Each person's label stays in the log as its own ``Labeled`` event (``source``); this
    event only says which label counts. ``status`` is ``"unanimous"``, ``"majority"`` (a
    disagreement, flagged for adjudication) or ``"tie"`` (no label, flagged).
    """

    type: ClassVar[str] = "label_decided"
    round: int
    item_id: ItemId
    label: Any
    status: str
    votes: list[list[Any]]
    source: str = "argilla"
    ts: str = field(default_factory=now_iso)


@dataclass(frozen=True, slots=True)
class ArgillaSent:
    """Records were created or updated in an Argilla dataset (no credential is logged)."""

    type: ClassVar[str] = "argilla_sent"
    dataset: str
    workspace: str
    dataset_id: str
    url: str
    round: int
    item_ids: list[ItemId]
    model_version: str | None
    created: bool
    ts: str = field(default_factory=now_iso)


@dataclass(frozen=True, slots=True)
class ArgillaFailed:
    """Sending (``item_ids``) or pulling failed; the next call retries it."""

    type: ClassVar[str] = "argilla_failed"
    operation: str
    dataset: str
    workspace: str | None
    round: int
    item_ids: list[ItemId]
    error: str
    ts: str = field(default_factory=now_iso)


@dataclass(frozen=True, slots=True)
class ArgillaRefused:
    """An answer outside the session's schema, kept here for review instead of merged."""

    type: ClassVar[str] = "argilla_refused"
    dataset: str
    record_id: str
    annotator: str
    value: Any
    reason: str
    round: int
    ts: str = field(default_factory=now_iso)


@dataclass(frozen=True, slots=True)
class ArgillaPulled:
    """Answers were pulled from an Argilla dataset and merged (a summary)."""

    type: ClassVar[str] = "argilla_pulled"
    dataset: str
    workspace: str
    dataset_id: str
    round: int | None
    n_records: int
    merged: int
    skipped: int
    refused: int
    disagreements: list[ItemId]
    agreement: list[dict[str, Any]]
    ts: str = field(default_factory=now_iso)


# ---------------------------------------------------------------------- LLM judge (#7)
@dataclass(frozen=True, slots=True)
class JudgeAttached:
    """A judge was attached: its configuration (the key's variable name, never the key)."""

    type: ClassVar[str] = "judge_attached"
    config: dict[str, Any]
    endpoint: str
    round: int
    ts: str = field(default_factory=now_iso)


@dataclass(frozen=True, slots=True)
class Judged:
    """A judge answered about some items (the records themselves are in ``judge.jsonl``).

    ``answers`` holds ``[item_id, value]`` of the answers put to ``use``: what the loop needs
    to be replayed. They are folded into :class:`JudgeState`, never into the labels.
    """

    type: ClassVar[str] = "judged"
    round: int
    use: str
    output_type: str
    model: str
    rubric_version: str
    record_ids: list[str]
    answers: list[list[Any]]
    n_asked: int
    n_failed: int
    n_cache_hits: int
    n_rejected: int
    cost: float
    tokens: int
    seconds: float
    stopped: str | None
    ts: str = field(default_factory=now_iso)


@dataclass(frozen=True, slots=True)
class PseudoLabelsSwitched:
    """Training on the judge's pseudo-labels was switched on or off."""

    type: ClassVar[str] = "pseudo_labels_switched"
    enabled: bool
    round: int
    ts: str = field(default_factory=now_iso)


Event: TypeAlias = (
    Configured
    | BatchSelected
    | Labeled
    | Skipped
    | Undone
    | RoundClosed
    | Stopped
    | Resumed
    | LabelDecided
    | ArgillaSent
    | ArgillaFailed
    | ArgillaRefused
    | ArgillaPulled
    | JudgeAttached
    | Judged
    | PseudoLabelsSwitched
)
EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        Configured,
        BatchSelected,
        Labeled,
        Skipped,
        Undone,
        RoundClosed,
        Stopped,
        Resumed,
        LabelDecided,
        ArgillaSent,
        ArgillaFailed,
        ArgillaRefused,
        ArgillaPulled,
        JudgeAttached,
        Judged,
        PseudoLabelsSwitched,
    )
}


def event_to_dict(event: Event) -> dict[str, Any]:
    """Return the JSON-safe dict of an event, with its ``type``.

    Shallow on purpose (events are frozen and never mutated): ``dataclasses.asdict`` deep-copies
    and costs more than the fsync'd append on the label path.
    """
    return {"type": event.type, **{f.name: getattr(event, f.name) for f in fields(event)}}


def event_from_dict(data: Mapping[str, Any]) -> tuple[int, Event]:
    """Return ``(seq, event)`` from a logged dict.

    Raises
    ------
    StoreCorruptedError
        For an unknown event type or missing fields.
    """
    kind = data.get("type")
    cls = EVENT_TYPES.get(str(kind))
    if cls is None:
        raise StoreCorruptedError(
            f"event {data.get('seq')} has unknown type {kind!r}; known: {sorted(EVENT_TYPES)}"
        )
    names = {f.name for f in fields(cls)}
    try:
        event = cls(**{k: v for k, v in data.items() if k in names})
    except TypeError as exc:
        raise StoreCorruptedError(f"event {data.get('seq')} ({kind}) is malformed: {exc}") from exc
    return int(data.get("seq", -1)), event


@dataclass(slots=True)
class LabelRecord:
    """One effective label with its provenance."""

    label: Label
    round: int
    annotator: str
    source: str
    ts: str
    seq: int
    split: Split


@dataclass(slots=True)
class ArgillaState:
    """What the log says about team review in Argilla (folded by :class:`RunState`)."""

    # (workspace, dataset) -> the server's dataset id records were last sent to
    datasets: dict[tuple[str, str], str] = field(default_factory=dict)
    # the last dataset sent to or pulled from: (dataset, workspace, url)
    last: tuple[str, str, str] | None = None
    # dataset -> item ids whose sending failed, in order; retried by the next send
    pending_send: dict[str, list[ItemId]] = field(default_factory=dict)
    # datasets whose last pull failed; the next pull retries
    pending_pull: set[str] = field(default_factory=set)
    # item -> the round it was last sent in
    sent: dict[ItemId, int] = field(default_factory=dict)
    # item -> annotator -> (status "submitted" | "discarded", label or None, ts)
    votes: dict[ItemId, dict[str, tuple[str, Label | None, str]]] = field(default_factory=dict)
    # ties and disagreements waiting for a person to adjudicate
    flagged: dict[ItemId, LabelDecided] = field(default_factory=dict)
    refused: list[ArgillaRefused] = field(default_factory=list)
    pulls: list[ArgillaPulled] = field(default_factory=list)
    failures: list[ArgillaFailed] = field(default_factory=list)

    def apply(self, event: ArgillaSent | ArgillaFailed | ArgillaRefused | ArgillaPulled) -> None:
        """Fold one Argilla event."""
        if isinstance(event, ArgillaSent):
            self.datasets[event.workspace, event.dataset] = event.dataset_id
            self.last = (event.dataset, event.workspace, event.url)
            done = set(event.item_ids)
            left = [i for i in self.pending_send.get(event.dataset, []) if i not in done]
            self.pending_send[event.dataset] = left
            for item_id in event.item_ids:
                self.sent[item_id] = event.round
        elif isinstance(event, ArgillaFailed):
            self.failures.append(event)
            if event.operation == "send":
                queue = self.pending_send.setdefault(event.dataset, [])
                queue.extend(i for i in event.item_ids if i not in set(queue))
            else:
                self.pending_pull.add(event.dataset)
        elif isinstance(event, ArgillaRefused):
            self.refused.append(event)
        else:
            self.pulls.append(event)
            self.pending_pull.discard(event.dataset)
            self.last = (event.dataset, event.workspace, self.last[2] if self.last else "")


@dataclass(slots=True)
class JudgeState:
    """What the log says about the LLM judge (folded by :class:`RunState`).

    Kept apart from the labels: nothing here is human gold.
    """

    attached: JudgeAttached | None = None
    # use -> item -> the judge's latest value put to that use
    answers: dict[str, dict[ItemId, Any]] = field(default_factory=dict)
    calls: list[Judged] = field(default_factory=list)
    cost: float = 0.0
    tokens: int = 0
    pseudo_enabled: bool = True

    def apply(self, event: JudgeAttached | Judged | PseudoLabelsSwitched) -> None:
        """Fold one judge event."""
        if isinstance(event, JudgeAttached):
            self.attached = event
        elif isinstance(event, Judged):
            self.calls.append(event)
            self.cost += event.cost
            self.tokens += event.tokens
            kept = self.answers.setdefault(event.use, {})
            for item_id, value in event.answers:
                kept[item_id] = label_from_json(value) if isinstance(value, list | str) else value
        else:
            self.pseudo_enabled = event.enabled

    def pseudo_labels(self) -> dict[ItemId, Label]:
        """Return the judge's pseudo-labels (whether training uses them or not)."""
        return dict(self.answers.get("pseudo-labeling", {}))


@dataclass(slots=True)
class RunState:
    """What the log says, folded. Mutable only through :meth:`apply`."""

    configured: Configured | None = None
    config: Config | None = None
    round: int = 0
    batch: BatchSelected | None = None
    batch_open: bool = False
    # every label event per item, oldest first (an undo removes its entry); the last one counts
    history: dict[ItemId, list[LabelRecord]] = field(default_factory=dict)
    skipped: dict[ItemId, tuple[int, str, str]] = field(default_factory=dict)
    # seqs of label/skip events of the open round that can still be undone, oldest first
    undo_stack: list[tuple[int, ItemId, str]] = field(default_factory=list)
    rounds: list[RoundClosed] = field(default_factory=list)
    batches: dict[int, BatchSelected] = field(default_factory=dict)
    stopped: Stopped | None = None
    per_annotator: dict[str, int] = field(default_factory=dict)
    n_events: int = 0
    resumes: list[Resumed] = field(default_factory=list)
    undone_seqs: set[int] = field(default_factory=set)
    # (round, seq, event) of label and skip events that were not undone, for the per-round files
    round_log: dict[int, list[tuple[int, Labeled | Skipped]]] = field(default_factory=dict)
    argilla: ArgillaState = field(default_factory=ArgillaState)
    judge: JudgeState = field(default_factory=JudgeState)

    def labels(self, split: Split = "pool") -> dict[ItemId, LabelRecord]:
        """Return the effective label of each item of ``split`` (last label event wins)."""
        return {k: v[-1] for k, v in self.history.items() if v and v[-1].split == split}

    @property
    def n_human_labels(self) -> int:
        """Labels given by people (or the oracle) on pool items, after undos."""
        return sum(1 for v in self.history.values() if v and v[-1].split == "pool")

    def apply(self, seq: int, event: Event) -> None:
        """Fold one event into the state."""
        self.n_events += 1
        if isinstance(event, Configured):
            self.configured = event
            self.config = Config.from_dict(event.config)
        elif isinstance(event, BatchSelected):
            self.round = event.round
            self.batch = event
            self.batch_open = True
            self.batches[event.round] = event
            self.undo_stack = []
        elif isinstance(event, Labeled):
            rec = LabelRecord(
                label=label_from_json(event.label),
                round=event.round,
                annotator=event.annotator,
                source=event.source,
                ts=event.ts,
                seq=seq,
                split=event.split,
            )
            self.history.setdefault(event.item_id, []).append(rec)
            self.skipped.pop(event.item_id, None)
            self.undo_stack.append((seq, event.item_id, "labeled"))
            self.per_annotator[event.annotator] = self.per_annotator.get(event.annotator, 0) + 1
            self.round_log.setdefault(event.round, []).append((seq, event))
            if event.source == "argilla":
                votes = self.argilla.votes.setdefault(event.item_id, {})
                votes[event.annotator] = ("submitted", rec.label, event.ts)
            else:  # a person's own label adjudicates a flagged item
                self.argilla.flagged.pop(event.item_id, None)
        elif isinstance(event, Skipped):
            if event.reason == "discarded":  # an Argilla annotator discarded the record
                votes = self.argilla.votes.setdefault(event.item_id, {})
                votes[event.annotator] = ("discarded", None, event.ts)
                if self.history.get(event.item_id):
                    # another annotator's label counts: the discard is kept as a vote only
                    self.undo_stack.append((seq, event.item_id, "skipped"))
                    self.round_log.setdefault(event.round, []).append((seq, event))
                    return
            self.skipped[event.item_id] = (event.round, event.annotator, event.reason)
            self.undo_stack.append((seq, event.item_id, "skipped"))
            self.round_log.setdefault(event.round, []).append((seq, event))
        elif isinstance(event, Undone):
            self._undo(event)
        elif isinstance(event, RoundClosed):
            self.rounds.append(event)
            self.batch_open = False
            self.undo_stack = []
        elif isinstance(event, Stopped):
            self.stopped = event
            self.batch_open = False
        elif isinstance(event, LabelDecided):
            self._decide(seq, event)
        elif isinstance(event, ArgillaSent | ArgillaFailed | ArgillaRefused | ArgillaPulled):
            self.argilla.apply(event)
        elif isinstance(event, JudgeAttached | Judged | PseudoLabelsSwitched):
            self.judge.apply(event)
        else:
            self.resumes.append(event)

    def _decide(self, seq: int, event: LabelDecided) -> None:
        """Make the majority's label the item's label (a tie leaves the item unlabeled)."""
        own = (event.source, f"{event.source}:")
        kept = [
            r
            for r in self.history.get(event.item_id, [])
            if r.source != own[0] and not r.source.startswith(own[1])
        ]
        if event.label is not None:
            label = label_from_json(event.label)
            voters = [str(a) for a, v in event.votes if label_from_json(v) == label]
            kept.append(
                LabelRecord(
                    label=label,
                    round=event.round,
                    annotator="+".join(voters),
                    source=f"{event.source}:{event.status}",
                    ts=event.ts,
                    seq=seq,
                    split="pool",
                )
            )
        self.history[event.item_id] = kept
        if event.status == "unanimous":
            self.argilla.flagged.pop(event.item_id, None)
        else:
            self.argilla.flagged[event.item_id] = event

    def _undo(self, event: Undone) -> None:
        self.undone_seqs.add(event.target_seq)
        self.undo_stack = [e for e in self.undo_stack if e[0] != event.target_seq]
        entries = self.round_log.get(event.round, [])
        target = next((e for s, e in entries if s == event.target_seq), None)
        self.round_log[event.round] = [(s, e) for s, e in entries if s != event.target_seq]
        hist = self.history.get(event.item_id, [])
        if isinstance(target, Labeled):
            self.history[event.item_id] = [r for r in hist if r.seq != event.target_seq]
            self.per_annotator[target.annotator] -= 1
        elif isinstance(target, Skipped):
            self.skipped.pop(event.item_id, None)
            # an earlier skip of the same item in this round stays undone too: one undo, one step


def fold(events: Iterable[tuple[int, Event]]) -> RunState:
    """Fold ``(seq, event)`` pairs into a :class:`RunState`.

    Examples
    --------
    >>> from jupyter_al._events import fold, Labeled
    >>> state = fold([(0, Labeled(round=1, item_id=3, label="spam", annotator="a", source="api"))])
    >>> state.labels()[3].label
    'spam'
    """
    state = RunState()
    for seq, event in events:
        state.apply(seq, event)
    return state
