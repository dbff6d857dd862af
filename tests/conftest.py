"""Fixtures shared by the whole suite: the speech set, the real model, a task-leak guard and a
guard that keeps WebRTC on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aioice.ice
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription

from benchmarks.speech import DEFAULT_SPEECH_DIR, Clip, load_manifest
from server.rtc.ice import LOOPBACK_V4, use_host_addresses
from tests.store.databases import PostgresServer


@pytest.fixture(scope="session")
def speech_dir() -> Path:
    """`../shared/speech/` where it exists, else the clips vendored in `tests/data/speech/`
    (`tests/speech.py` picks clips from it)."""
    if not (DEFAULT_SPEECH_DIR / "manifest.jsonl").exists():
        pytest.fail(f"no speech clips at {DEFAULT_SPEECH_DIR}: tests/data/speech/ is missing")
    return DEFAULT_SPEECH_DIR


@pytest.fixture(scope="session")
def manifest(speech_dir: Path) -> list[Clip]:
    return load_manifest(speech_dir / "manifest.jsonl")


@pytest.fixture(scope="session")
def english_clips(manifest: list[Clip]) -> list[Clip]:
    return [clip for clip in manifest if clip.language == "en"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL on a loopback port (skips where PostgreSQL is not installed)."""
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def transcriber():  # noqa: ANN201
    """The real bundled model (tiny.en, CPU), loaded once for the whole run."""
    from server.asr.whisper import load_transcriber
    from server.config import load_settings

    return load_transcriber(load_settings(environ={}))


@pytest.fixture(autouse=True)
async def _no_leaked_tasks() -> AsyncIterator[None]:
    """Fail a test that leaves asyncio tasks running: every task needs an owner that ends it."""
    before = asyncio.all_tasks()
    yield
    await asyncio.sleep(0)
    current = asyncio.current_task()
    leaked = [t for t in asyncio.all_tasks() - before if not t.done() and t is not current]
    for task in leaked:
        task.cancel()
    assert not leaked, f"test leaked tasks: {[t.get_coro() for t in leaked]}"


def candidate_addresses(sdp: str) -> set[str]:
    """The connection addresses of the ICE candidates in a session description."""
    # a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ ...
    return {
        line.split()[4]
        for line in sdp.splitlines()
        if line.startswith("a=candidate:") and len(line.split()) > 4
    }


@pytest.fixture(autouse=True)
def _webrtc_on_loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests keep WebRTC on 127.0.0.1: every answer an aiortc client here takes, from a server in
    this process or another, has loopback candidates only, and no test leaves this process
    offering other interfaces (an app built from `Settings` without
    `ice_host_addresses=["127.0.0.1"]` does). A browser's offer is not checked: Chromium offers
    what it finds, the server's answer is what must stay on loopback."""
    set_remote = RTCPeerConnection.setRemoteDescription

    async def checked(peer: RTCPeerConnection, description: RTCSessionDescription) -> None:
        elsewhere = candidate_addresses(description.sdp) - {LOOPBACK_V4}
        if description.type == "answer":
            assert not elsewhere, f"a server answered with candidates off loopback: {elsewhere}"
        await set_remote(peer, description)

    monkeypatch.setattr(RTCPeerConnection, "setRemoteDescription", checked)
    use_host_addresses([LOOPBACK_V4])
    yield
    offered = aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True)
    assert offered == [LOOPBACK_V4], (
        f"this test left WebRTC offering {offered}: give its Settings "
        "ice_host_addresses=['127.0.0.1'] (PODIUM_ICE_HOST_ADDRESSES for a server process)"
    )
