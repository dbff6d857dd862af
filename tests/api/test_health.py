"""`GET /api/health` through the real app: what the page learns about the server."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.asr.types import Transcriber
from server.config import Settings
from server.store import Store


@pytest.mark.parametrize("key", ["", "AIza-fake-health-key"])
async def test_health_says_whether_gemini_is_configured(
    tmp_path: Path, store: Store, transcriber: Transcriber, key: str
) -> None:
    # The page promises questions written from a job description only when this is true.
    settings = Settings(
        data_dir=str(tmp_path),
        ice_host_addresses=["127.0.0.1"],
        gemini_api_key=key,
        gemini_base_url="http://127.0.0.1:9",
    )
    app = create_app(settings, transcriber=transcriber, store=store)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/api/health")

    assert response.status_code == 200
    body = response.json()
    assert body["gemini_configured"] is bool(key)
    assert "AIza" not in response.text  # the key itself is never returned
