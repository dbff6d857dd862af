"""The practice journey in a real headless Firefox (Gecko's WebRTC and audio path), real speech."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from benchmarks.serverproc import ServerProcess
from benchmarks.speech import Clip, word_error_rate
from tests.web.conftest import clip_named, speech_wav
from tests.web.gecko import firefox, needs_firefox, play, pulse_null_sink

if TYPE_CHECKING:  # selenium may be missing: the tests then skip, they do not fail to import
    from selenium.webdriver import Firefox

pytestmark = [pytest.mark.firefox, needs_firefox]

ANSWER_CLIP = "en_ls2412_153948_0000.wav"  # the clip test_page.py answers with in Chromium
WER_BOUND = 0.25
WAIT_S = 60.0


def wait_js(driver: Firefox, condition: str, timeout_s: float = WAIT_S) -> None:
    """Wait for a JS condition; on timeout, fail with what the page shows."""
    deadline = time.monotonic() + timeout_s
    while not driver.execute_script(f"return Boolean({condition})"):
        if time.monotonic() > deadline:
            shown = driver.execute_script(
                "return {state: podium.connection.state, message: podium.connection.message,"
                " text: podium.transcript.text}"
            )
            pytest.fail(f"timed out waiting for {condition}; the page has {shown}")
        time.sleep(0.2)


def test_firefox_answer_gets_captions_feedback_scores_and_history(
    server: ServerProcess,
    speech_dir: Path,
    english_clips: list[Clip],
    tmp_path: Path,
    artifacts: Path,
) -> None:
    clip = clip_named(english_clips, ANSWER_CLIP)
    wav = speech_wav(tmp_path, speech_dir, clip, lead_s=0.5)
    with pulse_null_sink(tmp_path / "pulse") as env, firefox(env, log_dir=tmp_path) as driver:
        driver.get(server.url)
        wait_js(driver, "document.querySelector('#question-text:not([data-loading])')")
        driver.find_element("css selector", "#mic").click()
        wait_js(driver, "document.querySelector('#status[data-state=\"connected\"]')")
        player = play(env, wav)
        try:
            wait_js(driver, "podium.transcript.text !== ''")
            driver.save_screenshot(str(artifacts / "firefox-practice-recording.png"))
            player.wait(timeout=clip.duration_s + 30)
        finally:
            player.kill()
        wait_js(driver, "podium.transcript.pending === 0 && podium.transcript.text !== ''")
        captions = driver.find_element("css selector", "#practice-captions").text
        wer = word_error_rate([clip.text], [captions])

        driver.execute_script("document.activeElement.blur()")
        driver.find_element("css selector", "body").send_keys(" ")
        wait_js(driver, "document.querySelector('#scores .score.overall')")
        assert driver.find_element("css selector", "#feedback-text").text.strip()
        dimensions = driver.execute_script(
            "return [...document.querySelectorAll('#scores .score')]"
            ".map((card) => card.dataset.dimension)"
        )
        assert set(dimensions) == {
            "overall",
            "structure",
            "relevance",
            "specificity",
            "result",
            "delivery",
        }

        driver.find_element("css selector", "#latency-toggle").click()
        latency = driver.execute_script("return podium.latency.summary()")
        (artifacts / "firefox-latency.json").write_text(
            json.dumps({"clip": clip.audio, "summary": latency}, indent=2)
        )
        print(f"Firefox page-measured latency (ms): {json.dumps(latency)}")
        assert latency["final"]["count"] > 0, latency
        # The figures' table ends before the explanation beside it begins (it once ran into it).
        table_right, text_left = driver.execute_script(
            "return [document.querySelector('#latency-panel table').getBoundingClientRect().right,"
            " document.querySelector('#latency-audio').getBoundingClientRect().left]"
        )
        assert table_right <= text_left, (table_right, text_left)
        driver.save_screenshot(str(artifacts / "firefox-practice.png"))
        driver.find_element("css selector", "#latency-toggle").click()

        driver.find_element("css selector", 'a[href="#captions"]').click()
        wait_js(driver, "document.querySelector('#listen')?.offsetParent !== null")
        driver.save_screenshot(str(artifacts / "firefox-captions.png"))

        driver.find_element("css selector", 'a[href="#history"]').click()
        wait_js(driver, "document.querySelector('#history-answers .answer .answer-transcript')")
        stored = driver.find_element(
            "css selector", "#history-answers .answer .answer-transcript"
        ).text
        assert word_error_rate([captions], [stored]) <= 0.1, (captions, stored)
        driver.save_screenshot(str(artifacts / "firefox-history.png"))
    assert wer <= WER_BOUND, (wer, captions)
