"""The end-of-interview report."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import msgspec
import pytest

from server.interview.answer import Answer, AnswerOutcome
from server.interview.coach import OfflineCoach, next_step
from server.interview.followups import interview_texts
from server.interview.metrics import DeliveryMetrics, compute_metrics, words_from_text
from server.interview.report import (
    InterviewReport,
    QuestionResult,
    ReportContext,
    build_report,
    question_result,
    to_markdown,
    trend,
)
from server.interview.rubric import RUBRIC_VERSION, assess, overall_score
from server.interview.types import FeedbackRequest, FeedbackResult, Scores
from tests.records import new_answer


def metrics(word_count: int) -> DeliveryMetrics:
    # Five different words in turn: no stumbles, no fillers.
    text = " ".join(
        ["alpha", "bravo", "charlie", "delta", "echo"][i % 5] for i in range(word_count)
    )
    words = words_from_text(text, words_per_minute=140)
    return compute_metrics(words, duration_s=words[-1].end_s)


def result(
    qid: str, scores: Scores, m: DeliveryMetrics | None = None, **kw: object
) -> QuestionResult:
    return QuestionResult(
        question_id=qid,
        question=f"Question {qid}?",
        transcript=f"Answer to {qid}.",
        scores=scores,
        overall=overall_score(scores),
        feedback=f"Feedback on {qid}.",
        metrics=m,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("now", "earlier", "expected"),
    [
        (70.0, None, "first"),
        (70.0, 64.0, "improved"),
        (70.0, 65.0, "steady"),
        (70.0, 75.0, "steady"),
        (70.0, 76.0, "degraded"),
    ],
)
def test_trend(now: float, earlier: float | None, expected: str) -> None:
    assert trend(now, earlier) == expected


def test_means_strongest_weakest_and_trend() -> None:
    a = Scores(structure=4, relevance=5, specificity=3, result=2, delivery=4)
    b = Scores(structure=4, relevance=5, specificity=3, result=4, delivery=4)
    report = build_report([result("q1", a), result("q2", b)], [40.0, 50.0], "en")
    assert report.dimension_means == {
        "structure": 4.0,
        "relevance": 5.0,
        "specificity": 3.0,
        "result": 3.0,
        "delivery": 4.0,
    }
    assert (report.strongest, report.weakest) == ("relevance", "specificity")  # tie: rubric order
    assert report.overall_mean == (overall_score(a) + overall_score(b)) / 2
    assert (report.earlier_mean, report.trend) == (45.0, "improved")


@pytest.mark.parametrize("language", ["en", "es"])
def test_practice_from_weak_dimensions_and_delivery_problems(language: str) -> None:
    practice = interview_texts(language).practice
    s = Scores(structure=5, relevance=5, specificity=2, result=1, delivery=4)
    report = build_report([result("q1", s, metrics(420))], [], language)
    assert report.practice == [practice["result"], practice["specificity"], practice["length_long"]]
    no_problems = build_report([result("q1", s, metrics(150))], [], language)
    assert no_problems.practice == [
        practice["result"],
        practice["specificity"],
        practice["delivery"],
    ]


def test_markdown_reads_like_the_report_screen() -> None:
    weak = Scores(structure=3, relevance=4, specificity=2, result=1, delivery=4)
    strong = Scores(structure=5, relevance=5, specificity=4, result=4, delivery=4)
    report = InterviewReport(
        language="en",
        rows=[
            result("q1", weak),
            result("result-outcome", strong, is_followup=True, parent_id="q1"),
            result("q2", strong),
        ],
        dimension_means={
            "structure": 4.33,
            "relevance": 4.67,
            "specificity": 3.25,
            "result": 3.0,
            "delivery": 4.0,
        },
        overall_mean=71.0,
        strongest="relevance",
        weakest="result",
        trend="improved",
        earlier_mean=60.25,
        practice=["Say how it ended.", "Name the numbers.", "Slow down."],
    )
    context = ReportContext(
        role="Software engineer",
        created_at=datetime(2026, 3, 4, 20, 5, 9, tzinfo=timezone(timedelta(hours=-3))),
        status="completed",
    )
    lines = to_markdown(report, context).splitlines()
    assert lines[:8] == [
        "# Interview report",
        "",
        "**Role:** Software engineer · **Date:** 2026-03-04 23:05 UTC · **Status:** completed"
        " · **Answers:** 3",
        "",
        "**Overall:** 71.0/100 (improved; your earlier interviews: 60.3/100)",
        "**Strongest:** relevance (4.7/5) · **Weakest:** result (3.0/5)",
        "",
        "**Mean score per dimension:** structure 4.3/5, relevance 4.7/5, specificity 3.3/5,"
        " result 3.0/5, delivery 4.0/5",
    ]
    # The screen numbers main questions only and puts each follow-up under its question.
    headings = [line for line in lines if line.startswith("#")]
    assert headings == [
        "# Interview report",
        "## Practise next",
        "## Questions and answers",
        "### Question 1: Question q1?",
        "#### Follow-up: Question result-outcome?",
        "### Question 2: Question q2?",
    ]
    assert "1. Say how it ended." in lines and "3. Slow down." in lines
    assert (
        f"**Score:** {overall_score(weak)}/100 (structure 3/5, relevance 4/5, specificity 2/5,"
        " result 1/5, delivery 4/5)"
    ) in lines
    assert "> Answer to q1." in lines and "Feedback on result-outcome." in lines

    ended = to_markdown(report, msgspec.structs.replace(context, status="ended_early"))
    assert "**Status:** ended early" in ended
    assert "**Overall:** 71.0/100 (ended early: not compared with earlier interviews)" in ended
    first = msgspec.structs.replace(report, trend="first", earlier_mean=None)
    assert "**Overall:** 71.0/100 (first interview)" in to_markdown(first, context)


def test_no_answers() -> None:
    with pytest.raises(ValueError):
        build_report([], [], "en")


def test_a_row_from_an_answer_uses_its_feedback_or_else_the_rubric() -> None:
    m = metrics(60)
    transcript = "I fixed the build."
    scores = Scores(structure=4, relevance=4, specificity=2, result=1, delivery=4)
    feedback = FeedbackResult(
        text="Good order. But no result.",
        scores=scores,
        overall=overall_score(scores),
        provider="gemini",
        model="gemini-2.5-flash-lite",
        rubric_version=RUBRIC_VERSION,
    )
    answered = AnswerOutcome(_answer("a1", transcript), m, feedback)
    row = question_result(
        key="q-1", question="A bug?", outcome=answered, parent_key=None, language="en"
    )
    assert (row.scores, row.overall) == (scores, feedback.overall)
    assert (row.question_id, row.is_followup, row.transcript, row.metrics) == (
        "q-1",
        False,
        transcript,
        m,
    )
    # The row's one line is the coach's next step, whoever wrote the feedback.
    assert row.feedback == next_step("A bug?", transcript, m, "en")
    assert OfflineCoach().compose(_request("A bug?", transcript, m))[1].text.endswith(row.feedback)

    unfed = AnswerOutcome(_answer("a2", transcript), m, None)
    follow = question_result(
        key="q-1/result", question="And then?", outcome=unfed, parent_key="q-1", language="es"
    )
    expected = assess("And then?", transcript, m)
    assert (follow.scores, follow.overall) == (expected, overall_score(expected))
    assert (follow.is_followup, follow.parent_id) == (True, "q-1")
    assert follow.feedback == next_step("And then?", transcript, m, "es")


def test_rows_whose_flaws_differ_get_different_next_steps() -> None:
    """Short answers all lead with their length; a report that said "answer for at least a
    minute" on every row would hide what else differs between them."""
    question = "Tell me about a time you fixed a hard bug."
    short = "I fixed a memory leak in our billing service last spring."
    hedged = "I think I maybe fixed a leak, I guess, in billing. I think it worked, maybe."

    def row(key: str, transcript: str, earlier: list[QuestionResult]) -> QuestionResult:
        words = words_from_text(transcript, words_per_minute=140)
        m = compute_metrics(words, duration_s=words[-1].end_s)
        outcome = AnswerOutcome(_answer(key, transcript), m, None)
        return question_result(
            key=key,
            question=question,
            outcome=outcome,
            parent_key=None,
            language="en",
            earlier=earlier,
        )

    first = row("q1", short, [])
    alone = row("q2", hedged, [])
    after = row("q2", hedged, [first])
    assert "at least a minute" in first.feedback
    assert alone.feedback == first.feedback  # on its own, its length comes first too
    assert after.feedback != first.feedback
    assert "“I think”" in after.feedback  # its other flaw: the hedging
    # The same flaws again: its second step, then, once both are given, its own first one.
    again = row("q3", short, [first])
    assert again.feedback not in (first.feedback, after.feedback)
    assert row("q4", short, [first, again]).feedback == first.feedback


def _answer(answer_id: str, transcript: str) -> Answer:
    return new_answer(
        id=answer_id,
        question_id=None,
        question_text="A bug?",
        role="general",
        profile_id="alice",
        session_id="s1",
        language="en",
        transcript=transcript,
        words=[],
        duration_s=5.0,
        model="tiny.en",
    )


def _request(question: str, transcript: str, m: DeliveryMetrics) -> FeedbackRequest:
    return FeedbackRequest(
        question=question,
        role="general",
        language="en",
        transcript=transcript,
        metrics=msgspec.to_builtins(m),
    )
