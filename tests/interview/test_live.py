"""The silence countdown and the words of an answer in progress, driven by the audio clock."""

from __future__ import annotations

import pytest

from server.asr.events import TimedWord
from server.interview.live import AnswerWords, SilenceTimer

VAD_END_MS = 450


def test_countdown_is_what_remains_of_the_silence_after_the_vad_hangover() -> None:
    timer = SilenceTimer(3000, VAD_END_MS)
    assert timer.speech_ended(10_000) == 3000 - VAD_END_MS
    assert timer.counting
    assert not timer.expired(10_000 + 3000 - VAD_END_MS - 1)
    assert timer.expired(10_000 + 3000 - VAD_END_MS)
    assert not timer.counting and not timer.expired(20_000)  # it fires once


def test_speaking_again_stops_the_countdown() -> None:
    timer = SilenceTimer(2000, VAD_END_MS)
    timer.speech_ended(5_000)
    assert timer.speech_started() is True
    assert not timer.expired(60_000)
    assert timer.speech_started() is False  # nothing was running


def test_silence_shorter_than_the_hangover_ends_at_once() -> None:
    timer = SilenceTimer(300, VAD_END_MS)
    assert timer.speech_ended(8_000) == 0
    assert timer.expired(8_000)


def test_zero_silence_means_only_the_button_ends_an_answer() -> None:
    timer = SilenceTimer(0, VAD_END_MS)
    assert not timer.enabled
    assert timer.speech_ended(8_000) is None
    assert not timer.expired(600_000)


def _final(words: list[tuple[str, int, int]]) -> list[TimedWord]:
    return [TimedWord(word=w, start_ms=s, end_ms=e, probability=0.9) for w, s, e in words]


def test_final_words_are_timed_from_the_start_of_the_answer() -> None:
    words = AnswerWords(start_ms=10_000)
    words.add_final(_final([("I", 10_200, 10_400), ("led", 10_400, 10_900)]))
    assert [(w.word, w.start_s, w.end_s) for w in words.words()] == [
        ("I", 0.2, 0.4),
        ("led", 0.4, 0.9),
    ]
    assert words.seconds_at(12_500) == 2.5


def test_words_that_ended_before_the_answer_are_not_part_of_it() -> None:
    words = AnswerWords(start_ms=10_000)
    words.add_final(_final([("before", 9_000, 9_500), ("after", 10_100, 10_600)]))
    assert [w.word for w in words.words()] == ["after"]


def test_partial_words_are_spread_over_their_audio_and_replaced_by_the_final() -> None:
    words = AnswerWords(start_ms=0)
    words.add_final(_final([("First", 0, 500)]))
    words.set_partial("one two three four", audio_start_ms=1000, audio_end_ms=3000)
    partial = words.words()[1:]
    assert [w.word for w in partial] == ["one", "two", "three", "four"]
    assert [w.start_s for w in partial] == pytest.approx([1.0, 1.5, 2.0, 2.5])
    assert partial[-1].end_s == pytest.approx(3.0)
    words.add_final(_final([("one", 1000, 1400), ("two", 1400, 2000)]))
    assert [w.word for w in words.words()] == ["First", "one", "two"]
