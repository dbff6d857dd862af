"""A mock interview in one session: ask, listen, follow up, nudge, report.

The interviewer asks a question (`question.asked`); the answer starts at the person's first
speech after it and ends with `answer.end` or `silence_end_ms` of quiet after speaking (with an
`answer.countdown` first). Each answer is stored and given feedback by `AnswerFlow`; then the
interviewer may ask one follow-up on the answer's weakest dimension (Gemini writes it when a key
is set, else an offline template), and moves on. At the end (or `interview.end`, or a
disconnect) the report is built, stored and sent. Nothing answered is ever lost: an answer in
progress is stored before the report.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from server import protocol
from server.answer_flow import AnswerFlow, AskedQuestion
from server.errors import PodiumError
from server.interview.followups import pick_followup
from server.interview.live import AnswerWatch
from server.interview.nudges import Nudge, NudgeTracker
from server.interview.practice import PracticeOutcome
from server.interview.questioner import PlannedQuestion, Questioner
from server.interview.report import QuestionResult, build_report, question_result
from server.interview.types import Scores
from server.store import Store

log = logging.getLogger(__name__)

Emit = Callable[[protocol.ServerMessage], None]
EndReason = Literal["button", "silence", "interview_end", "disconnect"]
# Interviews the report's trend compares with.
TREND_INTERVIEWS = 3
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
class _Interview:
    id: str
    role: str
    source: Literal["bank", "job_description"]
    language: str
    options: protocol.InterviewStart
    plan: list[PlannedQuestion]
    silence_end_ms: int
    phase: Literal["waiting", "recording", "finishing", "done"] = "waiting"
    turn: _Turn | None = None
    watch: AnswerWatch | None = None  # while recording
    ending: bool = False
    asked_main: int = 0
    followups_asked: set[str] = field(default_factory=set)
    results: list[QuestionResult] = field(default_factory=list)


class InterviewFlow:
    """Handles `interview.start` / `interview.end` and drives one interview at a time."""

    def __init__(
        self,
        *,
        session_id: str,
        profile_id: str,
        language: str,
        answers: AnswerFlow,
        questioner: Questioner,
        store: Store,
        silence_end_ms: int,
        vad_end_ms: int,
        received_ms: Callable[[], int],
        send: Emit,
    ) -> None:
        self._session_id = session_id
        self._profile_id = profile_id
        self._language = "en" if language == "auto" else language
        self._answers = answers
        self._questioner = questioner
        self._store = store
        self._silence_end_ms = silence_end_ms
        self._vad_end_ms = vad_end_ms
        self._received_ms = received_ms
        self._send = send
        self._interview: _Interview | None = None
        self._starting = False
        self._end_requested: EndReason | None = None
        self.tasks: set[asyncio.Task[Any]] = set()

    @property
    def active(self) -> bool:
        """An interview is running or being prepared."""
        return self._interview is not None or self._starting

    def _error(self, code: str, message: str, *, retryable: bool = False) -> None:
        self._send(protocol.ErrorEvent(code=code, message=message, retryable=retryable))

    # --- client messages ---------------------------------------------------------------------

    def start(self, options: protocol.InterviewStart) -> None:
        """Prepare and start an interview in the background: choosing its questions may wait on
        Gemini, and the session keeps answering other messages meanwhile."""
        if self.active:
            self._error("interview_in_progress", "an interview is already running")
            return
        if self._answers.recording:
            self._error("answer_in_progress", "end the answer being recorded first")
            return
        self._starting = True
        self._spawn(self._start(options), "start")

    async def _start(self, options: protocol.InterviewStart) -> None:
        try:
            interview = await self._prepare(options)
        except PodiumError as exc:
            self._error(exc.code, exc.message)
            return
        except Exception:
            log.exception("session %s: starting an interview failed", self._session_id)
            self._error(
                "internal_error", "the interview could not start; try again", retryable=True
            )
            return
        finally:
            self._starting = False
        self._interview = interview
        self._send(
            protocol.InterviewStarted(
                interview_id=interview.id,
                role=interview.role,
                language=interview.language,
                questions=len(interview.plan),
                question_source=interview.source,
                followups=options.followups,
                nudges=options.nudges,
                silence_end_ms=interview.silence_end_ms,
            )
        )
        if self._end_requested is not None:  # ended (or left) while it was being prepared
            self.end(self._end_requested)
            return
        await self._step(interview, self._ask_next(interview))

    async def _prepare(self, options: protocol.InterviewStart) -> _Interview:
        plan = await self._questioner.plan(self._profile_id, options, self._language, self._send)
        interview_id = await self._store.create_interview(
            profile_id=self._profile_id,
            session_id=self._session_id,
            role=plan.role,
            language=self._language,
            planned_questions=len(plan.questions),
            question_source=plan.source,
            job_description=options.job_description,
        )
        silence_end_ms = (
            self._silence_end_ms if options.silence_end_ms is None else options.silence_end_ms
        )
        return _Interview(
            id=interview_id,
            role=plan.role,
            source=plan.source,
            language=self._language,
            options=options,
            plan=plan.questions,
            silence_end_ms=silence_end_ms,
        )

    def start_answer(self) -> None:
        """`answer.start` during an interview: record from now, speech or not."""
        interview = self._interview
        if interview is None or interview.phase != "waiting":
            self._error("answer_in_progress", "no question is waiting for an answer")
            return
        self._begin_answer(interview, self._received_ms(), speaking=False)

    def end_answer(self) -> None:
        """`answer.end` during an interview: the answer is done (or skipped, before speaking)."""
        interview = self._interview
        if interview is None or interview.phase not in ("waiting", "recording"):
            self._error("no_answer", "no answer is being recorded")
            return
        if interview.phase == "waiting":
            self._begin_answer(interview, self._received_ms(), speaking=False)
        self._end_answer(interview, "button")

    def end(self, reason: EndReason = "interview_end") -> None:
        """End the interview early; an answer being recorded is kept and reported."""
        interview = self._interview
        if interview is None:
            if self._starting:
                self._end_requested = reason
            elif reason == "interview_end":
                self._error("no_interview", "no interview is running")
            return
        self._end_requested = None
        interview.ending = True
        if interview.phase == "recording":
            self._end_answer(interview, reason)
        elif interview.phase == "waiting":
            interview.phase = "finishing"  # no answer may start before the report is out
            self._spawn(self._finish(interview), "finish")

    # --- what the transcription and the audio say ----------------------------------------------

    def observe(self, message: protocol.ServerMessage) -> None:
        """Follow the captions of the session: speech starting, partials, finals."""
        interview = self._interview
        if interview is None:
            return
        if isinstance(message, protocol.SpeechStarted):
            if interview.phase == "waiting":
                self._begin_answer(interview, message.audio_ms, speaking=True)
            elif interview.watch is not None and interview.watch.speech_started():
                self._send(protocol.AnswerResumed(interview_id=interview.id))
        elif interview.watch is not None and isinstance(
            message, protocol.TranscriptPartial | protocol.TranscriptFinal
        ):
            self._nudge(interview, interview.watch.caption(message, self._received_ms()))

    def on_audio(self, utterance_open: bool) -> None:
        """After each chunk of audio: the silence countdown and the time-based nudges."""
        interview = self._interview
        watch = interview.watch if interview is not None else None
        if interview is None or watch is None:
            return
        received_ms = self._received_ms()
        ends_in_ms = watch.audio(received_ms, utterance_open)
        if ends_in_ms is not None:
            self._send(protocol.AnswerCountdown(interview_id=interview.id, ends_in_ms=ends_in_ms))
        if watch.silence_over(received_ms):
            self._end_answer(interview, "silence")
            return
        self._nudge(interview, watch.nudges_due(received_ms, every_ms=NUDGE_CHECK_MS))

    # --- the interview's steps ---------------------------------------------------------------

    def _begin_answer(self, interview: _Interview, at_ms: int, *, speaking: bool) -> None:
        if not self._answers.start(at_ms):
            return
        interview.phase = "recording"
        interview.watch = AnswerWatch(
            start_ms=at_ms,
            silence_end_ms=interview.silence_end_ms,
            vad_end_ms=self._vad_end_ms,
            nudges=NudgeTracker(interview.language) if interview.options.nudges else None,
            speaking=speaking,
        )
        self._send(protocol.AnswerStarted(interview_id=interview.id, audio_ms=at_ms))

    def _end_answer(self, interview: _Interview, reason: EndReason) -> None:
        self._send(protocol.AnswerEnded(interview_id=interview.id, reason=reason))
        turn = interview.turn
        task = self._answers.end()
        interview.phase = "finishing"
        interview.watch = None
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

    async def _after_answer(
        self, interview: _Interview, turn: _Turn, task: asyncio.Task[PracticeOutcome]
    ) -> None:
        try:
            outcome: PracticeOutcome | None = await task
        except Exception:  # AnswerFlow logged it; the interview goes on without this row
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
            self._error(
                "internal_error",
                "the interview could not go on; it ended with what you answered",
                retryable=True,
            )
            interview.ending = True
            await self._finish(interview)

    async def _next_after(
        self, interview: _Interview, turn: _Turn, outcome: PracticeOutcome | None
    ) -> None:
        if outcome is not None:
            row = question_result(
                key=turn.key,
                question=turn.question.text,
                outcome=outcome,
                parent_key=turn.followup_of,
                language=interview.language,
            )
            interview.results.append(row)
            may_follow_up = not interview.ending and turn.followup_of is None
            if may_follow_up and await self._ask_followup(interview, turn, outcome, row.scores):
                return
        await self._ask_next(interview)

    async def _ask_followup(
        self, interview: _Interview, turn: _Turn, outcome: PracticeOutcome, scores: Scores
    ) -> bool:
        if not interview.options.followups or not outcome.transcript.strip():
            return False
        offline = pick_followup(
            scores, outcome.metrics, interview.language, exclude=interview.followups_asked
        )
        if offline is None:
            return False
        followup = await self._questioner.followup(
            question=turn.question.text,
            transcript=outcome.transcript,
            role=turn.question.role,
            language=interview.language,
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
        await self._ask(
            interview, _Turn(turn.number, f"{turn.key}/{offline.id}", question, turn.key)
        )
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
        await self._ask(interview, _Turn(number, planned.question_id or f"q{number}", question))
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

    async def _ask(self, interview: _Interview, turn: _Turn) -> None:
        await self._answers.ask(turn.question)
        interview.turn = turn
        interview.phase = "waiting"

    async def _finish(self, interview: _Interview) -> None:
        if interview.phase == "done":
            return
        interview.phase = "done"
        complete = not interview.ending and interview.asked_main >= len(interview.plan)
        status: Literal["completed", "ended_early"] = "completed" if complete else "ended_early"
        report: dict[str, Any] | None = None
        overall: float | None = None
        try:
            if interview.results:
                earlier = await self._store.earlier_interview_means(
                    self._profile_id, interview.id, TREND_INTERVIEWS
                )
                built = build_report(interview.results, earlier, interview.language)
                report, overall = msgspec.to_builtins(built), built.overall_mean
            await self._store.finish_interview(
                interview.id, status=status, report=report, overall_mean=overall
            )
        except Exception:
            log.exception("session %s: storing interview %s failed", self._session_id, interview.id)
            self._error(
                "storage_failed", "the interview report could not be stored", retryable=True
            )
        finally:
            self._interview = None
        self._send(
            protocol.InterviewReportEvent(interview_id=interview.id, status=status, report=report)
        )

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coro, name=f"session-{self._session_id}-interview-{name}")
        self.tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "session %s: interview task %s failed",
                self._session_id,
                task.get_name(),
                exc_info=task.exception(),
            )
