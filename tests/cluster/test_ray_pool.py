"""Podium beyond one machine, on loopback: a local Ray cluster with the speech pool deployed by
`podium asr deploy` (two replicas), two front ends on it sharing one PostgreSQL, real speech
streamed over WebRTC through each, and a replica killed mid-stream: every caption, final and
answer still arrives (decodes retried on the other replica), each answer seen by both."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from benchmarks.client import PodiumClient
from benchmarks.feedback_flow import answer_aloud
from benchmarks.ray_local import deploy_pool, local_cluster, ray_command
from benchmarks.run import prepare_clips
from benchmarks.serverproc import ServerProcess, start_server
from benchmarks.speech import Clip, word_error_rate
from benchmarks.sweep import StreamOptions, run_sweep
from server.asr.remote import connect_pool
from tests.e2e.clients import api_client, get_json
from tests.e2e.conftest import clip_audio
from tests.speech import clip_named
from tests.store.databases import PostgresServer

pytest.importorskip("ray.serve", reason="the speech pool needs the 'cluster' extra")
pytestmark = pytest.mark.cluster

CLIPS = ("en_ls1988_24833_0001.wav", "en_librispeech_quilter.wav")  # 8 s and 6 s
QUESTION = "Tell me about a book that changed how you work."
PROFILE = "cluster-student"
WER_BOUND = 0.2
SWEEP_CLIP = "en_arctic_slt_a0009.wav"  # 3 s, one sentence: tiny.en may miss a name in it
SWEEP_WER_BOUND = 0.35
# Starting Ray, then Serve with two model replicas, on a busy 2-core machine.
START_TIMEOUT_S = 240


@pytest.fixture(scope="module")
def pool_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if ray_command() is None:
        pytest.skip("the `ray` command is not installed")
    temp = tmp_path_factory.mktemp("ray")
    with local_cluster(temp, num_cpus=4, timeout_s=START_TIMEOUT_S) as address:
        yield deploy_pool(address, replicas=2, cpus_per_replica=1, timeout_s=START_TIMEOUT_S)


@pytest.fixture(scope="module")
def front_ends(
    pool_address: str, postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[ServerProcess]]:
    """Two front ends on the pool and one new PostgreSQL database, started together."""
    database = postgres_server.create_database()
    env = {"PODIUM_ASR": pool_address, "PODIUM_DATABASE_URL": postgres_server.url(database)}
    folders = [tmp_path_factory.mktemp(f"front-end-{n}") for n in range(2)]
    with ThreadPoolExecutor(2) as starting:
        started = [
            starting.submit(start_server, f, env, timeout_s=START_TIMEOUT_S) for f in folders
        ]
    servers = [future.result() for future in started]
    yield servers
    for server in servers:
        server.stop()
        assert "Traceback" not in server.log(), server.log()[-3000:]
    postgres_server.drop_database(database)


async def _replica_pid(pool_address: str) -> int:
    """The process of one of the pool's replicas (the one that answers)."""
    engine, _ = await connect_pool(pool_address, timeout_s=30, wait_s=30)
    try:
        status = await engine.pool_status()
    finally:
        await engine.aclose()
    return int(status["replica"].rsplit(":", 1)[1])


async def test_two_front_ends_share_the_pool_and_the_database_while_a_replica_dies(
    front_ends: list[ServerProcess],
    pool_address: str,
    speech_dir: Path,
    english_clips: list[Clip],
) -> None:
    clips = [clip_named(english_clips, name) for name in CLIPS]
    victim = await _replica_pid(pool_address)
    clients = [PodiumClient(server.url, profile_id=PROFILE) for server in front_ends]
    try:
        await asyncio.gather(*(client.connect() for client in clients))
        answering = [
            asyncio.create_task(
                answer_aloud(client, {"text": QUESTION}, clip_audio(speech_dir, clip))
            )
            for client, clip in zip(clients, clips, strict=True)
        ]
        # Kill a replica while both people are speaking and captions are being decoded.
        await clients[0].wait_for("transcript.partial", timeout_s=60)
        os.kill(victim, signal.SIGKILL)
        await asyncio.gather(*answering)
    finally:
        await asyncio.gather(*(client.close() for client in clients))

    saved = []
    for client, clip in zip(clients, clips, strict=True):
        kinds = [event.type for event in client.events]
        assert "error" not in kinds, client.of_type("error")
        assert "transcript.partial" in kinds and "transcript.final" in kinds  # captions
        answer = client.of_type("answer.saved")[0]
        assert word_error_rate([clip.text], [answer["transcript"]]) <= WER_BOUND, answer
        saved.append(answer["answer_id"])
    # Each answer is visible from the other front end: one database behind both.
    for server in front_ends:
        async with api_client(server.url, headers={"X-Podium-Profile": PROFILE}) as http:
            listed = await get_json(http, "/api/answers")
            health = await get_json(http, "/api/health")
        assert sorted(a["id"] for a in listed) == sorted(saved)
        pool = health["asr_pool"]
        assert pool["reachable"] and pool["replicas"] == 2, pool
        assert pool["decodes_sent"] > 0 and pool["failed_decodes"] == 0, pool


async def test_the_benchmark_spreads_its_streams_over_the_front_ends(
    front_ends: list[ServerProcess], speech_dir: Path, english_clips: list[Clip]
) -> None:
    urls = [server.url for server in front_ends]
    clips = prepare_clips([clip_named(english_clips, SWEEP_CLIP)], speech_dir)
    before = [await _decodes_sent(url) for url in urls]

    # Two streams for a moment: each starts one clip.
    (level,) = await run_sweep(urls, clips, [2], StreamOptions(level_s=1.0), monitor=None)

    after = [await _decodes_sent(url) for url in urls]
    assert sorted(r.stream for r in level.clips) == [0, 1]
    for record in level.clips:
        assert record.error is None, record.error
        assert word_error_rate([record.reference_text], [record.hypothesis]) <= SWEEP_WER_BOUND
    assert all(a > b for a, b in zip(after, before, strict=True)), (before, after)


async def _decodes_sent(url: str) -> int:
    async with api_client(url) as http:
        health = await get_json(http, "/api/health")
    return int(health["asr_pool"]["decodes_sent"])
