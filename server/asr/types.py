"""The transcriber contract shared by the session, the benchmark and the tests."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

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
