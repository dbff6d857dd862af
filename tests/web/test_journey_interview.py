"""A short mock interview in each browser engine against a real server (offline coach): the
question is shown and read aloud by the browser's speech synthesis with the microphone muted
meanwhile, the microphone answers, silence ends the answer, and the report renders, downloads as
Markdown and opens again from History."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.serverproc import ServerProcess
from benchmarks.speech import Clip, normalize_english
from tests.web.conftest import clip_named, speech_wav
from tests.web.interview_page import RECORD_EVENTS, RECORD_SPEECH, events, set_up
from tests.web.journeys import ENGINES, PageDriver, Speech, open_driver

ANSWER_CLIP = "en_ls1988_24833_0001.wav"  # 8 s of read speech, one breath
# Quiet after the clip: more than the silence that ends an answer (plus the segmenter's end of
# speech). Chromium's fake device loops it (it plays from getUserMedia on, while the question is
# still read with the microphone muted); Firefox plays it once the question has been read.
QUIET_AFTER_S = 8.0
SILENCE_END_S = 2
QUESTIONS = 1
REPORT_WAIT_S = 150.0
ON_REPORT = "location.hash.startsWith('#report/')"

SKIP_READING = """(() => {
  const skip = document.querySelector('#interview-skip');
  if (!skip.hidden) skip.click();
  return true;
})()"""
REPORT_ROWS = """[...document.querySelectorAll('#report-body .report-rows > .report-row')]
  .map((row) => ({
    question: row.querySelector('.report-question').innerText,
    transcript: row.querySelector('.answer-transcript').innerText,
    overall: row.querySelector('.answer-overall').innerText,
  }))"""


@pytest.mark.parametrize("engine", ENGINES)
async def test_interview_spoken_answered_reported_and_in_history(
    engine: str,
    server: ServerProcess,
    speech_dir: Path,
    english_clips: list[Clip],
    tmp_path: Path,
    artifacts: Path,
) -> None:
    clip = clip_named(english_clips, ANSWER_CLIP)
    wav = speech_wav(tmp_path, speech_dir, clip, lead_s=0.0, tail_s=QUIET_AFTER_S)
    async with open_driver(engine, tmp_path, artifacts, Speech(wav, loop=True)) as page:
        await page.goto(server.url)
        await page.wait_js("document.querySelector('#question-text:not([data-loading])')")
        await page.evaluate(RECORD_SPEECH)
        await page.evaluate(RECORD_EVENTS)
        await set_up(page, questions=QUESTIONS, voice=True, nudges=True, silence_s=SILENCE_END_S)
        await page.screenshot("interview-setup")

        await page.click("#interview-start")
        await page.wait_js("!document.querySelector('#interview-live').hidden")
        await page.wait_js("window.events.some((m) => m.type === 'question.asked')")
        first = (await events(page, "question.asked"))[0]
        assert (first["number"], first["total"]) == (1, QUESTIONS), first
        assert await page.text("#interview-question") == first["text"]
        progress = await page.evaluate("document.querySelector('#interview-progress').textContent")
        assert progress == f"Question 1 of {QUESTIONS}"
        # Read aloud in the interview's language, with the microphone muted as it starts.
        await page.wait_js("window.spoken.length > 0")
        spoken = await page.evaluate("window.spoken")
        assert spoken[0] == {"text": first["text"], "lang": "en", "muted": True}, spoken
        await page.screenshot("interview-question")
        # Skip reading gives the microphone back at once, if the voice still reads (headless it
        # may end at once, or never).
        await page.evaluate(SKIP_READING)
        await page.wait_js("document.querySelector('#interview-skip').hidden")

        # The microphone answers; quiet after it starts the countdown, then ends the answer.
        await page.speak()
        await page.wait_js("document.querySelector('#interview-live[data-phase=\"answering\"]')")
        await page.wait_js("document.querySelector('#interview-captions .line')")
        await page.wait_js("!document.querySelector('#interview-countdown').hidden")
        await page.screenshot("interview-countdown")
        await page.wait_js("document.querySelector('#interview-scores .score.overall')")
        await page.screenshot("interview-feedback")

        await page.wait_js(ON_REPORT, REPORT_WAIT_S)
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

        await page.screenshot("interview-report")
        await check_report(page, asked, final["report"], clip_words)
        name, markdown = await page.download("#report-download")
        assert name == f"podium-interview-{interview_id}.md"
        assert markdown.startswith("# Interview report"), markdown[:200]
        assert all(q["text"] in markdown for q in asked), markdown

        # History lists it; opening it fetches the stored report into the same view.
        await page.click('a[href="#history"]')
        item = f'#interview-history [data-interview-id="{interview_id}"]'
        await page.wait_js(f"document.querySelector('{item}')")
        assert (
            await page.evaluate(
                "document.querySelectorAll('#interview-history .interview-item').length"
            )
            == 1
        )
        await page.screenshot("interview-history")
        await page.evaluate("document.querySelector('#report-body').replaceChildren()")
        await page.click(f"{item} a")
        await page.wait_js(f"location.hash === '#report/{interview_id}'")
        await check_report(page, asked, final["report"], clip_words)

        # The report has its own address; the voice choice (and the rest but the job
        # description) is remembered.
        await page.reload()
        await check_report(page, asked, final["report"], clip_words)
        await page.click('a[href="#interview"]')
        remembered = await page.evaluate(
            "['#interview-voice', '#interview-followups']"
            ".map((s) => document.querySelector(s).checked)"
            ".concat(document.querySelector('#interview-silence').value)"
        )
        assert remembered == [True, False, str(SILENCE_END_S)], remembered


async def check_report(
    page: PageDriver, asked: list[dict[str, Any]], report: dict[str, Any], clip_words: set[str]
) -> None:
    """The report view shows one row per question asked, each answered and scored, and the
    report's practice list and trend."""
    await page.wait_js("document.querySelector('#report-body .report-row')", 30)
    rows: list[dict[str, str]] = await page.evaluate(REPORT_ROWS)
    assert len(rows) == len(asked), rows
    assert (
        await page.evaluate("document.querySelectorAll('#report-body .report-row.followup').length")
        == 0
    )
    for index, (question, row) in enumerate(zip(asked, rows, strict=True)):
        assert question["text"] in row["question"], (question, row)
        assert row["transcript"] == report["rows"][index]["transcript"]
        # The microphone's words: speech was heard, and it was the clip's.
        words = normalize_english(row["transcript"]).split()
        assert words, f"nothing heard for question {index + 1}"
        heard = sum(word in clip_words for word in words) / len(words)
        assert heard >= 0.8, (row["transcript"], clip_words)
        assert 0 <= int(row["overall"].split("/")[0]) <= 100, row
    practice = await page.evaluate(
        "[...document.querySelectorAll('#report-body .practice-list li')].map((li) => li.innerText)"
    )
    assert practice == report["practice"]
    trend = await page.evaluate(
        "document.querySelector('#report-body .report-overall .trend').className"
    )
    assert trend == f"trend {report['trend']}"
    assert await page.evaluate("document.querySelector('#report-download').offsetParent !== null")
