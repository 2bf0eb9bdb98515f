"""Prediction units: label a document column per document, sentence, chunk or message.

A *unit* is what the annotator labels and the model predicts on. Each unit keeps its
provenance: the id of its parent (the document's id in the data, or the thread id for
messages), its kind, its position within the parent and its character offsets, so that every
file and the widget can show where it comes from (the neighbours are shown dimmed around it)
and predictions can be rolled up to the parent.

::

    frame --split_units(frame, text, UnitSpec(...))--> units (one row per unit, index unit_id)
          columns: parent_id, kind, position, start, end, text (+ order, row_id for messages)
    units --context(units, unit_id)--> Context (neighbours, the parent's text and highlight)
    units + parents --check_units--> raises on a unit whose parent is missing, bad offsets...
    unit predictions + parent ids --rollup(how="any" | "majority" | "max")--> one per parent

Everything here is a pure function or a frozen record; the session wires them in.
"""

from __future__ import annotations

import importlib
import math
import re
import warnings
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, cast

import numpy as np
import pandas as pd

from jupyter_al._data import check_item_ids, missing_text, require_columns, to_item_id
from jupyter_al._types import TASKS, ItemId, Task
from jupyter_al.exceptions import ConfigError, LabelError

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "KINDS",
    "MESSAGE_COLUMNS",
    "ROLLUPS",
    "SPLITTERS",
    "UNIT_COLUMNS",
    "Context",
    "Kind",
    "Unit",
    "UnitSpec",
    "check_units",
    "chunk_spans",
    "context",
    "rollup",
    "rollup_proba",
    "sentence_spans",
    "split_text",
    "split_units",
    "unit_id",
]

Kind: TypeAlias = Literal["document", "sentence", "chunk", "message"]
ChunkBy: TypeAlias = Literal["chars", "tokens"]
RollupHow: TypeAlias = Literal["any", "majority", "max"]
OnEmpty: TypeAlias = Literal["raise", "skip"]
#: A unit's character offsets in its parent's text: ``text[start:end]``.
Span: TypeAlias = tuple[int, int]
#: A sentence splitter: ``text -> [(start, end), ...]``, increasing and not overlapping.
Splitter: TypeAlias = Callable[[str], Sequence[tuple[int, int]]]

#: The unit kinds, in the interview's order.
KINDS: Final[tuple[Kind, ...]] = ("document", "sentence", "chunk", "message")
#: How unit predictions roll up to their parent (see :func:`rollup`).
ROLLUPS: Final[tuple[RollupHow, ...]] = ("any", "majority", "max")
#: The columns of a units frame (besides its index, ``unit_id``).
UNIT_COLUMNS: Final = ("parent_id", "kind", "position", "start", "end", "text")
#: The extra columns of message units: the order value and the message's own row id.
MESSAGE_COLUMNS: Final = ("order", "row_id")

_KIND_LETTER: Final[dict[str, str]] = {
    "document": "d",
    "sentence": "s",
    "chunk": "c",
    "message": "m",
}
_CHUNK_BY: Final[tuple[ChunkBy, ...]] = ("chars", "tokens")
_MAX_LISTED: Final = 5


def _preview(values: Iterable[object], limit: int = _MAX_LISTED) -> str:
    items = list(values)
    shown = ", ".join(repr(v) for v in items[:limit])
    more = f", ... ({len(items) - limit} more)" if len(items) > limit else ""
    return f"({shown}{more})"


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def unit_id(parent_id: ItemId, kind: Kind, position: int) -> str:
    """Return the stable id of the unit at ``position`` of ``kind`` in ``parent_id``.

    The id is ``f"{parent_id}#{letter}{position}"`` with the letter ``d``, ``s``, ``c`` or
    ``m`` for document, sentence, chunk and message. It stays the same as long as the parent's
    text (or, for messages, the thread) stays the same.

    Parameters
    ----------
    parent_id : int or str
    kind : {"document", "sentence", "chunk", "message"}
    position : int
        0-based position of the unit within its parent.

    Returns
    -------
    str

    Examples
    --------
    >>> unit_id("doc7", "sentence", 2), unit_id(3, "chunk", 0)
    ('doc7#s2', '3#c0')
    """
    letter = _KIND_LETTER.get(kind)
    if letter is None:
        raise ConfigError(f"kind must be one of {KINDS}, got {kind!r}")
    return f"{parent_id}#{letter}{position}"


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unit:
    """One unit and its provenance.

    Parameters
    ----------
    unit_id : str
        ``unit_id(parent_id, kind, position)``.
    parent_id : int or str
        The document's id in the data, or the thread id for messages.
    kind : {"document", "sentence", "chunk", "message"}
    position : int
        0-based position within the parent.
    start, end : int
        Character offsets: ``parent_text[start:end] == text``. For messages they are offsets
        in the message itself (``0`` and ``len(text)`` unless it had surrounding whitespace).
    text : str
        The unit's text, without leading or trailing whitespace.

    Examples
    --------
    >>> u = Unit("d1#s0", "d1", "sentence", 0, 0, 3, "Hi.")
    >>> Unit.from_dict(u.to_dict()) == u
    True
    """

    unit_id: str
    parent_id: ItemId
    kind: Kind
    position: int
    start: int
    end: int
    text: str

    def __post_init__(self) -> None:
        """Check types and offsets."""
        if not isinstance(self.unit_id, str):
            raise ConfigError(
                f"unit_id must be a str, got {type(self.unit_id).__name__} {self.unit_id!r}"
            )
        if self.kind not in KINDS:
            raise ConfigError(
                f"unit {self.unit_id!r}: kind must be one of {KINDS}, got {self.kind!r}"
            )
        for name in ("position", "start", "end"):
            value = getattr(self, name)
            if not _is_int(value) or value < 0:
                raise ConfigError(
                    f"unit {self.unit_id!r}: {name} must be a non-negative int, got {value!r}"
                )
        if self.end - self.start != len(self.text):
            raise ConfigError(
                f"unit {self.unit_id!r}: offsets ({self.start}, {self.end}) span "
                f"{self.end - self.start} characters, but its text has {len(self.text)}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (the unit's provenance and text).

        Examples
        --------
        >>> Unit("3#c0", 3, "chunk", 0, 0, 2, "ab").to_dict()["parent_id"]
        3
        """
        return {
            "unit_id": self.unit_id,
            "parent_id": self.parent_id,
            "kind": self.kind,
            "position": self.position,
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Unit:
        """Rebuild a unit from :meth:`to_dict`.

        Examples
        --------
        >>> Unit.from_dict({"unit_id": "a#d0", "parent_id": "a", "kind": "document",
        ...                 "position": 0, "start": 0, "end": 1, "text": "x"}).kind
        'document'
        """
        _check_keys(data, [f.name for f in fields(cls)], what="unit")
        return cls(**data)


def _check_keys(data: Mapping[str, Any], known: Sequence[str], *, what: str) -> None:
    unknown = sorted(str(k) for k in set(data) - set(known))
    if unknown:
        raise ConfigError(f"{what} has unknown keys {unknown}; expected some of {sorted(known)}")


def _callable_name(func: object) -> str:
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    return f"custom:{name or type(func).__name__}"


@dataclass(frozen=True, slots=True)
class UnitSpec:
    """How a document column is cut into units. Validated when built.

    Parameters
    ----------
    kind : {"document", "sentence", "chunk", "message"}, default="document"
        ``"document"``: one unit per row. ``"sentence"``: the splitter's sentences.
        ``"chunk"``: fixed-size windows with overlap. ``"message"``: the rows are messages of
        conversations; each thread is a parent.
    size : int, optional
        Chunks only (required): the window size, in tokens or characters.
    overlap : int, optional
        Chunks only: how many tokens or characters consecutive windows share; ``0 <= overlap
        < size``. Default 0.
    by : {"tokens", "chars"}, optional
        Chunks only: what ``size`` counts. Tokens are runs of non-whitespace characters.
        Default ``"tokens"``.
    thread, order : str, optional
        Messages only (required): the column with the thread id, and the column that orders
        the messages within a thread (numbers, timestamps, or any values that sort).
    splitter : str or callable, default="default"
        Sentences only: a name in :data:`SPLITTERS` (``"default"`` ends a sentence at every
        line break, ``"wrapped"`` only at blank lines) or a function ``text -> [(start, end),
        ...]`` returning increasing, non-overlapping spans. A function is recorded by its
        qualified name (``"custom:<qualname>"``) and must be passed again to
        :meth:`from_dict`.

    Raises
    ------
    ConfigError
        An unknown kind, a parameter that does not apply to the kind, a missing one, a size
        below 1, an overlap not below the size, an unknown splitter name.

    Examples
    --------
    >>> spec = UnitSpec("chunk", size=100, overlap=20)
    >>> spec.by, spec.to_dict()["size"]
    ('tokens', 100)
    >>> UnitSpec.from_dict(spec.to_dict()) == spec
    True
    """

    kind: Kind = "document"
    size: int | None = None
    overlap: int | None = None
    by: ChunkBy | None = None
    thread: str | None = None
    order: str | None = None
    splitter: str | Splitter = "default"

    def __post_init__(self) -> None:
        """Check that every parameter fits the kind; fill the chunk defaults."""
        if self.kind not in KINDS:
            raise ConfigError(f"kind must be one of {KINDS}, got {self.kind!r}")
        self._check_chunk()
        self._check_message()
        if self.kind == "sentence":
            if isinstance(self.splitter, str):
                if self.splitter not in SPLITTERS:
                    raise ConfigError(
                        f"splitter must be one of {tuple(SPLITTERS)} or a function text -> "
                        f"[(start, end), ...], got {self.splitter!r}"
                    )
            elif not callable(self.splitter):
                raise ConfigError(
                    f"splitter must be a name or a function text -> [(start, end), ...], "
                    f"got {type(self.splitter).__name__}"
                )
        elif not (isinstance(self.splitter, str) and self.splitter == "default"):
            raise ConfigError(
                f"splitter applies only to kind='sentence', got splitter="
                f"{self.splitter_name!r} with kind={self.kind!r}"
            )

    def _check_chunk(self) -> None:
        if self.kind != "chunk":
            for name in ("size", "overlap", "by"):
                value = getattr(self, name)
                if value is not None:
                    raise ConfigError(
                        f"{name} applies only to kind='chunk', got {name}={value!r} with "
                        f"kind={self.kind!r}"
                    )
            return
        size, overlap = self.size, 0 if self.overlap is None else self.overlap
        if size is None:
            raise ConfigError("kind='chunk' needs size= (tokens or characters per chunk), got None")
        if not _is_int(size) or size < 1:
            raise ConfigError(f"size must be an integer >= 1, got {size!r}")
        if not _is_int(overlap) or overlap < 0:
            raise ConfigError(f"overlap must be an integer >= 0, got {overlap!r}")
        if overlap >= size:
            raise ConfigError(
                f"overlap must be smaller than size (each chunk must move on), got "
                f"overlap={overlap} with size={size}"
            )
        by = "tokens" if self.by is None else self.by
        if by not in _CHUNK_BY:
            raise ConfigError(f"by must be one of {_CHUNK_BY}, got {by!r}")
        object.__setattr__(self, "size", int(size))
        object.__setattr__(self, "overlap", int(overlap))
        object.__setattr__(self, "by", by)

    def _check_message(self) -> None:
        if self.kind != "message":
            for name in ("thread", "order"):
                value = getattr(self, name)
                if value is not None:
                    raise ConfigError(
                        f"{name} applies only to kind='message', got {name}={value!r} with "
                        f"kind={self.kind!r}"
                    )
            return
        for name in ("thread", "order"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ConfigError(
                    f"kind='message' needs {name}= (the name of the "
                    f"{'thread id' if name == 'thread' else 'message order'} column), "
                    f"got {value!r}"
                )
        if self.thread == self.order:
            raise ConfigError(
                f"thread and order must be two different columns, got {self.thread!r} for both"
            )

    @property
    def splitter_name(self) -> str:
        """The splitter's name, or ``"custom:<qualname>"`` for a function."""
        if isinstance(self.splitter, str):
            return self.splitter
        return _callable_name(self.splitter)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict; a splitter function is recorded by its name.

        Examples
        --------
        >>> UnitSpec("message", thread="conv", order="turn").to_dict()["thread"]
        'conv'
        """
        return {
            "kind": self.kind,
            "size": self.size,
            "overlap": self.overlap,
            "by": self.by,
            "thread": self.thread,
            "order": self.order,
            "splitter": self.splitter_name,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, splitter: Splitter | None = None) -> UnitSpec:
        """Rebuild a spec from :meth:`to_dict`.

        Parameters
        ----------
        data : mapping
        splitter : callable, optional
            The splitter function, needed when ``data`` records one (``"custom:..."``);
            its qualified name must match the recorded one.

        Raises
        ------
        ConfigError
            Unknown keys; a recorded splitter function that was not passed again, or a
            function of another name; a function passed for a named splitter.

        Examples
        --------
        >>> def by_line(text):
        ...     return [(0, len(text))]
        >>> d = UnitSpec("sentence", splitter=by_line).to_dict()
        >>> d["splitter"]
        'custom:by_line'
        >>> UnitSpec.from_dict(d, splitter=by_line).splitter is by_line
        True
        """
        known = ("kind", "size", "overlap", "by", "thread", "order", "splitter")
        _check_keys(data, known, what="unit spec")
        d = dict(data)
        recorded = d.get("splitter", "default")
        if isinstance(recorded, str) and recorded.startswith("custom:"):
            if splitter is None:
                raise ConfigError(
                    f"this unit spec used your own splitter ({recorded[7:]}); pass splitter= "
                    "with the same function"
                )
            if _callable_name(splitter) != recorded:
                raise ConfigError(
                    f"splitter must be the function this unit spec recorded ({recorded[7:]}), "
                    f"got {_callable_name(splitter)[7:]}"
                )
            d["splitter"] = splitter
        elif splitter is not None:
            raise ConfigError(
                f"splitter= is only for a spec that recorded a function, but this one uses the "
                f"named splitter {recorded!r}"
            )
        return cls(**d)


# --------------------------------------------------------------------------------------------
# Sentence splitting
# --------------------------------------------------------------------------------------------

# Every line break str.splitlines knows.
_BREAK = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_LINE = re.compile(f"[^{_BREAK}]+")
_NEWLINE = f"(?:\\r\\n|[{_BREAK}])"  # "\r\n" is one line break
_PARAGRAPH_BREAK = re.compile(f"{_NEWLINE}(?:[^\\S{_BREAK}]*{_NEWLINE})+")
_BREAK_TO_SPACE = str.maketrans(dict.fromkeys(_BREAK, " "))
# A sentence ends only at one of these (or at a line break): a stretch of text without them
# is one sentence, and pysbd is not called on it (it would split inline list markers such
# as "(a) ... (b) ..." there, and it is the slow part).
_TERMINAL = re.compile("[.!?\u2026\u203c\u2047-\u2049\u3002\uff01\uff1f]")
_TOKEN = re.compile(r"\S+")
# pysbd's cost grows faster than the text (it rewrites the whole text once per abbreviation
# found); long stretches are therefore cut into windows of about this many characters.
_WINDOW = 2000
# Abbreviations that, followed by a lower-case word or a number, never end a sentence; pysbd
# splits after some of them ("approx. 5", "vol. 3", "pct. vs. last year"). Its own list also
# holds common words ("is", "me", "may", "ok"), which must not glue sentences together.
_ABBREVIATIONS: Final = frozenset(
    _TOKEN.findall(
        "a.m p.m approx appt apt assn asst ave avg blvd ca cf co corp dept dist dr e.g eg esp "
        "est etc govt i.e ie inc incl jr lt ltd misc mr mrs ms mt pct ph.d prof sr st u.k u.s "
        "univ viz vs jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun"
    )
)
# Abbreviations that do not end a sentence only before a number ("No. 5", "p. 55", "Fig. 3").
_NUMBER_ABBREVIATIONS: Final = frozenset(
    _TOKEN.findall("art ch eq eqs fig figs no nos p pp pt ref sec tel vol vols")
)
_DOTTED = re.compile(r"(?:[a-z]{1,3}\.){2,}")  # u.s. e.g. ph.d. a.m.


@cache
def _segmenter() -> Any:
    try:
        with warnings.catch_warnings():
            # pysbd's regexes hold invalid escape sequences ("\s" in plain strings): compiling
            # them warns (DeprecationWarning, SyntaxWarning from 3.12), which the test run
            # turns into errors when pip left no .pyc behind. The regexes work as meant.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", SyntaxWarning)
            pysbd = importlib.import_module("pysbd")
    except ImportError as exc:  # pragma: no cover - pysbd is a dependency
        raise ConfigError(
            "the default sentence splitter needs the pysbd package, which is not installed "
            "(pip install pysbd); or pass splitter= a function text -> [(start, end), ...]"
        ) from exc
    return pysbd.Segmenter(language="en", clean=False, char_span=False)


def _lstrip_pos(text: str, lo: int, hi: int) -> int:
    while lo < hi and text[lo].isspace():
        lo += 1
    return lo


def _rstrip_pos(text: str, lo: int, hi: int) -> int:
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    return hi


def _pysbd_starts(text: str, lo: int, hi: int) -> list[int]:
    """Sentence starts pysbd finds in ``text[lo:hi]`` (absolute; the first is ``lo``).

    pysbd's sentences are located in the text one after the other; one it changed (it can,
    in rare cases, even with ``clean=False``) is not found, and its characters stay with the
    sentence before: the starts always partition the text.
    """
    starts = [lo]
    cursor = lo
    for sentence in _segmenter().processor(text[lo:hi]).process():
        piece = sentence.strip()
        if not piece:
            continue
        found = text.find(piece, cursor, hi)
        if found < 0:
            continue
        if found > starts[-1]:
            starts.append(found)
        cursor = found + len(piece)
    return starts


def _windowed_starts(text: str, lo: int, hi: int) -> list[int]:
    """:func:`_pysbd_starts` over windows of about ``_WINDOW`` characters (linear time).

    Each window ends at whitespace; its last two sentences (the last may be cut, the one
    before may have been decided on a cut right context) are given again to the next
    window, so every start kept was decided with at least a whole sentence after it.
    """
    starts: list[int] = []
    pos, width = lo, _WINDOW
    while True:
        end = hi
        if hi - pos > width:
            cut = pos + width
            while cut < hi and not text[cut].isspace():
                cut += 1
            end = cut
        found = _pysbd_starts(text, pos, end)
        if end >= hi:
            starts.extend(found)
            return starts
        if len(found) < 3:  # a very long sentence: look further before deciding
            width *= 2
            continue
        starts.extend(found[:-2])
        pos, width = found[-2], _WINDOW


def _last_token(text: str, lo: int, hi: int) -> str:
    hi = _rstrip_pos(text, lo, hi)
    start = hi
    while start > lo and not text[start - 1].isspace():
        start -= 1
    return text[start:hi].lower().lstrip("([{\"'")


def _glued(text: str, prev: tuple[int, int], nxt: tuple[int, int]) -> bool:
    """Tell whether the break between ``prev`` and ``nxt`` is wrong (the two are one)."""
    piece = text[nxt[0] : nxt[1]]
    if not any(c.isalnum() for c in piece):  # only punctuation (pysbd's ".." and "...")
        return True
    token = _last_token(text, *prev)
    if not token.endswith("."):
        return False
    first = piece.lstrip()[:1]
    word = token.rstrip(".")
    if first.isdigit():
        return (
            word in _ABBREVIATIONS
            or word in _NUMBER_ABBREVIATIONS
            or bool(_DOTTED.fullmatch(token))
        )
    if first.islower():
        return word in _ABBREVIATIONS or bool(_DOTTED.fullmatch(token))
    return False


def _sentences_in(text: str, lo: int, hi: int) -> list[Span]:
    """Sentences of ``text[lo:hi]``, a stretch without line breaks (or with breaks as spaces)."""
    lo, hi = _lstrip_pos(text, lo, hi), _rstrip_pos(text, lo, hi)
    if lo >= hi:
        return []
    if not _TERMINAL.search(text, lo, hi):
        return [(lo, hi)]
    starts = _windowed_starts(text, lo, hi)
    bounds = [*starts, hi]
    pieces = [(bounds[i], bounds[i + 1]) for i in range(len(starts))]
    merged = [pieces[0]]
    for piece in pieces[1:]:
        if _glued(text, merged[-1], piece):
            merged[-1] = (merged[-1][0], piece[1])
        else:
            merged.append(piece)
    # a first piece of only punctuation joins the next one
    if len(merged) > 1 and not any(c.isalnum() for c in text[merged[0][0] : merged[0][1]]):
        merged[:2] = [(merged[0][0], merged[1][1])]
    return [(s, _rstrip_pos(text, s, e)) for s, e in merged]


def sentence_spans(text: str, *, wrapped: bool = False) -> list[Span]:
    r"""Split ``text`` into sentences; return their ``(start, end)`` character offsets.

    The default splitter: pysbd's rule-based English segmenter (the Golden Rules of
    pragmatic segmentation; no model, nothing downloaded) with a thin correction layer.
    Abbreviations ("Dr.", "e.g.", "U.S.", "p.m.", "Jan.") and decimals ("3.50") do not end a
    sentence. On top of pysbd:

    - a line break always ends a sentence (with ``wrapped=True``, only a blank line does:
      single line breaks are read as spaces, for hard-wrapped text);
    - a stretch without ``.``, ``!``, ``?`` or ``…`` is one sentence;
    - a break after a known abbreviation followed by a lower-case word or a number is undone
      ("approx. 5 dollars", "vol. 3"), and a piece of only punctuation joins the sentence
      before it;
    - long paragraphs are cut into windows of about 2,000 characters, so the time stays
      linear in the length of the text.

    Each span is trimmed of surrounding whitespace, so ``text[start:end]`` is the sentence;
    the spans are increasing, do not overlap, and together hold every non-whitespace
    character of ``text``.

    Parameters
    ----------
    text : str
    wrapped : bool, default=False
        Treat single line breaks as spaces (only blank lines end a sentence).

    Returns
    -------
    list of (int, int)

    Examples
    --------
    >>> text = "Dr. Smith paid $3.50 at 5 p.m. on Jan. 3. Then he left."
    >>> [text[s:e] for s, e in sentence_spans(text)]
    ['Dr. Smith paid $3.50 at 5 p.m. on Jan. 3.', 'Then he left.']
    """
    spans: list[Span] = []
    if wrapped:
        flat = text.translate(_BREAK_TO_SPACE)  # same length: offsets stay valid
        pos = 0
        for m in _PARAGRAPH_BREAK.finditer(text):
            spans.extend(_sentences_in(flat, pos, m.start()))
            pos = m.end()
        spans.extend(_sentences_in(flat, pos, len(text)))
        return spans
    for m in _LINE.finditer(text):
        spans.extend(_sentences_in(text, m.start(), m.end()))
    return spans


def _wrapped_sentence_spans(text: str) -> list[Span]:
    """:func:`sentence_spans` for hard-wrapped text: only blank lines end a paragraph."""
    return sentence_spans(text, wrapped=True)


#: Named sentence splitters for ``UnitSpec(splitter=...)``.
SPLITTERS: Final[Mapping[str, Splitter]] = {
    "default": sentence_spans,
    "wrapped": _wrapped_sentence_spans,
}


# --------------------------------------------------------------------------------------------
# Chunks
# --------------------------------------------------------------------------------------------


def chunk_spans(text: str, size: int, overlap: int = 0, *, by: ChunkBy = "tokens") -> list[Span]:
    """Cut ``text`` into windows of ``size`` tokens or characters sharing ``overlap``.

    Windows start every ``size - overlap`` tokens (or characters) and the last one ends with
    the text, so it may be shorter; a text shorter than ``size`` is one chunk; there is never
    an empty chunk. Tokens are runs of non-whitespace characters, and a token chunk runs from
    its first token's start to its last token's end. Character windows are laid over the text
    from its first to its last non-whitespace character, then each is trimmed of
    surrounding whitespace (a window of only whitespace is dropped).

    Parameters
    ----------
    text : str
    size : int
        Tokens or characters per chunk, at least 1.
    overlap : int, default=0
        Shared between consecutive chunks, ``0 <= overlap < size``.
    by : {"tokens", "chars"}, default="tokens"

    Returns
    -------
    list of (int, int)
        Character offsets into ``text``.

    Raises
    ------
    ConfigError
        ``size``, ``overlap`` or ``by`` out of range.

    Examples
    --------
    >>> text = "a b c d e f g"
    >>> [text[s:e] for s, e in chunk_spans(text, 3, 1)]
    ['a b c', 'c d e', 'e f g']
    >>> word = "abcdefgh"
    >>> [word[s:e] for s, e in chunk_spans(word, 4, 1, by="chars")]
    ['abcd', 'defg', 'gh']
    """
    spec = UnitSpec("chunk", size=size, overlap=overlap, by=by)  # validates
    step = size - cast("int", spec.overlap)
    spans: list[Span] = []
    if spec.by == "tokens":
        tokens = [m.span() for m in _TOKEN.finditer(text)]
        i = 0
        while i < len(tokens):
            last = min(i + size, len(tokens)) - 1
            spans.append((tokens[i][0], tokens[last][1]))
            if last == len(tokens) - 1:
                break
            i += step
        return spans
    lo, hi = _lstrip_pos(text, 0, len(text)), _rstrip_pos(text, 0, len(text))
    start = lo
    while start < hi:
        end = min(start + size, hi)
        s, e = _lstrip_pos(text, start, end), _rstrip_pos(text, start, end)
        if s < e:
            spans.append((s, e))
        if end >= hi:
            break
        start += step
    return spans


# --------------------------------------------------------------------------------------------
# Splitting a frame
# --------------------------------------------------------------------------------------------


def _checked_spans(spans: object, text: str, *, splitter: str, parent_id: ItemId) -> list[Span]:
    """Validate a custom splitter's spans, trim them and drop the empty ones."""
    where = f"splitter {splitter[7:]!r} on parent {parent_id!r}"
    if not isinstance(spans, Sequence) or isinstance(spans, str):
        raise ConfigError(
            f"{where} must return a list of (start, end) pairs, got {type(spans).__name__}"
        )
    out: list[Span] = []
    prev_end = 0
    for pair in spans:
        ok = isinstance(pair, Sequence) and len(pair) == 2 and all(_is_int(v) for v in pair)
        if not ok:
            raise ConfigError(f"{where} must return (start, end) pairs of ints, got {pair!r}")
        s, e = int(pair[0]), int(pair[1])
        if not prev_end <= s < e <= len(text):
            raise ConfigError(
                f"{where} returned {(s, e)!r}: expected {prev_end} <= start < end <= "
                f"{len(text)} (increasing spans that do not overlap, within the text)"
            )
        prev_end = e
        s, e = _lstrip_pos(text, s, e), _rstrip_pos(text, s, e)
        if s < e:
            out.append((s, e))
    return out


def _spans(text: str, spec: UnitSpec, parent_id: ItemId) -> list[Span]:
    if spec.kind == "document":
        s, e = _lstrip_pos(text, 0, len(text)), _rstrip_pos(text, 0, len(text))
        return [(s, e)] if s < e else []
    if spec.kind == "chunk":
        return chunk_spans(
            text, cast("int", spec.size), cast("int", spec.overlap), by=cast("ChunkBy", spec.by)
        )
    if isinstance(spec.splitter, str):
        return list(SPLITTERS[spec.splitter](text))
    return _checked_spans(
        spec.splitter(text), text, splitter=spec.splitter_name, parent_id=parent_id
    )


def split_text(text: str, spec: UnitSpec, *, parent_id: ItemId) -> list[Unit]:
    """Cut one document into units (document, sentence or chunk).

    Parameters
    ----------
    text : str
    spec : UnitSpec
        Not of kind ``"message"`` (messages need their frame: use :func:`split_units`).
    parent_id : int or str
        The document's id.

    Returns
    -------
    list of Unit
        In order; empty when ``text`` is only whitespace.

    Raises
    ------
    ConfigError
        A message spec, a text that is not a str, or a splitter returning bad spans.

    Examples
    --------
    >>> [u.unit_id for u in split_text("One. Two.", UnitSpec("sentence"), parent_id=9)]
    ['9#s0', '9#s1']
    """
    if spec.kind == "message":
        raise ConfigError(
            "split_text cuts one document; kind='message' units come from a frame of "
            "messages: use split_units(frame, text_column, spec)"
        )
    if not isinstance(text, str):
        raise ConfigError(
            f"text of parent {parent_id!r} must be a str, got {type(text).__name__} {text!r}"
        )
    return [
        Unit(unit_id(parent_id, spec.kind, pos), parent_id, spec.kind, pos, s, e, text[s:e])
        for pos, (s, e) in enumerate(_spans(text, spec, parent_id))
    ]


def _check_unique_keys(ids: Iterable[ItemId], *, what: str) -> None:
    seen: dict[str, ItemId] = {}
    for value in ids:
        key = str(value)
        other = seen.setdefault(key, value)
        if other != value or type(other) is not type(value):
            raise ConfigError(
                f"{what} {other!r} and {value!r} would give the same unit ids ({key}#...); "
                "make the ids distinct as strings"
            )


def _empty_frame(kind: Kind) -> pd.DataFrame:
    columns = [*UNIT_COLUMNS, *(MESSAGE_COLUMNS if kind == "message" else ())]
    return pd.DataFrame(
        {
            c: pd.Series([], dtype="int64" if c in {"position", "start", "end"} else object)
            for c in columns
        },
        index=pd.Index([], dtype=object, name="unit_id"),
    )


def _frame_of(units: list[Unit], extra: Mapping[str, Any] | None = None) -> pd.DataFrame:
    data: dict[str, Any] = {
        "parent_id": pd.Series([u.parent_id for u in units], dtype=object),
        "kind": [u.kind for u in units],
        "position": np.array([u.position for u in units], dtype=np.int64),
        "start": np.array([u.start for u in units], dtype=np.int64),
        "end": np.array([u.end for u in units], dtype=np.int64),
        "text": [u.text for u in units],
    }
    data.update(extra or {})
    frame = pd.DataFrame(data)
    frame.index = pd.Index([u.unit_id for u in units], dtype=object, name="unit_id")
    return frame


def _text_rows(
    frame: pd.DataFrame, text_column: Hashable, on_empty: OnEmpty
) -> tuple[pd.DataFrame, list[str]]:
    """Rows with usable text (checked to be str); raise on or drop the empty ones."""
    if on_empty not in ("raise", "skip"):
        raise ConfigError(f"on_empty must be 'raise' or 'skip', got {on_empty!r}")
    empty = missing_text(frame[text_column])
    if len(empty):
        if on_empty == "raise":
            ids = [to_item_id(x) for x in empty]
            raise ConfigError(
                f"text column {text_column!r} is empty or missing in {len(ids)} row(s): "
                f"{_preview(ids)}; a unit needs text: drop those rows first or pass "
                "on_empty='skip'"
            )
        frame = frame.drop(index=empty)
    values = frame[text_column].to_numpy(dtype=object)
    for row_id, value in zip(frame.index, values, strict=True):
        if not isinstance(value, str):
            raise ConfigError(
                f"text column {text_column!r} must hold str, got {type(value).__name__} "
                f"{value!r} in row {to_item_id(row_id)!r}"
            )
    return frame, [str(v) for v in values]


def split_units(
    frame: pd.DataFrame, text_column: Hashable, spec: UnitSpec, *, on_empty: OnEmpty = "raise"
) -> pd.DataFrame:
    """Cut the text column of ``frame`` into units: one row per unit.

    For documents, sentences and chunks each row of ``frame`` is a parent, and its index
    value is the ``parent_id``. For messages each row is a unit: rows are grouped by the
    ``spec.thread`` column (the ``parent_id``) and ranked within their thread by the
    ``spec.order`` column (``position`` is the rank); offsets are within the message.

    Rows come in a fixed order: parents in order of first appearance in ``frame``, then by
    position. Rows whose text is empty, missing or only whitespace are an error by default
    (a unit needs text); with ``on_empty="skip"`` they give no unit (the skipped rows are
    ``jupyter_al._data.missing_text(frame[text_column])``; report them as the session does
    for the pool).

    Parameters
    ----------
    frame : DataFrame
        Indexed by item id (unique ints or strs).
    text_column : column name
    spec : UnitSpec
    on_empty : {"raise", "skip"}, default="raise"

    Returns
    -------
    DataFrame
        Index ``unit_id`` (str); columns ``parent_id``, ``kind``, ``position``, ``start``,
        ``end``, ``text``; for messages also ``order`` (the order value) and ``row_id`` (the
        message's index value in ``frame``).

    Raises
    ------
    ConfigError
        Missing columns, bad or duplicated ids, empty text (``on_empty="raise"``), text that
        is not a str, ids that collide as strings (``1`` and ``"1"``); for messages a missing
        thread id, a missing order value or two messages of one thread with the same order
        value (the error names the thread).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"text": ["Hi. Bye.", "One."]}, index=["a", "b"])
    >>> units = split_units(df, "text", UnitSpec("sentence"))
    >>> units.index.tolist()
    ['a#s0', 'a#s1', 'b#s0']
    >>> units[["parent_id", "position", "start", "end", "text"]].to_numpy().tolist()[1]
    ['a', 1, 4, 8, 'Bye.']
    """
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(f"frame must be a DataFrame, got {type(frame).__name__}")
    if not isinstance(spec, UnitSpec):
        raise ConfigError(f"spec must be a UnitSpec, got {type(spec).__name__}")
    check_item_ids(frame, argument="frame")
    if spec.kind == "message":
        return _split_messages(frame, text_column, spec, on_empty)
    require_columns(frame, [text_column], argument="text_column")
    frame, texts = _text_rows(frame, text_column, on_empty)
    parents = [to_item_id(x) for x in frame.index]
    _check_unique_keys(parents, what="parent ids")
    units: list[Unit] = []
    for parent, text in zip(parents, texts, strict=True):
        units.extend(split_text(text, spec, parent_id=parent))
    return _frame_of(units) if units else _empty_frame(spec.kind)


def _split_messages(
    frame: pd.DataFrame, text_column: Hashable, spec: UnitSpec, on_empty: OnEmpty
) -> pd.DataFrame:
    thread_col, order_col = cast("str", spec.thread), cast("str", spec.order)
    require_columns(frame, [text_column], argument="text_column")
    require_columns(frame, [thread_col], argument="spec.thread")
    require_columns(frame, [order_col], argument="spec.order")
    for name, col in (("thread", thread_col), ("order", order_col)):
        if col == text_column:
            raise ConfigError(
                f"spec.{name} must name another column than the text column, got {col!r}"
            )
    frame, texts = _text_rows(frame, text_column, on_empty)
    threads: dict[ItemId, list[int]] = {}
    for pos, (row_id, value) in enumerate(zip(frame.index, frame[thread_col], strict=True)):
        if _missing(value):
            raise ConfigError(
                f"thread column {thread_col!r} is missing in row {to_item_id(row_id)!r}: "
                "every message needs a thread id"
            )
        try:
            key = to_item_id(value)
        except ConfigError:
            raise ConfigError(
                f"thread column {thread_col!r} must hold ints or strs, got "
                f"{type(value).__name__} {value!r} in row {to_item_id(row_id)!r}"
            ) from None
        threads.setdefault(key, []).append(pos)
    _check_unique_keys(threads, what="thread ids")
    orders = frame[order_col].to_numpy(dtype=object)
    row_ids = [to_item_id(x) for x in frame.index]
    units: list[Unit] = []
    taken: list[int] = []
    for thread, positions in threads.items():
        ranked = _rank_thread(thread, positions, orders, row_ids, order_col)
        for rank, pos in enumerate(ranked):
            text = texts[pos]
            s, e = _lstrip_pos(text, 0, len(text)), _rstrip_pos(text, 0, len(text))
            uid = unit_id(thread, "message", rank)
            units.append(Unit(uid, thread, "message", rank, s, e, text[s:e]))
            taken.append(pos)
    if not units:
        return _empty_frame("message")
    # the order column keeps its dtype (numbers, timestamps...); row ids are plain ints/strs
    order_values = frame[order_col].iloc[taken].to_numpy()
    message_rows = pd.Series([row_ids[p] for p in taken], dtype=object)
    return _frame_of(units, {"order": order_values, "row_id": message_rows})


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _plain(value: object) -> object:
    """Return numpy scalars as Python ones (JSON-safe where the value allows it)."""
    return value.item() if isinstance(value, np.generic) else value


def _rank_thread(
    thread: ItemId, positions: list[int], orders: NDArray[Any], row_ids: list[ItemId], col: str
) -> list[int]:
    missing = [row_ids[p] for p in positions if _missing(orders[p])]
    if missing:
        raise ConfigError(
            f"order column {col!r} is missing for {len(missing)} message(s) of thread "
            f"{thread!r}: rows {_preview(missing)}; every message needs an order value"
        )
    try:
        ranked = sorted(positions, key=lambda p: orders[p])
    except TypeError as exc:
        kinds = sorted({type(orders[p]).__name__ for p in positions})
        raise ConfigError(
            f"order column {col!r} has values that do not sort in thread {thread!r}: "
            f"types {kinds} ({exc})"
        ) from None
    for a, b in pairwise(ranked):
        if orders[a] == orders[b]:
            raise ConfigError(
                f"order column {col!r} ties in thread {thread!r}: rows {row_ids[a]!r} and "
                f"{row_ids[b]!r} both have {_plain(orders[a])!r}; the order within a "
                "thread must be strict"
            )
    return ranked


# --------------------------------------------------------------------------------------------
# Context for the widget
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Context:
    """A unit with its neighbours in the same parent, for the widget's dimmed context.

    Parameters
    ----------
    unit_id, parent_id, kind, position, text
        The unit's own fields.
    before, after : tuple of str
        The texts of up to ``before`` / ``after`` neighbouring units of the same parent, in
        reading order. Overlapping chunks are clipped so that no text is shown twice: a
        neighbour shows only what neither the unit nor a nearer neighbour shows.
    before_ids, after_ids : tuple of str
        Their unit ids, aligned with ``before`` and ``after``.
    parent_text : str or None
        The parent's whole text, when it was given (documents, sentences, chunks).
    highlight : (int, int) or None
        The unit's offsets in ``parent_text``, with it.

    Examples
    --------
    >>> Context("a#s1", "a", "sentence", 1, "B.", ("A.",), ("a#s0",), (), ()).before
    ('A.',)
    """

    unit_id: str
    parent_id: ItemId
    kind: Kind
    position: int
    text: str
    before: tuple[str, ...]
    before_ids: tuple[str, ...]
    after: tuple[str, ...]
    after_ids: tuple[str, ...]
    parent_text: str | None = None
    highlight: Span | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (what the widget's trait carries).

        Examples
        --------
        >>> Context("a#d0", "a", "document", 0, "x", (), (), (), ()).to_dict()["before"]
        []
        """
        return {
            "unit_id": self.unit_id,
            "parent_id": self.parent_id,
            "kind": self.kind,
            "position": self.position,
            "text": self.text,
            "before": list(self.before),
            "before_ids": list(self.before_ids),
            "after": list(self.after),
            "after_ids": list(self.after_ids),
            "parent_text": self.parent_text,
            "highlight": list(self.highlight) if self.highlight is not None else None,
        }


def _parent_rows(units: pd.DataFrame, loc: int, parent: object, position: int) -> pd.DataFrame:
    """Return the rows of ``parent`` by position: a slice in split order, else a scan."""
    lo, parent_ids = loc - position, units["parent_id"].to_numpy(dtype=object)
    if lo >= 0 and (lo == 0 or parent_ids[lo - 1] != parent):
        end = loc + 1
        while end < len(units) and parent_ids[end] == parent:
            end += 1
        block = units.iloc[lo:end]
        in_order = (block["parent_id"] == parent).all() and np.array_equal(
            block["position"].to_numpy(), np.arange(len(block))
        )
        if in_order:
            return block
    return units[units["parent_id"] == parent].sort_values("position", kind="stable")


def context(
    units: pd.DataFrame,
    unit_id: str,
    *,
    before: int = 1,
    after: int = 1,
    parents: pd.Series | None = None,
) -> Context:
    """Return unit ``unit_id`` with up to ``before`` and ``after`` neighbours of its parent.

    Parameters
    ----------
    units : DataFrame
        As returned by :func:`split_units` (any row order; split order is the fast path).
    unit_id : str
    before, after : int, default=1
        How many neighbouring units to show on each side (fewer at the parent's edges).
    parents : Series, optional
        The parents' texts indexed by parent id; gives ``parent_text`` and ``highlight``
        (not for messages, whose parent is a thread).

    Returns
    -------
    Context

    Raises
    ------
    LabelError
        ``unit_id`` is not in ``units``.
    ConfigError
        ``before`` or ``after`` negative; the unit's parent missing from ``parents``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t": ["It rained. We stayed in. Then it cleared."]})
    >>> units = split_units(df, "t", UnitSpec("sentence"))
    >>> c = context(units, "0#s1")
    >>> c.before, c.text, c.after
    (('It rained.',), 'We stayed in.', ('Then it cleared.',))
    """
    for name, value in (("before", before), ("after", after)):
        if not _is_int(value) or value < 0:
            raise ConfigError(f"{name} must be an integer >= 0, got {value!r}")
    if unit_id not in units.index:
        raise LabelError(f"unit_id {unit_id!r} is not in units ({len(units)} units)")
    loc = units.index.get_loc(unit_id)
    if not isinstance(loc, int):
        raise ConfigError(f"units has duplicated unit ids: {unit_id!r} appears more than once")
    row = units.iloc[loc]
    parent, kind, position = row["parent_id"], str(row["kind"]), int(row["position"])
    rows = _parent_rows(units, loc, parent, position)
    here = int(np.flatnonzero(rows.index == unit_id)[0])
    prev = rows.iloc[max(here - before, 0) : here]
    nxt = rows.iloc[here + 1 : here + 1 + after]
    start, end = int(row["start"]), int(row["end"])
    clip = kind == "chunk"
    before_texts = _clipped(prev, upto=start, forward=False) if clip else list(prev["text"])
    after_texts = _clipped(nxt, upto=end, forward=True) if clip else list(nxt["text"])
    parent_text, highlight = None, None
    if parents is not None and kind != "message":
        if parent not in parents.index:
            raise ConfigError(f"parents has no text for parent {parent!r} of unit {unit_id!r}")
        parent_text, highlight = str(parents.loc[parent]), (start, end)
    return Context(
        unit_id=unit_id,
        parent_id=to_item_id(parent),
        kind=cast("Kind", kind),
        position=position,
        text=str(row["text"]),
        before=tuple(str(t) for t in before_texts),
        before_ids=tuple(str(i) for i in prev.index),
        after=tuple(str(t) for t in after_texts),
        after_ids=tuple(str(i) for i in nxt.index),
        parent_text=parent_text,
        highlight=highlight,
    )


def _clipped(rows: pd.DataFrame, *, upto: int, forward: bool) -> list[str]:
    """Neighbouring chunks' texts without what the unit or a nearer neighbour shows."""
    starts, ends = rows["start"].to_numpy(), rows["end"].to_numpy()
    texts = [str(t) for t in rows["text"]]
    out = [""] * len(texts)
    if forward:  # after the unit: each shows from where the one before it ended
        shown_to = upto
        for i, text in enumerate(texts):
            out[i] = text[max(shown_to - int(starts[i]), 0) :].lstrip()
            shown_to = max(shown_to, int(ends[i]))
    else:  # before the unit: each shows up to where the one after it starts
        shown_from = upto
        for i in range(len(texts) - 1, -1, -1):
            out[i] = texts[i][: max(shown_from - int(starts[i]), 0)].rstrip()
            shown_from = min(shown_from, int(starts[i]))
    return out


# --------------------------------------------------------------------------------------------
# Checking units against their parents
# --------------------------------------------------------------------------------------------


def check_units(units: pd.DataFrame, parents: pd.Series | pd.Index | Iterable[ItemId]) -> None:
    """Raise unless every unit fits its parent.

    Checks the columns, that unit ids are unique strs equal to ``unit_id(parent_id, kind,
    position)``, that each parent's positions are unique, that every unit's parent is among
    ``parents`` and that its offsets hold its text: ``0 <= start <= end`` and
    ``end - start == len(text)``; when ``parents`` is a Series of texts (documents,
    sentences, chunks), also ``end <= len(parent_text)`` and
    ``parent_text[start:end] == text``.

    Parameters
    ----------
    units : DataFrame
        As returned by :func:`split_units`.
    parents : Series, Index or iterable of ids
        The parents' texts indexed by parent id, or only their ids (for messages, the thread
        ids; then offsets are checked against the unit's own text only).

    Raises
    ------
    ConfigError
        The first offending unit, by id: e.g. a unit whose parent is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t": ["A. B."]}, index=["d"])
    >>> units = split_units(df, "t", UnitSpec("sentence"))
    >>> check_units(units, df["t"])
    >>> check_units(units, pd.Series({"e": "A. B."}))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jupyter_al.exceptions.ConfigError: unit 'd#s0' has parent_id 'd', which is not among ...
    """
    if not isinstance(units, pd.DataFrame):
        raise ConfigError(f"units must be a DataFrame, got {type(units).__name__}")
    missing = [c for c in UNIT_COLUMNS if c not in units.columns]
    if missing:
        raise ConfigError(
            f"units is missing columns {missing}; expected {list(UNIT_COLUMNS)} "
            "(as split_units returns)"
        )
    texts: Mapping[Any, Any] | None = None
    if isinstance(parents, pd.Series):
        if not parents.index.is_unique:
            raise ConfigError("parents must have unique ids in its index")
        texts = parents.to_dict()
        known: Any = texts
    elif isinstance(parents, pd.Index):
        known = set(parents.tolist())
    else:
        known = set(parents)
    seen_positions: set[tuple[object, int]] = set()
    seen_ids: set[str] = set()
    columns = [units[c].to_numpy(dtype=object) for c in UNIT_COLUMNS]
    for uid, parent, kind, position, start, end, text in zip(units.index, *columns, strict=True):
        where = f"unit {uid!r}"
        if not isinstance(uid, str) or uid in seen_ids:
            what = "is not a str" if not isinstance(uid, str) else "appears twice"
            raise ConfigError(f"{where}: unit ids must be unique strs, this one {what}")
        seen_ids.add(uid)
        if kind not in KINDS:
            raise ConfigError(f"{where} has kind {kind!r}; expected one of {KINDS}")
        if not all(_is_int(v) and v >= 0 for v in (position, start, end)):
            raise ConfigError(
                f"{where} needs non-negative int position/start/end, got {(position, start, end)!r}"
            )
        if not isinstance(text, str):
            raise ConfigError(f"{where} has text of type {type(text).__name__}, expected str")
        expected = f"{parent}#{_KIND_LETTER[kind]}{position}"
        if uid != expected:
            raise ConfigError(
                f"{where} does not match its provenance: parent_id {parent!r}, kind {kind!r} "
                f"and position {position} give {expected!r}"
            )
        if (parent, position) in seen_positions:
            raise ConfigError(f"{where}: parent {parent!r} has two units at position {position}")
        seen_positions.add((parent, position))
        if parent not in known:
            raise ConfigError(
                f"{where} has parent_id {parent!r}, which is not among the parents "
                f"({len(known)} parents, e.g. {_preview(list(known)[:3])})"
            )
        if not start <= end or end - start != len(text):
            raise ConfigError(
                f"{where} has offsets ({start}, {end}) that do not hold its text of "
                f"{len(text)} characters"
            )
        if texts is None or kind == "message":
            continue
        parent_text = texts[parent]
        if not isinstance(parent_text, str):
            raise ConfigError(
                f"{where}: the text of parent {parent!r} must be a str, got "
                f"{type(parent_text).__name__}"
            )
        if end > len(parent_text):
            raise ConfigError(
                f"{where} has offsets ({start}, {end}) beyond the end of parent {parent!r} "
                f"({len(parent_text)} characters)"
            )
        if parent_text[start:end] != text:
            raise ConfigError(
                f"{where}: its text {_short(text)!r} is not the parent's text at "
                f"({start}, {end}), {_short(parent_text[start:end])!r}"
            )


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------
# Rolling predictions up to the parent
# --------------------------------------------------------------------------------------------


def _unit_names(values: object, n: int) -> list[str]:
    """Name each unit in messages: its index label, or its position."""
    index = getattr(values, "index", None)
    if isinstance(index, pd.Index) and len(index) == n:
        return [repr(v) for v in index]
    return [f"at position {i}" for i in range(n)]


def _parents_of(parent_ids: object, n: int, names: list[str]) -> list[ItemId]:
    seq = list(cast("Iterable[object]", parent_ids))
    if len(seq) != n:
        raise ConfigError(f"parent_ids must give one parent per unit: expected {n}, got {len(seq)}")
    out: list[ItemId] = []
    for name, value in zip(names, seq, strict=True):
        try:
            out.append(to_item_id(value))
        except ConfigError:
            raise ConfigError(
                f"parent_ids must hold ints or strs, got {type(value).__name__} {value!r} "
                f"for unit {name}"
            ) from None
    return out


def _check_aligned(unit_predictions: object, parent_ids: object) -> None:
    a, b = getattr(unit_predictions, "index", None), getattr(parent_ids, "index", None)
    if isinstance(a, pd.Index) and isinstance(b, pd.Index) and not a.equals(b):
        raise ConfigError(
            "unit_predictions and parent_ids must be indexed alike (both by unit id, in the "
            f"same order), got indexes starting {_preview(a[:3])} and {_preview(b[:3])}"
        )


def _proba_matrix(values: object, classes: Sequence[Any] | None) -> NDArray[np.float64] | None:
    """Return ``values`` as a checked probability matrix, or None if it is not 2-D numeric."""
    if isinstance(values, pd.DataFrame):
        arr = values.to_numpy()
    elif isinstance(values, np.ndarray):
        arr = values
    else:  # lists are labels (a list of lists is multilabel labels, even of numbers)
        return None
    if arr.ndim != 2 or arr.dtype.kind not in "fiub":
        return None
    if classes is None:
        raise ConfigError(
            f"unit probabilities of shape {arr.shape} need classes= (the column order)"
        )
    if arr.shape[1] != len(classes):
        raise ConfigError(
            f"unit probabilities must have one column per class: expected {len(classes)} "
            f"columns for classes {_preview(classes)}, got shape {arr.shape}"
        )
    proba = arr.astype(np.float64)
    bad = ~np.isfinite(proba) | (proba < 0) | (proba > 1)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ConfigError(
            f"unit probabilities must be finite numbers in [0, 1], got {float(proba[r, c])!r} "
            f"for unit {_unit_names(values, len(proba))[r]}, class {classes[c]!r}"
        )
    return proba


def _groups(parents: list[ItemId]) -> dict[ItemId, list[int]]:
    groups: dict[ItemId, list[int]] = {}
    for pos, parent in enumerate(parents):
        groups.setdefault(parent, []).append(pos)
    return groups


def rollup_proba(
    proba: NDArray[np.floating[Any]] | pd.DataFrame,
    parent_ids: Iterable[ItemId] | pd.Series,
    classes: Sequence[Any],
) -> pd.DataFrame:
    """Per parent, the highest probability any of its units gives each class.

    Parameters
    ----------
    proba : ndarray or DataFrame of shape (n_units, n_classes)
        Unit probabilities, columns in the order of ``classes`` (per-class probabilities
        for multilabel).
    parent_ids : iterable of int or str, length n_units
        Each unit's parent (``units["parent_id"]``).
    classes : sequence
        The class names, one per column.

    Returns
    -------
    DataFrame of shape (n_parents, n_classes)
        Indexed by parent id (name ``parent_id``, in order of first appearance), columns
        ``classes``.

    Raises
    ------
    ConfigError
        Wrong shapes or lengths, probabilities outside [0, 1], parent ids that are not ints
        or strs.

    Examples
    --------
    >>> import numpy as np
    >>> rollup_proba(np.array([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]]), ["a", "a", "b"],
    ...              ["ham", "spam"]).to_dict("index")
    {'a': {'ham': 0.9, 'spam': 0.7}, 'b': {'ham': 0.6, 'spam': 0.4}}
    """
    matrix = _proba_matrix(proba, classes)
    if matrix is None:
        shape = np.shape(cast("Any", proba))
        raise ConfigError(
            f"proba must be a numeric array of shape (n_units, n_classes), got shape {shape}"
        )
    _check_aligned(proba, parent_ids)
    parents = _parents_of(parent_ids, len(matrix), _unit_names(proba, len(matrix)))
    groups = _groups(parents)
    out = np.empty((len(groups), len(classes)), dtype=np.float64)
    for i, positions in enumerate(groups.values()):
        out[i] = matrix[positions].max(axis=0)
    return pd.DataFrame(
        out,
        index=pd.Index(list(groups), dtype=object, name="parent_id"),
        columns=pd.Index(list(classes)),
    )


def _label_lists(values: object, task: Task, names: list[str]) -> list[Any] | list[tuple[Any, ...]]:
    seq = list(cast("Iterable[Any]", values))
    if task == "classification":
        for name, value in zip(names, seq, strict=True):
            if _missing(value) or isinstance(value, list | tuple | set | frozenset):
                raise ConfigError(
                    f"unit_predictions must hold one label per unit for task='classification', "
                    f"got {value!r} for unit {name}"
                )
        return seq
    out: list[tuple[Any, ...]] = []
    for name, value in zip(names, seq, strict=True):
        if not isinstance(value, list | tuple | set | frozenset | np.ndarray):
            raise ConfigError(
                "unit_predictions must hold a list of labels per unit for task='multilabel', "
                f"got {type(value).__name__} {value!r} for unit {name}"
            )
        out.append(tuple(value))
    return out


def _schema(labels: Iterable[Any], classes: Sequence[Any] | None, names: list[str]) -> list[Any]:
    """Return the class order: ``classes``, or the order in which labels first appear."""
    if classes is not None:
        known = set(classes)
        for name, label in zip(names, labels, strict=True):
            for value in label if isinstance(label, tuple) else (label,):
                if value not in known:
                    raise LabelError(
                        f"unit {name} has label {value!r}, which is not among classes "
                        f"{_preview(classes, limit=10)}"
                    )
        return list(classes)
    order: dict[Any, None] = {}
    for label in labels:
        for value in label if isinstance(label, tuple) else (label,):
            order.setdefault(value, None)
    return list(order)


def _majority(labels: Iterable[Any], rank: Mapping[Any, int]) -> Any:
    counts: dict[Any, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    return min(counts, key=lambda label: (-counts[label], rank[label]))


def rollup(
    unit_predictions: Any,
    parent_ids: Iterable[ItemId] | pd.Series,
    how: RollupHow = "majority",
    *,
    classes: Sequence[Any] | None = None,
    positive: Any = None,
    task: Task = "classification",
    threshold: float = 0.5,
) -> pd.Series:
    """Roll unit predictions up to one prediction per parent.

    Classification (one label per unit):

    - ``"majority"``: the most frequent label among the parent's units; a tie goes to the
      class that comes first in ``classes`` (without ``classes``: first in order of
      appearance in ``unit_predictions``).
    - ``"any"``: ``positive`` if any unit has it; otherwise the majority (as above) of the
      parent's units. For two classes: positive if any unit is positive, else negative.
    - ``"max"``: needs unit probabilities (n_units, n_classes): per class the highest
      probability any unit gives it, then the class with the highest of those (ties: first
      in ``classes``). See :func:`rollup_proba` for the probabilities themselves.

    Multilabel (a list of labels per unit, ``task="multilabel"``):

    - ``"any"``: the union of the units' labels.
    - ``"majority"``: the labels present in more than half of the parent's units.
    - ``"max"``: the classes whose highest unit probability is ``>= threshold``.

    A multilabel result is a tuple in class order (possibly empty). ``"any"`` and
    ``"majority"`` also accept a probability matrix and first turn it into unit labels
    (argmax, or ``>= threshold`` for multilabel).

    Parameters
    ----------
    unit_predictions : sequence, Series, ndarray or DataFrame
        One label (or list of labels) per unit, or a probability matrix of shape
        (n_units, n_classes) with columns in the order of ``classes``.
    parent_ids : iterable of int or str, length n_units
        Each unit's parent (``units["parent_id"]``). When both are Series, their indexes
        must be equal (same units, same order).
    how : {"any", "majority", "max"}, default="majority"
    classes : sequence, optional
        The label schema: breaks ties and orders multilabel results; every label must be in
        it. Required with a probability matrix.
    positive : optional
        The positive class, required for ``how="any"`` in classification (not used in
        multilabel).
    task : {"classification", "multilabel"}, default="classification"
    threshold : float, default=0.5
        Multilabel: the probability from which a class is predicted.

    Returns
    -------
    Series
        One value per parent, indexed by parent id (name ``parent_id``, in order of first
        appearance in ``parent_ids``), named ``label``.

    Raises
    ------
    ConfigError
        Unknown ``how`` or ``task``, missing ``positive`` or ``classes``, length mismatch,
        a missing prediction, probabilities outside [0, 1].
    LabelError
        A label (or ``positive``) that is not among ``classes``.

    Examples
    --------
    >>> rollup(["ham", "spam", "ham"], ["a", "a", "b"], "any", positive="spam").to_dict()
    {'a': 'spam', 'b': 'ham'}
    >>> rollup([("x",), ("x", "y"), ()], [1, 1, 1], "majority", task="multilabel").tolist()
    [('x',)]
    """
    if how not in ROLLUPS:
        raise ConfigError(f"how must be one of {ROLLUPS}, got {how!r}")
    if task not in TASKS:
        raise ConfigError(f"task must be one of {TASKS}, got {task!r}")
    if not (isinstance(threshold, int | float) and 0 < threshold <= 1):
        raise ConfigError(f"threshold must be a number in (0, 1], got {threshold!r}")
    if positive is not None and (how != "any" or task != "classification"):
        raise ConfigError(
            f"positive= is only for how='any' with task='classification', got how={how!r}, "
            f"task={task!r}"
        )
    if how == "any" and task == "classification" and positive is None:
        raise ConfigError(
            "how='any' needs positive= (the class that wins when any unit has it), got None"
        )
    _check_aligned(unit_predictions, parent_ids)
    proba = _proba_matrix(unit_predictions, classes)
    if how == "max" and proba is None:
        raise ConfigError(
            "how='max' needs unit probabilities: an array of shape (n_units, n_classes) with "
            f"classes=, got {_describe(unit_predictions)}"
        )
    if how == "max":
        maxima = rollup_proba(cast("NDArray[np.float64]", proba), parent_ids, cast("Any", classes))
        cols = list(maxima.columns)
        m = maxima.to_numpy()
        if task == "classification":
            values: list[Any] = [cols[int(i)] for i in np.argmax(m, axis=1)]
        else:
            values = [
                tuple(c for c, p in zip(cols, row, strict=True) if p >= threshold) for row in m
            ]
        return pd.Series(values, index=maxima.index, name="label", dtype=object)
    n = len(proba) if proba is not None else len(list(cast("Iterable[Any]", unit_predictions)))
    names = _unit_names(unit_predictions, n)
    if proba is not None:
        cls = list(cast("Sequence[Any]", classes))
        labels: list[Any] = (
            [cls[int(i)] for i in np.argmax(proba, axis=1)]
            if task == "classification"
            else [
                tuple(c for c, p in zip(cls, row, strict=True) if p >= threshold) for row in proba
            ]
        )
    else:
        labels = _label_lists(unit_predictions, task, names)
    schema = _schema(labels, classes, names)
    if positive is not None and classes is not None and positive not in set(schema):
        raise LabelError(f"positive {positive!r} is not among classes {_preview(schema, 10)}")
    rank = {c: i for i, c in enumerate(schema)}
    parents = _parents_of(parent_ids, n, names)
    out: list[Any] = []
    groups = _groups(parents)
    for positions in groups.values():
        mine = [labels[p] for p in positions]
        out.append(_combine(mine, how, task, positive, rank))
    return pd.Series(
        out,
        index=pd.Index(list(groups), dtype=object, name="parent_id"),
        name="label",
        dtype=object,
    )


def _combine(
    mine: list[Any], how: RollupHow, task: Task, positive: Any, rank: Mapping[Any, int]
) -> Any:
    if task == "classification":
        if how == "any" and positive in mine:
            return positive
        rest = [label for label in mine if label != positive] if how == "any" else mine
        return _majority(rest, rank)
    counts: dict[Any, int] = {}
    for label in mine:
        for value in set(label):
            counts[value] = counts.get(value, 0) + 1
    need = 1 if how == "any" else len(mine) // 2 + 1  # "majority": more than half
    return tuple(sorted((c for c, k in counts.items() if k >= need), key=rank.__getitem__))


def _describe(values: object) -> str:
    shape = getattr(values, "shape", None)
    if shape is not None:
        return f"{type(values).__name__} of shape {tuple(shape)}"
    return type(values).__name__
