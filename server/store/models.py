"""Database tables: answers, their feedback, the questions each profile was asked and the mock
interviews answers belong to.

Portable types only (String ids, JSON, timezone-aware timestamps) so the same models run on
SQLite and PostgreSQL. The migrations in `server/store/migrations` create these tables; a test
checks that the two never drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

ID_LENGTH = 32
PROFILE_ID_LENGTH = 64


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite keeps no offset, so values are converted to UTC on the way in and marked UTC on
    the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class AnswerRow(Base):
    """One spoken answer: the transcript, word timings and delivery metrics (never audio)."""

    __tablename__ = "answers"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    profile_id: Mapped[str] = mapped_column(String(PROFILE_ID_LENGTH))
    session_id: Mapped[str] = mapped_column(String(64))
    question_id: Mapped[str | None] = mapped_column(String(128))
    question_text: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    transcript: Mapped[str] = mapped_column(Text)
    words: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    duration_s: Mapped[float] = mapped_column(Float)
    model: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set for answers given in a mock interview; a follow-up also names the answer it probes.
    interview_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH),
        ForeignKey("interviews.id", ondelete="CASCADE", name="fk_answers_interview_id"),
        index=True,
    )
    parent_answer_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    followup_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_answers_profile_created", "profile_id", "created_at"),
        Index("ix_answers_profile_question", "profile_id", "question_id"),
    )


class FeedbackRow(Base):
    """The feedback stored for an answer (at most one; writing again replaces it)."""

    __tablename__ = "feedback"

    answer_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(Text)
    scores: Mapped[dict[str, int]] = mapped_column(JSON)
    overall: Mapped[int] = mapped_column(Integer)
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(128))
    rubric_version: Mapped[str] = mapped_column(String(32))
    first_chunk_s: Mapped[float | None] = mapped_column(Float)
    latency_s: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class QuestionAskedRow(Base):
    """A bank question put to a profile, answered or not (so skipped ones are not asked again)."""

    __tablename__ = "questions_asked"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    profile_id: Mapped[str] = mapped_column(String(PROFILE_ID_LENGTH))
    session_id: Mapped[str] = mapped_column(String(64))
    question_id: Mapped[str] = mapped_column(String(128))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_questions_asked_profile_asked", "profile_id", "asked_at"),)


class InterviewRow(Base):
    """A mock interview: what was planned, how it ended and its report (once finished)."""

    __tablename__ = "interviews"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    profile_id: Mapped[str] = mapped_column(String(PROFILE_ID_LENGTH))
    session_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    planned_questions: Mapped[int] = mapped_column(Integer)
    question_source: Mapped[str] = mapped_column(String(32))
    job_description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overall_mean: Mapped[float | None] = mapped_column(Float)
    # SQL NULL rather than JSON `null` for "no report", so queries can filter on it.
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # While in progress: the front end running it renews this; once it passes, any front end
    # may end the interview (its own died) with what was answered.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_interviews_profile_created", "profile_id", "created_at"),)
