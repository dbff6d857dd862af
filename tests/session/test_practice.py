"""The practice service on a real SQLite file: offline coach, failing, hanging, broken
providers, and a database that refuses writes for a while."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest

from server.config import Settings
from server.errors import FeedbackError
from server.interview.answer import Answer
from server.interview.coach import OfflineCoach
from server.interview.metrics import compute_metrics, words_from_text
from server.interview.rubric import RUBRIC_VERSION
from server.interview.types import FeedbackChunk, FeedbackProvider, FeedbackRequest, FeedbackResult
from server.protocol import AnswerSaved, ErrorEvent, FeedbackDelta, FeedbackDone, ServerMessage
from server.session.practice import PracticeService
from server.store import Store
from server.store.backlog import StoreBacklog
from tests.records import new_answer
from tests.store.databases import sqlite_url, writes_refused

TRANSCRIPT = (
    "When two teams disagreed about the release date I set up a meeting, we listed the risks, "
    "agreed to ship the core first, and we delivered two weeks early with no incidents"
)


class ScriptedProvider:
    """A feedback provider that writes some chunks, then fails, hangs, or stops short."""

    def __init__(self, chunks: list[str], *, then: str, error: Exception | None = None) -> None:
        self.name = "scripted"
        self._chunks = chunks
        self._then = then
        self._error = error

    async def stream(
        self, request: FeedbackRequest
    ) -> AsyncIterator[FeedbackChunk | FeedbackResult]:
        for chunk in self._chunks:
            yield FeedbackChunk(chunk)
        if self._then == "raise":
            assert self._error is not None
            raise self._error
        if self._then == "hang":
            await asyncio.Event().wait()


class RecordingCoach:
    """The offline coach, keeping the requests it was given."""

    def __init__(self) -> None:
        self.name = "offline"
        self.requests: list[FeedbackRequest] = []
        self._coach = OfflineCoach()

    def stream(self, request: FeedbackRequest) -> AsyncIterator[FeedbackChunk | FeedbackResult]:
        self.requests.append(request)
        return self._coach.stream(request)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(sqlite_url(tmp_path))
    yield opened
    await opened.close()


def _settings(tmp_path: Path, timeout_s: float = 30.0) -> Settings:
    return Settings(data_dir=str(tmp_path), gemini_timeout_s=timeout_s)


def _service(
    store: Store,
    tmp_path: Path,
    *,
    feedback: FeedbackProvider | None = None,
    fallback: FeedbackProvider | None = None,
    timeout_s: float = 30.0,
) -> PracticeService:
    return PracticeService(
        store=store,
        backlog=StoreBacklog(store),
        feedback=feedback or OfflineCoach(),
        fallback=fallback or OfflineCoach(),
        settings=_settings(tmp_path, timeout_s),
    )


def _answer(
    question_id: str | None = "q-conflict",
    *,
    language: str = "en",
    transcript: str = TRANSCRIPT,
    words_per_minute: float = 150,
) -> Answer:
    words = words_from_text(transcript, words_per_minute=words_per_minute)
    return new_answer(
        profile_id="alice",
        session_id="session-1",
        question_id=question_id,
        question_text="Tell me about a time you resolved a conflict.",
        role="software-engineer",
        language=language,
        words=words,
        transcript=transcript,
        duration_s=words[-1].end_s + 0.5,
        model="tiny.en",
    )


async def _complete(service: PracticeService, answer: Answer) -> tuple[str, list[ServerMessage]]:
    events: list[ServerMessage] = []
    answer_id = (await service.complete_answer(answer, events.append)).answer_id
    return answer_id, events


def _kinds(events: list[ServerMessage]) -> list[str]:
    return [type(event).__name__ for event in events]


def _collapse(kinds: list[str]) -> list[str]:
    """Runs of FeedbackDelta as one entry, to compare the order of the stages."""
    return [k for i, k in enumerate(kinds) if i == 0 or k != "FeedbackDelta" or kinds[i - 1] != k]


async def test_offline_coach_feedback_is_streamed_and_stored(store: Store, tmp_path: Path) -> None:
    service = _service(store, tmp_path)
    answer = _answer()

    answer_id, events = await _complete(service, answer)

    assert _collapse(_kinds(events)) == ["AnswerSaved", "FeedbackDelta", "FeedbackDone"]
    saved, *deltas, done = events
    assert isinstance(saved, AnswerSaved) and isinstance(done, FeedbackDone)
    expected_metrics = msgspec.to_builtins(
        compute_metrics(answer.words, duration_s=answer.duration_s, language="en")
    )
    assert saved.answer_id == answer_id and saved.metrics == expected_metrics
    assert all(isinstance(d, FeedbackDelta) and d.answer_id == answer_id for d in deltas)
    assert "".join(d.text for d in deltas if isinstance(d, FeedbackDelta)) == done.text
    assert (done.answer_id, done.provider) == (answer_id, "offline")

    stored = await store.get_answer("alice", answer_id)
    assert (stored.transcript, stored.words, stored.metrics) == (
        TRANSCRIPT,
        answer.words,
        expected_metrics,
    )
    assert stored.feedback is not None
    assert (stored.feedback.text, stored.feedback.scores, stored.feedback.overall) == (
        done.text,
        done.scores,
        done.overall,
    )
    assert stored.feedback.rubric_version == RUBRIC_VERSION
    assert stored.feedback.first_chunk_s is not None
    assert 0 <= stored.feedback.first_chunk_s <= stored.feedback.latency_s


async def test_a_provider_failing_mid_stream_falls_back(store: Store, tmp_path: Path) -> None:
    failing = ScriptedProvider(
        ["Good start. "],
        then="raise",
        error=FeedbackError("the service is overloaded", retryable=True),
    )
    service = _service(store, tmp_path, feedback=failing)

    answer_id, events = await _complete(service, _answer())

    assert _collapse(_kinds(events)) == [
        "AnswerSaved",
        "FeedbackDelta",
        "ErrorEvent",
        "FeedbackDelta",
        "FeedbackDone",
    ]
    error = next(e for e in events if isinstance(e, ErrorEvent))
    assert (error.code, error.retryable) == ("feedback_failed", True)
    assert "overloaded" in error.message
    done = events[-1]
    assert isinstance(done, FeedbackDone) and done.provider == "offline"
    stored = await store.get_answer("alice", answer_id)
    assert stored.transcript == TRANSCRIPT
    assert stored.feedback is not None and stored.feedback.provider == "offline"
    assert stored.feedback.text == done.text


async def test_a_hanging_provider_times_out_and_falls_back(store: Store, tmp_path: Path) -> None:
    service = _service(store, tmp_path, feedback=ScriptedProvider([], then="hang"), timeout_s=0.2)

    answer_id, events = await _complete(service, _answer())

    assert _collapse(_kinds(events)) == [
        "AnswerSaved",
        "ErrorEvent",
        "FeedbackDelta",
        "FeedbackDone",
    ]
    error = events[1]
    assert isinstance(error, ErrorEvent) and error.code == "feedback_failed" and error.retryable
    stored = await store.get_answer("alice", answer_id)
    assert stored.feedback is not None and stored.feedback.provider == "offline"
    # Measured from the answer being stored, the wait on the hung provider included.
    assert stored.feedback.first_chunk_s is not None
    assert stored.feedback.first_chunk_s <= stored.feedback.latency_s


@pytest.mark.parametrize(
    "provider",
    [
        ScriptedProvider(["Some prose. "], then="stop"),
        ScriptedProvider([], then="raise", error=RuntimeError("a bug in the provider")),
    ],
    ids=["no-result", "unexpected-error"],
)
async def test_a_broken_provider_falls_back(
    store: Store, tmp_path: Path, provider: ScriptedProvider
) -> None:
    service = _service(store, tmp_path, feedback=provider)
    answer_id, events = await _complete(service, _answer())
    assert [e.code for e in events if isinstance(e, ErrorEvent)] == ["feedback_failed"]
    assert isinstance(events[-1], FeedbackDone) and events[-1].provider == "offline"
    assert (await store.get_answer("alice", answer_id)).feedback is not None


async def test_the_answer_is_kept_when_every_provider_fails(store: Store, tmp_path: Path) -> None:
    failing = ScriptedProvider([], then="raise", error=FeedbackError("down"))
    service = _service(store, tmp_path, feedback=failing, fallback=failing)
    answer_id, events = await _complete(service, _answer())
    assert _kinds(events) == ["AnswerSaved", "ErrorEvent", "ErrorEvent"]
    stored = await store.get_answer("alice", answer_id)
    assert stored.transcript == TRANSCRIPT and stored.feedback is None


async def test_earlier_answers_to_the_question_reach_the_provider(
    store: Store, tmp_path: Path
) -> None:
    coach = RecordingCoach()
    service = _service(store, tmp_path, feedback=coach)
    first_id, first_events = await _complete(service, _answer())
    await _complete(service, _answer(question_id="q-other"))
    await _complete(service, _answer())

    first_request, other_request, second_request = coach.requests
    assert first_request.history == [] and other_request.history == []
    (past,) = second_request.history
    first_done = first_events[-1]
    assert isinstance(first_done, FeedbackDone)
    assert past.transcript == TRANSCRIPT and past.overall == first_done.overall
    assert past.scores is not None
    assert msgspec.to_builtins(past.scores) == first_done.scores
    assert second_request.metrics == (await store.get_answer("alice", first_id)).metrics


async def test_pace_without_a_norm_is_judged_against_the_speakers_own_usual_pace(
    tmp_path: Path, store: Store
) -> None:
    service = _service(store, tmp_path)
    spanish = " ".join(["Primero analicé el problema con el equipo y luego decidí el plan."] * 20)
    first_id, events = await _complete(service, _answer(language="es", transcript=spanish))
    first = next(e for e in events if isinstance(e, AnswerSaved))
    assert first.metrics["pace_basis"] == "none"  # no usual pace yet
    for rate in (120, 140):
        await _complete(service, _answer(language="es", transcript=spanish, words_per_minute=rate))
    # An English answer does not count towards the Spanish baseline.
    await _complete(service, _answer(words_per_minute=200))
    _, events = await _complete(
        service, _answer(language="es", transcript=spanish, words_per_minute=200)
    )
    saved = next(e for e in events if isinstance(e, AnswerSaved))
    assert saved.metrics["pace_basis"] == "personal"
    assert saved.metrics["baseline_wpm"] == pytest.approx(140, rel=0.05)
    assert saved.metrics["pace"] == "fast"
    assert first_id


async def test_a_refused_write_keeps_the_answer_and_stores_it_when_the_database_is_back(
    store: Store, tmp_path: Path
) -> None:
    backlog = StoreBacklog(store)
    service = PracticeService(
        store=store,
        backlog=backlog,
        feedback=OfflineCoach(),
        fallback=OfflineCoach(),
        settings=_settings(tmp_path),
    )
    answer = _answer()
    events: list[ServerMessage] = []
    with writes_refused(tmp_path / "data" / "podium.db"):
        outcome = await service.complete_answer(answer, events.append)
        assert not await backlog.write_held()  # still refused
    # Told plainly, the feedback streamed all the same, nothing stored yet.
    assert _collapse(_kinds(events)) == [
        "ErrorEvent",
        "AnswerSaved",
        "FeedbackDelta",
        "FeedbackDone",
    ]
    error, saved = events[0], events[1]
    assert isinstance(error, ErrorEvent) and (error.code, error.retryable) == (
        "storage_failed",
        True,
    )
    assert isinstance(saved, AnswerSaved) and (saved.answer_id, saved.stored) == (answer.id, False)
    assert not outcome.stored and len(backlog) == 1
    assert await store.list_answers("alice") == []

    assert await backlog.write_held()  # the database takes writes again
    stored_later = events[-1]
    assert isinstance(stored_later, AnswerSaved)
    assert (stored_later.answer_id, stored_later.stored) == (answer.id, True)
    stored = await store.get_answer("alice", answer.id)
    done = events[-2]
    assert isinstance(done, FeedbackDone)
    assert stored.transcript == TRANSCRIPT and stored.metrics == saved.metrics
    assert stored.feedback is not None and stored.feedback.text == done.text
    assert len(backlog) == 0
