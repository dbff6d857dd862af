"""Live nudges from known word timings."""

from __future__ import annotations

import re

import pytest

from server.interview.nudges import NudgeOptions, NudgeTracker
from server.interview.types import AnswerWord


def timed(
    text: str, *, wpm: float, start_s: float = 0.0, word_s: float | None = None
) -> list[AnswerWord]:
    """Words of `text` evenly spaced at `wpm` from `start_s`, each `word_s` long."""
    step = 60.0 / wpm
    length = step * 0.8 if word_s is None else word_s
    return [
        AnswerWord(w, start_s + i * step, start_s + i * step + length)
        for i, w in enumerate(text.split())
    ]


def rate(detail: str) -> int:
    return int(re.findall(r"\d+", detail)[0])


def plain(n: int) -> str:
    return " ".join(["project"] * n)


@pytest.mark.parametrize(
    ("words", "now_s", "kinds"),
    [
        (timed(plain(84), wpm=200), 25.0, ["pace_fast"]),  # 200 wpm over the last 20 s
        (timed(plain(62), wpm=150), 25.0, []),  # in the band
        (timed(plain(30), wpm=70), 25.0, ["pace_slow"]),
        (timed(plain(60), wpm=200), 18.0, []),  # too early to judge pace
        # One word every 4 s: long pauses to think are not slow speech.
        (timed(plain(7), wpm=15, word_s=0.4), 25.0, []),
        (timed("so um we had uh a plan um and it went fine", wpm=140), 6.0, ["fillers"]),
        (timed("we um had uh a plan and it went fine", wpm=140), 6.0, []),  # only two
        (timed("I like Python and I like Go and I like Rust", wpm=140), 6.0, []),  # verbs
        # Three fillers, but the first is older than 30 s.
        (timed("um", wpm=140) + timed("uh plan um", wpm=140, start_s=31.0), 33.0, []),
        (timed(plain(20), wpm=140, start_s=100.0), 121.0, ["long_answer"]),
        (timed(plain(20), wpm=140, start_s=100.0), 119.0, []),
    ],
)
def test_nudge_rules(words: list[AnswerWord], now_s: float, kinds: list[str]) -> None:
    nudges = NudgeTracker("en").update(words, now_s)
    assert [n.kind for n in nudges] == kinds
    assert all(n.at_s == now_s and n.detail for n in nudges)


def test_pace_detail_says_the_rate() -> None:
    (nudge,) = NudgeTracker("en").update(timed(plain(84), wpm=200), 25.0)
    assert rate(nudge.detail) == pytest.approx(200, abs=5)


@pytest.mark.parametrize(
    ("times", "fired"),
    [
        ([25.0, 40.0, 54.0], [25.0]),  # one per 30 s
        ([25.0, 40.0, 55.0, 60.0], [25.0, 55.0]),
    ],
)
def test_one_nudge_per_kind_per_cooldown(times: list[float], fired: list[float]) -> None:
    words = timed(plain(300), wpm=200)
    tracker = NudgeTracker("en")
    got = [n.at_s for now in times for n in tracker.update(words, now)]
    assert got == fired


def test_long_answer_once_and_reset() -> None:
    words = timed(plain(400), wpm=150)
    tracker = NudgeTracker("en")
    kinds = [[n.kind for n in tracker.update(words, now)] for now in (121.0, 160.0, 200.0)]
    assert kinds == [["long_answer"], [], []]
    tracker.reset()
    assert [n.kind for n in tracker.update(words, 200.0)] == ["long_answer"]


def test_options_change_thresholds() -> None:
    words = timed(plain(62), wpm=150)
    tracker = NudgeTracker("en", NudgeOptions(fast_wpm=140.0))
    assert [n.kind for n in tracker.update(words, 25.0)] == ["pace_fast"]


@pytest.mark.parametrize("language", ["es", "pt"])
def test_detail_in_the_answer_language(language: str) -> None:
    words = timed(plain(84), wpm=200)
    (english,) = NudgeTracker("en").update(words, 25.0)
    (translated,) = NudgeTracker(language).update(words, 25.0)
    assert translated.kind == english.kind
    assert translated.detail != english.detail
    assert rate(translated.detail) == rate(english.detail)
