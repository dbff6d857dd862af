"""The end-of-interview report: per-question rows, overall picture, trend and what to practise.

- Strongest and weakest dimension: highest and lowest mean score over every answer
  (follow-ups included); ties go to the earlier one in `rubric.DIMENSIONS`.
- Trend: this interview's mean overall (0-100) against the mean of the earlier interviews'
  means the caller passes (e.g. the last three): more than `TREND_THRESHOLD` points higher is
  "improved", more than that lower "degraded", else "steady"; "first" with none earlier.
- Practise next: three suggestions from the weakest dimensions (lowest mean first), a weak
  delivery replaced by its concrete problems (`delivery_problems` summed over the answers,
  most points first); the top delivery problem always makes the list when there is one.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import msgspec

from server.interview.answer import AnswerOutcome
from server.interview.coach import next_step
from server.interview.followups import interview_texts
from server.interview.metrics import DeliveryMetrics
from server.interview.rubric import DIMENSIONS, assess, delivery_problems, overall_score
from server.interview.types import Scores

# Points of the 0-100 overall score: smaller moves are noise between question sets.
TREND_THRESHOLD = 5.0
PRACTICE_COUNT = 3

Trend = Literal["improved", "steady", "degraded", "first"]


class QuestionResult(msgspec.Struct, frozen=True, kw_only=True):
    """One answered question (or follow-up, linked to its parent's `question_id`)."""

    question_id: str
    question: str
    transcript: str
    scores: Scores
    overall: int
    feedback: str
    is_followup: bool = False
    parent_id: str | None = None
    metrics: DeliveryMetrics | None = None


class InterviewReport(msgspec.Struct, frozen=True, kw_only=True):
    language: str
    rows: list[QuestionResult]
    dimension_means: dict[str, float]
    overall_mean: float
    strongest: str
    weakest: str
    trend: Trend
    earlier_mean: float | None
    practice: list[str]


def question_result(
    *,
    key: str,
    question: str,
    outcome: AnswerOutcome,
    parent_key: str | None,
    language: str,
    earlier: Sequence[QuestionResult] = (),
) -> QuestionResult:
    """The report's row for a stored answer: its feedback's scores (the rubric's when every
    feedback provider failed) and, as its one line, the coach's next step for it (one the
    `earlier` rows do not already give, where the answer has another flaw)."""
    feedback = outcome.feedback
    if feedback is None:
        scores = assess(question, outcome.transcript, outcome.metrics)
        overall = overall_score(scores)
    else:
        scores, overall = feedback.scores, feedback.overall
    return QuestionResult(
        question_id=key,
        question=question,
        transcript=outcome.transcript,
        scores=scores,
        overall=overall,
        feedback=next_step(
            question,
            outcome.transcript,
            outcome.metrics,
            language,
            given={row.feedback for row in earlier},
        ),
        is_followup=parent_key is not None,
        parent_id=parent_key,
        metrics=outcome.metrics,
    )


def build_report(
    results: Sequence[QuestionResult], earlier_means: Sequence[float], language: str
) -> InterviewReport:
    """The report for an interview's answers, in the order asked; `ValueError` if none."""
    if not results:
        raise ValueError("an interview report needs at least one answer")
    means = {
        d: round(statistics.fmean(getattr(r.scores, d) for r in results), 2) for d in DIMENSIONS
    }
    overall = round(statistics.fmean(r.overall for r in results), 1)
    earlier = round(statistics.fmean(earlier_means), 1) if earlier_means else None
    return InterviewReport(
        language=interview_texts(language).language,
        rows=list(results),
        dimension_means=means,
        overall_mean=overall,
        strongest=max(DIMENSIONS, key=lambda d: (means[d], -DIMENSIONS.index(d))),
        weakest=min(DIMENSIONS, key=lambda d: (means[d], DIMENSIONS.index(d))),
        trend=trend(overall, earlier),
        earlier_mean=earlier,
        practice=_practice(means, results, language),
    )


def trend(overall_mean: float, earlier_mean: float | None) -> Trend:
    """ "improved" / "degraded" beyond `TREND_THRESHOLD` points, else "steady"."""
    if earlier_mean is None:
        return "first"
    change = overall_mean - earlier_mean
    if change > TREND_THRESHOLD:
        return "improved"
    return "degraded" if change < -TREND_THRESHOLD else "steady"


class ReportContext(msgspec.Struct, frozen=True, kw_only=True):
    """What the Markdown export says about the interview itself, as the report screen shows it."""

    role: str  # the role's name
    created_at: datetime
    status: str  # "completed", "ended_early" or "in_progress"


def to_markdown(report: InterviewReport, context: ReportContext) -> str:
    """The report as Markdown, for export: what the report screen shows, in its order, with its
    numbering (main questions numbered, each follow-up under its question) and its decimals
    (means to one decimal, scores whole). An interview left early is not compared."""
    status = context.status.replace("_", " ")
    when = context.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Interview report",
        "",
        f"**Role:** {context.role} · **Date:** {when} · **Status:** {status} · "
        f"**Answers:** {len(report.rows)}",
        "",
        f"**Overall:** {_decimal(report.overall_mean)}/100"
        f" ({_trend_words(report, context.status)})",
    ]
    means = report.dimension_means
    lines += [
        f"**Strongest:** {report.strongest} ({_decimal(means[report.strongest])}/5) · "
        f"**Weakest:** {report.weakest} ({_decimal(means[report.weakest])}/5)",
        "",
        "**Mean score per dimension:** "
        + ", ".join(f"{d} {_decimal(means[d])}/5" for d in DIMENSIONS if d in means),
        "",
        "## Practise next",
        "",
    ]
    lines += [f"{i}. {item}" for i, item in enumerate(report.practice, 1)]
    lines += ["", "## Questions and answers"]
    number = 0
    for row, followups in _grouped(report.rows):
        if row.is_followup:  # its question is not in the report
            lines += _row_lines("### Follow-up: ", row)
        else:
            number += 1
            lines += _row_lines(f"### Question {number}: ", row)
        for followup in followups:
            lines += _row_lines("#### Follow-up: ", followup)
    return "\n".join(lines) + "\n"


def _decimal(value: float) -> str:
    """One decimal, halves rounded up as the page's number format does (4.25 -> "4.3")."""
    return str(Decimal(repr(value)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _trend_words(report: InterviewReport, status: str) -> str:
    if status != "completed":
        return "ended early: not compared with earlier interviews"
    if report.earlier_mean is None:
        return "first interview"
    return f"{report.trend}; your earlier interviews: {_decimal(report.earlier_mean)}/100"


def _grouped(
    rows: Sequence[QuestionResult],
) -> list[tuple[QuestionResult, list[QuestionResult]]]:
    """Main questions in the order asked, each with its follow-ups (as the screen nests them);
    a follow-up whose question is missing stands on its own."""
    groups: list[tuple[QuestionResult, list[QuestionResult]]] = []
    by_question: dict[str, list[QuestionResult]] = {}
    for row in rows:
        parent = by_question.get(row.parent_id or "") if row.is_followup else None
        if parent is not None:
            parent.append(row)
            continue
        followups: list[QuestionResult] = []
        groups.append((row, followups))
        if not row.is_followup:
            by_question[row.question_id] = followups
    return groups


def _row_lines(heading: str, row: QuestionResult) -> list[str]:
    scores = ", ".join(f"{d} {getattr(row.scores, d)}/5" for d in DIMENSIONS)
    lines = ["", heading + _one_line(row.question), "", f"**Score:** {row.overall}/100 ({scores})"]
    lines += [""] + [f"> {line}" if line else ">" for line in (row.transcript or "-").splitlines()]
    return [*lines, "", _one_line(row.feedback)]


def _practice(
    means: dict[str, float], results: Sequence[QuestionResult], language: str
) -> list[str]:
    wording = interview_texts(language).practice
    points: Counter[str] = Counter()
    for row in results:
        if row.metrics is not None:
            points.update(delivery_problems(row.metrics))
    problems = [p for p, _ in sorted(points.items(), key=lambda item: -item[1])]  # stable ties
    keys: list[str] = []
    for dimension in sorted(DIMENSIONS, key=lambda d: (means[d], DIMENSIONS.index(d))):
        keys += problems if dimension == "delivery" and problems else [dimension]
    # Problem names are rubric names ("pace_fast"); practice wording is keyed the same way.
    keys = [k for k in keys if k in wording][:PRACTICE_COUNT]
    if problems and problems[0] not in keys and problems[0] in wording:
        keys[-1] = problems[0]
    return [wording[k] for k in keys]


def _one_line(text: str) -> str:
    return " ".join(text.split())
