"""Choosing an interview's questions."""

from __future__ import annotations

import random

import pytest

from server.interview.planner import plan_interview
from server.interview.questions import QuestionBank


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return QuestionBank.load()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize(("role", "language"), [("general", "en"), ("software-engineer", "es")])
def test_mixes_competencies(bank: QuestionBank, seed: int, role: str, language: str) -> None:
    pool = bank.questions(role, language)
    distinct = len({q.competencies[0] for q in pool})
    count = min(8, distinct)
    plan = plan_interview(bank, role, language, count, [], random.Random(seed))
    assert len(plan) == count
    assert len({q.competencies[0] for q in plan}) == count
    assert all(q.language == language for q in plan)


@pytest.mark.parametrize("seed", [0, 5])
def test_never_repeats_recent_while_enough_remain(bank: QuestionBank, seed: int) -> None:
    ids = [q.id for q in bank.questions("general", "en")]
    recent = ids[:-5]
    plan = plan_interview(bank, "general", "en", 5, recent, random.Random(seed))
    assert sorted(q.id for q in plan) == sorted(ids[-5:])


def test_recent_ones_asked_longest_ago_come_next(bank: QuestionBank) -> None:
    ids = [q.id for q in bank.questions("general", "en")]
    recent = ids[:-2]  # newest first: ids[-3] was asked longest ago
    plan = plan_interview(bank, "general", "en", 4, recent, random.Random(0))
    assert {q.id for q in plan[:2]} == set(ids[-2:])
    assert [q.id for q in plan[2:]] == [ids[-3], ids[-4]]


def test_deterministic_for_a_seed(bank: QuestionBank) -> None:
    def plan(seed: int) -> list[str]:
        return [q.id for q in plan_interview(bank, "general", "en", 5, [], random.Random(seed))]

    assert plan(7) == plan(7)
    assert plan(7) != plan(8)


def test_count_beyond_the_bank(bank: QuestionBank) -> None:
    pool = bank.questions("general", "en")
    plan = plan_interview(bank, "general", "en", len(pool) + 3, [], random.Random(0))
    assert sorted(q.id for q in plan) == sorted(q.id for q in pool)


def test_count_below_one(bank: QuestionBank) -> None:
    with pytest.raises(ValueError):
        plan_interview(bank, "general", "en", 0, [], random.Random(0))
