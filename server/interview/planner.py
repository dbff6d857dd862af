"""Which questions a mock interview asks, in which order.

Each next question is the best remaining one by, in this order: not asked recently (while
fresh ones remain; after that, the one asked longest ago), its first competency used least so
far in this interview (so no two share it while others remain), then a seeded shuffle.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

from server.interview.questions import Question, QuestionBank


def plan_interview(
    bank: QuestionBank,
    role: str,
    language: str,
    count: int,
    recent: Sequence[str],
    rng: random.Random,
) -> list[Question]:
    """`count` distinct questions for the role (fewer if the bank has fewer).

    `recent` are ids asked lately, newest first (as `Store.recent_question_ids` gives them).
    Deterministic for a seeded `rng`. Raises `BadRequestError` for an unknown role or
    language, `ValueError` for a count below 1.
    """
    if count < 1:
        raise ValueError(f"an interview needs at least one question, not {count}")
    pool = bank.questions(role, language)
    rng.shuffle(pool)
    order = {q.id: i for i, q in enumerate(pool)}
    # Where each id was last asked in `recent` (0 = newest); absent = fresh.
    position = {qid: i for i, qid in reversed(list(enumerate(recent)))}
    uses: Counter[str] = Counter()
    plan: list[Question] = []
    while pool and len(plan) < count:
        best = min(
            pool,
            key=lambda q: (
                q.id in position,
                -position.get(q.id, 0),  # of the recent ones, the one asked longest ago
                uses[q.competencies[0]],
                order[q.id],
            ),
        )
        pool.remove(best)
        uses[best.competencies[0]] += 1
        plan.append(best)
    return plan
