"""An interview's report, stored: from the live interview's rows, or rebuilt from its stored
answers when the front end that ran it went away (`server.session.leases`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import msgspec

from server.interview.answer import AnswerOutcome
from server.interview.metrics import DeliveryMetrics
from server.interview.report import QuestionResult, build_report, question_result
from server.interview.types import FeedbackResult, Scores
from server.store import Store, StoredAnswer

# Interviews the report's trend compares with.
TREND_INTERVIEWS = 3
Status = Literal["completed", "ended_early"]


async def store_report(
    store: Store,
    *,
    profile_id: str,
    interview_id: str,
    results: Sequence[QuestionResult],
    language: str,
    status: Status,
) -> dict[str, Any] | None:
    """Build the report (None when nothing was answered), store it with the interview's end."""
    report: dict[str, Any] | None = None
    overall: float | None = None
    if results:
        earlier = await store.earlier_interview_means(profile_id, interview_id, TREND_INTERVIEWS)
        built = build_report(results, earlier, language)
        report, overall = msgspec.to_builtins(built), built.overall_mean
    await store.finish_interview(interview_id, status=status, report=report, overall_mean=overall)
    return report


def rows_from_answers(answers: Sequence[StoredAnswer], language: str) -> list[QuestionResult]:
    """The report's rows for stored answers in the order asked (keys as the live interview
    gives them: a main question's id or `q<number>`, a follow-up's `<parent key>/<id>`)."""
    keys: dict[str, str] = {}
    rows: list[QuestionResult] = []
    for answer in answers:
        parent_key = keys.get(answer.parent_answer_id or "")
        if answer.parent_answer_id is None:
            key = answer.question_id or f"q{len(keys) + 1}"
        else:
            key = f"{parent_key}/{answer.followup_id}"
        keys[answer.id] = key
        try:
            metrics = msgspec.convert(answer.metrics, DeliveryMetrics)
        except msgspec.ValidationError:
            continue  # metrics stored by an older version: no row can be built for it
        rows.append(
            question_result(
                key=key,
                question=answer.question_text,
                outcome=AnswerOutcome(answer, metrics, _feedback(answer)),
                parent_key=parent_key,
                language=language,
                earlier=rows,
            )
        )
    return rows


def _feedback(answer: StoredAnswer) -> FeedbackResult | None:
    stored = answer.feedback
    if stored is None:
        return None
    try:
        scores = msgspec.convert(stored.scores, Scores)
    except msgspec.ValidationError:
        return None
    return FeedbackResult(
        text=stored.text,
        scores=scores,
        overall=stored.overall,
        provider=stored.provider,
        model=stored.model,
        rubric_version=stored.rubric_version,
    )
