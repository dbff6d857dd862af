"""Run a real Podium server (`python -m server serve`) on a free loopback port.

Used by the end-to-end tests and the benchmark.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """A server subprocess; `stop()` sends SIGTERM and waits for a clean exit."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self, timeout_s: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def last_log_line(self) -> str:
        lines = [line for line in self.log().splitlines() if line.strip()]
        return lines[-1].strip() if lines else "(empty log)"


def start_server(
    data_dir: Path,
    env: Mapping[str, str] | None = None,
    *,
    timeout_s: float = 90.0,
    port: int | None = None,
    source: Path | None = None,
) -> ServerProcess:
    """Start `podium serve` on 127.0.0.1 with its data in `data_dir` (on `port`, else a free
    one: a server restarted on its old port looks to its clients like the same server back);
    wait until it is healthy.

    `source`: run the `server` package of that source tree instead of this one's.
    """
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "server.log"
    full_env = {
        **os.environ,
        "PODIUM_DATA_DIR": str(data_dir),
        "PODIUM_ICE_HOST_ADDRESSES": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=full_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=source,  # `python -m` imports from the working folder first
        )
    server = ServerProcess(f"http://127.0.0.1:{port}", process, log_path)
    token = full_env.get("PODIUM_ACCESS_TOKEN")
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode}: {server.last_log_line()}\n{server.log()}"
            )
        try:
            if httpx.get(f"{server.url}/api/health", headers=auth, timeout=1.0).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(
        f"server not healthy after {timeout_s}s: {server.last_log_line()}\n{server.log()}"
    )
