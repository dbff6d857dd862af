"""The speech pool's wire without a Ray cluster: one pool replica (the class Ray Serve runs)
behind real HTTP on loopback, and a front end's `RemoteDecodeEngine` decoding real speech on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from benchmarks.serverproc import free_port
from benchmarks.speech import Clip, read_wav_int16, word_error_rate
from server.asr.engine import DecodeRequest, Priority
from server.asr.pool_wire import POOL_ROUTE, PoolModel
from server.asr.remote import PoolTranscriber, RemoteDecodeEngine, connect_pool
from server.errors import ConfigError, TranscriberError
from tests.e2e.clients import serve_in_process
from tests.speech import clip_named

pytest.importorskip("ray.serve", reason="the speech pool needs the 'cluster' extra")
starlette_routing = pytest.importorskip("starlette.routing")
starlette_applications = pytest.importorskip("starlette.applications")

CLIP = "en_arctic_slt_a0009.wav"  # 3 s, one sentence


@pytest.fixture
async def pool_address() -> AsyncIterator[str]:
    """One replica with the bundled model behind a real HTTP server on 127.0.0.1."""
    from server.cluster.replica import AsrReplica

    replica = AsrReplica.func_or_class({}, 1)
    app = starlette_applications.Starlette(
        routes=[
            starlette_routing.Route(
                f"{POOL_ROUTE}/{{action}}", replica.__call__, methods=["GET", "POST"]
            )
        ]
    )
    async with serve_in_process(app) as url:
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
