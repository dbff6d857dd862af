"""A local Ray cluster on loopback with Podium's speech pool deployed on it, the way the README's
deployment section does it (`ray start --head`, then `podium asr deploy`): for the cluster test
and the pool benchmark. Every address stays on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from benchmarks.serverproc import free_port

# Ray's own daemons (its workers and actors are named "ray::…").
_RAY_DAEMONS = {"gcs_server", "raylet"}


def ray_command() -> str | None:
    """The `ray` command beside this Python (pip's scripts may not be on PATH yet), else PATH's."""
    return shutil.which("ray", path=str(Path(sys.executable).parent)) or shutil.which("ray")


def ray_env(address: str | None = None) -> dict[str, str]:
    """This environment for Ray's commands: Podium's settings left out, addresses on loopback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    env["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # else Ray rewrites 127.0.0.1 to the interface
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    if address is not None:
        env["RAY_ADDRESS"] = address
    return env


@contextmanager
def local_cluster(temp_dir: Path, *, num_cpus: int, timeout_s: float) -> Iterator[str]:
    """A one-node Ray cluster on 127.0.0.1 while the block runs; yields its address."""
    ray = ray_command()
    if ray is None:
        raise FileNotFoundError("the `ray` command is not installed (pip install '.[cluster]')")
    address = f"127.0.0.1:{free_port()}"
    command = [
        ray,
        "start",
        "--head",
        "--node-ip-address=127.0.0.1",
        f"--port={address.rsplit(':', 1)[1]}",
        "--include-dashboard=false",
        f"--num-cpus={num_cpus}",
        f"--temp-dir={temp_dir}",
        "--disable-usage-stats",
    ]
    try:
        subprocess.run(command, env=ray_env(), check=True, capture_output=True, timeout=timeout_s)
        yield address
    finally:
        subprocess.run([ray, "stop", "--force"], env=ray_env(), capture_output=True, timeout=120)


def deploy_pool(address: str, *, replicas: int, cpus_per_replica: float, timeout_s: float) -> str:
    """`podium asr deploy` on the cluster at `address`; returns the pool's address (its last
    line). The pool's HTTP ingress listens on a free loopback port."""
    deployed = subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "asr",
            "deploy",
            f"--replicas={replicas}",
            f"--cpus-per-replica={cpus_per_replica:g}",
            "--host=127.0.0.1",
            f"--port={free_port()}",
        ],
        env=ray_env(address),
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    if deployed.returncode != 0:
        raise RuntimeError(f"podium asr deploy failed:\n{deployed.stderr[-2000:]}")
    return deployed.stdout.strip().splitlines()[-1]


def ray_rss_mb() -> float:
    """Resident memory of every Ray process on this machine (daemons, workers, actors), MB."""
    total = 0
    for process in psutil.process_iter(["name", "cmdline", "memory_info"]):
        name = process.info["name"] or ""
        cmdline = " ".join(process.info["cmdline"] or [])
        if name in _RAY_DAEMONS or name.startswith("ray::") or "/site-packages/ray/" in cmdline:
            memory = process.info["memory_info"]
            total += memory.rss if memory is not None else 0
    return total / 2**20
