"""The Captions view in each browser engine against a real server: it does not listen until
asked, then shows what the microphone says (not the practice answer), downloads it as text,
and stops listening when asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.serverproc import ServerProcess
from benchmarks.speech import Clip, normalize_english
from tests.web.conftest import clip_named, speech_wav
from tests.web.journeys import ENGINES, Speech, open_driver

CLIP = "en_librispeech_wizard.wav"  # 5 s of read speech
LEAD_S = 2.0  # silence before speech: Chromium's fake device plays from getUserMedia on
# The clip heard whole while listening: its caption is the clip's words, mostly.
HEARD_BOUND = 0.8


@pytest.mark.parametrize("engine", ENGINES)
async def test_captions_view_listens_only_when_asked_and_shows_what_it_heard(
    engine: str,
    server: ServerProcess,
    speech_dir: Path,
    english_clips: list[Clip],
    tmp_path: Path,
    artifacts: Path,
) -> None:
    clip = clip_named(english_clips, CLIP)
    speech = Speech(speech_wav(tmp_path, speech_dir, clip, lead_s=LEAD_S))
    async with open_driver(engine, tmp_path, artifacts, speech) as page:
        await page.goto(f"{server.url}/#captions")
        await page.wait_js("document.querySelector('#listen')?.offsetParent !== null")
        assert await page.text("#listen") == "Start listening"
        assert await page.evaluate("document.querySelector('#listen').ariaPressed") == "false"
        assert await page.text("#big-captions") == ""
        await page.screenshot("captions-not-listening")

        await page.click("#listen")
        await page.wait_js("document.querySelector('#status[data-state=\"connected\"]')")
        await page.wait_js("document.querySelector('#status[data-mic=\"live\"]')")
        await page.speak()
        await page.wait_js("document.querySelector('#big-captions .line.final')")
        await page.screenshot("captions-listening")
        await page.spoken()
        await page.wait_js(
            "podium.captionsTranscript.pending === 0"
            " && document.querySelector('#big-captions .line.final')"
        )
        big = await page.text("#big-captions")
        name, downloaded = await page.download("#download")
        assert name.endswith(".txt"), name
        assert normalize_english(downloaded) == normalize_english(big), (downloaded, big)

        await page.click("#listen")
        await page.wait_js("document.querySelector('#status[data-mic=\"off\"]')")
        assert await page.text("#listen") == "Start listening"
        # What was said for the Captions view stays out of the practice answer's captions.
        assert await page.evaluate("podium.transcript.text") == ""
    words = normalize_english(big).split()
    clip_words = set(normalize_english(clip.text).split())
    assert words and sum(word in clip_words for word in words) / len(words) >= HEARD_BOUND, big
