"""The live sessions of this server: creation from an offer, lookup, and closing them all."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription

from server import protocol
from server.errors import PodiumError, SignalingError
from server.session import Session, SessionServices

log = logging.getLogger(__name__)


class TooManySessionsError(PodiumError):
    code = "too_many_sessions"
    status_code = 503
    retryable = True


def check_offer_sdp(sdp: str) -> None:
    """Reject offers we cannot serve before creating a peer connection."""
    if not sdp.startswith("v=0"):
        raise SignalingError("sdp is not a session description (it must start with 'v=0')")
    if "m=audio" not in sdp:
        raise SignalingError("the offer has no audio track: add the microphone before the offer")
    if "m=application" not in sdp:
        raise SignalingError(
            "the offer has no data channel: open a data channel labelled 'events' before the offer"
        )


class SessionRegistry:
    """Owns every `Session` and the tasks that close them."""

    def __init__(self, services: SessionServices) -> None:
        self._services = services
        self._sessions: dict[str, Session] = {}
        self._closing: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._sessions)

    @property
    def sessions(self) -> list[Session]:
        return list(self._sessions.values())

    async def create(self, offer: protocol.Offer, profile_id: str) -> tuple[Session, str]:
        """Answer an offer: returns the new session and the answer SDP."""
        settings = self._services.settings
        if len(self._sessions) >= settings.max_sessions:
            raise TooManySessionsError("the server is at its session limit; try again shortly")
        check_offer_sdp(offer.sdp)
        ice_servers = [RTCIceServer(urls=url) for url in settings.ice_servers]
        peer = RTCPeerConnection(RTCConfiguration(iceServers=ice_servers))
        session = Session(
            session_id=secrets.token_urlsafe(12),
            peer=peer,
            services=self._services,
            language=offer.language,
            profile_id=profile_id,
            on_failed=self._close_soon,
        )
        try:
            await peer.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
            await peer.setLocalDescription(await peer.createAnswer())
        except Exception as exc:
            await session.close()
            raise SignalingError(f"could not use this offer: {exc}") from None
        self._sessions[session.id] = session
        log.info("session %s opened (%d active)", session.id, len(self._sessions))
        return session, peer.localDescription.sdp

    def get(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    async def close(self, session_id: str) -> bool:
        session = self._sessions.pop(session_id, None)
        if session is None:
            return False
        await session.close()
        log.info("session %s closed (%d active)", session_id, len(self._sessions))
        return True

    def _close_soon(self, session: Session) -> None:
        task = asyncio.create_task(self.close(session.id), name=f"close-{session.id}")
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close_all(self) -> None:
        await asyncio.gather(*(self.close(sid) for sid in list(self._sessions)))
        await asyncio.gather(*self._closing, return_exceptions=True)
