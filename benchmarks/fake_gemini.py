"""A fake Gemini API server on 127.0.0.1 that speaks the real wire format to the real SDK.

Tests and the feedback benchmark point `Settings.gemini_base_url` at `FakeGemini.base_url`.
It serves `POST /{version}/models/{model}:generateContent` (one JSON body) and
`POST /{version}/models/{model}:streamGenerateContent?alt=sse` (chunked SSE, one
`data: <GenerateContentResponse>` event per chunk), answers errors as
`{"error": {"code", "message", "status"}}`, and records every request it received.
Each request is told apart by what it asks for (`RecordedRequest.call`): the feedback prose
(the stream), the feedback scores, the interviewer's follow-up (its response schema has a
`question` property) or its questions (a `questions` array; as many as the schema's `minItems`).
What it does is scripted by a `Behaviour`: replies, delays, HTTP errors, a hang, a blocked
reply, a stream cut mid-way, failures only after some requests went well.

Run `python -m benchmarks.fake_gemini serve` to keep one running, or
`python -m benchmarks.fake_gemini measure` for the time to the first feedback chunk.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import socket
import statistics
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import urlsplit

import msgspec

DEFAULT_CHUNKS = [
    "You answered the question directly and walked through the situation in order. ",
    "The task and your actions were clear, ",
    "but the result needs a number: say how much faster or cheaper things got. ",
    "Pace and pauses were comfortable to follow.",
]
DEFAULT_SCORES = {"structure": 4, "relevance": 4, "specificity": 3, "result": 3, "delivery": 4}
DEFAULT_FOLLOWUP = "What happened in the end, and how did you measure it?"
# Replies to the questions call, in order (numbered once all were used); competencies are from
# the question bank's list. Ten: as many as an interview may ask for.
DEFAULT_QUESTIONS: list[dict[str, Any]] = [
    {"text": text, "competencies": competencies}
    for text, competencies in [
        ("Tell me about a time you shipped under a tight deadline.", ["prioritisation"]),
        ("Describe a disagreement with a teammate about a decision.", ["conflict", "teamwork"]),
        (
            "What would you do if a customer reported a bug nobody could reproduce?",
            ["customer-focus"],
        ),
        ("Tell me about a project that failed and what you learned.", ["failure", "learning"]),
        ("Describe a time you helped a less experienced colleague grow.", ["mentoring"]),
        ("Tell me about a decision you made without all the facts.", ["ambiguity"]),
        ("Describe a time you changed a senior person's mind.", ["influence"]),
        ("Tell me about a time you owned a problem outside your job.", ["ownership"]),
        (
            "What would you do if two stakeholders wanted opposite things?",
            ["stakeholder-management"],
        ),
        ("Tell me about feedback that changed how you work.", ["feedback", "learning"]),
    ]
]

_PATH = re.compile(
    r"^/(?P<version>[^/]+)/models/(?P<model>[^/:]+):(?P<method>generateContent|streamGenerateContent)$"
)
_API_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}

Call = Literal["prose", "scores", "followup", "questions"]
# "stream" is the prose call; "generate" every non-streamed call; a `Call` just that one.
Target = Literal["all", "stream", "generate", "prose", "scores", "followup", "questions"]


class Behaviour(msgspec.Struct, frozen=True, kw_only=True):
    """What the fake does with the next requests.

    Replies: `chunks` (prose), `scores_text` (raw JSON), `followup` (the follow-up question),
    `questions` (cycled up to the count asked for, or `question_count` when set); the raw JSON
    `followup_json` / `questions_json` replace the built replies (for malformed ones).

    Failures: `target` picks which calls (see `Target`) get `error_status`, `hang` or
    `blocked` (a reply refused for safety). The first `fail_after` targeted requests succeed,
    every later one fails; `errors_before_success` caps the failures per call (None: all fail).
    The delays apply to every call: before the first chunk (or the JSON body) and between
    stream chunks. Assigning `FakeGemini.behaviour` starts the counts afresh.
    """

    chunks: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_CHUNKS))
    scores_text: str = json.dumps(DEFAULT_SCORES)
    followup: str = DEFAULT_FOLLOWUP
    followup_json: str | None = None
    questions: list[dict[str, Any]] = msgspec.field(default_factory=lambda: list(DEFAULT_QUESTIONS))
    question_count: int | None = None  # None: as many as the request's schema asks for
    questions_json: str | None = None
    first_chunk_delay_s: float = 0.0
    chunk_delay_s: float = 0.0
    error_status: int | None = None
    errors_before_success: int | None = None  # None: every targeted request fails
    fail_after: int = 0
    hang: bool = False
    blocked: bool = False
    cut_after_chunks: int | None = None
    target: Target = "all"

    def reply_text(self, request: RecordedRequest) -> str:
        """The JSON text a non-streamed call answers with."""
        if request.call == "followup":
            if self.followup_json is not None:
                return self.followup_json
            return json.dumps({"question": self.followup})
        if request.call == "questions":
            if self.questions_json is not None:
                return self.questions_json
            count = self.question_count
            if count is None:
                count = request.schema["properties"]["questions"].get("minItems", 1)
            return json.dumps({"questions": _take(self.questions, count)})
        return self.scores_text


class RecordedRequest(msgspec.Struct, frozen=True):
    """One request as the fake received it (header names lower-cased)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def kind(self) -> Literal["stream", "generate"]:
        return "stream" if self.path.endswith(":streamGenerateContent") else "generate"

    @property
    def schema(self) -> dict[str, Any]:
        """The response JSON schema the request asked for ({} when none)."""
        config = self.body.get("generationConfig") or {}
        schema: dict[str, Any] = config.get("responseJsonSchema") or {}
        return schema

    @property
    def call(self) -> Call:
        """Which of Podium's calls this is, from its kind and response schema."""
        if self.kind == "stream":
            return "prose"
        properties = self.schema.get("properties") or {}
        if "questions" in properties:
            return "questions"
        if "question" in properties:
            return "followup"
        return "scores"

    @property
    def prompt(self) -> str:
        """The text of the user turn."""
        return "".join(
            part.get("text", "") for content in self.body["contents"] for part in content["parts"]
        )

    @property
    def system_instruction(self) -> str:
        """The text of the system instruction ("" when none)."""
        parts = (self.body.get("systemInstruction") or {}).get("parts") or []
        return "".join(part.get("text", "") for part in parts)


class FakeGemini:
    """The server: `start()`/`close()` or a `with` block; `base_url` for the SDK's HttpOptions.

    With `api_key` set, a request carrying another key gets Gemini's real answer to a bad key
    (400 INVALID_ARGUMENT, reason API_KEY_INVALID).
    """

    def __init__(self, behaviour: Behaviour | None = None, *, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._failed: dict[str, int] = {}
        self._passed = 0
        self._stopping = threading.Event()
        self._released = False  # `release()` ended the delays
        self._wake = threading.Condition()
        self.behaviour = behaviour or Behaviour()
        self._connections: set[socket.socket] = set()
        self._server = _Server(("127.0.0.1", 0), _Handler, self)
        # A short poll interval keeps `close()` (which waits for the serve loop) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="fake-gemini"
        )

    @property
    def behaviour(self) -> Behaviour:
        return self._behaviour

    @behaviour.setter
    def behaviour(self, behaviour: Behaviour) -> None:
        with self._lock:
            self._behaviour = behaviour
            self._failed.clear()
            self._passed = 0
        with self._wake:
            self._released = False

    def release(self) -> None:
        """End the behaviour's delays now: a test's way of saying when replies may come, instead
        of a delay it would have to outrun."""
        with self._wake:
            self._released = True
            self._wake.notify_all()

    def _pause(self, seconds: float) -> bool:
        """Wait `seconds` (less once released); True when the fake is closing."""
        with self._wake:
            self._wake.wait_for(lambda: self._released or self._stopping.is_set(), seconds)
        return self._stopping.is_set()

    def calls(self, call: Call) -> list[RecordedRequest]:
        """The requests received for one kind of call, in order."""
        with self._lock:
            return [request for request in self.requests if request.call == call]

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeGemini:
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, end hung requests and open connections, join every thread."""
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        self._server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            # Wakes a handler blocked on a keep-alive read; the socket may already be gone.
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> FakeGemini:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _should_fail(self, request: RecordedRequest) -> bool:
        """Count a targeted request and say whether it gets the scripted failure."""
        b = self.behaviour
        if not (b.hang or b.blocked or b.error_status):
            return False
        if b.target not in ("all", request.kind, request.call):
            return False
        with self._lock:
            if self._passed < b.fail_after:
                self._passed += 1
                return False
            failed = self._failed.get(request.call, 0)
            if b.errors_before_success is not None and failed >= b.errors_before_success:
                return False
            self._failed[request.call] = failed + 1
        return True


class _Server(ThreadingHTTPServer):
    # Handler threads are joined on close (hung ones are woken by `_stopping`).
    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler], fake: FakeGemini) -> None:
        super().__init__(address, handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gives up on a request (a cancelled call, a timeout) is normal here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and each chunk are separate writes: Nagle's algorithm would hold them back ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.fake._lock:
            self.server.fake._connections.add(self.connection)

    def finish(self) -> None:
        with self.server.fake._lock:
            self.server.fake._connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        """Quiet: tests and benchmarks read `FakeGemini.requests` instead."""

    def do_POST(self) -> None:  # noqa: N802 - stdlib's name
        fake = self.server.fake
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        headers = {name.lower(): value for name, value in self.headers.items()}
        match = _PATH.match(url.path)
        if match is None:
            self._send_error(404, f"no such method: {url.path}")
            return
        request = RecordedRequest("POST", url.path, url.query, headers, json.loads(raw))
        fake._record(request)
        if fake.api_key is not None and headers.get("x-goog-api-key") != fake.api_key:
            self._send_error(
                400, "API key not valid. Please pass a valid API key.", "API_KEY_INVALID"
            )
            return
        behaviour = fake.behaviour
        if fake._should_fail(request):
            if behaviour.hang:
                fake._stopping.wait()
                self.close_connection = True
                return
            if behaviour.error_status:
                self._send_error(behaviour.error_status, "scripted failure")
                return
            blocked = _blocked_response(match["model"])
            if request.kind == "stream":
                self._start_stream()
                self._write_event(blocked)
                self._write_chunk(b"")
            else:
                self._send_json(200, blocked)
            return
        if fake._pause(behaviour.first_chunk_delay_s):
            return
        if request.kind == "stream":
            self._stream(behaviour, match["model"])
        else:
            body = _response(behaviour.reply_text(request), match["model"], finished=True)
            self._send_json(200, body)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _stream(self, behaviour: Behaviour, model: str) -> None:
        self._start_stream()
        for index, text in enumerate(behaviour.chunks):
            if behaviour.cut_after_chunks is not None and index >= behaviour.cut_after_chunks:
                # Drop the connection with the chunked body unfinished: a truncated stream.
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if index and self.server.fake._pause(behaviour.chunk_delay_s):
                return
            last = index == len(behaviour.chunks) - 1
            self._write_event(_response(text, model, finished=last))
        self._write_chunk(b"")

    def _write_event(self, response: dict[str, Any]) -> None:
        self._write_chunk(b"data: " + json.dumps(response).encode() + b"\r\n\r\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _send_error(self, status: int, message: str, reason: str | None = None) -> None:
        error: dict[str, Any] = {
            "code": status,
            "message": message,
            "status": _API_STATUS.get(status, HTTPStatus(status).phrase.upper().replace(" ", "_")),
        }
        if reason is not None:
            error["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": reason,
                    "domain": "googleapis.com",
                }
            ]
        self._send_json(status, {"error": error})

    def _send_json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _response(text: str, model: str, *, finished: bool) -> dict[str, Any]:
    """A GenerateContentResponse as Gemini sends it (camelCase JSON)."""
    candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}}
    if finished:
        candidate["finishReason"] = "STOP"
    return {
        "candidates": [candidate],
        "usageMetadata": {"promptTokenCount": 200, "candidatesTokenCount": 40},
        "modelVersion": model,
        "responseId": "fake",
    }


def _take(questions: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """The first `count` questions, going round again with numbered texts (still distinct)."""
    taken = []
    for index in range(count):
        rounds, position = divmod(index, len(questions))
        question = dict(questions[position])
        if rounds:
            question["text"] = f"{question['text']} ({rounds + 1})"
        taken.append(question)
    return taken


def _blocked_response(model: str) -> dict[str, Any]:
    """Gemini's answer to a prompt its safety filters blocked: no candidates."""
    return {
        "promptFeedback": {"blockReason": "SAFETY"},
        "usageMetadata": {"promptTokenCount": 200},
        "modelVersion": model,
        "responseId": "fake-blocked",
    }


async def measure_first_chunk(runs: int, behaviour: Behaviour) -> list[tuple[float, float]]:
    """(first chunk, whole feedback) seconds per run of `GeminiFeedback` against the fake."""
    from server.config import load_settings
    from server.interview.types import FeedbackChunk, FeedbackRequest
    from server.llm.feedback import GeminiFeedback

    request = FeedbackRequest(
        question="Tell me about a time you improved a process.",
        role="software engineer",
        language="en",
        transcript="I noticed our deploys took an hour, so I automated the checks.",
        metrics={"words_per_minute": 140.0},
    )
    timings: list[tuple[float, float]] = []
    with FakeGemini(behaviour, api_key="bench-key") as fake:
        settings = load_settings(
            environ={}, overrides={"gemini_api_key": "bench-key", "gemini_base_url": fake.base_url}
        )
        provider = GeminiFeedback(settings)
        try:
            for _ in range(runs):
                started = time.perf_counter()
                first: float | None = None
                async for item in provider.stream(request):
                    if first is None and isinstance(item, FeedbackChunk):
                        first = time.perf_counter() - started
                assert first is not None
                timings.append((first, time.perf_counter() - started))
        finally:
            await provider.aclose()
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fake_gemini", description=__doc__)
    parser.add_argument("command", choices=["serve", "measure"])
    parser.add_argument("--first-chunk-delay-ms", type=float, default=0.0)
    parser.add_argument("--chunk-delay-ms", type=float, default=0.0)
    parser.add_argument("--runs", type=int, default=50, help="measure: feedback requests")
    args = parser.parse_args(argv)
    behaviour = Behaviour(
        first_chunk_delay_s=args.first_chunk_delay_ms / 1000,
        chunk_delay_s=args.chunk_delay_ms / 1000,
    )
    if args.command == "serve":
        with FakeGemini(behaviour) as fake:
            print(f"fake Gemini at {fake.base_url} (PODIUM_GEMINI_BASE_URL); Ctrl-C stops it")
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
        return 0
    timings = asyncio.run(measure_first_chunk(args.runs + 1, behaviour))[1:]  # first: warm-up
    for label, values in (
        ("first chunk", [t[0] for t in timings]),
        ("whole", [t[1] for t in timings]),
    ):
        ms = sorted(v * 1000 for v in values)
        print(
            f"{label:>11}: median {statistics.median(ms):.2f} ms, min {ms[0]:.2f} ms, "
            f"p90 {ms[int(len(ms) * 0.9) - 1]:.2f} ms over {len(ms)} runs"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
