"""Contracts between the answer flow, the feedback providers and storage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

import msgspec


class AnswerWord(msgspec.Struct, frozen=True):
    """A word of an answer; times are seconds from the start of the answer."""

    word: str
    start_s: float
    end_s: float
    probability: float = 1.0


class Scores(msgspec.Struct, frozen=True):
    """Rubric dimensions, each 1-5."""

    structure: int
    relevance: int
    specificity: int
    result: int
    delivery: int


class PastAnswer(msgspec.Struct, frozen=True):
    """An earlier answer by the same person to the same question (for the feedback's memory)."""

    created_at: str
    transcript: str
    overall: int | None
    scores: Scores | None


class FeedbackRequest(msgspec.Struct, frozen=True):
    question: str
    role: str
    language: str
    transcript: str
    metrics: dict[str, Any]
    history: list[PastAnswer] = msgspec.field(default_factory=list)


class FeedbackChunk(msgspec.Struct, frozen=True):
    """A piece of feedback prose, streamed as it is written."""

    text: str


class FeedbackResult(msgspec.Struct, frozen=True):
    """The complete feedback: the whole text, structured scores and who wrote it."""

    text: str
    scores: Scores
    overall: int
    provider: str
    model: str
    rubric_version: str


class FeedbackProvider(Protocol):
    """Writes feedback on one answer, streaming prose chunks then exactly one result."""

    name: str

    def stream(self, request: FeedbackRequest) -> AsyncIterator[FeedbackChunk | FeedbackResult]:
        """Yield `FeedbackChunk`s as text is produced, then one `FeedbackResult` last.

        Raises `server.errors.FeedbackError` on failure (the caller falls back to the
        offline coach).
        """
        ...
