"""Alembic environment: runs the migrations over the app's async driver.

`Store.open` passes the URL in `config.attributes["database_url"]` and calls this from a worker
thread, where `asyncio.run` gets a loop of its own. From the command line
(`alembic -c server/store/alembic.ini ...`) the URL comes from the Podium settings.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import create_async_engine

from server.store.models import Base

target_metadata = Base.metadata
# Front ends that start together against one new PostgreSQL database take turns migrating it:
# the first applies the migrations, the others wait on this lock and then find it at head.
MIGRATION_LOCK_KEY = 0x706F6469756D  # "podium"


def _database_url() -> URL:
    from server.store.db import parse_url

    url = context.config.attributes.get("database_url")
    if isinstance(url, URL):
        return url
    from server.config import load_settings

    return parse_url(load_settings().resolved_database_url)


def _run_offline() -> None:
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters tables by copying them; batch mode lets later migrations do that.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"))
        context.run_migrations()


async def _run_online() -> None:
    engine = create_async_engine(_database_url(), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    _run_offline()
else:
    asyncio.run(_run_online())
