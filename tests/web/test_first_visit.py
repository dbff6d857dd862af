"""A first visit in a real Chromium against a real server without a Gemini key: the page says what
Podium is and what to do, starts in a neutral state, promises nothing the server cannot do, loads
only the interface language it shows, fits a phone on every view, explains its greyed language
menu and shows the server's error codes in the page's language."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from playwright.async_api import Page

from benchmarks.serverproc import ServerProcess
from tests.web.conftest import browser_page, mic_wav, needs_chromium, open_practice, wait_state
from tests.web.layout import PHONE, assert_fits, lines_of

pytestmark = [pytest.mark.browser, pytest.mark.chromium, needs_chromium]

VIEWS = ["practice", "interview", "captions", "history", "report"]


async def emulate_touch(page: Page) -> None:
    """A phone's touch screen (Chromium's DevTools protocol): `pointer: coarse` matches."""
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    assert await page.evaluate("matchMedia('(pointer: coarse)').matches")


async def check_tabs_fit(page: Page) -> None:
    """Every tab shows its whole label on one line."""
    for href in await page.eval_on_selector_all(".tabs a", "(tabs) => tabs.map((a) => a.hash)"):
        tab = f'.tabs a[href="{href}"]'
        whole = await page.eval_on_selector(tab, "(a) => a.scrollWidth <= a.clientWidth")
        assert whole and await lines_of(page, tab) == 1, await page.inner_text(tab)


async def test_first_visit_explains_itself_and_fits_a_phone(
    server: ServerProcess, tmp_path: Path, artifacts: Path
) -> None:
    quiet = mic_wav(tmp_path / "quiet.wav", np.zeros(16_000, np.int16))  # then silence
    async with browser_page(tmp_path / "profile", mic_wav=quiet) as page:
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        await open_practice(page, server.url)

        # What Podium is and what to do, before anything else.
        assert await page.is_visible("#welcome")
        welcome = await page.inner_text("#welcome")
        assert "live captions" in welcome and "Start answer" in welcome, welcome
        # Nothing has happened yet: a neutral state (an empty ring), not an error-grey one.
        assert await page.get_attribute("#status", "data-state") == "idle"
        assert await page.inner_text("#status-text") == "Microphone off"
        dot = await page.eval_on_selector(
            "#status .status-dot", "(dot) => getComputedStyle(dot).backgroundColor"
        )
        assert dot == "rgba(0, 0, 0, 0)", dot
        assert "Not connected" not in await page.inner_text("header")
        await page.screenshot(path=artifacts / "first-visit.png")

        # This server has no Gemini key: the job description promises no written questions.
        await page.click('a[href="#interview"]')
        await page.wait_for_selector("#interview-jd-hint:not(:empty)")
        hint = await page.inner_text("#interview-jd-hint")
        placeholder = await page.get_attribute("#interview-jd", "placeholder") or ""
        assert "no Gemini key" in hint and "question bank" in hint, hint
        assert "Gemini" not in placeholder and "written" not in placeholder, placeholder

        # Only the interface language shown is loaded; another one when it is chosen.
        loaded = [url.rsplit("/", 1)[1] for url in requested if "/js/strings/" in url]
        assert loaded == ["en.js"], loaded
        await page.click('a[href="#practice"]')
        await page.click("#welcome-close")
        await page.select_option("#language", "es")
        await page.wait_for_function("document.documentElement.lang === 'es'")
        loaded = [url.rsplit("/", 1)[1] for url in requested if "/js/strings/" in url]
        assert loaded == ["en.js", "es.js"], loaded

        # A phone: every view fits its width; no space bar is mentioned on a touch screen.
        await page.set_viewport_size(PHONE)
        await emulate_touch(page)
        assert await page.is_hidden(".keys-hint")
        assert await page.is_visible("#mic-hint")
        for view in VIEWS:
            # The report view has no tab: it is opened from History, or by its address.
            await page.evaluate("(view) => { location.hash = `#${view}`; }", view)
            await page.wait_for_selector(f'[data-view="{view}"]:not([hidden])')
            await check_tabs_fit(page)
            await assert_fits(page, view)
            await page.screenshot(path=artifacts / f"phone-{view}.png", full_page=True)

        # A session: the microphone is said to be live; the greyed language menu says why.
        await page.click('a[href="#practice"]')
        await page.click("#mic")
        await wait_state(page, "connected")
        await page.wait_for_selector('#status[data-mic="live"]')
        assert await page.inner_text("#status-text") == "Micrófono encendido"
        assert await page.is_disabled("#language")
        assert await page.is_visible("#language-hint")
        assert "Terminar sesión" in await page.inner_text("#language-hint")
        assert await page.is_visible("#session-end")
        assert await lines_of(page, "#session-end") == 1, "End session wraps"
        await check_tabs_fit(page)
        await assert_fits(page, "practice while recording")
        await page.screenshot(path=artifacts / "phone-recording.png", full_page=True)

        # The (silent) answer ends; the microphone stops streaming.
        await page.click("#mic")
        await page.wait_for_selector('#status[data-mic="off"]', timeout=30_000)
        await wait_state(page, "connected")
        assert await page.inner_text("#status-text") == "Micrófono en pausa"
        assert await page.evaluate(
            "podium.connection.stream.getAudioTracks().every((track) => !track.enabled)"
        )

        # An error code from the server, shown in the page's language.
        await page.evaluate(
            "podium.connection.send({type: 'question.set', question_id: 'no-such-question'})"
        )
        await page.wait_for_selector("#page-notice:not([hidden])")
        notice = await page.inner_text("#page-notice")
        assert "El servidor no conoce esa pregunta" in notice, notice
        await assert_fits(page, "practice with a notice")
        await page.screenshot(path=artifacts / "phone-error-es.png", full_page=True)
