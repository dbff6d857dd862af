"""History in a real Chromium, over answers given to a real server by an aiortc client (another
device of the same profile): cards and charts read oldest to newest, the x axis tells its points
apart, too few answers are said once, practice and interview answers keep their own trends, an
interview left after one answer is not called better or worse, and all of it fits a phone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

from benchmarks.client import PodiumClient
from benchmarks.serverproc import ServerProcess
from benchmarks.speech import Clip, read_wav_int16
from tests.e2e.clients import api_client
from tests.web.conftest import browser_page, clip_named, needs_chromium
from tests.web.layout import PHONE, assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.chromium, needs_chromium]

PROFILE = "web-history-view"
CLIP = "en_cheetah_platforms.wav"  # 4.5 s
FEEDBACK_TIMEOUT_S = 60.0

# Per chart: its dimension, the dates of its points, and the labels under its x axis.
CHARTS = """() => [...document.querySelectorAll('#progress-charts figure')].map((figure) => ({
  dimension: figure.dataset.dimension,
  dates: [...figure.querySelectorAll('circle.dot')].map((dot) => dot.dataset.date),
  labels: [...figure.querySelectorAll('text.when')].map((text) => text.textContent),
  badges: figure.querySelectorAll('.trend').length,
}))"""


async def practice_answer(client: PodiumClient, question_id: str, samples: Any) -> None:
    after = len(client.events)
    client.send({"type": "question.set", "question_id": question_id, "role": "general"})
    client.send({"type": "answer.start"})
    await client.track.play(samples)
    await client.wait_for_finals()
    client.send({"type": "answer.end"})
    await client.wait_for("feedback.done", after=after, timeout_s=FEEDBACK_TIMEOUT_S)


async def interview_left_after_one_answer(client: PodiumClient, samples: Any) -> str:
    after = len(client.events)
    client.send(
        {"type": "interview.start", "questions": 3, "followups": False, "silence_end_ms": 1500}
    )
    await client.wait_for("question.asked", after=after)
    await client.track.play(samples)
    await client.wait_for(
        lambda e: e.type == "question.asked" and e.message["number"] == 2,
        after=after,
        timeout_s=FEEDBACK_TIMEOUT_S,
    )
    client.send({"type": "interview.end"})
    report = (await client.wait_for("interview.report", after=after)).message
    assert report["status"] == "ended_early" and len(report["report"]["rows"]) == 1, report
    return str(report["interview_id"])


async def charts(page: Page) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = await page.evaluate(CHARTS)
    return shown


async def test_history_reads_one_way_and_keeps_practice_and_interviews_apart(
    server: ServerProcess,
    speech_dir: Path,
    english_clips: list[Clip],
    tmp_path: Path,
    artifacts: Path,
) -> None:
    samples, _ = read_wav_int16(speech_dir / clip_named(english_clips, CLIP).audio)
    headers = {"X-Podium-Profile": PROFILE}
    async with api_client(server.url, headers=headers) as http:
        question = (await http.get("/api/questions/random", params={"role": "general"})).json()
    client = PodiumClient(server.url, profile_id=PROFILE)
    try:
        await client.connect()
        for _ in range(2):
            await practice_answer(client, question["id"], samples)
        interview_id = await interview_left_after_one_answer(client, samples)
    finally:
        await client.close()

    async with browser_page(tmp_path / "profile", mic_wav=None) as page:
        remembered = {
            "id": question["id"],
            "text": question["text"],
            "category": "",
            "competencies": [],
            "language": "en",
        }
        await page.add_init_script(
            f"localStorage.setItem('podium.profile', {json.dumps(json.dumps(PROFILE))});"
            f"localStorage.setItem('podium.question', {json.dumps(json.dumps(remembered))});"
        )
        await page.goto(f"{server.url}/#history")
        await page.wait_for_selector("#history-answers .answer")
        await page.wait_for_selector("#progress-charts figure circle.dot")

        # The answers to this question, oldest on the left, as the charts run.
        cards = await page.eval_on_selector_all(
            "#history-answers .answer time", "(times) => times.map((t) => t.dateTime)"
        )
        assert len(cards) == 2 and cards == sorted(cards), cards
        practice = await charts(page)
        assert len(practice) == 6
        for chart in practice:
            assert chart["dates"] == cards, chart  # the practice answers only, in the same order
            assert len(chart["labels"]) == 2 and chart["labels"][0] != chart["labels"][1], chart
            assert chart["badges"] == 0, chart  # no "too few answers" on every chart
        summary = await page.inner_text("#progress-summary")
        assert "Trends appear from 6" in summary and "dashed" not in summary, summary
        await page.screenshot(path=artifacts / "history-practice.png", full_page=True)

        # The interview's answer has its own trends.
        await page.click('input[name="progress-source"][value="interview"] + span')
        await page.wait_for_function(
            "() => document.querySelector('#progress-charts figure')"
            "?.querySelectorAll('circle.dot').length === 1"
        )
        interview = await charts(page)
        for chart in interview:
            assert len(chart["dates"]) == 1 and chart["dates"][0] not in cards, chart
            assert len(chart["labels"]) == 1, chart

        # Left after one answer: not called better or worse than anything.
        item = page.locator(f'#interview-history [data-interview-id="{interview_id}"]')
        await item.wait_for()
        assert await item.locator(".trend").count() == 0
        assert "ended early" in await item.inner_text()
        await page.screenshot(path=artifacts / "history-interviews.png", full_page=True)
        await page.set_viewport_size(PHONE)
        await assert_fits(page, "history")
        await page.screenshot(path=artifacts / "phone-history.png", full_page=True)

        await item.locator("a").click()
        await page.wait_for_selector("#report-body .report-row")
        assert await page.locator("#report-body .report-overall .trend").count() == 0
        assert "not compared" in await page.inner_text("#report-body .report-overall")
        await assert_fits(page, "report")
        await page.screenshot(path=artifacts / "phone-report.png", full_page=True)
