"""Extraction, ranking, regression and prediction units in the Session loop (jupyter_al._tasks)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_al import Session, replay, simulate
from jupyter_al._datasets import cisi, diabetes, restaurant8k
from jupyter_al._events import label_from_json, label_to_json
from jupyter_al._tasks import RankingCandidates
from jupyter_al.exceptions import ConfigError, LabelError
from jupyter_al.strategies import (
    STRATEGIES,
    Candidates,
    Selection,
    get_strategy,
    known_strategies,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
R8K_TYPES = ["date", "first_name", "last_name", "people", "time"]


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


@pytest.fixture(scope="module")
def r8k() -> pd.DataFrame:
    frame, _ = restaurant8k(str(DATA / "restaurant8k"))
    return frame.iloc[:400]


@pytest.fixture(scope="module")
def cisi_pairs() -> pd.DataFrame:
    frame, _ = cisi(str(DATA / "cisi"))
    keep = frame["query_id"].drop_duplicates().iloc[:25]
    return frame[frame["query_id"].isin(keep)].reset_index(drop=True)


# ------------------------------------------------------------------------------ labels in JSON


def test_labels_round_trip_through_json():
    spans = ((0, 4, "time"), (9, 13, "people"))
    for value in (spans, (), 2, 3.5, "spam", ("a", "b")):
        assert label_from_json(json.loads(json.dumps(label_to_json(value)))) == value


# ------------------------------------------------------------------------------ extraction


def test_extraction_loop_logs_spans_metrics_and_replays(r8k, tmp_path):
    store = tmp_path / "run"
    s = simulate(
        r8k,
        oracle="spans",
        text="text",
        labels=R8K_TYPES,
        task="extraction",
        span_overlap="nested",
        batch_size=10,
        rounds=3,
        store=store,
    )
    rounds = s.rounds
    assert list(rounds["metric"].unique()) == ["span_f1_micro"]
    assert rounds["strategy"].tolist() == ["diverse_seed", *["sequence_least_confidence"] * 2]
    # the model learns: the last round finds spans the held-out gold has
    assert rounds["value"].iloc[-1] > 0
    results = pd.read_csv(store / "results.tsv", sep="\t")
    for col in (
        "metric:span_f1_macro",
        "metric:span_precision_micro",
        "metric:span_recall_macro",
        "metric:span_f1:time",
        "metric:span_precision:people",
        "metric:span_recall:date",
    ):
        assert col in results.columns
    sel = lines(store / "selection_round_02.jsonl")
    assert all(isinstance(x["prediction"], list) for x in sel)
    assert sel[0]["reason"].startswith("least confidence")
    ann = lines(store / "annotation_round_02.jsonl")
    text = r8k["text"]
    for row in ann:
        for start, end, kind in row["label"]:
            assert kind in R8K_TYPES
            assert 0 <= start < end <= len(text.iloc[int(row["id"])])
    assert replay(store, r8k).ok
    names = set(s.guards()["name"])
    assert {"duplicate_pool", "near_identical", "outliers_selected", "eval_leakage"} <= names
    assert not names & {"class_imbalance", "suspicious_labels", "schema_confusion"}


def test_extraction_label_errors_name_the_span(r8k, tmp_path):
    s = Session(
        r8k,
        text="text",
        labels=R8K_TYPES,
        task="extraction",
        holdout=0.2,
        batch_size=5,
        store=tmp_path / "run",
        random_state=0,
    )
    item = next(i for i in s.pool_ids if len(r8k.loc[i, "text"]) > 10)
    text = str(r8k.loc[item, "text"])
    with pytest.raises(LabelError, match="past the end of the text"):
        s.label(item, [[0, len(text) + 5, "time"]])
    with pytest.raises(LabelError, match="'dish'"):
        s.label(item, [[0, 1, "dish"]])
    with pytest.raises(LabelError, match="list of spans"):
        s.label(item, "7 pm")
    with pytest.raises(LabelError, match="overlap"):
        s.label(item, [[0, 2, "time"], [1, 3, "date"]])
    # nothing was logged by the refused labels; a good one is durable, {start, end, type} too
    assert s.n_human_labels == 0
    s.label(item, [{"start": 0, "end": 1, "type": "time"}])
    s.label(item, [])  # "no span" is a label
    assert s.labels.loc[item] == ()
    s.close()


# ------------------------------------------------------------------------------ ranking


def test_ranking_holds_out_whole_queries_and_scores_ndcg(cisi_pairs, tmp_path):
    store = tmp_path / "run"
    s = simulate(
        cisi_pairs,
        oracle="grade",
        task="ranking",
        text="text",
        query="query",
        query_id="query_id",
        labels=["not_relevant", "relevant"],
        batch_size=20,
        rounds=3,
        store=store,
    )
    pool_q = set(cisi_pairs.loc[list(s.pool_ids), "query_id"])
    held_q = set(cisi_pairs.loc[list(s.holdout_ids), "query_id"])
    assert held_q
    assert not pool_q & held_q
    results = pd.read_csv(store / "results.tsv", sep="\t")
    assert {"metric:ndcg@10", "metric:ndcg@5", "metric:map", "metric:mrr"} <= set(results)
    assert ((results["metric:ndcg@10"] >= 0) & (results["metric:ndcg@10"] <= 1)).all()
    # the seed found relevant pairs: a ranking seed never holds only the majority grade
    first = lines(store / "annotation_round_01.jsonl")
    assert {row["label"] for row in first} == {0, 1}
    assert replay(store, cisi_pairs).ok
    # the task-free guards are read; the ones that need class labels are not
    names = set(s.guards()["name"])
    assert {"duplicate_pool", "outliers_selected", "eval_leakage", "class_imbalance"} <= names
    assert "suspicious_labels" not in names


def test_ranking_holdout_frame_must_hold_other_queries(cisi_pairs, tmp_path):
    first = cisi_pairs["query_id"].iloc[0]
    held = cisi_pairs[cisi_pairs["query_id"] == first]
    rest = cisi_pairs.drop(index=held.index)
    kwargs = {"task": "ranking", "text": "text", "query": "query", "query_id": "query_id"}
    labels = ["not_relevant", "relevant"]
    with pytest.raises(ConfigError, match="holdout shares 1 queries with data"):
        Session(
            cisi_pairs.drop(index=held.index[:3]),
            holdout=held.iloc[:3].rename(index=lambda i: f"h{i}"),
            labels=labels,
            store=tmp_path / "a",
            **kwargs,
        )
    s = Session(
        rest,
        holdout=held.rename(index=lambda i: f"h{i}"),
        labels=labels,
        holdout_label_column="grade",
        store=tmp_path / "b",
        **kwargs,
    )
    assert len(s.holdout_ids) == len(held)
    s.close()


def test_ranking_pairs_without_a_query_are_left_out_and_said(cisi_pairs, tmp_path):
    pairs = cisi_pairs.copy()
    pairs.loc[[0, 1], "query"] = None
    s = Session(
        pairs,
        task="ranking",
        text="text",
        query="query",
        query_id="query_id",
        labels=["not_relevant", "relevant"],
        holdout=0.2,
        store=tmp_path / "run",
    )
    # left out wherever the split put them (pool or held out), and said either way
    assert 0 not in s.pool_ids
    assert 0 not in s.holdout_ids
    assert any("missing query" in w for w in s.warnings)
    with pytest.raises(LabelError, match="left out of the session at start"):
        s.label(1, "relevant")
    s.close()


def test_ranking_grade_outside_the_scale_is_refused(cisi_pairs, tmp_path):
    s = Session(
        cisi_pairs,
        task="ranking",
        text="text",
        query="query",
        labels=["not_relevant", "relevant"],
        holdout=0.2,
        store=tmp_path / "run",
    )
    item = s.pool_ids[0]
    with pytest.raises(LabelError, match="grade"):
        s.label(item, 3)
    with pytest.raises(LabelError, match="grade"):
        s.label(item, "very relevant")
    s.label(item, "relevant")
    s.label(s.pool_ids[1], 0)
    assert s.labels.loc[item] == 1
    assert s.labels.loc[s.pool_ids[1]] == 0
    s.close()


# ------------------------------------------------------------------------------ regression


def test_regression_loop_numbers_intervals_and_errors(tmp_path):
    frame, _ = diabetes(None)
    store = tmp_path / "run"
    s = simulate(
        frame,
        oracle="progression",
        task="regression",
        features=[c for c in frame.columns if c != "progression"],
        batch_size=10,
        rounds=3,
        store=store,
    )
    assert s.metric == "rmse"
    results = pd.read_csv(store / "results.tsv", sep="\t")
    assert {"metric:rmse", "metric:mae", "metric:r2"} <= set(results)
    sel = lines(store / "selection_round_02.jsonl")
    for row in sel:
        low, high = row["interval"]
        assert low <= row["prediction"] <= high
    assert replay(store, frame).ok
    with pytest.raises(ConfigError, match="labels must be empty"):
        Session(frame, features=["age"], task="regression", labels=["a"], store=tmp_path / "x")
    # a nullable column's missing cells (pd.NA) are unlabeled items, not bad labels
    nullable = frame.assign(progression=frame["progression"].astype("Float64"))
    nullable.loc[nullable.index[5:], "progression"] = pd.NA
    partial = Session(
        nullable,
        features=["age"],
        task="regression",
        label_column="progression",
        store=tmp_path / "z",
    )
    assert partial.n_human_labels == 0
    assert len(partial.labels.dropna()) == 5
    partial.close()
    live = Session(frame, features=["age", "bmi"], task="regression", store=tmp_path / "y")
    with pytest.raises(LabelError, match="finite number"):
        live.label(live.pool_ids[0], "high")
    with pytest.raises(LabelError, match="finite number"):
        live.label(live.pool_ids[0], float("nan"))
    live.label(live.pool_ids[0], "151.5")
    assert live.labels.loc[live.pool_ids[0]] == pytest.approx(151.5)
    live.close()


# ------------------------------------------------------------------------------ units


DOCS = pd.DataFrame(
    {
        "body": [
            "The refund arrived. Support was great, e.g. fast replies. I paid 3.50 dollars.",
            "My card was blocked. Nobody answered for 2.5 hours! Dr. Smith could not help.",
            "Great app. Love it. The new design is clean.",
            "Terrible service. I want my money back. Never again.",
        ]
        * 5
    },
    index=[f"d{i}" for i in range(20)],
)


def test_sentence_units_keep_provenance_context_and_replay(tmp_path):
    store = tmp_path / "run"
    s = Session(
        DOCS,
        text="body",
        labels=["pos", "neg"],
        prediction_unit="sentence",
        holdout=0.25,
        batch_size=4,
        store=store,
        random_state=1,
    )
    # abbreviations and decimals do not end a sentence
    assert s.unit_context("d0#s1")["before"] == ["The refund arrived."]
    assert "d0#s3" not in s.pool_ids
    assert len(s.pool_ids) + len(s.holdout_ids) == 60
    # held out by document: no document has units on both sides
    parents = {i.split("#")[0] for i in s.pool_ids}
    assert not parents & {i.split("#")[0] for i in s.holdout_ids}
    for item in s.holdout_ids:
        s.label(item, "pos" if "reat" in str(item) or item.endswith("s1") else "neg")
    batch = s.next_batch()
    for i, item in enumerate(batch.index):
        s.label(item, "pos" if i % 2 else "neg")
    s.submit()
    ann = lines(store / "annotation_round_01.jsonl")
    for row in ann:
        parent, _, pos = row["id"].rpartition("#s")
        assert row["parent_id"] == parent
        assert row["unit"] == "sentence"
        assert row["position"] == int(pos)
        assert DOCS.loc[parent, "body"][row["start"] : row["end"]]
    assert {"parent_id", "start", "end"} <= set(lines(store / "selection_round_02.jsonl")[0])
    ctx = s.unit_context(batch.index[0])
    assert ctx["parent_id"] == batch.index[0].split("#")[0]
    assert ctx["n_units"] == 3
    rolled = s.rollup("majority")
    assert set(rolled.index) == {f"d{i}" for i in range(20)}
    assert (rolled["n_units"] == 3).all()
    assert set(s.rollup("any", positive="pos")["prediction"]) <= {"pos", "neg"}
    with pytest.raises(LabelError, match="parent 'd99', which is not in the data"):
        s.label("d99#s0", "pos")
    with pytest.raises(LabelError, match="not a unit of parent 'd1'"):
        s.label("d1#s7", "pos")
    s.close()
    assert replay(store, DOCS).ok
    again = Session.resume(store, DOCS)
    assert again.round == s.round
    again.close()


def test_units_refuse_document_labels_and_rows_refuse_unit_options(tmp_path):
    docs = DOCS.assign(y=["pos", "neg"] * 10)
    with pytest.raises(ConfigError, match="label columns"):
        Session(
            docs,
            text="body",
            label_column="y",
            prediction_unit="sentence",
            store=tmp_path / "a",
        )
    with pytest.raises(ConfigError, match="apply to sentence, chunk or message"):
        Session(docs, text="body", labels=["pos", "neg"], unit={"size": 5}, store=tmp_path / "b")


def test_chunk_and_message_units(tmp_path):
    s = Session(
        DOCS,
        text="body",
        labels=["pos", "neg"],
        prediction_unit="chunk",
        unit={"size": 6, "overlap": 2},
        holdout=0.25,
        store=tmp_path / "c",
    )
    ctx = s.unit_context(s.pool_ids[1])
    assert ctx["kind"] == "chunk"
    assert ctx["position"] == 1
    s.close()
    chat = pd.DataFrame(
        {
            "thread": ["t1", "t1", "t2", "t2", "t3", "t3", "t4", "t4"] * 3,
            "turn": [1, 2] * 12,
            "msg": [f"message {i} about the card" for i in range(24)],
            "y": ["pos", "neg"] * 12,
        }
    )
    chat["thread"] = chat["thread"] + chat.index.map(lambda i: str(i // 8))
    m = simulate(
        chat,
        oracle="y",
        text="msg",
        prediction_unit="message",
        unit={"thread": "thread", "order": "turn"},
        batch_size=4,
        rounds=2,
        store=tmp_path / "m",
    )
    ann = lines(tmp_path / "m" / "annotation_round_01.jsonl")
    assert all(row["unit"] == "message" and row["parent_id"].startswith("t") for row in ann)
    assert np.isfinite(m.rounds["value"].dropna()).all()
    assert replay(tmp_path / "m", chat).ok


def test_custom_splitter_must_be_passed_again(tmp_path):
    def by_line(text: str) -> list[tuple[int, int]]:
        return [(0, len(text))]

    store = tmp_path / "run"
    s = Session(
        DOCS,
        text="body",
        labels=["pos", "neg"],
        prediction_unit="sentence",
        splitter=by_line,
        store=store,
    )
    assert len(s.pool_ids) == 20
    assert (
        s.config.unit_options["splitter"]
        == "custom:test_custom_splitter_must_be_passed_again.<locals>.by_line"
    )
    s.close()
    with pytest.raises(ConfigError, match="pass splitter="):
        Session.resume(store, DOCS)
    Session.resume(store, DOCS, splitter=by_line).close()


# ------------------------------------------------------------------------------ the widget


def send(widget, content):
    """Deliver a custom message exactly as ipywidgets receives it from the page."""
    widget._handle_msg(
        {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
    )


def test_widget_extraction_items_and_span_labels(r8k, tmp_path):
    s = Session(
        r8k.assign(spans=[json.loads(x) if i < 40 else None for i, x in enumerate(r8k["spans"])]),
        text="text",
        labels=R8K_TYPES,
        task="extraction",
        label_column="spans",
        span_overlap="nested",
        holdout=0.2,
        batch_size=5,
        store=tmp_path / "run",
        random_state=0,
    )
    w = s.widget
    assert w.task == "extraction"
    assert w.span_overlap == "nested"
    assert [c["name"] for c in w.classes] == R8K_TYPES
    item = w.items[0]
    assert isinstance(item["prediction"], list)
    assert all(set(p) == {"start", "end", "type"} for p in item["prediction"])
    text = item["text"]
    span = {"start": 0, "end": min(4, len(text)), "type": "time"}
    send(w, {"kind": "label", "item_id": item["id"], "label": [span], "source": "key", "t": 1.0})
    assert w.error == ""
    assert s.labels.loc[int(item["id"])] == ((0, span["end"], "time"),)
    assert w.items[0]["label"] == [span]
    bad = {"start": 0, "end": len(text) + 3, "type": "time"}
    send(w, {"kind": "label", "item_id": w.items[1]["id"], "label": [bad], "t": 2.0})
    assert "past the end of the text" in w.error
    assert w.items[1]["status"] == "pending"
    s.close()


def test_widget_ranking_regression_and_unit_items(cisi_pairs, tmp_path):
    r = Session(
        cisi_pairs,
        task="ranking",
        text="text",
        query="query",
        labels=["not_relevant", "relevant"],
        holdout=0.2,
        store=tmp_path / "r",
    )
    w = r.widget
    assert [c["value"] for c in w.classes] == [0, 1]
    item = w.items[0]
    assert item["query"] == cisi_pairs.loc[int(item["id"]), "query"]
    send(w, {"kind": "label", "item_id": item["id"], "label": "relevant", "t": 1.0})
    assert w.items[0]["label"] == "relevant"
    assert r.labels.loc[int(item["id"])] == 1
    r.close()

    frame, _ = diabetes(None)
    g = Session(
        frame.assign(
            progression=[v if i < 30 else None for i, v in enumerate(frame["progression"])]
        ),
        features=["age", "bmi", "bp"],
        task="regression",
        label_column="progression",
        holdout=0.2,
        store=tmp_path / "g",
    )
    w = g.widget
    assert w.classes == []
    item = w.items[0]
    low, high = item["interval"]
    assert low <= item["prediction"] <= high
    send(w, {"kind": "label", "item_id": item["id"], "label": 140.5, "t": 1.0})
    assert w.items[0]["label"] == 140.5
    send(w, {"kind": "label", "item_id": w.items[1]["id"], "label": "lots", "t": 2.0})
    assert "finite number" in w.error
    g.close()

    u = Session(
        DOCS,
        text="body",
        labels=["pos", "neg"],
        prediction_unit="sentence",
        holdout=0.25,
        store=tmp_path / "u",
    )
    item = u.widget.items[0]
    ctx = item["context"]
    parent = item["id"].split("#")[0]
    assert ctx["parent_id"] == parent
    assert ctx["kind"] == "sentence"
    body = DOCS.loc[parent, "body"]
    assert body[ctx["start"] : ctx["end"]] == item["text"]
    u.close()


# ------------------------------------------------------------------------------ strategy contract


def _task_candidates(task: str, n: int = 30) -> Candidates:
    rng = np.random.default_rng(3)
    if task == "extraction":
        from jupyter_al.extraction import Span, TokenLogRegTagger, sequence_candidates

        texts = [f"table for {k} people at {k % 12 + 1} pm on day {k}" for k in range(n + 6)]
        spans = [[Span(10, 10 + len(str(k)), "people")] for k in range(6)]
        model = TokenLogRegTagger().fit(texts[n:], spans)
        data: object = sequence_candidates(model, texts[:n])
    elif task == "ranking":
        proba = rng.dirichlet(np.ones(2), size=n)
        data = RankingCandidates(
            proba,
            np.repeat(np.arange(n // 5), 5).astype(np.intp),
            np.array([0, 1], dtype=np.intp),
            np.array([1, 0], dtype=np.int64),
        )
    else:
        from jupyter_al.regression import Prediction

        point = rng.normal(size=n)
        spread = rng.random(n)
        data = Prediction(point, spread, point - spread, point + spread, "ensemble_std")
    return Candidates(task=task, classes=(), proba=None, task_data=data)  # type: ignore[arg-type]


TASK_CASES = [
    (name, task)
    for name, info in sorted(STRATEGIES.items())
    for task in ("extraction", "ranking", "regression")
    if task in info.tasks and info.needs_proba
]


@pytest.mark.parametrize(("name", "task"), TASK_CASES)
def test_task_strategy_contract(name, task):
    info = STRATEGIES[name]
    c = _task_candidates(task)
    sel = info.func(c, 7, np.random.default_rng(5))
    again = info.func(c, 7, np.random.default_rng(5))
    assert isinstance(sel, Selection)
    assert sel.strategy == name
    assert len(sel.positions) == len(sel.scores) == len(sel.reasons) == 7
    assert len(set(sel.positions.tolist())) == 7
    assert ((sel.positions >= 0) & (sel.positions < c.n)).all()
    assert all(isinstance(r, str) and r for r in sel.reasons)
    assert sel.positions.tolist() == again.positions.tolist()
    assert sel.reasons == again.reasons
    whole = info.func(c, c.n + 5, np.random.default_rng(5))
    assert sorted(whole.positions.tolist()) == list(range(c.n))
    with pytest.raises(ConfigError, match="batch_size"):
        info.func(c, 0, np.random.default_rng(5))
    with pytest.raises(ConfigError, match="needs a fitted model"):
        info.func(dataclasses.replace(c, task_data=None), 3, np.random.default_rng(5))


def test_each_task_has_its_strategies_and_default():
    assert known_strategies("extraction") == (
        "diverse_seed",
        "normalized_least_confidence",
        "random",
        "sequence_least_confidence",
        "token_entropy_max",
        "token_entropy_mean",
    )
    assert {"grade_uncertainty", "topk_disagreement"} <= set(known_strategies("ranking"))
    assert "regression_spread" in known_strategies("regression")
    for task, name in (
        ("extraction", "sequence_least_confidence"),
        ("ranking", "topk_disagreement"),
        ("regression", "regression_spread"),
    ):
        assert get_strategy("default", task).name == name
    with pytest.raises(ConfigError, match="works for task"):
        get_strategy("margin", "extraction")


# ------------------------------------------------------------------------------ the interview


def test_interview_configures_each_task_and_unit(r8k, cisi_pairs, tmp_path):
    from jupyter_al._interview import default_answers, to_code, validate

    def start(frame, store, **given):
        s = Session(frame, store=tmp_path / store)
        answers = default_answers(given)
        assert validate(answers, frame) == {}, validate(answers, frame)
        code = to_code(answers)
        s.configure_from_answers(answers)
        return s, code

    spans = r8k.assign(spans=[x if i < 50 else None for i, x in enumerate(r8k["spans"])])
    s, code = start(
        spans,
        "x",
        task="extraction",
        text="text",
        labels=R8K_TYPES,
        label_column="spans",
        span_overlap="nested",
    )
    assert s.config.task == "extraction"
    assert s.config.span_overlap == "nested"
    assert "span_overlap='nested'" in code
    s.close()
    graded = cisi_pairs.assign(
        grade=[g if i % 3 == 0 else None for i, g in enumerate(cisi_pairs["grade"])]
    )
    s, code = start(
        graded,
        "r",
        task="ranking",
        text="text",
        query="query",
        query_id="query_id",
        labels=["not_relevant", "relevant"],
        label_column="grade",
    )
    assert (s.config.query, s.config.query_id) == ("query", "query_id")
    s.close()
    frame, _ = diabetes(None)
    partial = frame.assign(progression=frame["progression"].where(frame.index % 4 == 0))
    s, code = start(partial, "g", task="other", features=["age", "bmi"], label_column="progression")
    assert s.config.task == "regression"
    assert "task='regression'" in code
    s.close()
    s, code = start(
        DOCS, "u", text="body", labels=["pos", "neg"], prediction_unit="chunk", unit={"size": 4}
    )
    assert s.config.unit_options == {"size": 4}
    assert s.pool_ids[0].startswith("d")
    assert "#c" in s.pool_ids[0]
    s.close()


def test_a_plugged_in_sequence_model_runs_and_must_be_passed_again(r8k, tmp_path):
    from jupyter_al.extraction import TokenLogRegTagger

    store = tmp_path / "run"
    s = simulate(
        r8k,
        oracle="spans",
        text="text",
        labels=R8K_TYPES,
        task="extraction",
        span_overlap="nested",
        model=TokenLogRegTagger(),
        batch_size=10,
        rounds=2,
        store=store,
    )
    assert s.config.model == "jupyter_al.extraction.TokenLogRegTagger"
    assert s.rounds["model_version"].iloc[-1].startswith("TokenLogRegTagger")
    with pytest.raises(ConfigError, match="pass model="):
        replay(store, r8k)
    assert replay(store, r8k, model=TokenLogRegTagger()).ok
    with pytest.raises(ConfigError, match="model for task='extraction' must have"):
        Session(r8k, text="text", labels=R8K_TYPES, task="extraction", model=object())
