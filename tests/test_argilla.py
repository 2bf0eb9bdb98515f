"""The Argilla bridge's pure parts: settings, records, votes, majority, agreement, retries."""

from __future__ import annotations

import sys

import httpx
import pytest
from sklearn.metrics import cohen_kappa_score

from jupyter_al import Config
from jupyter_al import argilla as ag
from jupyter_al._events import (
    ArgillaFailed,
    ArgillaSent,
    LabelDecided,
    Labeled,
    Skipped,
    event_from_dict,
    event_to_dict,
    fold,
    label_to_json,
)
from jupyter_al.exceptions import ArgillaError, ArgillaUnavailableError, ConfigError


def _spec(task="classification", labels=("pos", "neg"), **kw):
    cfg = Config(text="Review Text", labels=labels, task=task, **kw)
    return ag.dataset_spec(cfg, dataset="d", workspace=None, min_submitted=2)


SPAN_TYPES = ("people", "time")
GRADES = ("not relevant", "relevant", "highly relevant")


def _span_config(overlap="forbid"):
    return Config(text="Utterance", task="extraction", labels=SPAN_TYPES, span_overlap=overlap)


def _rank_config(labels=GRADES, **kw):
    return Config(text="Document", query="Query", task="ranking", labels=labels, **kw)


def _row(prediction, confidence=0.8, id_=1):
    return {
        "id": id_,
        "values": {"Utterance": "table for Zoë at 7pm", "Query": "q", "Document": "d"},
        "prediction": prediction,
        "confidence": confidence,
        "uncertainty": 0.3,
        "strategy": "sequence_least_confidence",
        "reason": "least confidence",
        "round": 2,
    }


def test_import_jupyter_al_does_not_import_the_sdk():
    import subprocess

    code = "import jupyter_al, jupyter_al.argilla, sys; print('argilla' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert "False" == out.stdout.strip()


def test_spec_follows_the_session():
    spec = _spec(label_descriptions=(("pos", "happy customer"),))

    assert (("review_text", "Review Text"),) == spec.fields
    assert ("label_selection", ("pos", "neg"), 2) == (
        spec.question_type,
        spec.labels,
        spec.min_submitted,
    )
    assert "- **pos**: happy customer\n- **neg**\n" in ag.guidelines(spec)
    assert "multi_label_selection" == _spec(task="multilabel").question_type


def test_spec_refuses_bad_arguments():
    cfg = Config(text="t", labels=("a", "b"))
    with pytest.raises(ConfigError, match="min_submitted must be an int >= 1, got 0"):
        ag.dataset_spec(cfg, dataset="d", workspace=None, min_submitted=0)
    with pytest.raises(ConfigError, match="dataset must be a non-empty dataset name"):
        ag.dataset_spec(cfg, dataset=" ", workspace=None, min_submitted=1)


@pytest.mark.parametrize(
    ("overlap", "allow_overlapping"), [("forbid", False), ("nested", True), ("allow", True)]
)
def test_spec_for_extraction_marks_spans_in_the_text_field(overlap, allow_overlapping):
    spec = ag.dataset_spec(_span_config(overlap), dataset="d", workspace=None, min_submitted=2)

    assert (("utterance", "Utterance"),) == spec.fields
    assert ("span", "utterance", SPAN_TYPES) == (spec.question_type, spec.span_field, spec.labels)
    assert (overlap, allow_overlapping) == (spec.span_overlap, spec.allow_overlapping)
    text = ag.guidelines(spec)
    assert "## Span types\n\n- **people**\n- **time**\n" in text
    assert "Submit with no span when there is none" in text


def test_spec_for_ranking_rates_query_document_pairs():
    cfg = _rank_config(label_descriptions=(("highly relevant", "answers the query"),))
    spec = ag.dataset_spec(cfg, dataset="d", workspace=None, min_submitted=1)

    assert (("query", "Query"), ("document", "Document")) == spec.fields
    assert ("rating", (0, 1, 2), GRADES) == (spec.question_type, spec.grades, spec.labels)
    text = ag.guidelines(spec)
    assert "- **0**: not relevant\n- **1**: relevant\n" in text
    assert "- **2**: highly relevant (answers the query)\n" in text
    same = Config(text="query", query="Query", task="ranking", labels=GRADES)
    assert (("query", "Query"), ("query_document", "query")) == ag.dataset_spec(
        same, dataset="d", workspace=None, min_submitted=1
    ).fields


def test_spec_refuses_regression_and_more_grades_than_a_rating_holds():
    regression = Config(features=("x",), task="regression", labels=())
    with pytest.raises(ConfigError, match=r"got task='regression': Argilla 2.8 has no question"):
        ag.dataset_spec(regression, dataset="d", workspace=None, min_submitted=1)
    twelve = tuple(f"g{i}" for i in range(12))
    with pytest.raises(ConfigError, match=r"at most 11 grades .* got 12 grades"):
        ag.dataset_spec(_rank_config(labels=twelve), dataset="d", workspace=None, min_submitted=1)

    eleven = ag.dataset_spec(
        _rank_config(labels=twelve[:11]), dataset="d", workspace=None, min_submitted=1
    )
    assert tuple(range(11)) == eleven.grades


def test_record_payloads_carry_ids_metadata_and_the_suggestion():
    rows = [
        {
            "id": 12,
            "values": {"Review Text": "great"},
            "prediction": "pos",
            "confidence": 0.9,
            "uncertainty": 0.1,
            "strategy": "margin",
            "reason": "small margin",
            "round": 3,
        },
        {
            "id": "x",
            "values": {"Review Text": None},
            "prediction": None,
            "confidence": None,
            "uncertainty": None,
            "strategy": None,
            "reason": None,
            "round": 3,
        },
    ]
    p, q = ag.record_payloads(
        rows, _spec(), session_id="s1", model_version="r2-lr", vectors={"12": [1, 2]}
    )

    assert ("12", {"review_text": "great"}, [1.0, 2.0]) == (p.id, p.fields, p.vector)
    assert ("pos", 0.9, "jupyter_al:r2-lr") == (p.suggestion, p.score, p.agent)
    assert {
        "round": 3,
        "strategy": "margin",
        "selection_reason": "small margin",
        "model_prediction": "pos",
        "session_id": "s1",
        "uncertainty": 0.1,
    } == p.metadata
    assert (None, None, "") == (q.suggestion, q.agent, q.fields["review_text"])
    assert "manual" == q.metadata["strategy"]


def test_record_payloads_suggest_spans_with_their_confidence():
    spec = ag.dataset_spec(_span_config(), dataset="d", workspace=None, min_submitted=1)
    p, q, r = ag.record_payloads(
        [_row([[17, 20, "time"], [10, 13, "people"]]), _row([], id_=2), _row(None, None, 3)],
        spec,
        session_id="s1",
        model_version="r1-crf",
    )

    assert ({"utterance": "table for Zoë at 7pm"}, "people|time") == (
        p.fields,
        p.metadata["model_prediction"],
    )
    assert (((10, 13, "people"), (17, 20, "time")), 0.8) == (p.suggestion, p.score)
    # Argilla spans: character offsets into the field, end exclusive (as the session's)
    assert (
        [{"start": 10, "end": 13, "label": "people"}, {"start": 17, "end": 20, "label": "time"}],
        [0.8, 0.8],
    ) == ag.argilla_suggestion(p.suggestion, p.score)
    assert ["Zoë", "7pm"] == [p.fields["utterance"][s:e] for s, e, _ in p.suggestion]
    # the model found no span: suggested as such (it replaces older spans), without a score
    assert ((), "none", "jupyter_al:r1-crf") == (
        q.suggestion,
        q.metadata["model_prediction"],
        q.agent,
    )
    assert ([], None) == ag.argilla_suggestion(q.suggestion, q.score)
    assert (None, None) == (r.suggestion, r.agent)


def test_record_payloads_suggest_the_predicted_grade():
    spec = ag.dataset_spec(_rank_config(), dataset="d", workspace=None, min_submitted=1)
    p, q = ag.record_payloads(
        [_row("highly relevant", 0.6), _row("unknown grade", 0.6, 2)],
        spec,
        session_id="s1",
        model_version="r1",
    )

    assert {"query": "q", "document": "d"} == p.fields
    assert (2, 0.6, "highly relevant") == (p.suggestion, p.score, p.metadata["model_prediction"])
    assert (2, 0.6) == ag.argilla_suggestion(p.suggestion, p.score)
    assert (None, "none") == (q.suggestion, q.metadata["model_prediction"])


def test_schema_problems_name_what_changed():
    spec = _spec()
    ok = {
        "fields": ["review_text"],
        "question": {"type": "label_selection", "labels": ["pos", "neg", "maybe"]},
        "vectors": {},
    }

    assert [] == ag.schema_problems(spec, ok, sending=True)
    other = {"fields": ["text"], "question": {"type": "multi_label_selection", "labels": []}}
    problems = ag.schema_problems(spec, other, sending=True)
    assert "question 'label' is a multi_label_selection question" in problems[0]
    assert "lacks the fields ['review_text']" in problems[1]
    assert ["the dataset has no question named 'label'"] == ag.schema_problems(
        spec, {"fields": [], "question": None}, sending=False
    )


def test_schema_problems_for_span_and_rating_questions():
    spec = ag.dataset_spec(_span_config("nested"), dataset="d", workspace=None, min_submitted=1)
    span = {"type": "span", "labels": ["people", "time", "date"], "field": "utterance"}
    ok = {"fields": ["utterance"], "question": {**span, "allow_overlapping": True}}

    assert [] == ag.schema_problems(spec, ok, sending=True)
    strict = {"fields": ["utterance"], "question": {**span, "allow_overlapping": False}}
    assert [] == ag.schema_problems(spec, strict, sending=False)  # answers are checked anyway
    assert [
        "span question 'label' has allow_overlapping=False, expected True for span_overlap='nested'"
    ] == ag.schema_problems(spec, strict, sending=True)
    moved = {"fields": ["utterance", "note"], "question": {**span, "field": "note", "labels": []}}
    assert [
        "span question 'label' marks the field 'note', expected 'utterance'",
        "question 'label' lacks the labels ['people', 'time'] (the server has [])",
    ] == ag.schema_problems(spec, moved, sending=True)
    assert ["question 'label' is a label_selection question, expected span"] == (
        ag.schema_problems(
            spec, {"question": {"type": "label_selection", "labels": []}}, sending=False
        )
    )

    rating = ag.dataset_spec(_rank_config(), dataset="d", workspace=None, min_submitted=1)
    fields = ["query", "document"]
    wider = {"fields": fields, "question": {"type": "rating", "labels": [0, 1, 2, 3]}}
    assert [] == ag.schema_problems(rating, wider, sending=True)
    narrow = {"fields": fields, "question": {"type": "rating", "labels": [0, 1]}}
    assert ["question 'label' lacks the values [2] (the server has [0, 1])"] == (
        ag.schema_problems(rating, narrow, sending=True)
    )


def test_votes_skip_drafts_and_keep_discards():
    rec = {
        "external_id": "5",
        "metadata": {"round": 1},
        "responses": [
            {
                "user_id": "u1",
                "status": "submitted",
                "values": {"label": {"value": "pos"}},
                "updated_at": "t1",
            },
            {"user_id": "u2", "status": "discarded", "values": None, "updated_at": "t2"},
            {
                "user_id": "u3",
                "status": "draft",
                "values": {"label": {"value": "neg"}},
                "updated_at": "t3",
            },
        ],
    }
    votes = ag.votes_from_records([rec], {"u1": "ann", "u2": "bob"})

    assert [("ann", "submitted", "pos"), ("bob", "discarded", None)] == [
        (v.annotator, v.status, v.value) for v in votes
    ]


def test_check_value_refuses_outside_the_schema():
    assert ("pos", None) == ag.check_value("pos", ("pos", "neg"), "classification")
    assert (None, "['z'] are not labels of the session (labels: ['a', 'b'])") == (
        ag.check_value(["a", "z"], ("a", "b"), "multilabel")
    )
    assert ag.check_value("a", ("a", "b"), "multilabel")[0] is None


def test_span_answers_are_checked_against_the_text_and_the_schema():
    text = "table for Zoë at 7pm"
    rec = {
        "external_id": "4",
        "metadata": {"round": 1},
        "responses": [
            {
                "user_id": "u1",
                "status": "submitted",
                "values": {
                    "label": {
                        "value": [
                            {"label": "time", "start": 17, "end": 20},
                            {"label": "people", "start": 10, "end": 13},
                        ]
                    }
                },
                "updated_at": "t1",
            }
        ],
    }
    (vote,) = ag.votes_from_records([rec], {"u1": "ann"})
    cfg = _span_config("nested")

    def check(value, config=cfg):
        return ag.check_answer(value, config, text=text, item_id=4)

    assert (((10, 13, "people"), (17, 20, "time")), None) == check(vote.value)
    assert ((), None) == check([])  # "no span" is a label
    nested = [{"label": "people", "start": 10, "end": 13}, {"label": "time", "start": 6, "end": 20}]
    assert check(nested)[1] is None
    assert "overlap" in check(nested, _span_config("forbid"))[1]
    crossing = [
        {"label": "people", "start": 6, "end": 13},
        {"label": "time", "start": 10, "end": 20},
    ]
    assert "item 4" in check(crossing)[1]
    assert (
        "past the end of the text (length 20)"
        in check([{"label": "time", "start": 17, "end": 21}])[1]
    )
    assert "'dish'" in check([{"label": "dish", "start": 0, "end": 5}])[1]
    assert (None, "'7pm' is not a list of spans") == check("7pm")
    assert "is not an Argilla span" in check([[17, 20, "time"]])[1]


def test_rating_answers_are_grades():
    cfg = _rank_config()

    assert (0, None) == ag.check_answer(0, cfg, item_id="p1")
    assert (2, None) == ag.check_answer(2, cfg, item_id="p1")
    label, why = ag.check_answer(5, cfg, item_id="p1")
    assert label is None
    assert "'p1'" in why
    assert "5" in why


@pytest.mark.parametrize(
    ("votes", "task", "expected"),
    [
        (["a"], "classification", ag.Decision("a", "unanimous")),
        (["a", "a"], "classification", ag.Decision("a", "unanimous")),
        (["a", "b", "a"], "classification", ag.Decision("a", "majority")),
        (["a", "b"], "classification", ag.Decision(None, "tie")),
        ([("x", "y"), ("x", "y")], "multilabel", ag.Decision(("x", "y"), "unanimous")),
        ([("x",), ("x", "y")], "multilabel", ag.Decision(None, "tie")),
        ([(), ("y",), ()], "multilabel", ag.Decision((), "majority")),
        ([((0, 4, "time"),)] * 2, "extraction", ag.Decision(((0, 4, "time"),), "unanimous")),
        # a span is in when more than half marked exactly it; half of them is a tie
        (
            [((0, 4, "time"),), ((0, 4, "time"), (9, 12, "people"))],
            "extraction",
            ag.Decision(None, "tie"),
        ),
        ([((0, 4, "time"),), ((0, 5, "time"),)], "extraction", ag.Decision(None, "tie")),
        (
            [((0, 4, "time"), (9, 12, "people")), ((0, 4, "time"),), ((0, 4, "time"),)],
            "extraction",
            ag.Decision(((0, 4, "time"),), "majority"),
        ),
        ([(), (), ((0, 4, "time"),)], "extraction", ag.Decision((), "majority")),
        ([0, 0], "ranking", ag.Decision(0, "unanimous")),
        ([2, 1, 2], "ranking", ag.Decision(2, "majority")),
        ([2, 1], "ranking", ag.Decision(None, "tie")),
    ],
)
def test_decide_by_majority(votes, task, expected):
    assert expected == ag.decide(votes, task)


def test_cohen_kappa_matches_scikit_learn():
    a = ["x", "x", "y", "y", "z", "x", "y"]
    b = ["x", "y", "y", "y", "z", "x", "x"]
    ratings = {i: {"ann": u, "bob": v} for i, (u, v) in enumerate(zip(a, b, strict=True))}
    got = ag.agreement(ratings, 2)

    assert ("cohen_kappa", 7, ("ann", "bob")) == (got.measure, got.n_items, got.annotators)
    assert cohen_kappa_score(a, b) == pytest.approx(got.value, abs=1e-9)


def test_krippendorff_alpha_for_three_annotators():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", nominal example:
    # alpha = 0.743 for 3 coders... here a small hand-checked case instead: perfect agreement
    ratings = {1: {"a": "x", "b": "x", "c": "x"}, 2: {"a": "y", "b": "y"}, 3: {"a": "x", "c": "x"}}
    assert 1.0 == ag.agreement(ratings, 1).value
    mixed = {1: {"a": "x", "b": "y", "c": "x"}, 2: {"a": "y", "b": "y", "c": "y"}}
    got = ag.agreement(mixed, 1)
    # pairable values n=6; coincidences x-x 1, x-y 2 (each way), y-y 3+1 -> alpha = 1 - 5*2/(36-20)
    assert ("krippendorff_alpha", 0.375) == (got.measure, got.value)


def test_agreement_over_spans_and_grades():
    a = [((0, 4, "time"),), (), ((0, 4, "time"), (9, 12, "people")), ()]
    b = [((0, 4, "time"),), (), ((0, 4, "time"),), ((1, 4, "time"),)]
    spans = ag.agreement(
        {i: {"ann": u, "bob": v} for i, (u, v) in enumerate(zip(a, b, strict=True))}, 1
    )
    # spans agree only on exact match: each answer is one category
    cats = [[repr(x) for x in a], [repr(x) for x in b]]
    assert cohen_kappa_score(*cats) == pytest.approx(spans.value, abs=1e-9)
    assert 4 == spans.n_items

    grades = ag.agreement({1: {"a": 0, "b": 0}, 2: {"a": 2, "b": 1}, 3: {"a": 1, "b": 1}}, 1)
    assert cohen_kappa_score([0, 2, 1], [0, 1, 1]) == pytest.approx(grades.value, abs=1e-9)


def test_agreement_is_undefined_without_overlap_or_variety():
    assert ag.agreement({1: {"a": "x"}}, 1).value is None
    assert ag.agreement({1: {"a": "x", "b": "x"}}, 1).value is None


def test_credentials_from_arguments_or_environment(monkeypatch):
    monkeypatch.delenv("ARGILLA_API_URL", raising=False)
    monkeypatch.delenv("ARGILLA_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="api_url and api_key needed to reach Argilla"):
        ag.resolve_credentials(None, None)
    monkeypatch.setenv("ARGILLA_API_URL", "http://h:1/")
    monkeypatch.setenv("ARGILLA_API_KEY", "k")

    assert ("http://h:1", "k") == ag.resolve_credentials(None, None)
    assert "http://h:1" == ag.public_url("http://u:pw@h:1")
    assert "secret" not in repr(ag.ArgillaGateway("http://h:1", "secret"))


def test_gateway_retries_timeouts_and_5xx_then_succeeds():
    gw = ag.ArgillaGateway("http://h:1", "secret-key", retries=3, backoff_s=0.001)
    request = httpx.Request("GET", "http://h:1/x")
    failures = [
        httpx.ReadTimeout("timed out", request=request),
        httpx.HTTPStatusError(
            "503", request=request, response=httpx.Response(503, request=request)
        ),
    ]

    def flaky():
        if failures:
            raise failures.pop(0)
        return "ok"

    assert "ok" == gw.call("reading", flaky)


def test_gateway_gives_up_with_a_clear_error_without_the_key():
    gw = ag.ArgillaGateway("http://h:1", "secret-key", retries=1, backoff_s=0.001)

    def down():
        raise httpx.ConnectError("connection refused to secret-key")

    with pytest.raises(ArgillaUnavailableError) as info:
        gw.call("sending 3 records to dataset d", down)
    message = str(info.value)
    assert "sending 3 records to dataset d failed after 2 attempts" in message
    assert "secret-key" not in message

    def refused():
        request = httpx.Request("GET", "http://h:1/x")
        raise httpx.HTTPStatusError("401", request=request, response=httpx.Response(401))

    with pytest.raises(ArgillaError, match="the API key is not valid there"):
        gw.call("connecting", refused)


def test_fold_keeps_every_vote_and_the_majority_decides():
    events = [
        Labeled(round=1, item_id=3, label="a", annotator="ann", source="argilla"),
        Labeled(round=1, item_id=3, label="b", annotator="bob", source="argilla"),
        Labeled(round=1, item_id=3, label="a", annotator="cy", source="argilla"),
        LabelDecided(
            round=1,
            item_id=3,
            label="a",
            status="majority",
            votes=[["ann", "a"], ["bob", "b"], ["cy", "a"]],
        ),
        Labeled(round=1, item_id=4, label="a", annotator="ann", source="argilla"),
        Labeled(round=1, item_id=4, label="b", annotator="bob", source="argilla"),
        LabelDecided(
            round=1, item_id=4, label=None, status="tie", votes=[["ann", "a"], ["bob", "b"]]
        ),
        Skipped(round=1, item_id=5, annotator="ann", reason="discarded"),
    ]
    state = fold(enumerate(events))
    labels = state.labels()

    assert {3} == set(labels)
    assert ("a", "ann+cy", "argilla:majority") == (
        labels[3].label,
        labels[3].annotator,
        labels[3].source,
    )
    assert {"ann": ("submitted", "a"), "bob": ("submitted", "b"), "cy": ("submitted", "a")} == {
        k: v[:2] for k, v in state.argilla.votes[3].items()
    }
    assert {3, 4} == set(state.argilla.flagged)
    assert 5 in state.skipped
    assert {"ann": 2, "bob": 2, "cy": 1} == state.per_annotator


def test_fold_decides_spans_by_majority():
    ann = ((0, 4, "time"), (9, 12, "people"))
    bob = ((0, 4, "time"),)
    events = [
        Labeled(round=1, item_id=7, label=label_to_json(ann), annotator="ann", source="argilla"),
        Labeled(round=1, item_id=7, label=label_to_json(bob), annotator="bob", source="argilla"),
        Labeled(round=1, item_id=7, label=label_to_json(ann), annotator="cy", source="argilla"),
    ]
    decision = ag.decide([ann, bob, ann], "extraction")
    events.append(
        LabelDecided(
            round=1,
            item_id=7,
            label=label_to_json(decision.label),
            status=decision.status,
            votes=[[a, label_to_json(v)] for a, v in (("ann", ann), ("bob", bob), ("cy", ann))],
        )
    )
    state = fold(enumerate(events))
    label = state.labels()[7]

    assert (ann, "ann+cy", "argilla:majority") == (label.label, label.annotator, label.source)
    assert {"ann": ann, "bob": bob, "cy": ann} == {
        k: v[1] for k, v in state.argilla.votes[7].items()
    }
    assert {7} == set(state.argilla.flagged)


def test_fold_tracks_what_was_not_sent_and_events_round_trip():
    failed = ArgillaFailed(
        operation="send", dataset="d", workspace="w", round=1, item_ids=[1, 2, 3], error="down"
    )
    sent = ArgillaSent(
        dataset="d",
        workspace="w",
        dataset_id="id",
        url="http://h",
        round=1,
        item_ids=[1, 2],
        model_version="r0",
        created=True,
    )
    state = fold(enumerate([failed, sent]))

    assert [3] == state.argilla.pending_send["d"]
    assert {1: 1, 2: 1} == state.argilla.sent
    for event in (failed, sent):
        assert event == event_from_dict(event_to_dict(event))[1]
