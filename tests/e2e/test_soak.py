"""Soak: many short sessions opened and closed by real WebRTC clients, then the server must be back
to its baseline: no peer connection, session, task or thread left behind, memory bounded."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks.client import PodiumClient
from benchmarks.serverproc import ServerProcess, start_server
from benchmarks.speech import Clip
from tests.e2e.clients import HTTP_TIMEOUT_S, SERVER_WAIT_S, api_client, get_json, poll_until
from tests.e2e.conftest import clip_audio
from tests.speech import clip_named

pytestmark = pytest.mark.e2e

SESSIONS = 30
AT_ONCE = 5
WARM_UP = 3
SPEECH_S = 1.5
MiB = 1024 * 1024
# Allocator and codec caches may keep some memory after the first sessions; a leak of one
# session's buffers per session would pass this quickly (30 sessions).
RSS_GROWTH_BOUND = 64 * MiB


@pytest.fixture(scope="module")
def soak_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {"PODIUM_DEBUG_STATS": "true", "PODIUM_SESSION_BURST": str(SESSIONS * 2)}
    process = start_server(tmp_path_factory.mktemp("soak"), env=env)
    yield process
    code = process.stop()
    assert code in (0, -15) and "Traceback" not in process.log(), process.log()[-3000:]


async def one_session(url: str, speech, index: int) -> None:
    client = PodiumClient(url, profile_id=f"soak-{index % 3}")
    try:
        await client.connect(timeout_s=HTTP_TIMEOUT_S)
        await client.track.play(speech)
        client.send({"type": "ping", "t": index})
        await client.wait_for("pong", timeout_s=SERVER_WAIT_S)
        if index % 2:  # half hang up politely, half just go away
            async with api_client(url) as http:
                assert (await http.delete(f"/api/sessions/{client.session_id}")).status_code == 204
    finally:
        await client.close()


async def stats(http: httpx.AsyncClient) -> dict:
    return await get_json(http, "/api/debug/stats")


async def settled(http: httpx.AsyncClient, baseline: dict | None) -> dict:
    """Stats once no session is open or closing, and (given a baseline) tasks are back to it."""

    def idle(now: dict) -> bool:
        quiet = now["active_sessions"] == now["closing_sessions"] == 0
        return quiet and (baseline is None or now["asyncio_tasks"] <= baseline["asyncio_tasks"])

    return await poll_until(lambda: stats(http), idle)


async def test_many_short_sessions_leave_nothing_behind(
    soak_server: ServerProcess, speech_dir: Path, english_clips: list[Clip]
) -> None:
    clip = clip_named(english_clips, "en_librispeech_quilter.wav")
    speech = clip_audio(speech_dir, clip, lead_s=0.3)[: int(SPEECH_S * 16_000)]
    url = soak_server.url
    async with api_client(url) as http:
        await asyncio.gather(*(one_session(url, speech, i) for i in range(WARM_UP)))
        baseline = await settled(http, None)
        peak_rss = baseline["rss_bytes"]
        for first in range(0, SESSIONS, AT_ONCE):
            await asyncio.gather(
                *(one_session(url, speech, i) for i in range(first, first + AT_ONCE))
            )
            peak_rss = max(peak_rss, (await stats(http))["rss_bytes"])
        final = await settled(http, baseline)

    report = {
        "sessions_opened": final["sessions_opened"] - baseline["sessions_opened"],
        "utterances": final["utterances_started"] - baseline["utterances_started"],
        "baseline_rss_mib": round(baseline["rss_bytes"] / MiB, 1),
        "peak_rss_mib": round(max(peak_rss, final["rss_bytes"]) / MiB, 1),
        "final_rss_mib": round(final["rss_bytes"] / MiB, 1),
        "tasks": [baseline["asyncio_tasks"], final["asyncio_tasks"]],
        "threads": [baseline["threads"], final["threads"]],
        "leaked_peer_connections": final["peer_connection_objects"],
        "leaked_sessions": final["session_objects"],
    }
    print("soak:", json.dumps(report))
    assert report["sessions_opened"] == SESSIONS
    assert final["utterances_finalised"] == final["utterances_started"]
    assert final["open_peer_connections"] == 0
    assert final["peer_connection_objects"] == 0, report
    assert final["session_objects"] == 0, report
    assert final["asyncio_tasks"] <= baseline["asyncio_tasks"], report
    assert final["threads"] <= baseline["threads"], report
    assert final["rss_bytes"] - baseline["rss_bytes"] <= RSS_GROWTH_BOUND, report
