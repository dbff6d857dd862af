"""Access end to end, in process: the access token, profiles, CORS, and what logs and answers may
hold. A whole practice run (WebRTC answer, Gemini feedback from the fake server) goes through a
server with a token and a Gemini key; then every response, event and log line is searched for them.
"""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from benchmarks.client import PodiumClient
from benchmarks.fake_gemini import FakeGemini
from benchmarks.feedback_flow import answer_aloud
from benchmarks.serverproc import start_server
from benchmarks.speech import Clip, normalize_english
from server.app import create_app, web_dir
from server.config import Settings
from tests.e2e.clients import HTTP_TIMEOUT_S, api_client, serve_in_process
from tests.e2e.conftest import clip_audio
from tests.speech import clip_named

pytestmark = pytest.mark.e2e

TOKEN = "podium-test-token-5f1c9a7e"
GEMINI_KEY = "AIza-fake-gemini-key-93b2d1"
SECRETS = (TOKEN, GEMINI_KEY)
CLIP = "en_ls1988_24833_0001.wav"
FOREIGN_ORIGIN = "https://evil.example"


def shingles(text: str, size: int = 3) -> set[str]:
    words = normalize_english(text).split()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


class Seen:
    """Every response body and header, and every event, that a client saw."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, response: httpx.Response) -> httpx.Response:
        self.texts.append(response.text)
        self.texts.append(str(dict(response.headers)))
        return response

    def assert_no_secrets(self, log_text: str) -> None:
        for secret in SECRETS:
            assert not any(secret in text for text in self.texts), f"a response holds {secret!r}"
            assert secret not in log_text, f"the log holds {secret!r}"


def access_settings(tmp_path: Path, gemini: FakeGemini) -> Settings:
    return Settings(
        data_dir=str(tmp_path),
        ice_host_addresses=["127.0.0.1"],
        access_token=TOKEN,
        gemini_api_key=GEMINI_KEY,
        gemini_base_url=gemini.base_url,
    )


async def test_without_the_token_the_api_refuses_the_page_loads_and_cors_is_closed(
    tmp_path: Path, transcriber, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    record = Seen()
    with FakeGemini(api_key=GEMINI_KEY) as gemini:
        app = create_app(access_settings(tmp_path, gemini), transcriber=transcriber)
        async with serve_in_process(app) as url, api_client(url) as http:
            auth = {"Authorization": f"Bearer {TOKEN}"}
            # Without the token: 401 JSON on the API, but the page itself loads.
            for method, path in [
                ("GET", "/api/health"),
                ("POST", "/api/sessions"),
                ("GET", "/api/answers"),
                ("GET", "/api/questions/random"),
                ("DELETE", "/api/sessions/anything"),
            ]:
                for headers in [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}]:
                    response = record(await http.request(method, path, headers=headers))
                    assert response.status_code == 401, (method, path, headers)
                    assert response.json()["error"]["code"] == "unauthorized"
                    assert response.headers["www-authenticate"].startswith("Bearer")
            page = record(await http.get("/"))
            assert page.status_code == 200 and "<html" in page.text.lower()
            for asset in sorted(web_dir().rglob("*.*")):
                record(await http.get(f"/{asset.relative_to(web_dir()).as_posix()}"))
            assert (await http.get("/api/health", headers=auth)).status_code == 200

            # CORS is closed: no allow-origin header for a foreign page, preflight or not.
            simple = record(
                await http.get("/api/health", headers={**auth, "Origin": FOREIGN_ORIGIN})
            )
            preflight = record(
                await http.options(
                    "/api/sessions",
                    headers={
                        "Origin": FOREIGN_ORIGIN,
                        "Access-Control-Request-Method": "POST",
                        "Access-Control-Request-Headers": "authorization, content-type",
                    },
                )
            )
            for response in (simple, preflight):
                assert "access-control-allow-origin" not in response.headers
    record.assert_no_secrets(caplog.text)


async def test_answers_belong_to_their_profile_and_no_secret_or_transcript_leaks(
    tmp_path: Path, transcriber, speech_dir: Path, english_clips: list[Clip], caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    clip = clip_named(english_clips, CLIP)
    record = Seen()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with FakeGemini(api_key=GEMINI_KEY) as gemini:
        app = create_app(access_settings(tmp_path, gemini), transcriber=transcriber)
        async with serve_in_process(app) as url:
            # A spoken answer over WebRTC, with the token, as profile "alice".
            client = PodiumClient(url, profile_id="alice", headers=auth)
            try:
                await client.connect()
                done = await answer_aloud(
                    client, {"text": "Tell me about your cat."}, clip_audio(speech_dir, clip)
                )
            finally:
                await client.close()
            record.texts += [str(e.message) for e in client.events]
            assert done.message["provider"] == "gemini"
            saved = client.of_type("answer.saved")[0]
            answer_id, transcript = saved["answer_id"], saved["transcript"]
            assert transcript

            # Answers belong to their profile: another one can neither read nor delete them.
            async with api_client(url, headers=auth) as http:
                alice = {"X-Podium-Profile": "alice"}
                bob = {"X-Podium-Profile": "bob"}
                listed = record(await http.get("/api/answers", headers=alice)).json()
                assert [a["id"] for a in listed] == [answer_id]
                assert record(await http.get("/api/answers", headers=bob)).json() == []
                one = f"/api/answers/{answer_id}"
                assert record(await http.get(one, headers=bob)).status_code == 404
                assert record(await http.delete(one, headers=bob)).status_code == 404
                assert record(await http.get(one, headers=alice)).status_code == 200
                for path in ("/api/export", "/api/progress", "/api/health"):
                    record(await http.get(path, headers=alice))

    assert gemini.requests, "the feedback went through the (fake) Gemini API with the key"
    record.assert_no_secrets(caplog.text)
    # Transcripts only at debug level: nothing at info or above quotes the answer.
    info_text = "\n".join(
        normalize_english(r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO
    )
    quoted = [s for s in shingles(transcript) if s in info_text]
    assert not quoted, quoted


def test_a_token_in_a_query_string_never_reaches_the_log(tmp_path: Path) -> None:
    """People paste URLs with secrets in them; uvicorn's access lines carried the full URL."""
    server = start_server(tmp_path, {"PODIUM_ACCESS_TOKEN": TOKEN})
    try:
        with httpx.Client(base_url=server.url, timeout=HTTP_TIMEOUT_S) as http:
            assert http.get(f"/api/health?token={TOKEN}").status_code == 401
            auth = {"Authorization": f"Bearer {TOKEN}"}
            assert http.get(f"/api/health?access_token={TOKEN}", headers=auth).status_code == 200
            assert http.get(f"/?token={TOKEN}").status_code == 200
    finally:
        server.stop()
    log = server.log()
    assert log.count("GET /api/health?") == 2, log[-2000:]  # the requests were logged...
    assert TOKEN not in log  # ...without their query strings
