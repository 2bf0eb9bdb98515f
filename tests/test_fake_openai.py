"""The fault-injecting fake OpenAI server (tests/_fake_openai.py) as the ``openai`` SDK sees it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests._fake_openai import (
    LLAMA_CPP_JSON_SCHEMA_REJECTION,
    MALFORMED_CONTENT,
    FakeOpenAI,
    delay,
    malformed,
    raw,
    status,
    wrong_schema,
)

openai = pytest.importorskip("openai")

SCHEMA = {
    "type": "object",
    "properties": {
        "label": {"type": "string", "enum": ["spam", "ham"]},
        "rationale": {"type": "string"},
    },
    "required": ["label", "rationale"],
}
MESSAGES = [{"role": "user", "content": "Is this spam? 'WIN A FREE PHONE'"}]


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    # why: one shared connection pool; each new httpx.Client loads the CA bundle (~80 ms)
    with httpx.Client() as client:
        yield client


@pytest.fixture
def connect(http: httpx.Client) -> Callable[..., Any]:
    def connect(fake: FakeOpenAI, timeout: float = 5.0) -> Any:
        return openai.OpenAI(
            base_url=fake.base_url,
            api_key="test-key",
            max_retries=0,
            timeout=timeout,
            http_client=http,
        )

    return connect


def _ask(client: Any, **kw: Any) -> Any:
    return client.chat.completions.create(model="judge", messages=MESSAGES, **kw)


def test_a_normal_answer_follows_the_schema_and_carries_usage(connect: Callable[..., Any]) -> None:
    with FakeOpenAI() as fake:
        answer = _ask(connect(fake), response_format={"type": "json_object", "schema": SCHEMA})

    assert {"label": "spam", "rationale": "fake"} == json.loads(answer.choices[0].message.content)
    assert "fake-judge-1" == answer.model
    assert "stop" == answer.choices[0].finish_reason
    assert answer.usage.prompt_tokens > 0
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens


def test_a_custom_answer_sets_content_and_token_counts(connect: Callable[..., Any]) -> None:
    def answer(request: dict[str, Any]) -> dict[str, Any]:
        return {
            "content": request["messages"][-1]["content"],
            "prompt_tokens": 7,
            "completion_tokens": 3,
        }

    with FakeOpenAI(answer, model_name="m") as fake:
        got = _ask(connect(fake))
        models = connect(fake).models.list()

    assert MESSAGES[0]["content"] == got.choices[0].message.content
    assert (7, 3, 10) == (
        got.usage.prompt_tokens,
        got.usage.completion_tokens,
        got.usage.total_tokens,
    )
    assert ["m"] == [m.id for m in models.data]


def test_requests_are_recorded_in_order_with_headers(connect: Callable[..., Any]) -> None:
    with FakeOpenAI() as fake:
        client = connect(fake)
        _ask(client, temperature=0, seed=1)
        _ask(client, max_tokens=5)

    assert 2 == len(fake.requests)
    assert 0 == fake.requests[0]["temperature"]
    assert 1 == fake.requests[0]["seed"]
    assert 5 == fake.requests[1]["max_tokens"]
    assert MESSAGES == fake.requests[1]["messages"]
    headers = {k.lower(): v for k, v in fake.requests[0]["_headers"].items()}
    assert "Bearer test-key" == headers["authorization"]


def test_429_is_a_rate_limit_error_with_retry_after(connect: Callable[..., Any]) -> None:
    with FakeOpenAI() as fake:
        fake.push(status(429, retry_after=2))
        with pytest.raises(openai.RateLimitError) as caught:
            _ask(connect(fake))
        after = _ask(connect(fake))  # why: faults are consumed one per request

    assert "2" == caught.value.response.headers["retry-after"]
    assert 429 == caught.value.status_code
    assert "x" == json.loads(after.choices[0].message.content)["label"]  # no schema in the request
    assert 0 == fake.pending


def test_500_and_503_are_internal_server_errors_in_order(connect: Callable[..., Any]) -> None:
    with FakeOpenAI() as fake:
        fake.push(status(500), status(503, body={"error": {"message": "loading model"}}))
        client = connect(fake)
        with pytest.raises(openai.InternalServerError) as first:
            _ask(client)
        with pytest.raises(openai.InternalServerError) as second:
            _ask(client)

    assert (500, 503) == (first.value.status_code, second.value.status_code)
    assert "loading model" in second.value.message


def test_a_slow_answer_is_a_client_timeout(connect: Callable[..., Any]) -> None:
    with FakeOpenAI() as fake:
        fake.push(delay(1.0))
        with pytest.raises(openai.APITimeoutError):
            _ask(connect(fake, timeout=0.2))

    assert 1 == len(fake.requests)


def test_a_short_delay_then_answers_normally(connect: Callable[..., Any]) -> None:
    with FakeOpenAI() as fake:
        fake.push(delay(0.05))
        answer = _ask(connect(fake))

    assert "x" == json.loads(answer.choices[0].message.content)["label"]


def test_malformed_and_wrong_schema_content_reach_the_caller(connect: Callable[..., Any]) -> None:
    with FakeOpenAI() as fake:
        fake.push(malformed(), wrong_schema())
        client = connect(fake)
        bad = _ask(client).choices[0].message.content
        wrong = _ask(client).choices[0].message.content

    assert MALFORMED_CONTENT == bad
    with pytest.raises(json.JSONDecodeError):
        json.loads(bad)
    assert {"answer": 3} == json.loads(wrong)


def test_a_truncated_body_is_a_json_error_not_an_api_error(connect: Callable[..., Any]) -> None:
    # why: the SDK lets json.JSONDecodeError (a ValueError) out of a 200 whose body is cut short;
    # a judge that catches only openai.APIError would crash on it
    with FakeOpenAI() as fake:
        fake.push(raw(200, b'{"id": "chatcmpl-1", "object": "chat.comp'), raw(502, b"<html>"))
        client = connect(fake)
        with pytest.raises(json.JSONDecodeError):
            _ask(client)
        with pytest.raises(openai.InternalServerError):
            _ask(client)


JSON_SCHEMA_FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "verdict", "schema": SCHEMA, "strict": True},
}


def test_json_schema_is_refused_like_llama_cpp_with_500(connect: Callable[..., Any]) -> None:
    with FakeOpenAI(reject_json_schema=True) as fake:
        client = connect(fake)
        with pytest.raises(openai.InternalServerError) as caught:
            _ask(client, response_format=JSON_SCHEMA_FORMAT)
        fallback = _ask(client, response_format={"type": "json_object", "schema": SCHEMA})

    assert LLAMA_CPP_JSON_SCHEMA_REJECTION == caught.value.response.json()
    assert "'text' or 'json_object'" in caught.value.message
    assert "spam" == json.loads(fallback.choices[0].message.content)["label"]


def test_json_schema_refused_with_400_is_a_bad_request(connect: Callable[..., Any]) -> None:
    fake = FakeOpenAI(reject_json_schema=True, reject_status=400)
    with fake, pytest.raises(openai.BadRequestError) as caught:
        _ask(connect(fake), response_format=JSON_SCHEMA_FORMAT)

    assert LLAMA_CPP_JSON_SCHEMA_REJECTION == caught.value.response.json()


def test_json_schema_is_answered_when_not_rejected(connect: Callable[..., Any]) -> None:
    with FakeOpenAI() as fake:
        answer = _ask(connect(fake), response_format=JSON_SCHEMA_FORMAT)

    assert "spam" == json.loads(answer.choices[0].message.content)["label"]


def test_unknown_routes_and_bad_bodies_are_refused(http: httpx.Client) -> None:
    with FakeOpenAI() as fake:
        base = fake.base_url
        not_json = http.post(f"{base}/chat/completions", content=b"{", timeout=5)
        no_route = http.get(f"{base}/nothing", timeout=5)

    assert (400, 404) == (not_json.status_code, no_route.status_code)
    assert [] == fake.requests
