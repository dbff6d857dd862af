"""The speech pool on a real local Ray cluster (loopback only): `podium asr deploy` with two
replicas, real speech decoded through Serve's HTTP ingress, and a replica killed while decodes run:
every decode still answers (retried on the other replica)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.serverproc import free_port
from benchmarks.speech import Clip, read_wav_int16, word_error_rate
from server.asr.engine import DecodeRequest, Priority
from server.asr.remote import PoolTranscriber, connect_pool
from tests.speech import clip_named

pytest.importorskip("ray.serve", reason="the speech pool needs the 'cluster' extra")
pytestmark = pytest.mark.cluster

CLIP = "en_arctic_slt_a0009.wav"  # 3 s, one sentence
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


async def test_decodes_go_on_when_a_replica_dies(
    pool_address: str, speech_dir: Path, english_clips: list[Clip]
) -> None:
    clip = clip_named(english_clips, CLIP)
    audio, _ = read_wav_int16(speech_dir / clip.audio)
    engine, info = await connect_pool(pool_address, timeout_s=60, wait_s=30)
    main = PoolTranscriber(next(m for m in info.models if m.role == "main"))

    def final() -> DecodeRequest:
        return DecodeRequest(audio, main, language="en", final=True, priority=Priority.FINAL)

    try:
        before = await engine.decode(final())
        status = await engine.pool_status()
        victim = int(status["replica"].rsplit(":", 1)[1])
        running = [asyncio.create_task(engine.decode(final())) for _ in range(4)]
        os.kill(victim, signal.SIGKILL)
        after = await asyncio.gather(*running, engine.decode(final()))
        status_after = await engine.pool_status()
    finally:
        await engine.aclose()

    assert status["replicas"] == 2 and status["reachable"]
    assert word_error_rate([clip.text], [before.text]) <= 0.2
    assert all(word_error_rate([clip.text], [t.text]) <= 0.2 for t in after)
    assert status_after["failed_decodes"] == 0 and status_after["decodes_sent"] == 6
    assert status_after["replica"] != status["replica"]  # the killed one answers no more
