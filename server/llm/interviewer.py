"""The mock interviewer's Gemini calls: a follow-up on an answer, main questions from a job advert.

Each is one non-streamed call whose reply is JSON constrained by a schema derived from the
msgspec type that decodes it (like the feedback's scores). Replies are checked before use: a
follow-up is one question of at most `MAX_FOLLOWUP_CHARS`; questions are at most
`MAX_QUESTION_CHARS`, tagged with known competencies, not repeats of `avoid`, and exactly as many
as asked for. Every failure (HTTP, timeout, blocked, unusable reply) is a `FeedbackError`, so the
caller falls back to the offline follow-up or the question bank.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, TypeVar

import msgspec
from google.genai import types

from server.config import Settings
from server.errors import FeedbackError
from server.interview.questions import COMPETENCIES
from server.interview.types import Scores
from server.llm.client import GeminiClient, json_config
from server.llm.prompts import (
    FOLLOWUP_INSTRUCTION,
    MAX_COMPETENCIES,
    MAX_FOLLOWUP_CHARS,
    MAX_QUESTION_CHARS,
    QUESTIONS_INSTRUCTION,
    build_followup_prompt,
    build_questions_prompt,
    inlined_schema,
)

log = logging.getLogger(__name__)

_Reply = TypeVar("_Reply", bound=msgspec.Struct)


class FollowupRequest(msgspec.Struct, frozen=True):
    """An answer to follow up on; `weakest` is the rubric dimension the offline picker would
    probe (a hint for the prompt)."""

    question: str
    transcript: str
    role: str
    language: str
    scores: Scores
    weakest: str


class QuestionsRequest(msgspec.Struct, frozen=True):
    """What to write `count` main questions for; `avoid` holds texts asked recently."""

    role: str
    language: str
    job_description: str
    count: int
    avoid: list[str] = msgspec.field(default_factory=list)


class GeneratedQuestion(msgspec.Struct, frozen=True):
    """A main question Gemini wrote, with 1-3 competencies of the question bank."""

    text: str
    competencies: list[str]


class FollowupReply(msgspec.Struct, frozen=True):
    """Gemini's reply to the follow-up call (its schema is derived from this type)."""

    question: str


class QuestionsReply(msgspec.Struct, frozen=True):
    """Gemini's reply to the questions call (its schema is derived from this type)."""

    questions: list[GeneratedQuestion]


class GeminiInterviewer:
    """Writes follow-ups and job-description questions with Gemini. Close with `aclose()`."""

    name = "gemini"

    def __init__(self, settings: Settings, *, retry: types.HttpRetryOptions | None = None) -> None:
        self._gemini = GeminiClient(settings, retry=retry)
        self.model = self._gemini.model
        self._followup_config = json_config(FOLLOWUP_INSTRUCTION, followup_json_schema())

    def __repr__(self) -> str:
        return f"GeminiInterviewer(model={self.model!r})"

    async def aclose(self) -> None:
        """Close the SDK's connection pools."""
        await self._gemini.aclose()

    async def followup(self, request: FollowupRequest) -> str:
        """One follow-up question on the answer, within `gemini_timeout_s`.

        Raises `FeedbackError`.
        """
        text = await self._gemini.generate_json(
            build_followup_prompt(request),
            self._followup_config,
            deadline=self._gemini.deadline(),
            call="follow-up",
            refusal="Gemini declined to write a follow-up to this answer",
        )
        return decode_followup(text)

    async def questions(self, request: QuestionsRequest) -> list[GeneratedQuestion]:
        """Exactly `request.count` questions for the role and job, within `gemini_timeout_s`.

        Raises `FeedbackError`, or `ValueError` for a count below 1.
        """
        if request.count < 1:
            raise ValueError(f"an interview needs at least one question, not {request.count}")
        text = await self._gemini.generate_json(
            build_questions_prompt(request),
            json_config(QUESTIONS_INSTRUCTION, questions_json_schema(request.count)),
            deadline=self._gemini.deadline(),
            call="questions",
            refusal="Gemini declined to write questions for this job description",
        )
        return decode_questions(text, request.count, request.avoid)


def followup_json_schema() -> dict[str, Any]:
    """The JSON schema of `FollowupReply`, with the length limit as a hint."""
    schema = inlined_schema(FollowupReply)
    schema["description"] = "One follow-up question on the candidate's answer"
    schema["properties"]["question"]["description"] = (
        f"The question as it is asked, at most {MAX_FOLLOWUP_CHARS} characters"
    )
    return schema


def questions_json_schema(count: int) -> dict[str, Any]:
    """The JSON schema of `QuestionsReply` for exactly `count` questions."""
    schema = inlined_schema(QuestionsReply)
    schema["description"] = f"The {count} main questions of a mock interview"
    questions = schema["properties"]["questions"]
    questions.update(minItems=count, maxItems=count)
    questions["items"]["description"] = "One main question and what it assesses"
    item = questions["items"]["properties"]
    item["text"]["description"] = (
        f"The question as it is asked, at most {MAX_QUESTION_CHARS} characters"
    )
    item["competencies"].update(
        minItems=1,
        maxItems=MAX_COMPETENCIES,
        description="What the question assesses, the most central first",
    )
    item["competencies"]["items"]["enum"] = sorted(COMPETENCIES)
    return schema


def decode_followup(text: str) -> str:
    """The follow-up in Gemini's reply, on one line. Raises `FeedbackError` if unusable."""
    reply = _decode(text, FollowupReply, "follow-up")
    question = _one_line(reply.question)
    # One question: two question marks mean two questions ("¿...?" counts once).
    if not 0 < len(question) <= MAX_FOLLOWUP_CHARS or _question_marks(question) > 1:
        raise _unusable("follow-up", "Gemini wrote a follow-up we could not use")
    return question


def decode_questions(text: str, count: int, avoid: Iterable[str] = ()) -> list[GeneratedQuestion]:
    """The first `count` usable questions in Gemini's reply. Raises `FeedbackError` if fewer.

    Unusable ones are skipped: empty or too long, no known competency, or a repeat (of another
    one or of `avoid`, ignoring case and spacing).
    """
    reply = _decode(text, QuestionsReply, "questions")
    seen = {_one_line(asked).casefold() for asked in avoid}
    usable: list[GeneratedQuestion] = []
    for raw in reply.questions:
        question = _checked_question(raw)
        if question is None or question.text.casefold() in seen:
            continue
        seen.add(question.text.casefold())
        usable.append(question)
    if len(usable) < count:
        raise _unusable(
            "questions", f"Gemini wrote {len(usable)} usable questions of the {count} asked for"
        )
    return usable[:count]


def _checked_question(raw: GeneratedQuestion) -> GeneratedQuestion | None:
    text = _one_line(raw.text)
    competencies: list[str] = []
    for name in raw.competencies:
        known = name.strip().lower()
        if known in COMPETENCIES and known not in competencies:
            competencies.append(known)
    if not 0 < len(text) <= MAX_QUESTION_CHARS or not competencies:
        return None
    return GeneratedQuestion(text=text, competencies=competencies[:MAX_COMPETENCIES])


def _decode(text: str, reply_type: type[_Reply], call: str) -> _Reply:
    try:
        return msgspec.json.decode(text.encode(), type=reply_type)
    except msgspec.DecodeError:
        raise _unusable(call, f"Gemini's {call} reply could not be read") from None


def _unusable(call: str, message: str) -> FeedbackError:
    # The reply itself is never logged: it may quote the job description or the answer.
    log.warning("Gemini %s call failed: gemini_bad_output", call)
    return FeedbackError(message, code="gemini_bad_output", retryable=True)


def _one_line(text: str) -> str:
    """The text stripped, with runs of whitespace (newlines too) as one space."""
    return " ".join(text.split())


def _question_marks(text: str) -> int:
    return text.count("?") + text.count("？")
