"""The widget driven through the real comm path (as the page drives it), no browser."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

from jupyter_al import Session
from jupyter_al._widget import LabelingWidget, hotkeys

if TYPE_CHECKING:
    from pathlib import Path


def send(widget: LabelingWidget, content: dict[str, Any]) -> None:
    """Deliver a custom message exactly as ipywidgets receives it from the page."""
    widget._handle_msg(
        {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
    )


@pytest.fixture
def widget(session: Session) -> LabelingWidget:
    return session.widget


def test_widget_shows_the_open_batch_only(session: Session, widget: LabelingWidget):
    assert 10 == len(widget.items)
    assert len(session.pool_ids) > 10
    assert list(map(str, session.next_batch().index)) == [it["id"] for it in widget.items]
    first = widget.items[0]
    assert {
        "id",
        "kind",
        "text",
        "prediction",
        "confidence",
        "uncertainty",
        "strategy",
        "reason",
        "rank",
        "round",
        "status",
        "label",
    } <= set(first)
    assert "text" == first["kind"]
    assert ["1", "2", "3"] == [c["key"] for c in widget.classes]
    assert "ready" == widget.status
    assert 0 == widget.position


def test_label_message_logs_and_advances(
    session: Session, widget: LabelingWidget, pool: pd.DataFrame
):
    item = widget.items[0]["id"]
    send(widget, {"kind": "label", "item_id": item, "label": "food", "source": "key", "t": 12.5})

    assert "food" == session.labels.loc[int(item)]
    assert "widget:key" == session.provenance.loc[int(item), "source"]
    assert "labeled" == widget.items[0]["status"]
    assert 1 == widget.position
    assert 12.5 == widget.ack_t
    assert 1 == widget.progress["batch_done"]
    assert "" == widget.error


def test_labeling_the_last_item_submits_and_shows_a_new_batch(
    session: Session, widget: LabelingWidget, pool: pd.DataFrame
):
    first_ids = [it["id"] for it in widget.items]
    for it in list(widget.items):
        send(
            widget,
            {"kind": "label", "item_id": it["id"], "label": pool.loc[int(it["id"]), "topic"]},
        )

    assert 1 == len(session.rounds)
    assert 2 == widget.items[0]["round"]
    assert not set(first_ids) & {it["id"] for it in widget.items}
    assert [10] == widget.curve["x"]
    assert session.rounds["value"].tolist() == widget.curve["y"]
    assert "round 1 closed" in widget.message
    assert 10 == sum(widget.class_counts.values())


def test_manual_submit_when_auto_submit_is_off(
    session: Session, widget: LabelingWidget, pool: pd.DataFrame
):
    send(widget, {"kind": "settings", "auto_submit": False, "hide_prediction": True})
    for it in list(widget.items):
        send(
            widget,
            {"kind": "label", "item_id": it["id"], "label": pool.loc[int(it["id"]), "topic"]},
        )

    assert widget.hide_prediction
    assert 0 == len(session.rounds)
    send(widget, {"kind": "submit"})
    assert 1 == len(session.rounds)


def test_skip_unsure_and_undo(session: Session, widget: LabelingWidget):
    a, b = widget.items[0]["id"], widget.items[1]["id"]
    send(widget, {"kind": "label", "item_id": a, "label": "tech"})
    send(widget, {"kind": "skip", "item_id": b, "unsure": True})

    assert "skipped" == widget.items[1]["status"]
    send(widget, {"kind": "undo"})
    send(widget, {"kind": "undo"})
    assert ["pending", "pending"] == [it["status"] for it in widget.items[:2]]
    assert 0 == widget.position


def test_errors_are_shown_not_raised(session: Session, widget: LabelingWidget):
    send(widget, {"kind": "label", "item_id": widget.items[0]["id"], "label": "sprots"})

    assert "not in the schema" in widget.error
    send(widget, {"kind": "undo"})
    assert "nothing to undo" in widget.error
    send(widget, {"kind": "explode"})
    assert "unknown widget message kind" in widget.error
    # a good message clears the error
    send(widget, {"kind": "label", "item_id": widget.items[0]["id"], "label": "food"})
    assert "" == widget.error


def test_labels_given_from_python_reach_the_widget(session: Session, widget: LabelingWidget):
    session.label(session.next_batch().index[0], "tech")

    assert "tech" == widget.items[0]["label"]
    assert "labeled" == widget.items[0]["status"]


def test_stopping_is_shown(pool: pd.DataFrame, tmp_path: Path):
    s = Session(
        pool,
        text="text",
        labels=["sports", "tech", "food"],
        holdout=0.2,
        holdout_label_column="topic",
        batch_size=5,
        budget={"max_rounds": 1},
        random_state=0,
        store=tmp_path / "w",
    )
    w = s.widget
    for it in list(w.items):
        send(w, {"kind": "label", "item_id": it["id"], "label": pool.loc[int(it["id"]), "topic"]})

    assert "stopped" == w.status
    assert "round limit reached" in w.message
    assert [] == w.items
    assert "round limit reached" in w.curve["stop"]
    s.close()


def test_numeric_rows_are_tables_and_digits_are_images(tmp_path: Path):
    from sklearn.datasets import load_digits

    digits = load_digits(as_frame=True)
    frame = digits.frame.iloc[:300].copy()
    frame["target"] = frame["target"].astype(str)
    pixels = [c for c in frame.columns if c.startswith("pixel")]
    s = Session(
        frame,
        features=pixels,
        labels=[str(i) for i in range(10)],
        image_shape=(8, 8),
        holdout=0.2,
        holdout_label_column="target",
        random_state=0,
        store=tmp_path / "d",
    )
    item = s.widget.items[0]

    assert "image" == item["kind"]
    assert 64 == len(item["image"]["pixels"])
    assert 0 <= min(item["image"]["pixels"])
    assert max(item["image"]["pixels"]) <= 255
    s.close()
    t = Session(
        frame,
        features=pixels[:5],
        labels=[str(i) for i in range(10)],
        holdout=0.2,
        holdout_label_column="target",
        random_state=0,
        store=tmp_path / "t",
    )
    row = t.widget.items[0]
    assert "table" == row["kind"]
    assert pixels[:5] == [f[0] for f in row["fields"]]
    t.close()


def test_display_is_the_widget(session: Session):
    bundle, _ = session._repr_mimebundle_()

    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert session.widget.model_id == bundle["application/vnd.jupyter.widget-view+json"]["model_id"]
    assert repr(session) == bundle["text/plain"]


def test_hotkeys_skip_reserved_letters():
    keys = hotkeys(tuple(f"c{i}" for i in range(40)))

    assert keys[:9] == [str(i) for i in range(1, 10)]
    assert not {"s", "u", "z"} & set(keys)
    assert "" == keys[-1]
    assert len({k for k in keys if k}) == len([k for k in keys if k])


def test_image_shape_must_match_the_features(pool: pd.DataFrame, tmp_path: Path):
    from jupyter_al.exceptions import ConfigError

    df = pd.DataFrame(np.zeros((50, 4)), columns=list("abcd")).assign(y=["x", "y"] * 25)
    with pytest.raises(ConfigError, match="image_shape"):
        Session(
            df, features=list("abcd"), labels=["x", "y"], image_shape=(3, 3), store=tmp_path / "i"
        )


# ------------------------------------------------------------------ the interview
def test_incomplete_session_opens_the_interview(pool: pd.DataFrame, tmp_path: Path):
    s = Session(pool, store=tmp_path / "iv", random_state=0)
    w = s.widget

    assert not s.is_configured
    assert "interview" == w.mode
    assert "not configured" in repr(s)
    assert ["text"] == w.interview["summary"]["text_candidates"]
    assert "topic" in w.interview["summary"]["label_candidates"]
    assert "text" in w.interview["errors"]
    with pytest.raises(Exception, match="not configured yet"):
        s.next_batch()
    assert not (tmp_path / "iv").exists()


def test_interview_change_validates_and_writes_code(pool: pd.DataFrame, tmp_path: Path):
    s = Session(pool, store=tmp_path / "iv", random_state=0)
    w = s.widget
    answers = dict(w.interview["answers"])
    answers.update(text="txt", label_column="topic")
    send(w, {"kind": "interview_change", "answers": answers})

    assert "not in the data" in w.interview["errors"]["text"]
    assert "partially labeled" != w.interview["label_status"]["label_column"]["status"]
    assert "labeled" == w.interview["label_status"]["label_column"]["status"]
    assert {"sports", "tech", "food"} == set(w.interview["label_status"]["label_column"]["counts"])
    answers.update(text="text", label_column=None, task="ranking")
    send(w, {"kind": "interview_change", "answers": answers})
    assert "query" in w.interview["errors"]["query"]
    assert "task='ranking'" in w.interview["code"]
    assert "text='text'" in w.interview["code"]


def test_interview_submit_configures_and_shows_the_batch(pool: pd.DataFrame, tmp_path: Path):
    s = Session(pool, store=tmp_path / "iv", random_state=0)
    w = s.widget
    answers = dict(w.interview["answers"])
    answers.update(
        text="text",
        labels=[
            {"name": "sports", "description": "games", "key": "q"},
            {"name": "tech", "description": "", "key": ""},
            {"name": "food", "description": "", "key": ""},
        ],
        holdout={"kind": "fraction", "fraction": 0.2, "label_column": "topic"},
        batch_size=5,
    )
    send(w, {"kind": "interview_submit", "answers": answers})

    assert "" == w.error
    assert s.is_configured
    assert "label" == w.mode
    assert 5 == len(w.items)
    assert ["q", "2", "3"] == [c["key"] for c in w.classes]
    assert "games" == w.classes[0]["description"]
    assert (tmp_path / "iv" / "events.jsonl").exists()
    assert ("sports", "tech", "food") == s.classes


def test_interview_submit_with_errors_is_refused(pool: pd.DataFrame, tmp_path: Path):
    s = Session(pool, store=tmp_path / "iv")
    w = s.widget
    send(w, {"kind": "interview_submit", "answers": w.interview["answers"]})

    assert "answers to fix" in w.error
    assert not s.is_configured


def test_configure_in_code_after_an_incomplete_start(pool: pd.DataFrame, tmp_path: Path):
    s = Session(pool, store=tmp_path / "c", holdout=0.2, holdout_label_column="topic")
    s.configure(text="text", labels=["sports", "tech", "food"], random_state=1)

    assert 10 == len(s.next_batch())
    assert 0.2 == s.config.holdout
    s.close()


def test_one_character_labels_keep_their_own_key():
    assert [str(d) for d in range(10)] == hotkeys(tuple(str(d) for d in range(10)))
    assert ["y", "n", "1"] == hotkeys(("y", "n", "maybe"))
    assert ["1", "2"] == hotkeys(("s", "u"))  # reserved letters are never given


def test_interview_from_a_sql_source_runs_the_query_only_at_submit(
    pool: pd.DataFrame, tmp_path: Path
):
    import sqlite3

    db = tmp_path / "d.db"
    with sqlite3.connect(db) as conn:
        pool.reset_index().to_sql("items", conn, index=False)
    s = Session(store=tmp_path / "sql", random_state=0)
    w = s.widget
    answers = dict(w.interview["answers"])
    answers.update(
        source={"kind": "sql", "query": "select * from items", "url": f"sqlite:///{db}"},
        text="text",
        labels=[{"name": n, "description": "", "key": ""} for n in ("sports", "tech", "food")],
        holdout={"kind": "fraction", "fraction": 0.2, "label_column": "topic"},
    )
    send(w, {"kind": "interview_change", "answers": answers})

    assert "runs when you start labeling" in w.interview["notes"]["source"]
    assert "source" not in w.interview["errors"]
    send(w, {"kind": "interview_submit", "answers": answers})
    assert "" == w.error
    assert s.is_configured
    assert 10 == len(w.items)
    s.close()


def test_chosen_hotkeys_are_not_given_twice(pool: pd.DataFrame, tmp_path: Path):
    s = Session(pool, store=tmp_path / "k", random_state=0)
    w = s.widget
    answers = dict(w.interview["answers"])
    answers.update(
        text="text",
        labels=[
            {"name": "sports", "key": ""},
            {"name": "tech", "key": "1"},
            {"name": "food", "key": ""},
        ],
        holdout={"kind": "fraction", "fraction": 0.2, "label_column": "topic"},
    )
    send(w, {"kind": "interview_submit", "answers": answers})
    keys = [c["key"] for c in w.classes]

    assert "1" == keys[1]
    assert len(set(keys)) == 3
    s.close()


def test_curve_counts_closed_rounds_even_without_a_point(session: Session, widget: LabelingWidget):
    for it in list(widget.items):
        send(widget, {"kind": "label", "item_id": it["id"], "label": "food"})  # one class only

    assert 1 == widget.curve["closed"]
    assert [] == widget.curve["x"]


def _judged_session(pool: pd.DataFrame, tmp_path: Path) -> Session:
    from jupyter_al.judge import Judge

    def answer(_request: dict[str, Any]) -> str:
        return json.dumps({"label": "food", "rationale": "a <b>recipe</b>", "confidence": 0.8})

    return Session(
        pool,
        text="text",
        labels=["sports", "tech", "food"],
        holdout=0.2,
        holdout_label_column="topic",
        batch_size=10,
        random_state=0,
        store=tmp_path / "judged",
        llm_judge=True,
        judge=Judge("kw", fn=answer),
        judge_eval=20,
        strategy="judge_triage",
    )


def test_judge_metrics_are_their_own_series_and_notes_reach_the_items(
    pool: pd.DataFrame, tmp_path: Path
):
    s = _judged_session(pool, tmp_path)
    w = s.widget
    for it in list(w.items):
        send(w, {"kind": "label", "item_id": it["id"], "label": pool.loc[int(it["id"]), "topic"]})

    assert 1 == len(s.rounds)
    column = s.rounds["judge:" + s.metric]
    judged = s.rounds[column.notna()]
    assert len(judged) == 1
    assert judged["n_labeled"].tolist() == w.curve["judge"]["x"]
    assert judged[f"judge:{s.metric}"].tolist() == pytest.approx(w.curve["judge"]["y"])
    assert judged["round"].tolist() == w.curve["judge"]["rounds"]
    # human gold stays its own series, never mixed with the judge's
    assert s.rounds["value"].tolist() == w.curve["y"]
    assert w.curve["y"] != w.curve["judge"]["y"]

    notes = [it["judge"] for it in w.items if "judge" in it]
    assert notes, "the judge_triage batch has items the judge answered about"
    note = notes[0]
    assert "food" == note["label"]
    assert "a <b>recipe</b>" == note["rationale"]
    assert 0.8 == note["confidence"]
    assert "kw" == note["model"]
    assert note["use"]
    first = next(it for it in w.items if "judge" in it)
    assert note == s.judge_note(s.batch_item_id(first["id"]))
    json.dumps(w.items)  # JSON-safe, as the comm sends it
    json.dumps(w.curve)
    s.close()


def test_a_judge_answer_during_the_batch_reaches_its_item(pool: pd.DataFrame, tmp_path: Path):
    s = _judged_session(pool, tmp_path)
    w = s.widget
    item = w.items[-1]["id"]
    s.judge_adjudicate([s.batch_item_id(item)])

    shown = next(it for it in w.items if it["id"] == item)
    assert "adjudication" == shown["judge"]["use"]
    assert "food" == shown["judge"]["label"]
    s.close()


def test_without_a_judge_there_is_no_judge_series_or_note(
    session: Session, widget: LabelingWidget, pool: pd.DataFrame
):
    for it in list(widget.items):
        send(
            widget,
            {"kind": "label", "item_id": it["id"], "label": pool.loc[int(it["id"]), "topic"]},
        )

    assert 1 == len(session.rounds)
    assert {"x": [], "y": [], "rounds": []} == widget.curve.get(
        "judge", {"x": [], "y": [], "rounds": []}
    )
    assert not any("judge" in it for it in widget.items)
