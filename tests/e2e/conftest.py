"""A real Podium server on a loopback port, shared by the end-to-end tests of one module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from benchmarks.client import PodiumClient
from benchmarks.serverproc import ServerProcess, start_server
from benchmarks.speech import Clip, read_wav_int16
from tests.speech import clip_named


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = start_server(tmp_path_factory.mktemp("server"))
    yield process
    code = process.stop()
    # uvicorn re-raises SIGTERM after a graceful shutdown, so -15 is a clean exit too.
    assert code in (0, -15), f"server did not shut down cleanly ({code}):\n{process.log()[-3000:]}"
    assert "Application shutdown complete" in process.log()
    assert "Traceback" not in process.log(), process.log()[-3000:]


def clip_audio(speech_dir: Path, clip: Clip, *, lead_s: float = 1.0) -> np.ndarray:
    """The clip after `lead_s` of silence (playback starts before speech, as with a mic)."""
    samples, rate = read_wav_int16(speech_dir / clip.audio)
    assert rate == 16_000
    return np.concatenate([np.zeros(int(lead_s * rate), np.int16), samples])


# Fast readers (over 200 words per minute each), back to back for more than 20 s of speech:
# enough for a pace nudge, which looks at the last 20 s.
FAST_CLIPS = (
    "en_ls1988_24833_0001.wav",
    "en_ls1988_24833_0002.wav",
    "en_ls1988_24833_0003.wav",
    "en_librispeech_wizard.wav",
    "en_ls2412_153948_0001.wav",
)


def fast_reading(speech_dir: Path, clips: list[Clip]) -> np.ndarray:
    """The `FAST_CLIPS` one after another, 0.3 s apart, as one answer spoken too fast."""
    parts: list[np.ndarray] = []
    for name in FAST_CLIPS:
        clip = clip_named(clips, name)
        samples, _ = read_wav_int16(speech_dir / clip.audio)
        parts += [samples, np.zeros(4_800, np.int16)]
    return np.concatenate(parts)


async def stream_and_collect(
    client: PodiumClient, audio: np.ndarray, *, tail_s: float = 1.5, timeout_s: float = 60.0
) -> None:
    """Play audio then silence, and wait until every utterance that started has its final."""
    await client.track.play(audio)
    await client.track.play(np.zeros(int(tail_s * 16_000), np.int16))

    def all_final(_event: object) -> bool:
        started = {m["utterance_id"] for m in client.of_type("speech.started")}
        finished = {m["utterance_id"] for m in client.of_type("transcript.final")}
        return started == finished

    if client.of_type("speech.started"):
        await client.wait_for(all_final, timeout_s=timeout_s)
