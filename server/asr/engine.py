"""The decode engine contract: every stream's decode requests in, transcripts out.

A stream asks for one decode at a time with a `DecodeRequest`. The engine decides when it runs
(finals before speculative finals before partials) and with what (alone, or in a batch of
requests for the same model). `LocalDecodeEngine` (`server.asr.local_engine`) runs them on this
machine's models; a remote pool of models can implement the same protocol.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol, runtime_checkable

import msgspec
import numpy as np
from numpy.typing import NDArray

from server.asr.types import DecodeInput, Transcriber, Transcript


class Priority(IntEnum):
    FINAL = 0
    SPECULATIVE = 1
    PARTIAL = 2


@dataclass(frozen=True, slots=True)
class DecodeRequest:
    """One decode a stream asks for."""

    audio: NDArray[np.int16] | NDArray[np.float32]  # 16 kHz mono; int16 is scaled by 1/32768
    transcriber: Transcriber  # the model it is for (a batch holds requests for one model)
    language: str | None  # None: detect it (multilingual models)
    final: bool  # best text with word timings; else a cheap greedy partial
    priority: Priority
    stream: Hashable | None = None  # who asks: partials are paced per stream under load
    prompt: str | None = None  # earlier text as context (Whisper's initial prompt)

    def decode_input(self) -> DecodeInput:
        """The transcriber's input (converts int16 audio: call it off the event loop)."""
        audio: NDArray[np.float32] = (
            (self.audio.astype(np.float32) / 32768.0).astype(np.float32)
            if self.audio.dtype == np.int16
            else np.asarray(self.audio, dtype=np.float32)
        )
        return DecodeInput(audio, self.language, self.final, self.prompt)


class EngineStats(msgspec.Struct, frozen=True):
    """What an engine did so far, for `/api/health` and the benchmark."""

    batches: int  # model runs, single decodes included
    batched_decodes: int  # decodes those runs held
    queued: int  # decodes waiting for a worker now

    @property
    def mean_batch_size(self) -> float:
        return self.batched_decodes / self.batches if self.batches else 0.0


@runtime_checkable
class DecodeEngine(Protocol):
    """Runs decode requests from every stream of the server."""

    async def decode(self, request: DecodeRequest) -> Transcript:
        """Decode once the engine gets to it; cancelling the caller withdraws a waiting request.

        Raises `TranscriberError` when decoding fails.
        """
        ...

    def partial_spacing_ms(self, base_ms: int) -> int:
        """How much new audio a stream should gather before asking for its next partial:
        `base_ms` while the engine keeps up, more when partials would crowd out finals."""
        ...

    def stats(self) -> EngineStats: ...

    async def aclose(self) -> None:
        """Stop; requests still waiting fail with `TranscriberError`."""
        ...
