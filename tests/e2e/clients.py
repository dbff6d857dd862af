"""Test helpers beside `benchmarks.client`: a server in this process, and a client that sends any
audio track and extra HTTP headers (an access token)."""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import numpy as np
import uvicorn
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame
from litestar import Litestar

from benchmarks.client import FRAME_MS
from benchmarks.serverproc import free_port


@asynccontextmanager
async def serve_in_process(app: Litestar) -> AsyncIterator[str]:
    """Run `app` with uvicorn on a free loopback port in this event loop; yields its URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_config=None)
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
