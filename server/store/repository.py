"""`Store`: the one entry point to the database. Answers, feedback, questions asked, progress
and the export live here; the mock-interview queries come from `InterviewQueries`."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec
from sqlalchemy import delete, func, or_, select, union_all
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from server.errors import ConfigError, NotFoundError
from server.interview.answer import Answer
from server.interview.progress import Progress, ScoredAnswer, compute_progress
from server.interview.rubric import RUBRIC_VERSION
from server.interview.types import FeedbackResult, PastAnswer
from server.store.convert import (
    answer_record,
    answer_row,
    feedback_record,
    interview_summary,
    new_id,
    now,
    past_answer,
    with_feedback,
)
from server.store.db import create_engine, parse_url, upgrade_to_head
from server.store.interviews import InterviewQueries, interviews_with_counts, own_interview
from server.store.models import AnswerRow, FeedbackRow, InterviewRow, QuestionAskedRow
from server.store.records import AnswerSource, QuestionAsked, StoredAnswer, StoredFeedback, iso

log = logging.getLogger(__name__)

EXPORT_FORMAT = "podium-export"
EXPORT_VERSION = 1


class Store(InterviewQueries):
    """The database behind the interview practice. Open it with `await Store.open(url)`."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(async_sessionmaker(engine, expire_on_commit=False))
        self._engine = engine

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect and apply the migrations to head (in a worker thread).

        Creates the folder of a SQLite file. Raises `ConfigError` for a bad URL, a missing
        driver or a database that cannot be reached.
        """
        parsed = parse_url(url)
        engine = create_engine(parsed)
        try:
            await asyncio.to_thread(upgrade_to_head, parsed)
        except (DBAPIError, OSError) as exc:
            await engine.dispose()
            where = parsed.render_as_string(hide_password=True)
            raise ConfigError(f"cannot open the database {where}: {_reason(exc)}") from exc
        except BaseException:
            await engine.dispose()
            raise
        log.info("database ready (%s)", parsed.get_backend_name())
        return cls(engine)

    async def close(self) -> None:
        await self._engine.dispose()

    async def save_answer(self, answer: Answer) -> StoredAnswer:
        """Store an answer (no feedback yet) as it is, id and time included.

        An interview's answer names it (`NotFoundError` if it is not the profile's). Writing an
        answer whose id is already stored changes nothing (a retried write that had landed).
        """
        row = answer_row(answer)
        async with self._sessions.begin() as session:
            if await session.get(AnswerRow, answer.id) is not None:
                return answer_record(row, None)
            if answer.interview_id is not None:
                await own_interview(session, answer.profile_id, answer.interview_id)
            session.add(row)
        return answer_record(row, None)

    async def save_feedback(
        self,
        answer_id: str,
        result: FeedbackResult,
        *,
        latency_s: float,
        first_chunk_s: float | None = None,
    ) -> StoredFeedback:
        """Store the feedback of an answer, replacing any earlier one.

        `first_chunk_s` / `latency_s`: seconds from the answer being stored to the first chunk
        and to the complete feedback. Raises `NotFoundError` if the answer does not exist.
        """
        row = FeedbackRow(
            answer_id=answer_id,
            text=result.text,
            scores=msgspec.to_builtins(result.scores),
            overall=result.overall,
            provider=result.provider,
            model=result.model,
            rubric_version=result.rubric_version,
            first_chunk_s=first_chunk_s,
            latency_s=latency_s,
            created_at=now(),
        )
        async with self._sessions.begin() as session:
            if await session.get(AnswerRow, answer_id) is None:
                raise NotFoundError("answer not found")
            await session.merge(row)
        return feedback_record(row)

    async def get_answer(self, profile_id: str, answer_id: str) -> StoredAnswer:
        """One of the profile's answers; `NotFoundError` if it is missing or someone else's."""
        async with self._sessions() as session:
            found = await session.execute(with_feedback(profile_id, AnswerRow.id == answer_id))
            first = found.first()
        if first is None:
            raise NotFoundError("answer not found")
        return answer_record(first[0], first[1])

    async def list_answers(
        self, profile_id: str, question_id: str | None = None, *, limit: int = 50
    ) -> list[StoredAnswer]:
        """The profile's answers, newest first, optionally to one bank question only."""
        condition = AnswerRow.question_id == question_id if question_id is not None else None
        stmt = with_feedback(profile_id, condition).order_by(
            AnswerRow.created_at.desc(), AnswerRow.id.desc()
        )
        async with self._sessions() as session:
            rows = (await session.execute(stmt.limit(limit))).all()
        return [answer_record(answer, feedback) for answer, feedback in rows]

    async def delete_answer(self, profile_id: str, answer_id: str) -> None:
        """Delete an answer and its feedback; `NotFoundError` if it is not the profile's."""
        async with self._sessions.begin() as session:
            row = await session.get(AnswerRow, answer_id)
            if row is None or row.profile_id != profile_id:
                raise NotFoundError("answer not found")
            # Explicit rather than relying on ON DELETE CASCADE being enforced by the backend.
            await session.execute(delete(FeedbackRow).where(FeedbackRow.answer_id == answer_id))
            await session.delete(row)

    async def history(
        self,
        profile_id: str,
        question_key: str,
        limit: int = 5,
        *,
        rubric_version: str | None = None,
    ) -> list[PastAnswer]:
        """Earlier answers to a question, newest first, for the feedback's memory.

        `question_key` is a bank question id, or the text of a custom question. With
        `rubric_version`, scores written under another version are left out (None).
        """
        same_question = or_(
            AnswerRow.question_id == question_key,
            (AnswerRow.question_id.is_(None)) & (AnswerRow.question_text == question_key),
        )
        stmt = with_feedback(profile_id, same_question).order_by(
            AnswerRow.created_at.desc(), AnswerRow.id.desc()
        )
        async with self._sessions() as session:
            rows = (await session.execute(stmt.limit(limit))).all()
        return [past_answer(answer, feedback, rubric_version) for answer, feedback in rows]

    async def record_question_asked(
        self, profile_id: str, session_id: str, question_id: str
    ) -> None:
        """Remember that a bank question was put to the profile, answered or not."""
        row = QuestionAskedRow(
            id=new_id(),
            profile_id=profile_id,
            session_id=session_id,
            question_id=question_id,
            asked_at=now(),
        )
        async with self._sessions.begin() as session:
            session.add(row)

    async def recent_question_ids(self, profile_id: str, limit: int = 20) -> list[str]:
        """Bank question ids asked or answered most recently, newest first, each once."""
        asked = select(
            QuestionAskedRow.question_id.label("question_id"),
            QuestionAskedRow.asked_at.label("at"),
        ).where(QuestionAskedRow.profile_id == profile_id)
        answered = select(
            AnswerRow.question_id.label("question_id"), AnswerRow.created_at.label("at")
        ).where(AnswerRow.profile_id == profile_id, AnswerRow.question_id.is_not(None))
        events = union_all(asked, answered).subquery()
        stmt = (
            select(events.c.question_id)
            .group_by(events.c.question_id)
            .order_by(func.max(events.c.at).desc(), events.c.question_id)
            .limit(limit)
        )
        async with self._sessions() as session:
            return list((await session.scalars(stmt)).all())

    async def scored_answers(
        self, profile_id: str, source: AnswerSource | None = None
    ) -> list[ScoredAnswer]:
        """The profile's answers that have feedback, oldest first; only those given in
        practice or only those of mock interviews when `source` says so."""
        stmt = (
            select(AnswerRow.id, AnswerRow.created_at, FeedbackRow)
            .join(FeedbackRow, FeedbackRow.answer_id == AnswerRow.id)
            .where(AnswerRow.profile_id == profile_id)
            .order_by(AnswerRow.created_at, AnswerRow.id)
        )
        if source is not None:
            in_interview = AnswerRow.interview_id.is_not(None)
            stmt = stmt.where(in_interview if source == "interview" else ~in_interview)
        async with self._sessions() as session:
            rows = (await session.execute(stmt)).all()
        return [
            ScoredAnswer(
                answer_id=answer_id,
                created_at=iso(created_at),
                scores=dict(feedback.scores),
                overall=feedback.overall,
                rubric_version=feedback.rubric_version,
            )
            for answer_id, created_at, feedback in rows
        ]

    async def progress(
        self,
        profile_id: str,
        *,
        source: AnswerSource | None = None,
        rubric_version: str = RUBRIC_VERSION,
    ) -> Progress:
        """Trends per rubric dimension (see `server.interview.progress`), of every answer or of
        one `source`'s."""
        return compute_progress(
            await self.scored_answers(profile_id, source), rubric_version=rubric_version
        )

    async def export(self, profile_id: str) -> dict[str, Any]:
        """Everything stored for the profile, as a JSON-ready dict."""
        answers_stmt = with_feedback(profile_id, None).order_by(AnswerRow.created_at, AnswerRow.id)
        asked_stmt = (
            select(QuestionAskedRow)
            .where(QuestionAskedRow.profile_id == profile_id)
            .order_by(QuestionAskedRow.asked_at, QuestionAskedRow.id)
        )
        interviews_stmt = interviews_with_counts(profile_id).order_by(
            InterviewRow.created_at, InterviewRow.id
        )
        async with self._sessions() as session:
            answers = (await session.execute(answers_stmt)).all()
            asked = (await session.scalars(asked_stmt)).all()
            interviews = (await session.execute(interviews_stmt)).all()
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "profile_id": profile_id,
            "exported_at": iso(now()),
            "answers": msgspec.to_builtins([answer_record(a, f) for a, f in answers]),
            "questions_asked": msgspec.to_builtins(
                [QuestionAsked(r.question_id, r.session_id, iso(r.asked_at)) for r in asked]
            ),
            "interviews": [
                msgspec.to_builtins(interview_summary(row, answered))
                | {"job_description": row.job_description, "report": row.report}
                for row, answered in interviews
            ],
        }


def _reason(exc: BaseException) -> str:
    """Why the database could not be opened, in one short line (no SQL, no password)."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    detail = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause)
    first_line = detail.strip().splitlines()[0][:200] if detail.strip() else ""
    return f"{type(cause).__name__}: {first_line}" if first_line else type(cause).__name__
