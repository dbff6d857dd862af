"""Migrations from an empty database, on a real SQLite file (and PostgreSQL where installed)."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from server.errors import ConfigError
from server.interview.metrics import words_from_text
from server.store import Store
from server.store.db import alembic_config, head_revision, parse_url
from server.store.models import AnswerRow, Base, FeedbackRow
from server.store.records import iso
from tests.records import new_answer
from tests.store.databases import sqlite_url

TABLES = {"answers", "feedback", "questions_asked", "interviews", "alembic_version"}


async def _inspect(url: str, look: Any) -> Any:
    engine = create_async_engine(parse_url(url))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


def _tables_and_version(connection: Connection) -> tuple[set[str], list[str]]:
    tables = set(inspect(connection).get_table_names())
    versions = []
    if "alembic_version" in tables:
        versions = list(
            connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        )
    return tables, versions


def _model_drift(connection: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


async def test_open_migrates_an_empty_database_to_head(database_url: str) -> None:
    if parse_url(database_url).get_backend_name() != "sqlite":  # a SQLite file does not exist yet
        tables, versions = await _inspect(database_url, _tables_and_version)
        assert not tables & TABLES

    store = await Store.open(database_url)
    await store.close()

    tables, versions = await _inspect(database_url, _tables_and_version)
    assert tables >= TABLES
    assert versions == [head_revision()]


async def test_models_match_the_migrations(database_url: str) -> None:
    store = await Store.open(database_url)
    await store.close()
    assert await _inspect(database_url, _model_drift) == []


async def test_sqlite_folder_is_created_and_data_survives_reopening(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "not" / "yet")
    store = await Store.open(url)
    saved = await store.save_answer(
        new_answer(
            profile_id="local",
            session_id="s1",
            question_id=None,
            question_text="Why this team?",
            role="general",
            language="en",
            transcript="because of the work",
            words=words_from_text("because of the work", words_per_minute=150),
            metrics={},
            duration_s=2.0,
            model="tiny.en",
        )
    )
    await store.close()
    assert (tmp_path / "not" / "yet" / "data" / "podium.db").is_file()

    reopened = await Store.open(url)
    try:
        assert (await reopened.get_answer("local", saved.id)).transcript == "because of the work"
    finally:
        await reopened.close()


async def test_downgrade_to_base_and_upgrade_again(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    store = await Store.open(url)
    await store.close()

    await asyncio.to_thread(command.downgrade, alembic_config(parse_url(url)), "base")
    tables, versions = await _inspect(url, _tables_and_version)
    assert not tables & {"answers", "feedback", "questions_asked", "interviews"}
    assert versions == []

    store = await Store.open(url)
    await store.close()
    tables, versions = await _inspect(url, _tables_and_version)
    assert tables >= TABLES
    assert versions == [head_revision()]


async def test_answers_and_feedback_survive_the_interviews_migration(database_url: str) -> None:
    # 0002 copies the answers table on SQLite (batch mode); feedback points at it.
    config = alembic_config(parse_url(database_url))
    await (await Store.open(database_url)).close()
    await asyncio.to_thread(command.downgrade, config, "0001")
    created_at = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    engine = create_async_engine(parse_url(database_url))
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(AnswerRow).values(
                    id="a" * 32,
                    profile_id="alice",
                    session_id="s1",
                    question_id="q-conflict",
                    question_text="Tell me about a conflict.",
                    role="general",
                    language="en",
                    transcript="we talked it through",
                    words=[],
                    metrics={},
                    duration_s=2.0,
                    model="tiny.en",
                    created_at=created_at,
                )
            )
            await connection.execute(
                insert(FeedbackRow).values(
                    answer_id="a" * 32,
                    text="Feedback.",
                    scores={"structure": 3},
                    overall=50,
                    provider="offline",
                    model="podium-coach-1",
                    rubric_version="rubric-1",
                    first_chunk_s=None,
                    latency_s=1.0,
                    created_at=created_at,
                )
            )
    finally:
        await engine.dispose()

    store = await Store.open(database_url)
    try:
        answer = await store.get_answer("alice", "a" * 32)
        assert (answer.transcript, answer.created_at) == ("we talked it through", iso(created_at))
        assert answer.feedback is not None and answer.feedback.overall == 50
        assert (answer.interview_id, answer.parent_answer_id, answer.followup_id) == (None,) * 3
    finally:
        await store.close()

    await asyncio.to_thread(command.downgrade, config, "0001")
    tables, versions = await _inspect(database_url, _tables_and_version)
    assert "interviews" not in tables and versions == ["0001"]
    assert await _inspect(database_url, _answer_columns) >= {"id", "transcript"}
    assert not await _inspect(database_url, _answer_columns) & {"interview_id", "followup_id"}
    feedback_count = text("SELECT count(*) FROM feedback")
    assert await _inspect(database_url, lambda c: c.execute(feedback_count).scalar()) == 1


def _answer_columns(connection: Connection) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns("answers")}


def test_plain_urls_get_the_async_driver() -> None:
    assert parse_url("sqlite:///data/podium.db").drivername == "sqlite+aiosqlite"
    assert parse_url("postgresql://u@localhost/podium").drivername == "postgresql+asyncpg"


@pytest.mark.parametrize(
    "url",
    [
        "not a database url",
        "sqlite+aiosqlite://",
        "sqlite+aiosqlite:///:memory:",
        "nosuchbackend://localhost/podium",
        # Nothing listens on port 1: refused at once (or the driver is missing): a clear error.
        "postgresql+asyncpg://podium@127.0.0.1:1/podium",
    ],
)
async def test_unusable_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        await Store.open(url)


async def test_front_ends_opening_one_new_database_at_once_migrate_it_once(
    database_url: str, tmp_path: Path
) -> None:
    if parse_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("only a server database is shared by several front ends")
    # Separate processes, as front ends are (Alembic's `context` is one per process), let go at
    # once when all have imported Podium.
    go = tmp_path / "go"
    opening = (
        "import asyncio, pathlib, sys, time\n"
        "from server.store import Store\n"
        "pathlib.Path(sys.argv[2] + '.' + sys.argv[3]).touch()\n"
        "while not pathlib.Path(sys.argv[2]).exists(): time.sleep(0.01)\n"
        "async def main():\n    await (await Store.open(sys.argv[1])).close()\n"
        "asyncio.run(main())"
    )
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            opening,
            database_url,
            str(go),
            str(n),
            stderr=asyncio.subprocess.PIPE,
        )
        for n in range(3)
    ]
    for _ in range(600):  # each has imported Podium (bounded: 60 s)
        if all((tmp_path / f"go.{n}").exists() for n in range(3)):
            break
        await asyncio.sleep(0.1)
    go.touch()
    results = [await p.communicate() for p in processes]

    assert [p.returncode for p in processes] == [0, 0, 0], [e.decode()[-800:] for _, e in results]
    tables, versions = await _inspect(database_url, _tables_and_version)
    assert tables >= TABLES
    assert versions == [head_revision()]
