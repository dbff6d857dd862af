"""The end-of-interview report."""

from __future__ import annotations

import msgspec
import pytest

from server.interview.answer import Answer, AnswerOutcome
from server.interview.coach import OfflineCoach, next_step
from server.interview.followups import interview_texts
from server.interview.metrics import DeliveryMetrics, compute_metrics, words_from_text
from server.interview.report import (
    QuestionResult,
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


def test_markdown() -> None:
    s = Scores(structure=3, relevance=4, specificity=2, result=1, delivery=4)
    rows = [result("q1", s), result("result-outcome", s, is_followup=True, parent_id="q1")]
    text = to_markdown(build_report(rows, [60.0], "en"))
    assert "### 1. Question q1?" in text and "### 2. Question result-outcome?" in text
    assert "*Follow-up to question 1*" in text
    assert "> Answer to q1." in text and "Feedback on result-outcome." in text
    assert f"**Score:** {overall_score(s)}/100 (structure 3," in text
    assert "(degraded; earlier interviews: 60)" in text
    assert text.rstrip().endswith("3. " + build_report(rows, [], "en").practice[2])


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
