"""The page against a server with an access token, a Gemini that breaks off, and a short idle
timeout: the token prompt, feedback that falls back cleanly, and a session closed for inactivity.

The server runs in this process (with the suite's model) rather than as `serverproc`'s
subprocess: that one waits for `/api/health` to answer 200, which a server with a token never
does without it.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from playwright.async_api import Page, Request

from benchmarks.fake_gemini import DEFAULT_CHUNKS, Behaviour, FakeGemini
from benchmarks.speech import Clip
from server.app import create_app
from server.asr.types import Transcriber
from server.config import Settings
from tests.e2e.clients import serve_in_process
from tests.web.conftest import (
    LEAD_S,
    TAIL_S,
    browser_page,
    clip_named,
    needs_chromium,
    question_loaded,
    speech_wav,
    wait_js,
    wait_state,
)

pytestmark = [pytest.mark.browser, pytest.mark.chromium, needs_chromium]

TOKEN = "podium-web-token-7c1e02"
GEMINI_KEY = "AIza-fake-web-key-40d2"
CLIP = "en_ls1988_24833_0001.wav"  # 8 s of read speech
GEMINI_CHUNKS_SENT = 2  # then the fake cuts the stream: the offline coach takes over
# Longer than the pause between the end of speech and answer.end (the clip's tail and its final).
IDLE_TIMEOUT_S = 8.0
FEEDBACK_TIMEOUT_MS = 60_000

# Every text the feedback box shows, and every data-channel message, from the page's side.
RECORD_FEEDBACK = """() => {
  window.feedbackTexts = [];
  window.events = [];
  const box = document.querySelector('#feedback-text');
  new MutationObserver(() => window.feedbackTexts.push(box.textContent))
    .observe(box, {childList: true, characterData: true, subtree: true});
  podium.connection.addEventListener('message', (e) => window.events.push(e.detail.message));
}"""


async def enter_token(page: Page, token: str) -> None:
    await page.wait_for_selector("#token-dialog[open]")
    await page.fill("#token-input", token)
    await page.press("#token-input", "Enter")


async def test_token_prompt_feedback_fallback_and_idle_timeout(
    transcriber: Transcriber,
    speech_dir: Path,
    english_clips: list[Clip],
    tmp_path: Path,
    artifacts: Path,
) -> None:
    clip = clip_named(english_clips, CLIP)
    wav = speech_wav(tmp_path, speech_dir, clip)
    cut = Behaviour(cut_after_chunks=GEMINI_CHUNKS_SENT, chunk_delay_s=0.2)
    with FakeGemini(cut, api_key=GEMINI_KEY) as gemini:
        settings = Settings(
            data_dir=str(tmp_path / "server"),
            ice_host_addresses=["127.0.0.1"],
            access_token=TOKEN,
            gemini_api_key=GEMINI_KEY,
            gemini_base_url=gemini.base_url,
            idle_timeout_s=IDLE_TIMEOUT_S,
        )
        app = create_app(settings, transcriber=transcriber)
        async with serve_in_process(app) as url, browser_page(tmp_path / "p", mic_wav=wav) as page:
            api_requests: list[Request] = []
            page.on("request", lambda r: api_requests.append(r) if "/api/" in r.url else None)

            # The page loads without the token; the API does not, so the page asks for it.
            await page.goto(url)
            await page.wait_for_selector("#token-dialog[open]")
            assert await page.get_attribute("#token-input", "type") == "password"
            await page.screenshot(path=artifacts / "token-prompt.png")
            await enter_token(page, "not-the-token")
            await page.wait_for_selector("#token-error:not([hidden])")
            await page.screenshot(path=artifacts / "token-rejected.png")
            await enter_token(page, TOKEN)
            await question_loaded(page)
            assert not await page.is_visible("#token-dialog")
            assert await page.evaluate("sessionStorage.getItem('podium.token')") == TOKEN

            # An answer: Gemini streams two chunks, then its stream breaks off.
            await page.evaluate(RECORD_FEEDBACK)
            clicked = time.monotonic()
            await page.click("#mic")
            await wait_state(page, "connected")
            connected_s = time.monotonic() - clicked
            first_session = await page.evaluate("podium.connection.sessionId")
            # The fake microphone plays the clip once from the click; the server counts audio
            # from the connection on: wait until it has received the rest of the clip.
            rest_ms = int((LEAD_S + clip.duration_s + TAIL_S - connected_s) * 1000)
            await wait_js(page, f"(podium.latency.serverAudio?.receivedMs ?? 0) >= {rest_ms}")
            await wait_js(page, "podium.transcript.pending === 0 && podium.transcript.text !== ''")
            await page.click("#mic")
            await page.wait_for_selector("#scores .score.overall", timeout=FEEDBACK_TIMEOUT_MS)
            events = await page.evaluate("window.events")
            failed = next(
                index
                for index, event in enumerate(events)
                if event["type"] == "error" and event["code"] == "feedback_failed"
            )
            gemini_text = "".join(
                e["text"] for e in events[:failed] if e["type"] == "feedback.delta"
            )
            assert gemini_text == "".join(DEFAULT_CHUNKS[:GEMINI_CHUNKS_SENT]), gemini_text
            done = next(event for event in events if event["type"] == "feedback.done")
            assert done["provider"] == "offline", done
            shown = await page.inner_text("#feedback-text")
            assert shown.strip() == done["text"].strip()
            assert DEFAULT_CHUNKS[0].strip() not in shown
            # What was shown at any moment came from one provider: Gemini's start, or the
            # fallback's from its beginning (it was never appended to Gemini's text).
            for text in await page.evaluate("window.feedbackTexts"):
                assert gemini_text.startswith(text) or done["text"].startswith(text), text
            assert await page.inner_text("#feedback-provider") == "offline coach"
            assert "offline coach" in await page.inner_text("#answer-state")
            await page.screenshot(path=artifacts / "feedback-fallback.png", full_page=True)

            # The export goes through fetch with the token and is saved from a blob.
            await page.click('a[href="#history"]')
            async with page.expect_download() as download_info:
                await page.click("#export")
            download = await download_info.value
            exported = json.loads(await asyncio.to_thread(Path(await download.path()).read_text))
            assert len(exported["answers"]) == 1, exported.keys()
            # Listening, but nothing said for IDLE_TIMEOUT_S: the server closes the session and
            # the page says so. (Once the answer is in, the microphone is off and nothing needs
            # the session, so a close then is no news: the page just goes idle.)
            await page.click('a[href="#captions"]')
            await page.click("#listen")
            await wait_state(page, "ended", timeout_ms=int(IDLE_TIMEOUT_S * 1000) + 20_000)
            notice = await page.inner_text("#notice")
            assert "inactivity" in notice, notice
            assert await page.get_attribute("#mic", "aria-pressed") == "false"
            await asyncio.sleep(1.0)  # no reconnecting by itself
            assert await page.get_attribute("#status", "data-state") == "ended"
            await page.screenshot(path=artifacts / "idle-ended.png")
            await page.click('a[href="#practice"]')
            await page.click("#mic")
            await wait_state(page, "connected")
            assert await page.evaluate("podium.connection.sessionId") not in (None, first_session)
            assert await page.is_hidden("#notice")
            await page.click("#session-end")
            await wait_state(page, "idle")

            # A token that stops working later is forgotten and asked for again.
            await page.evaluate("sessionStorage.setItem('podium.token', 'revoked')")
            await page.click("#question-next")
            await page.wait_for_selector("#token-dialog[open]")
            assert await page.evaluate("sessionStorage.getItem('podium.token')") is None
            await enter_token(page, TOKEN)
            await page.wait_for_selector("#token-dialog", state="hidden")
            await question_loaded(page)

            # The token travels in the Authorization header only, never in a URL.
            assert TOKEN not in page.url
            assert all(TOKEN not in request.url for request in api_requests)
            sent: dict[str, set[str | None]] = {}  # per path that answered 2xx: the header
            for request in api_requests:
                response = await request.response()
                if response is not None and response.ok:
                    path = request.url.split("?")[0].removeprefix(url)
                    header = (await request.all_headers()).get("authorization")
                    sent.setdefault(path, set()).add(header)
            assert {"/api/export", "/api/sessions", "/api/questions/random"} <= set(sent), sent
            assert all(headers == {f"Bearer {TOKEN}"} for headers in sent.values()), sent
