"""Podium beyond one machine, on loopback: a local Ray cluster with the speech pool deployed by
`podium asr deploy` (two replicas), two front ends on it sharing one PostgreSQL, real speech
streamed over WebRTC through each, and a replica killed mid-stream: every caption, final and
answer still arrives (decodes retried on the other replica), each answer seen by both."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from benchmarks.client import PodiumClient
from benchmarks.serverproc import ServerProcess, free_port, start_server
from benchmarks.speech import Clip, word_error_rate
from server.asr.remote import connect_pool
from tests.e2e.clients import api_client, get_json
from tests.e2e.conftest import answer_aloud, clip_audio
from tests.speech import clip_named
from tests.store.databases import PostgresServer

pytest.importorskip("ray.serve", reason="the speech pool needs the 'cluster' extra")
pytestmark = pytest.mark.cluster

CLIPS = ("en_ls1988_24833_0001.wav", "en_librispeech_quilter.wav")  # 8 s and 6 s
QUESTION = "Tell me about a book that changed how you work."
PROFILE = "cluster-student"
WER_BOUND = 0.2
# Starting Ray, then Serve with two model replicas, on a busy 2-core machine.
START_TIMEOUT_S = 240


def _ray_env(address: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    env["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # keeps Ray's addresses on 127.0.0.1
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    if address is not None:
        env["RAY_ADDRESS"] = address
    return env


@pytest.fixture(scope="module")
def pool_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # Beside this Python first: pip's scripts may not be on PATH yet (pyenv rehashes them later).
    ray = shutil.which("ray", path=str(Path(sys.executable).parent)) or shutil.which("ray")
    if ray is None:
        pytest.skip("the `ray` command is not installed")
    address = f"127.0.0.1:{free_port()}"
    temp = tmp_path_factory.mktemp("ray")
    subprocess.run(
        [
            ray,
            "start",
            "--head",
            "--node-ip-address=127.0.0.1",
            f"--port={address.split(':')[1]}",
            "--include-dashboard=false",
            "--num-cpus=4",
            f"--temp-dir={temp}",
            "--disable-usage-stats",
        ],
        env=_ray_env(),
        check=True,
        capture_output=True,
        timeout=START_TIMEOUT_S,
    )
    try:
        deployed = subprocess.run(
            [
                sys.executable,
                "-m",
                "server",
                "asr",
                "deploy",
                "--replicas",
                "2",
                "--cpus-per-replica",
                "1",
                "--host",
                "127.0.0.1",
                "--port",
                str(free_port()),
            ],
            env=_ray_env(address),
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
        )
        assert deployed.returncode == 0, deployed.stderr[-2000:]
        yield deployed.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([ray, "stop", "--force"], env=_ray_env(), capture_output=True, timeout=120)


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
