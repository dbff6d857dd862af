"""`podium serve` with bad settings: one line on stderr naming the setting, exit code 2, and
nothing slow done first. Each runs the real command in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.serverproc import free_port

# Starting Python and importing the server takes seconds on a busy machine; nothing here waits
# on the behaviour under test, this only stops a hung command.
COMMAND_TIMEOUT_S = 180
# Runs the CLI with asyncpg unimportable, as where `podium[postgres]` is not installed.
WITHOUT_ASYNCPG = (
    "import sys; sys.modules['asyncpg'] = None; from server.cli import main; "
    "raise SystemExit(main(sys.argv[1:]))"
)


def serve(
    tmp_path: Path, env: dict[str, str], *args: str, port: int | None = None, code: str = ""
) -> subprocess.CompletedProcess[str]:
    launcher = ["-c", code] if code else ["-m", "server"]
    full_env = {
        **os.environ,
        "PODIUM_DATA_DIR": str(tmp_path / "data"),
        "PODIUM_ICE_HOST_ADDRESSES": "127.0.0.1",
        **env,
    }
    # Without --port where the test sets PODIUM_PORT (a flag would win over it).
    given = port is None and "PODIUM_PORT" in env
    port_args = [] if given else ["--port", str(port or free_port())]
    return subprocess.run(
        [sys.executable, *launcher, "serve", "--host", "127.0.0.1", *port_args, *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
        check=False,
    )


def one_error_line(completed: subprocess.CompletedProcess[str]) -> str:
    """The command failed with exit code 2 and said why in exactly one line."""
    lines = completed.stderr.strip().splitlines()
    assert completed.returncode == 2, completed.stderr
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("podium: error: "), lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PODIUM_DATABASE_URL": "bogus://x"}, "PODIUM_DATABASE_URL"),
        ({"PODIUM_DATA_DIR": "/proc/podium-cannot-be-here"}, "PODIUM_DATA_DIR"),
        ({"PODIUM_PORT": "notaport"}, "PODIUM_PORT='notaport'"),
        ({"PODIUM_VAD_FRAME_MS": "15"}, "PODIUM_VAD_FRAME_MS"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(tmp_path: Path, env: dict[str, str], named: str):
    line = one_error_line(serve(tmp_path, env))
    assert named in line and "bad_config" in line


def test_postgresql_without_its_driver_says_what_to_install(tmp_path: Path):
    env = {"PODIUM_DATABASE_URL": "postgresql://podium@127.0.0.1:1/podium"}
    line = one_error_line(serve(tmp_path, env, code=WITHOUT_ASYNCPG))
    assert "PODIUM_DATABASE_URL" in line and "podium[postgres]" in line


def test_a_model_that_cannot_be_fetched_is_model_unavailable(tmp_path: Path):
    # Offline: the hub library fails at once instead of trying the network.
    env = {"PODIUM_MODEL": "large-v3", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    line = one_error_line(serve(tmp_path, env, "--log-level", "warning"))
    assert "model_unavailable" in line and "large-v3" in line


def test_a_taken_port_is_named_before_anything_is_loaded(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_error_line(serve(tmp_path, {}, port=port))
    assert f"port {port}" in line and "--port" in line
    # Checked first: no database was created, no model loaded (nothing else was logged).
    assert not (tmp_path / "data").exists()
