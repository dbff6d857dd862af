"""Signaling: `POST /api/sessions` (offer -> answer) and `DELETE /api/sessions/{id}`."""

from __future__ import annotations

import msgspec
from litestar import Request, Response, delete, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from server import protocol
from server.api.deps import validate_profile_id
from server.config import Settings
from server.errors import BadRequestError, NotFoundError
from server.registry import SessionRegistry


@post("/api/sessions", status_code=201)
async def create_session(
    request: Request,
    settings: NamedDependency[Settings],
    registry: NamedDependency[SessionRegistry],
    profile_id: NamedDependency[str],
) -> Response[bytes]:
    """Answer a WebRTC offer and start a session."""
    content_type = request.headers.get("content-type", "")
    if "json" not in content_type:
        raise BadRequestError("send the offer as application/json", code="bad_content_type")
    body = await request.body()
    if len(body) > settings.max_offer_bytes:
        raise BadRequestError(
            f"offer larger than {settings.max_offer_bytes} bytes", code="offer_too_large"
        )
    try:
        offer = protocol.decode_offer(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BadRequestError(f"malformed offer: {exc}", code="bad_offer") from None
    owner = validate_profile_id(offer.profile_id) if offer.profile_id else profile_id
    session, sdp = await registry.create(offer, owner)
    answer = protocol.Answer(session_id=session.id, sdp=sdp)
    return Response(content=protocol.encode(answer), status_code=201, media_type="application/json")


@delete("/api/sessions/{session_id:str}", status_code=204)
async def close_session(
    session_id: FromPath[str], registry: NamedDependency[SessionRegistry]
) -> None:
    if not await registry.close(session_id):
        raise NotFoundError(f"no session {session_id!r}")


ROUTE_HANDLERS = [create_session, close_session]
