"""A fake Gemini API server on 127.0.0.1 that speaks the real wire format to the real SDK.

Tests and the feedback benchmark point `Settings.gemini_base_url` at `FakeGemini.base_url`.
It serves `POST /{version}/models/{model}:generateContent` (one JSON body) and
`POST /{version}/models/{model}:streamGenerateContent?alt=sse` (chunked SSE, one
`data: <GenerateContentResponse>` event per chunk), answers errors as
`{"error": {"code", "message", "status"}}`, and records every request it received.
What it does is scripted by a `Behaviour`: delays, HTTP errors, a hang, a stream cut mid-way.

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

Target = Literal["all", "stream", "generate"]


class Behaviour(msgspec.Struct, frozen=True, kw_only=True):
    """What the fake does with the next requests.

    `target` picks which calls (the prose stream, the JSON `generate` call, or both) get
    `error_status` or `hang`; `errors_before_success` counts per call kind. The delays apply
    to both kinds: before the first chunk (or the JSON body) and between stream chunks.
    """

    chunks: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_CHUNKS))
    scores_text: str = json.dumps(DEFAULT_SCORES)
    first_chunk_delay_s: float = 0.0
    chunk_delay_s: float = 0.0
    error_status: int | None = None
    errors_before_success: int | None = None  # None: every targeted request fails
    hang: bool = False
    cut_after_chunks: int | None = None
    target: Target = "all"


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


class FakeGemini:
    """The server: `start()`/`close()` or a `with` block; `base_url` for the SDK's HttpOptions.

    With `api_key` set, a request carrying another key gets Gemini's real answer to a bad key
    (400 INVALID_ARGUMENT, reason API_KEY_INVALID).
    """

    def __init__(self, behaviour: Behaviour | None = None, *, api_key: str | None = None) -> None:
        self.behaviour = behaviour or Behaviour()
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._failed: dict[str, int] = {}
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server = _Server(("127.0.0.1", 0), _Handler, self)
        # A short poll interval keeps `close()` (which waits for the serve loop) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="fake-gemini"
        )

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

    def _should_fail(self, kind: str) -> bool:
        """Count a targeted request and say whether it gets the scripted error or hang."""
        b = self.behaviour
        if b.target not in ("all", kind):
            return False
        with self._lock:
            failed = self._failed.get(kind, 0)
            if b.errors_before_success is not None and failed >= b.errors_before_success:
                return False
            self._failed[kind] = failed + 1
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
        fake._record(RecordedRequest("POST", url.path, url.query, headers, json.loads(raw)))
        if fake.api_key is not None and headers.get("x-goog-api-key") != fake.api_key:
            self._send_error(
                400, "API key not valid. Please pass a valid API key.", "API_KEY_INVALID"
            )
            return
        kind = "stream" if match["method"] == "streamGenerateContent" else "generate"
        behaviour = fake.behaviour
        if (behaviour.hang or behaviour.error_status) and fake._should_fail(kind):
            if behaviour.hang:
                fake._stopping.wait()
                self.close_connection = True
                return
            assert behaviour.error_status is not None
            self._send_error(behaviour.error_status, "scripted failure")
            return
        if fake._stopping.wait(behaviour.first_chunk_delay_s):
            return
        if kind == "stream":
            self._stream(behaviour, match["model"])
        else:
            body = _response(behaviour.scores_text, match["model"], finished=True)
            self._send_json(200, body)

    def _stream(self, behaviour: Behaviour, model: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for index, text in enumerate(behaviour.chunks):
            if behaviour.cut_after_chunks is not None and index >= behaviour.cut_after_chunks:
                # Drop the connection with the chunked body unfinished: a truncated stream.
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if index and self.server.fake._stopping.wait(behaviour.chunk_delay_s):
                return
            last = index == len(behaviour.chunks) - 1
            event = b"data: " + json.dumps(_response(text, model, finished=last)).encode()
            self._write_chunk(event + b"\r\n\r\n")
        self._write_chunk(b"")

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


async def measure_first_chunk(runs: int, behaviour: Behaviour) -> list[tuple[float, float]]:
    """(first chunk, whole feedback) seconds per run of `GeminiFeedback` against the fake."""
    from server.config import load_settings
    from server.interview.gemini import GeminiFeedback
    from server.interview.types import FeedbackChunk, FeedbackRequest

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
