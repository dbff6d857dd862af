"""Interview leases: a front end renews the interviews it runs and ends, with a report of what
was answered, those whose front end went away."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server.session.leases import LEASE, InterviewLeases
from server.store import Store
from tests.store.databases import sqlite_url
from tests.store.interviews import STRONG, WEAK, save_scored_answer, start_interview

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(sqlite_url(tmp_path))
    yield opened
    await opened.close()


async def _interview_with_answers(store: Store, lease_until: datetime, answers: list[str]) -> str:
    interview_id = await start_interview(store, lease_until=lease_until)
    for number, transcript in enumerate(answers, 1):
        question = f"Question {number}: tell me about a time you fixed a broken process."
        await save_scored_answer(store, interview_id, f"q-{number}", question, transcript)
    return interview_id


async def test_an_interview_whose_front_end_went_away_ends_with_what_was_answered(
    store: Store,
) -> None:
    orphan = await _interview_with_answers(store, NOW - timedelta(seconds=1), [WEAK, STRONG])
    leases = InterviewLeases(store, running=lambda: [])

    assert await leases.tick(NOW) == [orphan]

    ended = await store.get_interview("alice", orphan)
    assert ended.status == "ended_early" and ended.report is not None
    rows = ended.report["rows"]
    assert [row["transcript"] for row in rows] == [WEAK, STRONG]
    assert [row["question_id"] for row in rows] == ["q-1", "q-2"]
    assert ended.overall_mean == ended.report["overall_mean"]
    assert await leases.tick(NOW + 2 * LEASE) == []  # ended once


async def test_an_interview_without_answers_ends_without_a_report(store: Store) -> None:
    orphan = await _interview_with_answers(store, NOW - timedelta(seconds=1), [])

    assert await InterviewLeases(store, running=lambda: []).tick(NOW) == [orphan]

    ended = await store.get_interview("alice", orphan)
    assert (ended.status, ended.report) == ("ended_early", None)


async def test_interviews_this_front_end_runs_are_renewed_not_ended(store: Store) -> None:
    mine = await _interview_with_answers(store, NOW + timedelta(seconds=5), [WEAK])
    other_front_end = await _interview_with_answers(store, NOW + timedelta(seconds=5), [STRONG])
    leases = InterviewLeases(store, running=lambda: [mine])

    assert await leases.tick(NOW) == []
    # Later, past the lease both had: only the one nobody renewed is ended.
    assert await leases.tick(NOW + LEASE - timedelta(seconds=1)) == [other_front_end]
    assert (await store.get_interview("alice", mine)).status == "in_progress"
