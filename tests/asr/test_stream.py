"""The per-stream transcription, driven directly: real speech for the VAD, a scripted transcriber
(no model), and no real time — audio is pushed as fast as the test likes and `drain()` is the
only synchronisation."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from benchmarks.speech import read_wav_int16
from server.asr.events import FinalTranscript, PartialTranscript, SpeechStarted, TranscriptEvent
from server.asr.local_engine import LocalDecodeEngine
from server.asr.stream import TranscriptStream
from server.asr.types import Transcript, Word
from server.audio.vad import VadConfig

RATE_HZ = 16_000
SPEECH = "en_librispeech_quilter.wav"  # 5.9 s, one sentence without long pauses


def silence(ms: int) -> NDArray[np.int16]:
    return np.zeros(ms * RATE_HZ // 1000, np.int16)


@dataclass
class Decode:
    start_sample: int  # where the decoded audio starts in what the test pushed
    samples: int
    final: bool


@dataclass
class ScriptedTranscriber:
    """Answers each decode with `script(decode)`; `gate`, when given, holds every decode until
    it is set (a slow model)."""

    pushed: NDArray[np.int16]
    script: Callable[[Decode], str]
    gate: threading.Event | None = None
    decodes: list[Decode] = field(default_factory=list)
    model_name: str = "scripted"
    device: str = "cpu"
    compute_type: str = "none"
    multilingual: bool = True

    def transcribe(
        self,
        audio: NDArray[np.float32],
        *,
        language: str | None,
        final: bool,
        prompt: str | None = None,
        prefix: str | None = None,
    ) -> Transcript:
        if self.gate is not None:
            assert self.gate.wait(60), "the test never released the decode"
        samples = np.round(audio * 32768).astype(np.int16)
        decode = Decode(_find(self.pushed, samples), samples.size, final)
        self.decodes.append(decode)
        text = self.script(decode)
        tokens = text.split()
        seconds = samples.size / RATE_HZ
        words = [
            Word(f" {t}", i * seconds / len(tokens), (i + 1) * seconds / len(tokens), 0.9)
            for i, t in enumerate(tokens)
        ]
        return Transcript(text, words, language or "en", audio_s=seconds, decode_s=0.0)


def _find(haystack: NDArray[np.int16], needle: NDArray[np.int16]) -> int:
    """Where `needle` (at least its first 20 ms, not all zero) starts in `haystack`."""
    probe = needle[:320]
    start = int(np.flatnonzero(probe)[0]) if probe.any() else 0
    key = needle[start : start + 320].tobytes()
    offset = haystack.tobytes().find(key)
    assert offset >= 0 and offset % 2 == 0, "decoded audio is not part of what was pushed"
    return offset // 2 - start


@pytest.fixture
def speech(speech_dir: Path) -> NDArray[np.int16]:
    samples, rate = read_wav_int16(speech_dir / SPEECH)
    assert rate == RATE_HZ
    return samples


@pytest.fixture
async def engine() -> AsyncIterator[LocalDecodeEngine]:
    running = LocalDecodeEngine(workers=1)
    yield running
    await running.aclose()


class Run:
    """A stream under test and every event it produced, read by a task as an owner would."""

    def __init__(self, stream: TranscriptStream) -> None:
        self.stream = stream
        self.events: list[TranscriptEvent] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for event in self.stream:
            self.events.append(event)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    async def close(self) -> None:
        await self.stream.aclose()
        await self._reader


@pytest.fixture
async def open_run(engine: LocalDecodeEngine) -> AsyncIterator[Callable[..., Run]]:
    runs: list[Run] = []

    def start(transcriber: ScriptedTranscriber, *, language: str | None = "en", **vad) -> Run:
        stream = TranscriptStream(
            transcriber=transcriber,
            engine=engine,
            vad_config=VadConfig(**vad),
            language=language,
            partial_interval_ms=400,
        )
        runs.append(Run(stream))
        return runs[-1]

    yield start
    for run in runs:
        await run.close()


async def test_a_speculative_final_is_the_final_when_the_pause_lasts(
    speech: NDArray[np.int16], open_run: Callable[..., Run]
) -> None:
    pushed = np.concatenate([silence(500), speech, silence(1500)])
    transcriber = ScriptedTranscriber(pushed, lambda d: "speculative" if d.final else "partial")
    run = open_run(transcriber)
    pause_at = 500 * 16 + speech.size + 400 * 16  # inside the pause, before the 450 ms end
    run.stream.push(pushed[:pause_at])
    await run.stream.drain()
    assert [d.final for d in transcriber.decodes][-1], "no speculative decode in the pause"
    finals_before = sum(d.final for d in transcriber.decodes)

    run.stream.push(pushed[pause_at:])
    await run.stream.drain()

    (final,) = run.of(FinalTranscript)
    assert final.text == "speculative"
    assert sum(d.final for d in transcriber.decodes) == finals_before  # no second decode


async def test_a_speculative_final_is_dropped_when_speech_resumes(
    speech: NDArray[np.int16], open_run: Callable[..., Run]
) -> None:
    first, second = speech[: speech.size // 2], speech[speech.size // 2 :]
    pushed = np.concatenate([silence(500), first, silence(300), second, silence(1500)])
    transcriber = ScriptedTranscriber(
        pushed, lambda d: f"final of {d.samples} samples" if d.final else "partial"
    )
    run = open_run(transcriber)
    pause_end = 500 * 16 + first.size + 300 * 16
    run.stream.push(pushed[:pause_end])
    await run.stream.drain()
    speculated = [d for d in transcriber.decodes if d.final]

    run.stream.push(pushed[pause_end:])
    await run.stream.drain()

    (final,) = run.of(FinalTranscript)  # the short pause did not end the utterance
    last_final_decode = [d for d in transcriber.decodes if d.final][-1]
    assert last_final_decode not in speculated
    assert last_final_decode.samples > max((d.samples for d in speculated), default=0)
    assert final.text == f"final of {last_final_decode.samples} samples"


@pytest.mark.parametrize(
    ("language", "first", "second", "expected"),
    [
        ("en", "one two three four five", "four five six seven", "six seven"),
        # No spaces between words: the overlap is found character by character.
        ("zh", "今天天气很好", "很好我们去公园", "我们去公园"),
    ],
)
async def test_words_shown_before_a_length_cut_are_not_repeated_after_it(
    speech: NDArray[np.int16],
    open_run: Callable[..., Run],
    language: str,
    first: str,
    second: str,
    expected: str,
) -> None:
    pushed = np.concatenate([silence(500), speech, silence(1500)])
    transcriber = ScriptedTranscriber(
        pushed, lambda d: first if d.start_sample < 1000 * 16 else second
    )
    run = open_run(transcriber, language=language, max_utterance_s=4.0)
    run.stream.push(pushed)
    run.stream.end_utterance()
    await run.stream.drain()

    finals = run.of(FinalTranscript)
    assert len(finals) == 2, "the speech was not cut at the length limit"
    assert [f.text for f in finals] == [first, expected]
    later_partials = [p for p in run.of(PartialTranscript) if p.utterance_id == 2]
    assert all(not p.text.startswith(second[:2]) for p in later_partials)


async def test_audio_waits_while_finals_are_backed_up_and_finals_come_in_order(
    speech: NDArray[np.int16], open_run: Callable[..., Run]
) -> None:
    clip = speech[: 2 * RATE_HZ]
    pushed = np.concatenate([silence(500), clip, silence(1000), clip, silence(1000), clip])
    pushed = np.concatenate([pushed, silence(1000)])
    gate = threading.Event()
    transcriber = ScriptedTranscriber(
        pushed, lambda d: f"at {d.start_sample}" if d.final else "...", gate=gate
    )
    run = open_run(transcriber)
    run.stream.push(pushed)  # three utterances end while the first decode is held
    assert run.stream.pending_finals == 3
    waiting = asyncio.create_task(run.stream.wait_for_finals_below(2))
    await asyncio.sleep(0)
    assert not waiting.done()

    gate.set()
    await waiting
    await run.stream.drain()

    starts = run.of(SpeechStarted)
    finals = run.of(FinalTranscript)
    assert [f.utterance_id for f in finals] == [s.utterance_id for s in starts] == [1, 2, 3]
    assert [f.audio_start_ms for f in finals] == sorted(f.audio_start_ms for f in finals)
    for final in finals:  # each final comes after its utterance's partials
        index = run.events.index(final)
        assert not [
            e
            for e in run.events[index:]
            if isinstance(e, PartialTranscript) and e.utterance_id == final.utterance_id
        ]
    assert run.stream.pending_finals == 0


@pytest.mark.parametrize(
    ("decoded", "utterances"),
    [
        ("We decided.", 2),  # a sentence ended: the shorter hangover closes it in the pause
        ("Is that so?", 2),
        ("and then...", 1),  # trailing off mid-thought keeps the full hangover
        ("and then we", 1),
    ],
)
async def test_a_finished_sentence_ends_the_utterance_in_a_shorter_pause(
    speech: NDArray[np.int16], open_run: Callable[..., Run], decoded: str, utterances: int
) -> None:
    first, second = speech[: speech.size // 2], speech[speech.size // 2 :]
    pause_ms = 400  # shorter than end_ms (450), longer than sentence_end_ms
    pushed = np.concatenate([silence(500), first, silence(pause_ms), second, silence(1500)])
    transcriber = ScriptedTranscriber(pushed, lambda d: decoded if d.final else "partial")
    run = open_run(transcriber, sentence_end_ms=250)
    step = 20 * 16  # 20 ms packets, each decoded before the next, as in real time
    for start in range(0, pushed.size, step):
        run.stream.push(pushed[start : start + step])
        await run.stream.drain()
    assert len(run.of(FinalTranscript)) == utterances
