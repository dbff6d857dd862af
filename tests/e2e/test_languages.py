"""Sessions in other languages end to end: the multilingual model over WebRTC, and "auto"."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from benchmarks.client import PodiumClient
from benchmarks.serverproc import ServerProcess, start_server
from benchmarks.speech import Clip
from tests.asr.scoring import error_rate
from tests.e2e.clients import api_client
from tests.e2e.conftest import clip_audio, stream_and_collect
from tests.speech import needs_shared_set

pytestmark = pytest.mark.e2e

# Every clip of the language, one after another in one session, through Opus to base (int8,
# 2 CPU cores). Measured: de 0.19-0.25 WER, pt 0.00-0.14, fr ("auto") 0.154, it 0.333 (two runs);
# CER ja 0.10, ko 0.21, zh 0.41 (base writes traditional characters, the references are
# simplified). The same clips decoded directly: de 0.19, pt 0.00, fr 0.15, it 0.19.
# With Silero, pt's second, 16 dB quieter speaker lost "Um grupo" (0.27) in 3 of 4 runs until
# an utterance's audio took in Silero's soft start; then pt 0.05 in 3 of 3.
ERROR_BOUNDS = {"de": 0.35, "pt": 0.25, "fr": 0.30, "it": 0.45, "ja": 0.25, "ko": 0.35, "zh": 0.60}


@pytest.fixture(scope="module")
def english_only_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = start_server(
        tmp_path_factory.mktemp("english-only"), {"PODIUM_MULTILINGUAL_MODEL": ""}
    )
    yield process
    assert process.stop() in (0, -15), process.log()[-3000:]
    assert "Traceback" not in process.log(), process.log()[-3000:]


def check_session(client: PodiumClient, asked: str, spoken: str, clips: list[Clip]) -> None:
    """The session ran on the multilingual model, in the spoken language, within its bound."""
    assert not client.of_type("error"), client.of_type("error")
    ready = client.of_type("session.ready")[0]
    assert (ready["model"], ready["language"]) == ("base", asked)
    finals = client.of_type("transcript.final")
    assert finals, f"no final in the {asked!r} session"
    assert {f["language"] for f in finals} == {spoken}
    text = " ".join(f["text"] for f in finals)
    rate = error_rate([" ".join(c.text for c in clips)], [text], spoken)
    assert rate <= ERROR_BOUNDS[spoken], (asked, rate, text)


async def test_sessions_in_german_portuguese_and_auto(
    server: ServerProcess, speech_dir: Path, manifest: list[Clip]
) -> None:
    needs_shared_set("German, Portuguese and French clips")
    # The default server: tiny.en for English, the multilingual model loaded for these.
    sessions = {"de": "de", "pt": "pt", "auto": "fr"}  # asked language -> language spoken
    clips = {
        asked: [c for c in manifest if c.language == spoken] for asked, spoken in sessions.items()
    }
    clients = {asked: PodiumClient(server.url, language=asked) for asked in sessions}

    async def speak(asked: str) -> None:
        audio = np.concatenate([clip_audio(speech_dir, clip) for clip in clips[asked]])
        if asked != "auto":
            await stream_and_collect(clients[asked], audio)
            return
        # The "auto" session answers a question: the answer is stored in the detected language.
        client = clients[asked]
        client.send({"type": "question.set", "text": "Parlez-moi de vous."})
        client.send({"type": "answer.start"})
        await stream_and_collect(client, audio)
        client.send({"type": "answer.end"})
        await client.wait_for("feedback.done", timeout_s=60)

    try:
        await asyncio.gather(*(c.connect() for c in clients.values()))
        await asyncio.gather(*(speak(asked) for asked in sessions))
    finally:
        await asyncio.gather(*(c.close() for c in clients.values()))

    for asked, spoken in sessions.items():
        check_session(clients[asked], asked, spoken, clips[asked])

    saved = clients["auto"].of_type("answer.saved")[0]
    assert saved["metrics"]["language"] == "fr"
    async with api_client(server.url) as http:
        stored = (await http.get(f"/api/answers/{saved['answer_id']}")).json()
    assert stored["language"] == "fr"


async def test_italian_japanese_korean_and_chinese_sessions(
    server: ServerProcess, speech_dir: Path, manifest: list[Clip]
) -> None:
    needs_shared_set("Italian, Japanese, Korean and Chinese clips")
    languages = ["it", "ja", "ko", "zh"]
    clips = {language: [c for c in manifest if c.language == language] for language in languages}
    clients = {language: PodiumClient(server.url, language=language) for language in languages}
    try:
        await asyncio.gather(*(c.connect() for c in clients.values()))
        await asyncio.gather(
            *(
                stream_and_collect(
                    clients[language],
                    np.concatenate([clip_audio(speech_dir, clip) for clip in clips[language]]),
                )
                for language in languages
            )
        )
    finally:
        await asyncio.gather(*(c.close() for c in clients.values()))
    for language in languages:
        check_session(clients[language], language, language, clips[language])


async def test_english_session_stays_on_the_english_model(
    server: ServerProcess, speech_dir: Path, english_clips: list[Clip]
) -> None:
    client = PodiumClient(server.url, language="en")
    try:
        await client.connect()
        await stream_and_collect(client, clip_audio(speech_dir, english_clips[0]))
    finally:
        await client.close()
    assert client.of_type("session.ready")[0]["model"] == "tiny.en"
    assert {f["language"] for f in client.of_type("transcript.final")} == {"en"}


async def test_english_only_server_refuses_other_languages_before_a_session(
    english_only_server: ServerProcess,
) -> None:
    client = PodiumClient(english_only_server.url, language="de")
    try:
        with pytest.raises(httpx.HTTPStatusError) as caught:
            await client.connect()
    finally:
        await client.close()
    response = caught.value.response
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unsupported_language"
    assert "podium[multilingual]" in error["message"]
    async with api_client(english_only_server.url) as http:
        assert (await http.get("/api/health")).json()["active_sessions"] == 0
