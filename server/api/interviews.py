"""Interviews API: a profile's mock interviews, one with its answers, its report as Markdown."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Response, delete, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from server.errors import NotFoundError
from server.interview.questions import QuestionBank
from server.interview.report import InterviewReport, ReportContext, to_markdown
from server.store import InterviewSummary, Store, StoredInterview

# Litestar adds "; charset=utf-8" to text media types itself.
MARKDOWN = "text/markdown"


@get("/api/interviews")
async def list_interviews(
    store: NamedDependency[Store],
    profile_id: NamedDependency[str],
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
) -> list[InterviewSummary]:
    """The profile's interviews, newest first (the history list)."""
    return await store.list_interviews(profile_id, limit=limit)


@get("/api/interviews/{interview_id:str}")
async def get_interview(
    store: NamedDependency[Store], profile_id: NamedDependency[str], interview_id: FromPath[str]
) -> StoredInterview:
    """One interview with its report and answers; 404 if it is not the profile's."""
    return await store.get_interview(profile_id, interview_id)


@get("/api/interviews/{interview_id:str}/report.md")
async def get_report_markdown(
    store: NamedDependency[Store],
    question_bank: NamedDependency[QuestionBank],
    profile_id: NamedDependency[str],
    interview_id: FromPath[str],
) -> Response[str]:
    """The interview's report as a Markdown download (with its role, date and status); 404
    `no_report` until there is one."""
    interview = await store.get_interview(profile_id, interview_id)
    if interview.report is None:
        raise NotFoundError("this interview has no report yet", code="no_report")
    roles = {role.id: role.name for role in question_bank.roles(interview.language)}
    context = ReportContext(
        role=roles.get(interview.role, interview.role),
        created_at=datetime.fromisoformat(interview.created_at),
        status=interview.status,
    )
    return Response(
        to_markdown(msgspec.convert(interview.report, InterviewReport), context),
        media_type=MARKDOWN,
        headers={
            "Content-Disposition": f'attachment; filename="podium-interview-{interview.id}.md"',
            "Cache-Control": "no-store",
        },
    )


@delete("/api/interviews/{interview_id:str}", status_code=204)
async def delete_interview(
    store: NamedDependency[Store], profile_id: NamedDependency[str], interview_id: FromPath[str]
) -> None:
    """Delete an interview with its answers and their feedback; 404 if it is not the profile's."""
    await store.delete_interview(profile_id, interview_id)


ROUTE_HANDLERS = [list_interviews, get_interview, get_report_markdown, delete_interview]
