"""The interview answers of one session: the question asked, answers being recorded, storing them.

An answer covers the audio between `answer.start` and `answer.end`; it is stored once the finals of
the utterances it covers are in, so ending an answer mid-sentence keeps that sentence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from server import protocol
from server.interview.live import answer_word
from server.interview.practice import CompletedAnswer, PracticeOutcome, PracticeService
from server.interview.questions import GENERAL_ROLE, QuestionBank
from server.store import Store
from server.transcription import FinalUtterance, LiveTranscription

log = logging.getLogger(__name__)

Emit = Callable[[protocol.ServerMessage], None]
MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True, slots=True)
class AskedQuestion:
    """The question being answered; in a mock interview also where its answers belong."""

    question_id: str | None
    text: str
    role: str
    interview_id: str | None = None
    parent_answer_id: str | None = None
    followup_id: str | None = None


@dataclass(slots=True)
class _AnswerInProgress:
    start_ms: int
    question: AskedQuestion  # as asked when the answer started: a later question.set is the next
    end_ms: int | None = None
    finals: list[FinalUtterance] = field(default_factory=list)

    def covers(self, final: FinalUtterance) -> bool:
        started_before_end = self.end_ms is None or final.audio_start_ms < self.end_ms
        return final.audio_end_ms > self.start_ms and started_before_end


class AnswerFlow:
    """Handles `question.set`, `answer.start` and `answer.end` for one session."""

    def __init__(
        self,
        *,
        session_id: str,
        profile_id: str,
        language: str,
        live: LiveTranscription,
        question_bank: QuestionBank,
        store: Store,
        practice: PracticeService,
        model_name: str,
        send: Emit,
    ) -> None:
        self._session_id = session_id
        self._profile_id = profile_id
        self._language = language
        self._live = live
        self._question_bank = question_bank
        self._store = store
        self._practice = practice
        self._model_name = model_name
        self._send = send
        self._question: AskedQuestion | None = None
        self._answers: list[_AnswerInProgress] = []  # recording, or waiting for their last final
        self.finishing: set[asyncio.Task[Any]] = set()

    def _answer_language(self, answer: _AnswerInProgress) -> str:
        """The session's language; with `auto`, the one detected in the answer's speech."""
        if self._language != "auto":
            return self._language
        detected = next((f.language for f in answer.finals if f.text and f.language), None)
        return detected or "en"

    def _error(self, code: str, message: str) -> None:
        self._send(protocol.ErrorEvent(code=code, message=message))

    async def set_question(self, message: protocol.QuestionSet) -> None:
        role = message.role or GENERAL_ROLE
        if message.question_id is not None:
            bank_language = "en" if self._language == "auto" else self._language
            question = self._question_bank.get(message.question_id, bank_language)
            if question is None:
                self._error("unknown_question", f"no question with id {message.question_id!r}")
                return
            await self.ask(AskedQuestion(question.id, question.text, role))
        elif message.text and message.text.strip():
            self._question = AskedQuestion(None, message.text.strip()[:MAX_QUESTION_CHARS], role)
        else:
            self._error("bad_message", "question.set needs question_id or text")

    async def ask(self, question: AskedQuestion) -> None:
        """Set the question the next answers answer."""
        self._question = question
        # A bank question is remembered as asked, answered or not, so that picks avoid it.
        if question.question_id is not None:
            await self._store.record_question_asked(
                self._profile_id, self._session_id, question.question_id
            )

    @property
    def recording(self) -> bool:
        return self._recording is not None

    @property
    def _recording(self) -> _AnswerInProgress | None:
        return next((a for a in self._answers if a.end_ms is None), None)

    def start(self, at_ms: int | None = None) -> bool:
        """Start recording an answer at audio position `at_ms` (default: now); False if one is."""
        if self._recording is not None:
            self._error("answer_in_progress", "an answer is already being recorded")
            return False
        start_ms = self._live.received_ms if at_ms is None else at_ms
        question = self._question or AskedQuestion(None, "", GENERAL_ROLE)
        self._answers.append(_AnswerInProgress(start_ms=start_ms, question=question))
        return True

    def end(self) -> asyncio.Task[PracticeOutcome] | None:
        """Close the answer at the current audio position; an open utterance is finalised first.

        Returns the task storing it and streaming its feedback (None without an answer).
        """
        answer = self._recording
        if answer is None:
            self._error("no_answer", "answer.end without answer.start")
            return None
        answer.end_ms = self._live.received_ms
        self._live.end_utterance()
        task = asyncio.create_task(
            self._store_answer(answer), name=f"session-{self._session_id}-answer"
        )
        self.finishing.add(task)
        task.add_done_callback(self.finishing.discard)
        task.add_done_callback(self._answer_done)
        return task

    def on_final(self, final: FinalUtterance) -> None:
        for answer in self._answers:
            if answer.covers(final):
                answer.finals.append(final)

    def _answer_done(self, task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "session %s: storing an answer failed",
                self._session_id,
                exc_info=task.exception(),
            )

    async def _store_answer(self, answer: _AnswerInProgress) -> PracticeOutcome:
        await self._live.drain()
        self._answers.remove(answer)
        end_ms = answer.end_ms if answer.end_ms is not None else self._live.received_ms
        question = answer.question
        words = [answer_word(w, answer.start_ms) for final in answer.finals for w in final.words]
        completed = CompletedAnswer(
            profile_id=self._profile_id,
            session_id=self._session_id,
            question_id=question.question_id,
            question_text=question.text,
            role=question.role,
            language=self._answer_language(answer),
            words=words,
            transcript=" ".join(f.text for f in answer.finals if f.text),
            duration_s=max(0, end_ms - answer.start_ms) / 1000,
            model=self._model_name,
            interview_id=question.interview_id,
            parent_answer_id=question.parent_answer_id,
            followup_id=question.followup_id,
        )
        return await self._practice.complete_answer(completed, self._send)
