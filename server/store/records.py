"""What the store hands back: plain msgspec Structs, JSON-ready (timestamps are ISO 8601 UTC)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from server.interview.types import AnswerWord


class StoredFeedback(msgspec.Struct, frozen=True):
    """Feedback on an answer and how long it took (seconds from the answer being stored)."""

    text: str
    scores: dict[str, int]
    overall: int
    provider: str
    model: str
    rubric_version: str
    first_chunk_s: float | None
    latency_s: float
    created_at: str


class StoredAnswer(msgspec.Struct, frozen=True):
    """One answer as stored, with its feedback once written."""

    id: str
    profile_id: str
    session_id: str
    question_id: str | None
    question_text: str
    role: str
    language: str
    transcript: str
    words: list[AnswerWord]
    metrics: dict[str, Any]
    duration_s: float
    model: str
    created_at: str
    feedback: StoredFeedback | None = None


class QuestionAsked(msgspec.Struct, frozen=True):
    question_id: str
    session_id: str
    asked_at: str


def iso(value: datetime) -> str:
    """The wire form of every stored timestamp."""
    return value.isoformat()
