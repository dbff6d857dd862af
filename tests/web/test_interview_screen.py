"""The mock-interview screen in a real Chromium against a real server (offline coach), as a
person sees it: the question card's label always belongs to the question under it, the previous
answer's feedback and red score leave once the next answer starts, the nudge toast has its own
place, End answer before speaking says it skips the question, and the report downloads as
Markdown that reads like the screen."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from benchmarks.serverproc import ServerProcess
from benchmarks.speech import Clip
from tests.web.conftest import (
    browser_page,
    clip_named,
    needs_chromium,
    question_loaded,
    speech_wav,
    wait_js,
)
from tests.web.interview_page import RECORD_EVENTS, events, set_up
from tests.web.journeys import ChromiumDriver

pytestmark = [pytest.mark.browser, pytest.mark.chromium, needs_chromium]

ANSWER_CLIP = "en_ls1988_24833_0001.wav"  # 8 s of read speech: weak on results, so followed up
QUIET_AFTER_S = 8.0  # more than the silence that ends an answer
SILENCE_END_S = 2
REPORT_TIMEOUT_MS = 150_000

# Every (label, question) pair the question card shows.
RECORD_CARDS = """() => {
  window.cards = [];
  const label = document.querySelector('#interview-progress');
  const question = document.querySelector('#interview-question');
  const note = () => window.cards.push([label.textContent, question.textContent]);
  for (const node of [label, question]) {
    new MutationObserver(note).observe(node, {childList: true, characterData: true, subtree: true});
  }
}"""

# While a question is read aloud (the microphone held silent) and the last answer's feedback is
# up, the nudge toast is made visible: the boxes of the two, measured in that same moment.
TOAST_BESIDE_FEEDBACK = """() => {
  const live = document.querySelector('#interview-live');
  const card = document.querySelector('#interview-feedback-card');
  if (live.dataset.phase !== 'asking' || live.dataset.followup !== 'true' || card.hidden) {
    return false;
  }
  const toast = document.querySelector('#interview-nudge');
  toast.hidden = false;
  toast.classList.add('visible');
  const [a, b] = [toast.getBoundingClientRect(), card.getBoundingClientRect()];
  window.overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  toast.hidden = true;
  toast.classList.remove('visible');
  return true;
}"""

# The moment the second main question is asked (and read aloud, before any speech), End answer
# is pressed: its label then, and the state line after.
SKIP_SECOND = """() => {
  const live = document.querySelector('#interview-live');
  if (live.dataset.phase !== 'asking' || live.dataset.number !== '2'
      || live.dataset.followup !== 'false') return false;
  const button = document.querySelector('#interview-answer-end');
  window.skip = {label: button.textContent};
  button.click();
  window.skip.state = document.querySelector('#interview-state').textContent;
  return true;
}"""


async def test_interview_screen_shows_one_thing_at_a_time(
    server: ServerProcess,
    speech_dir: Path,
    english_clips: list[Clip],
    tmp_path: Path,
    artifacts: Path,
) -> None:
    clip = clip_named(english_clips, ANSWER_CLIP)
    wav = speech_wav(tmp_path, speech_dir, clip, lead_s=0.0, tail_s=QUIET_AFTER_S)
    async with browser_page(tmp_path / "profile", mic_wav=wav, loop=True) as page:
        await page.goto(server.url)
        await question_loaded(page)
        await page.evaluate(RECORD_EVENTS)
        await page.evaluate(RECORD_CARDS)
        driver = ChromiumDriver(page, artifacts, speech=None)
        await set_up(driver, questions=2, voice=True, nudges=True, silence_s=SILENCE_END_S)
        await page.click("#interview-followups")  # set_up leaves them off
        assert await page.is_checked("#interview-followups")
        await page.click("#interview-start")

        # Before any speech, End answer would skip the question, and says so.
        label = await page.wait_for_function(
            "() => document.querySelector('#interview-live').dataset.phase === 'asking'"
            " && document.querySelector('#interview-answer-end').textContent",
            timeout=30_000,
            polling="raf",
        )
        assert await label.json_value() == "Skip question"

        # The first answer's feedback is up while the follow-up is read; the toast is elsewhere.
        await page.wait_for_function(TOAST_BESIDE_FEEDBACK, timeout=90_000)
        assert await page.evaluate("window.overlap") is False
        assert await page.is_visible("#interview-scores .score.overall")
        await page.screenshot(path=artifacts / "interview-followup-asked.png", full_page=True)
        # Answering the follow-up: the previous feedback and its scores are gone.
        await page.wait_for_selector("#interview-live[data-phase='answering']", timeout=60_000)
        assert await page.is_hidden("#interview-feedback-card")
        assert await page.inner_text("#interview-answer-end") == "End answer"
        await page.screenshot(path=artifacts / "interview-answering-followup.png", full_page=True)

        # The second question, skipped before speaking: the page says so.
        await page.wait_for_function(SKIP_SECOND, timeout=90_000, polling="raf")
        skip = await page.evaluate("window.skip")
        assert skip == {"label": "Skip question", "state": "Skipping this question…"}, skip
        await wait_js(
            page,
            "window.events.some((m) => m.type === 'answer.ended')"
            " && document.querySelector('#interview-state').textContent"
            ".startsWith('You skipped')",
        )
        await page.wait_for_url(re.compile(r"#report/"), timeout=REPORT_TIMEOUT_MS)

        # The label above a question was always that question's.
        asked = {q["number"]: q["text"] for q in await events(page, "question.asked")}
        (followup,) = await events(page, "followup.asked")
        assert followup["number"] == 1
        expected = {
            "": "",
            "Question 1 of 2": asked[1],
            "Follow-up to question 1": followup["text"],
            "Question 2 of 2": asked[2],
        }
        shown = [tuple(pair) for pair in await page.evaluate("window.cards")]
        assert shown, "the question card never changed"
        wrong = [(label, text) for label, text in shown if expected.get(label) != text]
        assert wrong == [], wrong

        # The Markdown report reads like the screen: role, date, status, numbering.
        (final,) = await events(page, "interview.report")
        await page.wait_for_selector("#report-body .report-row", timeout=30_000)
        await page.screenshot(path=artifacts / "interview-screen-report.png", full_page=True)
        async with page.expect_download() as download_info:
            await page.click("#report-download")
        download = await download_info.value
        markdown = await asyncio.to_thread(Path(await download.path()).read_text)
        assert "**Role:** General" in markdown and "**Status:** completed" in markdown, markdown
        headings = [line.split(":")[0] for line in markdown.splitlines() if line.startswith("###")]
        assert headings == ["### Question 1", "#### Follow-up", "### Question 2"], markdown
        assert len(final["report"]["rows"]) == 3
