"""The local decode engine on the real model: priority order, batches per model, withdrawal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from benchmarks.speech import Clip, read_wav_int16
from server.asr.engine import DecodeRequest, Priority
from server.asr.local_engine import LocalDecodeEngine
from server.asr.types import SAMPLE_RATE_HZ, Transcript
from server.asr.whisper import WhisperTranscriber
from server.errors import TranscriberError

# Long enough that nobody joins a batch by timing out (the tests never wait for it).
NEVER_MS = 600_000


@pytest.fixture(scope="module")
def speech(speech_dir: Path, english_clips: list[Clip]) -> np.ndarray:
    clip = next(c for c in english_clips if c.audio == "en_jfk_inaugural.wav")
    samples, _ = read_wav_int16(speech_dir / clip.audio)
    return samples


@pytest.fixture
async def engines() -> AsyncIterator[list[LocalDecodeEngine]]:
    made: list[LocalDecodeEngine] = []
    yield made
    for engine in made:
        await engine.aclose()


def _engine(made: list[LocalDecodeEngine], **options: float) -> LocalDecodeEngine:
    engine = LocalDecodeEngine(**options)  # type: ignore[arg-type]
    made.append(engine)
    return engine


def _request(
    transcriber: WhisperTranscriber, audio: np.ndarray, priority: Priority, seconds: float = 3
) -> DecodeRequest:
    final = priority != Priority.PARTIAL
    cut = audio[: int(seconds * SAMPLE_RATE_HZ)]
    return DecodeRequest(cut, transcriber, "en", final, priority, stream=id(cut))


def _start(
    engine: LocalDecodeEngine, named: Sequence[tuple[str, DecodeRequest]], finished: list[str]
) -> list[asyncio.Task[Transcript]]:
    """Ask for every decode at once (in this loop iteration); `finished` gets their names in
    the order their results arrive."""
    tasks = []
    for name, request in named:
        task = asyncio.create_task(engine.decode(request))
        task.add_done_callback(lambda _t, n=name: finished.append(n))
        tasks.append(task)
    return tasks


async def test_waiting_decodes_run_finals_first(
    engines: list[LocalDecodeEngine], transcriber: WhisperTranscriber, speech: np.ndarray
) -> None:
    engine = _engine(engines, workers=1)
    finished: list[str] = []
    tasks = _start(
        engine,
        [
            ("busy", _request(transcriber, speech, Priority.PARTIAL)),
            ("partial", _request(transcriber, speech, Priority.PARTIAL)),
            ("speculative", _request(transcriber, speech, Priority.SPECULATIVE)),
            ("final", _request(transcriber, speech, Priority.FINAL)),
        ],
        finished,
    )
    results = await asyncio.gather(*tasks)
    assert finished == ["busy", "final", "speculative", "partial"]
    assert all(r.text.startswith("And so my fellow Americans") for r in results)
    assert results[3].words and not results[1].words
    stats = engine.stats()
    assert (stats.batches, stats.batched_decodes, stats.queued) == (4, 4, 0)


async def test_a_final_waits_for_one_batch_of_partials_at_most(
    engines: list[LocalDecodeEngine], transcriber: WhisperTranscriber, speech: np.ndarray
) -> None:
    engine = _engine(engines, workers=1, batch_size=2)
    finished: list[str] = []
    tasks = _start(
        engine,
        [
            ("running", _request(transcriber, speech, Priority.PARTIAL)),
            ("partial 1", _request(transcriber, speech, Priority.PARTIAL, 4)),
            ("partial 2", _request(transcriber, speech, Priority.PARTIAL, 5)),
            ("final", _request(transcriber, speech, Priority.FINAL)),
        ],
        finished,
    )
    await asyncio.gather(*tasks)
    # The idle engine started the first at once; the final then led the next batch.
    assert finished == ["running", "final", "partial 1", "partial 2"]
    stats = engine.stats()
    assert (stats.batches, stats.batched_decodes) == (3, 4)
    assert stats.mean_batch_size == pytest.approx(4 / 3)


async def test_a_batch_holds_one_model(
    engines: list[LocalDecodeEngine], transcriber: WhisperTranscriber, speech: np.ndarray
) -> None:
    other = transcriber.with_config(transcriber.config)  # another model, as far as batches go
    engine = _engine(engines, workers=1, batch_size=4)
    finished: list[str] = []
    tasks = _start(
        engine,
        [
            (name, _request(model, speech, Priority.PARTIAL))
            for name, model in [
                ("a1", transcriber),
                ("a2", transcriber),
                ("b1", other),
                ("b2", other),
                ("a3", transcriber),
            ]
        ],
        finished,
    )
    texts = {r.text for r in await asyncio.gather(*tasks)}
    assert len(texts) == 1
    assert finished == ["a1", "a2", "a3", "b1", "b2"]
    stats = engine.stats()
    assert (stats.batches, stats.batched_decodes) == (3, 5)


async def test_an_idle_engine_gathers_a_full_batch(
    engines: list[LocalDecodeEngine], transcriber: WhisperTranscriber, speech: np.ndarray
) -> None:
    engine = _engine(engines, workers=1, batch_size=3, batch_wait_ms=NEVER_MS)
    for round_number in (1, 2):
        finished: list[str] = []
        tasks = _start(
            engine,
            [(str(n), _request(transcriber, speech, Priority.PARTIAL, 2 + n)) for n in range(3)],
            finished,
        )
        results = await asyncio.gather(*tasks)
        assert len({r.text for r in results}) == 3
        stats = engine.stats()
        assert (stats.batches, stats.batched_decodes) == (round_number, 3 * round_number)
        assert stats.mean_batch_size == 3.0


async def test_a_withdrawn_request_is_never_decoded(
    engines: list[LocalDecodeEngine], transcriber: WhisperTranscriber, speech: np.ndarray
) -> None:
    engine = _engine(engines, workers=1, batch_size=2, batch_wait_ms=NEVER_MS)
    waiting = asyncio.create_task(engine.decode(_request(transcriber, speech, Priority.FINAL)))
    await asyncio.sleep(0)
    assert engine.stats().queued == 1  # waiting for a second request to join it
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert engine.stats().queued == 0
    finished: list[str] = []
    tasks = _start(
        engine,
        [(n, _request(transcriber, speech, Priority.PARTIAL)) for n in ("x", "y")],
        finished,
    )
    await asyncio.gather(*tasks)
    stats = engine.stats()
    assert (stats.batches, stats.batched_decodes, stats.queued) == (1, 2, 0)


async def test_closing_fails_the_requests_still_waiting(
    transcriber: WhisperTranscriber, speech: np.ndarray
) -> None:
    engine = LocalDecodeEngine(workers=1, batch_size=2, batch_wait_ms=NEVER_MS)
    waiting = asyncio.create_task(engine.decode(_request(transcriber, speech, Priority.FINAL)))
    await asyncio.sleep(0)
    await engine.aclose()
    with pytest.raises(TranscriberError):
        await waiting
    with pytest.raises(TranscriberError):
        await engine.decode(_request(transcriber, speech, Priority.FINAL))
