"""Request-scoped dependencies shared by the route modules."""

from __future__ import annotations

import re
from typing import Annotated

from litestar.params import HeaderParameter

from server.errors import BadRequestError

DEFAULT_PROFILE_ID = "local"
PROFILE_HEADER = "X-Podium-Profile"
_PROFILE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def validate_profile_id(value: str | None) -> str:
    """A profile id is what the client keeps to find its own answers again; none given is
    `local`, but a given one must be valid (an empty one is a client bug, not `local`)."""
    if value is None:
        return DEFAULT_PROFILE_ID
    if not _PROFILE_ID.match(value):
        raise BadRequestError(
            "profile id must be 1-64 characters of letters, digits, '_' or '-'", code="bad_profile"
        )
    return value


def provide_profile_id(
    profile: Annotated[str | None, HeaderParameter(name=PROFILE_HEADER, required=False)] = None,
) -> str:
    return validate_profile_id(profile)
