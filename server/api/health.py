"""`GET /api/health`: is the service up, with which model, and how busy."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import get
from litestar.di import NamedDependency

from server import protocol
from server.asr.engine import DecodeEngine
from server.asr.pool import TranscriberPool
from server.asr.remote import RemoteDecodeEngine
from server.asr.types import Transcriber
from server.config import Settings
from server.session.registry import SessionRegistry
from server.store.backlog import StoreBacklog


class Health(msgspec.Struct):
    status: str
    model: str
    device: str
    compute_type: str
    active_sessions: int
    dropped_audio_ms: int
    protocol_version: int = protocol.PROTOCOL_VERSION
    open_peer_connections: int = 0
    pending_finals: int = 0
    decode_s: float = 0.0
    decoded_audio_s: float = 0.0
    # The decode engine: model runs so far, the decodes they held, and their mean.
    batches: int = 0
    batched_decodes: int = 0
    mean_batch_size: float = 0.0
    decode_queue: int = 0  # decodes waiting for a worker now
    partial_spacing_ms: int = 0  # new audio a stream gathers before its next partial now
    speech: dict[str, Any] = msgspec.field(default_factory=dict)
    # Answers (or feedback) the database refused, held in memory and retried.
    unstored_answers: int = 0
    # Whether a Gemini key is set: the page then offers questions written from a job description.
    gemini_configured: bool = False
    # Decoding through a speech pool (`PODIUM_ASR`): its address, replicas, queue, mean batch
    # size and this front end's round trips; null when decoding here.
    asr_pool: dict[str, Any] | None = None


@get("/api/health")
async def health(
    transcriber: NamedDependency[Transcriber],
    transcribers: NamedDependency[TranscriberPool],
    registry: NamedDependency[SessionRegistry],
    backlog: NamedDependency[StoreBacklog],
    engine: NamedDependency[DecodeEngine],
    settings: NamedDependency[Settings],
) -> Health:
    sessions = registry.sessions
    totals = registry.totals()
    decoding = engine.stats()
    return Health(
        status="ok",
        model=transcriber.model_name,
        device=transcriber.device,
        compute_type=transcriber.compute_type,
        active_sessions=len(sessions),
        dropped_audio_ms=sum(s.intake.stats.dropped_ms for s in sessions),
        open_peer_connections=registry.open_peer_connections,
        pending_finals=sum(s.stream.pending_finals for s in sessions),
        decode_s=round(totals.decode_s, 3),
        decoded_audio_s=round(totals.decoded_audio_s, 3),
        batches=decoding.batches,
        batched_decodes=decoding.batched_decodes,
        mean_batch_size=round(decoding.mean_batch_size, 2),
        decode_queue=decoding.queued,
        partial_spacing_ms=engine.partial_spacing_ms(settings.partial_interval_ms),
        speech=transcribers.describe(),
        unstored_answers=len(backlog),
        gemini_configured=bool(settings.gemini_api_key),
        asr_pool=await engine.pool_status() if isinstance(engine, RemoteDecodeEngine) else None,
    )


ROUTE_HANDLERS = [health]
