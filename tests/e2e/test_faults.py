"""Faults end to end: a client that vanishes mid-sentence, a server stopped with SIGTERM mid-answer.
Nothing said is lost, and every peer connection is closed."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.client import PodiumClient
from benchmarks.serverproc import ServerProcess, start_server
from benchmarks.speech import Clip, word_error_rate
from tests.e2e.clients import api_client, get_json, poll_until
from tests.e2e.conftest import clip_audio
from tests.speech import clip_named

pytestmark = pytest.mark.e2e

CLIP = "en_librispeech_quilter.wav"  # 6 s, one long sentence
DEBUG = {"PODIUM_DEBUG_STATS": "true"}


def assert_clean_exit(process: ServerProcess, code: int) -> None:
    log = process.log()
    # uvicorn re-raises SIGTERM after a graceful shutdown, so -15 is a clean exit too.
    assert code in (0, -15), f"server did not shut down in time ({code}):\n{log[-3000:]}"
    assert "Application shutdown complete" in log
    assert "Traceback" not in log, log[-3000:]


@pytest.fixture(scope="module")
def debug_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = start_server(tmp_path_factory.mktemp("faults"), env=DEBUG)
    yield process
    assert_clean_exit(process, process.stop())


async def stats_when_idle(url: str) -> dict:
    """The debug stats once every session has been closed (polled: closing is asynchronous)."""
    async with api_client(url) as http:
        stats = await poll_until(lambda: get_json(http, "/api/debug/stats"), no_session_open)
    assert no_session_open(stats), f"sessions still open: {stats}"
    return stats


def no_session_open(stats: dict) -> bool:
    return stats["active_sessions"] == stats["closing_sessions"] == 0


async def test_a_client_gone_mid_sentence_still_gets_that_sentence_finalised(
    debug_server: ServerProcess, speech_dir: Path, english_clips: list[Clip]
) -> None:
    audio = clip_audio(speech_dir, clip_named(english_clips, CLIP))
    client = PodiumClient(debug_server.url)
    try:
        await client.connect()
        await client.track.play(audio[: len(audio) * 2 // 3])
        await client.wait_for("speech.started")
    finally:
        await client.close()  # no DELETE, no silence: the utterance is open when it goes
    stats = await stats_when_idle(debug_server.url)
    assert stats["utterances_started"] >= 1
    assert stats["utterances_finalised"] == stats["utterances_started"], stats
    assert stats["open_peer_connections"] == 0


# A client in its own process, killed with SIGKILL once connected: it never says goodbye.
KILLED_CLIENT = """
import asyncio, sys
from benchmarks.client import PodiumClient

async def main() -> None:
    client = PodiumClient(sys.argv[1])
    await client.connect()
    print(client.session_id, flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_a_killed_client_frees_its_slot(debug_server: ServerProcess) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", KILLED_CLIENT, debug_server.url, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(60):
            session_id = (await process.stdout.readline()).decode().strip()
        assert session_id, "the client did not connect"
    finally:
        process.kill()
        await process.wait()
    killed_at = time.monotonic()
    # ICE consent checks go unanswered; the server closes the session on its own (~15 s).
    stats = await stats_when_idle(debug_server.url)
    print(f"killed client's session closed after {time.monotonic() - killed_at:.1f} s")
    assert stats["open_peer_connections"] == 0


async def test_sigterm_mid_answer_stores_the_answer_and_closes_every_peer(
    tmp_path: Path, speech_dir: Path, english_clips: list[Clip]
) -> None:
    clip = clip_named(english_clips, CLIP)
    profile = "sigterm"
    process = start_server(tmp_path, env=DEBUG)
    client = PodiumClient(process.url, profile_id=profile)
    try:
        await client.connect()
        client.send({"type": "question.set", "text": "What did you learn last year?"})
        client.send({"type": "answer.start"})
        await client.track.play(clip_audio(speech_dir, clip))
        # The answer is still being recorded, the last words may not be final: stop the server.
        code = await asyncio.to_thread(process.stop)
    finally:
        await client.close()
        process.stop()
    assert_clean_exit(process, code)
    assert "closed 1 session(s) at shutdown; 0 peer connection(s) still open" in process.log()

    restarted = start_server(tmp_path)
    try:
        async with api_client(restarted.url, headers={"X-Podium-Profile": profile}) as http:
            answers = (await http.get("/api/answers")).json()
    finally:
        restarted.stop()
    assert len(answers) == 1
    assert answers[0]["question_text"] == "What did you learn last year?"
    assert word_error_rate([clip.text], [answers[0]["transcript"]]) <= 0.25, answers[0]
