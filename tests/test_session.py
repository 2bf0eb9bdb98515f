"""The Session loop: batches, labels, undo, skip, submit, stopping rules, files."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from jupyter_al import Budget, Config, Session
from jupyter_al.exceptions import (
    ConfigError,
    LabelError,
    RunLockedError,
    SessionExistsError,
    SessionStoppedError,
)
from jupyter_al.strategies import DEFAULT_STRATEGY
from tests.conftest import answer_batch, make_text_frame

if TYPE_CHECKING:
    from pathlib import Path

BATCH_COLUMNS = [
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
]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_first_batch_is_a_diverse_seed_not_the_head(session: Session, pool: pd.DataFrame):
    batch = session.next_batch()

    assert BATCH_COLUMNS == list(batch.columns)
    assert 10 == len(batch)
    assert list(batch.index) != list(pool.index[:10])
    assert batch["strategy"].eq("diverse_seed").all()
    assert batch["reason"].str.contains("cold start").all()
    assert not set(batch.index) & set(session.holdout_ids)
    # the seed covers more than one topic
    assert pool.loc[batch.index, "topic"].nunique() >= 2


def test_next_batch_returns_the_open_batch_until_submit(session: Session):
    first = session.next_batch()
    again = session.next_batch()

    assert list(first.index) == list(again.index)


def test_round_trip_writes_every_file(labeled_session: Session):
    s = labeled_session
    store = s.store
    results = pd.read_csv(store / "results.tsv", sep="\t")

    expected_head = [
        "round",
        "n_labeled",
        "n_unlabeled",
        "batch_size",
        "strategy",
        "metric",
        "value",
    ]
    assert expected_head == list(results.columns[:7])
    assert [1, 2] == results["round"].tolist()
    assert [10, 20] == results["n_labeled"].tolist()
    assert results["value"].between(0, 1).all()
    assert "model_version" in results.columns
    sel = read_jsonl(store / "selection_round_02.jsonl")
    assert {
        "id",
        "prediction",
        "confidence",
        "uncertainty",
        "strategy",
        "reason",
        "rank",
        "round",
    } <= set(sel[0])
    assert DEFAULT_STRATEGY["classification"] == sel[0]["strategy"]
    assert list(range(1, 11)) == [r["rank"] for r in sel]
    ann = read_jsonl(store / "annotation_round_01.jsonl")
    assert 10 == len(ann)
    assert {"id", "label", "annotator", "source", "round", "timestamp"} <= set(ann[0])
    notes = (store / "notes.md").read_text()
    assert "## Round 2" in notes
    assert "class distribution" in notes
    # the third batch is open and was written when selected
    assert (store / "selection_round_03.jsonl").exists()


def test_default_batch_reason_carries_numbers(labeled_session: Session):
    batch = labeled_session.next_batch()

    assert batch["strategy"].eq(DEFAULT_STRATEGY["classification"]).all()
    assert batch["reason"].str.contains(r"\d\.\d", regex=True).all()
    assert batch["prediction"].isin(["sports", "tech", "food"]).all()
    assert batch["confidence"].between(0, 1).all()
    assert (batch["uncertainty"].diff().dropna() <= 1e-9).all()  # best first


def test_labels_series_is_aligned_with_provenance(labeled_session: Session, pool: pd.DataFrame):
    labels = labeled_session.labels
    prov = labeled_session.provenance

    assert list(pool.index) == list(labels.index)
    assert 20 == int(labels.loc[labeled_session.pool_ids].notna().sum())
    # held-out gold labels are shown too
    assert labels.loc[labeled_session.holdout_ids].notna().all()
    assert 20 == len(prov)
    assert {"annotator", "source", "round", "timestamp"} <= set(prov.columns)
    assert {1, 2} == set(prov["round"])


def test_undo_takes_back_several_steps_and_keeps_the_log(session: Session, pool: pd.DataFrame):
    batch = session.next_batch()
    ids = list(batch.index[:3])
    for i in ids:
        session.label(i, "food")
    session.skip(batch.index[3])

    assert batch.index[3] == session.undo()
    assert ids[2] == session.undo()
    assert ids[1] == session.undo()
    assert ["labeled", "pending", "pending", "pending"] == session.next_batch()["status"].tolist()[
        :4
    ]
    events = read_jsonl(session.store / "events.jsonl")
    assert 3 == sum(e.get("type") == "undone" for e in events)
    assert 3 == sum(e.get("type") == "labeled" for e in events)


def test_undo_with_nothing_to_undo_says_why(session: Session):
    session.next_batch()

    with pytest.raises(LabelError, match="nothing to undo"):
        session.undo()


def test_relabel_overrides_and_undo_restores_previous(session: Session):
    item = session.next_batch().index[0]
    session.label(item, "food")
    session.label(item, "tech")

    assert "tech" == session.labels.loc[item]
    session.undo()
    assert "food" == session.labels.loc[item]


def test_skipped_items_are_not_selected_again(session: Session, pool: pd.DataFrame):
    batch = session.next_batch()
    skipped = batch.index[0]
    session.skip(skipped, unsure=True)
    for i in batch.index[1:]:
        session.label(i, pool.loc[i, "topic"])
    session.submit()
    seen = set()
    for _ in range(3):
        seen |= set(answer_batch(session, pool["topic"]).index)
        session.submit()

    assert skipped not in seen
    ann = read_jsonl(session.store / "annotation_round_01.jsonl")
    assert ["unsure"] == [a["status"] for a in ann if a["id"] == skipped]


def test_unreviewed_items_go_back_to_the_pool(session: Session, pool: pd.DataFrame):
    batch = session.next_batch()
    for i in batch.index[:5]:
        session.label(i, pool.loc[i, "topic"])
    result = session.submit()

    assert 5 == result.n_labeled
    notes = (session.store / "notes.md").read_text()
    assert "5 item(s) of the batch were left unreviewed" in notes


def test_holdout_never_enters_a_batch(session: Session, pool: pd.DataFrame):
    selected: set = set()
    for _ in range(6):
        selected |= set(answer_batch(session, pool["topic"]).index)
        session.submit()

    assert not selected & set(session.holdout_ids)
    assert not set(session.pool_ids) & set(session.holdout_ids)
    assert len(session.pool_ids) + len(session.holdout_ids) == len(pool)


def test_holdout_split_is_stratified(session: Session, pool: pd.DataFrame):
    share = pool.loc[session.holdout_ids, "topic"].value_counts(normalize=True)
    overall = pool["topic"].value_counts(normalize=True)

    assert np.allclose(overall.sort_index(), share.sort_index(), atol=0.05)


def test_learning_curve_has_one_point_per_round(labeled_session: Session):
    fig = labeled_session.learning_curve()

    assert [10, 20] == list(fig.data[0].x)
    assert labeled_session.rounds["value"].tolist() == list(fig.data[0].y)


def test_model_is_fitted_after_a_round(session: Session, pool: pd.DataFrame):
    with pytest.raises(NotFittedError):
        _ = session.model_
    answer_batch(session, pool["topic"])
    session.submit()

    assert hasattr(session.model_, "predict_proba")


def test_label_outside_schema_is_refused_and_nothing_logged(session: Session):
    item = session.next_batch().index[0]
    before = (session.store / "events.jsonl").read_bytes()

    with pytest.raises(LabelError, match=r"'sprots' is not in the schema .*did you mean 'sports'"):
        session.label(item, "sprots")
    assert before == (session.store / "events.jsonl").read_bytes()


def test_label_unknown_item_names_it(session: Session):
    with pytest.raises(LabelError, match="item_id 99999 is not in the data"):
        session.label(99999, "food")


def test_label_of_a_held_out_item_is_gold_not_training(session: Session):
    item = session.holdout_ids[0]
    session.label(item, "food")

    assert "holdout" == session.provenance.loc[item, "split"]
    assert item not in session.next_batch().index


def test_submit_without_batch_is_explained(session: Session):
    with pytest.raises(ConfigError, match="no open batch"):
        session.submit()


# ------------------------------------------------------------------ stopping rules
def run_until_stopped(s: Session, truth: pd.Series, max_rounds: int = 60) -> None:
    for _ in range(max_rounds):
        if s.stopped:
            return
        answer_batch(s, truth)
        s.submit()


def new_session(pool: pd.DataFrame, tmp_path: Path, **kwargs) -> Session:
    args = {
        "text": "text",
        "labels": ["sports", "tech", "food"],
        "holdout": 0.2,
        "holdout_label_column": "topic",
        "batch_size": 10,
        "random_state": 0,
        "store": tmp_path / "run",
    }
    args.update(kwargs)
    return Session(pool, **args)


@pytest.mark.parametrize(
    ("kwargs", "rule", "words"),
    [
        ({"budget": Budget(max_rounds=3)}, "max_rounds", "round limit reached: 3 of 3 rounds"),
        ({"budget": 25}, "max_labels", "label budget reached: 25 of 25 labels"),
        (
            {"budget": {"max_cost": 4.0, "cost_per_label": 0.25}},
            "max_cost",
            "money budget reached: 4 of 4 spent",
        ),
        (
            {"annotator_capacity": 20},
            "annotator_capacity",
            "'annotator' reached capacity: 20 of 20",
        ),
        ({"plateau_patience": 2, "plateau_min_delta": 0.5}, "plateau", "plateaued"),
        ({"budget": {"max_minutes": 1e-9}}, "max_minutes", "time budget reached"),
    ],
)
def test_each_stopping_rule_fires_and_is_recorded(pool, tmp_path, kwargs, rule, words):
    s = new_session(pool, tmp_path, **kwargs)
    run_until_stopped(s, pool["topic"])

    assert s.stopped
    assert words in s.stop_reason
    events = read_jsonl(s.store / "events.jsonl")
    stops = [e for e in events if e.get("type") == "stopped"]
    assert [rule] == [e["rule"] for e in stops]
    assert words in (s.store / "notes.md").read_text()
    with pytest.raises(SessionStoppedError, match="has stopped"):
        s.next_batch()
    with pytest.raises(SessionStoppedError):
        s.label(s.pool_ids[0], "food")
    s.close()


def test_label_budget_trims_the_last_batch(pool, tmp_path):
    s = new_session(pool, tmp_path, budget=25)
    sizes = []
    while not s.stopped:
        sizes.append(len(answer_batch(s, pool["topic"])))
        s.submit()

    assert [10, 10, 5] == sizes
    s.close()


def test_pool_running_out_stops_the_run(tmp_path):
    small = make_text_frame(40, 1)
    s = Session(
        small,
        text="text",
        labels=["sports", "tech", "food"],
        holdout=0.25,
        holdout_label_column="topic",
        batch_size=8,
        random_state=0,
        store=tmp_path / "r",
        budget=Budget(max_rounds=50),
    )
    run_until_stopped(s, small["topic"])

    assert s.stop_reason.startswith("pool exhausted: all 30 pool items are labeled or skipped")
    s.close()


def test_a_run_without_budget_is_still_bounded(session: Session):
    assert 50 == session.config.budget.max_rounds


def test_user_stop_is_logged(session: Session):
    session.next_batch()
    session.stop("lunch")

    assert "lunch" == session.stop_reason
    assert "lunch" in (session.store / "notes.md").read_text()


# ------------------------------------------------------------------ other data shapes
def test_multilabel_loop(ml_pool: pd.DataFrame, tmp_path: Path):
    s = Session(
        ml_pool,
        text="text",
        task="multilabel",
        holdout=0.25,
        holdout_label_column="topics",
        batch_size=12,
        random_state=0,
        store=tmp_path / "ml",
    )
    truth = ml_pool["topics"].str.split("|")
    for _ in range(3):
        answer_batch(s, truth)
        s.submit()
    batch = s.next_batch()

    assert ("food", "sports", "tech") == s.classes
    assert "f1_micro" == s.rounds["metric"].iloc[-1]
    assert {"metric:hamming_loss", "metric:subset_accuracy"} <= set(s.rounds.columns)
    assert batch["strategy"].eq(DEFAULT_STRATEGY["multilabel"]).all()
    assert all(isinstance(p, list) for p in batch["prediction"])
    first = s.labels.dropna().iloc[0]
    assert isinstance(first, tuple)
    s.close()


def test_multilabel_label_validation(ml_pool: pd.DataFrame, tmp_path: Path):
    s = Session(
        ml_pool,
        text="text",
        task="multilabel",
        holdout=0.25,
        holdout_label_column="topics",
        random_state=0,
        store=tmp_path / "ml",
    )
    item = s.next_batch().index[0]
    s.label(item, [])  # "no label applies" is a label

    assert () == s.labels.loc[item]
    with pytest.raises(LabelError, match=r"\['drinks'\] are not in the schema"):
        s.label(item, ["food", "drinks"])
    s.close()


def test_numeric_features_loop(numeric_pool: pd.DataFrame, tmp_path: Path):
    s = Session(
        numeric_pool,
        features=[f"f{i}" for i in range(6)],
        labels=["a", "b", "c"],
        holdout=0.2,
        holdout_label_column="y",
        batch_size=15,
        random_state=0,
        store=tmp_path / "num",
    )
    for _ in range(3):
        answer_batch(s, numeric_pool["y"])
        s.submit()

    assert 3 == len(s.rounds)
    assert s.rounds["value"].iloc[-1] > 0.4
    assert list(s.next_batch().columns[:6]) == [f"f{i}" for i in range(6)]
    s.close()


def test_partially_labeled_data_starts_from_its_labels(pool: pd.DataFrame, tmp_path: Path):
    df = pool.copy()
    df["known"] = None
    # a few labels, heavily imbalanced: 12 sports, 1 tech, 1 food
    for topic, n in (("sports", 12), ("tech", 1), ("food", 1)):
        idx = df.index[df["topic"] == topic][:n]
        df.loc[idx, "known"] = topic
    s = Session(
        df,
        text="text",
        label_column="known",
        holdout=0.2,
        holdout_label_column="topic",
        batch_size=10,
        random_state=0,
        store=tmp_path / "p",
    )
    batch = s.next_batch()

    assert ("food", "sports", "tech") == s.classes
    assert [0] == s.rounds["round"].tolist()
    known_in_pool = df.loc[s.pool_ids, "known"].notna().sum()
    assert known_in_pool == s.rounds["n_labeled"].iloc[0]
    assert known_in_pool >= 10
    assert batch["strategy"].eq("diverse_seed").all()
    assert not set(batch.index) & set(df.index[df["known"].notna()])
    # never all from the majority class the labels hint at
    assert df.loc[batch.index, "topic"].nunique() >= 2
    assert (df.loc[batch.index, "topic"] != "sports").sum() >= 3
    s.close()


def test_user_model_and_strategy_are_accepted(pool: pd.DataFrame, tmp_path: Path):
    from sklearn.naive_bayes import MultinomialNB

    from jupyter_al.strategies import Selection

    def longest_first(candidates, batch_size, rng):
        X = candidates.X
        lengths = np.asarray(X.getnnz(axis=1), dtype=float)
        order = np.argsort(-lengths, kind="stable")[:batch_size]
        return Selection(
            positions=order.astype(np.intp),
            scores=lengths[order],
            reasons=tuple(f"{int(n)} distinct terms" for n in lengths[order]),
            strategy="longest",
        )

    s = new_session(pool, tmp_path, model=MultinomialNB(), strategy=longest_first)
    answer_batch(s, pool["topic"])
    s.submit()
    batch = s.next_batch()

    assert batch["strategy"].eq("longest").all()
    assert "MultinomialNB" in s.rounds["model_version"].iloc[-1]
    assert s.config.model.endswith("MultinomialNB")
    s.close()


# ------------------------------------------------------------------ the run folder
def test_a_second_new_session_on_a_used_folder_is_refused(session: Session, pool: pd.DataFrame):
    with pytest.raises(RunLockedError, match="in use by another session"):
        new_session(pool, session.store.parent)
    session.close()
    with pytest.raises(SessionExistsError, match=r"Session\.resume"):
        new_session(pool, session.store.parent)


def test_resume_while_the_first_is_open_is_locked(session: Session, pool: pd.DataFrame):
    with pytest.raises(RunLockedError):
        Session.resume(session.store, pool)


def test_config_object_or_keywords_not_both(pool: pd.DataFrame, tmp_path: Path):
    cfg = Config(
        labels=("sports", "tech", "food"),
        text="text",
        holdout=0.2,
        holdout_label_column="topic",
        random_state=0,
    )
    s = Session(pool, config=cfg, store=tmp_path / "c")

    assert cfg == s.config
    with pytest.raises(TypeError, match="either config= or configuration keywords"):
        Session(pool, config=cfg, text="text", store=tmp_path / "d")
    s.close()


def test_repr_names_the_store(session: Session):
    assert str(session.store) in repr(session)
