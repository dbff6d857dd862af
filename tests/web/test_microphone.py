"""The microphone in a real Chromium against a real server: live only while an answer needs it,
and said so in the top bar; an answer the database refused is said to be not stored until it is.
(Listening in the Captions view is a journey of both engines: test_journey_captions.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.speech import Clip
from server.app import create_app
from server.asr.types import Transcriber
from server.config import Settings
from tests.e2e.clients import serve_in_process
from tests.store.databases import writes_refused
from tests.web.conftest import (
    browser_page,
    clip_named,
    needs_chromium,
    open_practice,
    speech_wav,
    wait_js,
    wait_state,
)
from tests.web.interview_page import RECORD_EVENTS

pytestmark = [pytest.mark.browser, pytest.mark.chromium, needs_chromium]

CLIP = "en_librispeech_wizard.wav"  # 5 s of read speech
LEAD_S = 1.0
QUIET_S = 4.0  # after the clip, before the fake microphone plays it again
FEEDBACK_TIMEOUT_MS = 60_000

TRACKS_ENABLED = "podium.connection.stream.getAudioTracks().map((track) => track.enabled)"


async def test_microphone_streams_only_while_needed_and_says_so(
    transcriber: Transcriber,
    speech_dir: Path,
    english_clips: list[Clip],
    tmp_path: Path,
    artifacts: Path,
) -> None:
    clip = clip_named(english_clips, CLIP)
    wav = speech_wav(tmp_path, speech_dir, clip, lead_s=LEAD_S, tail_s=QUIET_S)
    loop_ms = int((LEAD_S + clip.duration_s + QUIET_S) * 1000)
    # In this process, so that its database is at hand (and its outage's log is no failure).
    settings = Settings(data_dir=str(tmp_path / "server"), ice_host_addresses=["127.0.0.1"])
    app = create_app(settings, transcriber=transcriber)
    async with (
        serve_in_process(app) as url,
        browser_page(tmp_path / "profile", mic_wav=wav, loop=True) as page,
    ):
        await open_practice(page, url)
        await page.evaluate(RECORD_EVENTS)

        # Recording: the top bar says the microphone is live.
        await page.click("#mic")
        await wait_state(page, "connected")
        await page.wait_for_selector('#status[data-mic="live"]')
        assert await page.inner_text("#status-text") == "Microphone on"
        assert await page.evaluate(TRACKS_ENABLED) == [True]
        await page.wait_for_selector("#practice-captions .line.final", timeout=30_000)
        await wait_js(page, "podium.transcript.pending === 0")
        await page.screenshot(path=artifacts / "mic-live.png")

        # The database refuses writes (another process holds its lock) as the answer ends: the
        # server keeps it in memory, says so, and the feedback still comes.
        with writes_refused(tmp_path / "server" / "podium.db"):
            await page.click("#mic")
            await page.wait_for_selector(
                "#feedback-stored:not([hidden])", timeout=FEEDBACK_TIMEOUT_MS
            )
            assert "Not stored yet" in await page.inner_text("#feedback-stored")
            # Once the server has the answer, the microphone stops streaming.
            await page.wait_for_selector('#status[data-mic="off"]')
            assert await page.inner_text("#status-text") == "Microphone paused"
            assert await page.evaluate(TRACKS_ENABLED) == [False]
            assert await page.get_attribute("#status", "data-state") == "connected"
            await page.wait_for_selector("#scores .score.overall", timeout=FEEDBACK_TIMEOUT_MS)
            assert "Not stored yet" in await page.inner_text("#feedback-stored")
            assert "not stored yet" in await page.inner_text("#answer-state")
            assert "could not store" in await page.inner_text("#page-notice")  # storage_failed
            feedback = await page.text_content("#feedback-text")
            await page.screenshot(path=artifacts / "answer-not-stored-yet.png", full_page=True)
        # The database is back: the server writes the answer and says so; the feedback stays.
        await page.wait_for_function(
            "document.querySelector('#feedback-stored').textContent.startsWith('Stored now')",
            timeout=FEEDBACK_TIMEOUT_MS,
        )
        assert await page.inner_text("#answer-state") == (
            "Feedback ready. Start another answer when you like."
        )
        assert feedback and await page.text_content("#feedback-text") == feedback
        assert await page.locator("#scores .score").count() == 6
        await page.screenshot(path=artifacts / "mic-paused-stored-late.png", full_page=True)

        # The fake microphone speaks again, but nothing reaches the server: no new utterance in
        # a whole turn of its loop (the server's received audio, from the page's pings, says when).
        # (From a pong sent after the pause: speech the server got before it is the answer's.)
        pongs = await page.evaluate("podium.latency.samples.rtt.length")
        await wait_js(page, f"podium.latency.samples.rtt.length > {pongs}")
        muted_at_ms = await page.evaluate("podium.latency.serverAudio.receivedMs")
        await wait_js(
            page,
            f"podium.latency.serverAudio.receivedMs > {muted_at_ms + loop_ms + 1000}",
            timeout_ms=loop_ms + 30_000,
        )
        heard_after = await page.evaluate(
            "(after) => window.events.filter("
            "  (m) => m.type === 'speech.started' && m.audio_ms > after)",
            muted_at_ms,
        )
        assert heard_after == [], "speech reached the server with the microphone paused"
