"""Answers API through the real app (`create_app`) on a real SQLite file."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from server.interview.metrics import words_from_text
from server.interview.rubric import RUBRIC_VERSION
from server.interview.types import FeedbackResult, Scores
from server.store import Store, StoredAnswer
from tests.records import new_answer
from tests.store.interviews import STRONG, play_interview

ALICE = {"X-Podium-Profile": "alice"}
BOB = {"X-Podium-Profile": "bob"}


async def _answer(
    store: Store, transcript: str, *, profile_id: str = "alice", question_id: str = "q-conflict"
) -> StoredAnswer:
    return await store.save_answer(
        new_answer(
            profile_id=profile_id,
            session_id="session-1",
            question_id=question_id,
            question_text="Tell me about a conflict at work.",
            role="software-engineer",
            language="en",
            transcript=transcript,
            words=words_from_text(transcript, words_per_minute=150),
            metrics={"words_per_minute": 120.0},
            duration_s=3.0,
            model="tiny.en",
        )
    )


async def _score(store: Store, answer: StoredAnswer, points: int) -> None:
    result = FeedbackResult(
        text="Feedback.",
        scores=Scores(points, points, points, points, points),
        overall=points * 20,
        provider="offline",
        model="podium-coach-1",
        rubric_version=RUBRIC_VERSION,
    )
    await store.save_feedback(answer.id, result, latency_s=0.5, first_chunk_s=0.1)


async def test_list_answers_newest_first_per_profile_and_question(
    client: AsyncTestClient, store: Store
) -> None:
    first = await _answer(store, "first attempt")
    await _score(store, first, 3)
    other = await _answer(store, "other question", question_id="q-failure")
    second = await _answer(store, "second attempt")
    local = await _answer(store, "default profile", profile_id="local")

    response = await client.get("/api/answers", headers=ALICE)
    assert response.status_code == 200
    assert [a["id"] for a in response.json()] == [second.id, other.id, first.id]

    response = await client.get("/api/answers", params={"question_id": "q-conflict"}, headers=ALICE)
    body = response.json()
    assert [a["id"] for a in body] == [second.id, first.id]
    assert body[0]["feedback"] is None
    assert body[1]["feedback"]["scores"]["structure"] == 3
    assert body[1]["words"][0]["word"] == "first"

    # No header: the default profile, which sees only its own answers.
    assert [a["id"] for a in (await client.get("/api/answers")).json()] == [local.id]
    assert (await client.get("/api/answers", params={"limit": 1}, headers=ALICE)).json()[0][
        "id"
    ] == second.id


async def test_get_one_answer_only_for_its_profile(client: AsyncTestClient, store: Store) -> None:
    saved = await _answer(store, "mine")
    response = await client.get(f"/api/answers/{saved.id}", headers=ALICE)
    assert response.status_code == 200
    assert response.json()["transcript"] == "mine"

    response = await client.get(f"/api/answers/{saved.id}", headers=BOB)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_delete_an_answer(client: AsyncTestClient, store: Store) -> None:
    saved = await _answer(store, "to delete")
    await _score(store, saved, 3)

    assert (await client.delete(f"/api/answers/{saved.id}", headers=BOB)).status_code == 404
    assert (await client.get(f"/api/answers/{saved.id}", headers=ALICE)).status_code == 200

    response = await client.delete(f"/api/answers/{saved.id}", headers=ALICE)
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(f"/api/answers/{saved.id}", headers=ALICE)).status_code == 404
    assert (await client.delete(f"/api/answers/{saved.id}", headers=ALICE)).status_code == 404
    assert await store.list_answers("alice") == []


async def test_progress(client: AsyncTestClient, store: Store) -> None:
    response = await client.get("/api/progress", headers=ALICE)
    assert response.status_code == 200
    assert {d["trend"] for d in response.json()["dimensions"]} == {"insufficient"}

    for points in (4, 4, 4, 2, 2, 2):
        await _score(store, await _answer(store, f"scored {points}"), points)
    body = (await client.get("/api/progress", headers=ALICE)).json()
    assert body["rubric_version"] == RUBRIC_VERSION
    assert body["scored_answers"] == 6
    trends = {d["dimension"]: d["trend"] for d in body["dimensions"]}
    assert trends == {
        **{name: "degraded" for name in Scores.__struct_fields__},
        "overall": "degraded",
    }
    assert (await client.get("/api/progress", headers=BOB)).json()["scored_answers"] == 0


async def test_progress_of_practice_or_interview_answers_apart(
    client: AsyncTestClient, store: Store
) -> None:
    for points in (2, 2, 2, 4, 4, 4):
        await _score(store, await _answer(store, f"practice {points}"), points)
    await play_interview(store, [STRONG, STRONG])

    every = (await client.get("/api/progress", headers=ALICE)).json()
    practice = (await client.get("/api/progress?source=practice", headers=ALICE)).json()
    interview = (await client.get("/api/progress?source=interview", headers=ALICE)).json()

    assert (every["scored_answers"], practice["scored_answers"]) == (8, 6)
    assert interview["scored_answers"] == 2
    assert {d["trend"] for d in practice["dimensions"]} == {"improved"}
    assert {d["trend"] for d in interview["dimensions"]} == {"insufficient"}
    response = await client.get("/api/progress?source=both", headers=ALICE)
    assert response.status_code == 400


async def test_export_is_a_json_download_of_the_profile(
    client: AsyncTestClient, store: Store
) -> None:
    saved = await _answer(store, "exported")
    await _score(store, saved, 4)
    await store.record_question_asked("alice", "session-1", "q-conflict")
    await _answer(store, "not alice's", profile_id="bob")

    response = await client.get("/api/export", headers=ALICE)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"] == 'attachment; filename="podium-alice.json"'
    body = response.json()
    assert body["profile_id"] == "alice"
    assert [a["transcript"] for a in body["answers"]] == ["exported"]
    assert body["answers"][0]["feedback"]["overall"] == 80
    assert [q["question_id"] for q in body["questions_asked"]] == ["q-conflict"]


@pytest.mark.parametrize(
    ("path", "headers", "code"),
    [
        ("/api/answers", {"X-Podium-Profile": "no spaces allowed"}, "bad_profile"),
        ("/api/export", {"X-Podium-Profile": "x" * 65}, "bad_profile"),
        ("/api/answers?limit=0", ALICE, "bad_request"),
    ],
)
async def test_bad_requests(client: AsyncTestClient, path: str, headers: dict, code: str) -> None:
    response = await client.get(path, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
