"""One answer as one record: what was asked, what was said, how it was delivered.

The session builds an `Answer` when an answer ends, the practice service adds its metrics, the
store writes it as it is and hands it back as `StoredAnswer` (the same fields plus feedback): a
new field of an answer is added here, in the table and its migration, and where it is filled.
"""

from __future__ import annotations

from typing import Any

import msgspec

from server.interview.metrics import DeliveryMetrics
from server.interview.types import AnswerWord, FeedbackResult


class AskedQuestion(msgspec.Struct, frozen=True):
    """The question an answer answers; in a mock interview also where the answer belongs."""

    question_id: str | None  # None for a question the person typed or Gemini wrote
    question_text: str
    role: str
    interview_id: str | None = None
    parent_answer_id: str | None = None  # a follow-up: the answer it follows up
    followup_id: str | None = None  # a follow-up: its template


class Answer(AskedQuestion, frozen=True, kw_only=True):
    """A finished answer: transcript and word timings (never audio) and delivery metrics.

    `id` is chosen when the answer ends, so that a write retried after a database failure
    stores the same answer the client was told about. `created_at` is ISO 8601 UTC.
    """

    id: str
    profile_id: str
    session_id: str
    language: str
    transcript: str
    words: list[AnswerWord]
    duration_s: float
    model: str
    created_at: str
    metrics: dict[str, Any] = msgspec.field(default_factory=dict)


class AnswerOutcome(msgspec.Struct, frozen=True):
    """What became of an answer: its metrics, its feedback (None if every provider failed) and
    whether it is in the database yet (False: kept in memory and retried)."""

    answer: Answer
    metrics: DeliveryMetrics
    feedback: FeedbackResult | None
    stored: bool = True

    @property
    def answer_id(self) -> str:
        return self.answer.id

    @property
    def transcript(self) -> str:
        return self.answer.transcript
