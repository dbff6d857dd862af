"""The live sessions of this server: admission, creation from an offer, lookup, closing them all.

Every `RTCPeerConnection` is made here and tracked until it is closed, so a leak shows up in
`open_peer_connections` (reported by `/api/health`).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import weakref
from dataclasses import dataclass
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription

from server import protocol
from server.errors import SignalingError
from server.rtc.sdp import check_negotiated, check_offer_sdp
from server.session.context import SessionServices
from server.session.limits import KeyedLimiter, RateLimitedError, TooManySessionsError
from server.session.session import Session

log = logging.getLogger(__name__)

# A session slot frees when someone hangs up; a few seconds is a fair first retry.
FULL_RETRY_AFTER_S = 5.0
MAX_DETAIL_CHARS = 200


@dataclass(slots=True)
class RegistryTotals:
    """Counts over the server's lifetime (closed sessions included)."""

    sessions_opened: int = 0
    utterances_started: int = 0
    utterances_finalised: int = 0
    peak_pending_finals: int = 0
    decode_s: float = 0.0
    decoded_audio_s: float = 0.0


class SessionRegistry:
    """Owns every `Session`, its peer connection, and the tasks that close them."""

    def __init__(self, services: SessionServices) -> None:
        self._services = services
        settings = services.settings
        self._sessions: dict[str, Session] = {}
        self._ending: set[Session] = set()  # out of `_sessions`, `close()` still running
        self._opening = 0
        self._peers: weakref.WeakSet[RTCPeerConnection] = weakref.WeakSet()
        self._closing: set[asyncio.Task[Any]] = set()
        self._shut = False
        self._creation_limit = KeyedLimiter(
            rate_per_s=settings.session_rate_per_min / 60, burst=settings.session_burst
        )
        self._closed_totals = RegistryTotals()

    def __len__(self) -> int:
        return len(self._sessions)

    @property
    def sessions(self) -> list[Session]:
        return list(self._sessions.values())

    @property
    def open_peer_connections(self) -> int:
        """Peer connections made here and not closed yet (sessions being opened included)."""
        return sum(1 for peer in list(self._peers) if peer.connectionState != "closed")

    def running_interviews(self) -> list[str]:
        """Ids of the mock interviews this server's sessions run now (closing ones included)."""
        sessions = [*self._sessions.values(), *self._ending]
        return [i for i in (s.interview.interview_id for s in sessions) if i is not None]

    @property
    def closing_sessions(self) -> int:
        return len(self._ending)

    def totals(self) -> RegistryTotals:
        live = [*self._sessions.values(), *self._ending]
        closed = self._closed_totals
        return RegistryTotals(
            sessions_opened=closed.sessions_opened,
            utterances_started=closed.utterances_started
            + sum(s.stream.stats.utterances_started for s in live),
            utterances_finalised=closed.utterances_finalised
            + sum(s.stream.stats.utterances_finalised for s in live),
            peak_pending_finals=max(
                [closed.peak_pending_finals, *(s.intake.stats.peak_pending_finals for s in live)]
            ),
            decode_s=closed.decode_s + sum(s.stream.stats.decode_s for s in live),
            decoded_audio_s=closed.decoded_audio_s
            + sum(s.stream.stats.decoded_audio_s for s in live),
        )

    def admit(self, client: str) -> None:
        """Refuse a new session early (before its offer is read): client too fast (429, its
        own doing, so said first) or server full (503)."""
        if self._shut:
            raise TooManySessionsError("the server is shutting down", retry_after_s=30)
        wait_s = self._creation_limit.check(client, asyncio.get_running_loop().time())
        if wait_s is not None:
            raise RateLimitedError(
                "too many new sessions from this address; try again shortly", retry_after_s=wait_s
            )
        if len(self._sessions) + self._opening >= self._services.settings.max_sessions:
            raise TooManySessionsError(
                "the server is at its session limit; try again shortly",
                retry_after_s=FULL_RETRY_AFTER_S,
            )

    async def create(self, offer: protocol.Offer, profile_id: str) -> tuple[Session, str]:
        """Answer an offer: returns the new session and the answer SDP.

        Whatever happens (a bad offer, the request cancelled), a peer connection made here is
        either in a registered session or closed before this returns.
        """
        settings = self._services.settings
        if self._shut or len(self._sessions) + self._opening >= settings.max_sessions:
            raise TooManySessionsError(
                "the server is at its session limit; try again shortly",
                retry_after_s=FULL_RETRY_AFTER_S,
            )
        check_offer_sdp(offer.sdp)
        # Before any peer connection: a language the server cannot serve is a clear 400.
        transcriber = await self._services.transcribers.for_language(offer.language)
        ice_servers = [RTCIceServer(urls=url) for url in settings.ice_servers]
        self._opening += 1
        try:
            peer = RTCPeerConnection(RTCConfiguration(iceServers=ice_servers))
            self._peers.add(peer)
            session = Session(
                session_id=secrets.token_urlsafe(12),
                peer=peer,
                services=self._services,
                transcriber=transcriber,
                language=offer.language,
                profile_id=profile_id,
                request_close=self._close_soon,
            )
            try:
                await peer.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
                await peer.setLocalDescription(await peer.createAnswer())
                check_negotiated(peer)
            except BaseException as exc:
                # Shielded: a cancelled request must still close what it opened.
                await asyncio.shield(session.close())
                if isinstance(exc, SignalingError):
                    raise
                if isinstance(exc, Exception):
                    # aiortc raises all sorts (ValueError, AttributeError...) on odd SDP.
                    detail = f"{type(exc).__name__}: {exc}"[:MAX_DETAIL_CHARS]
                    raise SignalingError(f"could not use this offer ({detail})") from None
                raise
        finally:
            self._opening -= 1
        self._sessions[session.id] = session
        self._closed_totals.sessions_opened += 1
        log.info("session %s opened (%d active)", session.id, len(self._sessions))
        return session, peer.localDescription.sdp

    def get(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    async def close(self, session_id: str) -> bool:
        session = self._sessions.pop(session_id, None)
        if session is None:
            return False
        self._ending.add(session)
        try:
            await session.close()
        finally:
            self._ending.discard(session)
        closed = self._closed_totals
        stats = session.stream.stats
        closed.utterances_started += stats.utterances_started
        closed.utterances_finalised += stats.utterances_finalised
        closed.decode_s += stats.decode_s
        closed.decoded_audio_s += stats.decoded_audio_s
        closed.peak_pending_finals = max(
            closed.peak_pending_finals, session.intake.stats.peak_pending_finals
        )
        log.info("session %s closed (%d active)", session_id, len(self._sessions))
        return True

    def _close_soon(self, session: Session) -> None:
        task = asyncio.create_task(self.close(session.id), name=f"close-{session.id}")
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close_all(self) -> None:
        """Shutdown: refuse new sessions, close every one (answers in progress are stored)."""
        self._shut = True
        count = len(self._sessions)
        await asyncio.gather(*(self.close(sid) for sid in list(self._sessions)))
        await asyncio.gather(*self._closing, return_exceptions=True)
        log.info(
            "closed %d session(s) at shutdown; %d peer connection(s) still open",
            count,
            self.open_peer_connections,
        )
