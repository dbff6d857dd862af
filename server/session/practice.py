"""What becomes of a finished answer: metrics, stored, feedback streamed (falling back), stored.

A database failure loses nothing: the person is told (`storage_failed`), gets the feedback all
the same, and the write is held by the `StoreBacklog` until the database takes it.
"""

from __future__ import annotations

import asyncio
import logging
import time

import msgspec

from server.config import Settings
from server.errors import FeedbackError
from server.interview.answer import Answer, AnswerOutcome
from server.interview.lexicon import primary_language
from server.interview.metrics import DeliveryMetrics, compute_metrics, usual_pace
from server.interview.rubric import RUBRIC_VERSION
from server.interview.types import (
    FeedbackChunk,
    FeedbackProvider,
    FeedbackRequest,
    FeedbackResult,
    PastAnswer,
)
from server.protocol import AnswerSaved, Emit, ErrorEvent, FeedbackDelta, FeedbackDone
from server.store import Store
from server.store.backlog import FeedbackWrite, StoreBacklog

log = logging.getLogger(__name__)

HISTORY_LIMIT = 5
# Recent answers whose pace makes the speaker's own baseline (languages with no pace norm).
BASELINE_ANSWERS = 20


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
    """Turns a finished answer into stored data and streamed feedback.

    The answer is stored before any feedback is asked for, so a failing or slow provider never
    loses it. A provider that fails, or takes longer than `settings.gemini_timeout_s` in all,
    is replaced by `fallback` (the offline coach); the client gets an `error` event with code
    "feedback_failed" and should drop the deltas it had: `feedback.done` carries the whole text.
    """

    def __init__(
        self,
        *,
        store: Store,
        backlog: StoreBacklog,
        feedback: FeedbackProvider,
        fallback: FeedbackProvider,
        settings: Settings,
    ) -> None:
        self._store = store
        self._backlog = backlog
        self._feedback = feedback
        self._fallback = fallback
        self._settings = settings

    async def complete_answer(self, answer: Answer, emit: Emit) -> AnswerOutcome:
        """Store the answer and stream its feedback through `emit`."""
        metrics = compute_metrics(
            answer.words,
            duration_s=answer.duration_s,
            language=answer.language,
            long_pause_s=self._settings.long_pause_s,
            baseline_wpm=await self._usual_pace(answer),
        )
        answer = msgspec.structs.replace(answer, metrics=msgspec.to_builtins(metrics))
        history = await self._history(answer)  # read before saving: earlier answers only
        stored = await self._save(answer, emit)
        timing = _Timing()
        emit(_saved(answer, stored=stored))
        request = FeedbackRequest(
            question=answer.question_text,
            role=answer.role,
            language=answer.language,
            transcript=answer.transcript,
            metrics=answer.metrics,
            history=history,
        )
        result = await self._feedback_with_fallback(answer.id, request, emit, timing)
        if result is None:
            return AnswerOutcome(answer, metrics, None, stored)
        await self._save_feedback(
            answer.id, FeedbackWrite(result, timing.elapsed(), timing.first_chunk_s), emit
        )
        log.info(
            "feedback on answer %s by %s: first chunk %s s, done %.2f s",
            answer.id,
            result.provider,
            "-" if timing.first_chunk_s is None else f"{timing.first_chunk_s:.2f}",
            timing.elapsed(),
        )
        emit(
            FeedbackDone(
                answer_id=answer.id,
                text=result.text,
                scores=msgspec.to_builtins(result.scores),
                overall=result.overall,
                provider=result.provider,
                model=result.model,
            )
        )
        return AnswerOutcome(answer, metrics, result, stored)

    async def _usual_pace(self, answer: Answer) -> float | None:
        """The speaker's usual words per minute in this language, from their recent answers
        (None when unknown, or when the database cannot say)."""
        try:
            recent = await self._store.list_answers(answer.profile_id, limit=BASELINE_ANSWERS)
        except Exception as exc:
            log.warning("no pace baseline: reading earlier answers failed (%s)", exc)
            return None
        earlier: list[DeliveryMetrics] = []
        for stored in recent:
            if primary_language(stored.language) != primary_language(answer.language):
                continue
            try:
                earlier.append(msgspec.convert(stored.metrics, DeliveryMetrics))
            except msgspec.ValidationError:
                continue  # metrics stored by an older version: no pace to learn from
        return usual_pace(earlier)

    async def _history(self, answer: Answer) -> list[PastAnswer]:
        """Earlier attempts at the same question (none when the database cannot say)."""
        try:
            return await self._store.history(
                answer.profile_id,
                answer.question_id or answer.question_text,
                HISTORY_LIMIT,
                rubric_version=RUBRIC_VERSION,
            )
        except Exception as exc:
            log.warning("no answer history: reading it failed (%s)", exc)
            return []

    async def _save(self, answer: Answer, emit: Emit) -> bool:
        """Store the answer; on failure hold it for retrying and say so. True if stored now."""
        try:
            await self._store.save_answer(answer)
        except Exception as exc:
            # An outage, not a bug: one line, no traceback (the backlog says when it is back).
            log.warning("storing answer %s failed (%s); holding it to retry", answer.id, exc)
        else:
            return True

        self._backlog.add_answer(answer, lambda held: emit(_saved(held, stored=True)))
        emit(
            ErrorEvent(
                code="storage_failed",
                message="your answer could not be stored right now; the server keeps it and "
                "stores it as soon as the database is back",
                retryable=True,
            )
        )
        return False

    async def _save_feedback(self, answer_id: str, write: FeedbackWrite, emit: Emit) -> None:
        if self._backlog.holds_answer(answer_id):
            self._backlog.add_feedback(answer_id, write)  # written right after its answer
            return
        try:
            await self._store.save_feedback(
                answer_id,
                write.result,
                latency_s=write.latency_s,
                first_chunk_s=write.first_chunk_s,
            )
        except Exception as exc:
            log.warning("storing feedback of answer %s failed (%s); holding it", answer_id, exc)
            self._backlog.add_feedback(answer_id, write)
            emit(
                ErrorEvent(
                    code="storage_failed",
                    message="the feedback could not be stored right now; the server keeps it "
                    "and stores it as soon as the database is back",
                    retryable=True,
                )
            )

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


def _saved(answer: Answer, *, stored: bool) -> AnswerSaved:
    return AnswerSaved(
        answer_id=answer.id, transcript=answer.transcript, metrics=answer.metrics, stored=stored
    )
