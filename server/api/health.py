"""`GET /api/health`: is the service up, with which model, and how busy."""

from __future__ import annotations

import msgspec
from litestar import get
from litestar.di import NamedDependency

from server import protocol
from server.asr.types import Transcriber
from server.registry import SessionRegistry


class Health(msgspec.Struct):
    status: str
    model: str
    device: str
    compute_type: str
    active_sessions: int
    dropped_audio_ms: int
    protocol_version: int = protocol.PROTOCOL_VERSION


@get("/api/health")
async def health(
    transcriber: NamedDependency[Transcriber], registry: NamedDependency[SessionRegistry]
) -> Health:
    sessions = registry.sessions
    return Health(
        status="ok",
        model=transcriber.model_name,
        device=transcriber.device,
        compute_type=transcriber.compute_type,
        active_sessions=len(sessions),
        dropped_audio_ms=sum(s.audio.dropped_ms for s in sessions),
    )


ROUTE_HANDLERS = [health]
