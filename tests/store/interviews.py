"""A mock interview played into a real store: answers scored by the offline coach, the report
built by `build_report` from the stored rows, as the interview flow does."""

from __future__ import annotations

from datetime import datetime

import msgspec

from server.interview.coach import OfflineCoach
from server.interview.metrics import compute_metrics, words_from_text
from server.interview.report import InterviewReport, QuestionResult, build_report
from server.interview.types import FeedbackRequest
from server.store import Store, StoredAnswer
from tests.records import new_answer

STRONG = (
    "When our release pipeline kept failing I set up a weekly review with the two teams. "
    "I wrote the checklist myself and paired with the newest engineer on the first runs. "
    "As a result failed releases dropped from nine to two a month within a quarter."
)
WEAK = "Um I think we just talked about it and it was fine I guess."
# Asked after an answer with no result, keyed by the dimension it probes.
FOLLOWUP = ("result-outcome", "What was the result, and how did you measure it?")


async def start_interview(
    store: Store, *, profile_id: str = "alice", lease_until: datetime | None = None
) -> str:
    """A new interview of three bank questions, in progress."""
    return await store.create_interview(
        profile_id=profile_id,
        session_id="session-1",
        role="software_engineer",
        language="en",
        planned_questions=3,
        question_source="bank",
        job_description=None,
        lease_until=lease_until,
    )


async def save_scored_answer(
    store: Store,
    interview_id: str,
    question_id: str,
    question: str,
    transcript: str,
    *,
    profile_id: str = "alice",
    parent: StoredAnswer | None = None,
) -> tuple[StoredAnswer, QuestionResult]:
    """Store one interview answer with the offline coach's feedback, and its report row (a
    follow-up's `question_id` is its follow-up id)."""
    words = words_from_text(transcript, words_per_minute=140)
    metrics = compute_metrics(words, duration_s=words[-1].end_s + 0.5)
    metrics_data = msgspec.to_builtins(metrics)
    saved = await store.save_answer(
        new_answer(
            profile_id=profile_id,
            session_id="session-1",
            question_id=question_id,
            question_text=question,
            role="software_engineer",
            language="en",
            transcript=transcript,
            words=words,
            metrics=metrics_data,
            duration_s=metrics.duration_s,
            model="tiny.en",
            interview_id=interview_id,
            parent_answer_id=None if parent is None else parent.id,
            followup_id=None if parent is None else question_id,
        )
    )
    request = FeedbackRequest(
        question=question,
        role="software_engineer",
        language="en",
        transcript=transcript,
        metrics=metrics_data,
    )
    _, result = OfflineCoach().compose(request)
    await store.save_feedback(saved.id, result, latency_s=0.2, first_chunk_s=0.05)
    row = QuestionResult(
        question_id=question_id,
        question=question,
        transcript=transcript,
        scores=result.scores,
        overall=result.overall,
        feedback=result.text.split("\n")[0],
        is_followup=parent is not None,
        parent_id=None if parent is None else parent.question_id,
        metrics=metrics,
    )
    return saved, row


async def play_interview(
    store: Store,
    transcripts: list[str],
    *,
    profile_id: str = "alice",
    followup_after_first: bool = False,
    status: str = "completed",
    role: str = "software_engineer",
) -> tuple[str, InterviewReport]:
    """A finished interview: one main question per transcript (optionally a follow-up to the
    first), scored and reported with the earlier interviews as the trend baseline."""
    interview_id = await store.create_interview(
        profile_id=profile_id,
        session_id="session-1",
        role=role,
        language="en",
        planned_questions=len(transcripts),
        question_source="bank",
        job_description=None,
    )
    rows: list[QuestionResult] = []
    for number, transcript in enumerate(transcripts, 1):
        question = f"Question {number}: tell me about a time you fixed a broken process."
        saved, row = await save_scored_answer(
            store, interview_id, f"q-{number}", question, transcript, profile_id=profile_id
        )
        rows.append(row)
        if followup_after_first and number == 1:
            followup_id, text = FOLLOWUP
            _, followup_row = await save_scored_answer(
                store, interview_id, followup_id, text, STRONG, profile_id=profile_id, parent=saved
            )
            rows.append(followup_row)
    earlier = await store.earlier_interview_means(profile_id, interview_id)
    report = build_report(rows, earlier, "en")
    await store.finish_interview(
        interview_id,
        status=status,
        report=msgspec.to_builtins(report),
        overall_mean=report.overall_mean,
    )
    return interview_id, report
