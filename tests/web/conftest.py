"""Browser tests: Debian's Chromium driven by Playwright, against a real Podium server.

Chromium's fake microphone plays a WAV made from a speech clip: silence first (playback starts at
getUserMedia, before the call is up), then the clip, then silence. `%noloop` plays it once;
`browser_page(..., loop=True)` plays it over and over (a person answering question after question).
"""

from __future__ import annotations

import wave
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
import pytest
from playwright.async_api import BrowserContext, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from benchmarks.speech import Clip
from tests.e2e.conftest import clip_audio, server  # noqa: F401 - `server`: one real server per module
from tests.speech import clip_named  # noqa: F401 - the web tests import it from here

CHROMIUM = Path("/usr/bin/chromium")
CONNECT_TIMEOUT_MS = 20_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
SAMPLE_RATE_HZ = 16_000
LEAD_S = 2.0
TAIL_S = 2.0
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]


# A marker, not a fixture: the module's server (a higher-scoped fixture) is not started for nothing.
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Chromium is not installed: apt-get install -y chromium"
)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots and measured numbers of the browser run (gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def speech_wav(
    folder: Path, speech_dir: Path, clip: Clip, *, lead_s: float = LEAD_S, tail_s: float = TAIL_S
) -> Path:
    """A 16-bit mono WAV for the fake microphone: `lead_s` silence, the clip, `tail_s` silence."""
    samples = np.concatenate(
        [
            clip_audio(speech_dir, clip, lead_s=lead_s),
            np.zeros(int(tail_s * SAMPLE_RATE_HZ), np.int16),
        ]
    )
    return mic_wav(folder / f"mic-{Path(clip.audio).stem}.wav", samples)


def mic_wav(path: Path, samples: np.ndarray) -> Path:
    """Write 16 kHz mono int16 `samples` as the WAV file the fake microphone plays."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE_HZ)
        wav.writeframes(samples.tobytes())
    return path


@asynccontextmanager
async def browser_page(
    profile_dir: Path, *, mic_wav: Path | None, locale: str | None = None, loop: bool = False
) -> AsyncIterator[Page]:
    """A fresh Chromium profile with one page. With `mic_wav` the microphone is allowed and plays
    that file once (`loop`: again and again); without it, every permission prompt is refused.
    `locale` sets the browser's language (navigator.language); Playwright's default is en-US."""
    if mic_wav is not None:
        mic_args = [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={mic_wav}{'' if loop else '%noloop'}",
        ]
    else:
        mic_args = ["--use-fake-device-for-media-stream", "--deny-permission-prompts"]
    async with async_playwright() as playwright:
        # headless=False: Playwright then adds no headless flag of its own; --headless=new is ours.
        context: BrowserContext = await playwright.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=str(CHROMIUM),
            headless=False,
            args=[*CHROMIUM_ARGS, *mic_args],
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
            locale=locale,
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            # i18n.js warns about a key no table has: a label would show as its key.
            page.on(
                "console",
                lambda message: (
                    errors.append(message.text)
                    if message.text.startswith("podium: no text")
                    else None
                ),
            )
            yield page
            assert not errors, f"uncaught errors on the page: {errors}"
        finally:
            await context.close()


async def wait_state(page: Page, state: str, timeout_ms: int = CONNECT_TIMEOUT_MS) -> None:
    """Wait for the connection state shown in the top bar (`data-state`)."""
    await page.wait_for_selector(f'#status[data-state="{state}"]', timeout=timeout_ms)


async def wait_js(page: Page, condition: str, timeout_ms: int = 20_000) -> None:
    """Wait for a JS condition; on timeout, fail with what the page shows."""
    try:
        await page.wait_for_function(condition, timeout=timeout_ms)
    except PlaywrightTimeoutError:
        shown = await page.evaluate(
            "({state: podium.connection.state, message: podium.connection.message,"
            " pending: podium.transcript.pending, text: podium.transcript.text})"
        )
        pytest.fail(f"timed out waiting for {condition}; the page has {shown}")


async def question_loaded(page: Page, timeout_ms: int = 20_000) -> None:
    """Wait until the question card shows a question (or says there is none)."""
    await page.wait_for_selector("#question-text:not([data-loading])", timeout=timeout_ms)


async def open_practice(page: Page, url: str) -> None:
    await page.goto(url)
    await question_loaded(page)
