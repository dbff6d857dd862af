"""Questions API through the real app (`create_app`) on a real SQLite file."""

from __future__ import annotations

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from server.interview.questions import Question, QuestionBank
from server.store import Store

ALICE = {"X-Podium-Profile": "alice"}
BOB = {"X-Podium-Profile": "bob"}


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return QuestionBank.load()


async def test_roles(client: AsyncTestClient, bank: QuestionBank) -> None:
    response = await client.get("/api/roles")
    assert response.status_code == 200
    roles = response.json()["roles"]
    assert [r["id"] for r in roles] == [r.id for r in bank.roles()]
    assert set(roles[0]) == {"id", "name", "description"}


@pytest.mark.parametrize("role", [None, "general", "data-scientist", "designer"])
async def test_questions_for_a_role(
    client: AsyncTestClient, bank: QuestionBank, role: str | None
) -> None:
    params = {"language": "en"} if role is None else {"role": role}
    response = await client.get("/api/questions", params=params)
    assert response.status_code == 200
    questions = response.json()["questions"]
    assert [q["id"] for q in questions] == [q.id for q in bank.questions(role, "en")]
    assert set(questions[0]) == {"id", "text", "roles", "category", "competencies", "language"}


@pytest.mark.parametrize(("language", "expected"), [("es", "es"), ("pt", "pt"), ("pt-BR", "pt")])
async def test_questions_in_another_language(
    client: AsyncTestClient, bank: QuestionBank, language: str, expected: str
) -> None:
    response = await client.get("/api/questions", params={"role": "designer", "language": language})
    assert response.status_code == 200
    questions = response.json()["questions"]
    assert {q["language"] for q in questions} == {expected}
    # The same questions as in English, by id, each written in the language.
    assert [q["id"] for q in questions] == [q.id for q in bank.questions("designer", "en")]
    assert [q["text"] for q in questions] == [q.text for q in bank.questions("designer", expected)]


@pytest.mark.parametrize("language", ["es", "pt"])
async def test_random_question_in_another_language(
    client: AsyncTestClient, bank: QuestionBank, language: str
) -> None:
    params = {"role": "data-scientist", "language": language}
    response = await client.get("/api/questions/random", params=params, headers=ALICE)
    assert response.status_code == 200
    body = response.json()
    assert body["language"] == language
    assert msgspec.convert(body, Question) == bank.get(body["id"], language)


@pytest.mark.parametrize("language", ["es", "pt"])
async def test_roles_in_another_language(
    client: AsyncTestClient, bank: QuestionBank, language: str
) -> None:
    response = await client.get("/api/roles", params={"language": language})
    assert response.status_code == 200
    roles = response.json()["roles"]
    assert roles == msgspec.to_builtins(bank.roles(language))
    assert roles != msgspec.to_builtins(bank.roles("en"))


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/api/questions", {"role": "astronaut"}, "unknown_role"),
        ("/api/questions", {"language": "xx"}, "unknown_language"),
        ("/api/questions/random", {"role": "astronaut"}, "unknown_role"),
        ("/api/questions/random", {"language": "xx"}, "unknown_language"),
    ],
)
async def test_unknown_role_or_language_is_a_400_json_error(
    client: AsyncTestClient, path: str, params: dict[str, str], code: str
) -> None:
    response = await client.get(path, params=params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


async def test_random_question_avoids_the_profile_s_recent_ones(
    client: AsyncTestClient, store: Store, bank: QuestionBank
) -> None:
    pool = [q.id for q in bank.questions("general", "en")]
    asked, fresh = pool[:20], set(pool[20:])
    for question_id in asked:
        await store.record_question_asked("alice", "session-1", question_id)

    for _ in range(12):
        response = await client.get(
            "/api/questions/random", params={"role": "general"}, headers=ALICE
        )
        assert response.status_code == 200
        assert response.json()["id"] in fresh

    # Another profile's history does not count.
    seen = set()
    for _ in range(30):
        response = await client.get(
            "/api/questions/random", params={"role": "general"}, headers=BOB
        )
        seen.add(response.json()["id"])
    assert seen <= set(pool)
    assert not seen <= fresh
