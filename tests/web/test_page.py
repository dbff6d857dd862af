"""The web page in a real Chromium whose fake microphone plays real speech to a real server."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import pytest

from benchmarks.serverproc import ServerProcess
from benchmarks.speech import Clip, word_error_rate
from tests.web.conftest import (
    CONNECT_TIMEOUT_MS,
    LEAD_S,
    TAIL_S,
    browser_page,
    clip_named,
    needs_chromium,
    open_practice,
    speech_wav,
    wait_js,
    wait_state,
)

pytestmark = [pytest.mark.browser, needs_chromium]

# Through Chrome's Opus a clip loses about a word; tiny.en is otherwise near exact on these.
WER_BOUND = 0.25
ANSWER_CLIP = "en_ls2412_153948_0000.wav"  # 12 s read speech, two sentences
FEEDBACK_TIMEOUT_MS = 60_000
DIMENSIONS = {"structure", "relevance", "specificity", "result", "delivery"}


async def test_answer_gets_captions_feedback_scores_and_history(
    server: ServerProcess,
    speech_dir: Path,
    english_clips: list[Clip],
    tmp_path: Path,
    artifacts: Path,
) -> None:
    clip = clip_named(english_clips, ANSWER_CLIP)
    wav = speech_wav(tmp_path, speech_dir, clip)
    async with browser_page(tmp_path / "profile", mic_wav=wav) as page:
        await open_practice(page, server.url)
        profile = await page.evaluate("localStorage.getItem('podium.profile')")
        assert profile and json.loads(profile) == await page.text_content("#profile-id")

        clicked = time.monotonic()
        await page.click("#mic")
        await wait_state(page, "connected")
        assert await page.get_attribute("#mic", "aria-pressed") == "true"
        first_session = await page.evaluate("podium.connection.sessionId")
        # The level meter follows the microphone (-60 dB is its floor: silence).
        await page.wait_for_function(
            "Number(document.querySelector('#level').getAttribute('aria-valuenow')) > -40",
            timeout=CONNECT_TIMEOUT_MS,
        )
        await wait_js(page, "podium.transcript.text !== ''")
        await asyncio.sleep(1.5)
        await page.screenshot(path=artifacts / "practice-recording.png")
        # The fake microphone plays the clip once, in real time, from getUserMedia on.
        played_s = LEAD_S + clip.duration_s + TAIL_S
        await asyncio.sleep(max(0.0, played_s - (time.monotonic() - clicked)))
        await wait_js(page, "podium.transcript.pending === 0 && podium.transcript.text !== ''")
        captions = await page.inner_text("#practice-captions")
        # Checked last, so that a bad transcript still leaves the other checks and screenshots.
        wer = word_error_rate([clip.text], [captions])

        # The space bar ends the answer too (focus outside any control).
        await page.evaluate("document.activeElement.blur()")
        await page.keyboard.press("Space")
        await page.wait_for_selector("#scores .score.overall", timeout=FEEDBACK_TIMEOUT_MS)
        feedback = await page.inner_text("#feedback-text")
        assert feedback.strip(), "feedback text is shown"
        chunks = int(await page.get_attribute("#feedback-text", "data-chunks") or 0)
        assert chunks > 1, "feedback streams in as several feedback.delta chunks"
        scores = {
            await card.get_attribute("data-dimension"): int(
                (await card.inner_text()).split("\n")[1].split("/")[0]
            )
            for card in await page.query_selector_all("#scores .score")
        }
        assert set(scores) == {"overall", *DIMENSIONS}
        assert 0 <= scores.pop("overall") <= 100
        assert all(1 <= value <= 5 for value in scores.values()), scores
        pace = await page.inner_text('#metrics [data-metric="pace"] .metric-value')
        wpm = re.match(r"\d+", pace)
        assert wpm is not None and int(wpm.group()) > 0, pace
        # The pace band is the one the server judged by (English has a norm), not a fixed one.
        stored = await page.evaluate(
            "fetch('/api/answers?limit=1', {headers: {'X-Podium-Profile':"
            " document.querySelector('#profile-id').textContent}}).then((r) => r.json())"
        )
        metrics = stored[0]["metrics"]
        assert metrics["pace_basis"] == "norm", metrics
        band = f"{round(metrics['pace_min_wpm'])}–{round(metrics['pace_max_wpm'])}"
        assert band in await page.inner_text('#metrics [data-metric="pace"] .metric-detail')

        await page.click("#latency-toggle")
        latency = await page.evaluate("podium.latency.summary()")
        samples = await page.evaluate("podium.latency.samples")
        (artifacts / "latency.json").write_text(
            json.dumps({"clip": clip.audio, "summary": latency, "samples_ms": samples}, indent=2)
        )
        print(f"page-measured latency (ms): {json.dumps(latency)}")
        assert latency["partial"]["count"] > 0 and latency["final"]["count"] > 0, latency
        assert latency["rtt"]["count"] > 0, latency
        server_audio = await page.evaluate("podium.latency.serverAudio")
        assert server_audio["peakDbfs"] is not None, f"the server got silence only: {server_audio}"
        await page.screenshot(path=artifacts / "practice.png", full_page=True)
        await page.click("#latency-toggle")

        # The Captions view shows what it heard while listening (test_microphone.py), not the
        # practice answer, and does not listen until asked.
        await page.click('a[href="#captions"]')
        big = await page.inner_text("#big-captions")
        assert big == "" and await page.inner_text("#listen") == "Start listening"
        async with page.expect_download() as download_info:
            await page.click("#download")
        download = await download_info.value
        assert download.suggested_filename.endswith(".txt")
        await page.screenshot(path=artifacts / "captions.png")

        await page.click('a[href="#history"]')
        card = page.locator("#history-answers .answer").first
        await card.wait_for()
        stored = await card.locator(".answer-transcript").inner_text()
        assert word_error_rate([captions], [stored]) <= 0.1, (captions, stored)
        await page.wait_for_selector("#progress-charts figure svg")
        trends = [
            await figure.get_attribute("data-trend")
            for figure in await page.query_selector_all("#progress-charts figure")
        ]
        assert len(trends) == len(DIMENSIONS) + 1, trends
        assert set(trends) <= {"improved", "steady", "degraded", "insufficient"}, trends
        await page.screenshot(path=artifacts / "history.png", full_page=True)

        # A new session without reloading the page.
        await page.click("#session-end")
        await wait_state(page, "idle")
        await page.click('a[href="#captions"]')
        await page.click("#listen")
        await wait_state(page, "connected")
        assert await page.evaluate("podium.connection.sessionId") not in (None, first_session)
        await page.click("#listen")
        await page.wait_for_selector('#status[data-mic="off"]')
    assert wer <= WER_BOUND, (wer, captions)


async def test_refused_microphone_says_how_to_allow_it(
    server: ServerProcess, tmp_path: Path, artifacts: Path
) -> None:
    async with browser_page(tmp_path / "profile", mic_wav=None) as page:
        await open_practice(page, server.url)
        await page.click("#mic")
        await wait_state(page, "mic-refused")
        assert await page.is_visible("#notice")
        notice = await page.inner_text("#notice")
        assert "refused" in notice and "Allow" in notice, notice
        assert await page.is_visible("#notice-retry")
        assert await page.get_attribute("#mic", "aria-pressed") == "false"
        await page.screenshot(path=artifacts / "mic-refused.png")
