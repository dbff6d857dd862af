"""The phases of a mock interview and every move between them, in one table.

```
IDLE --start--> PREPARING --prepared--> ASKING --asked--> WAITING --answer_started--> RECORDING
  ^                |                      |  ^               |                            |
  |     preparation_failed             finish |            finish                   answer_ended
  |                v                      v  +---------------------------------------------+
  +-- reported -- IDLE         REPORTING <-- (finish from WAITING too)
```

ASKING covers everything between two questions: the answer just ended is stored and given
feedback, then a follow-up or the next question is chosen and asked (or the report is due).
Ending early is not a phase: it is a request the interview carries until the current phase can
act on it (see `InterviewFlow`).
"""

from __future__ import annotations

import enum


class Phase(enum.Enum):
    IDLE = "idle"  # no interview
    PREPARING = "preparing"  # choosing the questions (Gemini may write them), storing the plan
    ASKING = "asking"  # between questions: the last answer handed over, the next one asked
    WAITING = "waiting"  # a question is out; the answer starts at the first speech
    RECORDING = "recording"  # an answer is being recorded
    REPORTING = "reporting"  # the report is being built, stored and sent


class Move(enum.Enum):
    START = "start"
    PREPARED = "prepared"
    PREPARATION_FAILED = "preparation_failed"
    ASKED = "asked"
    ANSWER_STARTED = "answer_started"
    ANSWER_ENDED = "answer_ended"
    FINISH = "finish"
    REPORTED = "reported"


TRANSITIONS: dict[tuple[Phase, Move], Phase] = {
    (Phase.IDLE, Move.START): Phase.PREPARING,
    (Phase.PREPARING, Move.PREPARED): Phase.ASKING,
    (Phase.PREPARING, Move.PREPARATION_FAILED): Phase.IDLE,
    (Phase.ASKING, Move.ASKED): Phase.WAITING,
    (Phase.ASKING, Move.FINISH): Phase.REPORTING,
    (Phase.WAITING, Move.ANSWER_STARTED): Phase.RECORDING,
    (Phase.WAITING, Move.FINISH): Phase.REPORTING,
    (Phase.RECORDING, Move.ANSWER_ENDED): Phase.ASKING,
    (Phase.REPORTING, Move.REPORTED): Phase.IDLE,
}


class IllegalMoveError(RuntimeError):
    """A move the current phase does not allow: a bug in the interview flow."""


class InterviewPhases:
    """The current phase; `move` is the only way to change it."""

    def __init__(self) -> None:
        self.phase = Phase.IDLE

    def can(self, move: Move) -> bool:
        return (self.phase, move) in TRANSITIONS

    def move(self, move: Move) -> Phase:
        following = TRANSITIONS.get((self.phase, move))
        if following is None:
            raise IllegalMoveError(f"{move.value} is not allowed while {self.phase.value}")
        self.phase = following
        return following
