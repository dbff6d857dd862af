"""The transcriber contract shared by the session, the benchmark and the tests."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from typing import NamedTuple, Protocol, runtime_checkable

import msgspec
import numpy as np
from numpy.typing import NDArray

SAMPLE_RATE_HZ = 16_000


class Word(msgspec.Struct, frozen=True):
    """One recognised word; times are seconds from the start of the decoded audio."""

    word: str
    start_s: float
    end_s: float
    probability: float


class Transcript(msgspec.Struct, frozen=True):
    """The result of decoding one piece of audio."""

    text: str
    words: list[Word]
    language: str
    audio_s: float
    decode_s: float
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0


class DecodeInput(NamedTuple):
    """One decode of a batch: the arguments of `Transcriber.transcribe`."""

    audio: NDArray[np.float32]
    language: str | None
    final: bool
    prompt: str | None = None


@runtime_checkable
class Transcriber(Protocol):
    """Blocking speech-to-text; callers run `transcribe` in a worker thread, never on the loop."""

    model_name: str
    device: str
    compute_type: str
    multilingual: bool

    def transcribe(
        self,
        audio: NDArray[np.float32],
        *,
        language: str | None,
        final: bool,
        prompt: str | None = None,
        prefix: str | None = None,
    ) -> Transcript:
        """Decode 16 kHz mono float32 audio (at most 30 s).

        `final=False` asks for a cheap partial hypothesis (cost in proportion to the audio);
        `final=True` for the best text with word timings. `prefix` forces the text to start with
        already-committed words; `prompt` carries earlier committed text as context. Returns an
        empty transcript (text "") for silence or noise.
        """
        ...


@runtime_checkable
class BatchTranscriber(Transcriber, Protocol):
    """A transcriber that can run several decodes as one batch on its model."""

    def transcribe_batch(
        self, inputs: Sequence[DecodeInput], executor: Executor
    ) -> list[Transcript | Exception]:
        """Decode every input, each exactly as `transcribe` would, sharing model calls.

        Blocking; uses `len(inputs) - 1` threads of `executor` besides the calling one. A
        failed decode is returned as its exception, in its input's place.
        """
        ...
