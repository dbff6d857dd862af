"""Answer records for the storage tests: the fields a test cares about, the rest filled in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from server.interview.answer import Answer


def new_answer(**fields: Any) -> Answer:
    """An `Answer` as a session would hand it over: a fresh id and time unless given."""
    return Answer(**{"id": uuid.uuid4().hex, "created_at": datetime.now(UTC).isoformat(), **fields})
