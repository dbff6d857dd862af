"""Answers API: a profile's earlier answers, deleting one, progress and a full export."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import MediaType, Response, delete, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from server.interview.progress import Progress
from server.store import Store, StoredAnswer
from server.store.records import AnswerSource


@get("/api/answers")
async def list_answers(
    store: NamedDependency[Store],
    profile_id: NamedDependency[str],
    question_id: Annotated[str | None, QueryParameter(max_length=128)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
) -> list[StoredAnswer]:
    """The profile's answers, newest first; with `question_id`, only answers to that question
    (for comparing attempts side by side)."""
    return await store.list_answers(profile_id, question_id, limit=limit)


@get("/api/answers/{answer_id:str}")
async def get_answer(
    store: NamedDependency[Store], profile_id: NamedDependency[str], answer_id: FromPath[str]
) -> StoredAnswer:
    """One answer with its feedback; 404 if it is not the profile's."""
    return await store.get_answer(profile_id, answer_id)


@delete("/api/answers/{answer_id:str}", status_code=204)
async def delete_answer(
    store: NamedDependency[Store], profile_id: NamedDependency[str], answer_id: FromPath[str]
) -> None:
    """Delete an answer and its feedback; 404 if it is not the profile's."""
    await store.delete_answer(profile_id, answer_id)


@get("/api/progress")
async def get_progress(
    store: NamedDependency[Store],
    profile_id: NamedDependency[str],
    source: Annotated[
        AnswerSource | None,
        QueryParameter(description="only practice answers or only mock-interview answers"),
    ] = None,
) -> Progress:
    """Per rubric dimension: improved, steady, degraded or insufficient data; of every scored
    answer, or only of those given in practice or in mock interviews (`source`)."""
    return await store.progress(profile_id, source=source)


@get("/api/export")
async def export_profile(
    store: NamedDependency[Store], profile_id: NamedDependency[str]
) -> Response[dict[str, Any]]:
    """Everything stored for the profile, as a JSON file download."""
    return Response(
        await store.export(profile_id),
        media_type=MediaType.JSON,
        headers={
            "Content-Disposition": f'attachment; filename="podium-{profile_id}.json"',
            "Cache-Control": "no-store",
        },
    )


ROUTE_HANDLERS = [list_answers, get_answer, delete_answer, get_progress, export_profile]
