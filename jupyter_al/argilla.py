"""The Argilla bridge: send batches to an Argilla 2.8 server for team review, pull answers back.

``Session.to_argilla`` and ``Session.from_argilla`` are thin: they gather what the session
knows, call the pure functions here, talk to the server through :class:`ArgillaGateway`, and
log what came of it. The pure parts, testable without a server:

- :func:`dataset_spec` and :func:`build_settings`: the dataset's settings from the session's
  configuration (fields, the question matching the task, guidelines, metadata, distribution);
- :func:`record_payloads` and :func:`argilla_suggestion`: records with stable ids (the item
  ids), metadata and the model's suggestion in the question's form;
- :func:`votes_from_records`, :func:`check_value`, :func:`check_answer`: responses as votes,
  refused when outside the schema;
- :func:`decide` (majority, ties and disagreements flagged) and :func:`agreement` (Cohen's
  kappa for two annotators, Krippendorff's alpha for more).

One question, named ``"label"``, per task:

============== ====================== =============================================
task           Argilla question       an answer comes back as
============== ====================== =============================================
classification ``LabelQuestion``      a label
multilabel     ``MultiLabelQuestion`` a sorted tuple of labels
extraction     ``SpanQuestion``       sorted ``(start, end, type)`` spans (``()``: none)
ranking        ``RatingQuestion``     a grade, ``0..n-1`` (``config.labels`` names them)
============== ====================== =============================================

Regression has no question: Argilla 2.8 asks for labels, spans, texts, ranks or ratings
(ints from 0 to 10), none of which is a free number.

The ``argilla`` package (the optional extra ``jupyter_al[argilla]``) is imported only inside
the gateway, so ``import jupyter_al`` never needs it. Credentials come from the arguments or
``ARGILLA_API_URL`` / ``ARGILLA_API_KEY`` and stay in memory: they are never logged, written
to the run folder, or put into an error message.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

from jupyter_al.exceptions import (
    ArgillaDatasetMissingError,
    ArgillaError,
    ArgillaSchemaError,
    ArgillaUnavailableError,
    ConfigError,
    LabelError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from jupyter_al._config import Config
    from jupyter_al._events import Label
    from jupyter_al._types import AnyTask

__all__ = [
    "METADATA",
    "QUESTION",
    "Agreement",
    "ArgillaDatasetMissingError",
    "ArgillaError",
    "ArgillaGateway",
    "ArgillaSchemaError",
    "ArgillaUnavailableError",
    "DatasetSpec",
    "Decision",
    "PullSummary",
    "RecordPayload",
    "SendSummary",
    "Vote",
    "agreement",
    "argilla_suggestion",
    "build_settings",
    "check_answer",
    "check_value",
    "dataset_spec",
    "decide",
    "public_url",
    "record_payloads",
    "resolve_credentials",
    "votes_from_records",
]

#: The name of the question annotators answer.
QUESTION = "label"
#: The tasks a dataset can be made for, and the server's name of each one's question type.
QUESTION_TYPES: dict[str, str] = {
    "classification": "label_selection",
    "multilabel": "multi_label_selection",
    "extraction": "span",
    "ranking": "rating",
}
#: The most grades a rating question holds (its values are the ints 0 to 10).
MAX_GRADES = 11
#: Metadata properties of every record: (name, kind).
METADATA: tuple[tuple[str, str], ...] = (
    ("round", "integer"),
    ("strategy", "terms"),
    ("selection_reason", "terms"),
    ("uncertainty", "float"),
    ("model_prediction", "terms"),
    ("session_id", "terms"),
)
#: Name of the vector field, when vectors are sent.
VECTOR = "embedding"
#: Attempts after the first one for calls that may succeed later (connection, timeout, 5xx).
RETRIES = 3
#: First pause between attempts, in seconds; doubled after each attempt.
BACKOFF_S = 0.5
#: Seconds before one HTTP request to the server is given up.
TIMEOUT_S = 30.0

_T = TypeVar("_T")


# ---------------------------------------------------------------------------- credentials
def resolve_credentials(api_url: str | None, api_key: str | None) -> tuple[str, str]:
    """Return ``(api_url, api_key)`` from the arguments, else the environment.

    Raises
    ------
    ConfigError
        Naming what is missing (never echoing a key).

    Examples
    --------
    >>> resolve_credentials("http://127.0.0.1:6900/", "k")[0]
    'http://127.0.0.1:6900'
    """
    url = api_url or os.environ.get("ARGILLA_API_URL")
    key = api_key or os.environ.get("ARGILLA_API_KEY")
    missing = [
        name
        for name, value in (("api_url", url), ("api_key", key))
        if not value  # why: an empty variable is as good as none
    ]
    if missing:
        env = " / ".join(f"ARGILLA_{m.upper()}" for m in missing)
        raise ConfigError(
            f"{' and '.join(missing)} needed to reach Argilla: pass {', '.join(missing)}= or "
            f"set {env}; got neither"
        )
    assert url is not None
    assert key is not None
    return url.rstrip("/"), key


def public_url(url: str) -> str:
    """Return ``url`` without a user name or password (what may be logged and shown).

    Examples
    --------
    >>> public_url("http://user:secret@host:6900/")
    'http://host:6900'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", "")).rstrip("/")


# ---------------------------------------------------------------------------- settings
@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """What the Argilla dataset of a session looks like (its settings, without the SDK)."""

    name: str
    workspace: str | None
    task: AnyTask
    #: class names, span types (extraction) or grade names, lowest first (ranking)
    labels: tuple[str, ...]
    descriptions: tuple[tuple[str, str], ...]
    #: (Argilla field name, column shown) pairs; a table of numbers is one markdown field;
    #: ranking: the query's field, then the document's
    fields: tuple[tuple[str, str], ...]
    markdown: bool
    min_submitted: int
    vector_dims: int | None = None
    #: extraction: the field the spans point into, and the session's overlap rule
    span_field: str | None = None
    span_overlap: str | None = None
    #: ranking: the rating values, ``0..n-1`` (grade ``i`` is named ``labels[i]``)
    grades: tuple[int, ...] = ()

    @property
    def question_type(self) -> str:
        """The server's name of the question type (``label_selection``, ``span``, ...)."""
        return QUESTION_TYPES[self.task]

    @property
    def allow_overlapping(self) -> bool:
        """Whether the span question lets spans share characters (nested and allow do)."""
        return self.span_overlap not in (None, "forbid")


def field_name(column: str) -> str:
    """Return an Argilla-safe field name for ``column`` (lower case, ``[a-z0-9_-]``).

    Examples
    --------
    >>> field_name("SMS Text")
    'sms_text'
    """
    name = re.sub(r"[^a-z0-9_-]+", "_", column.lower()).strip("_")
    return name or "text"


def dataset_spec(
    config: Config,
    *,
    dataset: str,
    workspace: str | None,
    min_submitted: int,
    vector_dims: int | None = None,
) -> DatasetSpec:
    """Return the dataset's settings for a session configured by ``config``.

    Raises
    ------
    ConfigError
        For an empty dataset name, ``min_submitted`` below 1, a regression session (Argilla
        has no question for a free number), or a ranking scale of more than
        :data:`MAX_GRADES` grades (a rating question's values are the ints 0 to 10).

    Examples
    --------
    >>> from jupyter_al import Config
    >>> spec = dataset_spec(Config(text="review", labels=("pos", "neg")), dataset="d",
    ...                     workspace=None, min_submitted=2)
    >>> spec.fields, spec.question_type, spec.min_submitted
    ((('review', 'review'),), 'label_selection', 2)
    >>> cfg = Config(text="doc", query="q", task="ranking", labels=("bad", "good"))
    >>> spec = dataset_spec(cfg, dataset="d", workspace=None, min_submitted=1)
    >>> spec.fields, spec.question_type, spec.grades
    ((('q', 'q'), ('doc', 'doc')), 'rating', (0, 1))
    """
    if not isinstance(dataset, str) or not dataset.strip():
        raise ConfigError(f"dataset must be a non-empty dataset name, got {dataset!r}")
    if isinstance(min_submitted, bool) or not isinstance(min_submitted, int) or min_submitted < 1:
        raise ConfigError(f"min_submitted must be an int >= 1, got {min_submitted!r}")
    task = config.task
    if task not in QUESTION_TYPES:
        raise ConfigError(
            f"team review in Argilla is for the tasks {list(QUESTION_TYPES)}, got "
            f"task={task!r}: Argilla 2.8 has no question for a free number (a rating is an "
            "int from 0 to 10), so the answers could not come back as labels"
        )
    if task == "ranking" and len(config.labels) > MAX_GRADES:
        raise ConfigError(
            f"task='ranking' in Argilla needs at most {MAX_GRADES} grades (a rating "
            f"question's values are the ints 0 to 10), got {len(config.labels)} grades "
            f"in labels={list(config.labels)}"
        )
    span_field = None
    if task == "ranking":
        assert config.query is not None  # why: Config checks ranking has query= and text=
        assert config.text is not None
        query = field_name(config.query)
        doc = field_name(config.text)
        if doc == query:  # why: two columns may map to one safe name ("Query" and "query")
            doc = f"{doc}_document"
        fields: tuple[tuple[str, str], ...] = ((query, config.query), (doc, config.text))
        markdown = False
    elif config.text is not None:
        fields = ((field_name(config.text), config.text),)
        markdown = False
        if task == "extraction":
            span_field = fields[0][0]
    else:
        fields = (("features", "features"),)
        markdown = True
    return DatasetSpec(
        name=dataset,
        workspace=workspace,
        task=task,
        labels=tuple(config.labels),
        descriptions=tuple(config.label_descriptions),
        fields=fields,
        markdown=markdown,
        min_submitted=min_submitted,
        vector_dims=vector_dims,
        span_field=span_field,
        span_overlap=config.span_overlap if task == "extraction" else None,
        grades=tuple(range(len(config.labels))) if task == "ranking" else (),
    )


def guidelines(spec: DatasetSpec) -> str:
    """Return the dataset's guidelines (markdown): the task and what each label means.

    Examples
    --------
    >>> from jupyter_al import Config
    >>> cfg = Config(text="t", labels=("pos", "neg"), label_descriptions=(("pos", "happy"),))
    >>> "- **pos**: happy" in guidelines(dataset_spec(cfg, dataset="d", workspace=None,
    ...                                                min_submitted=1))
    True
    """
    desc = dict(spec.descriptions)
    how = {
        "classification": "Choose one label for each record.",
        "multilabel": "Choose every label that applies (or none) for each record.",
        "extraction": "Mark every span of the text that is one of the types below: select "
        "the text, then its type. Submit with no span when there is none.",
        "ranking": f"Rate how relevant the document is to the query, from "
        f"{spec.grades[0] if spec.grades else 0} to {spec.grades[-1] if spec.grades else 0}.",
    }[spec.task]
    lines = [
        "# How to label",
        "",
        f"{how} The suggestion is the model's guess, not the answer.",
        "Discard a record you cannot judge; it is skipped, not labeled.",
    ]
    if spec.task == "extraction":
        lines += ["", _OVERLAP_RULES.get(spec.span_overlap or "forbid", "")]
    if spec.task == "ranking":
        lines += ["", "## Grades", ""]
        lines += [
            f"- **{g}**: {name}" + (f" ({desc[name]})" if desc.get(name) else "")
            for g, name in zip(spec.grades, spec.labels, strict=True)
        ]
        return "\n".join(lines) + "\n"
    lines += ["", "## Span types" if spec.task == "extraction" else "## Labels", ""]
    lines += [
        f"- **{name}**: {desc[name]}" if desc.get(name) else f"- **{name}**" for name in spec.labels
    ]
    return "\n".join(lines) + "\n"


_OVERLAP_RULES = {
    "forbid": "Spans must not share a character.",
    "nested": "A span may lie inside another one, but two spans must not cross (an answer "
    "with crossing spans is refused when pulled).",
    "allow": "Spans may overlap.",
}


def build_settings(spec: DatasetSpec, client: Any) -> Any:
    """Return the ``argilla.Settings`` of ``spec`` (imports ``argilla``).

    ``client`` is the connected ``argilla.Argilla`` the settings will be created with (the
    SDK ties every settings object to a client).
    """
    rg = _import_argilla()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # why: as in _import_argilla
        fields = [
            rg.TextField(
                name=name, title=column, use_markdown=spec.markdown, required=True, client=client
            )
            for name, column in spec.fields
        ]
        labels = {name: name for name in spec.labels}
        description = "; ".join(f"{k}: {v}" for k, v in spec.descriptions if v) or None
        question: Any
        if spec.task == "classification":
            question = rg.LabelQuestion(
                name=QUESTION, labels=labels, description=description, client=client
            )
        elif spec.task == "extraction":
            question = rg.SpanQuestion(
                name=QUESTION,
                field=spec.span_field,
                labels=labels,
                allow_overlapping=spec.allow_overlapping,
                description=description,
                client=client,
            )
        elif spec.task == "ranking":
            # why: the web app shows a rating's numbers only; the description names them
            question = rg.RatingQuestion(
                name=QUESTION,
                values=list(spec.grades),
                description="; ".join(
                    f"{g} = {name}" for g, name in zip(spec.grades, spec.labels, strict=True)
                ),
                client=client,
            )
        else:
            question = rg.MultiLabelQuestion(
                name=QUESTION,
                labels=labels,
                description=description,
                labels_order="natural",
                client=client,
            )
        metadata = [_metadata_property(rg, name, kind, client) for name, kind in METADATA]
        vectors = (
            [rg.VectorField(name=VECTOR, dimensions=spec.vector_dims, client=client)]
            if spec.vector_dims
            else []
        )
        return rg.Settings(
            fields=fields,
            questions=[question],
            metadata=metadata,
            vectors=vectors,
            guidelines=guidelines(spec),
            allow_extra_metadata=False,
            distribution=rg.TaskDistribution(min_submitted=spec.min_submitted),
        )


def _metadata_property(rg: Any, name: str, kind: str, client: Any) -> Any:
    if kind == "integer":
        return rg.IntegerMetadataProperty(
            name=name, min=0, visible_for_annotators=True, client=client
        )
    if kind == "float":
        return rg.FloatMetadataProperty(name=name, visible_for_annotators=True, client=client)
    return rg.TermsMetadataProperty(
        name=name, options=None, visible_for_annotators=True, client=client
    )


def schema_problems(spec: DatasetSpec, server: Mapping[str, Any], *, sending: bool) -> list[str]:
    """Return what keeps the server's dataset settings from fitting ``spec`` (empty: fits).

    ``server`` holds ``fields`` (names), ``question`` (``{"type", "labels"}`` or None; a span
    question also has ``field`` and ``allow_overlapping``; a rating question's labels are its
    values) and ``vectors`` (name to dimensions). Extra labels (or rating values) on the server
    are allowed: answers with them are refused when pulled. Reading needs the question (and the
    field a span question marks); sending needs all of it, the overlap rule included.

    Examples
    --------
    >>> from jupyter_al import Config
    >>> spec = dataset_spec(Config(text="t", labels=("a", "b")), dataset="d", workspace=None,
    ...                     min_submitted=1)
    >>> schema_problems(spec, {"fields": ["t"], "question": {"type": "label_selection",
    ...                 "labels": ["a"]}, "vectors": {}}, sending=True)
    ["question 'label' lacks the labels ['b'] (the server has ['a'])"]
    """
    out: list[str] = []
    question = server.get("question")
    if question is None:
        out.append(f"the dataset has no question named {QUESTION!r}")
    elif question["type"] != spec.question_type:
        out.append(
            f"question {QUESTION!r} is a {question['type']} question, expected {spec.question_type}"
        )
    else:
        if spec.task == "extraction" and question.get("field") != spec.span_field:
            out.append(
                f"span question {QUESTION!r} marks the field {question.get('field')!r}, "
                f"expected {spec.span_field!r}"
            )
        if sending:
            expected: Sequence[str | int] = spec.grades if spec.task == "ranking" else spec.labels
            lacking = [x for x in expected if x not in question["labels"]]
            if lacking:
                what = "values" if spec.task == "ranking" else "labels"
                out.append(
                    f"question {QUESTION!r} lacks the {what} {lacking} (the server has "
                    f"{list(question['labels'])})"
                )
            allows = question.get("allow_overlapping")
            if (
                spec.task == "extraction"
                and allows is not None
                and allows != spec.allow_overlapping
            ):
                out.append(
                    f"span question {QUESTION!r} has allow_overlapping={allows}, expected "
                    f"{spec.allow_overlapping} for span_overlap={spec.span_overlap!r}"
                )
    if sending:
        lacking_fields = [name for name, _ in spec.fields if name not in server.get("fields", [])]
        if lacking_fields:
            out.append(
                f"the dataset lacks the fields {lacking_fields} (it has "
                f"{list(server.get('fields', []))})"
            )
        dims = server.get("vectors", {}).get(VECTOR)
        if spec.vector_dims and dims is not None and dims != spec.vector_dims:
            out.append(
                f"vector field {VECTOR!r} has {dims} dimensions, the vectors {spec.vector_dims}"
            )
    return out


# ---------------------------------------------------------------------------- records
@dataclass(frozen=True, slots=True)
class RecordPayload:
    """One record to send: its stable id (the item id as text) and what goes with it.

    ``suggestion`` is the model's prediction as a session label (a label, a tuple of labels,
    a tuple of ``(start, end, type)`` spans, a grade); :func:`argilla_suggestion` gives the
    question's form of it.
    """

    id: str
    fields: dict[str, str]
    metadata: dict[str, Any]
    suggestion: Label | None
    score: float | None
    agent: str | None
    vector: list[float] | None = None


def _text_of(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def record_payloads(
    rows: Sequence[Mapping[str, Any]],
    spec: DatasetSpec,
    *,
    session_id: str,
    model_version: str | None,
    vectors: Mapping[str, Sequence[float]] | None = None,
) -> list[RecordPayload]:
    """Return the records of ``rows``: fields, metadata, the model's suggestion, a vector.

    Parameters
    ----------
    rows : sequence of mappings
        One per item: ``id``, ``values`` (column to value), ``prediction`` (a label, a list of
        labels, a list of ``[start, end, type]`` spans, a grade's name, or None),
        ``confidence``, ``uncertainty``, ``strategy``, ``reason`` and ``round``.
    spec : DatasetSpec
    session_id : str
    model_version : str or None
        The model that made the predictions; the suggestions' agent names it.
    vectors : mapping of record id to a sequence of floats, optional

    Examples
    --------
    >>> from jupyter_al import Config
    >>> spec = dataset_spec(Config(text="t", labels=("a", "b")), dataset="d", workspace=None,
    ...                     min_submitted=1)
    >>> row = {"id": 7, "values": {"t": "hi"}, "prediction": "a", "confidence": 0.8,
    ...        "uncertainty": 0.2, "strategy": "margin", "reason": "small margin", "round": 1}
    >>> p = record_payloads([row], spec, session_id="s1", model_version="r0-logreg")[0]
    >>> p.id, p.fields, p.suggestion, p.agent, p.metadata["model_prediction"]
    ('7', {'t': 'hi'}, 'a', 'jupyter_al:r0-logreg', 'a')
    """
    out = []
    for row in rows:
        values = row["values"]
        if spec.markdown:
            body = "\n".join(
                ["| column | value |", "|---|---|"]
                + [f"| {k} | {_text_of(v)} |" for k, v in values.items()]
            )
            fields = {spec.fields[0][0]: body}
        else:
            fields = {name: _text_of(values[column]) for name, column in spec.fields}
        suggestion, shown_prediction = _suggested(row.get("prediction"), spec)
        metadata: dict[str, Any] = {
            "round": int(row["round"]),
            "strategy": str(row.get("strategy") or "manual"),
            "selection_reason": str(row.get("reason") or "chosen by the user")[:200],
            "model_prediction": shown_prediction or "none",
            "session_id": session_id,
        }
        uncertainty = row.get("uncertainty")
        if uncertainty is not None and math.isfinite(float(uncertainty)):
            metadata["uncertainty"] = float(uncertainty)
        confidence = row.get("confidence")
        rid = str(row["id"])
        out.append(
            RecordPayload(
                id=rid,
                fields=fields,
                metadata=metadata,
                suggestion=suggestion,
                score=float(confidence)
                if suggestion is not None and confidence is not None
                else None,
                agent=f"jupyter_al:{model_version}"
                if suggestion is not None and model_version
                else None,
                vector=[float(x) for x in vectors[rid]] if vectors and rid in vectors else None,
            )
        )
    return out


def _suggested(prediction: Any, spec: DatasetSpec) -> tuple[Label | None, str | None]:
    """Return the prediction as a session label to suggest, and as a metadata term."""
    if prediction is None:
        return None, None
    if spec.task == "extraction":
        spans = tuple(sorted((int(s), int(e), str(t)) for s, e, t in prediction))
        # why: an empty tagging is suggested too, so it replaces an older model's spans
        return spans, "|".join(sorted({t for _, _, t in spans}))
    if spec.task == "ranking":
        grade = spec.labels.index(prediction) if prediction in spec.labels else prediction
        ok = isinstance(grade, int) and not isinstance(grade, bool) and grade in spec.grades
        return (grade, spec.labels[grade]) if ok else (None, None)
    if isinstance(prediction, str):
        return prediction, prediction
    if isinstance(prediction, list | tuple) and prediction:
        return tuple(prediction), "|".join(prediction)
    return None, None


def argilla_suggestion(label: Label, score: float | None) -> tuple[Any, float | list[float] | None]:
    """Return a suggested label and its score in the form the question takes.

    Multilabel: a list of labels, one score each. Extraction: a list of Argilla spans
    ``{"start", "end", "label"}`` (character offsets into the field, end exclusive, as the
    session's spans), one score each; an empty tagging has no score (the server refuses an
    empty list of scores). Otherwise the label and its score as they are.

    Examples
    --------
    >>> argilla_suggestion(((0, 4, "time"),), 0.8)
    ([{'start': 0, 'end': 4, 'label': 'time'}], [0.8])
    >>> argilla_suggestion((), 0.8), argilla_suggestion(2, 0.6)
    (([], None), (2, 0.6))
    """
    if not isinstance(label, tuple):
        return label, score
    value: list[Any] = [
        {"start": int(x[0]), "end": int(x[1]), "label": str(x[2])} if isinstance(x, tuple) else x
        for x in label
    ]
    if not value or score is None:
        return value, None
    return value, [score] * len(value)


# ---------------------------------------------------------------------------- votes
@dataclass(frozen=True, slots=True)
class Vote:
    """One annotator's answer to one record, as read from the server."""

    record_id: str
    annotator: str
    status: Literal["submitted", "discarded"]
    value: Any
    ts: str
    round: int | None


def votes_from_records(
    records: Iterable[Mapping[str, Any]], usernames: Mapping[str, str]
) -> list[Vote]:
    """Return the submitted and discarded answers of ``records`` (raw API JSON); drafts wait.

    Examples
    --------
    >>> rec = {"external_id": "3", "metadata": {"round": 2}, "responses": [
    ...     {"user_id": "u1", "status": "submitted", "values": {"label": {"value": "a"}},
    ...      "updated_at": "2024-01-01T00:00:00"},
    ...     {"user_id": "u2", "status": "draft", "values": None, "updated_at": "x"}]}
    >>> [(v.annotator, v.value, v.round) for v in votes_from_records([rec], {"u1": "ann1"})]
    [('ann1', 'a', 2)]
    """
    out = []
    for rec in records:
        rid = str(rec.get("external_id") or rec.get("id"))
        meta = rec.get("metadata") or {}
        round_ = meta.get("round")
        for resp in rec.get("responses") or []:
            status = resp.get("status")
            if status not in ("submitted", "discarded"):
                continue
            values = resp.get("values") or {}
            answer = values.get(QUESTION)
            value = answer.get("value") if isinstance(answer, dict) else None
            user = str(resp.get("user_id"))
            out.append(
                Vote(
                    record_id=rid,
                    annotator=usernames.get(user, user),
                    status=status,
                    value=value,
                    ts=str(resp.get("updated_at") or resp.get("inserted_at") or ""),
                    round=int(round_) if isinstance(round_, int | float) else None,
                )
            )
    return out


def check_value(
    value: Any, classes: Sequence[str], task: AnyTask
) -> tuple[Label | None, str | None]:
    """Return ``(label, None)`` for a class value inside the schema, else ``(None, why)``.

    For classification and multilabel; :func:`check_answer` covers every task.

    Examples
    --------
    >>> check_value("maybe", ("pos", "neg"), "classification")[1]
    "'maybe' is not a label of the session (labels: ['pos', 'neg'])"
    >>> check_value(["b", "a"], ("a", "b"), "multilabel")
    (('a', 'b'), None)
    """
    if task == "classification":
        if isinstance(value, str) and value in classes:
            return value, None
        return None, f"{value!r} is not a label of the session (labels: {list(classes)})"
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        unknown = [v for v in value if v not in classes]
        if not unknown:
            return tuple(sorted(set(value))), None
        return None, f"{unknown} are not labels of the session (labels: {list(classes)})"
    return None, f"{value!r} is not a list of labels (labels: {list(classes)})"


def _spans_from_argilla(value: Any) -> tuple[list[list[Any]] | None, str | None]:
    if not isinstance(value, list):
        return None, f"{value!r} is not a list of spans"
    out: list[list[Any]] = []
    for span in value:
        if not isinstance(span, dict) or not {"start", "end", "label"} <= set(span):
            return None, f"{span!r} is not an Argilla span {{start, end, label}}"
        out.append([span["start"], span["end"], span["label"]])
    return out, None


def check_answer(
    value: Any,
    config: Config,
    *,
    classes: Sequence[str] | None = None,
    text: str | None = None,
    item_id: object = None,
) -> tuple[Label | None, str | None]:
    """Return ``(label, None)`` for an answer the session accepts, else ``(None, why)``.

    Classification and multilabel: :func:`check_value` against ``classes`` (default: the
    config's labels). Extraction: Argilla spans ``{"start", "end", "label"}`` checked by
    :func:`jupyter_al._tasks.check_label` against the item's ``text`` and the schema (types,
    offsets, overlap rule); ``[]`` is the label "no span". Ranking: a grade of the scale.

    Examples
    --------
    >>> from jupyter_al import Config
    >>> cfg = Config(text="t", task="extraction", labels=("time",))
    >>> check_answer([{"start": 3, "end": 6, "label": "time"}], cfg, text="at 7pm", item_id=1)
    (((3, 6, 'time'),), None)
    >>> check_answer([{"start": 3, "end": 9, "label": "time"}], cfg, text="at 7pm",
    ...              item_id=1)[1]  # doctest: +ELLIPSIS
    "item 1: span [3, 9, 'time'] ends at 9, past the end of the text (length 6)..."
    """
    task = config.task
    if task in ("classification", "multilabel"):
        return check_value(value, tuple(config.labels) if classes is None else classes, task)
    if task == "extraction":
        spans, why = _spans_from_argilla(value)
        if why is not None:
            return None, why
        value = spans
        if text is None:
            return None, f"the text of item {item_id!r} is unknown: its spans cannot be checked"
    from jupyter_al._tasks import check_label

    try:
        return cast("Label", check_label(config, value, text=text, item_id=item_id)), None
    except (LabelError, ConfigError) as err:
        return None, str(err)


@dataclass(frozen=True, slots=True)
class Decision:
    """The label several votes decide, and whether it needs a person to adjudicate."""

    label: Label | None
    status: Literal["unanimous", "majority", "tie"]

    @property
    def flagged(self) -> bool:
        """True when the votes disagree (a majority with dissent, or a tie)."""
        return self.status != "unanimous"


def decide(votes: Sequence[Label], task: AnyTask) -> Decision:
    """Return the majority's label of ``votes`` (one per annotator); a tie decides nothing.

    Multilabel: a label is in when more than half the annotators chose it; a label chosen by
    exactly half is a tie. Extraction, the same per span: a span is in when more than half
    marked exactly it (same start, end and type); a span marked by exactly half is a tie.
    The result keeps the overlap rule: two spans that may not overlap each marked by more
    than half would need one annotator who marked both. Ranking: the grade most chose.

    Examples
    --------
    >>> decide(["a", "a", "b"], "classification")
    Decision(label='a', status='majority')
    >>> decide(["a", "b"], "classification")
    Decision(label=None, status='tie')
    >>> decide([("x",), ("x", "y"), ("x",)], "multilabel")
    Decision(label=('x',), status='majority')
    >>> decide([((0, 4, "time"),), ((0, 4, "time"), (9, 12, "date")), ()], "extraction")
    Decision(label=((0, 4, 'time'),), status='majority')
    >>> decide([2, 1, 2], "ranking")
    Decision(label=2, status='majority')
    """
    if not votes:
        raise ValueError("decide() needs at least one vote, got none")
    if task in ("classification", "ranking"):
        counts = Counter(str(v) if task == "classification" else v for v in votes).most_common()
        if len(counts) == 1:
            return Decision(counts[0][0], "unanimous")
        if counts[0][1] == counts[1][1]:
            return Decision(None, "tie")
        return Decision(counts[0][0], "majority")
    sets = [tuple(sorted(cast("tuple[Any, ...]", v))) for v in votes]
    if len(set(sets)) == 1:
        return Decision(sets[0], "unanimous")
    n = len(sets)
    per_label = Counter(x for s in sets for x in s)
    if any(2 * c == n for c in per_label.values()):
        return Decision(None, "tie")
    return Decision(tuple(sorted(x for x, c in per_label.items() if 2 * c > n)), "majority")


@dataclass(frozen=True, slots=True)
class Agreement:
    """Inter-annotator agreement over the items of one round that several people answered."""

    round: int
    measure: Literal["cohen_kappa", "krippendorff_alpha"] | None
    value: float | None
    n_items: int
    annotators: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-safe dict logged in ``argilla_pulled`` events."""
        return {
            "round": self.round,
            "measure": self.measure,
            "value": self.value,
            "n_items": self.n_items,
            "annotators": list(self.annotators),
        }


def _category(label: Label) -> str:
    """Return a label as one nominal category (spans: equal only when exactly equal)."""
    if isinstance(label, tuple):
        return "|".join(f"{x[0]}:{x[1]}:{x[2]}" if isinstance(x, tuple) else str(x) for x in label)
    return str(label)


def agreement(ratings: Mapping[Any, Mapping[str, Label]], round_: int) -> Agreement:
    """Return the agreement of ``ratings`` (item to annotator to label) for one round.

    Two annotators: Cohen's kappa over the items both answered. More: Krippendorff's alpha
    (nominal), which allows items answered by only some of them. Multilabel answers count as
    one category per set, extraction answers one per set of spans (two answers agree only
    when every span matches exactly), ranking grades one per grade (nominal: 1 against 2
    disagrees as much as 0 against 2). ``value`` is None when undefined (fewer than two
    raters on every item, or one category only).

    Examples
    --------
    >>> r = {1: {"a": "x", "b": "x"}, 2: {"a": "y", "b": "y"}, 3: {"a": "x", "b": "y"}}
    >>> agreement(r, 1).value, agreement(r, 1).measure
    (0.4, 'cohen_kappa')
    """
    multi = {k: v for k, v in ratings.items() if len(v) >= 2}
    annotators = tuple(sorted({a for v in multi.values() for a in v}))
    if not multi:
        return Agreement(round_, None, None, 0, annotators)
    if len(annotators) == 2:
        a, b = annotators
        pairs = [(_category(v[a]), _category(v[b])) for v in multi.values()]
        n = len(pairs)
        po = sum(1 for x, y in pairs if x == y) / n
        ca, cb = Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
        pe = sum(ca[c] * cb[c] for c in set(ca) | set(cb)) / (n * n)
        value = None if pe >= 1.0 else (po - pe) / (1.0 - pe)
        return Agreement(round_, "cohen_kappa", _round(value), n, annotators)
    units = [[_category(x) for x in v.values()] for v in multi.values()]
    return Agreement(round_, "krippendorff_alpha", _round(_alpha(units)), len(units), annotators)


def _alpha(units: list[list[str]]) -> float | None:
    """Return Krippendorff's alpha (nominal) of units with two or more values each."""
    coincidences: dict[tuple[str, str], float] = {}
    for values in units:
        m = len(values)
        for i, x in enumerate(values):
            for j, y in enumerate(values):
                if i != j:
                    coincidences[x, y] = coincidences.get((x, y), 0.0) + 1.0 / (m - 1)
    totals: dict[str, float] = {}
    for (x, _), w in coincidences.items():
        totals[x] = totals.get(x, 0.0) + w
    n = sum(totals.values())
    disagreeing = sum(w for (x, y), w in coincidences.items() if x != y)
    chance = n * n - sum(t * t for t in totals.values())
    if chance <= 0:
        return None
    return 1.0 - (n - 1) * disagreeing / chance


def _round(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.12g}")


# ---------------------------------------------------------------------------- summaries
@dataclass(frozen=True, slots=True)
class SendSummary:
    """What ``Session.to_argilla`` did."""

    dataset: str
    workspace: str
    dataset_id: str
    url: str
    n_sent: int
    created: bool
    retried: tuple[Any, ...] = ()

    def __str__(self) -> str:
        """Say it in one line."""
        made = "created and " if self.created else ""
        again = f" ({len(self.retried)} left over from a failed send)" if self.retried else ""
        where = f"{self.workspace}/{self.dataset}"
        return f"{made}sent {self.n_sent} records{again} to {where}: {self.url}"


@dataclass(frozen=True, slots=True)
class PullSummary:
    """What ``Session.from_argilla`` merged, skipped, refused and flagged."""

    dataset: str
    n_records: int
    merged: int
    skipped: int
    refused: tuple[dict[str, Any], ...]
    disagreements: tuple[Any, ...]
    agreement: dict[int, Agreement] = field(default_factory=dict)

    def __str__(self) -> str:
        """Say it in a few words."""
        parts = [
            f"{self.merged} labels merged",
            f"{self.skipped} skipped",
            f"{len(self.refused)} refused",
            f"{len(self.disagreements)} flagged for adjudication",
        ]
        for r, a in sorted(self.agreement.items()):
            if a.value is not None:
                parts.append(f"round {r} {a.measure} {a.value:.3f}")
        return f"{self.dataset}: " + ", ".join(parts)


# ---------------------------------------------------------------------------- the gateway
def _import_argilla() -> Any:
    try:
        with warnings.catch_warnings():
            # why: argilla 2.8 uses pydantic v1-style configs; importing it warns under pydantic
            # 2.x (a deprecation that is the SDK's, not ours to act on)
            warnings.simplefilter("ignore", DeprecationWarning)
            import argilla
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError(
            "the Argilla bridge needs the argilla package: pip install 'jupyter_al[argilla]'"
        ) from exc
    return argilla


def _retryable(exc: BaseException) -> bool:
    import httpx

    if isinstance(exc, httpx.TransportError):  # connect, read, timeouts, resets
        return True
    status = getattr(exc, "status_code", None)
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
    if isinstance(status, int) and status >= 500:
        return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and _retryable(cause)


def _status(exc: BaseException) -> int | None:
    import httpx

    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def _describe(exc: BaseException, key: str) -> str:
    text = f"{type(exc).__name__}: {exc}".replace(key, "***")
    return text if len(text) < 300 else text[:297] + "..."


class ArgillaGateway:
    """The calls jupyter_al makes to an Argilla server, with retries and clear errors.

    Owner (or admin) credentials are needed: annotators cannot create datasets or list
    records. Records are upserted with the SDK; they are read back over the REST API the SDK
    uses, because the SDK's record objects cannot hold a discarded answer without values.
    """

    def __init__(
        self,
        api_url: str,
        api_key: str,
        *,
        retries: int | None = None,
        backoff_s: float | None = None,
        timeout_s: float | None = None,
    ) -> None:
        self.url = api_url.rstrip("/")
        self._key = api_key
        # None: the module's RETRIES, BACKOFF_S and TIMEOUT_S, read now (tests lower them)
        self.retries = RETRIES if retries is None else retries
        self.backoff_s = BACKOFF_S if backoff_s is None else backoff_s
        self._timeout = TIMEOUT_S if timeout_s is None else timeout_s
        self._client: Any = None

    def __repr__(self) -> str:
        """Show the server, never the key."""
        return f"<ArgillaGateway {public_url(self.url)}>"

    def call(self, what: str, func: Callable[[], _T]) -> _T:
        """Run ``func``; retry with backoff when it may work later; raise a clear error.

        Raises
        ------
        ArgillaUnavailableError
            When the server did not answer after the retries.
        ArgillaError
            When it answered with a refusal (the message has the status and the detail).
        """
        delay = self.backoff_s
        for attempt in range(self.retries + 1):
            try:
                with warnings.catch_warnings():
                    # why: the SDK warns (UserWarning) where we check results ourselves
                    warnings.simplefilter("ignore")
                    return func()
            except ArgillaError:
                raise
            except Exception as exc:  # noqa: BLE001  # why: the SDK raises httpx, pydantic and its own errors; each becomes one ArgillaError naming the step
                if _retryable(exc):
                    self.close()  # why: a reset connection can fail the next call too
                    if attempt < self.retries:
                        time.sleep(delay)
                        delay *= 2
                        continue
                    raise ArgillaUnavailableError(
                        f"Argilla at {public_url(self.url)}: {what} failed after "
                        f"{attempt + 1} attempts ({_describe(exc, self._key)}); the server is "
                        "down, too slow or failing: nothing is lost, call again when it is back"
                    ) from None
                status = _status(exc)
                if status == 401:
                    raise ArgillaError(
                        f"Argilla at {public_url(self.url)}: {what} was refused: the API key "
                        "is not valid there (check api_key or ARGILLA_API_KEY)"
                    ) from None
                raise ArgillaError(
                    f"Argilla at {public_url(self.url)}: {what} failed: {_describe(exc, self._key)}"
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close the connections to the server."""
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.http_client.close()
            self._client = None

    @property
    def client(self) -> Any:
        """The SDK client (connected on first use)."""
        if self._client is None:
            rg = _import_argilla()

            def connect() -> Any:
                return rg.Argilla(
                    api_url=self.url, api_key=self._key, timeout=int(self._timeout), retries=0
                )

            self._client = self.call("connecting", connect)
        return self._client

    # -- datasets
    def workspace(self, name: str | None) -> str:
        """Return ``name``, or the first workspace of the user when None (created if none)."""
        rg = _import_argilla()

        def find() -> str:
            names = [w.name for w in self.client.workspaces]
            if name is None:
                if names:
                    return str(names[0])
                rg.Workspace(name="jupyter_al", client=self.client).create()
                return "jupyter_al"
            if name not in names:
                rg.Workspace(name=name, client=self.client).create()
            return name

        return self.call(f"finding workspace {name!r}", find)

    def find_dataset(self, name: str, workspace: str) -> Any:
        """Return the SDK dataset, or None when there is none with that name."""
        return self.call(
            f"looking up dataset {workspace}/{name}",
            lambda: self.client.datasets(name, workspace=workspace),
        )

    def create_dataset(self, spec: DatasetSpec, workspace: str) -> Any:
        """Create the dataset of ``spec`` and return it."""
        rg = _import_argilla()
        settings = build_settings(spec, self.client)

        def create() -> Any:
            existing = self.client.datasets(spec.name, workspace=workspace)
            if existing is not None:  # why: a retried create that did succeed
                return existing
            return rg.Dataset(
                name=spec.name, workspace=workspace, settings=settings, client=self.client
            ).create()

        return self.call(f"creating dataset {workspace}/{spec.name}", create)

    def server_schema(self, ds: Any) -> dict[str, Any]:
        """Return the dataset's fields, question and vectors as the server has them now."""

        def read() -> dict[str, Any]:
            http = self.client.http_client
            base = f"/api/v1/datasets/{ds.id}"
            fields = self._json(http.get(f"{base}/fields"))["items"]
            questions = self._json(http.get(f"{base}/questions"))["items"]
            vectors = self._json(http.get(f"{base}/vectors-settings"))["items"]
            metadata = self._json(http.get(f"/api/v1/me/datasets/{ds.id}/metadata-properties"))[
                "items"
            ]
            q = next((x for x in questions if x["name"] == QUESTION), None)
            return {
                "fields": [f["name"] for f in fields],
                "question": None
                if q is None
                else {
                    "type": q["settings"]["type"],
                    # rating options are {"value": int}; the others' values are labels
                    "labels": [o["value"] for o in q["settings"].get("options") or []],
                    "field": q["settings"].get("field"),
                    "allow_overlapping": q["settings"].get("allow_overlapping"),
                },
                "vectors": {v["name"]: v["dimensions"] for v in vectors},
                "metadata": [m["name"] for m in metadata],
            }

        return self.call(f"reading the settings of dataset {ds.name}", read)

    def add_metadata(self, ds: Any, names: Sequence[str]) -> None:
        """Add the metadata properties ``names`` (someone removed them on the server)."""
        rg = _import_argilla()
        kinds = dict(METADATA)

        def add() -> None:
            for name in names:
                ds.settings.add(_metadata_property(rg, name, kinds[name], self.client))
            ds.update()

        self.call(f"restoring the metadata properties {list(names)} of {ds.name}", add)

    def dataset_exists(self, dataset_id: str) -> bool:
        """Return whether a dataset with this id is on the server."""

        def probe() -> bool:
            r = self.client.http_client.get(f"/api/v1/datasets/{dataset_id}")
            if r.status_code == 404:
                return False
            self._json(r)
            return True

        return self.call(f"checking dataset {dataset_id}", probe)

    # -- records
    def upsert(self, ds: Any, payloads: Sequence[RecordPayload]) -> None:
        """Create or update the records (by id); existing answers are kept."""
        rg = _import_argilla()
        records = []
        for p in payloads:
            suggestions = []
            if p.suggestion is not None:
                value, score = argilla_suggestion(p.suggestion, p.score)
                suggestions.append(
                    rg.Suggestion(question_name=QUESTION, value=value, score=score, agent=p.agent)
                )
            records.append(
                rg.Record(
                    id=p.id,
                    fields=p.fields,
                    metadata=p.metadata,
                    suggestions=suggestions,
                    vectors={VECTOR: p.vector} if p.vector is not None else {},
                )
            )

        def log() -> None:
            # why: the SDK draws a progress bar on stderr; a notebook would keep it as output
            with contextlib.redirect_stderr(io.StringIO()):
                for lo in range(0, len(records), 200):
                    chunk = records[lo : lo + 200]
                    ds.records.log(chunk, batch_size=len(chunk))

        self.call(f"sending {len(records)} records to dataset {ds.name}", log)

    def records(self, ds: Any, *, page: int = 200) -> list[dict[str, Any]]:
        """Return every record of the dataset with its responses (raw API JSON)."""

        def fetch() -> list[dict[str, Any]]:
            http = self.client.http_client
            out: list[dict[str, Any]] = []
            offset = 0
            while True:
                r = http.get(
                    f"/api/v1/datasets/{ds.id}/records",
                    params={"offset": offset, "limit": page, "include": ["responses"]},
                )
                if r.status_code == 404:
                    raise ArgillaDatasetMissingError(
                        f"Argilla at {public_url(self.url)}: dataset {ds.name} ({ds.id}) was "
                        "deleted on the server while its answers were being read"
                    )
                items = self._json(r)["items"]
                out.extend(items)
                if len(items) < page:
                    return out
                offset += page

        return self.call(f"reading the answers in dataset {ds.name}", fetch)

    def usernames(self) -> dict[str, str]:
        """Return user id to user name, for every user on the server."""
        return self.call(
            "listing users", lambda: {str(u.id): str(u.username) for u in self.client.users}
        )

    def progress(self, ds: Any) -> dict[str, Any]:
        """Return the dataset's progress: total, completed, pending, and per annotator."""
        return self.call(
            f"reading the progress of {ds.name}",
            lambda: dict(ds.progress(with_users_distribution=True)),
        )

    def link(self, ds: Any) -> str:
        """Return the address of the dataset's annotation page in Argilla's web app."""
        return f"{public_url(self.url)}/dataset/{ds.id}/annotation-mode"

    @staticmethod
    def _json(response: Any) -> Any:
        response.raise_for_status()
        return response.json()
