"""Signaling: `POST /api/sessions` (offer -> answer) and `DELETE /api/sessions/{id}`.

Every refusal is a 4xx JSON error and happens before a peer connection exists, except an offer
that aiortc itself cannot use; that peer connection is closed before the 400 goes out.
"""

from __future__ import annotations

import re

import msgspec
from litestar import Request, Response, delete, post
from litestar.di import NamedDependency
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath

from server import protocol
from server.api.deps import PROFILE_HEADER, validate_profile_id
from server.config import Settings
from server.errors import BadRequestError, NotFoundError, SignalingError
from server.session.registry import SessionRegistry

_LANGUAGE = re.compile(r"^(auto|[a-z]{2,3})$")


class OfferTooLargeError(SignalingError):
    code = "offer_too_large"
    status_code = 413


def client_address(request: Request) -> str:
    """Who is asking, for per-client limits (behind a proxy: uvicorn's --forwarded-allow-ips)."""
    return request.client.host if request.client is not None else "unknown"


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


async def read_offer(request: Request, max_bytes: int) -> protocol.Offer:
    """The offer in the body: JSON, at most `max_bytes`, with a usable language and profile."""
    if not _is_json(request.content_type[0].lower()):
        raise BadRequestError("send the offer as application/json", code="bad_content_type")
    too_large = OfferTooLargeError(f"offer larger than {max_bytes} bytes")
    if (request.content_length or 0) > max_bytes:
        raise too_large
    try:
        body = await request.body()
    except RequestEntityTooLarge:
        raise too_large from None
    if len(body) > max_bytes:
        raise too_large
    try:
        offer = protocol.decode_offer(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise SignalingError(f"malformed offer: {exc}") from None
    if not _LANGUAGE.match(offer.language):
        raise SignalingError("language must be 'auto' or a 2-3 letter code such as 'en'")
    return offer


@post("/api/sessions", status_code=201)
async def create_session(
    request: Request,
    settings: NamedDependency[Settings],
    registry: NamedDependency[SessionRegistry],
    profile_id: NamedDependency[str],
) -> Response[bytes]:
    profile_given = PROFILE_HEADER in request.headers
    """Answer a WebRTC offer and start a session (503 when full, 429 when asked too often)."""
    registry.admit(client_address(request))
    offer = await read_offer(request, settings.max_offer_bytes)
    owner = profile_id
    if offer.profile_id is not None:
        owner = validate_profile_id(offer.profile_id)
        if profile_given and owner != profile_id:
            raise BadRequestError(
                f"the offer's profile_id differs from the {PROFILE_HEADER} header: send one",
                code="bad_profile",
            )
    session, sdp = await registry.create(offer, owner)
    answer = protocol.Answer(session_id=session.id, sdp=sdp)
    return Response(content=protocol.encode(answer), status_code=201, media_type="application/json")


@delete("/api/sessions/{session_id:str}", status_code=204)
async def close_session(
    session_id: FromPath[str], registry: NamedDependency[SessionRegistry]
) -> None:
    if not await registry.close(session_id):
        raise NotFoundError("no such session")  # the id is not echoed: it may be anything


ROUTE_HANDLERS = [create_session, close_session]
