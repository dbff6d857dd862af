"""What the store's query modules share: new ids and timestamps, the answers-with-feedback
select, and the row -> record converters."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
from sqlalchemy import ColumnElement, Select, select

from server.interview.answer import Answer
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


# The answer fields whose column holds something else than the record's value.
_CONVERTED_ANSWER_FIELDS = {"words", "created_at"}


def answer_row(answer: Answer) -> AnswerRow:
    """The table row of an answer record (field for field)."""
    fields = {
        name: getattr(answer, name)
        for name in answer.__struct_fields__
        if name not in _CONVERTED_ANSWER_FIELDS
    }
    return AnswerRow(
        **fields,
        words=msgspec.to_builtins(answer.words),
        created_at=datetime.fromisoformat(answer.created_at),
    )


def answer_record(row: AnswerRow, feedback: FeedbackRow | None) -> StoredAnswer:
    """A stored answer with its feedback (field for field from the row)."""
    fields = {
        name: getattr(row, name)
        for name in Answer.__struct_fields__
        if name not in _CONVERTED_ANSWER_FIELDS
    }
    return StoredAnswer(
        **fields,
        words=msgspec.convert(row.words, list[AnswerWord]),
        created_at=iso(row.created_at),
        feedback=None if feedback is None else feedback_record(feedback),
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
