"""Span extraction: character spans with a type, a sequence model, uncertainty and metrics.

The pieces, each a frozen record or a pure function except the two models::

    Span(start, end, type)             a labelled character range, end exclusive
    SpanSchema(types, overlap)         which types exist, how spans may overlap
    check_spans(text, spans, schema)   -> sorted tuple of Span, or an error naming item and span
    spans_to_json / spans_from_json    [[start, end, type], ...] both ways

    tokenize(text)                     -> tuple of Token (offsets into text)
    spans_to_bio(text, spans)          -> BioEncoding (tags, snapped and dropped spans)
    bio_to_spans(tokens, tags)         -> tuple of Span

    SequenceModel (Protocol)           the adapter: fit / predict / marginals / tokens / tags_
    CRFTagger                          linear-chain CRF (extra "extraction": sklearn-crfsuite)
    TokenLogRegTagger                  per-token logistic regression (no extra dependency)

    sequence_candidates(model, texts)  -> SequenceCandidates (what a strategy looks at)
    sequence_least_confidence, normalized_least_confidence,
    token_entropy_mean, token_entropy_max           scores, higher = more uncertain
    SEQUENCE_STRATEGIES / select_sequences(...)     -> jupyter_al.strategies.Selection

    span_prf(gold, pred)               -> SpanScores: exact-match P/R/F1 per type, micro, macro
    load_nlupp_slots / load_restaurant8k           -> SpanDataset (frame, schema, skipped rows)

Decisions
---------
* **Offsets** are Python string indices (code points), end exclusive: ``text[start:end]``.
* **Tokens** are runs of digits, runs of letters, or one other non-space character
  (:data:`TOKEN_PATTERN`). Digits and letters are split ("5ish" -> "5", "ish"; "7pm" -> "7",
  "pm") because real slot spans end inside such words; every non-space character belongs to
  exactly one token.
* **Spans that do not align with tokens are snapped, and reported**: a span becomes the
  smallest run of whole tokens that covers every token it touches (outward over a partly
  covered token, inward over leading or trailing white space). :func:`spans_to_bio` lists each
  such span in ``BioEncoding.snapped``; ``misaligned="error"`` raises instead. Rejecting would
  lose real labels (annotators select " quarter to 8" with its leading space), and silently
  snapping would hide that the model learns a slightly different span.
* **BIO is flat.** Where spans overlap (allowed by a schema with ``overlap="nested"`` or
  ``"allow"``), the longest span is encoded and the ones sharing a token with it are listed in
  ``BioEncoding.dropped``; models therefore predict flat spans, and nested gold spans cap recall.
* **Sequence probability** for least confidence is exact for both built-in models:
  :class:`CRFTagger` asks crfsuite for ``P(y* | x)`` of the Viterbi path (``Tagger.probability``,
  normalised by the forward algorithm), not the product of token marginals, which differs for a
  CRF; :class:`TokenLogRegTagger`'s tokens are independent, so the product of the per-token
  maxima is exactly ``P(y* | x)``. A plug-in model without ``predict_sequences`` gets that
  product as an approximation, flagged by ``SequenceCandidates.exact_best_proba = False``.
* **Empty texts** (no token) have exactly one tagging, the empty one, with probability 1: every
  score is 0 for them, and models predict no span.
* **Default strategy**: sequence least confidence (:data:`DEFAULT_SEQUENCE_STRATEGY`), chosen
  by ``benchmarks/bench_extraction.py`` (see its docstring for the table). It prefers long
  texts (14 tokens per pick against 9 for random); per labeled *token* its lead over random
  shrinks (Restaurant-8k) but stays (NLU++), and per labeled *text*, what the session counts,
  it wins clearly.
"""

from __future__ import annotations

import bisect
import difflib
import importlib
import json
import math
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, Self, TypeAlias

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError

from jupyter_al.exceptions import ConfigError, LabelError, PoolExhaustedError
from jupyter_al.strategies import Selection, top_k

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from types import ModuleType

    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "DEFAULT_SEQUENCE_STRATEGY",
    "OUTSIDE",
    "PRF",
    "SEQUENCE_STRATEGIES",
    "TOKEN_PATTERN",
    "BioEncoding",
    "CRFTagger",
    "SequenceCandidates",
    "SequenceModel",
    "SequencePrediction",
    "SequenceStrategy",
    "Span",
    "SpanDataset",
    "SpanSchema",
    "SpanScores",
    "Token",
    "TokenLogRegTagger",
    "bio_tags",
    "bio_to_spans",
    "check_spans",
    "load_nlupp_slots",
    "load_restaurant8k",
    "normalized_least_confidence",
    "select_sequences",
    "sequence_candidates",
    "sequence_least_confidence",
    "span_prf",
    "spans_from_json",
    "spans_to_bio",
    "spans_to_json",
    "token_entropy_max",
    "token_entropy_mean",
    "token_features",
    "tokenize",
]

Overlap: TypeAlias = Literal["forbid", "allow", "nested"]
OVERLAP_RULES: Final[tuple[Overlap, ...]] = ("forbid", "allow", "nested")

#: The tag of a token outside every span.
OUTSIDE: Final = "O"

#: Tokens: a run of digits, a run of letters, or one other non-space character.
TOKEN_PATTERN: Final = r"\d+|[^\W\d_]+|[^\w\s]|_"  # noqa: S105 - a regex, not a password
_TOKEN_RE: Final = re.compile(TOKEN_PATTERN)

_EXTRA_HINT: Final = 'pip install "jupyter_al[extraction]"'


# ============================================================================ records


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A typed character span of a text: ``text[start:end]``, end exclusive.

    Spans sort by ``(start, end, type)``. The record checks only that the fields have the
    right types; whether the span fits a text and a schema is :func:`check_spans`' job (its
    messages can then name the item).

    Parameters
    ----------
    start : int
        Offset of the first character (a Python string index).
    end : int
        Offset one past the last character.
    type : str
        The span's type (a slot name, an entity type).

    Examples
    --------
    >>> span = Span(9, 13, "time")
    >>> "table at 7 pm"[span.start : span.end], len(span)
    ('7 pm', 4)
    """

    start: int
    end: int
    type: str

    def __post_init__(self) -> None:
        """Check the field types (offsets are checked against a text by check_spans)."""
        for name in ("start", "end"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ConfigError(f"Span.{name} must be an int, got {value!r}")
            object.__setattr__(self, name, int(value))
        if not isinstance(self.type, str) or not self.type:
            raise ConfigError(f"Span.type must be a non-empty str, got {self.type!r}")

    def __len__(self) -> int:
        """Return the number of characters covered (0 for an empty or reversed span)."""
        return max(self.end - self.start, 0)

    def to_json(self) -> list[int | str]:
        """Return ``[start, end, type]``."""
        return [self.start, self.end, self.type]


@dataclass(frozen=True, slots=True)
class SpanSchema:
    """The span types of a task and how spans of one text may overlap.

    Parameters
    ----------
    types : tuple of str
        The allowed span types, in display order; non-empty and unique.
    overlap : {"forbid", "allow", "nested"}, default "forbid"
        ``"forbid"``: no two spans share a character. ``"nested"``: two spans that share a
        character must be one inside the other (equal extents with different types count as
        nested). ``"allow"``: any overlap.

    Raises
    ------
    ConfigError
        Empty, duplicated or non-string types, or an unknown overlap rule.

    Examples
    --------
    >>> SpanSchema(("time", "people"), overlap="nested")
    SpanSchema(types=('time', 'people'), overlap='nested')
    """

    types: tuple[str, ...]
    overlap: Overlap = "forbid"

    def __post_init__(self) -> None:
        """Check the types and the rule; store the types as a tuple."""
        given: object = self.types
        if isinstance(given, str) or not isinstance(given, Iterable):
            raise ConfigError(f"types must be a tuple of str, got {given!r}")
        types = tuple(given)
        if not types:
            raise ConfigError("types must name at least one span type, got none")
        bad = [t for t in types if not isinstance(t, str) or not t]
        if bad:
            raise ConfigError(f"types must be non-empty strings, got {bad[:5]!r}")
        dupes = sorted({t for t in types if types.count(t) > 1})
        if dupes:
            raise ConfigError(f"types must be unique, got duplicates {tuple(dupes)!r}")
        if self.overlap not in OVERLAP_RULES:
            raise ConfigError(f"overlap must be one of {OVERLAP_RULES}, got {self.overlap!r}")
        object.__setattr__(self, "types", types)


@dataclass(frozen=True, slots=True)
class Token:
    """A token of a text with its character offsets (``text[start:end] == text_``).

    Parameters
    ----------
    start : int
    end : int
    text : str
    """

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class BioEncoding:
    """The BIO tags of one text, and what the encoding had to change.

    Parameters
    ----------
    tokens : tuple of Token
    tags : tuple of str
        One tag per token: ``"O"``, ``"B-<type>"`` or ``"I-<type>"``.
    snapped : tuple of (Span, Span)
        ``(given, encoded)`` for every span whose ends were moved to token boundaries.
    dropped : tuple of Span
        Spans that could not be encoded: they cover no token (white space only), or they share
        a token with a longer span (BIO is flat). Given as they were passed in.
    """

    tokens: tuple[Token, ...]
    tags: tuple[str, ...]
    snapped: tuple[tuple[Span, Span], ...] = ()
    dropped: tuple[Span, ...] = ()


# ============================================================================ validation


def _describe(span: Span, text: str | None = None) -> str:
    where = f"[{span.start}, {span.end}, {span.type!r}]"
    if text is not None and 0 <= span.start < span.end <= len(text):
        return f"{where} {text[span.start : span.end]!r}"
    return where


def _prefix(item_id: object) -> str:
    return "" if item_id is None else f"item {item_id!r}: "


def _as_span(value: object, item_id: object = None, position: int | None = None) -> Span:
    if isinstance(value, Span):
        return value
    at = "" if position is None else f" at position {position}"
    if isinstance(value, list | tuple) and len(value) == 3:
        start, end, kind = value
        try:
            return Span(start, end, kind)
        except ConfigError as err:
            raise ConfigError(f"{_prefix(item_id)}span{at} {value!r} is malformed: {err}") from err
    raise ConfigError(
        f"{_prefix(item_id)}span{at} must be a Span or [start, end, type], got {value!r}"
    )


def check_spans(
    text: str,
    spans: Iterable[Span | Sequence[Any]],
    schema: SpanSchema | None,
    *,
    item_id: object = None,
) -> tuple[Span, ...]:
    """Validate the spans of one text; return them sorted, exact duplicates removed.

    Parameters
    ----------
    text : str
        The text the spans point into.
    spans : iterable of Span or [start, end, type]
        The spans (records or their JSON form).
    schema : SpanSchema or None
        The allowed types and overlap rule; None accepts any type and any overlap (only the
        offsets are checked).
    item_id : object, optional
        Named in the messages (the item's id in the pool).

    Returns
    -------
    tuple of Span
        Sorted by ``(start, end, type)``; an exact duplicate (same start, end and type) is kept
        once.

    Raises
    ------
    LabelError
        A span type that is not in the schema.
    ConfigError
        A malformed span, ``start < 0``, ``end > len(text)``, ``start >= end``, or two spans
        overlapping against the schema's rule. Each message names the item and the span.

    Examples
    --------
    >>> schema = SpanSchema(("time", "people"))
    >>> check_spans("table for 4 at 7pm", [[15, 18, "time"], Span(10, 11, "people")], schema)
    (Span(start=10, end=11, type='people'), Span(start=15, end=18, type='time'))
    >>> try:
    ...     check_spans("at 7pm", [[3, 9, "time"]], schema, item_id="r12")
    ... except ConfigError as err:
    ...     print(err)
    item 'r12': span [3, 9, 'time'] ends at 9, past the end of the text (length 6); expected 0 <= start < end <= 6
    """  # noqa: E501 - a doctest output line is as long as the message
    if not isinstance(text, str):
        raise ConfigError(f"{_prefix(item_id)}text must be a str, got {type(text).__name__}")
    if isinstance(spans, str | bytes):
        raise ConfigError(
            f"{_prefix(item_id)}spans must be a list of spans, got the string {spans!r}"
        )
    pre = _prefix(item_id)
    n = len(text)
    out: set[Span] = set()
    for position, raw in enumerate(spans):
        span = _as_span(raw, item_id, position)
        desc = _describe(span)
        if span.start < 0:
            raise ConfigError(f"{pre}span {desc} starts at {span.start}; expected start >= 0")
        if span.end > n:
            raise ConfigError(
                f"{pre}span {desc} ends at {span.end}, past the end of the text (length {n}); "
                f"expected 0 <= start < end <= {n}"
            )
        if span.start >= span.end:
            raise ConfigError(
                f"{pre}span {desc} is empty or reversed; expected start < end, got "
                f"start={span.start}, end={span.end}"
            )
        if schema is not None and span.type not in schema.types:
            close = difflib.get_close_matches(span.type, schema.types, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise LabelError(
                f"{pre}span {_describe(span, text)} has type {span.type!r}, which is not one of "
                f"the schema's types {schema.types!r}{hint}"
            )
        out.add(span)
    ordered = tuple(sorted(out))
    if schema is not None and schema.overlap != "allow":
        _check_overlap(text, ordered, schema.overlap, pre)
    return ordered


def _check_overlap(text: str, spans: tuple[Span, ...], rule: Overlap, pre: str) -> None:
    """Raise for the first pair of spans that breaks ``rule`` (spans sorted by start)."""
    if rule == "forbid":
        widest: Span | None = None
        for span in spans:
            if widest is not None and span.start < widest.end:
                raise ConfigError(
                    f"{pre}spans {_describe(widest, text)} and {_describe(span, text)} overlap, "
                    "but the schema's overlap rule is 'forbid' (expected no shared character)"
                )
            if widest is None or span.end > widest.end:
                widest = span
        return
    # nested: walk by (start, -end) with a stack of the spans still open; a span that starts
    # inside the innermost open span must also end inside it.
    stack: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end, s.type)):
        while stack and stack[-1].end <= span.start:
            stack.pop()
        if stack and span.end > stack[-1].end:
            raise ConfigError(
                f"{pre}spans {_describe(stack[-1], text)} and {_describe(span, text)} cross "
                "(they overlap and neither contains the other), but the schema's overlap rule "
                "is 'nested' (expected disjoint or nested spans)"
            )
        stack.append(span)


def spans_to_json(spans: Iterable[Span]) -> list[list[int | str]]:
    """Return the JSON form of spans: ``[[start, end, type], ...]`` (order kept).

    Parameters
    ----------
    spans : iterable of Span

    Returns
    -------
    list of [int, int, str]

    Examples
    --------
    >>> spans_to_json([Span(0, 2, "people"), Span(6, 9, "time")])
    [[0, 2, 'people'], [6, 9, 'time']]
    """
    return [_as_span(span).to_json() for span in spans]


def spans_from_json(
    data: str | Sequence[Any],
    *,
    text: str | None = None,
    schema: SpanSchema | None = None,
    item_id: object = None,
) -> tuple[Span, ...]:
    """Parse ``[[start, end, type], ...]`` (a list or a JSON string) into spans.

    Parameters
    ----------
    data : str or list
        JSON text or the already parsed list.
    text : str, optional
        When given, the spans are checked against it (and ``schema``) by :func:`check_spans`
        and returned sorted; otherwise they are returned in the given order, unchecked.
    schema : SpanSchema, optional
        Used with ``text``.
    item_id : object, optional
        Named in the messages.

    Returns
    -------
    tuple of Span

    Raises
    ------
    ConfigError
        Invalid JSON, not a list, an entry that is not ``[int, int, str]``; and every error of
        :func:`check_spans` when ``text`` is given.

    Examples
    --------
    >>> spans_from_json('[[9, 12, "time"], [0, 1, "people"]]', text="2 ppl at 7pm")
    (Span(start=0, end=1, type='people'), Span(start=9, end=12, type='time'))
    """
    pre = _prefix(item_id)
    parsed: object = data
    if isinstance(data, str):
        try:
            parsed = json.loads(data)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{pre}spans are not valid JSON ({err.msg}): {data[:80]!r}") from err
    if not isinstance(parsed, list | tuple):
        raise ConfigError(
            f"{pre}spans must be a list of [start, end, type], got {type(parsed).__name__}"
        )
    spans = tuple(_as_span(raw, item_id, i) for i, raw in enumerate(parsed))
    if text is None:
        return spans
    return check_spans(text, spans, schema, item_id=item_id)


# ============================================================================ tokens and BIO


def tokenize(text: str) -> tuple[Token, ...]:
    """Split a text into tokens with their character offsets (:data:`TOKEN_PATTERN`).

    Parameters
    ----------
    text : str

    Returns
    -------
    tuple of Token
        In text order; ``text[t.start:t.end] == t.text``.

    Examples
    --------
    >>> [t.text for t in tokenize("Table for 4 at 7pm, please!")]
    ['Table', 'for', '4', 'at', '7', 'pm', ',', 'please', '!']
    >>> tokenize("5ish")
    (Token(start=0, end=1, text='5'), Token(start=1, end=4, text='ish'))
    """
    if not isinstance(text, str):
        raise ConfigError(f"text must be a str, got {type(text).__name__}")
    return tuple(Token(m.start(), m.end(), m.group()) for m in _TOKEN_RE.finditer(text))


def bio_tags(types: Iterable[str]) -> tuple[str, ...]:
    """Return the canonical tag order for span types: ``O``, then ``B-t``, ``I-t`` per type.

    Parameters
    ----------
    types : iterable of str
        Sorted and deduplicated first.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> bio_tags(["time", "people"])
    ('O', 'B-people', 'I-people', 'B-time', 'I-time')
    """
    out = [OUTSIDE]
    for kind in sorted(set(types)):
        out += [f"B-{kind}", f"I-{kind}"]
    return tuple(out)


def spans_to_bio(
    text: str,
    spans: Iterable[Span | Sequence[Any]],
    *,
    tokens: Sequence[Token] | None = None,
    misaligned: Literal["snap", "error"] = "snap",
    item_id: object = None,
) -> BioEncoding:
    """Encode spans as one BIO tag per token.

    A span covers the tokens it shares a character with. A span whose ends are not token
    boundaries is snapped to the first and last of those tokens and listed in ``snapped``
    (or, with ``misaligned="error"``, raises). Spans are encoded longest first; a span that
    covers no token, or shares a token with a span already encoded, goes to ``dropped``.

    Parameters
    ----------
    text : str
    spans : iterable of Span or [start, end, type]
        Offsets must lie inside the text (see :func:`check_spans`).
    tokens : sequence of Token, optional
        The text's tokens (default :func:`tokenize`).
    misaligned : {"snap", "error"}, default "snap"
    item_id : object, optional
        Named in the messages.

    Returns
    -------
    BioEncoding

    Raises
    ------
    ConfigError
        A span outside the text; with ``misaligned="error"``, a span whose ends are not token
        boundaries.

    Examples
    --------
    >>> enc = spans_to_bio("at 5ish tonight", [Span(3, 4, "time"), Span(7, 15, "date")])
    >>> enc.tags
    ('O', 'B-time', 'O', 'B-date')
    >>> enc.snapped
    ((Span(start=7, end=15, type='date'), Span(start=8, end=15, type='date')),)
    """
    if misaligned not in ("snap", "error"):
        raise ConfigError(f"misaligned must be 'snap' or 'error', got {misaligned!r}")
    checked = check_spans(text, spans, None, item_id=item_id)
    toks = tuple(tokens) if tokens is not None else tokenize(text)
    starts = [t.start for t in toks]
    ends = [t.end for t in toks]
    placed: list[tuple[int, int, Span]] = []  # (first token, last token, given span)
    snapped: list[tuple[Span, Span]] = []
    dropped: list[Span] = []
    for span in checked:
        first = bisect.bisect_right(ends, span.start)  # first token ending after start
        last = bisect.bisect_left(starts, span.end) - 1  # last token starting before end
        if first > last:
            if misaligned == "error":
                raise ConfigError(
                    f"{_prefix(item_id)}span {_describe(span, text)} covers no token "
                    "(white space only); expected a span over at least one token"
                )
            dropped.append(span)
            continue
        encoded = Span(toks[first].start, toks[last].end, span.type)
        if encoded != span:
            if misaligned == "error":
                raise ConfigError(
                    f"{_prefix(item_id)}span {_describe(span, text)} does not start and end on "
                    f"token boundaries; expected e.g. {_describe(encoded, text)} "
                    "(or pass misaligned='snap')"
                )
            snapped.append((span, encoded))
        placed.append((first, last, span))
    tags = [OUTSIDE] * len(toks)
    taken = [False] * len(toks)
    for first, last, span in sorted(placed, key=lambda p: (p[0] - p[1], p[0], p[2].type)):
        if any(taken[first : last + 1]):
            dropped.append(span)
            continue
        tags[first] = f"B-{span.type}"
        for i in range(first + 1, last + 1):
            tags[i] = f"I-{span.type}"
        taken[first : last + 1] = [True] * (last + 1 - first)
    dropped_set = set(dropped)
    return BioEncoding(
        tokens=toks,
        tags=tuple(tags),
        snapped=tuple(p for p in snapped if p[0] not in dropped_set),
        dropped=tuple(sorted(dropped)),
    )


def _split_tag(tag: str, position: int) -> tuple[str, str]:
    if tag == OUTSIDE:
        return OUTSIDE, ""
    if isinstance(tag, str) and len(tag) > 2 and tag[:2] in ("B-", "I-"):
        return tag[0], tag[2:]
    raise ConfigError(f"tags[{position}] must be 'O', 'B-<type>' or 'I-<type>', got {tag!r}")


def bio_to_spans(tokens: Sequence[Token], tags: Sequence[str]) -> tuple[Span, ...]:
    """Decode BIO tags into character spans (from the first to the last token's offsets).

    Decoding is lenient, as ``conlleval`` is: an ``I-t`` that does not continue a span of type
    ``t`` starts a new one (models such as a CRF with all transitions allowed can emit it).

    Parameters
    ----------
    tokens : sequence of Token
    tags : sequence of str
        Same length as ``tokens``.

    Returns
    -------
    tuple of Span
        Sorted by start.

    Raises
    ------
    ConfigError
        Lengths differ, or a tag is not ``O``, ``B-<type>`` or ``I-<type>``.

    Examples
    --------
    >>> toks = tokenize("2 ppl at 7 pm")
    >>> bio_to_spans(toks, ["B-people", "O", "O", "B-time", "I-time"])
    (Span(start=0, end=1, type='people'), Span(start=9, end=13, type='time'))
    """
    if len(tokens) != len(tags):
        raise ConfigError(
            f"tags must have one tag per token: expected {len(tokens)} tags, got {len(tags)}"
        )
    spans: list[Span] = []
    open_type: str | None = None
    open_start = open_end = 0
    for position, (token, tag) in enumerate(zip(tokens, tags, strict=True)):
        prefix, kind = _split_tag(tag, position)
        if prefix == "I" and kind == open_type:
            open_end = token.end
            continue
        if open_type is not None:
            spans.append(Span(open_start, open_end, open_type))
            open_type = None
        if prefix != OUTSIDE:
            open_type, open_start, open_end = kind, token.start, token.end
    if open_type is not None:
        spans.append(Span(open_start, open_end, open_type))
    return tuple(spans)


# ============================================================================ features


def _shape(word: str) -> str:
    """``"Xx"``, ``"d"``, ``"x"``...: character classes with repeats collapsed."""
    out: list[str] = []
    for ch in word:
        c = "X" if ch.isupper() else "x" if ch.islower() else "d" if ch.isdigit() else ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def token_features(tokens: Sequence[Token]) -> list[dict[str, str | float]]:
    """Return one feature dict per token (the built-in models' features).

    Per token: a bias, the lower-cased word, its 2- and 3-letter suffixes, its shape (``Xx``,
    ``d``, ``d.d``...), digit / title / upper-case flags, whether it is glued to the previous
    token (no space between: "7pm", "5ish"); the lower-cased word and shape of the neighbours
    at -2..+2 (the 3-letter suffix too at -1, +1), or a padding flag past either end. String
    values are one-hot features (``name=value``), floats are weights, for crfsuite and
    :class:`sklearn.feature_extraction.FeatureHasher` alike.

    Parameters
    ----------
    tokens : sequence of Token

    Returns
    -------
    list of dict

    Examples
    --------
    >>> f = token_features(tokenize("at 7pm"))
    >>> f[1]["lower"], f[1]["shape"], f[1]["is_digit"], f[2]["glued"], f[2]["-1:lower"]
    ('7', 'd', 1.0, 1.0, '7')
    """
    words = [t.text for t in tokens]
    lowers = [w.lower() for w in words]
    shapes = [_shape(w) for w in words]
    n = len(words)
    out: list[dict[str, str | float]] = []
    for i, word in enumerate(words):
        low = lowers[i]
        feats: dict[str, str | float] = {
            "bias": 1.0,
            "lower": low,
            "suffix3": low[-3:],
            "suffix2": low[-2:],
            "shape": shapes[i],
            "is_digit": 1.0 if word.isdigit() else 0.0,
            "is_title": 1.0 if word.istitle() else 0.0,
            "is_upper": 1.0 if word.isupper() else 0.0,
            "glued": 1.0 if i > 0 and tokens[i - 1].end == tokens[i].start else 0.0,
        }
        for d in (-2, -1, 1, 2):
            j = i + d
            key = f"{d:+d}:"
            if 0 <= j < n:
                feats[key + "lower"] = lowers[j]
                feats[key + "shape"] = shapes[j]
                if abs(d) == 1:
                    feats[key + "suffix3"] = lowers[j][-3:]
            else:
                feats[key + "pad"] = 1.0
        out.append(feats)
    return out


# ============================================================================ models


@dataclass(frozen=True, slots=True)
class SequencePrediction:
    """A model's view of one text: the best tagging, its probability and the marginals.

    Parameters
    ----------
    tokens : tuple of Token
    tags : tuple of str
        The most probable tag sequence (one per token).
    spans : tuple of Span
        ``bio_to_spans(tokens, tags)``.
    marginals : ndarray of shape (n_tokens, n_tags)
        ``P(tag_t = j | text)``, columns in the model's ``tags_`` order.
    best_proba : float
        ``P(tags | text)``, the probability of the whole best sequence (1.0 for no token).
    exact : bool
        Whether ``best_proba`` is exact (True for the built-in models) or the product of the
        per-token maxima of the marginals (an approximation for a CRF).
    """

    tokens: tuple[Token, ...]
    tags: tuple[str, ...]
    spans: tuple[Span, ...]
    marginals: NDArray[np.float64]
    best_proba: float
    exact: bool = True


class SequenceModel(Protocol):
    """The adapter every span model implements (any tagger can be plugged in).

    ``fit`` learns from texts and their spans; ``predict`` returns spans; ``marginals`` gives
    per-token tag probabilities in the order of ``tags_``; ``tokens`` is the model's own
    tokenisation (the marginals' rows). A model may also define
    ``predict_sequences(texts) -> list[SequencePrediction]`` to give the exact probability
    of its best sequence in one pass (:func:`sequence_candidates` uses it when present).
    """

    @property
    def tags_(self) -> tuple[str, ...]:
        """The tags the fitted model knows: the columns of :meth:`marginals`."""
        ...

    def tokens(self, text: str) -> tuple[Token, ...]:
        """Tokenise one text as the model does."""
        ...

    def fit(self, texts: Sequence[str], spans: Sequence[Iterable[Span]]) -> Self:
        """Learn from ``texts`` and the gold spans of each."""
        ...

    def predict(self, texts: Sequence[str]) -> list[tuple[Span, ...]]:
        """Predict the spans of each text."""
        ...

    def marginals(self, texts: Sequence[str]) -> list[NDArray[np.float64]]:
        """Return ``(n_tokens, n_tags)`` tag probabilities per text."""
        ...


def _check_texts(texts: object, name: str = "texts") -> list[str]:
    if isinstance(texts, str | bytes) or not isinstance(texts, Iterable):
        raise ConfigError(f"{name} must be a sequence of str, got {type(texts).__name__}")
    out = list(texts)
    bad = [i for i, t in enumerate(out) if not isinstance(t, str)]
    if bad:
        raise ConfigError(
            f"{name} must hold str only, got {type(out[bad[0]]).__name__} at position {bad[0]}"
        )
    return out


def _training_set(
    texts: Sequence[str], spans: Sequence[Iterable[Span]], misaligned: Literal["snap", "error"]
) -> tuple[list[BioEncoding], int, int]:
    """Encode the training texts; return encodings (texts with tokens only), snapped, dropped."""
    docs = _check_texts(texts)
    given: object = spans
    if isinstance(given, str) or len(spans) != len(docs):
        got = "a str" if isinstance(given, str) else f"{len(spans)} entries"
        raise ConfigError(f"spans must hold one list of spans per text ({len(docs)}), got {got}")
    if not docs:
        raise ConfigError("texts is empty: expected at least one labeled text to fit on")
    encodings: list[BioEncoding] = []
    n_snapped = n_dropped = 0
    for i, (text, item_spans) in enumerate(zip(docs, spans, strict=True)):
        enc = spans_to_bio(text, item_spans, misaligned=misaligned, item_id=i)
        n_snapped += len(enc.snapped)
        n_dropped += len(enc.dropped)
        if enc.tokens:
            encodings.append(enc)
    if not encodings:
        raise ConfigError("texts hold no token at all: expected at least one non-blank text")
    return encodings, n_snapped, n_dropped


def _ordered_tags(seen: Iterable[str]) -> tuple[str, ...]:
    seen_set = set(seen)
    types = {t[2:] for t in seen_set if t != OUTSIDE}
    return tuple(t for t in bio_tags(types) if t in seen_set or t == OUTSIDE)


def _fit_notes(n_snapped: int, n_dropped: int) -> tuple[str, ...]:
    notes = []
    if n_snapped:
        notes.append(f"{n_snapped} span(s) snapped to token boundaries")
    if n_dropped:
        notes.append(
            f"{n_dropped} span(s) left out: overlapping a longer span (BIO is flat) or "
            "covering no token"
        )
    return tuple(notes)


class _TaggerBase:
    """Shared plumbing: tokenisation, fitted-state checks, predict/marginals from one pass."""

    misaligned: Literal["snap", "error"]
    _tags: tuple[str, ...] | None

    @property
    def tags_(self) -> tuple[str, ...]:
        """The tags the fitted model knows, in :func:`bio_tags` order (``O`` first)."""
        if self._tags is None:
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit() first")
        return self._tags

    def tokens(self, text: str) -> tuple[Token, ...]:
        """Tokenise like the model (:func:`tokenize`)."""
        return tokenize(text)

    def predict_sequences(self, texts: Sequence[str]) -> list[SequencePrediction]:
        """Return the best tagging, its exact probability and the marginals of each text."""
        raise NotImplementedError

    def predict(self, texts: Sequence[str]) -> list[tuple[Span, ...]]:
        """Predict the spans of each text (flat: no two predicted spans overlap)."""
        return [p.spans for p in self.predict_sequences(texts)]

    def marginals(self, texts: Sequence[str]) -> list[NDArray[np.float64]]:
        """Return the ``(n_tokens, n_tags)`` tag probabilities of each text."""
        return [p.marginals for p in self.predict_sequences(texts)]


def _import_crfsuite() -> ModuleType:
    try:
        return importlib.import_module("sklearn_crfsuite")
    except ImportError as err:
        raise ImportError(
            f"CRFTagger needs sklearn-crfsuite, which is not installed: {_EXTRA_HINT} "
            "(or use TokenLogRegTagger, which needs nothing extra)"
        ) from err


class CRFTagger(_TaggerBase):
    """Linear-chain CRF over :func:`token_features` (the baseline; no GPU).

    Trained by L-BFGS with elastic-net regularisation (``c1`` L1, ``c2`` L2) and every
    transition between tags allowed (``all_possible_transitions=True``). Training is
    deterministic: the same texts and spans in the same order give the same model.
    ``predict_sequences`` uses the Viterbi path and its exact probability
    (crfsuite's ``Tagger.probability``).

    Needs the extra ``extraction`` (``sklearn-crfsuite``), imported when ``fit`` is called.

    Parameters
    ----------
    c1 : float, default 0.1
        L1 penalty.
    c2 : float, default 0.1
        L2 penalty.
    max_iterations : int, default 100
        L-BFGS iterations.
    misaligned : {"snap", "error"}, default "snap"
        What :func:`spans_to_bio` does with training spans off token boundaries.

    Attributes
    ----------
    tags_ : tuple of str
        The tags seen in training (``O`` first).
    fit_notes_ : tuple of str
        What the encoding changed (snapped spans, spans left out of the flat BIO).
    crf_ : sklearn_crfsuite.CRF
        The fitted estimator.

    Examples
    --------
    >>> model = CRFTagger(c1=0.05)
    >>> model.c1, model.max_iterations
    (0.05, 100)
    """

    def __init__(
        self,
        *,
        c1: float = 0.1,
        c2: float = 0.1,
        max_iterations: int = 100,
        misaligned: Literal["snap", "error"] = "snap",
    ) -> None:
        for name, value in (("c1", c1), ("c2", c2)):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"{name} must be a number >= 0, got {value!r}")
        if isinstance(max_iterations, bool) or not isinstance(max_iterations, int):
            raise ConfigError(f"max_iterations must be an int >= 1, got {max_iterations!r}")
        if max_iterations < 1:
            raise ConfigError(f"max_iterations must be an int >= 1, got {max_iterations!r}")
        self.c1 = c1
        self.c2 = c2
        self.max_iterations = max_iterations
        self.misaligned = misaligned
        self._tags = None
        self.crf_: Any = None
        self.fit_notes_: tuple[str, ...] = ()

    def __repr__(self) -> str:
        """Show the parameters."""
        return f"CRFTagger(c1={self.c1!r}, c2={self.c2!r}, max_iterations={self.max_iterations!r})"

    def fit(self, texts: Sequence[str], spans: Sequence[Iterable[Span]]) -> Self:
        """Fit on texts and their gold spans (texts without a token are skipped).

        Parameters
        ----------
        texts : sequence of str
        spans : sequence of iterables of Span, one per text

        Returns
        -------
        CRFTagger
            ``self``, fitted.

        Raises
        ------
        ConfigError
            Lengths differ, no text, no token at all, a span outside its text.
        ImportError
            ``sklearn-crfsuite`` is missing (the message names the extra).
        """
        crfsuite = _import_crfsuite()
        encodings, n_snapped, n_dropped = _training_set(texts, spans, self.misaligned)
        crf = crfsuite.CRF(
            algorithm="lbfgs",
            c1=self.c1,
            c2=self.c2,
            max_iterations=self.max_iterations,
            all_possible_transitions=True,
        )
        crf.fit(
            [token_features(enc.tokens) for enc in encodings],
            [list(enc.tags) for enc in encodings],
        )
        self.crf_ = crf
        self._tags = _ordered_tags(crf.tagger_.labels())
        self.fit_notes_ = _fit_notes(n_snapped, n_dropped)
        return self

    def predict_sequences(self, texts: Sequence[str]) -> list[SequencePrediction]:
        """Return the Viterbi tagging, its exact probability and the marginals of each text.

        Parameters
        ----------
        texts : sequence of str

        Returns
        -------
        list of SequencePrediction
        """
        tags = self.tags_
        docs = _check_texts(texts)
        tagger = self.crf_.tagger_
        out: list[SequencePrediction] = []
        for text in docs:
            toks = tokenize(text)
            if not toks:
                out.append(_empty_prediction(len(tags)))
                continue
            tagger.set(token_features(toks))
            best = tuple(tagger.tag())
            marg = np.array(
                [[tagger.marginal(tag, t) for tag in tags] for t in range(len(toks))],
                dtype=np.float64,
            )
            out.append(
                SequencePrediction(
                    tokens=toks,
                    tags=best,
                    spans=bio_to_spans(toks, best),
                    marginals=marg,
                    best_proba=float(tagger.probability(list(best))),
                )
            )
        return out


def _empty_prediction(n_tags: int) -> SequencePrediction:
    return SequencePrediction((), (), (), np.zeros((0, n_tags), dtype=np.float64), 1.0)


class TokenLogRegTagger(_TaggerBase):
    """Per-token multinomial logistic regression over hashed :func:`token_features`.

    No extra dependency (scikit-learn only) and fast; it ignores tag transitions, so its
    spans are decoded leniently from per-token argmax tags. Tokens are independent given the
    text, so the product of the per-token maxima is exactly the best sequence's probability.

    Parameters
    ----------
    C : float, default 10.0
        Inverse L2 strength (hashed one-hot features are sparse; little regularisation works
        best on small labeled sets).
    n_features : int, default 2**18
        Hashing space.
    max_iter : int, default 2000
    misaligned : {"snap", "error"}, default "snap"

    Attributes
    ----------
    tags_ : tuple of str
    fit_notes_ : tuple of str
    model_ : LogisticRegression or None
        None when training had a single tag (every token ``O``): that tag then has
        probability 1.
    columns_ : ndarray of int
        The hashed feature columns some training token uses (the model's inputs).

    Examples
    --------
    >>> texts = ["table for 4 at 7pm", "at 8pm for 2", "for 3 people", "at 9pm"]
    >>> spans = [[Span(10, 11, "people"), Span(15, 18, "time")],
    ...          [Span(3, 6, "time"), Span(11, 12, "people")],
    ...          [Span(4, 5, "people")], [Span(3, 6, "time")]]
    >>> model = TokenLogRegTagger().fit(texts, spans)
    >>> model.predict(["at 6pm for 5"])
    [(Span(start=3, end=6, type='time'), Span(start=11, end=12, type='people'))]
    """

    def __init__(
        self,
        *,
        C: float = 10.0,
        n_features: int = 2**18,
        max_iter: int = 2000,
        misaligned: Literal["snap", "error"] = "snap",
    ) -> None:
        if isinstance(C, bool) or not isinstance(C, int | float) or C <= 0:
            raise ConfigError(f"C must be a number > 0, got {C!r}")
        if isinstance(n_features, bool) or not isinstance(n_features, int) or n_features < 2:
            raise ConfigError(f"n_features must be an int >= 2, got {n_features!r}")
        self.C = C
        self.n_features = n_features
        self.max_iter = max_iter
        self.misaligned = misaligned
        self._tags = None
        self.model_: Any = None
        self.columns_: NDArray[np.intp] = np.empty(0, dtype=np.intp)
        self.fit_notes_: tuple[str, ...] = ()

    def __repr__(self) -> str:
        """Show the parameters."""
        return f"TokenLogRegTagger(C={self.C!r}, n_features={self.n_features!r})"

    def _hash(self, feats: list[dict[str, str | float]]) -> Any:
        from sklearn.feature_extraction import FeatureHasher

        hasher = FeatureHasher(n_features=self.n_features, input_type="dict", alternate_sign=False)
        return hasher.transform(feats)

    def fit(self, texts: Sequence[str], spans: Sequence[Iterable[Span]]) -> Self:
        """Fit on texts and their gold spans (texts without a token are skipped).

        Parameters
        ----------
        texts : sequence of str
        spans : sequence of iterables of Span, one per text

        Returns
        -------
        TokenLogRegTagger
            ``self``, fitted.

        Raises
        ------
        ConfigError
            Lengths differ, no text, no token at all, a span outside its text.
        """
        from sklearn.linear_model import LogisticRegression
        from threadpoolctl import threadpool_limits

        encodings, n_snapped, n_dropped = _training_set(texts, spans, self.misaligned)
        feats = [f for enc in encodings for f in token_features(enc.tokens)]
        y = [tag for enc in encodings for tag in enc.tags]
        self._tags = _ordered_tags(y)
        self.fit_notes_ = _fit_notes(n_snapped, n_dropped)
        if len(self._tags) == 1:
            self.model_ = None
            return self
        X = self._hash(feats)
        # Fit on the hashed columns some training token uses: with L2 the other weights stay
        # exactly 0, so the model is the same, and the fit is ~60x faster than on all 2**18
        # columns (NLU++ banking, 220 texts: 0.6 s instead of 40 s), as in _model.py.
        self.columns_ = np.unique(X.indices).astype(np.intp)
        model = LogisticRegression(C=self.C, max_iter=self.max_iter)
        # One BLAS thread, as the classification models (docs/architecture.md, "One BLAS thread")
        with threadpool_limits(limits=1, user_api="blas"):
            model.fit(X[:, self.columns_], y)
        self.model_ = model
        return self

    def predict_sequences(self, texts: Sequence[str]) -> list[SequencePrediction]:
        """Return per-token argmax tags, their exact joint probability and the marginals.

        Parameters
        ----------
        texts : sequence of str

        Returns
        -------
        list of SequencePrediction
        """
        tags = self.tags_
        docs = _check_texts(texts)
        toks = [tokenize(t) for t in docs]
        counts = [len(t) for t in toks]
        total = sum(counts)
        if self.model_ is None or total == 0:
            P = np.zeros((total, len(tags)), dtype=np.float64)
            P[:, 0] = 1.0
        else:
            feats = [f for t in toks if t for f in token_features(t)]
            raw = self.model_.predict_proba(self._hash(feats)[:, self.columns_])
            column = {str(c): j for j, c in enumerate(self.model_.classes_)}
            P = np.ascontiguousarray(raw[:, [column[t] for t in tags]], dtype=np.float64)
        out: list[SequencePrediction] = []
        offset = 0
        for tokens_i, n in zip(toks, counts, strict=True):
            if n == 0:
                out.append(_empty_prediction(len(tags)))
                continue
            marg = P[offset : offset + n]
            offset += n
            best = tuple(tags[j] for j in marg.argmax(axis=1))
            proba = float(np.exp(np.log(np.maximum(marg.max(axis=1), 1e-300)).sum()))
            out.append(
                SequencePrediction(
                    tokens=tokens_i,
                    tags=best,
                    spans=bio_to_spans(tokens_i, best),
                    marginals=marg,
                    best_proba=proba,
                )
            )
        return out


# ============================================================================ uncertainty


@dataclass(frozen=True, slots=True)
class SequenceCandidates:
    """What a sequence strategy may look at: the unlabeled texts as the model sees them.

    Parameters
    ----------
    tags : tuple of str
        The marginals' columns.
    marginals : tuple of ndarray of shape (n_tokens_i, n_tags)
        Per candidate; zero rows for a text without a token.
    best_proba : ndarray of shape (n_candidates,)
        Probability of each candidate's most probable tagging (1 for no token).
    tokens : tuple of tuple of Token, optional
        Per candidate (the marginals' rows), for the reasons.
    predicted : tuple of tuple of Span, optional
        Per candidate, the spans of the best tagging, for the reasons.
    texts : sequence of str, optional
        The candidates' texts, for the reasons.
    exact_best_proba : bool, default True
        False when ``best_proba`` is the product of per-token maxima (an approximation for
        models with dependent tags).

    Raises
    ------
    ConfigError
        Lengths that disagree, marginals that are not ``(n_tokens, len(tags))``, or
        probabilities outside ``[0, 1]``.
    """

    tags: tuple[str, ...]
    marginals: tuple[NDArray[np.float64], ...]
    best_proba: NDArray[np.float64]
    tokens: tuple[tuple[Token, ...], ...] | None = None
    predicted: tuple[tuple[Span, ...], ...] | None = None
    texts: Sequence[str] | None = None
    exact_best_proba: bool = True

    def __post_init__(self) -> None:
        """Check that every field describes the same candidates."""
        n = len(self.marginals)
        best = np.asarray(self.best_proba, dtype=np.float64).reshape(-1)
        if best.shape[0] != n:
            raise ConfigError(
                f"best_proba must have one value per candidate ({n}), got {best.shape[0]}"
            )
        if best.size and (np.isnan(best).any() or best.min() < 0 or best.max() > 1 + 1e-9):
            raise ConfigError(
                f"best_proba must lie in [0, 1], got values from {best.min()!r} to {best.max()!r}"
            )
        object.__setattr__(self, "best_proba", np.clip(best, 0.0, 1.0))
        for i, m in enumerate(self.marginals):
            if np.ndim(m) != 2 or np.shape(m)[1] != len(self.tags):
                raise ConfigError(
                    f"marginals[{i}] must have shape (n_tokens, {len(self.tags)}) to match tags, "
                    f"got {np.shape(m)}"
                )
        for name in ("tokens", "predicted", "texts"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ConfigError(
                    f"{name} must have one entry per candidate ({n}), got {len(value)}"
                )
        if self.tokens is not None:
            for i, (toks, m) in enumerate(zip(self.tokens, self.marginals, strict=True)):
                if len(toks) != np.shape(m)[0]:
                    raise ConfigError(
                        f"tokens[{i}] has {len(toks)} tokens but marginals[{i}] has "
                        f"{np.shape(m)[0]} rows"
                    )

    @property
    def n(self) -> int:
        """Number of candidates."""
        return len(self.marginals)

    @property
    def n_tokens(self) -> NDArray[np.intp]:
        """Tokens per candidate, shape (n_candidates,)."""
        return np.array([np.shape(m)[0] for m in self.marginals], dtype=np.intp)


def sequence_candidates(model: SequenceModel, texts: Sequence[str]) -> SequenceCandidates:
    """Run a fitted model over texts and collect what the strategies need.

    Uses ``model.predict_sequences`` when the model has it (one pass, exact best-sequence
    probability). Otherwise calls ``predict`` and ``marginals`` and approximates the best
    sequence's probability by the product of per-token maxima (``exact_best_proba=False``).

    Parameters
    ----------
    model : SequenceModel
        Fitted.
    texts : sequence of str

    Returns
    -------
    SequenceCandidates

    Examples
    --------
    >>> model = TokenLogRegTagger().fit(["at 7pm", "for 2"], [[Span(3, 6, "time")], []])
    >>> cands = sequence_candidates(model, ["at 9pm", ""])
    >>> cands.n, cands.n_tokens.tolist(), cands.tags
    (2, [3, 0], ('O', 'B-time', 'I-time'))
    """
    docs = _check_texts(texts)
    tags = tuple(model.tags_)
    method: Callable[[Sequence[str]], list[SequencePrediction]] | None = getattr(
        model, "predict_sequences", None
    )
    if method is not None:
        preds = method(docs)
        return SequenceCandidates(
            tags=tags,
            marginals=tuple(np.asarray(p.marginals, dtype=np.float64) for p in preds),
            best_proba=np.array([p.best_proba for p in preds], dtype=np.float64),
            tokens=tuple(p.tokens for p in preds),
            predicted=tuple(p.spans for p in preds),
            texts=docs,
            exact_best_proba=all(p.exact for p in preds),
        )
    margs = tuple(np.asarray(m, dtype=np.float64) for m in model.marginals(docs))
    best = np.array(
        [float(np.prod(m.max(axis=1))) if m.shape[0] else 1.0 for m in margs], dtype=np.float64
    )
    return SequenceCandidates(
        tags=tags,
        marginals=margs,
        best_proba=best,
        tokens=tuple(model.tokens(t) for t in docs),
        predicted=tuple(tuple(p) for p in model.predict(docs)),
        texts=docs,
        exact_best_proba=False,
    )


def _as_best(best_proba: ArrayLike) -> NDArray[np.float64]:
    p = np.asarray(best_proba, dtype=np.float64)
    if p.ndim != 1:
        raise ConfigError(f"best_proba must be 1-D of shape (n,), got shape {p.shape}")
    if p.size and (np.isnan(p).any() or p.min() < 0 or p.max() > 1 + 1e-9):
        raise ConfigError("best_proba must hold probabilities in [0, 1]")
    return np.clip(p, 0.0, 1.0)


def sequence_least_confidence(best_proba: ArrayLike) -> NDArray[np.float64]:
    """Sequence least confidence: ``1 - P(y* | x)``, y* the most probable tagging.

    Settles & Craven, "An Analysis of Active Learning Strategies for Sequence Labeling Tasks",
    EMNLP 2008 (their LC). Long texts have smaller ``P(y*)`` at equal per-token confidence,
    so this score favours them; see :func:`normalized_least_confidence`.

    Parameters
    ----------
    best_proba : array-like of shape (n,)
        ``P(y* | x)`` per candidate (1 for a text without a token).

    Returns
    -------
    ndarray of shape (n,)
        In ``[0, 1]``; higher = more uncertain.

    Examples
    --------
    >>> sequence_least_confidence([0.9, 0.25, 1.0])
    array([0.1 , 0.75, 0.  ])
    """
    return 1.0 - _as_best(best_proba)


def normalized_least_confidence(best_proba: ArrayLike, n_tokens: ArrayLike) -> NDArray[np.float64]:
    """Length-normalised least confidence: ``1 - P(y* | x) ** (1 / n_tokens)``.

    One minus the geometric mean per-token probability of the best tagging: it ranks like
    the maximum normalised log-probability (MNLP) of Shen et al., "Deep Active Learning for
    Named Entity Recognition", ICLR 2018, which corrects least confidence's preference for
    long texts (Settles & Craven, EMNLP 2008). A text without a token scores 0.

    Parameters
    ----------
    best_proba : array-like of shape (n,)
    n_tokens : array-like of shape (n,)
        Tokens per candidate (>= 0).

    Returns
    -------
    ndarray of shape (n,)
        In ``[0, 1]``.

    Examples
    --------
    >>> normalized_least_confidence([0.81, 0.81, 1.0], [1, 2, 0]).round(4)
    array([0.19, 0.1 , 0.  ])
    """
    p = _as_best(best_proba)
    n = np.asarray(n_tokens, dtype=np.float64).reshape(-1)
    if n.shape != p.shape:
        raise ConfigError(
            f"n_tokens must have the shape of best_proba {p.shape}, got shape {n.shape}"
        )
    if n.size and n.min() < 0:
        raise ConfigError(f"n_tokens must be >= 0, got {n.min()!r}")
    out = np.zeros_like(p)
    some = n > 0
    with np.errstate(divide="ignore"):
        logs = np.log(p[some])  # log 0 = -inf -> exp(-inf) = 0 -> score 1
    out[some] = 1.0 - np.exp(logs / n[some])
    return out


def _token_entropies(marginals: Iterable[ArrayLike]) -> list[NDArray[np.float64]]:
    out = []
    for i, m in enumerate(marginals):
        M = np.asarray(m, dtype=np.float64)
        if M.ndim != 2:
            raise ConfigError(
                f"marginals[{i}] must be 2-D of shape (n_tokens, n_tags), got shape {M.shape}"
            )
        logs = np.log(np.maximum(M, np.finfo(np.float64).tiny))  # 0 ln 0 = 0
        out.append(np.maximum(-(M * logs).sum(axis=1), 0.0))
    return out


def token_entropy_mean(marginals: Iterable[ArrayLike]) -> NDArray[np.float64]:
    """Mean token entropy ``-(1/T) sum_t sum_j P(y_t=j) ln P(y_t=j)`` in nats.

    The token entropy (TE) of Settles & Craven, "An Analysis of Active Learning Strategies for
    Sequence Labeling Tasks", EMNLP 2008: the average uncertainty of each token's tag under
    the model's marginals. A text without a token scores 0.

    Parameters
    ----------
    marginals : iterable of array-like of shape (n_tokens_i, n_tags)

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> token_entropy_mean([[[0.5, 0.5], [1.0, 0.0]], np.zeros((0, 2))]).round(4)
    array([0.3466, 0.    ])
    """
    return np.array([h.mean() if h.size else 0.0 for h in _token_entropies(marginals)])


def token_entropy_max(marginals: Iterable[ArrayLike]) -> NDArray[np.float64]:
    """Largest token entropy ``max_t -sum_j P(y_t=j) ln P(y_t=j)`` in nats.

    The most uncertain single token: the max-aggregated variant of the token entropy of
    Settles & Craven (EMNLP 2008), which does not dilute one hard token in a long text. A
    text without a token scores 0.

    Parameters
    ----------
    marginals : iterable of array-like of shape (n_tokens_i, n_tags)

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> token_entropy_max([[[0.5, 0.5], [1.0, 0.0]], np.zeros((0, 2))]).round(4)
    array([0.6931, 0.    ])
    """
    return np.array([h.max() if h.size else 0.0 for h in _token_entropies(marginals)])


class SequenceStrategy(Protocol):
    """The one signature of a sequence strategy (as :class:`jupyter_al.strategies.Strategy`)."""

    def __call__(
        self, candidates: SequenceCandidates, batch_size: int, rng: np.random.Generator
    ) -> Selection:
        """Choose up to ``batch_size`` candidates, best first."""
        ...


def _num(x: float) -> str:
    if x == 0 or abs(x) >= 0.005:
        return f"{x:.2f}"
    return f"{x:.1g}"


def _check_batch(candidates: SequenceCandidates, batch_size: int, name: str) -> int:
    try:
        k = operator.index(batch_size)
    except TypeError:
        k = 0
    if isinstance(batch_size, bool) or k < 1:
        raise ConfigError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    if not isinstance(candidates, SequenceCandidates):
        raise ConfigError(
            f"strategy {name!r} needs SequenceCandidates (see sequence_candidates()), got "
            f"{type(candidates).__name__}"
        )
    if candidates.n == 0:
        raise PoolExhaustedError(
            f"strategy {name!r}: no unlabeled candidate left to select (candidates.n == 0)"
        )
    return min(k, candidates.n)


def _predicted_text(candidates: SequenceCandidates, pos: int) -> str:
    if candidates.predicted is None:
        return ""
    spans = candidates.predicted[pos]
    if not spans:
        return "; predicts no span"
    text = candidates.texts[pos] if candidates.texts is not None else None
    shown = ", ".join(
        f"{s.type} {text[s.start : s.end]!r}" if text is not None else s.type for s in spans[:3]
    )
    more = f" (+{len(spans) - 3})" if len(spans) > 3 else ""
    return f"; predicts {shown}{more}"


def _hardest_token(candidates: SequenceCandidates, pos: int) -> str:
    if candidates.tokens is None or not candidates.tokens[pos]:
        return ""
    h = _token_entropies([candidates.marginals[pos]])[0]
    t = int(h.argmax())
    return f", most uncertain token {candidates.tokens[pos][t].text!r} ({_num(float(h[t]))})"


def _by_score(
    candidates: SequenceCandidates,
    batch_size: int,
    rng: np.random.Generator,
    *,
    name: str,
    score: Callable[[SequenceCandidates], NDArray[np.float64]],
    reason: Callable[[SequenceCandidates, int, float], str],
) -> Selection:
    k = _check_batch(candidates, batch_size, name)
    scores = score(candidates)
    positions = top_k(scores, k, rng)
    chosen = scores[positions]
    n = candidates.n
    reasons = tuple(
        f"{reason(candidates, int(p), float(s))}{_predicted_text(candidates, int(p))}; "
        f"rank {rank} of {n:,}"
        for rank, (p, s) in enumerate(zip(positions, chosen, strict=True), start=1)
    )
    return Selection(
        positions=np.asarray(positions, dtype=np.intp),
        scores=np.asarray(chosen, dtype=np.float64),
        reasons=reasons,
        strategy=name,
    )


def _approx(candidates: SequenceCandidates) -> str:
    return "" if candidates.exact_best_proba else " (approx.)"


def _least_confidence_strategy(
    candidates: SequenceCandidates, batch_size: int, rng: np.random.Generator
) -> Selection:
    """Sequence least confidence: the least probable best tagging (Settles & Craven 2008)."""

    def reason(c: SequenceCandidates, pos: int, s: float) -> str:
        return (
            f"least confidence {_num(s)}: best tagging has P={_num(1 - s)}{_approx(c)} over "
            f"{int(c.n_tokens[pos])} tokens"
        )

    return _by_score(
        candidates,
        batch_size,
        rng,
        name="sequence_least_confidence",
        score=lambda c: sequence_least_confidence(c.best_proba),
        reason=reason,
    )


def _normalized_least_confidence_strategy(
    candidates: SequenceCandidates, batch_size: int, rng: np.random.Generator
) -> Selection:
    """Length-normalised least confidence: per-token geometric mean (Shen et al. 2018)."""

    def reason(c: SequenceCandidates, pos: int, s: float) -> str:
        return (
            f"normalized least confidence {_num(s)}: best tagging has "
            f"P={_num(float(c.best_proba[pos]))}{_approx(c)}, {_num(1 - s)} per token over "
            f"{int(c.n_tokens[pos])} tokens"
        )

    return _by_score(
        candidates,
        batch_size,
        rng,
        name="normalized_least_confidence",
        score=lambda c: normalized_least_confidence(c.best_proba, c.n_tokens),
        reason=reason,
    )


def _token_entropy_mean_strategy(
    candidates: SequenceCandidates, batch_size: int, rng: np.random.Generator
) -> Selection:
    """Mean token entropy (Settles & Craven 2008, TE)."""

    def reason(c: SequenceCandidates, pos: int, s: float) -> str:
        return (
            f"mean token entropy {_num(s)} nats over {int(c.n_tokens[pos])} tokens"
            f"{_hardest_token(c, pos)}"
        )

    return _by_score(
        candidates,
        batch_size,
        rng,
        name="token_entropy_mean",
        score=lambda c: token_entropy_mean(c.marginals),
        reason=reason,
    )


def _token_entropy_max_strategy(
    candidates: SequenceCandidates, batch_size: int, rng: np.random.Generator
) -> Selection:
    """Largest token entropy: the single most uncertain token."""

    def reason(c: SequenceCandidates, pos: int, s: float) -> str:
        return (
            f"max token entropy {_num(s)} nats over {int(c.n_tokens[pos])} tokens"
            f"{_hardest_token(c, pos)}"
        )

    return _by_score(
        candidates,
        batch_size,
        rng,
        name="token_entropy_max",
        score=lambda c: token_entropy_max(c.marginals),
        reason=reason,
    )


def _random_strategy(
    candidates: SequenceCandidates, batch_size: int, rng: np.random.Generator
) -> Selection:
    """Uniformly random candidates: the baseline."""
    k = _check_batch(candidates, batch_size, "random")
    n = candidates.n
    positions = rng.choice(n, size=k, replace=False).astype(np.intp)
    reasons = tuple(
        f"random pick {i + 1} of {k} from {n:,} candidates (baseline)" for i in range(k)
    )
    return Selection(positions, np.zeros(k), reasons, "random")


#: name -> sequence strategy, each ``(SequenceCandidates, batch_size, rng) -> Selection``.
SEQUENCE_STRATEGIES: Final[Mapping[str, SequenceStrategy]] = {
    "random": _random_strategy,
    "sequence_least_confidence": _least_confidence_strategy,
    "normalized_least_confidence": _normalized_least_confidence_strategy,
    "token_entropy_mean": _token_entropy_mean_strategy,
    "token_entropy_max": _token_entropy_max_strategy,
}

#: What ``strategy="default"`` means for extraction, chosen by benchmarks/bench_extraction.py
#: (CRF, 20 + 10 x 20 labels, 3 seeds, Restaurant-8k and NLU++ banking slots; the table is in
#: that file's docstring): sequence least confidence had the best span micro-F1 AULC on both
#: (0.717 vs random 0.666; 0.484 vs 0.245), beat random in 6 of 6 runs, and stayed best with
#: TokenLogRegTagger. The length-normalised variant and mean token entropy lost to random on
#: Restaurant-8k: they chase 1-2 token answers ("13") whose slot depends on the question asked.
DEFAULT_SEQUENCE_STRATEGY: Final = "sequence_least_confidence"


def select_sequences(
    candidates: SequenceCandidates,
    batch_size: int,
    rng: np.random.Generator,
    *,
    strategy: str | SequenceStrategy = "default",
) -> Selection:
    """Choose the next texts to label, best first, with a score and a reason each.

    Parameters
    ----------
    candidates : SequenceCandidates
        From :func:`sequence_candidates`.
    batch_size : int
        At least 1; ``min(batch_size, candidates.n)`` are returned.
    rng : numpy.random.Generator
        Breaks ties (and draws the random baseline), reproducibly.
    strategy : str or callable, default "default"
        A name in :data:`SEQUENCE_STRATEGIES`, ``"default"``
        (:data:`DEFAULT_SEQUENCE_STRATEGY`), or a function with the
        :class:`SequenceStrategy` signature.

    Returns
    -------
    jupyter_al.strategies.Selection

    Raises
    ------
    ConfigError
        Unknown strategy name, ``batch_size < 1``.
    PoolExhaustedError
        No candidate left.

    Examples
    --------
    >>> import numpy as np
    >>> cands = SequenceCandidates(
    ...     tags=("O", "B-time"),
    ...     marginals=(np.array([[0.9, 0.1]]), np.array([[0.5, 0.5], [1.0, 0.0]])),
    ...     best_proba=np.array([0.9, 0.5]),
    ... )
    >>> sel = select_sequences(cands, 1, np.random.default_rng(0),
    ...                        strategy="sequence_least_confidence")
    >>> sel.positions.tolist(), sel.reasons
    ([1], ('least confidence 0.50: best tagging has P=0.50 over 2 tokens; rank 1 of 2',))
    """
    if isinstance(strategy, str):
        name = DEFAULT_SEQUENCE_STRATEGY if strategy == "default" else strategy
        func = SEQUENCE_STRATEGIES.get(name)
        if func is None:
            known = sorted(SEQUENCE_STRATEGIES)
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(
                f"strategy={strategy!r} is not a known sequence strategy; {hint}known: "
                f"{', '.join(known)} (or pass your own function)"
            )
        return func(candidates, batch_size, rng)
    if callable(strategy):
        return strategy(candidates, batch_size, rng)
    raise TypeError(
        f"strategy must be a name (str) or a function (candidates, batch_size, rng) -> "
        f"Selection, got {type(strategy).__name__}"
    )


# ============================================================================ metrics


@dataclass(frozen=True, slots=True)
class PRF:
    """Precision, recall and F1 with the counts behind them.

    Parameters
    ----------
    precision, recall, f1 : float
        NaN where undefined (see :func:`span_prf`).
    n_gold : int
        Gold spans.
    n_pred : int
        Predicted spans.
    n_correct : int
        Predicted spans that match a gold span exactly (start, end and type).
    """

    precision: float
    recall: float
    f1: float
    n_gold: int
    n_pred: int
    n_correct: int


@dataclass(frozen=True, slots=True)
class SpanScores:
    """Exact-match span scores: per type, micro- and macro-averaged.

    Parameters
    ----------
    per_type : mapping of str to PRF
        In the order of the ``types`` given to :func:`span_prf`.
    micro : PRF
        From the counts pooled over types.
    macro : PRF
        Unweighted means over the types that have a gold or a predicted span; its counts are
        those of the micro average.
    """

    per_type: Mapping[str, PRF]
    micro: PRF
    macro: PRF

    def to_frame(self) -> pd.DataFrame:
        """One row per type, then ``micro`` and ``macro``; columns as :class:`PRF`."""
        rows = {**self.per_type, "micro": self.micro, "macro": self.macro}
        return pd.DataFrame(
            [
                {
                    "precision": r.precision,
                    "recall": r.recall,
                    "f1": r.f1,
                    "n_gold": r.n_gold,
                    "n_pred": r.n_pred,
                    "n_correct": r.n_correct,
                }
                for r in rows.values()
            ],
            index=pd.Index(list(rows), name="type"),
        )


def _prf(n_correct: int, n_gold: int, n_pred: int) -> PRF:
    if n_gold == 0 and n_pred == 0:
        nan = math.nan
        return PRF(nan, nan, nan, 0, 0, 0)
    p = n_correct / n_pred if n_pred else 0.0
    r = n_correct / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return PRF(p, r, f, n_gold, n_pred, n_correct)


def span_prf(
    gold: Sequence[Iterable[Span]],
    pred: Sequence[Iterable[Span]],
    types: Iterable[str] | None = None,
) -> SpanScores:
    """Exact-match span precision, recall and F1, per type and micro/macro averaged.

    A predicted span is correct when a gold span of the same item has the same start, end
    and type. Duplicates within an item count once.

    Zero-division conventions: a type with neither gold nor predicted spans has NaN
    precision, recall and F1 and is left out of the macro average (there is nothing to
    score). Otherwise precision is 0 when nothing was predicted, recall is 0 when there is no
    gold span (spurious predictions of a type absent from the gold are penalised), and F1 is
    0 when precision + recall is 0. Micro values are NaN only when no item has any span.

    Parameters
    ----------
    gold : sequence of iterables of Span
        Gold spans per item.
    pred : sequence of iterables of Span
        Predicted spans per item, aligned with ``gold``.
    types : iterable of str, optional
        The types to report, in this order (e.g. ``schema.types``); default: every type seen
        in ``gold`` or ``pred``, sorted.

    Returns
    -------
    SpanScores

    Raises
    ------
    ConfigError
        ``gold`` and ``pred`` of different lengths.
    LabelError
        A span whose type is not in ``types``.

    Examples
    --------
    >>> gold = [[Span(0, 1, "people"), Span(5, 8, "time")], [Span(0, 4, "time")]]
    >>> pred = [[Span(0, 1, "people"), Span(5, 7, "time")], [Span(0, 4, "time")]]
    >>> s = span_prf(gold, pred)
    >>> round(s.micro.f1, 4), s.per_type["time"].precision, round(s.macro.f1, 4)
    (0.6667, 0.5, 0.75)
    """
    given: tuple[object, object] = (gold, pred)
    if any(isinstance(g, str) for g in given) or len(gold) != len(pred):
        raise ConfigError(
            "gold and pred must be sequences with one entry per item of the same length, got "
            f"{len(gold)} and {len(pred)}"
        )
    gold_sets = [{_as_span(s, i) for s in item} for i, item in enumerate(gold)]
    pred_sets = [{_as_span(s, i) for s in item} for i, item in enumerate(pred)]
    seen = {s.type for item in (*gold_sets, *pred_sets) for s in item}
    if types is None:
        order = tuple(sorted(seen))
    else:
        order = tuple(dict.fromkeys(types))
        outside = sorted(seen - set(order))
        if outside:
            raise LabelError(f"spans have types outside types={order!r}: {tuple(outside[:10])!r}")
    counts = {t: [0, 0, 0] for t in order}  # correct, gold, pred
    for g, p in zip(gold_sets, pred_sets, strict=True):
        for s in g:
            counts[s.type][1] += 1
        for s in p:
            counts[s.type][2] += 1
        for s in g & p:
            counts[s.type][0] += 1
    per_type = {t: _prf(*c) for t, c in counts.items()}
    totals = [sum(c[j] for c in counts.values()) for j in range(3)]
    micro = _prf(*totals)
    scored = [v for v in per_type.values() if v.n_gold or v.n_pred]
    if scored:
        macro = PRF(
            float(np.mean([v.precision for v in scored])),
            float(np.mean([v.recall for v in scored])),
            float(np.mean([v.f1 for v in scored])),
            micro.n_gold,
            micro.n_pred,
            micro.n_correct,
        )
    else:
        macro = _prf(0, 0, 0)
    return SpanScores(per_type=per_type, micro=micro, macro=macro)


# ============================================================================ loaders


@dataclass(frozen=True, slots=True)
class SpanDataset:
    """A loaded span dataset.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per kept source row: ``item_id`` (str), ``text`` (str), ``spans`` (tuple of
        Span, checked and sorted) and the source's own columns (see each loader).
    schema : SpanSchema
        The span types found (sorted) and the overlap rule the rows were checked against.
    skipped : tuple of str
        One message per source row left out (a span outside its text, a span whose text
        differs from the slot's recorded text, overlap against the rule, a malformed row).
    source : str
        Files read.
    """

    frame: pd.DataFrame
    schema: SpanSchema
    skipped: tuple[str, ...] = ()
    source: str = ""

    @property
    def n_skipped(self) -> int:
        """Number of source rows left out."""
        return len(self.skipped)


_RawSpan: TypeAlias = tuple[object, object, object, str | None]  # start, end, type, text


def _source_row(
    item_id: str, text: object, raw_spans: list[_RawSpan], overlap: Overlap
) -> tuple[str, tuple[Span, ...]]:
    """Check one source row: its text, its spans' covered text, offsets and overlap."""
    if not isinstance(text, str):
        raise ConfigError(f"item {item_id!r}: text must be a str, got {type(text).__name__}")
    spans = []
    for start, end, kind, expected in raw_spans:
        span = _as_span([start, end, kind], item_id)
        spans.append(span)
        if expected is not None and 0 <= span.start < span.end <= len(text):
            got = text[span.start : span.end]
            if got != expected:
                raise ConfigError(
                    f"item {item_id!r}: span {_describe(span)} covers {got!r} but the "
                    f"source says its text is {expected!r}"
                )
    # no schema yet (the types are what the file holds): offsets now, then the overlap rule
    checked = check_spans(text, spans, None, item_id=item_id)
    if overlap != "allow":
        _check_overlap(text, checked, overlap, _prefix(item_id))
    return text, checked


@dataclass(slots=True)
class _Rows:
    """Accumulates rows and skipped-row messages while loading."""

    on_error: Literal["skip", "raise"]
    rows: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        """Record a broken source row (or raise, with on_error="raise")."""
        if self.on_error == "raise":
            raise ConfigError(message)
        self.skipped.append(message)

    def add(
        self,
        item_id: str,
        text: object,
        raw_spans: list[_RawSpan],
        overlap: Overlap,
        extra: dict[str, Any],
    ) -> None:
        """Check one source row; keep it, or record why not (or raise)."""
        try:
            checked_text, checked = _source_row(item_id, text, raw_spans, overlap)
        except ConfigError as err:
            self.fail(str(err))
            return
        self.rows.append({"item_id": item_id, "text": checked_text, "spans": checked, **extra})

    def dataset(self, overlap: Overlap, source: str, columns: list[str]) -> SpanDataset:
        """Build the SpanDataset (types found, sorted)."""
        frame = pd.DataFrame(self.rows, columns=columns)
        types = sorted({s.type for spans in frame["spans"] for s in spans})
        if not types:
            raise ConfigError(f"no span found in {source}: expected at least one labeled span")
        return SpanDataset(frame, SpanSchema(tuple(types), overlap), tuple(self.skipped), source)


def _check_loader_args(overlap: object, on_error: object) -> None:
    if overlap not in OVERLAP_RULES:
        raise ConfigError(f"overlap must be one of {OVERLAP_RULES}, got {overlap!r}")
    if on_error not in ("skip", "raise"):
        raise ConfigError(f"on_error must be 'skip' or 'raise', got {on_error!r}")


def _read_json_list(path: Path) -> list[Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path} is not valid JSON: {err}") from err
    if not isinstance(data, list):
        raise ConfigError(f"{path} must hold a JSON list of examples, got {type(data).__name__}")
    return data


def _nlupp_files(
    path: Path, domain: str, folds: Sequence[int] | None
) -> list[tuple[int | None, Path]]:
    if path.is_file():
        if folds is not None:
            raise ConfigError(f"folds must be None when path is a file ({path}), got {folds!r}")
        m = re.fullmatch(r"fold(\d+)\.json", path.name)
        return [(int(m.group(1)) if m else None, path)]
    if not path.is_dir():
        raise ConfigError(
            f"path must be the NLU++ folder, a domain folder or a fold file, got {path} "
            "(does not exist)"
        )
    folder = path / domain if (path / domain).is_dir() else path
    found = {
        int(m.group(1)): p
        for p in folder.glob("fold*.json")
        if (m := re.fullmatch(r"fold(\d+)\.json", p.name))
    }
    if not found:
        domains = sorted(p.name for p in path.iterdir() if p.is_dir())
        raise ConfigError(
            f"no fold*.json for domain={domain!r} under {path}; expected {path}/{domain}/"
            f"fold0.json ... (domains there: {domains})"
        )
    if folds is None:
        return sorted(found.items())
    wanted = [operator.index(k) for k in folds]
    missing = [k for k in wanted if k not in found]
    if missing:
        raise ConfigError(
            f"folds={list(folds)!r} asks for fold(s) {missing} that {folder} does not have "
            f"(has {sorted(found)})"
        )
    return [(k, found[k]) for k in wanted]


def load_nlupp_slots(
    path: str | Path,
    domain: str = "banking",
    folds: Sequence[int] | None = None,
    *,
    overlap: Overlap = "nested",
    on_error: Literal["skip", "raise"] = "skip",
) -> SpanDataset:
    """Load NLU++ slot spans (Casanueva et al., 2022) as a span dataset.

    Source format (``{domain}/fold{k}.json``): a list of ``{"text", "intents": [...],
    "slots": {name: {"text", "span": [start, end], ...}}}``; a missing key means none. Each
    slot becomes ``Span(start, end, name)``; its recorded ``"text"`` must equal the covered
    text.

    Parameters
    ----------
    path : str or Path
        The NLU++ folder (holding ``banking/``, ``hotels/``), one domain's folder, or one
        fold file.
    domain : str, default "banking"
        Used when ``path`` holds domain folders.
    folds : sequence of int, optional
        Fold numbers to read (default: every fold found), in this order.
    overlap : {"forbid", "allow", "nested"}, default "nested"
        The rule the rows are checked against (hotels has two nested pairs, e.g. "this
        afternoon" (date) around "afternoon" (time_period)).
    on_error : {"skip", "raise"}, default "skip"
        A broken source row is left out and reported in ``skipped``, or raises.

    Returns
    -------
    SpanDataset
        Columns ``item_id`` ("banking/fold3/12"), ``text``, ``spans``, ``intents`` (tuple of
        str), ``fold``.

    Raises
    ------
    ConfigError
        Missing folder, domain or fold; unreadable JSON; no span at all; with
        ``on_error="raise"``, a broken row.

    Examples
    --------
    >>> ds = load_nlupp_slots("../shared/data/nlupp", folds=[2])  # doctest: +SKIP
    >>> ds.frame.columns.tolist()  # doctest: +SKIP
    ['item_id', 'text', 'spans', 'intents', 'fold']
    """
    _check_loader_args(overlap, on_error)
    files = _nlupp_files(Path(path), domain, folds)
    acc = _Rows(on_error)
    for fold, file in files:
        for i, ex in enumerate(_read_json_list(file)):
            item_id = f"{domain}/{file.stem}/{i}" if fold is not None else f"{file.stem}/{i}"
            if not isinstance(ex, dict):
                acc.add(item_id, None, [], overlap, {})
                continue
            slots = ex.get("slots") or {}
            raw: list[_RawSpan] = []
            bad: str | None = None
            if not isinstance(slots, dict):
                bad = f"slots must be an object, got {type(slots).__name__}"
            else:
                for name, slot in slots.items():
                    span = slot.get("span") if isinstance(slot, dict) else None
                    if not isinstance(span, list) or len(span) != 2:
                        bad = f"slot {name!r} has no [start, end] span: {slot!r}"
                        break
                    expected = slot.get("text")
                    raw.append(
                        (span[0], span[1], name, expected if isinstance(expected, str) else None)
                    )
            if bad is not None:
                acc.fail(f"item {item_id!r}: {bad}")
                continue
            intents = tuple(str(x) for x in ex.get("intents") or ())
            acc.add(item_id, ex.get("text"), raw, overlap, {"intents": intents, "fold": fold})
    source = ", ".join(str(f) for _, f in files[:3]) + (" ..." if len(files) > 3 else "")
    return acc.dataset(overlap, source, ["item_id", "text", "spans", "intents", "fold"])


def load_restaurant8k(
    path: str | Path,
    *,
    overlap: Overlap = "nested",
    on_error: Literal["skip", "raise"] = "skip",
) -> SpanDataset:
    """Load the Restaurant-8k span-extraction turns (Coope et al., 2020, "Span-ConveRT").

    Source format: a list of ``{"userInput": {"text"}, "context": {"requestedSlots": [...]},
    "labels": [{"slot", "valueSpan": {"startIndex" (absent = 0), "endIndex"}}]}``.

    Parameters
    ----------
    path : str or Path
        ``test.json`` (or any file of that format), or the folder holding ``test.json``.
    overlap : {"forbid", "allow", "nested"}, default "nested"
        The test split has 18 turns with two spans over the same words (a time inside a
        date, or the same words as both, e.g. "in an hour"); all are nested.
    on_error : {"skip", "raise"}, default "skip"

    Returns
    -------
    SpanDataset
        Columns ``item_id`` (the row's position as str), ``text``, ``spans``,
        ``requested_slots`` (tuple of str: what the system had just asked for; the same
        words can be a time or a number of people depending on it).

    Raises
    ------
    ConfigError
        Missing file, unreadable JSON, no span at all; with ``on_error="raise"``, a broken row.

    Examples
    --------
    >>> ds = load_restaurant8k("../shared/data/restaurant8k")  # doctest: +SKIP
    >>> ds.schema.types  # doctest: +SKIP
    ('date', 'first_name', 'last_name', 'people', 'time')
    """
    _check_loader_args(overlap, on_error)
    file = Path(path)
    if file.is_dir():
        file = file / "test.json"
    if not file.is_file():
        raise ConfigError(f"path must be restaurant8k's test.json or its folder, got {path}")
    acc = _Rows(on_error)
    for i, ex in enumerate(_read_json_list(file)):
        item_id = str(i)
        user = ex.get("userInput") if isinstance(ex, dict) else None
        text = user.get("text") if isinstance(user, dict) else None
        raw: list[_RawSpan] = []
        bad: str | None = None
        for label in (ex.get("labels") or []) if isinstance(ex, dict) else []:
            value = label.get("valueSpan") if isinstance(label, dict) else None
            if not isinstance(value, dict) or "endIndex" not in value:
                bad = f"label {label!r} has no valueSpan.endIndex"
                break
            raw.append((value.get("startIndex", 0), value["endIndex"], label.get("slot"), None))
        if bad is not None:
            acc.fail(f"item {item_id!r}: {bad}")
            continue
        context = ex.get("context") if isinstance(ex, dict) else None
        requested = context.get("requestedSlots") if isinstance(context, dict) else None
        extra = {"requested_slots": tuple(str(s) for s in requested or ())}
        acc.add(item_id, text, raw, overlap, extra)
    return acc.dataset(overlap, str(file), ["item_id", "text", "spans", "requested_slots"])
