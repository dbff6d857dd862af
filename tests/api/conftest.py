"""The real app with the real model and a real SQLite file, for HTTP-level tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.config import Settings
from server.store import Store
from tests.store.databases import sqlite_url


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(sqlite_url(tmp_path))
    yield opened
    await opened.close()


@pytest.fixture
async def client(tmp_path: Path, store: Store, transcriber) -> AsyncIterator[AsyncTestClient]:
    settings = Settings(data_dir=str(tmp_path), ice_host_addresses=["127.0.0.1"])
    app = create_app(settings, transcriber=transcriber, store=store)
    async with AsyncTestClient(app=app) as test_client:
        yield test_client
