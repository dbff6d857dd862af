"""The mock-interview queries: start, finish, read, list and delete interviews, and the
earlier interviews' means for a report's trend. `Store` inherits them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.errors import NotFoundError
from server.store.convert import answer_record, interview_summary, new_id, now, with_feedback
from server.store.models import AnswerRow, FeedbackRow, InterviewRow
from server.store.records import InterviewSummary, StoredInterview

IN_PROGRESS = "in_progress"
FINISHED_STATUSES = ("completed", "ended_early")


class InterviewQueries:
    """Every read and write of mock interviews, scoped to a profile."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create_interview(
        self,
        *,
        profile_id: str,
        session_id: str,
        role: str,
        language: str,
        planned_questions: int,
        question_source: str,
        job_description: str | None,
        lease_until: datetime | None = None,
    ) -> str:
        """Start a mock interview ("in_progress") and return its new id; `lease_until`: until
        when the caller answers for it (see `renew_leases`)."""
        row = InterviewRow(
            id=new_id(),
            profile_id=profile_id,
            session_id=session_id,
            role=role,
            language=language,
            planned_questions=planned_questions,
            question_source=question_source,
            job_description=job_description,
            status=IN_PROGRESS,
            created_at=now(),
            finished_at=None,
            overall_mean=None,
            report=None,
            lease_until=lease_until,
        )
        async with self._sessions.begin() as session:
            session.add(row)
        return row.id

    async def renew_leases(self, interview_ids: Sequence[str], until: datetime) -> None:
        """The caller still runs these interviews: extend their leases."""
        if not interview_ids:
            return
        async with self._sessions.begin() as session:
            await session.execute(
                update(InterviewRow)
                .where(InterviewRow.id.in_(interview_ids), InterviewRow.status == IN_PROGRESS)
                .values(lease_until=until)
            )

    async def claim_expired(
        self, at: datetime, until: datetime, limit: int
    ) -> list[tuple[str, str]]:
        """Interviews in progress whose lease passed before `at` (their front end is gone),
        each taken over until `until` by one caller only: [(interview id, profile id)]."""
        expired = (
            select(InterviewRow.id, InterviewRow.profile_id)
            .where(InterviewRow.status == IN_PROGRESS, InterviewRow.lease_until < at)
            .limit(limit)
        )
        claimed: list[tuple[str, str]] = []
        async with self._sessions.begin() as session:
            for interview_id, profile_id in (await session.execute(expired)).all():
                # Conditional: another front end sweeping at the same moment claims it or not.
                taken = await session.execute(
                    update(InterviewRow)
                    .where(
                        InterviewRow.id == interview_id,
                        InterviewRow.status == IN_PROGRESS,
                        InterviewRow.lease_until < at,
                    )
                    .values(lease_until=until)
                )
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append((interview_id, profile_id))
        return claimed

    async def finish_interview(
        self,
        interview_id: str,
        *,
        status: str,
        report: dict[str, Any] | None,
        overall_mean: float | None,
    ) -> None:
        """Close an interview as "completed" or "ended_early", with its report (None when
        nothing was answered). `NotFoundError` if it does not exist."""
        if status not in FINISHED_STATUSES:
            raise ValueError(f"an interview finishes as one of {FINISHED_STATUSES}, not {status!r}")
        async with self._sessions.begin() as session:
            row = await session.get(InterviewRow, interview_id)
            if row is None:
                raise NotFoundError("interview not found")
            row.status = status
            row.report = report
            row.overall_mean = overall_mean
            row.finished_at = now()
            row.lease_until = None

    async def get_interview(self, profile_id: str, interview_id: str) -> StoredInterview:
        """One of the profile's interviews with its answers in the order asked;
        `NotFoundError` if it is missing or someone else's."""
        answers_stmt = with_feedback(profile_id, AnswerRow.interview_id == interview_id).order_by(
            AnswerRow.created_at, AnswerRow.id
        )
        async with self._sessions() as session:
            row = await own_interview(session, profile_id, interview_id)
            answers = [answer_record(a, f) for a, f in (await session.execute(answers_stmt)).all()]
        summary = interview_summary(row, len(answers))
        return StoredInterview(
            **msgspec.structs.asdict(summary),
            job_description=row.job_description,
            report=row.report,
            answers=answers,
        )

    async def list_interviews(self, profile_id: str, limit: int = 50) -> list[InterviewSummary]:
        """The profile's interviews, newest first."""
        stmt = interviews_with_counts(profile_id).order_by(
            InterviewRow.created_at.desc(), InterviewRow.id.desc()
        )
        async with self._sessions() as session:
            rows = (await session.execute(stmt.limit(limit))).all()
        return [interview_summary(row, answered) for row, answered in rows]

    async def delete_interview(self, profile_id: str, interview_id: str) -> None:
        """Delete an interview with its answers and their feedback; `NotFoundError` if it is
        not the profile's."""
        answer_ids = select(AnswerRow.id).where(AnswerRow.interview_id == interview_id)
        async with self._sessions.begin() as session:
            row = await own_interview(session, profile_id, interview_id)
            # Explicit rather than relying on ON DELETE CASCADE being enforced by the backend.
            await session.execute(delete(FeedbackRow).where(FeedbackRow.answer_id.in_(answer_ids)))
            await session.execute(delete(AnswerRow).where(AnswerRow.interview_id == interview_id))
            await session.delete(row)

    async def earlier_interview_means(
        self, profile_id: str, before_interview_id: str, limit: int = 3
    ) -> list[float]:
        """Mean overall scores of the profile's finished interviews with a report, created
        before the given one, newest first (the report's trend baseline). `NotFoundError` if
        the given interview is not the profile's."""
        async with self._sessions() as session:
            before = await own_interview(session, profile_id, before_interview_id)
            stmt = (
                select(InterviewRow.overall_mean)
                .where(
                    InterviewRow.profile_id == profile_id,
                    InterviewRow.created_at < before.created_at,
                    InterviewRow.status.in_(FINISHED_STATUSES),
                    InterviewRow.report.is_not(None),
                    InterviewRow.overall_mean.is_not(None),
                )
                .order_by(InterviewRow.created_at.desc(), InterviewRow.id.desc())
                .limit(limit)
            )
            means = (await session.scalars(stmt)).all()
        return [mean for mean in means if mean is not None]


async def own_interview(session: AsyncSession, profile_id: str, interview_id: str) -> InterviewRow:
    """The profile's interview row; `NotFoundError` if it is missing or someone else's."""
    row = await session.get(InterviewRow, interview_id)
    if row is None or row.profile_id != profile_id:
        raise NotFoundError("interview not found")
    return row


def interviews_with_counts(profile_id: str) -> Select[InterviewRow, int]:
    """The profile's interviews, each with the number of answers stored in it."""
    counts = (
        select(AnswerRow.interview_id, func.count().label("answered"))
        .where(AnswerRow.profile_id == profile_id, AnswerRow.interview_id.is_not(None))
        .group_by(AnswerRow.interview_id)
        .subquery()
    )
    return (
        select(InterviewRow, func.coalesce(counts.c.answered, 0))
        .outerjoin(counts, counts.c.interview_id == InterviewRow.id)
        .where(InterviewRow.profile_id == profile_id)
    )
