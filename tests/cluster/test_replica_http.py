"""The speech pool's wire without a Ray cluster: one pool replica (the class Ray Serve runs)
behind real HTTP on loopback, and a front end's `RemoteDecodeEngine` decoding real speech on it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.client import PodiumClient
from benchmarks.serverproc import free_port, start_server
from benchmarks.speech import Clip, read_wav_int16, word_error_rate
from server.asr.engine import DecodeRequest, Priority
from server.asr.pool_wire import POOL_ROUTE, PoolModel
from server.asr.remote import PoolTranscriber, RemoteDecodeEngine, connect_pool
from server.errors import ConfigError, TranscriberError
from tests.e2e.clients import serve_in_process
from tests.e2e.conftest import clip_audio, stream_and_collect
from tests.speech import clip_named

pytest.importorskip("ray.serve", reason="the speech pool needs the 'cluster' extra")
starlette_routing = pytest.importorskip("starlette.routing")
starlette_applications = pytest.importorskip("starlette.applications")

CLIP = "en_arctic_slt_a0009.wav"  # 3 s, one sentence
STREAMED_CLIP = "en_librispeech_wizard.wav"  # 5 s, streamed over WebRTC


@pytest.fixture(scope="module")
def pool_app() -> Any:
    """One replica with the bundled model, as an HTTP application (what Serve's proxy fronts)."""
    from server.cluster.replica import AsrReplica

    replica = AsrReplica.func_or_class({}, 1)
    return starlette_applications.Starlette(
        routes=[
            starlette_routing.Route(
                f"{POOL_ROUTE}/{{action}}", replica.__call__, methods=["GET", "POST"]
            )
        ]
    )


@pytest.fixture
async def pool_address(pool_app: Any) -> AsyncIterator[str]:
    """The replica behind a real HTTP server on 127.0.0.1."""
    async with serve_in_process(pool_app) as url:
        yield f"{url}{POOL_ROUTE}"


async def test_a_front_end_decodes_real_speech_on_the_pool(
    pool_address: str, speech_dir: Path, english_clips: list[Clip]
) -> None:
    clip = clip_named(english_clips, CLIP)
    audio, _ = read_wav_int16(speech_dir / clip.audio)
    engine, info = await connect_pool(pool_address, timeout_s=60, wait_s=5)
    try:
        main = PoolTranscriber(next(m for m in info.models if m.role == "main"))
        final = await engine.decode(
            DecodeRequest(audio, main, language="en", final=True, priority=Priority.FINAL)
        )
        partial = await engine.decode(
            DecodeRequest(
                audio[: len(audio) // 2], main, "en", final=False, priority=Priority.PARTIAL
            )
        )
        status = await engine.pool_status()
    finally:
        await engine.aclose()

    assert word_error_rate([clip.text], [final.text]) <= 0.2
    assert final.words and final.words[-1].end_s <= len(audio) / 16_000 + 0.1
    assert partial.text and partial.text.split()[0].lower() in clip.text.lower()
    assert status["reachable"] and status["decodes_sent"] == 2 and status["failed_decodes"] == 0
    assert status["replicas"] == 1 and status["replica"]
    # The replica said how long it worked: the rest of the round trip is the wire's.
    assert 0 <= status["overhead_ms_p50"] < status["round_trip_ms_p50"]


async def test_a_front_end_whose_pool_never_answers_names_the_setting() -> None:
    dead = f"http://127.0.0.1:{free_port()}{POOL_ROUTE}"

    with pytest.raises(ConfigError, match="PODIUM_ASR"):
        await connect_pool(dead, timeout_s=1, wait_s=0.5)


async def test_a_decode_the_pool_cannot_answer_fails_after_retries_within_its_timeout(
    speech_dir: Path, english_clips: list[Clip]
) -> None:
    audio, _ = read_wav_int16(speech_dir / clip_named(english_clips, CLIP).audio)
    dead = f"http://127.0.0.1:{free_port()}{POOL_ROUTE}"
    engine = RemoteDecodeEngine(dead, timeout_s=2.0)
    model = PoolTranscriber(PoolModel("tiny.en", "main", "cpu", "int8", False))
    try:
        with pytest.raises(TranscriberError):
            await engine.decode(
                DecodeRequest(audio, model, "en", final=True, priority=Priority.FINAL)
            )
        status = await engine.pool_status()
    finally:
        await engine.aclose()

    assert status["failed_decodes"] == 1 and status["retries"] >= 1
    assert status["reachable"] is False


@pytest.mark.e2e
async def test_a_session_is_told_when_the_pool_is_gone_and_decodes_again_when_it_is_back(
    pool_app: Any, speech_dir: Path, english_clips: list[Clip], tmp_path: Path
) -> None:
    clip = clip_named(english_clips, STREAMED_CLIP)
    port = free_port()
    env = {"PODIUM_ASR": f"http://127.0.0.1:{port}{POOL_ROUTE}", "PODIUM_ASR_TIMEOUT_S": "2"}
    async with serve_in_process(pool_app, port=port):
        # The front end checks its pool at startup; this loop serves the pool meanwhile.
        front_end = await asyncio.to_thread(start_server, tmp_path / "front-end", env)
    client = PodiumClient(front_end.url, profile_id="pool-outage")
    try:
        await client.connect()
        await client.track.play(clip_audio(speech_dir, clip))
        failed = await client.wait_for("error", timeout_s=60)
        async with serve_in_process(pool_app, port=port):  # the pool is back
            after = len(client.events)
            await stream_and_collect(client, clip_audio(speech_dir, clip))
            final = await client.wait_for("transcript.final", after=after, timeout_s=60)
    finally:
        await client.close()
        front_end.stop()

    assert failed.message["code"] == "transcriber_failed" and failed.message["retryable"]
    assert word_error_rate([clip.text], [final.message["text"]]) <= 0.2
    assert "Traceback" not in front_end.log()
