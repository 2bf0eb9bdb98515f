"""Event records and the fold."""

from __future__ import annotations

import pytest

from jupyter_al._events import (
    BatchSelected,
    Labeled,
    Skipped,
    Undone,
    event_from_dict,
    event_to_dict,
    fold,
)
from jupyter_al.exceptions import StoreCorruptedError


def batch(round_: int, ids: list) -> BatchSelected:
    return BatchSelected(
        round=round_,
        strategy="margin",
        cold_start=False,
        item_ids=ids,
        predictions=[None] * len(ids),
        confidences=[None] * len(ids),
        scores=[0.0] * len(ids),
        reasons=["r"] * len(ids),
        model_version=None,
        n_candidates=10,
        timings={},
    )


def test_round_trip_through_dicts():
    event = Labeled(round=2, item_id="x", label=["a", "b"], annotator="ann", source="api")
    seq, back = event_from_dict({**event_to_dict(event), "seq": 5})

    assert 5 == seq
    assert event == back


def test_unknown_type_is_corruption():
    with pytest.raises(StoreCorruptedError, match="unknown type 'exploded'"):
        event_from_dict({"type": "exploded", "seq": 1})


def test_fold_last_label_wins_and_undo_restores():
    events = [
        (0, batch(1, [1, 2])),
        (1, Labeled(round=1, item_id=1, label="a", annotator="x", source="api")),
        (2, Labeled(round=1, item_id=1, label="b", annotator="y", source="api")),
        (3, Skipped(round=1, item_id=2, annotator="x")),
        (4, Undone(round=1, target_seq=2, item_id=1)),
    ]
    state = fold(events)

    assert "a" == state.labels()[1].label
    assert 2 in state.skipped
    assert {"x": 1, "y": 0} == state.per_annotator
    assert [1, 3] == [s for s, _, _ in state.undo_stack]


def test_undo_of_a_skip_makes_the_item_selectable_again():
    state = fold(
        [
            (0, batch(1, [1])),
            (1, Skipped(round=1, item_id=1, annotator="x")),
            (2, Undone(round=1, target_seq=1, item_id=1)),
        ]
    )

    assert {} == state.skipped
    assert [] == state.round_log[1]
