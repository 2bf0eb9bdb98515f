r"""The run folder's append-only event log: durable, versioned JSON lines.

The log is the only source of truth of a session; everything else in the run folder is derived
from it and can be rebuilt. This module stores plain JSON objects (``dict``); the event types
and ``fold(events) -> state`` live elsewhere.

File format (``events.jsonl``, UTF-8, one JSON object per line, ``\n`` after every line)::

    {"format":"jupyter_al.events","version":1,"created":"2026-11-24T08:00:00+00:00", ...}
    {"seq":0,"type":"configured", ...}
    {"seq":1,"type":"batch_selected", ...}

The first line is the header; every later line is an event whose ``"seq"`` counts from 0
without gaps. A reader refuses an unknown format or a newer version.

Guarantees:

* **Durable acknowledgement.** :meth:`EventLog.append` returns only after the whole line was
  written with ``os.write`` on an ``O_APPEND`` descriptor and ``os.fsync``'d, so a crash
  (kernel panic, power loss, ``SIGKILL``) never loses an acknowledged event.
* **Nothing half-written on bad input.** An event is encoded completely (``allow_nan=False``,
  JSON types only) before a byte is written; a failed write is rolled back by truncating the
  file to its previous size.
* **Recovery of a torn tail.** A crash can only damage what was written after the last
  ``fsync``: the last line. Opening the log for writing copies such a line to
  ``events.damaged-<UTC timestamp>.jsonl`` next to the log, truncates the log to the last good
  line and reports it in :attr:`LogContents.damage`. Damage anywhere else raises
  :class:`~jupyter_al.exceptions.StoreCorruptedError` and changes nothing.
* **One writer.** A writer holds ``fcntl.flock(LOCK_EX)`` on ``<folder>/.lock`` for its whole
  life; a second writer, in this process or another, gets
  :class:`~jupyter_al.exceptions.RunLockedError` naming the holder's pid, host and start time.

Platform: POSIX only (``fcntl.flock``, directory ``fsync``); developed and tested on Linux with
a local file system. ``flock`` on network file systems is only as good as the server's locking.
A process that forks while holding a log shares the lock with its child.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import tempfile
import threading
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from jupyter_al.exceptions import (
    RunLockedError,
    SessionExistsError,
    StoreCorruptedError,
    StoreError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from types import TracebackType

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "LOCK_NAME",
    "LOG_NAME",
    "Damage",
    "EventLog",
    "LogContents",
    "read_log",
    "write_atomic",
]

LOG_NAME = "events.jsonl"
LOCK_NAME = ".lock"
FORMAT = "jupyter_al.events"
FORMAT_VERSION = 1

#: Header keys the log writes itself; ``header_extra`` may not override them.
_RESERVED_HEADER_KEYS = frozenset({"format", "version", "created"})

# One encoder for every append: ``json.dumps`` with non-default options builds a new
# JSONEncoder per call, and append is on the hot path of every label click.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True, slots=True)
class Damage:
    """What recovery found at the end of the log, and what it did about it.

    Parameters
    ----------
    line_number : int
        1-based line of ``events.jsonl`` that is damaged (the header is line 1).
    n_bytes : int
        Number of damaged bytes (from the start of that line to the end of the file).
    reason : str
        Why the line was rejected, e.g. ``"truncated JSON (no newline at end)"``.
    saved_to : Path or None
        Where the damaged bytes were copied before the log was truncated; None when the log
        was only read (:func:`read_log`) and left as it was.

    Examples
    --------
    >>> Damage(7, 12, "truncated JSON (no newline at end)", None).describe()
    'Line 7 of events.jsonl (12 bytes) is damaged: truncated JSON (no newline at end); it was left in place (read only).'
    """  # noqa: E501 -- a doctest output line cannot be wrapped

    line_number: int
    n_bytes: int
    reason: str
    saved_to: Path | None

    def describe(self) -> str:
        """Say in one plain sentence what was damaged and what was done.

        Returns
        -------
        str
            A sentence for ``notes.md`` or a warning.

        Examples
        --------
        >>> Damage(3, 5, "invalid JSON", Path("events.damaged-x.jsonl")).describe()[:40]
        'Line 3 of events.jsonl (5 bytes) is dama'
        """
        where = f"Line {self.line_number} of {LOG_NAME} ({self.n_bytes} bytes) is damaged"
        if self.saved_to is None:
            return f"{where}: {self.reason}; it was left in place (read only)."
        return f"{where}: {self.reason}; it was copied to {self.saved_to} and removed from the log."


@dataclass(frozen=True, slots=True)
class LogContents:
    """Everything read from a log.

    Parameters
    ----------
    header : dict
        The first line: ``{"format": FORMAT, "version": 1, "created": iso, ...extra}``.
    events : list of dict
        Every event in order; each has ``"seq"`` (0-based, contiguous).
    damage : Damage or None
        The damaged last line, if any (see :class:`Damage`).
    """

    header: dict[str, Any]
    events: list[dict[str, Any]]
    damage: Damage | None

    @property
    def next_seq(self) -> int:
        """The seq the next appended event gets (the number of events)."""
        return len(self.events)


@dataclass(frozen=True, slots=True)
class _Parsed:
    contents: LogContents
    good_end: int  # byte offset just after the last good line


class EventLog:
    """Open (or create) the event log of a run folder for writing.

    Holds an exclusive lock on ``<folder>/.lock`` until :meth:`close` (or the end of a
    ``with`` block), so only one writer, in any process, ever appends to a log.

    Parameters
    ----------
    folder : str or path-like
        The run folder; the log is ``folder / LOG_NAME``.
    create : bool
        True: start a new log. The folder is created if needed; it may exist but must not hold
        a log with events (``SessionExistsError``). False: open an existing log, recovering a
        damaged last line (see the module docstring).
    header_extra : mapping, optional
        More JSON fields for the header line (only with ``create=True``); ``format``,
        ``version`` and ``created`` are reserved.

    Raises
    ------
    RunLockedError
        Another ``EventLog`` (in this or another process) holds the folder.
    SessionExistsError
        ``create=True`` and the folder already holds a log with events.
    StoreCorruptedError
        A line other than the last is damaged, or the seqs have a gap.
    StoreError
        ``create=False`` and there is no log; or the log has an unknown format or a newer
        version; or the folder cannot be created.
    ValueError, TypeError
        ``header_extra`` is not JSON or uses a reserved key.

    Attributes
    ----------
    contents : LogContents
        What was on disk when the log was opened (after recovery); not updated by appends.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with EventLog(tmp, create=True, header_extra={"pool": "abc"}) as log:
    ...         log.append({"type": "labeled", "item_id": 7, "label": "spam"})
    ...     with EventLog(tmp, create=False) as log:
    ...         log.contents.events
    0
    [{'seq': 0, 'type': 'labeled', 'item_id': 7, 'label': 'spam'}]
    """

    contents: LogContents

    def __init__(
        self,
        folder: str | os.PathLike[str],
        *,
        create: bool,
        header_extra: Mapping[str, Any] | None = None,
    ) -> None:
        # Set first so that close() and __del__ work whatever fails below.
        self._closed = True
        self._lock_fd = -1
        self._fd = -1
        self._mutex = threading.Lock()
        self._folder = Path(folder)
        self._path = self._folder / LOG_NAME
        self._next_seq = 0
        self._size = 0

        if header_extra is not None and not create:
            raise ValueError("header_extra is only used with create=True, got create=False")
        header_line = _header_line(header_extra) if create else b""
        if create:
            try:
                self._folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create run folder {self._folder}: {exc}") from exc
        elif not self._path.is_file():
            raise StoreError(
                f"no event log at {self._path}: expected a run folder written by a session; "
                f"use create=True (Session(...)) to start a new one"
            )

        self._lock_fd = _acquire_lock(self._folder)
        self._closed = False
        try:
            if create:
                self.contents = self._create(header_line)
            else:
                self.contents = self._open_existing()
        except BaseException:
            self.close()
            raise
        self._next_seq = self.contents.next_seq

    # -- opening --------------------------------------------------------------------------

    def _create(self, header_line: bytes) -> LogContents:
        if self._path.exists():
            existing = _read_bytes(self._path)
            if existing:
                parsed = _parse(existing, self._path)
                if parsed.contents.events or parsed.contents.damage is not None:
                    raise SessionExistsError(
                        f"run folder {self._folder} already holds a session "
                        f"({parsed.contents.next_seq} events in {self._path}); "
                        f"use Session.resume({str(self._folder)!r}) to continue it, "
                        f"or pick a new folder"
                    )
            # An empty or header-only log records nothing: start it over.
        write_atomic(self._path, header_line.decode("utf-8"))
        self._fd = _open_append(self._path)
        self._size = len(header_line)
        header: dict[str, Any] = json.loads(header_line)
        return LogContents(header=header, events=[], damage=None)

    def _open_existing(self) -> LogContents:
        data = _read_bytes(self._path)
        parsed = _parse(data, self._path)
        self._fd = _open_append(self._path)
        self._size = parsed.good_end
        damage = parsed.contents.damage
        if damage is None:
            return parsed.contents
        # Copy first, truncate second: a crash in between leaves the damage in place and
        # the next open repeats the recovery.
        saved_to = _save_damaged(self._folder, data[parsed.good_end :])
        os.ftruncate(self._fd, parsed.good_end)
        os.fsync(self._fd)
        repaired = Damage(damage.line_number, damage.n_bytes, damage.reason, saved_to)
        return LogContents(parsed.contents.header, parsed.contents.events, repaired)

    # -- writing --------------------------------------------------------------------------

    def append(self, event: Mapping[str, Any]) -> int:
        """Append one event and make it durable.

        Parameters
        ----------
        event : mapping of str to JSON values
            The event; must not contain ``"seq"`` (the log assigns it). NaN and infinity are
            refused.

        Returns
        -------
        int
            The event's seq. When this returns, the line is on disk (``fsync``'d).

        Raises
        ------
        TypeError, ValueError
            The event is not JSON (nothing was written).
        StoreError
            The log is closed, or writing failed (the file was rolled back and the log closed).

        Examples
        --------
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp, EventLog(tmp, create=True) as log:
        ...     log.append({"type": "skipped", "item_id": 3})
        ...     log.append({"type": "skipped", "item_id": 4})
        0
        1
        """
        with self._mutex:
            self._check_open()
            seq = self._next_seq
            self._write(_encode(event, seq))
            self._next_seq = seq + 1
            return seq

    def append_many(self, events: Sequence[Mapping[str, Any]]) -> list[int]:
        """Append several events with one write and one ``fsync``.

        If it raises, nothing was written. A process kill does not split the single write in
        practice, but after a power cut a prefix of the batch may survive the next open (none
        of it was acknowledged): callers must not rely on the batch being atomic on disk.

        Parameters
        ----------
        events : sequence of mappings
            The events, in order (see :meth:`append`).

        Returns
        -------
        list of int
            Their seqs.

        Raises
        ------
        TypeError, ValueError
            One of the events is not JSON (nothing was written).
        StoreError
            The log is closed, or writing failed (the file was rolled back and the log closed).

        Examples
        --------
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp, EventLog(tmp, create=True) as log:
        ...     log.append_many([{"type": "a"}, {"type": "b"}])
        [0, 1]
        """
        with self._mutex:
            self._check_open()
            first = self._next_seq
            lines = [_encode(event, first + i) for i, event in enumerate(events)]
            if not lines:
                return []
            self._write(b"".join(lines))
            self._next_seq = first + len(lines)
            return list(range(first, self._next_seq))

    def _write(self, data: bytes) -> None:
        try:
            n = os.write(self._fd, data)
            if n != len(data):  # a short write: rare on regular files (signals, a full disk)
                view = memoryview(data)[n:]
                while view:
                    view = view[os.write(self._fd, view) :]
            os.fsync(self._fd)
        except BaseException as exc:
            # Also on KeyboardInterrupt: a line that was written but not acknowledged must go,
            # or the next append would reuse its seq.
            self._roll_back(exc)
            raise
        self._size += len(data)

    def _roll_back(self, exc: BaseException) -> None:
        try:
            os.ftruncate(self._fd, self._size)
            os.fsync(self._fd)
        except OSError:
            # The file may now end in a partial line; the next open recovers it.
            self._close_fds()
            raise StoreError(
                f"could not append to {self._path} ({exc}) nor undo the partial write; "
                f"the log was closed: reopen the run (Session.resume) to recover it"
            ) from exc
        if isinstance(exc, OSError):
            # After a failed fsync the page cache cannot be trusted: stop writing.
            self._close_fds()
            raise StoreError(
                f"could not append to {self._path}: {exc}; the event was not recorded and the "
                f"log was closed: fix the cause, then reopen the run (Session.resume)"
            ) from exc

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"the event log {self._path} is closed")

    # -- closing --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the log and release the lock (idempotent).

        Examples
        --------
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     log = EventLog(tmp, create=True)
        ...     log.close()
        ...     log.close()
        ...     log.closed
        True
        """
        with self._mutex:
            self._close_fds()

    def _close_fds(self) -> None:
        self._closed = True
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)
        if self._lock_fd >= 0:
            lock_fd, self._lock_fd = self._lock_fd, -1
            try:
                os.ftruncate(lock_fd, 0)  # the holder's pid is no longer news
            finally:
                os.close(lock_fd)  # closing the last descriptor releases the flock

    def __enter__(self) -> Self:
        """Return the open log."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the log."""
        self.close()

    def __del__(self) -> None:
        """Warn about and close a log that was never closed, like an open file."""
        if not getattr(self, "_closed", True):
            warnings.warn(f"unclosed {self!r}", ResourceWarning, stacklevel=1)
            self._close_fds()

    def __repr__(self) -> str:
        """Show the folder and the state."""
        state = "closed" if self._closed else f"next_seq={self._next_seq}"
        return f"EventLog({str(self._folder)!r}, {state})"

    # -- properties -----------------------------------------------------------------------

    @property
    def folder(self) -> Path:
        """The run folder."""
        return self._folder

    @property
    def path(self) -> Path:
        """The log file, ``folder / LOG_NAME``."""
        return self._path

    @property
    def next_seq(self) -> int:
        """The seq the next appended event gets."""
        return self._next_seq

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called (or a write failed)."""
        return self._closed


def read_log(folder: str | os.PathLike[str]) -> LogContents:
    """Read a run folder's log without locking or changing anything.

    For replay and inspection, also while a session is writing. A damaged last line is
    reported in ``damage`` (with ``saved_to=None``) and left in place.

    Parameters
    ----------
    folder : str or path-like
        The run folder.

    Returns
    -------
    LogContents
        The header, the good events and the damage, if any.

    Raises
    ------
    StoreError
        There is no log, or it has an unknown format or a newer version.
    StoreCorruptedError
        A line other than the last is damaged, or the seqs have a gap.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with EventLog(tmp, create=True) as log:
    ...         log.append({"type": "labeled", "item_id": 1, "label": "ham"})
    ...     contents = read_log(tmp)
    0
    >>> contents.header["format"], len(contents.events), contents.damage
    ('jupyter_al.events', 1, None)
    """
    path = Path(folder) / LOG_NAME
    if not path.is_file():
        raise StoreError(f"no event log at {path}: expected a run folder written by a session")
    return _parse(_read_bytes(path), path).contents


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    r"""Replace a file's content atomically and durably.

    Writes a temporary file in the same folder, ``fsync``'s it, renames it over ``path`` and
    ``fsync``'s the folder: a reader (or a crash) sees the old content or the new, never a mix.
    For files derived from the log, such as ``results.tsv``.

    Parameters
    ----------
    path : str or path-like
        The file to write; its folder must exist.
    text : str
        The new content, written as UTF-8 exactly as given (no newline translation).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = Path(tmp) / "results.tsv"
    ...     write_atomic(target, "round\tf1\n0\t0.5\n")
    ...     target.read_text(encoding="utf-8")
    'round\tf1\n0\t0.5\n'
    """
    target = Path(path)
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644  # mkstemp's 0o600 would hide derived files from other readers
    _replace_bytes(target, text.encode("utf-8"), mode)


# -- helpers ----------------------------------------------------------------------------------


def _encode(event: Mapping[str, Any], seq: int) -> bytes:
    """Encode one event as a complete line, or raise before anything is written."""
    if "seq" in event:
        raise ValueError(f"event must not contain 'seq' (the log assigns it), got {event!r}")
    try:
        return (_ENCODER.encode({"seq": seq, **event}) + "\n").encode("utf-8")
    except ValueError as exc:  # NaN / inf, circular references, lone surrogates
        raise ValueError(
            f"event is not valid JSON ({exc}); NaN and infinity are not allowed, "
            f"got {event!r}; nothing was written"
        ) from exc
    except TypeError as exc:
        raise TypeError(
            f"event is not valid JSON ({exc}); values must be str, int, float, bool, None, "
            f"list or dict, got {event!r}; nothing was written"
        ) from exc


def _header_line(header_extra: Mapping[str, Any] | None) -> bytes:
    extra = dict(header_extra or {})
    clash = sorted(_RESERVED_HEADER_KEYS & extra.keys())
    if clash:
        raise ValueError(
            f"header_extra must not set {', '.join(clash)}: the log writes them, "
            f"got keys {sorted(extra)}"
        )
    header = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(),
        **extra,
    }
    try:
        return (_ENCODER.encode(header) + "\n").encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"header_extra is not valid JSON ({exc}), got {extra!r}") from exc


def _read_bytes(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read()


def _open_append(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)


def _replace_bytes(target: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a temp file beside ``target``, fsync, rename over it, fsync the dir."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        Path(tmp_name).replace(target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _acquire_lock(folder: Path) -> int:
    """Take the folder's exclusive lock and record who holds it; return the lock's fd."""
    lock_path = folder / LOCK_NAME
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        # flock locks belong to the open file description, so a second open() of the same file
        # conflicts even within one process: two Sessions in one kernel are caught too.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise RunLockedError(
            f"run folder {folder} is in use by another session "
            f"({_describe_holder(lock_path)}); close that session (session.close()) or shut "
            f"down its kernel, then try again"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(holder) + "\n").encode("utf-8"), 0)
    return fd


def _describe_holder(lock_path: Path) -> str:
    try:
        holder = json.loads(lock_path.read_text(encoding="utf-8"))
        pid, host, since = holder["pid"], holder["host"], holder["since"]
    except (OSError, ValueError, KeyError, TypeError):
        # The holder may be between taking the lock and writing its name.
        return "holder unknown"
    this = " - this process" if pid == os.getpid() and host == socket.gethostname() else ""
    return f"pid {pid}{this} on host {host}, since {since}"


def _save_damaged(folder: Path, damaged: bytes) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    target = folder / f"events.damaged-{stamp}.jsonl"
    n = 1
    while target.exists():
        target = folder / f"events.damaged-{stamp}-{n}.jsonl"
        n += 1
    # Raw bytes, not text: the damaged line may not even be UTF-8.
    _replace_bytes(target, damaged, 0o644)
    return target


def _line_problem(line: bytes) -> tuple[dict[str, Any] | None, str]:
    """Decode one complete line: (object, "") or (None, why it is damaged)."""
    try:
        value = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return None, f"invalid UTF-8: {exc}"
    except ValueError as exc:
        return None, f"invalid JSON: {exc}"
    if not isinstance(value, dict):
        return None, f"not a JSON object: got {type(value).__name__}"
    return value, ""


def _check_header(header: dict[str, Any], path: Path) -> None:
    fmt, version = header.get("format"), header.get("version")
    expected = f"expected format {FORMAT!r} version <= {FORMAT_VERSION}"
    if fmt != FORMAT or not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StoreError(
            f"{path} is not a jupyter_al event log: {expected}, "
            f"got format {fmt!r} version {version!r}"
        )
    if version > FORMAT_VERSION:
        raise StoreError(
            f"{path} was written by a newer jupyter_al: log format version {version}, this "
            f"version reads up to version {FORMAT_VERSION}; upgrade jupyter_al to open it"
        )


def _parse(data: bytes, path: Path) -> _Parsed:
    """Parse a whole log; find damage in the last line; raise on anything worse."""
    folder = path.parent
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline, else a line without one
    n_complete = len(lines)

    def corrupted(line_number: int, reason: str) -> StoreCorruptedError:
        return StoreCorruptedError(
            f"line {line_number} of {path} (run folder {folder}) is damaged: {reason}; only "
            f"a damaged last line can be repaired automatically, so nothing was changed; "
            f"inspect the file by hand or restore it from a backup"
        )

    if n_complete == 0:
        reason = "empty file" if not tail else "truncated header (no newline at end)"
        raise corrupted(1, f"{reason}; expected a header line")
    header, problem = _line_problem(lines[0])
    if header is None:
        raise corrupted(1, f"{problem}; expected a header line")
    _check_header(header, path)

    events: list[dict[str, Any]] = []
    offset = len(lines[0]) + 1
    damage: Damage | None = None
    for index in range(1, n_complete):
        line = lines[index]
        event, problem = _line_problem(line)
        if event is None:
            if index == n_complete - 1 and not tail:
                damage = Damage(index + 1, len(line) + 1, problem, None)
                break
            raise corrupted(index + 1, problem)
        seq = event.get("seq")
        if seq != len(events) or isinstance(seq, bool):
            raise corrupted(index + 1, f"expected seq {len(events)}, got seq {seq!r}")
        events.append(event)
        offset += len(line) + 1
    if tail:
        damage = Damage(n_complete + 1, len(tail), "truncated JSON (no newline at end)", None)
    return _Parsed(LogContents(header=header, events=events, damage=damage), good_end=offset)
