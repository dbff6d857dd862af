"""The mock interview's phases: the transition table, and the flow driven message by message."""

from __future__ import annotations

import pytest

from server import protocol
from server.session.interview_phases import (
    TRANSITIONS,
    IllegalMoveError,
    InterviewPhases,
    Move,
    Phase,
)
from tests.session.conftest import Parts
from tests.store.databases import writes_refused

ONE_QUESTION = protocol.InterviewStart(questions=1, followups=False, nudges=False)

# Every phase an interview goes through, in order, for one question answered.
ONE_ANSWER = [
    (Move.START, Phase.PREPARING),
    (Move.PREPARED, Phase.ASKING),
    (Move.ASKED, Phase.WAITING),
    (Move.ANSWER_STARTED, Phase.RECORDING),
    (Move.ANSWER_ENDED, Phase.ASKING),
    (Move.FINISH, Phase.REPORTING),
    (Move.REPORTED, Phase.IDLE),
]


def test_one_answered_question_goes_through_every_phase() -> None:
    phases = InterviewPhases()
    for move, expected in ONE_ANSWER:
        assert phases.move(move) is expected


@pytest.mark.parametrize(
    ("phase", "move"),
    [(p, m) for p in Phase for m in Move if (p, m) not in TRANSITIONS],
    ids=lambda value: value.value,
)
def test_every_move_outside_the_table_is_refused(phase: Phase, move: Move) -> None:
    phases = InterviewPhases()
    phases.phase = phase
    assert not phases.can(move)
    with pytest.raises(IllegalMoveError):
        phases.move(move)
    assert phases.phase is phase


async def test_an_end_asked_for_while_a_start_fails_does_not_end_the_next_interview(
    parts: Parts,
) -> None:
    """`interview.end` while the interview is being prepared, then the preparation fails (the
    database refuses to store the plan): the end request once stayed behind and ended the next
    interview as soon as it started."""
    with writes_refused(parts.database):
        parts.interview.start(ONE_QUESTION)
        parts.interview.end()
        await parts.context.work.wait()
    assert [e.code for e in parts.of(protocol.ErrorEvent)] == ["internal_error"]
    assert not parts.interview.active and not parts.of(protocol.InterviewStarted)

    parts.interview.start(ONE_QUESTION)
    await parts.context.work.wait()

    assert len(parts.of(protocol.QuestionAsked)) == 1
    assert parts.of(protocol.InterviewReportEvent) == []
    assert parts.interview.active  # waiting for the answer

    parts.interview.end()
    await parts.context.work.wait()
    (report,) = parts.of(protocol.InterviewReportEvent)
    assert (report.status, report.report) == ("ended_early", None)
    assert not parts.interview.active


async def test_an_end_while_preparing_ends_that_interview_once_it_is_ready(
    parts: Parts,
) -> None:
    parts.interview.start(ONE_QUESTION)
    parts.interview.end()
    await parts.context.work.wait()
    assert [type(m) for m in parts.sent] == [
        protocol.InterviewStarted,
        protocol.InterviewReportEvent,
    ]
    assert not parts.interview.active


async def test_an_answer_skipped_before_speaking_completes_a_one_question_interview(
    parts: Parts,
) -> None:
    parts.interview.start(ONE_QUESTION)
    await parts.context.work.wait()
    parts.interview.end_answer()
    await parts.context.work.wait()

    (ended,) = parts.of(protocol.AnswerEnded)
    assert ended.reason == "button"
    (saved,) = parts.of(protocol.AnswerSaved)
    assert saved.transcript == "" and saved.stored
    (report,) = parts.of(protocol.InterviewReportEvent)
    assert report.status == "completed"
    assert report.report is not None and [r["transcript"] for r in report.report["rows"]] == [""]
