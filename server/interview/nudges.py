"""Live delivery nudges while a person answers, from the words so far over rolling windows.

Rules (thresholds in `NudgeOptions`):
- pace: words per minute over the last 20 s, judged once the answer is 20 s old and the window
  holds at least 15 s of speech (long pauses to think do not count as speech, as in
  `compute_metrics`): above 180 -> "pace_fast", below 90 -> "pace_slow".
- fillers: 3 or more in the last 30 s, found by `compute_metrics` with the language's lexicon
  and context rules ("I like Python" has none). The window's first word is judged without
  the words before it.
- long_answer: once, when the answer passes 2 minutes.
At most one nudge per kind per 30 s. One tracker per answer (or `reset()` between answers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec

from server.interview.followups import interview_texts
from server.interview.metrics import DeliveryMetrics, compute_metrics
from server.interview.types import AnswerWord

NudgeKind = Literal["pace_fast", "pace_slow", "fillers", "long_answer"]


class Nudge(msgspec.Struct, frozen=True):
    """A gentle hint; `at_s` is seconds from the start of the answer."""

    kind: NudgeKind
    detail: str
    at_s: float


class NudgeOptions(msgspec.Struct, frozen=True):
    pace_window_s: float = 20.0
    min_pace_speech_s: float = 15.0
    fast_wpm: float = 180.0
    slow_wpm: float = 90.0
    filler_window_s: float = 30.0
    max_fillers: int = 2  # a nudge at max_fillers + 1 within the window
    long_answer_s: float = 120.0
    cooldown_s: float = 30.0


DEFAULT_NUDGE_OPTIONS = NudgeOptions()


class NudgeTracker:
    """Turns the growing list of an answer's words into nudges, each kind rate-limited."""

    def __init__(self, language: str = "en", options: NudgeOptions = DEFAULT_NUDGE_OPTIONS) -> None:
        self.language = language
        self.options = options
        self._wording = interview_texts(language).nudges
        self._last: dict[NudgeKind, float] = {}

    def reset(self) -> None:
        """Forget earlier nudges, for a new answer."""
        self._last.clear()

    def update(self, words: Sequence[AnswerWord], now_s: float) -> list[Nudge]:
        """Nudges due now, given every word of the answer so far (times from its start)."""
        o = self.options
        due: list[tuple[NudgeKind, dict[str, int]]] = []
        if now_s >= o.pace_window_s:
            pace = self._window(words, now_s, o.pace_window_s)
            if pace.speaking_s >= o.min_pace_speech_s:
                wpm = round(pace.words_per_minute)
                if pace.words_per_minute > o.fast_wpm:
                    due.append(("pace_fast", {"wpm": wpm}))
                elif pace.words_per_minute < o.slow_wpm:
                    due.append(("pace_slow", {"wpm": wpm}))
        fillers = self._window(words, now_s, o.filler_window_s).filler_count
        if fillers > o.max_fillers:
            due.append(("fillers", {"count": fillers}))
        if now_s > o.long_answer_s and "long_answer" not in self._last:
            due.append(("long_answer", {"minutes": round(o.long_answer_s / 60)}))

        nudges: list[Nudge] = []
        for kind, fields in due:
            last = self._last.get(kind)
            if last is not None and now_s - last < o.cooldown_s:
                continue
            self._last[kind] = now_s
            nudges.append(Nudge(kind, self._wording[kind].format(**fields), now_s))
        return nudges

    def _window(self, words: Sequence[AnswerWord], now_s: float, span_s: float) -> DeliveryMetrics:
        recent = [w for w in words if now_s - span_s <= w.start_s <= now_s]
        return compute_metrics(recent, duration_s=span_s, language=self.language)
