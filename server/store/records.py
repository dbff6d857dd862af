"""What the store hands back: plain msgspec Structs, JSON-ready (timestamps are ISO 8601 UTC)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from server.interview.answer import Answer

# Where an answer was given: practice (a question at a time) or a mock interview.
AnswerSource = Literal["practice", "interview"]


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


class StoredAnswer(Answer, frozen=True, kw_only=True):
    """One answer as stored (the record the session handed over), with its feedback once
    written."""

    feedback: StoredFeedback | None = None


class QuestionAsked(msgspec.Struct, frozen=True):
    question_id: str
    session_id: str
    asked_at: str


class InterviewSummary(msgspec.Struct, frozen=True):
    """A mock interview in the history list.

    `status`: "in_progress", "completed" or "ended_early"; `answered`: answers stored in it,
    follow-ups included; `trend`: the report's trend, None without a report.
    """

    id: str
    role: str
    language: str
    status: str
    planned_questions: int
    question_source: str
    answered: int
    created_at: str
    finished_at: str | None
    overall_mean: float | None
    trend: str | None


class StoredInterview(InterviewSummary, frozen=True):
    """A mock interview with its report (`msgspec.to_builtins(InterviewReport)`, None until
    finished with answers) and its answers in the order asked."""

    job_description: str | None
    report: dict[str, Any] | None
    answers: list[StoredAnswer]


def iso(value: datetime) -> str:
    """The wire form of every stored timestamp."""
    return value.isoformat()
