"""Store queries on real databases: save, list, get, delete, scoping, history, export, progress."""

from __future__ import annotations

import json

import msgspec
import pytest

from server.errors import NotFoundError
from server.interview.metrics import words_from_text
from server.interview.rubric import RUBRIC_VERSION
from server.interview.types import FeedbackResult, Scores
from server.store import Store, StoredAnswer
from tests.records import new_answer


async def _answer(
    store: Store,
    transcript: str = "I led the migration and cut costs by a third",
    *,
    profile_id: str = "alice",
    question_id: str | None = "q-conflict",
    question_text: str = "Tell me about a conflict at work.",
) -> StoredAnswer:
    return await store.save_answer(
        new_answer(
            profile_id=profile_id,
            session_id="session-1",
            question_id=question_id,
            question_text=question_text,
            role="software-engineer",
            language="en",
            transcript=transcript,
            words=words_from_text(transcript, words_per_minute=150),
            metrics={"words_per_minute": 133.3, "filler_count": 0},
            duration_s=4.5,
            model="tiny.en",
        )
    )


def _result(points: int, *, rubric_version: str = RUBRIC_VERSION) -> FeedbackResult:
    return FeedbackResult(
        text=f"Scored {points} on every dimension.",
        scores=Scores(points, points, points, points, points),
        overall=points * 20,
        provider="offline",
        model="podium-coach-1",
        rubric_version=rubric_version,
    )


async def test_an_answer_round_trips_with_its_feedback(store: Store) -> None:
    saved = await _answer(store)
    assert len(saved.id) == 32
    fetched = await store.get_answer("alice", saved.id)
    assert fetched == saved
    assert fetched.feedback is None
    assert fetched.words == words_from_text(
        "I led the migration and cut costs by a third", words_per_minute=150
    )

    await store.save_feedback(saved.id, _result(4), latency_s=1.25, first_chunk_s=0.4)
    feedback = (await store.get_answer("alice", saved.id)).feedback
    assert feedback is not None
    assert feedback.scores == {name: 4 for name in Scores.__struct_fields__}
    assert (feedback.overall, feedback.provider, feedback.rubric_version) == (
        80,
        "offline",
        RUBRIC_VERSION,
    )
    assert (feedback.first_chunk_s, feedback.latency_s) == (0.4, 1.25)


async def test_saving_feedback_again_replaces_it(store: Store) -> None:
    saved = await _answer(store)
    await store.save_feedback(saved.id, _result(2), latency_s=1.0)
    await store.save_feedback(saved.id, _result(5), latency_s=2.0)
    feedback = (await store.get_answer("alice", saved.id)).feedback
    assert feedback is not None
    assert (feedback.overall, feedback.latency_s, feedback.first_chunk_s) == (100, 2.0, None)


async def test_feedback_for_a_missing_answer_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        await store.save_feedback("0" * 32, _result(3), latency_s=1.0)


async def test_list_is_newest_first_and_filters_by_question(store: Store) -> None:
    first = await _answer(store, "first try")
    other = await _answer(store, "another question", question_id="q-failure")
    second = await _answer(store, "second try")

    assert [a.id for a in await store.list_answers("alice")] == [second.id, other.id, first.id]
    assert [a.id for a in await store.list_answers("alice", "q-conflict")] == [second.id, first.id]
    assert [a.id for a in await store.list_answers("alice", limit=1)] == [second.id]
    assert await store.list_answers("alice", "q-unknown") == []


async def test_answers_are_scoped_to_their_profile(store: Store) -> None:
    mine = await _answer(store, profile_id="alice")
    await store.save_feedback(mine.id, _result(3), latency_s=1.0)

    assert await store.list_answers("bob") == []
    with pytest.raises(NotFoundError):
        await store.get_answer("bob", mine.id)
    with pytest.raises(NotFoundError):
        await store.delete_answer("bob", mine.id)
    assert (await store.get_answer("alice", mine.id)).feedback is not None
    assert await store.history("bob", "q-conflict") == []
    assert (await store.export("bob"))["answers"] == []


async def test_delete_removes_the_answer_and_its_feedback(store: Store) -> None:
    kept = await _answer(store, "kept")
    gone = await _answer(store, "gone")
    await store.save_feedback(gone.id, _result(3), latency_s=1.0)

    await store.delete_answer("alice", gone.id)

    assert [a.id for a in await store.list_answers("alice")] == [kept.id]
    assert await store.scored_answers("alice") == []
    with pytest.raises(NotFoundError):
        await store.get_answer("alice", gone.id)
    with pytest.raises(NotFoundError):
        await store.delete_answer("alice", gone.id)


async def test_history_by_question_id_or_custom_text(store: Store) -> None:
    custom = "What would you change about our product?"
    older = await _answer(store, "older answer")
    await store.save_feedback(older.id, _result(2), latency_s=1.0)
    newer = await _answer(store, "newer answer")
    await _answer(store, "a custom answer", question_id=None, question_text=custom)
    await _answer(store, "somebody else", profile_id="bob")

    history = await store.history("alice", "q-conflict")
    assert [h.transcript for h in history] == ["newer answer", "older answer"]
    assert history[0].scores is None and history[0].overall is None
    assert history[1].scores == Scores(2, 2, 2, 2, 2) and history[1].overall == 40
    assert [h.transcript for h in await store.history("alice", "q-conflict", limit=1)] == [
        newer.transcript
    ]
    assert [h.transcript for h in await store.history("alice", custom)] == ["a custom answer"]


async def test_history_leaves_out_scores_of_another_rubric_version(store: Store) -> None:
    old = await _answer(store)
    await store.save_feedback(old.id, _result(2, rubric_version="rubric-0"), latency_s=1.0)

    (past,) = await store.history("alice", "q-conflict", rubric_version=RUBRIC_VERSION)
    assert (past.scores, past.overall) == (None, None)
    (past,) = await store.history("alice", "q-conflict")
    assert past.overall == 40


async def test_recent_question_ids_counts_asked_and_answered_once_each(store: Store) -> None:
    await store.record_question_asked("alice", "s1", "q-a")
    await store.record_question_asked("alice", "s1", "q-b")
    await _answer(store, question_id="q-a")
    await _answer(store, question_id=None, question_text="A custom question?")
    await store.record_question_asked("alice", "s1", "q-c")
    await store.record_question_asked("bob", "s2", "q-bob")

    assert await store.recent_question_ids("alice") == ["q-c", "q-a", "q-b"]
    assert await store.recent_question_ids("alice", limit=2) == ["q-c", "q-a"]
    assert await store.recent_question_ids("bob") == ["q-bob"]
    assert await store.recent_question_ids("carol") == []


async def test_export_holds_everything_of_the_profile_as_json(store: Store) -> None:
    first = await _answer(store, "first")
    await store.save_feedback(first.id, _result(3), latency_s=1.5, first_chunk_s=0.3)
    second = await _answer(store, "second", question_id=None, question_text="Custom?")
    await store.record_question_asked("alice", "session-1", "q-conflict")
    await _answer(store, "not alice's", profile_id="bob")

    exported = json.loads(json.dumps(await store.export("alice")))

    assert exported["format"] == "podium-export"
    assert exported["profile_id"] == "alice"
    assert [a["id"] for a in exported["answers"]] == [first.id, second.id]
    assert exported["answers"][0]["feedback"]["overall"] == 60
    assert exported["answers"][0]["words"] == msgspec.to_builtins(first.words)
    assert exported["answers"][1]["feedback"] is None
    assert [q["question_id"] for q in exported["questions_asked"]] == ["q-conflict"]


async def test_progress_compares_recent_answers_with_earlier_ones(store: Store) -> None:
    for points in (2, 2, 2, 4, 4, 4):
        saved = await _answer(store)
        await store.save_feedback(saved.id, _result(points), latency_s=1.0)
    stale = await _answer(store)
    await store.save_feedback(stale.id, _result(5, rubric_version="rubric-0"), latency_s=1.0)
    await _answer(store, "no feedback yet")

    progress = await store.progress("alice")

    assert (progress.scored_answers, progress.left_out) == (6, 1)
    assert {d.dimension: d.trend for d in progress.dimensions} == {
        **{name: "improved" for name in Scores.__struct_fields__},
        "overall": "improved",
    }
    overall = progress.dimensions[-1]
    assert (overall.earlier_mean, overall.recent_mean, overall.change) == (40.0, 80.0, 40.0)
    assert (await store.progress("bob")).scored_answers == 0
