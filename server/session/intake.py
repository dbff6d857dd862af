"""Audio intake of one session: the client's track read into a bounded queue, fed to its
transcript stream.

The track is always drained (aiortc's own queue is unbounded). When transcription lags, audio
is held back while `max_pending_finals` utterances wait for their final, and the bounded queue
then drops its oldest frames (counted) rather than the segmenter cutting ever more utterances:
the backlog stays bounded and no utterance that started loses its final.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from aiortc import MediaStreamTrack
from numpy.typing import NDArray

from server.asr.stream import TranscriptStream
from server.asr.types import SAMPLE_RATE_HZ
from server.rtc.audio_input import InputLevel, audio_chunks

# No audio for this long while an utterance is open: the track stopped mid-speech, so the
# utterance is finalised rather than left open.
AUDIO_STALL_S = 2.0


@dataclass(slots=True)
class AudioStats:
    """What arrived from the client's track (the level figures come from `audio_chunks`)."""

    level: InputLevel = field(default_factory=InputLevel)
    dropped_ms: int = 0
    peak_pending_finals: int = 0

    @property
    def peak_dbfs(self) -> float | None:
        return round(self.level.peak_dbfs, 1) if self.level.peak else None


class AudioIntake:
    """Reads one track into `stream`; call `read` and `feed` as two tasks of the session."""

    def __init__(
        self,
        *,
        stream: TranscriptStream,
        queue_frames: int,
        max_pending_finals: int,
        signal_floor_dbfs: float,
        on_signal: Callable[[], None],
        on_falling_behind: Callable[[], None],
        after_push: Callable[[], None],
    ) -> None:
        self._stream = stream
        self._queue: asyncio.Queue[NDArray[np.int16] | None] = asyncio.Queue(maxsize=queue_frames)
        self._max_pending_finals = max_pending_finals
        self._signal_floor = round(32768 * 10 ** (signal_floor_dbfs / 20))
        self._on_signal = on_signal  # audio louder than the floor arrived
        self._on_falling_behind = on_falling_behind
        self._after_push = after_push
        self.stats = AudioStats()

    async def read(self, track: MediaStreamTrack) -> None:
        """Drain the track into the queue, dropping (and counting) the oldest when it is full."""
        try:
            async for chunk in audio_chunks(track, level=self.stats.level):
                if max(int(chunk.max()), -int(chunk.min())) >= self._signal_floor:
                    self._on_signal()
                if self._queue.full():
                    dropped = self._queue.get_nowait()
                    if dropped is not None:
                        self.stats.dropped_ms += len(dropped) * 1000 // SAMPLE_RATE_HZ
                        self._on_falling_behind()
                self._queue.put_nowait(chunk)
        finally:
            with contextlib.suppress(asyncio.QueueFull):
                self._queue.put_nowait(None)

    async def feed(self) -> None:
        """Push queued audio into the stream until the track ends; then its last final."""
        while True:
            try:
                async with asyncio.timeout(AUDIO_STALL_S):
                    chunk = await self._queue.get()
            except TimeoutError:
                self._stream.end_utterance()  # no-op unless an utterance is open
                self._note_backlog()
                continue
            if chunk is None:
                break
            if self._stream.pending_finals >= self._max_pending_finals:
                self._on_falling_behind()
                await self._stream.wait_for_finals_below(self._max_pending_finals)
            self._stream.push(chunk)
            self._after_push()
            self._note_backlog()
        self._stream.end_utterance()
        await self._stream.drain()

    def flush_queued(self) -> None:
        """After reading stopped: feed the audio still queued to the stream."""
        while not self._queue.empty():
            chunk = self._queue.get_nowait()
            if chunk is not None:
                self._stream.push(chunk)

    def _note_backlog(self) -> None:
        self.stats.peak_pending_finals = max(
            self.stats.peak_pending_finals, self._stream.pending_finals
        )
