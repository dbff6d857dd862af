"""Overload end to end, in process: a model too slow for real time, idle sessions, a feedback
provider that hangs.

The server runs in this event loop (uvicorn on a loopback port) so that the real model can be
wrapped in a deliberately slow one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.client import PodiumClient
from benchmarks.speech import Clip
from server.app import create_app
from server.asr.types import Transcriber, Transcript
from server.config import Settings
from server.interview.types import FeedbackChunk, FeedbackRequest, FeedbackResult
from tests.e2e.clients import SERVER_WAIT_S, api_client, get_json, poll_until, serve_in_process
from tests.e2e.conftest import clip_audio
from tests.speech import clip_named

pytestmark = pytest.mark.e2e

SHORT_CLIPS = [
    "en_praatio_bobby.wav",
    "en_praatio_mary.wav",
    "en_praatio_damon.wav",
    "en_sphinx_goforward.wav",
]
RATE = 16_000
SPEECH_REPEATS = 10  # about a minute of speech


class SlowTranscriber:
    """The real model plus `delay_s` per decode: a machine too slow for real time."""

    def __init__(self, inner: Transcriber, delay_s: float) -> None:
        self.inner = inner
        self.delay_s = delay_s
        self.model_name = inner.model_name
        self.device = inner.device
        self.compute_type = inner.compute_type
        self.multilingual = inner.multilingual

    def transcribe(self, audio: Any, **options: Any) -> Transcript:
        time.sleep(self.delay_s)  # runs in the decode worker thread, like a slow model would
        return self.inner.transcribe(audio, **options)


class HangingFeedback:
    """A feedback provider that never answers."""

    name = "hanging"

    async def stream(
        self, request: FeedbackRequest
    ) -> AsyncIterator[FeedbackChunk | FeedbackResult]:
        await asyncio.Event().wait()
        yield FeedbackChunk(text="never")


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        data_dir=str(tmp_path), ice_host_addresses=["127.0.0.1"], debug_stats=True, **overrides
    )


def utterances(speech_dir: Path, clips: list[Clip], gap_s: float) -> np.ndarray:
    """Short sentences one after another with `gap_s` of silence between them."""
    gap = np.zeros(int(gap_s * RATE), np.int16)
    parts = []
    for name in SHORT_CLIPS:
        clip = clip_named(clips, name)
        parts += [clip_audio(speech_dir, clip, lead_s=0), gap]
    return np.concatenate([np.zeros(RATE, np.int16), *parts])


async def test_a_model_that_falls_behind_is_reported_and_loses_no_final(
    tmp_path: Path, transcriber, speech_dir: Path, english_clips: list[Clip]
) -> None:
    limit = 1
    app = create_app(
        settings_for(tmp_path, max_pending_finals=limit, audio_queue_frames=50),
        transcriber=SlowTranscriber(transcriber, delay_s=3.0),
    )
    async with serve_in_process(app) as url:
        client = PodiumClient(url)
        try:
            await client.connect()
            await client.track.play(utterances(speech_dir, english_clips, gap_s=0.5))
            behind = await client.wait_for(
                lambda e: e.message.get("code") == "falling_behind", timeout_s=30
            )
            await client.wait_for_finals(timeout_s=60)
        finally:
            await client.close()
        async with api_client(url) as http:
            stats = (await http.get("/api/debug/stats")).json()
    assert behind.message["retryable"] is True
    started = [m["utterance_id"] for m in client.of_type("speech.started")]
    finals = [m["utterance_id"] for m in client.of_type("transcript.final")]
    assert started and sorted(finals) == sorted(started), "every utterance gets one final"
    assert 1 <= stats["peak_pending_finals"] <= limit, stats


async def test_idle_sessions_are_closed_and_speech_keeps_one_open(
    tmp_path: Path, transcriber, speech_dir: Path, english_clips: list[Clip]
) -> None:
    app = create_app(settings_for(tmp_path, idle_timeout_s=1.5), transcriber=transcriber)
    clip = clip_named(english_clips, "en_librispeech_quilter.wav")
    # The talking client speaks until the test ends (the clip again and again): however slowly
    # the checks below run on a busy machine, it never falls quiet for the idle timeout.
    speech = np.tile(clip_audio(speech_dir, clip, lead_s=0.2), SPEECH_REPEATS)
    async with serve_in_process(app) as url:
        idle, talking = PodiumClient(url), PodiumClient(url)
        try:
            await asyncio.gather(idle.connect(), talking.connect())
            talking.track.play(speech)
            for beat in range(20):  # silence and pings only: pings do not count as activity
                if idle.of_type("error"):
                    break
                idle.send({"type": "ping", "t": beat})
                await asyncio.sleep(0.25)
            closed = await idle.wait_for("error", timeout_s=SERVER_WAIT_S)
            talking.send({"type": "ping", "t": "still here"})
            await talking.wait_for(lambda e: e.message.get("t") == "still here")
            async with api_client(url) as http:
                health = await poll_until(
                    lambda: get_json(http, "/api/health"), lambda h: h["active_sessions"] == 1
                )
        finally:
            await asyncio.gather(idle.close(), talking.close())
    assert (closed.message["code"], closed.message["retryable"]) == ("idle_timeout", True)
    assert not talking.of_type("error")
    assert (health["active_sessions"], health["open_peer_connections"]) == (1, 1)


async def test_a_hanging_feedback_provider_does_not_hold_a_closed_session(
    tmp_path: Path, transcriber, speech_dir: Path, english_clips: list[Clip]
) -> None:
    clip = clip_named(english_clips, "en_arctic_slt_a0009.wav")
    settings = settings_for(tmp_path, close_grace_s=1.0, gemini_timeout_s=300.0)
    app = create_app(settings, transcriber=transcriber, feedback=HangingFeedback())
    async with serve_in_process(app) as url:
        client = PodiumClient(url, profile_id="patient")
        try:
            await client.connect()
            client.send({"type": "answer.start"})
            await client.track.play(clip_audio(speech_dir, clip))
            client.send({"type": "answer.end"})
            await client.wait_for("answer.saved", timeout_s=30)
        finally:
            await client.close()  # while the feedback hangs
        async with api_client(url, headers={"X-Podium-Profile": "patient"}) as http:
            stats = await poll_until(
                lambda: get_json(http, "/api/debug/stats"),
                lambda s: s["active_sessions"] == s["closing_sessions"] == 0,
            )
            answers = await get_json(http, "/api/answers")
    assert stats["active_sessions"] == stats["closing_sessions"] == 0, stats
    assert stats["open_peer_connections"] == 0
    assert len(answers) == 1 and answers[0]["transcript"]
    assert answers[0]["feedback"] is None
