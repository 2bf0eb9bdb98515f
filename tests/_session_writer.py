"""Helper process for the session crash test: labels items forever, printing each ack.

Usage: python _session_writer.py DATA_CSV STORE
Prints "ready" once configured, then "<item_id> <label>" after each label() returns.
"""

from __future__ import annotations

import sys

import pandas as pd

from jupyter_al import Session


def main() -> None:
    data, store = sys.argv[1], sys.argv[2]
    frame = pd.read_csv(data, index_col=0)
    s = Session(
        frame,
        text="text",
        labels=["sports", "tech", "food"],
        holdout=0.2,
        holdout_label_column="topic",
        batch_size=20,
        random_state=0,
        store=store,
    )
    print("ready", flush=True)
    while True:
        batch = s.next_batch()
        for item_id in batch.index:
            s.label(item_id, frame.loc[item_id, "topic"])
            print(item_id, frame.loc[item_id, "topic"], flush=True)
        s.submit()


if __name__ == "__main__":
    main()
