"""Real databases for the storage tests: a SQLite file, and a throwaway PostgreSQL server when
PostgreSQL and asyncpg are installed (skipped otherwise)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def sqlite_url(folder: Path) -> str:
    return f"sqlite+aiosqlite:///{folder / 'data' / 'podium.db'}"


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder on a loopback port, trust auth."""

    def __init__(self) -> None:
        # Debian keeps the server's programs off PATH, under /usr/lib/postgresql/<version>/bin.
        debian = ":".join(str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin")))
        search = f"{os.environ.get('PATH', '')}:{debian}"
        initdb, pg_ctl = shutil.which("initdb", path=search), shutil.which("pg_ctl", path=search)
        if initdb is None or pg_ctl is None or importlib.util.find_spec("asyncpg") is None:
            pytest.skip("PostgreSQL (initdb, pg_ctl) or asyncpg is not installed")
        # PostgreSQL refuses to run as root: run it as the `postgres` user then.
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                pytest.skip("running as root without runuser to start PostgreSQL")
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self._pg_ctl = pg_ctl
        self.folder = Path(tempfile.mkdtemp(prefix="podium-pg-"))
        if self._as_user:
            shutil.chown(self.folder, "postgres")
        self.port = _free_port()
        self._data = self.folder / "data"
        self._run(initdb, "-D", str(self._data), "--auth=trust", "-U", "postgres", "--no-sync")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "server.log")
        self._run(pg_ctl, "-D", str(self._data), "-o", options, "-l", log, "-w", "start")

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as_user, *args], check=True, capture_output=True, timeout=60)

    def _sql(self, statement: str) -> None:
        psql = shutil.which("psql") or "psql"
        host = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres"]
        self._run(psql, *host, "-v", "ON_ERROR_STOP=1", "-c", statement)

    def create_database(self) -> str:
        name = f"podium_{uuid.uuid4().hex[:12]}"
        self._sql(f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name: str) -> None:
        self._sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        self._run(self._pg_ctl, "-D", str(self._data), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_database(server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database on `server` for one test."""
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)


@contextmanager
def writes_refused(database: Path) -> Iterator[None]:
    """Another connection holds the SQLite write lock: every write fails with "database is
    locked" once its busy wait runs out (reads go on: WAL)."""
    blocker = sqlite3.connect(database, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
