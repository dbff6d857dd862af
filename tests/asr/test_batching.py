"""Batched decoding gives what one-by-one decoding gives, on the real model and real clips."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from benchmarks.speech import Clip, read_wav_float32
from server.asr.types import SAMPLE_RATE_HZ, DecodeInput, Transcript
from server.asr.whisper import WhisperTranscriber

# Whisper's timestamps come in 20 ms steps: batched word timings may move by one at most.
TIMING_STEP_S = 0.02
SHORT_CLIP_MAX_S = 8.0


@pytest.fixture(scope="module")
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(16) as pool:
        yield pool


def _audio(speech_dir: Path, clip: Clip) -> np.ndarray:
    return read_wav_float32(speech_dir / clip.audio)


def _decoded(results: list[Transcript | Exception]) -> list[Transcript]:
    failures = [r for r in results if isinstance(r, Exception)]
    assert not failures, failures
    return [r for r in results if isinstance(r, Transcript)]


def _same_words(one: Transcript, batched: Transcript) -> None:
    assert batched.text == one.text
    assert [w.word for w in batched.words] == [w.word for w in one.words]
    for a, b in zip(one.words, batched.words, strict=True):
        assert abs(a.start_s - b.start_s) <= TIMING_STEP_S + 1e-6, (a, b)
        assert abs(a.end_s - b.end_s) <= TIMING_STEP_S + 1e-6, (a, b)


def test_batched_partials_are_the_one_by_one_text(
    transcriber: WhisperTranscriber,
    english_clips: list[Clip],
    speech_dir: Path,
    executor: ThreadPoolExecutor,
) -> None:
    # Lengths of 1.5-20 s: several encoder windows (10-22 s) in one batch.
    seconds = [1.5, 3, 4, 4, 6, 8, 9, 12, 20, 2, 5, 7]
    inputs = [
        DecodeInput(_audio(speech_dir, clip)[: int(s * SAMPLE_RATE_HZ)], "en", False)
        for clip, s in zip(english_clips[: len(seconds)], seconds, strict=True)
    ]
    one_by_one = [transcriber.transcribe(i.audio, language="en", final=False) for i in inputs]
    batched = _decoded(transcriber.transcribe_batch(inputs, executor))
    assert [b.text for b in batched] == [o.text for o in one_by_one]
    assert sum(1 for o in one_by_one if o.text) >= 10


def test_batched_finals_have_the_same_words_and_timings(
    transcriber: WhisperTranscriber,
    english_clips: list[Clip],
    speech_dir: Path,
    executor: ThreadPoolExecutor,
) -> None:
    clips = [c for c in english_clips if c.duration_s <= SHORT_CLIP_MAX_S][:6]
    inputs = [DecodeInput(_audio(speech_dir, c), "en", True) for c in clips]
    one_by_one = [transcriber.transcribe(i.audio, language="en", final=True) for i in inputs]
    batched = _decoded(transcriber.transcribe_batch(inputs, executor))
    for one, batch in zip(one_by_one, batched, strict=True):
        assert one.words, one
        _same_words(one, batch)


def test_a_mixed_batch_keeps_each_decode_its_own(
    transcriber: WhisperTranscriber,
    english_clips: list[Clip],
    speech_dir: Path,
    executor: ThreadPoolExecutor,
) -> None:
    """Finals, partials, silence and a prompt in one batch: each as it would be alone."""
    audio = [_audio(speech_dir, c) for c in english_clips[:3]]
    silence = np.zeros(3 * SAMPLE_RATE_HZ, np.float32)
    inputs = [
        DecodeInput(audio[0], "en", True),
        DecodeInput(audio[1][: 4 * SAMPLE_RATE_HZ], "en", False),
        DecodeInput(silence, "en", True),
        DecodeInput(audio[2], "en", True, prompt="Mr. Quilter, the apostle."),
        DecodeInput(audio[0][: 2 * SAMPLE_RATE_HZ], "en", False),
    ]
    batched = _decoded(transcriber.transcribe_batch(inputs, executor))
    for job, batch in zip(inputs, batched, strict=True):
        one = transcriber.transcribe(job.audio, language="en", final=job.final, prompt=job.prompt)
        _same_words(one, batch)
    assert batched[2].text == ""
    assert batched[0].words and not batched[1].words
