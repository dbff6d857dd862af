"""A remote audio track as an async iterator of 16 kHz mono int16 chunks."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from numpy.typing import NDArray

from server.audio.resample import Resampler

logger = logging.getLogger(__name__)

DEFAULT_FRAME_TIMEOUT_S = 2.0


class InputLevel:
    """Running figures about the audio read from one track (cheap, updated per chunk).

    `peak_dbfs` tells whether real audio arrived: a client whose capture failed sends
    digital silence (-inf dBFS) with no error.
    """

    def __init__(self) -> None:
        self.chunks = 0
        self.samples = 0
        self.peak = 0
        self.stalls = 0

    @property
    def peak_dbfs(self) -> float:
        """Largest absolute sample so far, in dB relative to full scale (-inf for silence)."""
        return 20 * math.log10(self.peak / 32768) if self.peak else -math.inf

    def update(self, chunk: NDArray[np.int16]) -> None:
        self.chunks += 1
        self.samples += chunk.size
        if chunk.size:
            # int() first: abs(-32768) overflows in int16.
            self.peak = max(self.peak, int(chunk.max()), -int(chunk.min()))


async def audio_chunks(
    track: MediaStreamTrack,
    *,
    timeout_s: float = DEFAULT_FRAME_TIMEOUT_S,
    level: InputLevel | None = None,
) -> AsyncIterator[NDArray[np.int16]]:
    """Yield the track's audio as 16 kHz mono int16 chunks (one per received frame).

    Ends when the track ends (`MediaStreamError`). When no frame arrives for `timeout_s`, the
    stall is counted in `level.stalls` and logged, and reading goes on: a remote track's queue
    is unbounded, so the track must be read until it ends, and aiortc ends it when the peer
    connection closes (including on ICE failure). Never yields an empty array. A caller that
    stops iterating early must stop the track or close its peer connection.
    """
    resampler = Resampler()
    stalled_since: float | None = None
    loop = asyncio.get_running_loop()
    while True:
        try:
            async with asyncio.timeout(timeout_s):
                frame = await track.recv()
        except TimeoutError:
            if stalled_since is None:
                stalled_since = loop.time() - timeout_s
                if level is not None:
                    level.stalls += 1
                logger.info("no audio from track %s for %.1f s; still waiting", track.id, timeout_s)
            continue
        except MediaStreamError:
            break
        if stalled_since is not None:
            logger.info(
                "audio from track %s resumed after %.1f s", track.id, loop.time() - stalled_since
            )
            stalled_since = None
        if not isinstance(frame, av.AudioFrame):
            raise TypeError(f"expected audio frames, got {type(frame).__name__}")
        chunk = resampler.resample(frame)
        if chunk.size:
            if level is not None:
                level.update(chunk)
            yield chunk
    tail = resampler.flush()
    if tail.size:
        if level is not None:
            level.update(tail)
        yield tail
