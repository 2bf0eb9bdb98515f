"""A separate process for tests/test_store.py (not a test module).

Usage::

    python tests/_store_writer.py FOLDER write   # append until killed; print each acked seq
    python tests/_store_writer.py FOLDER hold    # hold the folder's lock until stdin closes

``write`` prints a seq only after ``append``/``append_many`` returned, i.e. after the event was
fsync'd: every printed seq is a promise the test checks after SIGKILL.
"""

from __future__ import annotations

import sys
from typing import Any

from jupyter_al._store import EventLog


def payload(seq: int) -> dict[str, Any]:
    """Return the event appended with ``seq``: a pure function of seq, so the test can check it.

    Every 50th event is large (several pages) so that a kill can land in the middle of a write.
    """
    size = 300_000 if seq % 50 == 17 else seq % 40
    return {
        "type": "labeled",
        "item_id": seq,
        "label": ("spam", "ham", "élan ✓")[seq % 3],
        "note": "x" * size,
    }


def write(folder: str) -> None:
    with EventLog(folder, create=True, header_extra={"writer": "crash-test"}) as log:
        out = sys.stdout
        while True:
            seq = log.next_seq
            if seq % 10 == 9:
                acked = log.append_many([payload(seq), payload(seq + 1), payload(seq + 2)])
            else:
                acked = [log.append(payload(seq))]
            out.write("".join(f"{s}\n" for s in acked))
            out.flush()


def hold(folder: str) -> None:
    with EventLog(folder, create=True):
        sys.stdout.write("locked\n")
        sys.stdout.flush()
        sys.stdin.read()


if __name__ == "__main__":
    {"write": write, "hold": hold}[sys.argv[2]](sys.argv[1])
