"""A mock interview in a real Chromium against a real server (offline coach): each question is
shown and read aloud by the browser's speech synthesis with the microphone muted meanwhile, the
fake microphone answers, silence ends each answer, and the report renders, downloads as Markdown
and opens again from History."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.async_api import Page

from benchmarks.client import PodiumClient
from benchmarks.serverproc import ServerProcess
from benchmarks.speech import Clip, normalize_english, read_wav_int16
from tests.e2e.conftest import fast_reading
from tests.web.conftest import (
    browser_page,
    clip_named,
    mic_wav,
    needs_chromium,
    question_loaded,
    speech_wav,
    wait_js,
)

pytestmark = [pytest.mark.browser, pytest.mark.chromium, needs_chromium]

ANSWER_CLIP = "en_ls1988_24833_0001.wav"  # 8 s of read speech, one breath
# The clip loops with this much quiet after it: more than the silence that ends an answer (plus
# the segmenter's end of speech), so that every answer ends by silence before the next take.
QUIET_AFTER_S = 8.0
SILENCE_END_S = 2
QUESTIONS = 2
REPORT_TIMEOUT_MS = 150_000

# Before any script of the page: every utterance handed to speech synthesis, with whether the
# microphone was muted at that moment. The real synthesis still runs (it may never end headless).
RECORD_SPEECH = """
window.spoken = [];
const realSpeak = speechSynthesis.speak.bind(speechSynthesis);
speechSynthesis.speak = (utterance) => {
  const tracks = window.podium?.connection.stream?.getAudioTracks() ?? [];
  window.spoken.push({
    text: utterance.text, lang: utterance.lang,
    muted: tracks.length > 0 && tracks.every((track) => !track.enabled),
  });
  realSpeak(utterance);
};
"""
RECORD_EVENTS = """() => {
  window.events = [];
  podium.connection.addEventListener('message', (e) => window.events.push(e.detail.message));
}"""


async def events(page: Page, kind: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = await page.evaluate(
        "(kind) => window.events.filter((m) => m.type === kind)", kind
    )
    return result


async def set_up(
    page: Page,
    *,
    questions: int = QUESTIONS,
    voice: bool = True,
    nudges: bool = True,
    silence_s: int = SILENCE_END_S,
) -> None:
    """Open the Interview tab and choose: `questions` main questions (the page offers 3, 5 or 8:
    the first choice is made `questions`), no follow-ups, the voice, the hints, the silence."""
    await page.click('a[href="#interview"]')
    await page.wait_for_selector("#interview-role option", state="attached")
    await page.evaluate(
        """(count) => {
          const radio = document.querySelector('input[name="interview-length"]');
          radio.value = String(count);
          radio.nextElementSibling.textContent = String(count);
        }""",
        questions,
    )
    await page.click('input[name="interview-length"] + span')
    switches = {
        "#interview-voice": voice,
        "#interview-followups": False,
        "#interview-nudges": nudges,
    }
    for switch, wanted in switches.items():
        if await page.is_checked(switch) != wanted:
            await page.click(switch)
    await page.fill("#interview-silence", str(silence_s))
    await page.dispatch_event("#interview-silence", "change")


async def test_interview_spoken_answered_reported_and_in_history(
    server: ServerProcess,
    speech_dir: Path,
    english_clips: list[Clip],
    tmp_path: Path,
    artifacts: Path,
) -> None:
    clip = clip_named(english_clips, ANSWER_CLIP)
    wav = speech_wav(tmp_path, speech_dir, clip, lead_s=0.0, tail_s=QUIET_AFTER_S)
    async with browser_page(tmp_path / "profile", mic_wav=wav, loop=True) as page:
        await page.add_init_script(RECORD_SPEECH)
        await page.goto(server.url)
        await question_loaded(page)
        await page.evaluate(RECORD_EVENTS)
        await set_up(page)
        await page.screenshot(path=artifacts / "interview-setup.png", full_page=True)

        await page.click("#interview-start")
        await page.wait_for_selector("#interview-live:not([hidden])", timeout=30_000)
        await wait_js(page, "window.events.some((m) => m.type === 'question.asked')")
        first = (await events(page, "question.asked"))[0]
        assert (first["number"], first["total"]) == (1, QUESTIONS), first
        assert await page.inner_text("#interview-question") == first["text"]
        assert await page.text_content("#interview-progress") == f"Question 1 of {QUESTIONS}"
        # Read aloud in the interview's language, with the microphone muted as it starts.
        await wait_js(page, "window.spoken.length > 0")
        spoken = await page.evaluate("window.spoken")
        assert spoken[0] == {"text": first["text"], "lang": "en", "muted": True}, spoken
        await page.screenshot(path=artifacts / "interview-question.png")

        # The fake microphone answers; quiet after it starts the countdown, then ends the answer.
        await page.wait_for_selector("#interview-live[data-phase='answering']", timeout=60_000)
        await page.wait_for_selector("#interview-captions .line", timeout=30_000)
        await page.wait_for_selector("#interview-countdown:not([hidden])", timeout=60_000)
        await page.screenshot(path=artifacts / "interview-countdown.png")
        await page.wait_for_selector("#interview-scores .score.overall", timeout=60_000)
        await page.screenshot(path=artifacts / "interview-feedback.png", full_page=True)

        await page.wait_for_url(re.compile(r"#report/"), timeout=REPORT_TIMEOUT_MS)
        asked = await events(page, "question.asked")
        assert [q["number"] for q in asked] == list(range(1, QUESTIONS + 1)), asked
        assert await events(page, "followup.asked") == []
        assert [m["text"] for m in await page.evaluate("window.spoken")] == [
            q["text"] for q in asked
        ]
        ended = await events(page, "answer.ended")
        assert [m["reason"] for m in ended] == ["silence"] * QUESTIONS, ended
        assert len(await events(page, "answer.countdown")) >= QUESTIONS
        (final,) = await events(page, "interview.report")
        assert final["status"] == "completed", final
        interview_id = final["interview_id"]
        clip_words = set(normalize_english(clip.text).split())

        await page.screenshot(path=artifacts / "interview-report.png", full_page=True)
        await check_report(page, asked, final["report"], clip_words)

        async with page.expect_download() as download_info:
            await page.click("#report-download")
        download = await download_info.value
        assert download.suggested_filename == f"podium-interview-{interview_id}.md"
        markdown = await asyncio.to_thread(Path(await download.path()).read_text)
        assert markdown.startswith("# Interview report"), markdown[:200]
        assert all(q["text"] in markdown for q in asked), markdown

        # History lists it; opening it fetches the stored report into the same view.
        await page.click('a[href="#history"]')
        item = page.locator(f'#interview-history [data-interview-id="{interview_id}"]')
        await item.wait_for()
        assert await page.locator("#interview-history .interview-item").count() == 1
        await page.screenshot(path=artifacts / "interview-history.png", full_page=True)
        await page.evaluate("document.querySelector('#report-body').replaceChildren()")
        await item.locator("a").click()
        await page.wait_for_url(re.compile(rf"#report/{interview_id}$"))
        await check_report(page, asked, final["report"], clip_words)

        # The report has its own address; the voice choice (and the rest but the job
        # description) is remembered.
        await page.reload()
        await check_report(page, asked, final["report"], clip_words)
        await page.click('a[href="#interview"]')
        assert await page.is_checked("#interview-voice")
        assert not await page.is_checked("#interview-followups")
        assert await page.input_value("#interview-silence") == str(SILENCE_END_S)


async def check_report(
    page: Page, asked: list[dict[str, Any]], report: dict[str, Any], clip_words: set[str]
) -> None:
    """The report view shows one row per question asked, each answered and scored, and the
    report's practice list and trend."""
    await page.wait_for_selector("#report-body .report-row", timeout=30_000)
    rows = page.locator("#report-body .report-rows > .report-row")
    assert await rows.count() == len(asked)
    assert await page.locator("#report-body .report-row.followup").count() == 0
    for index, question in enumerate(asked):
        row = rows.nth(index)
        assert question["text"] in await row.locator(".report-question").inner_text()
        transcript = await row.locator(".answer-transcript").inner_text()
        assert transcript == report["rows"][index]["transcript"]
        # The fake microphone's words: speech was heard, and it was the clip's.
        words = normalize_english(transcript).split()
        assert words, f"nothing heard for question {index + 1}"
        heard = sum(word in clip_words for word in words) / len(words)
        assert heard >= 0.8, (transcript, clip_words)
        overall = (await row.locator(".answer-overall").inner_text()).split("/")[0]
        assert 0 <= int(overall) <= 100, overall
    practice = await page.locator("#report-body .practice-list li").all_inner_texts()
    assert practice == report["practice"]
    trend = await page.get_attribute("#report-body .report-overall .trend", "class")
    assert trend == f"trend {report['trend']}"
    assert await page.is_visible("#report-download")


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
        await set_up(page, questions=1, voice=False, nudges=True, silence_s=0)
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
