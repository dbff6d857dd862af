"""Batched decoding gives what one-by-one decoding gives, on the real model and real clips.

Each test runs on the CPU and, marked `gpu`, on CUDA where CTranslate2 sees a GPU.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ctranslate2
import numpy as np
import pytest

from benchmarks.speech import Clip, read_wav_float32
from server.asr.engine import DecodeRequest, Priority
from server.asr.local_engine import LocalDecodeEngine
from server.asr.types import SAMPLE_RATE_HZ, DecodeInput, Transcript
from server.asr.whisper import WhisperTranscriber, load_transcriber
from server.config import Settings

# Whisper's timestamps come in 20 ms steps: batched word timings may move by one at most.
TIMING_STEP_S = 0.02
SHORT_CLIP_MAX_S = 8.0


NO_GPU = ctranslate2.get_cuda_device_count() == 0
GPU_BATCH = 32


@pytest.fixture(scope="module")
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(GPU_BATCH) as pool:
        yield pool


@pytest.fixture(scope="module")
def cuda_transcriber() -> WhisperTranscriber:
    """tiny.en on the GPU (float16)."""
    return load_transcriber(Settings(device="cuda"))


@pytest.fixture(
    params=[
        "cpu",
        pytest.param(
            "cuda", marks=[pytest.mark.gpu, pytest.mark.skipif(NO_GPU, reason="no CUDA GPU")]
        ),
    ]
)
def model(request: pytest.FixtureRequest) -> WhisperTranscriber:
    """The bundled tiny.en on each device."""
    fixture = "transcriber" if request.param == "cpu" else "cuda_transcriber"
    loaded: WhisperTranscriber = request.getfixturevalue(fixture)
    return loaded


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
    model: WhisperTranscriber,
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
    one_by_one = [model.transcribe(i.audio, language="en", final=False) for i in inputs]
    batched = _decoded(model.transcribe_batch(inputs, executor))
    assert [b.text for b in batched] == [o.text for o in one_by_one]
    assert sum(1 for o in one_by_one if o.text) >= 10


def test_batched_finals_have_the_same_words_and_timings(
    model: WhisperTranscriber,
    english_clips: list[Clip],
    speech_dir: Path,
    executor: ThreadPoolExecutor,
) -> None:
    clips = [c for c in english_clips if c.duration_s <= SHORT_CLIP_MAX_S][:6]
    inputs = [DecodeInput(_audio(speech_dir, c), "en", True) for c in clips]
    one_by_one = [model.transcribe(i.audio, language="en", final=True) for i in inputs]
    batched = _decoded(model.transcribe_batch(inputs, executor))
    for one, batch in zip(one_by_one, batched, strict=True):
        assert one.words, one
        _same_words(one, batch)


def test_a_mixed_batch_keeps_each_decode_its_own(
    model: WhisperTranscriber,
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
    batched = _decoded(model.transcribe_batch(inputs, executor))
    for job, batch in zip(inputs, batched, strict=True):
        one = model.transcribe(job.audio, language="en", final=job.final, prompt=job.prompt)
        _same_words(one, batch)
    assert batched[2].text == ""
    assert batched[0].words and not batched[1].words


@pytest.mark.gpu
@pytest.mark.skipif(NO_GPU, reason="no CUDA GPU")
async def test_the_engine_batches_many_streams_on_the_gpu(
    cuda_transcriber: WhisperTranscriber, english_clips: list[Clip], speech_dir: Path
) -> None:
    engine = LocalDecodeEngine(workers=1, batch_size=GPU_BATCH, batch_wait_ms=600_000)
    audio = [_audio(speech_dir, c) for c in english_clips[:GPU_BATCH]]
    requests = [
        DecodeRequest(
            samples[: 4 * SAMPLE_RATE_HZ], cuda_transcriber, "en", False, Priority.PARTIAL, n
        )
        for n, samples in enumerate(audio * (GPU_BATCH // len(audio) + 1))
    ][:GPU_BATCH]
    try:
        results = await asyncio.gather(*(engine.decode(r) for r in requests))
    finally:
        await engine.aclose()
    for request, result in zip(requests, results, strict=True):
        alone = cuda_transcriber.transcribe(
            request.decode_input().audio, language="en", final=False
        )
        assert result.text == alone.text
    stats = engine.stats()
    assert (stats.batches, stats.batched_decodes) == (1, GPU_BATCH)
