"""Test helpers beside `benchmarks.client`: a server in this process, an HTTP client of its API,
waiting on the server's state, and a track that plays audio of any format."""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
import numpy as np
import uvicorn
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame
from litestar import Litestar

from benchmarks.client import FRAME_MS
from benchmarks.serverproc import free_port

# Bounds on waiting for a server, where nothing races them: generous, so that a machine with a
# load of 10 passes (httpx's own 5 s timeout did not). Only a broken run gets to them.
HTTP_TIMEOUT_S = 60.0
SERVER_WAIT_S = 120.0

T = TypeVar("T")


def api_client(url: str, **kwargs: Any) -> httpx.AsyncClient:
    """An HTTP client of the API at `url` (`kwargs` as for httpx, e.g. `headers`)."""
    return httpx.AsyncClient(base_url=url, timeout=HTTP_TIMEOUT_S, **kwargs)


async def get_json(http: httpx.AsyncClient, path: str) -> Any:
    response = await http.get(path)
    response.raise_for_status()
    return response.json()


async def poll_until(
    read: Callable[[], Awaitable[T]],
    done: Callable[[T], object],
    *,
    timeout_s: float = SERVER_WAIT_S,
    every_s: float = 0.2,
) -> T:
    """`read()` every `every_s` until `done` holds for what it read; returns that (or, after
    `timeout_s`, the last read, for the caller's assertion to show)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = await read()
        if done(value) or time.monotonic() >= deadline:
            return value
        await asyncio.sleep(every_s)


@asynccontextmanager
async def serve_in_process(
    app: Litestar | Callable[..., Awaitable[None]], *, port: int | None = None
) -> AsyncIterator[str]:
    """Run `app` with uvicorn on a loopback port (`port`, else a free one) in this event loop;
    yields its URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port or free_port(), log_config=None)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(), name="uvicorn")
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        await task


class FormatTrack(MediaStreamTrack):
    """Plays samples of any rate and channel count in 20 ms frames at wall-clock pace, then
    silence. `samples` is (channels, n) int16."""

    kind = "audio"

    def __init__(self, samples: np.ndarray, rate_hz: int) -> None:
        super().__init__()
        self.rate_hz = rate_hz
        self.channels = samples.shape[0]
        self._frame = rate_hz * FRAME_MS // 1000
        frames = -(-samples.shape[1] // self._frame) or 1
        padded = np.zeros((self.channels, frames * self._frame), np.int16)
        padded[:, : samples.shape[1]] = samples
        self._samples = padded
        self._sent = 0
        self._start: float | None = None
        self.played = asyncio.Event()  # set once every sample has been sent

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.perf_counter()
        delay = self._start + self._sent * FRAME_MS / 1000 - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        begin = self._sent * self._frame
        chunk = self._samples[:, begin : begin + self._frame]
        if chunk.shape[1] < self._frame:
            chunk = np.zeros((self.channels, self._frame), np.int16)
            self.played.set()
        # Packed s16: channels interleaved in one plane.
        frame = AudioFrame.from_ndarray(
            np.ascontiguousarray(chunk.T).reshape(1, -1),
            format="s16",
            layout="mono" if self.channels == 1 else "stereo",
        )
        frame.sample_rate = self.rate_hz
        frame.pts = begin
        frame.time_base = fractions.Fraction(1, self.rate_hz)
        self._sent += 1
        return frame
