"""Questions API: the roles, a role's questions, and a random question not asked lately."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from server.config import Settings
from server.interview.questions import Question, QuestionBank, Role
from server.store import Store


class RolesResponse(msgspec.Struct):
    roles: list[Role]


class QuestionsResponse(msgspec.Struct):
    questions: list[Question]


RoleQuery = Annotated[
    str | None, QueryParameter(max_length=64, description="a role id; none for every role")
]
LanguageQuery = Annotated[
    str | None, QueryParameter(max_length=16, description="a language code; default: the server's")
]


@get("/api/roles")
async def list_roles(
    question_bank: NamedDependency[QuestionBank],
    settings: NamedDependency[Settings],
    language: LanguageQuery = None,
) -> RolesResponse:
    """Every role, named in `language` where a translation exists."""
    return RolesResponse(roles=question_bank.roles(language or settings.default_language))


@get("/api/questions")
async def list_questions(
    question_bank: NamedDependency[QuestionBank],
    settings: NamedDependency[Settings],
    role: RoleQuery = None,
    language: LanguageQuery = None,
) -> QuestionsResponse:
    """A role's questions (its own and the general ones); 400 for an unknown role or language."""
    questions = question_bank.questions(role, language or settings.default_language)
    return QuestionsResponse(questions=questions)


@get("/api/questions/random")
async def random_question(
    question_bank: NamedDependency[QuestionBank],
    settings: NamedDependency[Settings],
    store: NamedDependency[Store],
    profile_id: NamedDependency[str],
    role: RoleQuery = None,
    language: LanguageQuery = None,
) -> Question:
    """One question for the role that the profile has not been asked recently."""
    recent = await store.recent_question_ids(profile_id)
    return question_bank.pick(role, language or settings.default_language, exclude=recent)


ROUTE_HANDLERS = [list_roles, list_questions, random_question]
