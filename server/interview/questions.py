"""The question bank: our own behavioural and situational questions, shipped as package data.

`data/roles.json` lists the roles (names per language); `data/questions.<lang>.json` holds one
language's questions. A translated question keeps the English question's id. Everything is
checked at load, so a bad data file stops start-up with one clear line.
"""

from __future__ import annotations

import random
import re
from collections.abc import Collection, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Literal

import msgspec

from server.errors import BadRequestError, ConfigError, NotFoundError

GENERAL_ROLE = "general"
DEFAULT_LANGUAGE = "en"
COMPETENCIES = frozenset(
    {
        "adaptability",
        "ambiguity",
        "communication",
        "conflict",
        "customer-focus",
        "decision-making",
        "failure",
        "feedback",
        "influence",
        "integrity",
        "leadership",
        "learning",
        "mentoring",
        "ownership",
        "prioritisation",
        "stakeholder-management",
        "teamwork",
        "technical-depth",
    }
)
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_QUESTION_FILE = re.compile(r"^questions\.([a-z]{2,3})\.json$")

Category = Literal["behavioral", "situational"]


class Question(msgspec.Struct, frozen=True):
    id: str
    text: str
    roles: list[str]
    category: Category
    competencies: list[str]
    language: str = DEFAULT_LANGUAGE


class Role(msgspec.Struct, frozen=True):
    id: str
    name: str
    description: str


class _RoleEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    name: dict[str, str]
    description: dict[str, str]


class _RolesFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    roles: list[_RoleEntry]


class _QuestionEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    text: str
    roles: list[str]
    category: Category
    competencies: list[str]


class _QuestionsFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    language: str
    questions: list[_QuestionEntry]


class QuestionBank:
    """Questions by role and language. Build it with `QuestionBank.load()`."""

    def __init__(self, roles: Sequence[_RoleEntry], questions: Sequence[Question]) -> None:
        self._roles = list(roles)
        self._role_ids = [role.id for role in roles]
        self._by_language: dict[str, list[Question]] = {}
        for question in questions:
            self._by_language.setdefault(question.language, []).append(question)
        self._by_id = {(q.language, q.id): q for q in questions}

    @classmethod
    def load(cls, data: Traversable | None = None) -> QuestionBank:
        """Read and check the data files (the bundled ones by default); `ConfigError` if bad."""
        data = data or resources.files("server.interview") / "data"
        try:
            roles = msgspec.json.decode((data / "roles.json").read_bytes(), type=_RolesFile).roles
            questions: list[Question] = []
            for entry in sorted(data.iterdir(), key=lambda e: e.name):
                match = _QUESTION_FILE.match(entry.name)
                if match:
                    parsed = msgspec.json.decode(entry.read_bytes(), type=_QuestionsFile)
                    if parsed.language != match.group(1):
                        raise ConfigError(f"{entry.name} says its language is {parsed.language}")
                    questions += [_question(q, parsed.language) for q in parsed.questions]
        except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise ConfigError(f"question bank data is unreadable: {exc}") from None
        _check(roles, questions)
        return cls(roles, questions)

    def languages(self) -> list[str]:
        return sorted(self._by_language)

    def roles(self, language: str = DEFAULT_LANGUAGE) -> list[Role]:
        """Every role, named in `language` where a translation exists, else in English."""
        return [
            Role(
                id=role.id,
                name=role.name.get(language, role.name[DEFAULT_LANGUAGE]),
                description=role.description.get(language, role.description[DEFAULT_LANGUAGE]),
            )
            for role in self._roles
        ]

    def questions(self, role: str | None, language: str = DEFAULT_LANGUAGE) -> list[Question]:
        """Questions for a role (its own plus the general ones), or all with `role=None`.

        Raises `BadRequestError` for an unknown role or a language with no questions.
        """
        bank = self._by_language.get(language)
        if bank is None:
            known = ", ".join(self.languages())
            raise BadRequestError(
                f"no questions in language {language!r}; available: {known}",
                code="unknown_language",
            )
        if role is None:
            return list(bank)
        if role not in self._role_ids:
            known = ", ".join(self._role_ids)
            raise BadRequestError(f"unknown role {role!r}; known: {known}", code="unknown_role")
        return [q for q in bank if role in q.roles or GENERAL_ROLE in q.roles]

    def get(self, question_id: str, language: str = DEFAULT_LANGUAGE) -> Question | None:
        return self._by_id.get((language, question_id))

    def pick(
        self,
        role: str | None,
        language: str,
        exclude: Collection[str],
        rng: random.Random | None = None,
    ) -> Question:
        """A random question for the role that is not in `exclude` (recently asked ids).

        When every candidate was asked recently and `exclude` is a sequence ordered newest
        first (as `Store.recent_question_ids` returns it), the one asked longest ago comes back.
        """
        pool = self.questions(role, language)
        if not pool:
            raise NotFoundError(f"no questions for role {role!r} in {language!r}")
        rng = rng or random.Random()
        fresh = [q for q in pool if q.id not in exclude]
        if fresh:
            return rng.choice(fresh)
        if isinstance(exclude, Sequence) and not isinstance(exclude, str):
            newest_first = {qid: i for i, qid in reversed(list(enumerate(exclude)))}
            return max(pool, key=lambda q: newest_first[q.id])
        return rng.choice(pool)


def _question(entry: _QuestionEntry, language: str) -> Question:
    return Question(
        id=entry.id,
        text=entry.text.strip(),
        roles=list(entry.roles),
        category=entry.category,
        competencies=list(entry.competencies),
        language=language,
    )


def _check(roles: Sequence[_RoleEntry], questions: Sequence[Question]) -> None:
    role_ids = [role.id for role in roles]
    if len(set(role_ids)) != len(role_ids) or GENERAL_ROLE not in role_ids:
        raise ConfigError("roles.json: role ids must be unique and include 'general'")
    for role in roles:
        if DEFAULT_LANGUAGE not in role.name or DEFAULT_LANGUAGE not in role.description:
            raise ConfigError(f"roles.json: role {role.id!r} needs an English name and description")
    seen: set[tuple[str, str]] = set()
    for q in questions:
        where = f"question {q.id!r} ({q.language})"
        if not _ID.match(q.id) or (q.language, q.id) in seen:
            raise ConfigError(f"{where}: ids must be unique lowercase words joined by '-'")
        seen.add((q.language, q.id))
        if not q.text:
            raise ConfigError(f"{where}: empty text")
        if not q.roles or any(role not in role_ids for role in q.roles):
            raise ConfigError(f"{where}: roles must be some of {role_ids}")
        if not q.competencies or any(c not in COMPETENCIES for c in q.competencies):
            raise ConfigError(f"{where}: competencies must be some of {sorted(COMPETENCIES)}")
    if not questions:
        raise ConfigError("the question bank is empty")
