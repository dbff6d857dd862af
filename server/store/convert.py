"""What the store's query modules share: new ids and timestamps, the answers-with-feedback
select, and the row -> record converters."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
from sqlalchemy import ColumnElement, Select, select

from server.interview.types import AnswerWord, PastAnswer, Scores
from server.store.models import AnswerRow, FeedbackRow, InterviewRow
from server.store.records import InterviewSummary, StoredAnswer, StoredFeedback, iso


def new_id() -> str:
    return uuid.uuid4().hex


def now() -> datetime:
    return datetime.now(UTC)


def with_feedback(
    profile_id: str, condition: ColumnElement[bool] | None
) -> Select[AnswerRow, FeedbackRow]:
    """The profile's answers, each with its feedback or None."""
    stmt = (
        select(AnswerRow, FeedbackRow)
        .outerjoin(FeedbackRow, FeedbackRow.answer_id == AnswerRow.id)
        .where(AnswerRow.profile_id == profile_id)
    )
    return stmt if condition is None else stmt.where(condition)


def feedback_record(row: FeedbackRow) -> StoredFeedback:
    return StoredFeedback(
        text=row.text,
        scores=dict(row.scores),
        overall=row.overall,
        provider=row.provider,
        model=row.model,
        rubric_version=row.rubric_version,
        first_chunk_s=row.first_chunk_s,
        latency_s=row.latency_s,
        created_at=iso(row.created_at),
    )


def answer_record(row: AnswerRow, feedback: FeedbackRow | None) -> StoredAnswer:
    return StoredAnswer(
        id=row.id,
        profile_id=row.profile_id,
        session_id=row.session_id,
        question_id=row.question_id,
        question_text=row.question_text,
        role=row.role,
        language=row.language,
        transcript=row.transcript,
        words=msgspec.convert(row.words, list[AnswerWord]),
        metrics=dict(row.metrics),
        duration_s=row.duration_s,
        model=row.model,
        created_at=iso(row.created_at),
        feedback=None if feedback is None else feedback_record(feedback),
        interview_id=row.interview_id,
        parent_answer_id=row.parent_answer_id,
        followup_id=row.followup_id,
    )


def past_answer(
    row: AnswerRow, feedback: FeedbackRow | None, rubric_version: str | None
) -> PastAnswer:
    """An answer for the feedback's memory; scores under another rubric version are left out."""
    scores: Scores | None = None
    overall: int | None = None
    if feedback is not None and rubric_version in (None, feedback.rubric_version):
        try:
            scores = msgspec.convert(feedback.scores, Scores)
            overall = feedback.overall
        except msgspec.ValidationError:
            scores = None
    return PastAnswer(
        created_at=iso(row.created_at), transcript=row.transcript, overall=overall, scores=scores
    )


def interview_summary(row: InterviewRow, answered: int) -> InterviewSummary:
    trend = row.report.get("trend") if row.report is not None else None
    return InterviewSummary(
        id=row.id,
        role=row.role,
        language=row.language,
        status=row.status,
        planned_questions=row.planned_questions,
        question_source=row.question_source,
        answered=answered,
        created_at=iso(row.created_at),
        finished_at=None if row.finished_at is None else iso(row.finished_at),
        overall_mean=row.overall_mean,
        trend=trend if isinstance(trend, str) else None,
    )
