"""The LLM judge in the loop: provenance, quarantine, metrics apart, budget, cache, replay."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

from jupyter_al import Session, replay
from jupyter_al._judging import JUDGE_FILE, read_records
from jupyter_al.exceptions import ConfigError, LabelError
from jupyter_al.judge import Judge
from tests._fake_openai import FakeOpenAI
from tests.conftest import answer_batch, make_multilabel_frame, make_text_frame

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

LABELS = ["sports", "tech", "food"]


def oracle(frame: pd.DataFrame, column: str = "topic") -> Callable[[dict[str, Any]], str]:
    """A judge that knows the truth: it finds the example's text in the frame."""
    truth = dict(zip(frame["text"], frame[column], strict=True))

    def fn(req: dict[str, Any]) -> str:
        text = req["messages"][1]["content"].splitlines()[1]
        value = truth[text]
        key = "labels" if "|" in value or column == "topics" else "label"
        out: Any = value.split("|") if key == "labels" else value
        return json.dumps({key: out, "rationale": f"it is about {value}", "confidence": 0.9})

    return fn


def constant(label: str, confidence: float = 0.6) -> Callable[[dict[str, Any]], str]:
    def fn(req: dict[str, Any]) -> str:
        return json.dumps({"label": label, "rationale": "always", "confidence": confidence})

    return fn


def make(frame: pd.DataFrame, store: Path, **kw: Any) -> Session:
    args: dict[str, Any] = {
        "text": "text",
        "labels": LABELS,
        "holdout": 0.2,
        "holdout_label_column": "topic",
        "batch_size": 10,
        "random_state": 0,
        "store": store,
        **kw,
    }
    return Session(frame, **args)


@pytest.fixture
def frame() -> pd.DataFrame:
    return make_text_frame(300, 0)


def test_a_judge_needs_the_configuration_to_allow_it(frame: pd.DataFrame, tmp_path: Path) -> None:
    judge = Judge("m", fn=constant("food"))
    with pytest.raises(ConfigError, match="llm_judge=True"):
        make(frame, tmp_path / "a", judge=judge)
    with pytest.raises(ConfigError, match="judge_eval= needs judge="):
        make(frame, tmp_path / "b", llm_judge=True, judge_eval=10)
    with make(frame, tmp_path / "c", llm_judge=True) as s:
        with pytest.raises(ConfigError, match="no LLM judge is attached"):
            s.judge_evaluate(5)
        with pytest.raises(ConfigError, match=r"must be a jupyter_al\.judge\.Judge"):
            s.attach_judge("gpt")  # type: ignore[arg-type]


def test_judge_metrics_are_apart_from_human_gold(frame: pd.DataFrame, tmp_path: Path) -> None:
    truth = frame["topic"]
    runs = {}
    for name, judge in (
        ("none", None),
        ("oracle", Judge("o", fn=oracle(frame))),
        ("food", Judge("f", fn=constant("food"))),
    ):
        extra: dict[str, Any] = {"llm_judge": True, "judge": judge, "judge_eval": None}
        if judge is not None:
            extra["judge_eval"] = 1000  # every held-out item
        with make(frame, tmp_path / name, strategy="margin", **extra) as s:
            for _ in range(3):
                answer_batch(s, truth)
                s.submit()
            runs[name] = (s.rounds, s.metric, s.store)
    base, metric, _ = runs["none"]
    for name in ("oracle", "food"):
        rounds = runs[name][0]
        # human-gold metrics do not move with the judge
        pd.testing.assert_series_equal(rounds["value"], base["value"])
        pd.testing.assert_series_equal(rounds[f"metric:{metric}"], base[f"metric:{metric}"])
    assert not any(c.startswith("judge") for c in base.columns)
    oracle_rounds, food_rounds = runs["oracle"][0], runs["food"][0]
    # a judge that gives the gold label on every held-out item yields the gold metric...
    np.testing.assert_allclose(oracle_rounds[f"judge:{metric}"], base[f"metric:{metric}"])
    assert (oracle_rounds["judge_vs_gold"] == 1.0).all()
    assert (oracle_rounds["n_judge_eval"] == 60).all()
    # ...and a judge that always says "food" does not: its numbers stay in their own columns
    share_food = (frame["topic"] == "food").mean()
    assert abs(food_rounds["judge_vs_gold"].iloc[0] - share_food) < 0.1
    assert not np.allclose(food_rounds[f"judge:{metric}"], base[f"metric:{metric}"])
    notes = (runs["food"][2] / "notes.md").read_text()
    assert "judge-assisted (LLM judge labels, NOT human gold)" in notes
    tsv = pd.read_csv(runs["food"][2] / "results.tsv", sep="\t")
    assert f"judge:{metric}" in tsv.columns
    assert f"metric:{metric}" in tsv.columns


def test_records_are_in_their_own_file_never_in_the_labels(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    judge = Judge("o", fn=oracle(frame), price_input=1.0)
    with make(frame, tmp_path / "run", llm_judge=True, judge=judge, judge_eval=15) as s:
        # nothing the judge said became a label
        assert s.n_human_labels == 0
        assert s.labels.reindex(s.pool_ids).isna().all()
        records = read_records(s.store)
        assert len(records) == 15
        assert {r.use for r in records} == {"evaluation"}
        assert all(r.item_id in set(s.holdout_ids) for r in records)
        events = [json.loads(x) for x in (s.store / "events.jsonl").read_text().splitlines()]
        judged = [e for e in events if e.get("type") == "judged"]
        assert len(judged) == 1
        assert judged[0]["record_ids"] == [r.record_id for r in records]
        assert not any(e.get("type") == "labeled" for e in events)
        frame_ = s.judge_records()
        assert list(frame_["record_id"]) == [r.record_id for r in records]
        answer_batch(s, frame["topic"])
        s.submit()
        ann = (s.store / "annotation_round_01.jsonl").read_text()
        assert all(json.loads(x)["source"] != "judge" for x in ann.splitlines())
        assert (s.store / JUDGE_FILE).exists()


def test_pseudo_labels_train_only_and_one_switch_drops_them(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    truth = frame["topic"]
    judge = Judge("f", fn=constant("food", 0.9))
    with (
        make(frame, tmp_path / "j", llm_judge=True, judge=judge, strategy="margin") as s,
        make(frame, tmp_path / "plain", strategy="margin") as twin,
    ):
        for sess in (s, twin):
            answer_batch(sess, truth)
            sess.submit()
        with pytest.raises(LabelError, match="pool items"):
            s.pseudo_label(item_ids=[s.holdout_ids[0]])
        labeled = s.labels.reindex(s.pool_ids).dropna().index[0]
        with pytest.raises(LabelError, match="person's label"):
            s.pseudo_label(item_ids=[labeled])
        with pytest.raises(ConfigError, match="min_confidence"):
            s.pseudo_label(5, min_confidence=2)
        records = s.pseudo_label(30, min_confidence=0.5)
        assert len(records) == 30
        assert set(records["use"]) == {"pseudo-labeling"}
        pseudo = s.pseudo_labels
        assert len(pseudo) == 30
        assert set(pseudo["source"]) == {"judge:f"}
        assert pseudo["in_training"].all()
        assert set(pseudo.index).isdisjoint(s.holdout_ids)
        # the same labels by people, plus 30 wrong "food" pseudo-labels: the model differs
        for sess in (s, twin):
            answer_batch(sess, truth)
            sess.submit()
        with_pseudo, without = s.rounds.iloc[-1], twin.rounds.iloc[-1]
        assert with_pseudo["n_labeled"] == without["n_labeled"] == 20  # people's labels only
        assert with_pseudo["n_pseudo"] > 0
        assert with_pseudo["n_holdout_gold"] == without["n_holdout_gold"]
        # one switch: from the next round on, training ignores them
        s.use_pseudo_labels(False)
        for sess in (s, twin):
            batch = answer_batch(sess, truth)
            sess.submit()
        last, ref = s.rounds.iloc[-1], twin.rounds.iloc[-1]
        assert last["n_pseudo"] == 0
        assert not s.pseudo_labels["in_training"].any()
        assert last["n_labeled"] == ref["n_labeled"]
        notes = (s.store / "notes.md").read_text()
        assert "pseudo-labels from the LLM judge (excluded from every evaluation)" in notes
        assert batch is not None
    report = replay(tmp_path / "j", frame)
    assert report.ok, str(report)


def test_pseudo_labels_below_the_confidence_bar_are_not_used(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    judge = Judge("f", fn=constant("food", 0.3))
    with make(frame, tmp_path / "run", llm_judge=True, judge=judge) as s:
        answer_batch(s, frame["topic"])
        s.submit()
        s.pseudo_label(10, min_confidence=0.5)
        events = [json.loads(x) for x in (s.store / "events.jsonl").read_text().splitlines()]
        judged = next(e for e in events if e.get("type") == "judged")
        assert judged["n_rejected"] == 10
        assert judged["answers"] == []


def test_judge_triage_puts_disagreements_first_and_replays(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    truth = frame["topic"]
    calls: list[int] = []
    inner = constant("food")

    def counted(req: dict[str, Any]) -> str:
        calls.append(1)
        return inner(req)

    judge = Judge("f", fn=counted)
    with make(frame, tmp_path / "run", llm_judge=True, judge=judge, strategy="judge_triage") as s:
        for _ in range(3):
            batch = answer_batch(s, truth)
            s.submit()
        batch = s.next_batch()
        assert batch["strategy"].iloc[0] == "judge_triage"
        first = batch.iloc[0]
        # the judge always says "food": the first items are those the model thinks are not food
        assert first["prediction"] != "food"
        assert "the LLM judge says 'food': a disagreement" in first["reason"]
        agree = batch[batch["prediction"] == "food"]
        if len(agree):
            assert agree["rank"].min() > batch[batch["prediction"] != "food"]["rank"].max()
        assert calls  # the judge was asked about the shortlist
        n_calls = len(calls)
    report = replay(tmp_path / "run", frame)
    assert report.ok, str(report)
    assert len(calls) == n_calls  # replay never calls the judge
    # resumed without the judge, triage still works (no new opinions) and the log continues
    with Session.resume(tmp_path / "run", frame) as again:
        assert again.next_batch()["strategy"].iloc[0] == "judge_triage"


def test_without_a_judge_triage_is_margin(frame: pd.DataFrame, tmp_path: Path) -> None:
    truth = frame["topic"]
    with (
        make(frame, tmp_path / "t", strategy="judge_triage") as a,
        make(frame, tmp_path / "m", strategy="margin") as b,
    ):
        for s in (a, b):
            answer_batch(s, truth)
            s.submit()
        assert list(a.next_batch().index) == list(b.next_batch().index)
        assert "no judge opinion" in a.next_batch()["reason"].iloc[0]


def test_budget_counts_the_judge_and_stops_it(frame: pd.DataFrame, tmp_path: Path) -> None:
    def pricey(req: dict[str, Any]) -> dict[str, Any]:
        return {"content": constant("food")(req), "prompt_tokens": 1000, "completion_tokens": 50}

    judge = Judge("p", fn=pricey, price_input=100.0, price_output=100.0, max_tokens=50)
    budget = {"max_cost": 5.0, "cost_per_label": 0.01}
    with make(frame, tmp_path / "run", llm_judge=True, judge=judge, budget=budget) as s:
        with pytest.warns(UserWarning, match="the judge stopped after"):
            out = s.judge_evaluate(100)
        assert 0 < len(out) < 60
        spent = float(out["cost"].sum())
        assert spent <= 5.0
        assert "money left" in s.budget_left()
        left = float(s.budget_left().split(" of ")[0])
        assert left == pytest.approx(5.0 - spent, abs=1e-6)
        answer_batch(s, frame["topic"])
        s.submit()
        assert s.stopped
        assert "on the LLM judge" in (s.stop_reason or "")


def test_the_cache_makes_a_rerun_free(frame: pd.DataFrame, tmp_path: Path) -> None:
    shared = tmp_path / "judge-cache.sqlite"
    costs = []
    answer = oracle(frame)

    def with_usage(req: dict[str, Any]) -> dict[str, Any]:
        return {"content": answer(req), "prompt_tokens": 200, "completion_tokens": 20}

    for name in ("first", "second"):
        judge = Judge("o", fn=with_usage, price_input=1.0)
        with make(frame, tmp_path / name, llm_judge=True) as s:
            s.attach_judge(judge, cache=shared)
            out = s.judge_evaluate(20)
            costs.append((float(out["cost"].sum()), bool(out["cache_hit"].all())))
    assert costs[0][0] > 0
    assert costs[0][1] is False
    assert costs[1] == (0.0, True)
    with sqlite3.connect(shared) as db:
        assert db.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 20


def test_adjudication_support(frame: pd.DataFrame, tmp_path: Path) -> None:
    judge = Judge("o", fn=oracle(frame))
    with make(frame, tmp_path / "run", llm_judge=True, judge=judge) as s:
        with pytest.raises(ConfigError, match="nothing to adjudicate"):
            s.judge_adjudicate()
        item = s.pool_ids[3]
        s.judge_adjudicate([item])
        note = s.judge_note(item)
        assert note is not None
        assert note["label"] == frame.loc[item, "topic"]
        assert note["use"] == "adjudication"
        assert note["rationale"] == f"it is about {frame.loc[item, 'topic']}"
        assert s.judge_note(s.pool_ids[4]) is None


def test_disagreement_analysis(frame: pd.DataFrame, tmp_path: Path) -> None:
    judge = Judge("f", fn=constant("food"))
    with make(frame, tmp_path / "run", llm_judge=True, judge=judge, judge_eval=60) as s:
        answer_batch(s, frame["topic"])
        s.submit()
        table = s.judge_disagreements()
        assert set(table["judge"]) == {"food"}
        assert (table["human"] != "food").all() or (table["model"] != "food").all()
        assert all("judge" in d for d in table["disagreement"])
        agreement = s.judge_agreement()
        assert list(agreement.index) == ["human vs judge", "human vs model", "judge vs model"]
        hj = agreement.loc["human vs judge"]
        held = frame.loc[s.holdout_ids, "topic"]
        assert hj["n_items"] == 60
        assert hj["agreement"] == pytest.approx((held == "food").mean())


def test_multilabel_judge_and_replay(tmp_path: Path) -> None:
    frame = make_multilabel_frame(200, 0)
    judge = Judge("o", fn=oracle(frame, "topics"))
    with Session(
        frame,
        text="text",
        labels=LABELS,
        task="multilabel",
        holdout=0.2,
        holdout_label_column="topics",
        batch_size=10,
        random_state=0,
        store=tmp_path / "run",
        llm_judge=True,
        judge=judge,
        judge_eval=40,
        strategy="judge_triage",
    ) as s:
        truth = frame["topics"].str.split("|")
        for _ in range(2):
            batch = s.next_batch()
            for item_id in batch.index:
                s.label(item_id, truth[item_id])
            s.submit()
        s.pseudo_label(10)
        batch = s.next_batch()
        for item_id in batch.index:
            s.label(item_id, truth[item_id])
        s.submit()
        rounds = s.rounds
        assert (rounds["judge_vs_gold"] == 1.0).all()
        np.testing.assert_allclose(
            rounds[f"judge:{s.metric}"].iloc[-1], rounds["value"].iloc[-1], atol=0.15
        )
    assert replay(tmp_path / "run", frame).ok


def test_no_api_key_is_written_anywhere(
    frame: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-jal-test-NEVER-WRITE-THIS-0123456789"
    monkeypatch.setenv("JAL_JUDGE_TEST_KEY", secret)
    with FakeOpenAI() as fake:
        judge = Judge("m", base_url=fake.base_url, api_key_env="JAL_JUDGE_TEST_KEY", backoff=0.01)
        with make(
            frame,
            tmp_path / "run",
            llm_judge=True,
            judge=judge,
            judge_eval=10,
            strategy="judge_triage",
        ) as s:
            answer_batch(s, frame["topic"])
            s.submit()
            s.next_batch()
            state = json.dumps(
                {k: v for k, v in s.widget.get_state().items() if isinstance(v, str | dict | list)},
                default=str,
            )
            assert secret not in state
        headers = {k.lower(): v for k, v in fake.requests[0]["_headers"].items()}
        assert headers["authorization"] == f"Bearer {secret}"  # it was used...
    written = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert any(p.name == "judge.sqlite" for p in written)
    for path in written:  # ...and written nowhere
        assert secret.encode() not in path.read_bytes(), path
    conf = json.loads((tmp_path / "run" / "events.jsonl").read_text().splitlines()[2])
    assert "JAL_JUDGE_TEST_KEY" in json.dumps(conf) or any(
        "JAL_JUDGE_TEST_KEY" in line
        for line in (tmp_path / "run" / "events.jsonl").read_text().splitlines()
    )


def test_session_logs_rounds_to_mlflow_gold_and_judge_apart(
    frame: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("mlflow")
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    judge = Judge("o", fn=oracle(frame))
    store = tmp_path / "run"
    with make(
        frame,
        store,
        llm_judge=True,
        judge=judge,
        judge_eval=20,
        tracker="mlflow",
        strategy="margin",
    ) as s:
        for _ in range(2):
            answer_batch(s, frame["topic"])
            s.submit()
        metric, session_id = s.metric, s.session_id
    with Session.resume(store, frame, tracker="mlflow") as again:
        answer_batch(again, frame["topic"])
        again.submit()
        values = list(again.rounds["value"])
        judged = list(again.rounds[f"judge:{metric}"])
    client = MlflowClient(tracking_uri=f"sqlite:///{store / 'mlflow' / 'mlflow.db'}")
    (exp,) = [e for e in client.search_experiments() if e.name == "jupyter_al"]
    (run,) = client.search_runs([exp.experiment_id])  # resume continued the same run
    assert run.data.tags["jupyter_al.session_id"] == session_id
    assert run.data.params["strategy"] == "margin"
    assert run.data.params["llm_judge"] == "True"

    def history(key: str) -> list[float]:
        return [
            m.value
            for m in sorted(client.get_metric_history(run.info.run_id, key), key=lambda m: m.step)
        ]

    np.testing.assert_allclose(history(f"gold/{metric}"), values)
    np.testing.assert_allclose(history(f"judge/{metric}"), judged)
    files = [a.path for a in client.list_artifacts(run.info.run_id, "round_02")]
    assert "round_02/annotation_round_02.jsonl" in files
    assert "round_02/selection_round_02.jsonl" in files
    assert list(cwd.iterdir()) == []  # nothing in the working directory
