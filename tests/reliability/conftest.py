"""The real app in process (`create_app`, the real model, a real SQLite file) and real offers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiortc import RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.config import Settings
from server.rtc.ice import use_host_addresses

AppFactory = Callable[..., AbstractAsyncContextManager[AsyncTestClient]]


@pytest.fixture
def make_client(tmp_path: Path, transcriber) -> AppFactory:
    """`async with make_client(**settings) as client:` the app with those settings."""

    @asynccontextmanager
    async def open_client(**overrides: Any) -> AsyncIterator[AsyncTestClient]:
        settings = Settings(data_dir=str(tmp_path), ice_host_addresses=["127.0.0.1"], **overrides)
        app = create_app(settings, transcriber=transcriber)
        async with AsyncTestClient(app=app) as client:
            yield client

    return open_client


async def make_offer(
    *, audio: str | None = "sendrecv", data_channel: bool = True, label: str = "events"
) -> str:
    """The SDP of a real aiortc offer: an audio transceiver in `audio` direction (or none) and
    the `events` data channel (or none)."""
    use_host_addresses(["127.0.0.1"])
    peer = RTCPeerConnection()
    try:
        if audio == "sendrecv":
            peer.addTrack(AudioStreamTrack())
        elif audio is not None:
            peer.addTransceiver("audio", direction=audio)
        if data_channel:
            peer.createDataChannel(label)
        await peer.setLocalDescription(await peer.createOffer())
        return peer.localDescription.sdp
    finally:
        await peer.close()


@pytest.fixture
async def good_offer() -> str:
    return await make_offer()
