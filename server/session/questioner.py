"""What the interviewer asks: the main questions of an interview and the follow-ups.

Offline, the main questions come from the bank (`plan_interview`: fresh ones first, competencies
mixed) and follow-ups from templates (`pick_followup`). With Gemini configured, questions for a
pasted job description and the wording of follow-ups come from Gemini; when it fails the person
gets an `error` event and the offline choice instead, and the interview goes on.
"""

from __future__ import annotations

import logging
import random
from typing import Literal, Protocol

import msgspec

from server import protocol
from server.errors import BadRequestError, FeedbackError
from server.interview.followups import Followup
from server.interview.lexicon import primary_language
from server.interview.planner import plan_interview
from server.interview.questions import GENERAL_ROLE, QuestionBank
from server.interview.types import Scores
from server.llm.interviewer import (
    FollowupRequest,
    GeneratedQuestion,
    QuestionsRequest,
)
from server.store import Store

log = logging.getLogger(__name__)

# How far back "asked recently" reaches when choosing questions.
RECENT_QUESTIONS = 50


class Interviewer(Protocol):
    """Writes interview questions and follow-ups (Gemini); raises `FeedbackError` on failure."""

    async def followup(self, request: FollowupRequest) -> str: ...

    async def questions(self, request: QuestionsRequest) -> list[GeneratedQuestion]: ...


class PlannedQuestion(msgspec.Struct, frozen=True):
    question_id: str | None  # None for a question written for this interview
    text: str
    role: str
    competencies: list[str]


class InterviewPlan(msgspec.Struct, frozen=True):
    role: str
    source: Literal["bank", "job_description"]
    questions: list[PlannedQuestion]


class WrittenFollowup(msgspec.Struct, frozen=True):
    text: str
    source: Literal["gemini", "offline"]


class Questioner:
    """Chooses questions for one profile's interviews; `interviewer` is None offline."""

    def __init__(
        self,
        *,
        question_bank: QuestionBank,
        store: Store,
        interviewer: Interviewer | None,
        rng: random.Random | None = None,
    ) -> None:
        self._bank = question_bank
        self._store = store
        self._interviewer = interviewer
        self._rng = rng or random.Random()

    async def plan(
        self,
        profile_id: str,
        options: protocol.InterviewStart,
        language: str,
        on_error: protocol.Emit,
    ) -> InterviewPlan:
        """The main questions. Raises `BadRequestError` for an unknown role, or a language with
        neither bank questions nor a job description Gemini could write questions from."""
        role = options.role or GENERAL_ROLE
        self._bank.questions(role)  # raises for an unknown role
        job_description = (options.job_description or "").strip()
        if job_description and self._interviewer is not None:
            written = await self._written_questions(
                self._interviewer,
                profile_id,
                role,
                language,
                job_description,
                options.questions,
                on_error,
            )
            if written is not None:
                return InterviewPlan(role, "job_description", written)
        if primary_language(language) not in self._bank.languages():
            known = ", ".join(self._bank.languages())
            raise BadRequestError(
                f"no interview questions in {language!r} yet (available: {known})",
                code="unknown_language",
            )
        recent = await self._store.recent_question_ids(profile_id, RECENT_QUESTIONS)
        chosen = plan_interview(self._bank, role, language, options.questions, recent, self._rng)
        planned = [PlannedQuestion(q.id, q.text, role, list(q.competencies)) for q in chosen]
        return InterviewPlan(role, "bank", planned)

    async def _written_questions(
        self,
        interviewer: Interviewer,
        profile_id: str,
        role: str,
        language: str,
        job_description: str,
        count: int,
        on_error: protocol.Emit,
    ) -> list[PlannedQuestion] | None:
        recent = await self._store.list_answers(profile_id, limit=RECENT_QUESTIONS)
        request = QuestionsRequest(
            role=role,
            language=language,
            job_description=job_description,
            count=count,
            avoid=list(dict.fromkeys(a.question_text for a in recent if a.question_text)),
        )
        try:
            written = await interviewer.questions(request)
        except Exception as exc:
            _report("question_generation_failed", "bank questions", exc, on_error)
            return None
        return [PlannedQuestion(None, q.text, role, list(q.competencies)) for q in written]

    async def followup(
        self,
        *,
        question: str,
        transcript: str,
        role: str,
        language: str,
        scores: Scores,
        offline: Followup,
        on_error: protocol.Emit,
    ) -> WrittenFollowup:
        """Gemini's follow-up on `offline.dimension` when configured, else (or when it fails)
        the offline template."""
        if self._interviewer is None:
            return WrittenFollowup(offline.text, "offline")
        request = FollowupRequest(
            question=question,
            transcript=transcript,
            role=role,
            language=language,
            scores=scores,
            weakest=offline.dimension,
        )
        try:
            return WrittenFollowup(await self._interviewer.followup(request), "gemini")
        except Exception as exc:
            _report("followup_failed", "a prepared follow-up", exc, on_error)
            return WrittenFollowup(offline.text, "offline")


def _report(code: str, instead: str, exc: Exception, on_error: protocol.Emit) -> None:
    if isinstance(exc, FeedbackError):
        message, retryable = exc.message, exc.retryable
        log.warning("%s: %s", code, exc.message)
    else:
        # A bug in the Gemini path must not stop the interview: log it, use the offline choice.
        log.exception("%s", code)
        message, retryable = f"Gemini failed ({type(exc).__name__})", False
    on_error(
        protocol.ErrorEvent(
            code=code, message=f"{message}; using {instead} instead", retryable=retryable
        )
    )
