"""Mock interviews in a real Chromium against a real server (offline coach): one ended before any
answer, a stored report with a follow-up, a pace nudge. (An interview answered, ended by silence,
reported and in History is a journey of both engines: test_journey_interview.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from benchmarks.client import PodiumClient
from benchmarks.serverproc import ServerProcess
from benchmarks.speech import Clip, read_wav_int16
from tests.e2e.conftest import fast_reading
from tests.web.conftest import (
    browser_page,
    clip_named,
    mic_wav,
    needs_chromium,
    speech_wav,
    wait_js,
)
from tests.web.interview_page import RECORD_EVENTS, RECORD_SPEECH, events, set_up
from tests.web.journeys import ChromiumDriver

pytestmark = [pytest.mark.browser, pytest.mark.chromium, needs_chromium]

ANSWER_CLIP = "en_ls1988_24833_0001.wav"  # 8 s of read speech, one breath
SILENCE_END_S = 2


async def test_interview_ended_before_any_answer_has_no_report(
    server: ServerProcess,
    speech_dir: Path,
    english_clips: list[Clip],
    tmp_path: Path,
    artifacts: Path,
) -> None:
    # Only silence reaches the server while the test runs: nothing is ever answered.
    quiet = speech_wav(tmp_path, speech_dir, clip_named(english_clips, ANSWER_CLIP), lead_s=60.0)
    async with browser_page(tmp_path / "profile", mic_wav=quiet) as page:
        await page.add_init_script(RECORD_SPEECH)
        await page.goto(f"{server.url}/#interview")
        await page.wait_for_selector("#interview-role option", state="attached")
        await page.evaluate(RECORD_EVENTS)
        if await page.is_checked("#interview-voice"):
            await page.click("#interview-voice")
        await page.click("#interview-start")
        await wait_js(page, "window.events.some((m) => m.type === 'question.asked')")
        assert await page.is_enabled("#interview-end")
        await page.click("#interview-end")

        await page.wait_for_url(re.compile(r"#report/"), timeout=30_000)
        (final,) = await events(page, "interview.report")
        assert (final["status"], final["report"]) == ("ended_early", None), final
        assert await page.evaluate("window.spoken") == [], "the voice was off"
        await page.wait_for_selector("#report-body .empty")
        assert "Nothing was answered" in await page.inner_text("#report-body")
        assert "ended early" in await page.inner_text("#report-meta")
        assert await page.is_hidden("#report-download")
        await page.screenshot(path=artifacts / "interview-ended-early.png")

        await page.click('a[href="#history"]')
        item = page.locator(f'#interview-history [data-interview-id="{final["interview_id"]}"]')
        await item.wait_for()
        assert await item.get_attribute("data-status") == "ended_early"


async def test_a_stored_report_nests_each_follow_up_under_its_question(
    server: ServerProcess,
    speech_dir: Path,
    english_clips: list[Clip],
    tmp_path: Path,
    artifacts: Path,
) -> None:
    # An interview with a follow-up, answered over WebRTC by the aiortc client as another
    # device of the same profile would; then the browser opens its report from the server.
    profile = "web-followup-report"
    clip = clip_named(english_clips, ANSWER_CLIP)
    samples, _ = read_wav_int16(speech_dir / clip.audio)
    client = PodiumClient(server.url, profile_id=profile)
    try:
        await client.connect()
        client.send(
            {"type": "interview.start", "questions": 1, "silence_end_ms": SILENCE_END_S * 1000}
        )
        await client.wait_for("question.asked")
        await client.track.play(samples)
        followup = (await client.wait_for("followup.asked", timeout_s=60)).message
        after = len(client.events)
        await client.track.play(samples)
        report = (await client.wait_for("interview.report", after=after, timeout_s=60)).message
    finally:
        await client.close()
    rows = report["report"]["rows"]
    assert [r["is_followup"] for r in rows] == [False, True]

    async with browser_page(tmp_path / "profile", mic_wav=None) as page:
        await page.add_init_script(
            f"localStorage.setItem('podium.profile', {json.dumps(json.dumps(profile))})"
        )
        await page.goto(f"{server.url}/#report/{report['interview_id']}")
        await page.wait_for_selector("#report-body .report-row", timeout=30_000)
        top = page.locator("#report-body .report-rows > .report-row")
        assert await top.count() == 1
        nested = top.first.locator(".report-followups > .report-row.followup")
        assert await nested.count() == 1
        assert followup["text"] in await nested.locator(".report-question").inner_text()
        shown = await nested.locator(".answer-transcript").inner_text()
        assert shown == rows[1]["transcript"]
        await page.screenshot(path=artifacts / "interview-report-followup.png", full_page=True)


async def test_a_fast_answer_shows_a_pace_nudge(
    server: ServerProcess,
    speech_dir: Path,
    english_clips: list[Clip],
    tmp_path: Path,
    artifacts: Path,
) -> None:
    # Fast readers again and again; only the button ends the answer (silence 0), so the answer
    # runs past the 20 s a pace nudge needs wherever in the loop it starts.
    audio = np.concatenate([fast_reading(speech_dir, english_clips), np.zeros(16_000, np.int16)])
    wav = mic_wav(tmp_path / "mic-fast.wav", audio)
    async with browser_page(tmp_path / "profile", mic_wav=wav, loop=True) as page:
        await page.goto(server.url)
        driver = ChromiumDriver(page, artifacts, speech=None)
        await set_up(driver, questions=1, voice=False, nudges=True, silence_s=0)
        await page.click("#interview-start")
        toast = page.locator("#interview-nudge:not([hidden])")
        await toast.wait_for(timeout=90_000)
        assert await toast.get_attribute("data-kind") == "pace_fast"
        assert await page.inner_text("#interview-nudge-title") == "A little slower"
        assert "words a minute" in await page.inner_text("#interview-nudge-text")
        # With no silence rule, the page says only the button ends the answer.
        state = await page.inner_text("#interview-state")
        assert state == "Recording your answer. Press End answer when you are done."
        await page.screenshot(path=artifacts / "interview-nudge.png")
        await page.click("#interview-end")
        await page.wait_for_url(re.compile(r"#report/"), timeout=60_000)
