"""The question bank: our own behavioural and situational questions, shipped as package data.

`data/roles.json` lists the roles (names per language); `data/questions.<lang>.json` holds one
language's questions. English is the reference: a question id means the same question in every
language. A translation keeps the English id and gives its own `text`; its roles, category and
competencies come from the English question (it may repeat them, but then they must agree), and
an id English lacks is an error. Each language's text is written for that language, not
translated word for word. Everything is checked at load, so a bad data file stops start-up
with one clear line. Language codes are matched on their primary subtag ("pt-BR" -> "pt").
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
from server.interview.lexicon import primary_language

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
    """A question as written in a file; a translation may leave out what English says."""

    id: str
    text: str
    roles: list[str] | None = None
    category: Category | None = None
    competencies: list[str] | None = None


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
            files: dict[str, list[_QuestionEntry]] = {}
            for entry in sorted(data.iterdir(), key=lambda e: e.name):
                match = _QUESTION_FILE.match(entry.name)
                if match:
                    parsed = msgspec.json.decode(entry.read_bytes(), type=_QuestionsFile)
                    if parsed.language != match.group(1):
                        raise ConfigError(f"{entry.name} says its language is {parsed.language}")
                    files[parsed.language] = parsed.questions
        except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise ConfigError(f"question bank data is unreadable: {exc}") from None
        questions = _questions(files)
        _check(roles, questions)
        return cls(roles, questions)

    def languages(self) -> list[str]:
        return sorted(self._by_language)

    def roles(self, language: str = DEFAULT_LANGUAGE) -> list[Role]:
        """Every role, named in `language` where a translation exists, else in English."""
        language = primary_language(language)
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
        bank = self._by_language.get(primary_language(language))
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
        return self._by_id.get((primary_language(language), question_id))

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


def _questions(files: dict[str, list[_QuestionEntry]]) -> list[Question]:
    """Every file's questions; translations take roles, category and competencies from English."""
    english = {entry.id: entry for entry in files.get(DEFAULT_LANGUAGE, [])}
    questions: list[Question] = []
    for language, entries in files.items():
        for entry in entries:
            reference = entry if language == DEFAULT_LANGUAGE else english.get(entry.id)
            where = f"question {entry.id!r} ({language})"
            if reference is None:
                raise ConfigError(f"{where}: no English question has this id")
            roles = reference.roles
            category = reference.category
            competencies = reference.competencies
            if roles is None or category is None or competencies is None:
                raise ConfigError(f"{where}: needs roles, category and competencies")
            own = (entry.roles, entry.category, entry.competencies)
            if any(
                mine is not None and mine != theirs
                for mine, theirs in zip(own, (roles, category, competencies), strict=True)
            ):
                raise ConfigError(f"{where}: roles, category or competencies differ from English")
            questions.append(
                Question(
                    id=entry.id,
                    text=entry.text.strip(),
                    roles=list(roles),
                    category=category,
                    competencies=list(competencies),
                    language=language,
                )
            )
    return questions


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
