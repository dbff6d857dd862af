"""Interviews API through the real app (`create_app`) on a real SQLite file."""

from __future__ import annotations

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from server.store import Store
from tests.store.interviews import STRONG, WEAK, play_interview, start_interview

ALICE = {"X-Podium-Profile": "alice"}
BOB = {"X-Podium-Profile": "bob"}


async def test_list_newest_first_per_profile(client: AsyncTestClient, store: Store) -> None:
    older, report = await play_interview(store, [WEAK, STRONG], followup_after_first=True)
    newer = await start_interview(store)
    local = await start_interview(store, profile_id="local")

    response = await client.get("/api/interviews", headers=ALICE)

    assert response.status_code == 200
    body = response.json()
    assert [(i["id"], i["status"], i["answered"]) for i in body] == [
        (newer, "in_progress", 0),
        (older, "completed", 3),
    ]
    assert (body[1]["overall_mean"], body[1]["trend"]) == (report.overall_mean, "first")
    assert body[0]["finished_at"] is None and body[1]["finished_at"] is not None
    assert "report" not in body[0] and "answers" not in body[0]
    limited = await client.get("/api/interviews", params={"limit": 1}, headers=ALICE)
    assert [i["id"] for i in limited.json()] == [newer]
    assert (await client.get("/api/interviews", headers=BOB)).json() == []
    # No header: the default profile.
    assert [i["id"] for i in (await client.get("/api/interviews")).json()] == [local]


async def test_get_one_interview_with_answers_and_report(
    client: AsyncTestClient, store: Store
) -> None:
    interview_id, report = await play_interview(store, [WEAK], followup_after_first=True)

    response = await client.get(f"/api/interviews/{interview_id}", headers=ALICE)

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["answered"]) == (interview_id, "completed", 2)
    assert body["report"] == msgspec.to_builtins(report)
    assert body["job_description"] is None
    first, followup = body["answers"]
    assert (first["transcript"], followup["transcript"]) == (WEAK, STRONG)
    assert followup["parent_answer_id"] == first["id"]
    assert followup["followup_id"] == "result-outcome"
    assert first["feedback"]["overall"] == report.rows[0].overall

    response = await client.get(f"/api/interviews/{interview_id}", headers=BOB)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert (await client.get(f"/api/interviews/{'0' * 32}", headers=ALICE)).status_code == 404


async def test_report_as_markdown_download(client: AsyncTestClient, store: Store) -> None:
    await play_interview(store, [STRONG])
    interview_id, report = await play_interview(
        store, [WEAK, STRONG], followup_after_first=True, role="software-engineer"
    )
    created = (await client.get(f"/api/interviews/{interview_id}", headers=ALICE)).json()[
        "created_at"
    ]

    response = await client.get(f"/api/interviews/{interview_id}/report.md", headers=ALICE)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="podium-interview-{interview_id}.md"'
    )
    text = response.text
    # The role by its name, the date (UTC) and the status, as the report screen shows them.
    assert (
        f"**Role:** Software engineer · **Date:** {created[:10]} {created[11:16]} UTC"
        " · **Status:** completed · **Answers:** 3"
    ) in text
    assert report.earlier_mean is not None
    assert f"your earlier interviews: {report.earlier_mean:.1f}/100" in text
    # Numbered like the screen: main questions 1 and 2, the follow-up under the first.
    headings = [line for line in text.splitlines() if line.startswith("###")]
    assert [heading.split(":")[0] for heading in headings] == [
        "### Question 1",
        "#### Follow-up",
        "### Question 2",
    ]
    assert f"> {WEAK}" in text

    response = await client.get(f"/api/interviews/{interview_id}/report.md", headers=BOB)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_markdown_of_an_interview_left_early_has_no_trend(
    client: AsyncTestClient, store: Store
) -> None:
    await play_interview(store, [WEAK])
    interview_id, _ = await play_interview(store, [STRONG], status="ended_early")

    text = (await client.get(f"/api/interviews/{interview_id}/report.md", headers=ALICE)).text

    assert "**Role:** software_engineer" in text  # an unknown role keeps its id
    assert "**Status:** ended early" in text
    assert "(ended early: not compared with earlier interviews)" in text


@pytest.mark.parametrize("finish", [False, True])
async def test_no_report_yet_is_404_no_report(
    client: AsyncTestClient, store: Store, finish: bool
) -> None:
    interview_id = await start_interview(store)
    if finish:  # ended before anything was answered: finished, but no report
        await store.finish_interview(
            interview_id, status="ended_early", report=None, overall_mean=None
        )

    response = await client.get(f"/api/interviews/{interview_id}/report.md", headers=ALICE)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_report"


async def test_delete_an_interview_with_its_answers(client: AsyncTestClient, store: Store) -> None:
    interview_id, _ = await play_interview(store, [WEAK], followup_after_first=True)
    answer_ids = [a.id for a in (await store.get_interview("alice", interview_id)).answers]

    assert (await client.delete(f"/api/interviews/{interview_id}", headers=BOB)).status_code == 404
    assert (await client.get(f"/api/interviews/{interview_id}", headers=ALICE)).status_code == 200

    response = await client.delete(f"/api/interviews/{interview_id}", headers=ALICE)
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(f"/api/interviews/{interview_id}", headers=ALICE)).status_code == 404
    for answer_id in answer_ids:
        assert (await client.get(f"/api/answers/{answer_id}", headers=ALICE)).status_code == 404
    assert (await client.get("/api/interviews", headers=ALICE)).json() == []
    assert (
        await client.delete(f"/api/interviews/{interview_id}", headers=ALICE)
    ).status_code == 404


async def test_export_includes_interviews(client: AsyncTestClient, store: Store) -> None:
    interview_id, report = await play_interview(store, [STRONG])

    body = (await client.get("/api/export", headers=ALICE)).json()

    assert [(i["id"], i["report"]) for i in body["interviews"]] == [
        (interview_id, msgspec.to_builtins(report))
    ]
    assert [a["interview_id"] for a in body["answers"]] == [interview_id]


@pytest.mark.parametrize("limit", ["0", "501", "many"])
async def test_bad_limit(client: AsyncTestClient, limit: str) -> None:
    response = await client.get("/api/interviews", params={"limit": limit}, headers=ALICE)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


async def test_bad_profile(client: AsyncTestClient) -> None:
    response = await client.get("/api/interviews", headers={"X-Podium-Profile": "no spaces"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_profile"
