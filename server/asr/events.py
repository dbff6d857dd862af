"""What a transcript stream tells its owner: typed events, times in ms of the stream's audio.

These are the server's own events; only the session turns them into protocol messages.
"""

from __future__ import annotations

import msgspec


class SpeechStarted(msgspec.Struct, frozen=True):
    """The VAD heard an utterance begin at `audio_ms` (its onset)."""

    utterance_id: int
    audio_ms: int


class PartialTranscript(msgspec.Struct, frozen=True):
    """The best hypothesis of the open utterance so far; `stable` is a prefix never retracted."""

    utterance_id: int
    text: str
    stable: str
    audio_start_ms: int
    audio_end_ms: int


class TimedWord(msgspec.Struct, frozen=True):
    word: str
    start_ms: int
    end_ms: int
    probability: float


class FinalTranscript(msgspec.Struct, frozen=True):
    """An utterance's text once it ended: exactly one per utterance, after its partials."""

    utterance_id: int
    text: str
    audio_start_ms: int
    audio_end_ms: int
    words: list[TimedWord]
    language: str | None


class DecodeFailed(msgspec.Struct, frozen=True):
    """Recognition failed for one utterance; its final carries the last caption instead."""

    utterance_id: int


TranscriptEvent = SpeechStarted | PartialTranscript | FinalTranscript | DecodeFailed
