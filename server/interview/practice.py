"""The answer flow: metrics, store the answer, stream feedback (falling back), store feedback."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import msgspec

from server.config import Settings
from server.errors import FeedbackError
from server.interview.lexicon import primary_language
from server.interview.metrics import DeliveryMetrics, compute_metrics, usual_pace
from server.interview.rubric import RUBRIC_VERSION
from server.interview.types import (
    AnswerWord,
    FeedbackChunk,
    FeedbackProvider,
    FeedbackRequest,
    FeedbackResult,
)
from server.protocol import AnswerSaved, ErrorEvent, FeedbackDelta, FeedbackDone, ServerMessage
from server.store import Store

log = logging.getLogger(__name__)

HISTORY_LIMIT = 5
# Recent answers whose pace makes the speaker's own baseline (languages with no pace norm).
BASELINE_ANSWERS = 20

Emit = Callable[[ServerMessage], None]


class CompletedAnswer(msgspec.Struct, frozen=True):
    """A finished answer as the session hands it over: transcript and word timings, no audio."""

    profile_id: str
    session_id: str
    question_id: str | None
    question_text: str
    role: str
    language: str
    words: list[AnswerWord]
    transcript: str
    duration_s: float
    model: str
    # In a mock interview: the interview, and for a follow-up its parent answer and template.
    interview_id: str | None = None
    parent_answer_id: str | None = None
    followup_id: str | None = None


class PracticeOutcome(msgspec.Struct, frozen=True):
    """What became of a completed answer: its id, metrics, and the feedback (None if every
    provider failed)."""

    answer_id: str
    transcript: str
    metrics: DeliveryMetrics
    feedback: FeedbackResult | None


class _Timing:
    """Seconds from the answer being stored to the first feedback chunk and to the end."""

    def __init__(self) -> None:
        self.stored_at = time.perf_counter()
        self.first_chunk_s: float | None = None

    def chunk(self) -> None:
        if self.first_chunk_s is None:
            self.first_chunk_s = self.elapsed()

    def elapsed(self) -> float:
        return time.perf_counter() - self.stored_at


class PracticeService:
    """Turns a completed answer into stored data and streamed feedback.

    The answer is stored before any feedback is asked for, so a failing or slow provider never
    loses it. A provider that fails, or takes longer than `settings.gemini_timeout_s` in all,
    is replaced by `fallback` (the offline coach); the client gets an `error` event with code
    "feedback_failed" and should drop the deltas it had: `feedback.done` carries the whole text.
    """

    def __init__(
        self,
        *,
        store: Store,
        feedback: FeedbackProvider,
        fallback: FeedbackProvider,
        settings: Settings,
    ) -> None:
        self._store = store
        self._feedback = feedback
        self._fallback = fallback
        self._settings = settings

    async def _usual_pace(self, profile_id: str, language: str) -> float | None:
        """The speaker's usual words per minute in this language, from their recent answers."""
        recent = await self._store.list_answers(profile_id, limit=BASELINE_ANSWERS)
        earlier: list[DeliveryMetrics] = []
        for stored in recent:
            if primary_language(stored.language) != primary_language(language):
                continue
            try:
                earlier.append(msgspec.convert(stored.metrics, DeliveryMetrics))
            except msgspec.ValidationError:
                continue  # metrics stored by an older version: no pace to learn from
        return usual_pace(earlier)

    async def complete_answer(self, answer: CompletedAnswer, emit: Emit) -> PracticeOutcome:
        """Store the answer and stream its feedback through `emit`."""
        metrics = compute_metrics(
            answer.words,
            duration_s=answer.duration_s,
            language=answer.language,
            long_pause_s=self._settings.long_pause_s,
            baseline_wpm=await self._usual_pace(answer.profile_id, answer.language),
        )
        metrics_data = msgspec.to_builtins(metrics)
        # Read before saving, so the history holds only earlier answers.
        history = await self._store.history(
            answer.profile_id,
            answer.question_id or answer.question_text,
            HISTORY_LIMIT,
            rubric_version=RUBRIC_VERSION,
        )
        stored = await self._store.save_answer(
            profile_id=answer.profile_id,
            session_id=answer.session_id,
            question_id=answer.question_id,
            question_text=answer.question_text,
            role=answer.role,
            language=answer.language,
            transcript=answer.transcript,
            words=answer.words,
            metrics=metrics_data,
            duration_s=answer.duration_s,
            model=answer.model,
            interview_id=answer.interview_id,
            parent_answer_id=answer.parent_answer_id,
            followup_id=answer.followup_id,
        )
        timing = _Timing()
        emit(AnswerSaved(answer_id=stored.id, transcript=stored.transcript, metrics=metrics_data))
        request = FeedbackRequest(
            question=answer.question_text,
            role=answer.role,
            language=answer.language,
            transcript=answer.transcript,
            metrics=metrics_data,
            history=history,
        )
        result = await self._feedback_with_fallback(stored.id, request, emit, timing)
        outcome = PracticeOutcome(stored.id, stored.transcript, metrics, result)
        if result is None:
            return outcome
        await self._store.save_feedback(
            stored.id, result, latency_s=timing.elapsed(), first_chunk_s=timing.first_chunk_s
        )
        log.info(
            "feedback on answer %s by %s: first chunk %s s, done %.2f s",
            stored.id,
            result.provider,
            "-" if timing.first_chunk_s is None else f"{timing.first_chunk_s:.2f}",
            timing.elapsed(),
        )
        emit(
            FeedbackDone(
                answer_id=stored.id,
                text=result.text,
                scores=msgspec.to_builtins(result.scores),
                overall=result.overall,
                provider=result.provider,
                model=result.model,
            )
        )
        return outcome

    async def _feedback_with_fallback(
        self, answer_id: str, request: FeedbackRequest, emit: Emit, timing: _Timing
    ) -> FeedbackResult | None:
        providers = [self._feedback, self._fallback]
        for index, provider in enumerate(providers):
            try:
                return await self._stream(provider, answer_id, request, emit, timing)
            except TimeoutError:
                error = FeedbackError(f"{provider.name} feedback timed out", retryable=True)
                log.warning("feedback provider %s timed out", provider.name)
            except FeedbackError as exc:
                error = exc
                log.warning("feedback provider %s failed: %s", provider.name, exc.message)
            except Exception as exc:
                # A provider bug must not cost the person their feedback: log it, fall back.
                log.exception("feedback provider %s failed", provider.name)
                error = FeedbackError(f"{provider.name} feedback failed: {type(exc).__name__}")
            last = index == len(providers) - 1
            emit(
                ErrorEvent(
                    code="feedback_failed",
                    message=error.message
                    if last
                    else f"{error.message}; using {self._fallback.name} feedback instead",
                    retryable=error.retryable,
                )
            )
        return None

    async def _stream(
        self,
        provider: FeedbackProvider,
        answer_id: str,
        request: FeedbackRequest,
        emit: Emit,
        timing: _Timing,
    ) -> FeedbackResult:
        result: FeedbackResult | None = None
        stream = provider.stream(request)
        async with asyncio.timeout(self._settings.gemini_timeout_s):
            try:
                async for item in stream:
                    if result is not None:
                        raise FeedbackError(f"{provider.name} sent more after its result")
                    if isinstance(item, FeedbackChunk):
                        if item.text:
                            timing.chunk()
                            emit(FeedbackDelta(answer_id=answer_id, text=item.text))
                    else:
                        result = item
            finally:
                # Close a generator we stopped early now, not whenever it is collected.
                aclose = getattr(stream, "aclose", None)
                if aclose is not None:
                    await aclose()
        if result is None:
            raise FeedbackError(f"{provider.name} ended without a result")
        return result
