"""One page driver for two browser engines, so that a journey through the page is written once.

`PageDriver` is what a journey may do: open the page, click, press a key, read text, evaluate
JS, wait for a JS condition, take a screenshot, download, and make the microphone speak. Two
implementations: Chromium through Playwright (its fake capture device plays a WAV, from
getUserMedia on) and Firefox through Selenium (a PulseAudio null sink is its microphone, and
`paplay` plays the WAV into it when `speak()` is called). `ENGINES` parametrises a test by
engine, marked so that either runs alone (`-m chromium`, `-m firefox`).
"""

from __future__ import annotations

import asyncio
import time
import wave
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest
from playwright.async_api import Page
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from tests.web import gecko
from tests.web.conftest import browser_page, needs_chromium

if TYPE_CHECKING:  # selenium may be missing: the Firefox tests then skip
    from selenium.webdriver import Firefox

WAIT_S = 60.0
POLL_S = 0.2
DOWNLOAD_WAIT_S = 20.0

ENGINES = [
    pytest.param("chromium", marks=[pytest.mark.browser, pytest.mark.chromium, needs_chromium]),
    pytest.param("firefox", marks=[pytest.mark.browser, pytest.mark.firefox, gecko.needs_firefox]),
]

# After each load in Firefox (Selenium has no hook before the page's scripts): what Playwright's
# `pageerror` and the console check of `browser_page` catch in Chromium.
RECORD_ERRORS = """
window.podiumErrors = [];
window.addEventListener('error', (e) => window.podiumErrors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => window.podiumErrors.push(String(e.reason)));
const realWarn = console.warn.bind(console);
console.warn = (...args) => {
  if (String(args[0]).startsWith('podium: no text')) window.podiumErrors.push(args.join(' '));
  realWarn(...args);
};
"""


@dataclass(frozen=True)
class Speech:
    """What the microphone says: `wav` (16 kHz mono int16). `loop`: Chromium's fake device plays
    it over and over from getUserMedia on, for a journey that cannot know when the microphone is
    live (Firefox plays it once at each `speak()`)."""

    wav: Path
    loop: bool = False

    @property
    def duration_s(self) -> float:
        with wave.open(str(self.wav), "rb") as reader:
            return reader.getnframes() / reader.getframerate()


class Evaluates(Protocol):
    """A page that evaluates JS expressions: a `PageDriver` or a Playwright `Page`."""

    async def evaluate(self, expression: str) -> Any: ...


class PageDriver(Protocol):
    engine: str

    async def goto(self, url: str) -> None: ...
    async def reload(self) -> None: ...
    async def resize(self, width: int, height: int) -> int:
        """Make the page's viewport `width` x `height` CSS pixels, or as near as the engine
        allows (headless Firefox's window is at least 500 px wide): the width it got."""

    async def click(self, selector: str) -> None: ...
    async def press(self, key: str) -> None:
        """Press `key` ("Space") on the focused element."""

    async def evaluate(self, expression: str) -> Any:
        """The value of a JS expression (a promise is awaited)."""

    async def wait_js(self, condition: str, timeout_s: float = WAIT_S) -> None:
        """Wait until a JS expression is truthy; on timeout fail with what the page shows."""

    async def text(self, selector: str) -> str:
        """The rendered text of the first element matching `selector`."""

    async def screenshot(self, name: str) -> None:
        """Save `<artifacts>/<engine>-<name>.png`."""

    async def download(self, selector: str) -> tuple[str, str]:
        """Click `selector`, which downloads a text file: its name and its text."""

    async def speak(self) -> None:
        """The microphone plays its speech from about now (see `Speech`)."""

    async def spoken(self) -> None:
        """Return once the speech has been played whole at least once."""


SHOWN = (
    "({state: podium.connection.state, message: podium.connection.message,"
    " pending: podium.transcript.pending, text: podium.transcript.text})"
)


class ChromiumDriver:
    """Playwright's page; the fake microphone plays the speech from getUserMedia on."""

    engine = "chromium"

    def __init__(self, page: Page, artifacts: Path, speech: Speech | None) -> None:
        self.page = page
        self._artifacts = artifacts
        self._speech = speech
        self._spoke_at: float | None = None

    async def goto(self, url: str) -> None:
        await self.page.goto(url)

    async def reload(self) -> None:
        await self.page.reload()

    async def resize(self, width: int, height: int) -> int:
        await self.page.set_viewport_size({"width": width, "height": height})
        return width

    async def click(self, selector: str) -> None:
        await self.page.click(selector)

    async def press(self, key: str) -> None:
        await self.page.keyboard.press(key)

    async def evaluate(self, expression: str) -> Any:
        return await self.page.evaluate(expression)

    async def wait_js(self, condition: str, timeout_s: float = WAIT_S) -> None:
        try:
            await self.page.wait_for_function(condition, timeout=timeout_s * 1000)
        except PlaywrightTimeoutError:
            shown = await self.page.evaluate(SHOWN)
            pytest.fail(f"chromium: timed out waiting for {condition}; the page has {shown}")

    async def text(self, selector: str) -> str:
        return await self.page.inner_text(selector)

    async def screenshot(self, name: str) -> None:
        path = self._artifacts / f"{self.engine}-{name}.png"
        await self.page.screenshot(path=path, full_page=True)

    async def download(self, selector: str) -> tuple[str, str]:
        async with self.page.expect_download() as download_info:
            await self.page.click(selector)
        download = await download_info.value
        text = await asyncio.to_thread(Path(await download.path()).read_text)
        return download.suggested_filename, text

    async def speak(self) -> None:
        # The fake device began at getUserMedia (before the call was up, so the WAV starts
        # with silence): the speech is already on its way.
        self._spoke_at = time.monotonic()

    async def spoken(self) -> None:
        assert self._speech is not None and self._spoke_at is not None, "speak() first"
        await asyncio.sleep(max(0.0, self._spoke_at + self._speech.duration_s - time.monotonic()))


class FirefoxDriver:
    """Selenium's Firefox (its blocking calls run in a thread); `paplay` is the microphone."""

    engine = "firefox"

    def __init__(
        self,
        driver: Firefox,
        artifacts: Path,
        speech: Speech | None,
        pulse_env: dict[str, str],
        downloads: Path,
    ) -> None:
        self.driver = driver
        self._artifacts = artifacts
        self._speech = speech
        self._pulse_env = pulse_env
        self._downloads = downloads
        self._players: list[Any] = []
        self.errors: list[str] = []

    async def _run(self, script: str, *args: Any) -> Any:
        return await asyncio.to_thread(self.driver.execute_script, script, *args)

    async def goto(self, url: str) -> None:
        await self.keep_errors()
        await asyncio.to_thread(self.driver.get, url)
        await self._run(RECORD_ERRORS)

    async def reload(self) -> None:
        await self.keep_errors()
        await asyncio.to_thread(self.driver.refresh)
        await self._run(RECORD_ERRORS)

    async def resize(self, width: int, height: int) -> int:
        await asyncio.to_thread(gecko.set_viewport, self.driver, width, height)
        got: int = await self._run("return window.innerWidth")
        return got

    async def keep_errors(self) -> None:
        """Errors recorded so far survive the next load."""
        self.errors += await self._run("return window.podiumErrors ?? []")

    async def click(self, selector: str) -> None:
        def click() -> None:
            self.driver.find_element("css selector", selector).click()

        await asyncio.to_thread(click)

    async def press(self, key: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys

        def press() -> None:
            ActionChains(self.driver).send_keys(getattr(Keys, key.upper())).perform()

        await asyncio.to_thread(press)

    async def evaluate(self, expression: str) -> Any:
        # execute_script does not await a promise; the async form hands the settled value back.
        script = (
            "const done = arguments[arguments.length - 1];"
            f"Promise.resolve().then(() => ({expression}))"
            ".then((value) => done({value}), (error) => done({error: String(error)}));"
        )
        result = await asyncio.to_thread(self.driver.execute_async_script, script)
        assert "error" not in result, f"firefox: {expression} threw {result['error']}"
        return result["value"]

    async def wait_js(self, condition: str, timeout_s: float = WAIT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while not await self._run(f"return Boolean({condition})"):
            if time.monotonic() > deadline:
                shown = await self._run(f"return {SHOWN}")
                pytest.fail(f"firefox: timed out waiting for {condition}; the page has {shown}")
            await asyncio.sleep(POLL_S)

    async def text(self, selector: str) -> str:
        def text() -> str:
            return str(self.driver.find_element("css selector", selector).text)

        return await asyncio.to_thread(text)

    async def screenshot(self, name: str) -> None:
        path = self._artifacts / f"{self.engine}-{name}.png"
        # The whole page, as Playwright's full_page does, not only the window.
        await asyncio.to_thread(self.driver.save_full_page_screenshot, str(path))

    async def download(self, selector: str) -> tuple[str, str]:
        before = set(self._downloads.iterdir())
        await self.click(selector)
        deadline = time.monotonic() + DOWNLOAD_WAIT_S
        while True:
            done = [
                path
                for path in set(self._downloads.iterdir()) - before
                if path.suffix != ".part" and path.stat().st_size > 0
            ]
            if done and not any(self._downloads.glob("*.part")):
                return done[0].name, await asyncio.to_thread(done[0].read_text)
            assert time.monotonic() < deadline, f"firefox: {selector} downloaded nothing"
            await asyncio.sleep(POLL_S)

    async def speak(self) -> None:
        assert self._speech is not None, "this page has no microphone"
        self._players.append(gecko.play(self._pulse_env, self._speech.wav))

    async def spoken(self) -> None:
        assert self._players, "speak() first"
        player = self._players[-1]
        await asyncio.to_thread(player.wait, timeout=self._speech_s + WAIT_S)

    @property
    def _speech_s(self) -> float:
        return self._speech.duration_s if self._speech is not None else 0.0

    def close(self) -> None:
        for player in self._players:
            player.kill()
            player.wait()


@contextmanager
def _firefox(folder: Path) -> Iterator[tuple[Firefox, dict[str, str], Path]]:
    downloads = folder / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    with (
        gecko.pulse_null_sink(folder / "pulse") as env,
        gecko.firefox(env, log_dir=folder, downloads=downloads) as driver,
    ):
        yield driver, env, downloads


@asynccontextmanager
async def open_driver(
    engine: str, folder: Path, artifacts: Path, speech: Speech | None
) -> AsyncIterator[PageDriver]:
    """A fresh browser of `engine` with one page; `speech`: what its microphone says (None:
    Chromium refuses the microphone; Firefox's null sink stays silent)."""
    if engine == "chromium":
        wav = speech.wav if speech is not None else None
        async with browser_page(
            folder / "profile", mic_wav=wav, loop=speech is not None and speech.loop
        ) as page:
            yield ChromiumDriver(page, artifacts, speech)
        return
    firefox = _firefox(folder)
    driver, env, downloads = await asyncio.to_thread(firefox.__enter__)
    firefox_driver = FirefoxDriver(driver, artifacts, speech, env, downloads)
    try:
        yield firefox_driver
        await firefox_driver.keep_errors()
        assert not firefox_driver.errors, f"uncaught errors on the page: {firefox_driver.errors}"
    finally:
        firefox_driver.close()
        await asyncio.to_thread(firefox.__exit__, None, None, None)
