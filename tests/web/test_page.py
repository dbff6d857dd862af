"""The page in a real Chromium when the microphone is refused (the practice answer with real
speech is a journey of both engines: test_journey_practice.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.serverproc import ServerProcess
from tests.web.conftest import browser_page, needs_chromium, open_practice, wait_state

pytestmark = [pytest.mark.browser, pytest.mark.chromium, needs_chromium]


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
