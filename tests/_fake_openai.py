"""A local OpenAI-compatible chat-completions server for fault injection (not a test module).

Stdlib only: a ``ThreadingHTTPServer`` in a daemon thread on 127.0.0.1, port 0. It answers
``POST /v1/chat/completions`` with responses shaped like OpenAI's (so the ``openai`` SDK parses
them) and ``GET /v1/models``. Faults are queued with :meth:`FakeOpenAI.push` and consumed one per
chat request, first in, first out::

    with FakeOpenAI() as fake:
        fake.push(status(429, retry_after=2), delay(1.0), malformed())
        client = openai.OpenAI(base_url=fake.base_url, api_key="x", max_retries=0)
        ...
        fake.requests  # every request body, in order, with its headers under "_headers"

``reject_json_schema=True`` imitates llama-cpp-python's server (``scripts/llm``), which refuses
``response_format={"type": "json_schema", ...}`` with HTTP 500 (see
``LLAMA_CPP_JSON_SCHEMA_REJECTION``) and honours ``{"type": "json_object", "schema": {...}}``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Literal, Self

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

FaultKind = Literal["status", "delay", "malformed", "wrong_schema", "raw"]

# What llama-cpp-python 0.3.36's server (scripts/llm) answers to a json_schema response_format:
# HTTP 500, not 400. Its response_format type is Literal["text", "json_object"]; the validation
# error is caught by its route's catch-all error handler, which answers every exception with 500
# "internal_server_error" (so the openai SDK raises InternalServerError and retries it). The
# message below is the one observed, the absolute path of app.py shortened.
LLAMA_CPP_JSON_SCHEMA_STATUS = 500
LLAMA_CPP_JSON_SCHEMA_REJECTION: dict[str, Any] = {
    "error": {
        "message": (
            "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format',"
            " 'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema',"
            " 'ctx': {'expected': \"'text' or 'json_object'\"}}\n\n  File"
            ' ".../site-packages/llama_cpp/server/app.py", line 376, in create_chat_completion\n'
            "    POST /v1/chat/completions"
        ),
        "type": "internal_server_error",
        "param": None,
        "code": None,
    }
}


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected fault: build it with status, delay, malformed, wrong_schema or raw."""

    kind: FaultKind
    code: int = 200
    body: bytes | None = None
    retry_after: str | None = None
    seconds: float = 0.0


def status(
    code: int, body: dict[str, Any] | str | bytes | None = None, retry_after: float | None = None
) -> Fault:
    """Answer with HTTP ``code`` and an OpenAI-style error body (or ``body``), with Retry-After."""
    if body is None:
        body = {
            "error": {
                "message": f"fake error {code}",
                "type": "fake_error",
                "param": None,
                "code": code,
            }
        }
    raw_body = (
        body
        if isinstance(body, bytes)
        else (body if isinstance(body, str) else json.dumps(body)).encode()
    )
    header = None if retry_after is None else f"{retry_after:g}"
    return Fault("status", code=code, body=raw_body, retry_after=header)


def delay(seconds: float) -> Fault:
    """Sleep ``seconds`` before answering (to trigger a client's timeout), then answer normally."""
    return Fault("delay", seconds=seconds)


def malformed() -> Fault:
    """Answer normally, but with message content that is not JSON."""
    return Fault("malformed")


def wrong_schema() -> Fault:
    """Answer normally, but with valid JSON content that has the wrong keys and values."""
    return Fault("wrong_schema")


def raw(code: int, body: bytes) -> Fault:
    """Send ``body`` as it is (e.g. truncated JSON) with HTTP ``code`` and a JSON content type."""
    return Fault("raw", code=code, body=body)


MALFORMED_CONTENT = "Sure! label: spam"
WRONG_SCHEMA_CONTENT = '{"answer": 3}'


def _first_enum(node: Any) -> Any:
    """Return the first ``enum`` value found walking a JSON schema depth first, else None."""
    if isinstance(node, dict):
        enum = node.get("enum")
        if isinstance(enum, list) and enum:
            return enum[0]
        children: list[Any] = list(node.values())
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _first_enum(child)
        if found is not None:
            return found
    return None


def default_answer(request: dict[str, Any]) -> str:
    """``{"label": <first enum value in the request's schema, else "x">, "rationale": "fake"}``."""
    label = _first_enum(request.get("response_format"))
    return json.dumps({"label": "x" if label is None else label, "rationale": "fake"})


def _count_tokens(request: dict[str, Any]) -> int:
    """Whitespace-separated words of the messages' text: a stand-in for a tokenizer."""
    n = 0
    for message in request.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            n += len(content.split())
        elif isinstance(content, list):
            n += sum(
                len(str(part.get("text", "")).split()) for part in content if isinstance(part, dict)
            )
    return n


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  # why: the base class names it so
        """Keep the test output quiet."""

    def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # why: the client gave up first (a timeout test); nobody is left to answer

    def _send_json(self, code: int, payload: dict[str, Any]) -> None:
        self._send(code, json.dumps(payload).encode())

    def do_GET(self) -> None:
        fake = self.server.fake
        if self.path.rstrip("/") == "/v1/models":
            model = {"id": fake.model_name, "object": "model", "created": 0, "owned_by": "fake"}
            self._send_json(200, {"object": "list", "data": [model]})
        else:
            self._send_json(404, _error(f"no route GET {self.path}", "not_found"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, _error(f"no route POST {self.path}", "not_found"))
            return
        try:
            request = json.loads(data)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            self._send_json(
                400, _error("request body is not a JSON object", "invalid_request_error")
            )
            return
        self._chat(request)

    def _chat(self, request: dict[str, Any]) -> None:
        fake = self.server.fake
        fault = fake._record(request, dict(self.headers.items()))  # why: recorded before faults
        if fault is not None and fault.kind in {"status", "raw"}:
            headers = {} if fault.retry_after is None else {"Retry-After": fault.retry_after}
            self._send(fault.code, fault.body or b"", headers)
            return
        if fault is not None and fault.kind == "delay" and fake._closing.wait(fault.seconds):
            return  # why: the server is shutting down; do not hold its close up
        response_format = request.get("response_format")
        if request.get("stream"):
            self._send_json(400, _error("the fake server does not stream", "invalid_request_error"))
        elif (
            fake.reject_json_schema
            and isinstance(response_format, dict)
            and response_format.get("type") == "json_schema"
        ):
            self._send_json(fake.reject_status, LLAMA_CPP_JSON_SCHEMA_REJECTION)
        else:
            # a malformed/wrong_schema fault changes only a normal answer's content
            self._send_json(200, fake._completion(request, fault))


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeOpenAI) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hangs up; let any other handler error print as usual."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeOpenAI:
    """An OpenAI-compatible chat server on 127.0.0.1 for tests; use it as a context manager.

    Parameters
    ----------
    answer : callable, optional
        ``answer(request_body)`` returns the assistant's content (str) or a dict
        ``{"content": str, "prompt_tokens": int, "completion_tokens": int}``. By default
        :func:`default_answer`, with token counts made up from word counts.
    reject_json_schema : bool
        Refuse a ``response_format`` of type ``json_schema`` as llama-cpp-python's server does:
        HTTP 500 with :data:`LLAMA_CPP_JSON_SCHEMA_REJECTION`.
    reject_status : int
        The refusal's status: 500 as llama-cpp-python; 400 for a server that refuses it properly.
    model_name : str
        The ``model`` of every answer and the one model of ``GET /v1/models``.
    """

    def __init__(
        self,
        answer: Callable[[dict[str, Any]], str | dict[str, Any]] | None = None,
        *,
        reject_json_schema: bool = False,
        reject_status: int = LLAMA_CPP_JSON_SCHEMA_STATUS,
        model_name: str = "fake-judge-1",
    ) -> None:
        self.answer = answer or default_answer
        self.reject_json_schema = reject_json_schema
        self.reject_status = reject_status
        self.model_name = model_name
        self.requests: list[dict[str, Any]] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def __enter__(self) -> Self:
        self._closing.clear()
        self._server = _Server(self)
        port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def push(self, *faults: Fault) -> None:
        """Queue ``faults``; each chat request consumes the oldest one."""
        with self._lock:
            self._faults.extend(faults)

    @property
    def pending(self) -> int:
        """The number of queued faults not consumed yet."""
        with self._lock:
            return len(self._faults)

    def _record(self, request: dict[str, Any], headers: dict[str, str]) -> Fault | None:
        with self._lock:
            self.requests.append({**request, "_headers": headers})
            return self._faults.pop(0) if self._faults else None

    def _completion(self, request: dict[str, Any], fault: Fault | None) -> dict[str, Any]:
        answer = self.answer(request)
        if isinstance(answer, dict):
            content = str(answer["content"])
            prompt_tokens = int(answer.get("prompt_tokens", _count_tokens(request)))
            completion_tokens = int(answer.get("completion_tokens", len(content.split())))
        else:
            content = answer
            prompt_tokens, completion_tokens = _count_tokens(request), len(content.split())
        if fault is not None and fault.kind == "malformed":
            content = MALFORMED_CONTENT
        elif fault is not None and fault.kind == "wrong_schema":
            content = WRONG_SCHEMA_CONTENT
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model_name,
            "system_fingerprint": None,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
