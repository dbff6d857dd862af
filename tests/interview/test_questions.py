"""The question bank: counts, role filtering, validation at load and picking without repeats."""

from __future__ import annotations

import json
import random
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from server.errors import BadRequestError, ConfigError
from server.interview.questions import COMPETENCIES, GENERAL_ROLE, QuestionBank

ROLES = [
    "general",
    "software-engineer",
    "fullstack-developer",
    "data-scientist",
    "product-manager",
    "project-manager",
    "designer",
]


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return QuestionBank.load()


def test_bank_has_enough_questions_for_every_role(bank: QuestionBank) -> None:
    questions = bank.questions(None, "en")
    per_role = Counter(role for q in questions for role in q.roles)
    assert len(questions) >= 80
    assert len({q.id for q in questions}) == len(questions)
    assert [r.id for r in bank.roles()] == ROLES
    assert len([r for r in per_role if r != GENERAL_ROLE]) >= 6
    assert all(per_role[role] >= 8 for role in ROLES), per_role
    assert {q.category for q in questions} == {"behavioral", "situational"}
    assert all(q.competencies and set(q.competencies) <= COMPETENCIES for q in questions)
    assert all(q.text.strip() and q.language == "en" for q in questions)


@pytest.mark.parametrize("language", ["en", "es", "pt"])
def test_roles_are_named_and_described(bank: QuestionBank, language: str) -> None:
    roles = bank.roles(language)
    assert [r.id for r in roles] == ROLES
    for role in roles:
        assert role.name.strip() and role.description.strip()
    if language != "en":
        english = {r.id: r.description for r in bank.roles("en")}
        assert all(r.description != english[r.id] for r in roles)


def test_roles_in_a_language_without_translations_are_english(bank: QuestionBank) -> None:
    assert bank.roles("fr") == bank.roles("en")
    assert bank.roles("pt-BR") == bank.roles("pt")


@pytest.mark.parametrize("role", ROLES[1:])
def test_a_role_gets_its_own_and_the_general_questions(bank: QuestionBank, role: str) -> None:
    chosen = bank.questions(role, "en")
    general = bank.questions(GENERAL_ROLE, "en")
    assert all(role in q.roles or GENERAL_ROLE in q.roles for q in chosen)
    assert {q.id for q in general} <= {q.id for q in chosen}
    assert any(GENERAL_ROLE not in q.roles for q in chosen)
    assert len(chosen) < len(bank.questions(None, "en"))


def test_general_role_gets_only_general_questions(bank: QuestionBank) -> None:
    assert all(q.roles == [GENERAL_ROLE] for q in bank.questions(GENERAL_ROLE, "en"))


@pytest.mark.parametrize(
    ("role", "language", "code"),
    [("astronaut", "en", "unknown_role"), ("designer", "xx", "unknown_language")],
)
def test_unknown_role_or_language_is_a_bad_request(
    bank: QuestionBank, role: str, language: str, code: str
) -> None:
    with pytest.raises(BadRequestError) as raised:
        bank.questions(role, language)
    assert raised.value.code == code
    with pytest.raises(BadRequestError):
        bank.pick(role, language, exclude=[])


def test_get_by_id(bank: QuestionBank) -> None:
    first = bank.questions(None, "en")[0]
    assert bank.get(first.id) == first
    assert bank.get("no-such-question") is None
    assert bank.get(first.id, "xx") is None


@pytest.mark.parametrize("role", ROLES)
def test_pick_avoids_excluded_ids(bank: QuestionBank, role: str) -> None:
    pool = bank.questions(role, "en")
    keep = pool[len(pool) // 2]
    exclude = [q.id for q in pool if q.id != keep.id]
    rng = random.Random(7)
    assert {bank.pick(role, "en", exclude, rng).id for _ in range(20)} == {keep.id}


def test_pick_spreads_over_the_fresh_questions(bank: QuestionBank) -> None:
    pool = bank.questions("designer", "en")
    exclude = {q.id for q in pool[:10]}
    rng = random.Random(1)
    picked = {bank.pick("designer", "en", exclude, rng).id for _ in range(200)}
    assert picked.isdisjoint(exclude)
    assert len(picked) > len(pool) // 2


def test_pick_when_all_were_asked_returns_the_one_asked_longest_ago(bank: QuestionBank) -> None:
    pool = bank.questions(GENERAL_ROLE, "en")
    newest_first = [q.id for q in reversed(pool)]
    assert bank.pick(GENERAL_ROLE, "en", newest_first).id == pool[0].id
    # Unordered exclusions: any question of the role, rather than an error.
    assert bank.pick(GENERAL_ROLE, "en", set(newest_first)).id in newest_first


def _copy_data(tmp_path: Path) -> Path:
    source = resources.files("server.interview") / "data"
    target = tmp_path / "data"
    target.mkdir()
    for entry in source.iterdir():
        if entry.name.endswith(".json"):
            (target / entry.name).write_bytes(entry.read_bytes())
    return target


def _edit_questions(data: Path, change: Any) -> None:
    path = data / "questions.en.json"
    parsed = json.loads(path.read_text())
    change(parsed)
    path.write_text(json.dumps(parsed))


def _duplicate_id(d: dict[str, Any]) -> None:
    d["questions"][1]["id"] = d["questions"][0]["id"]


def _unknown_role(d: dict[str, Any]) -> None:
    d["questions"][0]["roles"] = ["astronaut"]


def _no_roles(d: dict[str, Any]) -> None:
    d["questions"][0]["roles"] = []


def _empty_text(d: dict[str, Any]) -> None:
    d["questions"][0]["text"] = "  "


def _unknown_competency(d: dict[str, Any]) -> None:
    d["questions"][0]["competencies"] = ["juggling"]


def _bad_category(d: dict[str, Any]) -> None:
    d["questions"][0]["category"] = "trivia"


def _wrong_language(d: dict[str, Any]) -> None:
    d["language"] = "pt"


def _unknown_field(d: dict[str, Any]) -> None:
    d["questions"][0]["answer"] = "no"


@pytest.mark.parametrize(
    "change",
    [
        _duplicate_id,
        _unknown_role,
        _no_roles,
        _empty_text,
        _unknown_competency,
        _bad_category,
        _wrong_language,
        _unknown_field,
    ],
)
def test_bad_data_fails_at_load(tmp_path: Path, change: Any) -> None:
    data = _copy_data(tmp_path)
    assert len(QuestionBank.load(data).questions(None)) >= 80
    _edit_questions(data, change)
    with pytest.raises(ConfigError):
        QuestionBank.load(data)


def test_another_language_is_one_more_file(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    english = json.loads((data / "questions.en.json").read_text())
    first = english["questions"][0]
    italian = {
        "language": "it",
        "questions": [{**first, "text": "Raccontami di una volta in cui..."}],
    }
    (data / "questions.it.json").write_text(json.dumps(italian))
    bank = QuestionBank.load(data)
    assert bank.languages() == ["en", "es", "it", "pt"]
    assert [q.id for q in bank.questions(None, "it")] == [first["id"]]
    translated = bank.get(first["id"], "it")
    assert translated is not None and translated.language == "it"
