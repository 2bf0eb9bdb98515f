"""The Argilla round trip against a real Argilla 2.8 server (scripts/argilla), on free ports.

The server stack (argilla-server, noida-db serving Elasticsearch and Redis) is started once for
this module and stopped at the end. Annotators answer over the REST API, as the web app does.
Without the server these tests skip locally, and fail in CI (CI=true or JAL_REQUIRE_ARGILLA=1).
"""

from __future__ import annotations

import json
import os
import subprocess
import warnings
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from jupyter_al import Session, replay
from jupyter_al import argilla as ag
from jupyter_al.exceptions import (
    ArgillaDatasetMissingError,
    ArgillaSchemaError,
    ArgillaUnavailableError,
)
from tests.conftest import free_port, make_text_frame

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "argilla"
LABELS = ["sports", "tech", "food"]
OWNER_KEY = "owner.apikey-for-tests-0123"


class Server:
    def __init__(self, state: Path) -> None:
        self.env = {
            **os.environ,
            "ARGILLA_LOCAL_DIR": str(state),
            "ARGILLA_PORT": str(free_port()),
            "SEARCH_PORT": str(free_port()),
            "REDIS_PORT": str(free_port()),
            "ARGILLA_OWNER_API_KEY": OWNER_KEY,
            "ARGILLA_LOCAL_WORKER": "0",  # why: no test changes a distribution after publishing
        }
        self.url = f"http://127.0.0.1:{self.env['ARGILLA_PORT']}"
        self.keys: dict[str, str] = {}

    def run(self, *args: str, fresh: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**self.env, "ARGILLA_LOCAL_FRESH": "1" if fresh else "0"}
        return subprocess.run(
            [str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=300, check=False
        )

    def rest(self, method: str, path: str, key: str = OWNER_KEY, **kw):
        r = httpx.request(method, self.url + path, headers={"X-Argilla-Api-Key": key}, **kw)
        r.raise_for_status()
        return r.json() if r.content else None

    def annotator(self, name: str) -> str:
        """Create an annotator in the workspace 'argilla'; return its API key."""
        if name not in self.keys:
            user = self.rest(
                "POST",
                "/api/v1/users",
                json={
                    "first_name": name,
                    "username": name,
                    "role": "annotator",
                    "password": f"{name}-password",
                },
            )
            ws = next(
                w
                for w in self.rest("GET", "/api/v1/me/workspaces")["items"]
                if w["name"] == "argilla"
            )
            self.rest("POST", f"/api/v1/workspaces/{ws['id']}/users", json={"user_id": user["id"]})
            self.keys[name] = self.rest("GET", f"/api/v1/users/{user['id']}")["api_key"]
        return self.keys[name]

    def dataset(self, name: str, workspace: str = "argilla") -> dict:
        items = self.rest("GET", "/api/v1/me/datasets")["items"]
        ws = {w["id"]: w["name"] for w in self.rest("GET", "/api/v1/me/workspaces")["items"]}
        return next(d for d in items if d["name"] == name and ws[d["workspace_id"]] == workspace)

    def records(self, name: str) -> dict[str, dict]:
        ds = self.dataset(name)
        got = self.rest(
            "GET",
            f"/api/v1/datasets/{ds['id']}/records",
            params={"limit": 500, "include": ["responses", "suggestions"]},
        )
        return {r["external_id"]: r for r in got["items"]}

    def answer(self, record: dict, annotator: str, value, status="submitted") -> None:
        body = {"values": {"label": {"value": value}}, "status": status}
        self.rest(
            "POST",
            f"/api/v1/records/{record['id']}/responses",
            key=self.annotator(annotator),
            json=body,
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    required = os.environ.get("CI") == "true" or os.environ.get("JAL_REQUIRE_ARGILLA") == "1"
    venv = Path(os.environ.get("ARGILLA_VENV", ROOT / ".venv-argilla"))
    if not (venv / "bin" / "python").exists():
        msg = f"no Argilla server venv at {venv}: run scripts/argilla install"
        if required:
            pytest.fail(msg)
        pytest.skip(msg)
    srv = Server(tmp_path_factory.mktemp("argilla-state"))
    started = srv.run("start")
    try:
        if started.returncode != 0:
            pytest.fail(f"the Argilla server did not start:\n{started.stderr[-3000:]}")
        yield srv
    finally:
        srv.run("stop")


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr(ag, "RETRIES", 2)
    monkeypatch.setattr(ag, "BACKOFF_S", 0.05)


@pytest.fixture
def frame():
    return make_text_frame(80, seed=1)


def _session(frame, tmp_path, **kw):
    return Session(
        frame,
        text="text",
        labels=LABELS,
        holdout=0.2,
        holdout_label_column="topic",
        batch_size=8,
        random_state=0,
        store=tmp_path / "run",
        label_descriptions={"sports": "games, teams, scores"},
        **kw,
    )


def _events(session) -> list[dict]:
    lines = (session.store / "events.jsonl").read_text().splitlines()
    return [json.loads(x) for x in lines if x.startswith("{") and '"type"' in x]


def test_round_trip_with_two_annotators(server, frame, tmp_path):
    s = _session(frame, tmp_path)
    batch = s.next_batch()
    sent = s.to_argilla("team", api_url=server.url, api_key=OWNER_KEY, min_submitted=2)

    assert (8, True) == (sent.n_sent, sent.created)
    ds = server.dataset("team")
    assert 2 == ds["distribution"]["min_submitted"]
    assert "- **sports**: games, teams, scores" in ds["guidelines"]
    questions = server.rest("GET", f"/api/v1/datasets/{ds['id']}/questions")["items"]
    assert ["label_selection"] == [q["settings"]["type"] for q in questions]
    assert LABELS == [o["value"] for o in questions[0]["settings"]["options"]]
    records = server.records("team")
    ids = [str(i) for i in batch.index]
    assert sorted(ids) == sorted(records)
    first = records[ids[0]]
    assert s.session_id == first["metadata"]["session_id"]
    assert {"round", "strategy", "selection_reason", "model_prediction"} <= set(first["metadata"])

    gold = {str(i): frame.loc[i, "topic"] for i in batch.index}
    disagree, discard = ids[0], ids[1]
    other = next(x for x in LABELS if x != gold[disagree])
    for rid in ids:
        for who in ("ann", "bob"):
            if rid == discard:
                server.answer(records[rid], who, gold[rid], status="discarded")
            else:
                value = other if (who == "bob" and rid == disagree) else gold[rid]
                server.answer(records[rid], who, value)

    summary = s.from_argilla("team", api_url=server.url, api_key=OWNER_KEY)

    assert 2 * 7 == summary.merged
    assert 2 == summary.skipped
    assert () == summary.refused
    assert (batch.index[0],) == summary.disagreements
    # Cohen's kappa over the 7 records both answered: one disagreement
    pairs = [(gold[r], other if r == disagree else gold[r]) for r in ids if r != discard]
    from sklearn.metrics import cohen_kappa_score

    kappa = cohen_kappa_score([a for a, _ in pairs], [b for _, b in pairs])
    assert ("cohen_kappa", 7) == (summary.agreement[1].measure, summary.agreement[1].n_items)
    assert kappa == pytest.approx(summary.agreement[1].value)

    labels = s.labels
    for rid in ids[2:]:
        assert gold[rid] == labels[int(rid)]
    assert labels[int(disagree)] is None  # a tie of two: flagged, not guessed
    prov = s.provenance.loc[int(ids[2])]
    assert ("ann+bob", "argilla:unanimous", 1) == (prov["annotator"], prov["source"], prov["round"])
    votes = [e for e in _events(s) if e["type"] == "labeled" and e["item_id"] == int(ids[2])]
    assert {("ann", "argilla"), ("bob", "argilla")} == {
        (e["annotator"], e["source"]) for e in votes
    }
    review = s.argilla_review
    assert [("tie", int(disagree))] == list(zip(review["kind"], review["item_id"], strict=True))
    status = dict(zip(batch.index, [p[0] for p in s.batch_status()], strict=True))
    assert "skipped" == status[int(discard)]

    # pulling again changes nothing
    n_events = len(_events(s))
    again = s.from_argilla(api_url=server.url, api_key=OWNER_KEY)
    assert (0, 0, ()) == (again.merged, again.skipped, again.disagreements)
    assert n_events == len(_events(s))

    # a third annotator breaks the tie; the majority decides and the disagreement stays flagged
    server.answer(records[disagree], "cy", gold[disagree])
    third = s.from_argilla(api_url=server.url, api_key=OWNER_KEY)
    assert (1, (int(disagree),)) == (third.merged, third.disagreements)
    assert gold[disagree] == s.labels[int(disagree)]
    assert "krippendorff_alpha" == third.agreement[1].measure

    # retrain, then send the same items again: upserted (no duplicates), suggestions refreshed
    s.submit()
    s.to_argilla("team", api_url=server.url, api_key=OWNER_KEY, item_ids=[int(r) for r in ids])
    after = server.records("team")
    assert sorted(ids) == sorted(after)
    agents = {sg["agent"] for sg in after[ids[2]]["suggestions"]}
    assert {f"jupyter_al:{s.rounds['model_version'].iloc[-1]}"} == agents
    assert 2 == len(after[ids[2]]["responses"])  # the answers survived the upsert

    # the log replays: labels come from it, not from the server
    store = s.store
    s.close()
    assert replay(store, frame).ok

    # no credential anywhere in the run folder
    for path in store.rglob("*"):
        if path.is_file():
            assert OWNER_KEY not in path.read_text(errors="replace"), path
            for key in server.keys.values():
                assert key not in path.read_text(errors="replace"), path


def test_server_down_mid_way_then_nothing_is_lost(server, frame, tmp_path, fast_retries):
    s = _session(frame, tmp_path)
    batch = s.next_batch()
    s.to_argilla("outage", api_url=server.url, api_key=OWNER_KEY)
    records = server.records("outage")
    first = [str(i) for i in batch.index[:4]]
    for rid in first:
        server.answer(records[rid], "ann", frame.loc[int(rid), "topic"])
    for i in batch.index[:8]:
        s.label(i, frame.loc[i, "topic"])
    s.submit()
    new_batch = s.next_batch()

    assert 0 == server.run("stop", "server").returncode
    try:
        with pytest.raises(
            ArgillaUnavailableError,
            match=r"sending 8 records to dataset outage"
            r"|connecting failed after 3 attempts",
        ):
            s.to_argilla("outage", api_url=server.url, api_key=OWNER_KEY)
        with pytest.raises(ArgillaUnavailableError, match="failed after 3 attempts"):
            s.from_argilla("outage", api_url=server.url, api_key=OWNER_KEY)
        failed = [e for e in _events(s) if e["type"] == "argilla_failed"]
        assert ["send", "pull"] == [e["operation"] for e in failed]
        assert list(new_batch.index) == failed[0]["item_ids"]
        assert 8 == s.argilla_status["pending_send"]
        assert s.argilla_status["pending_pull"]
    finally:
        assert 0 == server.run("start", fresh=False).returncode

    # back up: the next calls send what was left and pull what is there
    again = s.to_argilla("outage", api_url=server.url, api_key=OWNER_KEY, item_ids=[])
    assert (8, tuple(new_batch.index)) == (again.n_sent, again.retried)
    assert 16 == len(server.records("outage"))
    assert 0 == s.argilla_status["pending_send"]
    pulled = s.from_argilla("outage", api_url=server.url, api_key=OWNER_KEY)
    assert 4 == pulled.merged
    assert not s.argilla_status["pending_pull"]
    s.close()


def test_dataset_deleted_on_the_server(server, frame, tmp_path, fast_retries):
    s = _session(frame, tmp_path)
    s.next_batch()
    s.to_argilla("gone", api_url=server.url, api_key=OWNER_KEY)
    server.rest("DELETE", f"/api/v1/datasets/{server.dataset('gone')['id']}")

    with pytest.raises(
        ArgillaDatasetMissingError,
        match=r"dataset argilla/gone .* is no longer on "
        "the server",
    ):
        s.to_argilla("gone", api_url=server.url, api_key=OWNER_KEY)
    with pytest.raises(ArgillaDatasetMissingError, match="is not on the server"):
        s.from_argilla("gone", api_url=server.url, api_key=OWNER_KEY)
    assert 8 == s.argilla_status["pending_send"]

    back = s.to_argilla("gone", api_url=server.url, api_key=OWNER_KEY, recreate=True)
    assert (True, 8) == (back.created, len(server.records("gone")))
    s.close()


def test_schema_changed_and_answers_outside_the_schema(server, frame, tmp_path, fast_retries):
    import argilla as rg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client = rg.Argilla(api_url=server.url, api_key=OWNER_KEY)
        # the team lead prepared the dataset with an extra "unsure" option
        cfg = ag.dataset_spec(
            _session(frame, tmp_path / "lead").config,
            dataset="prepared",
            workspace="argilla",
            min_submitted=1,
        )
        settings = ag.build_settings(
            ag.DatasetSpec(
                **{**{f: getattr(cfg, f) for f in cfg.__slots__}, "labels": (*LABELS, "unsure")}
            ),
            client,
        )
        rg.Dataset(name="prepared", workspace="argilla", settings=settings, client=client).create()

    s = _session(frame, tmp_path)
    batch = s.next_batch()
    s.to_argilla("prepared", api_url=server.url, api_key=OWNER_KEY)
    records = server.records("prepared")
    rid = str(batch.index[0])
    server.answer(records[rid], "ann", "unsure")
    server.answer(records[str(batch.index[1])], "ann", frame.loc[batch.index[1], "topic"])

    summary = s.from_argilla("prepared", api_url=server.url, api_key=OWNER_KEY)

    assert 1 == summary.merged
    assert 1 == len(summary.refused)
    assert "'unsure' is not a label of the session" in summary.refused[0]["reason"]
    review = s.argilla_review
    assert [("refused", rid, "ann", "unsure")] == list(
        zip(review["kind"], review["item_id"], review["annotator"], review["votes"], strict=True)
    )
    n_events = len(_events(s))
    assert () == s.from_argilla("prepared", api_url=server.url, api_key=OWNER_KEY).refused
    assert n_events == len(_events(s))

    # someone rebuilt the dataset on the server with another question: a clear error
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.datasets("prepared", workspace="argilla").delete()
        other = rg.Settings(
            fields=[rg.TextField(name="text", client=client)],
            questions=[rg.LabelQuestion(name="label", labels=["yes", "no"], client=client)],
        )
        rg.Dataset(name="prepared", workspace="argilla", settings=other, client=client).create()
    with pytest.raises(
        ArgillaSchemaError,
        match=r"question 'label' lacks the labels "
        r"\['sports', 'tech', 'food'\] \(the server has \['yes', 'no'\]\)",
    ):
        s.to_argilla("prepared", api_url=server.url, api_key=OWNER_KEY)
    assert 8 == s.argilla_status["pending_send"]
    client.http_client.close()
    s.close()


def test_widget_sends_pulls_and_shows_progress(server, frame, tmp_path, monkeypatch):
    monkeypatch.setenv("ARGILLA_API_URL", server.url)
    monkeypatch.setenv("ARGILLA_API_KEY", OWNER_KEY)
    s = _session(frame, tmp_path)
    w = s.widget
    assert w.argilla["enabled"]
    assert f"jal-{s.session_id}" == w.argilla["dataset"]

    w._handle({"kind": "argilla_send", "t": 1.0})

    assert "" == w.error
    assert w.argilla["link"].startswith(f"{server.url}/dataset/")
    assert (8, 0, 8) == tuple(w.argilla["progress"][k] for k in ("total", "completed", "pending"))
    records = server.records(f"jal-{s.session_id}")
    first = w.items[0]["id"]
    server.answer(records[first], "ann", frame.loc[int(first), "topic"])

    w._handle({"kind": "argilla_pull", "t": 2.0})

    assert "" == w.error
    assert "labeled" == w.items[0]["status"]
    assert "1 labels merged" in w.argilla["message"]
    assert {"ann"} <= set(w.argilla["progress"]["users"])
    assert OWNER_KEY not in json.dumps(w.get_state())
    s.close()


# ------------------------------------------------------------------ extraction and ranking
SPAN_TYPES = ["people", "time"]
GRADES = ["not relevant", "relevant", "highly relevant"]


def _span_frame(n: int = 60) -> tuple[pd.DataFrame, dict[int, list[list]]]:
    """Booking requests with a name (some not ASCII) and a time; the first 20 are labeled."""
    rng = np.random.default_rng(3)
    names, times = ["Ann", "Zoë", "José", "Bob"], ["7pm", "noon", "8:30", "9am"]
    texts, gold = [], {}
    for i in range(n):
        name, time = rng.choice(names), rng.choice(times)
        text = f"{rng.choice(['table for', 'book', 'reserve for'])} {name} at {time} (no. {i})"
        start, at = text.index(name), text.index(f" {time} ") + 1
        texts.append(text)
        gold[i] = [[start, start + len(name), "people"], [at, at + len(time), "time"]]
    spans = [json.dumps(gold[i]) if i < 20 else None for i in range(n)]
    return pd.DataFrame({"text": texts, "spans": spans}), gold


def _argilla_spans(spans: list[list]) -> list[dict]:
    return [{"start": s, "end": e, "label": t} for s, e, t in spans]


def test_extraction_round_trip_with_span_suggestions(server, tmp_path):
    frame, gold = _span_frame()
    s = Session(
        frame,
        text="text",
        task="extraction",
        labels=SPAN_TYPES,
        span_overlap="nested",
        label_column="spans",
        holdout=0.2,
        batch_size=6,
        random_state=0,
        store=tmp_path / "run",
    )
    batch = s.next_batch()
    s.to_argilla("spans", api_url=server.url, api_key=OWNER_KEY, min_submitted=2)

    ds = server.dataset("spans")
    (question,) = server.rest("GET", f"/api/v1/datasets/{ds['id']}/questions")["items"]
    assert ("span", "text", True) == (
        question["settings"]["type"],
        question["settings"]["field"],
        question["settings"]["allow_overlapping"],
    )
    assert SPAN_TYPES == [o["value"] for o in question["settings"]["options"]]
    records = server.records("spans")
    ids = [str(i) for i in batch.index]
    assert sorted(ids) == sorted(records)
    for rid, predicted, confidence in zip(
        ids, batch["prediction"], batch["confidence"], strict=True
    ):
        (suggestion,) = records[rid]["suggestions"]
        text = records[rid]["fields"]["text"]
        # offsets are character indices into the field's text, as the session's spans
        assert frame.loc[int(rid), "text"] == text
        assert _argilla_spans(predicted) == suggestion["value"]
        assert ([confidence] * len(predicted) or None) == suggestion["score"]
        assert [text[s_:e] for s_, e, _ in predicted] == [
            text[x["start"] : x["end"]] for x in suggestion["value"]
        ]

    disagree, nothing, crossing = ids[0], ids[1], ids[2]
    for rid in ids:
        spans = gold[int(rid)]
        if rid == nothing:
            ann = bob = []  # both say: no span here
        elif rid == crossing:
            ann = spans
            # the server allows overlaps (nested needs it); crossing spans are refused on pull
            (ps, pe, _), (_, te, _) = spans
            bob = [[ps, pe, "people"], [pe - 1, te, "time"]]
        else:
            ann, bob = spans, spans[:1] if rid == disagree else spans
        server.answer(records[rid], "ann", _argilla_spans(ann))
        server.answer(records[rid], "bob", _argilla_spans(bob))

    summary = s.from_argilla(api_url=server.url, api_key=OWNER_KEY)

    assert (2 * 6 - 1, 1) == (summary.merged, len(summary.refused))
    assert f"answer of bob to record {crossing} refused" in summary.refused[0]["reason"]
    assert (int(disagree),) == summary.disagreements  # one span marked by half: a tie
    labels = s.labels
    for rid in ids[3:]:
        assert tuple(tuple(x) for x in gold[int(rid)]) == labels[int(rid)]
    assert () == labels[int(nothing)]
    assert labels[int(disagree)] is None
    assert ("ann", "argilla") == tuple(s.provenance.loc[int(crossing), ["annotator", "source"]])
    review = s.argilla_review
    assert {("tie", int(disagree)), ("refused", crossing)} == set(
        zip(review["kind"], review["item_id"], strict=True)
    )
    agreement = summary.agreement[1]
    assert ("cohen_kappa", 5) == (agreement.measure, agreement.n_items)

    # the labels are spans in the round's annotation file; the next send refreshes suggestions
    s.submit()
    annotations = (s.store / "annotation_round_01.jsonl").read_text().splitlines()
    lines = [json.loads(x) for x in annotations]
    votes = {(x["id"], x["annotator"]): x["label"] for x in lines}
    assert gold[int(ids[3])] == votes[int(ids[3]), "bob"]
    assert [] == votes[int(nothing), "ann"]
    s.to_argilla("spans", api_url=server.url, api_key=OWNER_KEY, item_ids=[int(r) for r in ids])
    agents = {sg["agent"] for sg in server.records("spans")[ids[3]]["suggestions"]}
    assert {f"jupyter_al:{s.rounds['model_version'].iloc[-1]}"} == agents
    store = s.store
    s.close()
    assert replay(store, frame).ok


def test_span_offsets_are_code_points_on_the_server(server, tmp_path):
    frame, _ = _span_frame(30)
    for i in range(20, 30):  # unlabeled rows, some of them in the pool
        frame.loc[i, "text"] = f"🎉 {i}: book Zoë at 7pm"
    s = Session(
        frame,
        text="text",
        task="extraction",
        labels=SPAN_TYPES,
        label_column="spans",
        holdout=0.2,
        batch_size=4,
        random_state=0,
        store=tmp_path / "run",
    )
    item = next(i for i in s.pool_ids if i >= 20)
    s.to_argilla("emoji", api_url=server.url, api_key=OWNER_KEY, item_ids=[item])
    record = server.records("emoji")[str(item)]
    text = record["fields"]["text"]
    end = len(text)  # 21 code points; 22 UTF-16 code units (the emoji takes two)

    with pytest.raises(httpx.HTTPStatusError, match="422"):
        server.answer(record, "ann", [{"start": end - 3, "end": end + 1, "label": "time"}])
    server.answer(record, "ann", [{"start": end - 3, "end": end, "label": "time"}])
    s.from_argilla(api_url=server.url, api_key=OWNER_KEY)

    assert (21, "7pm") == (end, text[end - 3 : end])
    assert ((end - 3, end, "time"),) == s.labels[item]
    s.close()


def _pairs() -> pd.DataFrame:
    queries = {0: "cheap vegan food", 1: "fast electric cars", 2: "old maps of rome"}
    rows = []
    for i in range(36):
        q = i % 3
        words = queries[q].split() if i % 2 else queries[(q + 1) % 3].split()
        rows.append(
            {
                "query_id": q,
                "query": queries[q],
                "document": f"a note on {' '.join(words)} number {i}",
                "grade": (2 if i % 4 == 1 else 1) if i % 2 else 0,
            }
        )
    frame = pd.DataFrame(rows)
    frame.loc[18:, "grade"] = None
    return frame


def test_ranking_round_trip_with_rated_pairs(server, tmp_path):
    frame = _pairs()
    s = Session(
        frame,
        task="ranking",
        query="query",
        text="document",
        query_id="query_id",
        labels=GRADES,
        label_descriptions={"highly relevant": "answers the query"},
        label_column="grade",
        holdout=0.25,
        batch_size=4,
        random_state=0,
        store=tmp_path / "run",
    )
    batch = s.next_batch()
    s.to_argilla("grades", api_url=server.url, api_key=OWNER_KEY, min_submitted=2)

    ds = server.dataset("grades")
    assert "- **2**: highly relevant (answers the query)" in ds["guidelines"]
    (question,) = server.rest("GET", f"/api/v1/datasets/{ds['id']}/questions")["items"]
    assert ("rating", [0, 1, 2]) == (
        question["settings"]["type"],
        [o["value"] for o in question["settings"]["options"]],
    )
    records = server.records("grades")
    ids = [str(i) for i in batch.index]
    for rid, predicted in zip(ids, batch["prediction"], strict=True):
        record = records[rid]
        assert {"query", "document"} == set(record["fields"])
        assert frame.loc[int(rid), "query"] == record["fields"]["query"]
        assert GRADES.index(predicted) == record["suggestions"][0]["value"]
        assert predicted == record["metadata"]["model_prediction"]

    answers = {ids[0]: (0, 0), ids[1]: (2, 2), ids[2]: (1, 1), ids[3]: (2, 1)}
    for rid, (ann, bob) in answers.items():
        server.answer(records[rid], "ann", ann)
        server.answer(records[rid], "bob", bob)

    summary = s.from_argilla(api_url=server.url, api_key=OWNER_KEY)

    assert (8, (), (int(ids[3]),)) == (summary.merged, summary.refused, summary.disagreements)
    assert [0, 2, 1, None] == [s.labels[int(r)] for r in ids]
    kappa = summary.agreement[1]
    assert ("cohen_kappa", 4) == (kappa.measure, kappa.n_items)  # grade 0 counts too
    from sklearn.metrics import cohen_kappa_score

    assert cohen_kappa_score([0, 2, 1, 2], [0, 2, 1, 1]) == pytest.approx(kappa.value)

    # someone rebuilt the dataset with a label question: a clear error, nothing sent
    import argilla as rg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client = rg.Argilla(api_url=server.url, api_key=OWNER_KEY)
        client.datasets("grades", workspace="argilla").delete()
        other = rg.Settings(
            fields=[rg.TextField(name="query", client=client)],
            questions=[rg.LabelQuestion(name="label", labels=GRADES, client=client)],
        )
        rg.Dataset(name="grades", workspace="argilla", settings=other, client=client).create()
        client.http_client.close()
    with pytest.raises(
        ArgillaSchemaError, match="question 'label' is a label_selection question, expected rating"
    ):
        s.to_argilla("grades", api_url=server.url, api_key=OWNER_KEY, recreate=True)
    s.close()
