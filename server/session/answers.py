"""The answers of one session: the question asked, answers being recorded, handing them over.

An answer covers the audio between its start and its end; it is handed to the practice service
(stored, given feedback) once the finals of the utterances it covers are in, so ending an answer
mid-sentence keeps that sentence.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from server import protocol
from server.asr.events import FinalTranscript
from server.asr.stream import TranscriptStream
from server.interview.answer import Answer, AnswerOutcome, AskedQuestion
from server.interview.live import answer_word
from server.interview.questions import GENERAL_ROLE
from server.session.context import SessionContext

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000


@dataclass(slots=True)
class _Recording:
    start_ms: int
    question: AskedQuestion  # as asked when the answer started: a later question.set is the next
    end_ms: int | None = None
    finals: list[FinalTranscript] = field(default_factory=list)

    def covers(self, final: FinalTranscript) -> bool:
        started_before_end = self.end_ms is None or final.audio_start_ms < self.end_ms
        return final.audio_end_ms > self.start_ms and started_before_end


class AnswerFlow:
    """`question.set`, `answer.start` and `answer.end` of one session (and of its interview)."""

    def __init__(self, context: SessionContext, stream: TranscriptStream) -> None:
        self._context = context
        self._stream = stream
        self._question: AskedQuestion | None = None
        self._recordings: list[_Recording] = []  # recording, or waiting for their last final

    async def set_question(self, message: protocol.QuestionSet) -> None:
        role = message.role or GENERAL_ROLE
        if message.question_id is not None:
            bank = self._context.services.question_bank
            question = bank.get(message.question_id, self._context.language.for_questions)
            if question is None:
                self._context.error(
                    "unknown_question", f"no question with id {message.question_id!r}"
                )
                return
            await self.ask(AskedQuestion(question.id, question.text, role))
        elif message.text and message.text.strip():
            self._question = AskedQuestion(None, message.text.strip()[:MAX_QUESTION_CHARS], role)
        else:
            self._context.error("bad_message", "question.set needs question_id or text")

    async def ask(self, question: AskedQuestion) -> None:
        """Set the question the next answers answer."""
        self._question = question
        if question.question_id is None:
            return
        # A bank question is remembered as asked, answered or not, so that picks avoid it. Only
        # a hint for later picks: a database failure must not stop the practice.
        context = self._context
        try:
            await context.services.store.record_question_asked(
                context.profile_id, context.session_id, question.question_id
            )
        except Exception as exc:
            log.warning(
                "session %s: could not record a question asked (%s)", context.session_id, exc
            )

    @property
    def recording(self) -> bool:
        return self._recording is not None

    @property
    def _recording(self) -> _Recording | None:
        return next((r for r in self._recordings if r.end_ms is None), None)

    def start(self, at_ms: int | None = None) -> bool:
        """Start recording an answer at audio position `at_ms` (default: now); False if one is."""
        if self._recording is not None:
            self._context.error("answer_in_progress", "an answer is already being recorded")
            return False
        start_ms = self._stream.received_ms if at_ms is None else at_ms
        question = self._question or AskedQuestion(None, "", GENERAL_ROLE)
        self._recordings.append(_Recording(start_ms=start_ms, question=question))
        return True

    def end(self) -> asyncio.Task[AnswerOutcome] | None:
        """Close the answer at the current audio position; an open utterance is finalised first.

        Returns the task handing it over (stored, feedback streamed); None without an answer.
        """
        recording = self._recording
        if recording is None:
            self._context.error("no_answer", "answer.end without answer.start")
            return None
        recording.end_ms = self._stream.received_ms
        self._stream.end_utterance()
        return self._context.work.spawn(self._hand_over(recording), "answer")

    def on_final(self, final: FinalTranscript) -> None:
        for recording in self._recordings:
            if recording.covers(final):
                recording.finals.append(final)

    async def _hand_over(self, recording: _Recording) -> AnswerOutcome:
        await self._stream.drain()
        self._recordings.remove(recording)
        services = self._context.services
        return await services.practice.complete_answer(self._answer(recording), self._context.send)

    def _answer(self, recording: _Recording) -> Answer:
        context = self._context
        end_ms = recording.end_ms if recording.end_ms is not None else self._stream.received_ms
        finals = recording.finals
        detected = next((f.language for f in finals if f.text and f.language), None)
        return Answer(
            **{name: getattr(recording.question, name) for name in AskedQuestion.__struct_fields__},
            id=uuid.uuid4().hex,
            profile_id=context.profile_id,
            session_id=context.session_id,
            language=context.language.of_answer(detected),
            transcript=" ".join(f.text for f in finals if f.text),
            words=[answer_word(w, recording.start_ms) for f in finals for w in f.words],
            duration_s=max(0, end_ms - recording.start_ms) / 1000,
            model=context.model_name,
            created_at=datetime.now(UTC).isoformat(),
        )
