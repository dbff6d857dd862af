"""What an interview watches while a person answers: their words so far and the silence after.

Both are pure and driven by the audio clock (milliseconds of audio received), not by wall time:
a server that is briefly behind on audio judges the same silence a punctual one would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from server.interview.nudges import Nudge, NudgeTracker
from server.interview.types import AnswerWord

# The longest quiet after speaking that may be asked to end an answer.
MAX_SILENCE_END_MS = 30_000


class TimedWord(Protocol):
    """A recognised word, times in ms of the session's audio."""

    @property
    def word(self) -> str: ...
    @property
    def start_ms(self) -> int: ...
    @property
    def end_ms(self) -> int: ...
    @property
    def probability(self) -> float: ...


class SilenceTimer:
    """Ends an answer after `silence_end_ms` of quiet following speech.

    The segmenter closes an utterance only after `vad_end_ms` of non-speech, so the quiet began
    that long before the close: the countdown is what remains of `silence_end_ms` from there.
    """

    def __init__(self, silence_end_ms: int, vad_end_ms: int) -> None:
        self.silence_end_ms = silence_end_ms
        self._vad_end_ms = vad_end_ms
        self._deadline_ms: int | None = None

    @property
    def enabled(self) -> bool:
        return self.silence_end_ms > 0

    @property
    def counting(self) -> bool:
        return self._deadline_ms is not None

    def speech_ended(self, received_ms: int) -> int | None:
        """The utterance closed at `received_ms`: start the countdown, return ms until it ends."""
        if not self.enabled:
            return None
        self._deadline_ms = received_ms - self._vad_end_ms + self.silence_end_ms
        return max(0, self._deadline_ms - received_ms)

    def speech_started(self) -> bool:
        """Speech again: stop the countdown; True if one was running."""
        counting = self.counting
        self._deadline_ms = None
        return counting

    def expired(self, received_ms: int) -> bool:
        """True once the countdown ran out (then it stops)."""
        if self._deadline_ms is None or received_ms < self._deadline_ms:
            return False
        self._deadline_ms = None
        return True


class AnswerWords:
    """The words of the answer being recorded, times in seconds from its start.

    Finals bring word timings. The open utterance's partial has none, so its words are spread
    evenly over the audio it covers: good enough for paces and filler counts over 20-30 s.
    """

    def __init__(self, start_ms: int) -> None:
        self.start_ms = start_ms
        self._final: list[AnswerWord] = []
        self._partial: list[AnswerWord] = []

    def add_final(self, words: Sequence[TimedWord]) -> None:
        """An utterance's final words (they replace its partial)."""
        self._final += [answer_word(w, self.start_ms) for w in words if w.end_ms > self.start_ms]
        self._partial = []

    def set_partial(self, text: str, audio_start_ms: int, audio_end_ms: int) -> None:
        """The open utterance's latest partial text, covering that audio."""
        tokens = text.split()
        span = max(0, audio_end_ms - audio_start_ms)
        step = span / len(tokens) if tokens else 0
        self._partial = [
            AnswerWord(
                word=token,
                start_s=max(0, round(audio_start_ms + i * step) - self.start_ms) / 1000,
                end_s=max(0, round(audio_start_ms + (i + 1) * step) - self.start_ms) / 1000,
            )
            for i, token in enumerate(tokens)
        ]

    def words(self) -> Sequence[AnswerWord]:
        return [*self._final, *self._partial]

    def seconds_at(self, received_ms: int) -> float:
        """Seconds into the answer at audio position `received_ms`."""
        return max(0, received_ms - self.start_ms) / 1000


def answer_word(word: TimedWord, answer_start_ms: int) -> AnswerWord:
    """A received word with its times made relative to the start of the answer."""
    return AnswerWord(
        word=word.word,
        start_s=max(0, word.start_ms - answer_start_ms) / 1000,
        end_s=max(0, word.end_ms - answer_start_ms) / 1000,
        probability=word.probability,
    )


class AnswerWatch:
    """One answer being recorded: its words, the silence after its speech, the nudges due."""

    def __init__(
        self,
        *,
        start_ms: int,
        silence_end_ms: int,
        vad_end_ms: int,
        nudges: NudgeTracker | None,
        speaking: bool,
    ) -> None:
        self.words = AnswerWords(start_ms)
        self.silence = SilenceTimer(silence_end_ms, vad_end_ms)
        self._nudges = nudges
        self._speaking = speaking
        self._last_check_ms = start_ms

    def speech_started(self) -> bool:
        """Speech began (again); True if that stopped a countdown."""
        self._speaking = True
        return self.silence.speech_started()

    def partial(
        self, text: str, audio_start_ms: int, audio_end_ms: int, received_ms: int
    ) -> list[Nudge]:
        """Take in the open utterance's partial; the nudges it makes due."""
        self.words.set_partial(text, audio_start_ms, audio_end_ms)
        return self.nudges_due(received_ms)

    def final(self, words: Sequence[TimedWord], received_ms: int) -> list[Nudge]:
        """Take in an utterance's final words; the nudges they make due."""
        self.words.add_final(words)
        return self.nudges_due(received_ms)

    def audio(self, received_ms: int, utterance_open: bool) -> int | None:
        """After more audio: the countdown in ms when the speech just ended, else None."""
        countdown = None
        if self._speaking and not utterance_open:
            countdown = self.silence.speech_ended(received_ms)
        self._speaking = utterance_open
        return countdown

    def silence_over(self, received_ms: int) -> bool:
        return not self._speaking and self.silence.expired(received_ms)

    def nudges_due(self, received_ms: int, *, every_ms: int = 0) -> list[Nudge]:
        """Nudges due now, looking at most once per `every_ms` of audio."""
        if self._nudges is None or received_ms - self._last_check_ms < every_ms:
            return []
        self._last_check_ms = received_ms
        return self._nudges.update(self.words.words(), self.words.seconds_at(received_ms))
