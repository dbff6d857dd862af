"""`GET /api/debug/stats`: what the process holds, to find leaks (soak test, operators).

Off unless `PODIUM_DEBUG_STATS=true` (404 otherwise), and behind the access token when one is set.
"""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import sys
import threading
from pathlib import Path

import msgspec
from aiortc import RTCPeerConnection
from litestar import get
from litestar.di import NamedDependency

from server.config import Settings
from server.errors import NotFoundError
from server.session.registry import SessionRegistry
from server.session.session import Session


class DebugStats(msgspec.Struct):
    active_sessions: int
    closing_sessions: int
    open_peer_connections: int
    peer_connection_objects: int  # RTCPeerConnection objects alive after a full collection
    session_objects: int  # Session objects alive after a full collection
    asyncio_tasks: int
    threads: int
    rss_bytes: int
    peak_rss_bytes: int
    sessions_opened: int
    utterances_started: int
    utterances_finalised: int
    peak_pending_finals: int
    dropped_audio_ms: int


def rss_bytes() -> int:
    """Resident memory of this process now (Linux), else its peak."""
    statm = Path("/proc/self/statm")
    if statm.exists():
        return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return peak_rss_bytes()


def peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB


def _count_alive(kind: type) -> int:
    return sum(1 for obj in gc.get_objects() if isinstance(obj, kind))


@get("/api/debug/stats")
async def debug_stats(
    settings: NamedDependency[Settings], registry: NamedDependency[SessionRegistry]
) -> DebugStats:
    if not settings.debug_stats:
        raise NotFoundError("debug stats are off (set PODIUM_DEBUG_STATS=true)")
    # A full collection blocks the loop for some milliseconds: acceptable for a debug endpoint.
    gc.collect()
    totals = registry.totals()
    sessions = registry.sessions
    return DebugStats(
        active_sessions=len(sessions),
        closing_sessions=registry.closing_sessions,
        open_peer_connections=registry.open_peer_connections,
        peer_connection_objects=_count_alive(RTCPeerConnection),
        session_objects=_count_alive(Session),
        asyncio_tasks=len(asyncio.all_tasks()),
        threads=threading.active_count(),
        rss_bytes=rss_bytes(),
        peak_rss_bytes=peak_rss_bytes(),
        sessions_opened=totals.sessions_opened,
        utterances_started=totals.utterances_started,
        utterances_finalised=totals.utterances_finalised,
        peak_pending_finals=totals.peak_pending_finals,
        dropped_audio_ms=sum(s.intake.stats.dropped_ms for s in sessions),
    )


ROUTE_HANDLERS = [debug_stats]
