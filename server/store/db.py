"""Database URLs, the async engine and applying the Alembic migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, InvalidRequestError, NoSuchModuleError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from server.errors import ConfigError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Plain URLs get the async driver this package is written for.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


def parse_url(url: str) -> URL:
    """Parse a database URL, giving plain `sqlite://` / `postgresql://` their async driver.

    Raises `ConfigError` for a malformed URL or an in-memory SQLite database (the migrations
    run on their own connection, so an in-memory database would lose its tables).
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError("database URL is not a valid SQLAlchemy URL") from None
    if parsed.drivername in _ASYNC_DRIVERS:
        parsed = parsed.set(drivername=_ASYNC_DRIVERS[parsed.drivername])
    if parsed.get_backend_name() == "sqlite" and _sqlite_in_memory(parsed):
        raise ConfigError("an in-memory SQLite database cannot be used: give a file path")
    return parsed


def _sqlite_in_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def create_engine(url: URL) -> AsyncEngine:
    """An async engine; on SQLite, foreign keys are enforced and WAL lets readers run beside a
    writer."""
    try:
        engine = create_async_engine(url)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        hint = " (pip install 'podium[postgres]')" if url.get_backend_name() == "postgresql" else ""
        raise ConfigError(f"database driver {url.drivername!r} is not available{hint}") from exc
    except InvalidRequestError as exc:
        raise ConfigError(f"database driver {url.drivername!r} is not an asyncio driver") from exc
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def alembic_config(url: URL | None = None) -> Config:
    """Alembic's configuration without an ini file; env.py reads the URL from `attributes`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if url is not None:
        config.attributes["database_url"] = url
    return config


def head_revision() -> str:
    """The newest migration revision shipped with this package."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise ConfigError("no database migrations found")
    return head


def upgrade_to_head(url: URL) -> None:
    """Create the SQLite folder if needed and apply every migration. Blocking: call it from a
    worker thread (Alembic's env.py runs its own event loop there)."""
    if url.get_backend_name() == "sqlite" and url.database:
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")
