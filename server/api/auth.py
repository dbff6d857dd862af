"""Optional access token: with `PODIUM_ACCESS_TOKEN` set, every `/api/` call needs
`Authorization: Bearer <token>`. The static page loads without it (it asks for the token).
"""

from __future__ import annotations

import hmac

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from server.errors import PodiumError

API_PREFIX = "/api/"
_SCHEME = "bearer "


class UnauthorizedError(PodiumError):
    code = "unauthorized"
    status_code = 401


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    if authorization is None or authorization[: len(_SCHEME)].lower() != _SCHEME:
        return None
    return authorization[len(_SCHEME) :].strip()


def token_matches(provided: str | None, expected: str) -> bool:
    # Constant-time comparison: the time taken must not reveal how much of a guess was right.
    return provided is not None and hmac.compare_digest(provided.encode(), expected.encode())


def has_access(connection: ASGIConnection, token: str) -> bool:
    """Outside `/api/`, or with the right bearer token."""
    if not connection.scope["path"].startswith(API_PREFIX):
        return True
    return token_matches(bearer_token(connection.headers.get("authorization")), token)


def unauthorized() -> UnauthorizedError:
    return UnauthorizedError(
        "this server needs an access token: send 'Authorization: Bearer <token>'"
    )


def access_guard(token: str) -> Guard:
    """A guard that lets `/api/` calls through only with the right bearer token."""

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if not has_access(connection, token):
            raise unauthorized()

    return guard
