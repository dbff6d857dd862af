"""A practice answer with real speech, in each browser engine against a real server: captions
appear, feedback streams in with scores, the answer is in History, and the latency the page
shows is recorded beside the same figures taken from the server's side."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from benchmarks.serverproc import ServerProcess
from benchmarks.speech import Clip, word_error_rate
from tests.web.conftest import clip_named, speech_wav
from tests.web.journeys import ENGINES, PageDriver, Speech, open_driver
from tests.web.latency import RECORD_TIMING, latency_record
from tests.web.layout import PHONE, assert_fits

# Through a browser's Opus a clip loses about a word; tiny.en is otherwise near exact on these.
WER_BOUND = 0.25
ANSWER_CLIP = "en_ls2412_153948_0000.wav"  # 12 s read speech, two sentences
LEAD_S = 2.0  # silence before speech: Chromium's fake device plays from getUserMedia on
FEEDBACK_WAIT_S = 60.0
PHONE_VIEWS = ("practice", "interview", "captions", "history")
DESKTOP = {"width": 1280, "height": 900}
NARROWEST_FIREFOX_PX = 500
DIMENSIONS = {"structure", "relevance", "specificity", "result", "delivery"}


@pytest.mark.parametrize("engine", ENGINES)
async def test_answer_gets_captions_feedback_scores_and_history(
    engine: str,
    server: ServerProcess,
    speech_dir: Path,
    english_clips: list[Clip],
    tmp_path: Path,
    artifacts: Path,
) -> None:
    clip = clip_named(english_clips, ANSWER_CLIP)
    speech = Speech(speech_wav(tmp_path, speech_dir, clip, lead_s=LEAD_S))
    async with open_driver(engine, tmp_path, artifacts, speech) as page:
        await page.goto(server.url)
        await page.wait_js("document.querySelector('#question-text:not([data-loading])')")
        profile = await page.evaluate("localStorage.getItem('podium.profile')")
        assert profile and json.loads(profile) == await page.text("#profile-id")
        await page.evaluate(RECORD_TIMING)

        await page.click("#mic")
        await page.wait_js("document.querySelector('#status[data-state=\"connected\"]')")
        spoke_at_s = time.time()
        await page.speak()
        assert await page.evaluate("document.querySelector('#mic').ariaPressed") == "true"
        first_session = await page.evaluate("podium.connection.sessionId")
        # The level meter follows the microphone (-60 dB is its floor: silence).
        await page.wait_js(
            "Number(document.querySelector('#level').getAttribute('aria-valuenow')) > -40"
        )
        await page.wait_js("podium.transcript.text !== ''")
        await page.screenshot("practice-recording")
        await page.spoken()
        await page.wait_js("podium.transcript.pending === 0 && podium.transcript.text !== ''")
        captions = await page.text("#practice-captions")
        # Checked last, so that a bad transcript still leaves the other checks and screenshots.
        wer = word_error_rate([clip.text], [captions])

        # The space bar ends the answer too (focus outside any control).
        await page.evaluate("document.activeElement.blur()")
        await page.press("Space")
        await page.wait_js("document.querySelector('#scores .score.overall')", FEEDBACK_WAIT_S)
        await check_feedback(page)

        await page.click("#latency-toggle")
        record = await latency_record(page, clip, spoke_at_s=spoke_at_s, lead_s=LEAD_S)
        (artifacts / f"{engine}-latency.json").write_text(json.dumps(record, indent=2))
        print(f"{engine} latency (ms): {json.dumps(record['summary'])}")
        assert record["page"]["partial"]["count"] > 0, record
        assert record["page"]["final"]["count"] > 0 and record["page"]["rtt"]["count"] > 0
        assert record["server"]["final_ms"], "the server's finals carry its received audio"
        server_audio = await page.evaluate("podium.latency.serverAudio")
        assert server_audio["peakDbfs"] is not None, f"the server got silence only: {server_audio}"
        # The figures' table ends before the explanation beside it begins (it once ran into it).
        table_right, text_left = await page.evaluate(
            "[document.querySelector('#latency-panel table').getBoundingClientRect().right,"
            " document.querySelector('#latency-audio').getBoundingClientRect().left]"
        )
        assert table_right <= text_left, (table_right, text_left)
        await page.screenshot("practice")
        await page.click("#latency-toggle")

        await page.click('a[href="#history"]')
        await page.wait_js("document.querySelector('#history-answers .answer .answer-transcript')")
        stored = await page.text("#history-answers .answer .answer-transcript")
        assert word_error_rate([captions], [stored]) <= 0.1, (captions, stored)
        await page.wait_js("document.querySelector('#progress-charts figure svg')")
        trends = await page.evaluate(
            "[...document.querySelectorAll('#progress-charts figure')]"
            ".map((figure) => figure.dataset.trend)"
        )
        assert len(trends) == len(DIMENSIONS) + 1, trends
        assert set(trends) <= {"improved", "steady", "degraded", "insufficient"}, trends
        await page.screenshot("history")

        # A phone: every view fits its width (Firefox's narrowest headless window: 500 px).
        width = await page.resize(PHONE["width"], PHONE["height"])
        assert width <= NARROWEST_FIREFOX_PX, width
        for view in PHONE_VIEWS:
            await page.evaluate(f"location.hash = '#{view}'")
            await page.wait_js(f"document.querySelector('[data-view=\"{view}\"]:not([hidden])')")
            await assert_fits(page, f"{view} at {width} px")
            await page.screenshot(f"phone-{view}")
        await page.resize(DESKTOP["width"], DESKTOP["height"])

        # A new session without reloading the page.
        await page.click("#session-end")
        await page.wait_js("document.querySelector('#status[data-state=\"idle\"]')")
        await page.click('a[href="#captions"]')
        await page.click("#listen")
        await page.wait_js("document.querySelector('#status[data-state=\"connected\"]')")
        assert await page.evaluate("podium.connection.sessionId") not in (None, first_session)
        await page.click("#listen")
        await page.wait_js("document.querySelector('#status[data-mic=\"off\"]')")
    assert wer <= WER_BOUND, (wer, captions)


async def check_feedback(page: PageDriver) -> None:
    """Feedback streamed in chunks, scores in range, and the pace band the server judged by."""
    assert (await page.text("#feedback-text")).strip(), "feedback text is shown"
    chunks = int(await page.evaluate("document.querySelector('#feedback-text').dataset.chunks"))
    assert chunks > 1, "feedback streams in as several feedback.delta chunks"
    cards = await page.evaluate(
        "[...document.querySelectorAll('#scores .score')]"
        ".map((card) => [card.dataset.dimension, card.innerText])"
    )
    scores = {name: int(text.split("\n")[1].split("/")[0]) for name, text in cards}
    assert set(scores) == {"overall", *DIMENSIONS}
    assert 0 <= scores.pop("overall") <= 100
    assert all(1 <= value <= 5 for value in scores.values()), scores
    pace = await page.text('#metrics [data-metric="pace"] .metric-value')
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
    assert band in await page.text('#metrics [data-metric="pace"] .metric-detail')
