"""A mock interview in one session: ask, listen, follow up, nudge, report.

The interviewer asks a question (`question.asked`); the answer starts at the person's first
speech after it and ends with `answer.end` or `silence_end_ms` of quiet after speaking (with an
`answer.countdown` first). Each answer is stored and given feedback by `AnswerFlow`; then the
interviewer may ask one follow-up on the answer's weakest dimension (Gemini writes it when a key
is set, else an offline template), and moves on. At the end (or `interview.end`, or a
disconnect) the report is built, stored and sent. Nothing answered is ever lost: an answer in
progress is stored before the report. The phases and their moves are in `interview_phases`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from server import protocol
from server.asr.events import FinalTranscript, PartialTranscript, SpeechStarted
from server.errors import PodiumError
from server.interview.answer import AnswerOutcome, AskedQuestion
from server.interview.followups import pick_followup
from server.interview.live import AnswerWatch
from server.interview.nudges import Nudge, NudgeTracker
from server.interview.report import QuestionResult, build_report, question_result
from server.interview.rubric import analyse
from server.interview.types import Scores
from server.session.answers import AnswerFlow
from server.session.context import SessionContext
from server.session.interview_phases import InterviewPhases, Move, Phase
from server.session.leases import lease_from_now
from server.session.questioner import PlannedQuestion
from server.session.reporting import store_report

log = logging.getLogger(__name__)

EndReason = Literal["button", "silence", "interview_end", "disconnect"]
# Audio between two checks for nudges that need no new words (a long answer).
NUDGE_CHECK_MS = 1000


@dataclass(slots=True)
class _Turn:
    """One question put to the person: a main question or a follow-up to main question `number`."""

    number: int
    key: str  # the row's id in the report (a follow-up's row points at its parent's key)
    question: AskedQuestion
    followup_of: str | None = None


@dataclass(slots=True)
class _Preparation:
    """An interview being prepared; an end asked for meanwhile is kept here, so that it goes
    with this interview (and is forgotten if the preparation fails)."""

    options: protocol.InterviewStart
    end_reason: EndReason | None = None


@dataclass(slots=True)
class _Interview:
    id: str
    role: str
    source: Literal["bank", "job_description"]
    options: protocol.InterviewStart
    plan: list[PlannedQuestion]
    silence_end_ms: int
    ending: bool = False  # asked to end: no further question, the report comes next
    turn: _Turn | None = None
    watch: AnswerWatch | None = None  # while recording
    asked_main: int = 0
    followups_asked: set[str] = field(default_factory=set)
    results: list[QuestionResult] = field(default_factory=list)


class InterviewFlow:
    """Handles `interview.start` / `interview.end` and drives one interview at a time."""

    def __init__(self, context: SessionContext, answers: AnswerFlow) -> None:
        self._context = context
        self._answers = answers
        self._language = context.language.for_questions
        self._phases = InterviewPhases()
        self._preparation: _Preparation | None = None
        self._interview: _Interview | None = None
        self._received_ms = 0

    @property
    def active(self) -> bool:
        """An interview is running or being prepared."""
        return self._phases.phase is not Phase.IDLE

    def _send(self, message: protocol.ServerMessage) -> None:
        self._context.send(message)

    # --- client messages ---------------------------------------------------------------------

    def start(self, options: protocol.InterviewStart) -> None:
        """Prepare and start an interview in the background: choosing its questions may wait on
        Gemini, and the session keeps answering other messages meanwhile."""
        if self.active:
            self._context.error("interview_in_progress", "an interview is already running")
            return
        if self._answers.recording:
            self._context.error("answer_in_progress", "end the answer being recorded first")
            return
        self._phases.move(Move.START)
        self._preparation = _Preparation(options)
        self._spawn(self._prepare(self._preparation), "prepare")

    def start_answer(self) -> None:
        """`answer.start` during an interview: record from now, speech or not."""
        interview = self._interview
        if interview is None or self._phases.phase is not Phase.WAITING:
            self._context.error("answer_in_progress", "no question is waiting for an answer")
            return
        self._begin_answer(interview, self._received_ms, speaking=False)

    def end_answer(self) -> None:
        """`answer.end` during an interview: the answer is done (or skipped, before speaking)."""
        interview = self._interview
        if interview is None or self._phases.phase not in (Phase.WAITING, Phase.RECORDING):
            self._context.error("no_answer", "no answer is being recorded")
            return
        if self._phases.phase is Phase.WAITING and not self._begin_answer(
            interview, self._received_ms, speaking=False
        ):
            return
        self._end_answer(interview, "button")

    def end(self, reason: EndReason = "interview_end") -> None:
        """End the interview early; an answer being recorded is kept and reported."""
        match self._phases.phase:
            case Phase.IDLE:
                if reason == "interview_end":
                    self._context.error("no_interview", "no interview is running")
            case Phase.PREPARING if self._preparation is not None:
                self._preparation.end_reason = reason
            case Phase.RECORDING if self._interview is not None:
                self._interview.ending = True
                self._end_answer(self._interview, reason)
            case Phase.WAITING if self._interview is not None:
                # At once: no answer may start before the report is out.
                self._interview.ending = True
                self._phases.move(Move.FINISH)
                self._spawn(self._report(self._interview), "report")
            case Phase.ASKING if self._interview is not None:
                self._interview.ending = True  # the step under way finishes it
            case _:
                pass  # already reporting

    # --- what the transcription and the audio say ----------------------------------------------

    def on_speech_started(self, event: SpeechStarted) -> None:
        interview = self._interview
        if interview is None:
            return
        if self._phases.phase is Phase.WAITING:
            self._begin_answer(interview, event.audio_ms, speaking=True)
        elif interview.watch is not None and interview.watch.speech_started():
            self._send(protocol.AnswerResumed(interview_id=interview.id))

    def on_partial(self, event: PartialTranscript) -> None:
        interview = self._interview
        if interview is not None and interview.watch is not None:
            nudges = interview.watch.partial(
                event.text, event.audio_start_ms, event.audio_end_ms, self._received_ms
            )
            self._nudge(interview, nudges)

    def on_final(self, event: FinalTranscript) -> None:
        interview = self._interview
        if interview is not None and interview.watch is not None:
            self._nudge(interview, interview.watch.final(event.words, self._received_ms))

    def on_audio(self, received_ms: int, utterance_open: bool) -> None:
        """After each chunk of audio: the silence countdown and the time-based nudges."""
        self._received_ms = received_ms
        interview = self._interview
        watch = interview.watch if interview is not None else None
        if interview is None or watch is None:
            return
        ends_in_ms = watch.audio(received_ms, utterance_open)
        if ends_in_ms is not None:
            self._send(protocol.AnswerCountdown(interview_id=interview.id, ends_in_ms=ends_in_ms))
        if watch.silence_over(received_ms):
            self._end_answer(interview, "silence")
            return
        self._nudge(interview, watch.nudges_due(received_ms, every_ms=NUDGE_CHECK_MS))

    # --- preparing ---------------------------------------------------------------------------

    async def _prepare(self, preparation: _Preparation) -> None:
        try:
            interview = await self._prepared(preparation.options)
        except Exception as exc:
            self._preparation = None
            self._phases.move(Move.PREPARATION_FAILED)
            if isinstance(exc, PodiumError):
                self._context.error(exc.code, exc.message)
            else:
                log.exception("session %s: preparing an interview failed", self._session_id)
                self._context.error(
                    "internal_error", "the interview could not start; try again", retryable=True
                )
            return
        self._preparation = None
        interview.ending = preparation.end_reason is not None  # ended while being prepared
        self._interview = interview
        self._phases.move(Move.PREPARED)
        self._send(
            protocol.InterviewStarted(
                interview_id=interview.id,
                role=interview.role,
                language=self._language,
                questions=len(interview.plan),
                question_source=interview.source,
                followups=interview.options.followups,
                nudges=interview.options.nudges,
                silence_end_ms=interview.silence_end_ms,
            )
        )
        await self._step(interview, self._ask_next(interview))

    async def _prepared(self, options: protocol.InterviewStart) -> _Interview:
        services = self._context.services
        plan = await services.questioner.plan(
            self._context.profile_id, options, self._language, self._send
        )
        interview_id = await services.store.create_interview(
            profile_id=self._context.profile_id,
            session_id=self._context.session_id,
            role=plan.role,
            language=self._language,
            planned_questions=len(plan.questions),
            question_source=plan.source,
            job_description=options.job_description,
            lease_until=lease_from_now(),
        )
        default_silence_ms = services.settings.interview_silence_ms
        return _Interview(
            id=interview_id,
            role=plan.role,
            source=plan.source,
            options=options,
            plan=plan.questions,
            silence_end_ms=default_silence_ms
            if options.silence_end_ms is None
            else options.silence_end_ms,
        )

    # --- answers -----------------------------------------------------------------------------

    def _begin_answer(self, interview: _Interview, at_ms: int, *, speaking: bool) -> bool:
        if not self._answers.start(at_ms):
            return False
        self._phases.move(Move.ANSWER_STARTED)
        settings = self._context.services.settings
        interview.watch = AnswerWatch(
            start_ms=at_ms,
            silence_end_ms=interview.silence_end_ms,
            vad_end_ms=settings.vad_end_ms,
            nudges=NudgeTracker(self._language) if interview.options.nudges else None,
            speaking=speaking,
        )
        self._send(protocol.AnswerStarted(interview_id=interview.id, audio_ms=at_ms))
        return True

    def _end_answer(self, interview: _Interview, reason: EndReason) -> None:
        self._send(protocol.AnswerEnded(interview_id=interview.id, reason=reason))
        self._phases.move(Move.ANSWER_ENDED)
        interview.watch = None
        task = self._answers.end()
        turn = interview.turn
        if task is None or turn is None:
            self._spawn(self._finish(interview), "finish")
            return
        self._spawn(self._after_answer(interview, turn, task), "after-answer")

    def _nudge(self, interview: _Interview, nudges: list[Nudge]) -> None:
        for nudge in nudges:
            self._send(
                protocol.NudgeEvent(
                    kind=nudge.kind,
                    detail=nudge.detail,
                    at_ms=round(nudge.at_s * 1000),
                    interview_id=interview.id,
                )
            )

    # --- between questions (phase ASKING) ------------------------------------------------------

    async def _after_answer(
        self, interview: _Interview, turn: _Turn, task: asyncio.Task[AnswerOutcome]
    ) -> None:
        try:
            outcome: AnswerOutcome | None = await task
        except Exception:  # the task's owner logged it; the interview goes on without this row
            outcome = None
        await self._step(interview, self._next_after(interview, turn, outcome))

    async def _step(self, interview: _Interview, step: Coroutine[Any, Any, None]) -> None:
        """Take the interview's next step; if that fails, end it with what was answered."""
        try:
            await step
        except Exception:
            log.exception(
                "session %s: interview %s could not go on", self._session_id, interview.id
            )
            self._context.error(
                "internal_error",
                "the interview could not go on; it ended with what you answered",
                retryable=True,
            )
            interview.ending = True
            await self._finish(interview)

    async def _next_after(
        self, interview: _Interview, turn: _Turn, outcome: AnswerOutcome | None
    ) -> None:
        if outcome is not None:
            row = question_result(
                key=turn.key,
                question=turn.question.question_text,
                outcome=outcome,
                parent_key=turn.followup_of,
                language=self._language,
                earlier=interview.results,
            )
            interview.results.append(row)
            may_follow_up = not interview.ending and turn.followup_of is None
            if may_follow_up and await self._ask_followup(interview, turn, outcome, row.scores):
                return
        await self._ask_next(interview)

    async def _ask_followup(
        self, interview: _Interview, turn: _Turn, outcome: AnswerOutcome, scores: Scores
    ) -> bool:
        if not interview.options.followups or not outcome.transcript.strip():
            return False
        stated = analyse(turn.question.question_text, outcome.transcript, outcome.metrics)
        offline = pick_followup(
            scores,
            outcome.metrics,
            self._language,
            exclude=interview.followups_asked,
            result_stated=stated.evidence.result_quote is not None,
        )
        if offline is None:
            return False
        followup = await self._context.services.questioner.followup(
            question=turn.question.question_text,
            transcript=outcome.transcript,
            role=turn.question.role,
            language=self._language,
            scores=scores,
            offline=offline,
            on_error=self._send,
        )
        if interview.ending:
            return False
        interview.followups_asked.add(offline.id)
        question = AskedQuestion(
            None,
            followup.text,
            turn.question.role,
            interview_id=interview.id,
            parent_answer_id=outcome.answer_id,
            followup_id=offline.id,
        )
        followup_turn = _Turn(turn.number, f"{turn.key}/{offline.id}", question, turn.key)
        if not await self._ask(interview, followup_turn):
            return True
        self._send(
            protocol.FollowupAsked(
                interview_id=interview.id,
                number=turn.number,
                parent_answer_id=outcome.answer_id,
                followup_id=offline.id,
                text=followup.text,
                dimension=offline.dimension,
                source=followup.source,
            )
        )
        return True

    async def _ask_next(self, interview: _Interview) -> None:
        if interview.ending or interview.asked_main >= len(interview.plan):
            await self._finish(interview)
            return
        planned = interview.plan[interview.asked_main]
        interview.asked_main += 1
        number = interview.asked_main
        question = AskedQuestion(
            planned.question_id, planned.text, planned.role, interview_id=interview.id
        )
        if not await self._ask(
            interview, _Turn(number, planned.question_id or f"q{number}", question)
        ):
            return
        self._send(
            protocol.QuestionAsked(
                interview_id=interview.id,
                number=number,
                total=len(interview.plan),
                question_id=planned.question_id,
                text=planned.text,
                competencies=planned.competencies,
            )
        )

    async def _ask(self, interview: _Interview, turn: _Turn) -> bool:
        """Put `turn` to the person; False if the interview ended meanwhile (then reported)."""
        await self._answers.ask(turn.question)
        if interview.ending:
            await self._finish(interview)
            return False
        interview.turn = turn
        self._phases.move(Move.ASKED)
        return True

    # --- the report --------------------------------------------------------------------------

    async def _finish(self, interview: _Interview) -> None:
        """Report, unless an answer is being recorded (it reports when handed over) or the
        report is already under way."""
        if not self._phases.can(Move.FINISH):
            return
        self._phases.move(Move.FINISH)
        await self._report(interview)

    async def _report(self, interview: _Interview) -> None:
        complete = not interview.ending and interview.asked_main >= len(interview.plan)
        status: Literal["completed", "ended_early"] = "completed" if complete else "ended_early"
        report: dict[str, Any] | None = None
        try:
            report = await store_report(
                self._context.services.store,
                profile_id=self._context.profile_id,
                interview_id=interview.id,
                results=interview.results,
                language=self._language,
                status=status,
            )
        except Exception:
            log.exception("session %s: storing interview %s failed", self._session_id, interview.id)
            self._context.error(
                "storage_failed", "the interview report could not be stored", retryable=True
            )
            # Still sent: the report of what was answered, unstored.
            report = _unstored_report(interview.results, self._language)
        finally:
            self._interview = None
            self._phases.move(Move.REPORTED)
        self._send(
            protocol.InterviewReportEvent(interview_id=interview.id, status=status, report=report)
        )

    @property
    def interview_id(self) -> str | None:
        """The interview running now (for its lease), if any."""
        return None if self._interview is None else self._interview.id

    @property
    def _session_id(self) -> str:
        return self._context.session_id

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self._context.work.spawn(coro, f"interview-{name}")


def _unstored_report(results: list[QuestionResult], language: str) -> dict[str, Any] | None:
    """The report without the trend (the database, which holds earlier interviews, failed)."""
    if not results:
        return None
    return msgspec.to_builtins(build_report(results, [], language))
