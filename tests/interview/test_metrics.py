"""Delivery metrics from timed words: fillers in context, hedges, pace, pauses, repeats, length."""

from __future__ import annotations

import msgspec
import pytest

from server.interview.metrics import (
    DeliveryMetrics,
    compute_metrics,
    tokenize,
    words_from_text,
)
from server.interview.types import AnswerWord


def _metrics(text: str, wpm: float = 140.0) -> DeliveryMetrics:
    return compute_metrics(words_from_text(text, words_per_minute=wpm), duration_s=60.0)


def _words_with_gaps(gaps_s: list[float], word_s: float = 0.3) -> list[AnswerWord]:
    """One word, then one more after each gap."""
    words, start = [], 1.0
    for gap in [0.0, *gaps_s]:
        start += gap
        words.append(AnswerWord(word=f" w{len(words)}", start_s=start, end_s=start + word_s))
        start += word_s
    return words


@pytest.mark.parametrize(
    ("text", "fillers"),
    [
        ("I like working in teams.", {}),
        ("I really like Python and we would like to use it more.", {}),
        ("It looks like the build failed, and tools like Kafka helped.", {}),
        ("Um, I was, like, really nervous.", {"um": 1, "like": 1}),
        ("It took like 20 minutes to fix.", {"like": 1}),
        ("And it was, um like, a mess.", {"um": 1, "like": 1}),
        ("Like I said, we shipped it.", {}),
        ("Then we, like, wrote it down.", {"like": 1}),
        ("He smiles, like a barber in a shop.", {}),
        ("You know, the deploy failed.", {"you know": 1}),
        ("The deploy failed, you know.", {"you know": 1}),
        ("Do you know the answer? You know the system well.", {}),
        ("I mean, it was hard.", {"i mean": 1}),
        ("I mean it. What I mean is simple.", {}),
        ("So, we started over. Then we did it, so we shipped.", {"so": 1}),
        ("So we started over.", {"so": 1}),
        ("We shipped it. So we won.", {}),
        ("Uh, erm, hmm, mm-hmm, ahh, umm.", {"uh": 1, "er": 1, "hmm": 2, "ah": 1, "um": 1}),
        (
            "Basically it actually literally worked, you know what I mean?",
            {"basically": 1, "actually": 1, "literally": 1, "you know what i mean": 1},
        ),
    ],
)
def test_fillers_counted_only_in_filler_use(text: str, fillers: dict[str, int]) -> None:
    metrics = _metrics(text)
    assert metrics.fillers == fillers
    assert metrics.filler_count == sum(fillers.values())


@pytest.mark.parametrize(
    ("text", "hedges"),
    [
        ("I think we should ship it.", {"i think": 1}),
        ("I think about testing a lot.", {}),
        ("What kind of database did you use? A sort of queue.", {}),
        ("I kind of led the project and sort of owned it.", {"kind of": 1, "sort of": 1}),
        ("Maybe it was probably fine, I guess.", {"maybe": 1, "probably": 1, "i guess": 1}),
        ("I'm not sure it worked. I don't know how to say it.", {"i'm not sure": 1}),
        ("I believe in testing.", {}),
    ],
)
def test_hedges(text: str, hedges: dict[str, int]) -> None:
    assert _metrics(text).hedges == hedges


def test_rates_are_per_minute_of_speech_and_per_100_words() -> None:
    text = " ".join(["um we built it"] * 25)  # 100 words, 25 fillers
    metrics = _metrics(text, wpm=120)
    assert metrics.word_count == 100
    assert metrics.filler_count == 25
    assert metrics.fillers_per_100_words == 25.0
    assert metrics.fillers_per_minute == pytest.approx(25 / (metrics.speaking_s / 60), abs=0.01)


@pytest.mark.parametrize(
    ("wpm", "pace"),
    [(90.0, "slow"), (119.0, "slow"), (140.0, "ok"), (158.0, "ok"), (175.0, "fast")],
)
def test_pace(wpm: float, pace: str) -> None:
    metrics = _metrics(" ".join(["word"] * 200), wpm=wpm)
    assert metrics.words_per_minute == pytest.approx(wpm, rel=0.01)
    assert metrics.pace == pace


def test_pace_is_unknown_for_a_few_seconds_of_speech() -> None:
    assert _metrics("We shipped it on time.").pace == "unknown"


def test_long_pauses_from_timings() -> None:
    words = _words_with_gaps([0.2, 3.0, 0.5, 4.0, 2.5, 0.1])
    metrics = compute_metrics(words, duration_s=20.0, long_pause_s=2.5)
    assert metrics.long_pause_count == 2  # 2.5 s is not over the threshold
    assert metrics.longest_pause_s == 4.0
    assert metrics.long_pause_total_s == 7.0
    assert metrics.spoken_span_s == pytest.approx(7 * 0.3 + 10.3)
    assert metrics.speaking_s == pytest.approx(metrics.spoken_span_s - 7.0)
    assert metrics.words_per_minute == pytest.approx(7 / metrics.speaking_s * 60, abs=0.01)
    assert metrics.duration_s == 20.0

    stricter = compute_metrics(words, duration_s=20.0, long_pause_s=2.0)
    assert stricter.long_pause_count == 3


def test_leading_and_trailing_silence_is_not_a_pause() -> None:
    words = [AnswerWord(" Hello", 5.0, 5.4), AnswerWord(" there.", 5.5, 5.9)]
    metrics = compute_metrics(words, duration_s=30.0)
    assert metrics.long_pause_count == 0
    assert metrics.spoken_span_s == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("words", "length"), [(100, "short"), (200, "ok"), (330, "long"), (0, "short")]
)
def test_length_against_one_to_two_minutes(words: int, length: str) -> None:
    metrics = _metrics(" ".join(["word"] * words), wpm=150)  # 150 words a minute
    assert metrics.length == length


@pytest.mark.parametrize(
    ("text", "phrases", "count"),
    [
        ("I I went to the the store.", [("i", 1, True), ("the", 1, True)], 2),
        ("We we we shipped it.", [("we", 2, True)], 2),
        ("We went we went home.", [("we went", 1, True)], 1),
        ("I knew that that was wrong and he had had enough.", [], 0),
        ("Um um, we did it.", [], 0),
        (
            "At the end of the day we won. At the end of the day it worked. "
            "At the end of the day, fine.",
            [("at the end of the day", 3, False)],
            0,
        ),
        ("It was in the box and in the car and in the bag.", [], 0),
    ],
)
def test_repeated_phrases(text: str, phrases: list[tuple[str, int, bool]], count: int) -> None:
    metrics = _metrics(text)
    assert [(r.phrase, r.count, r.back_to_back) for r in metrics.repeated_phrases] == phrases
    assert metrics.repetition_count == count


def test_no_words() -> None:
    metrics = compute_metrics([], duration_s=12.0)
    assert metrics.word_count == 0
    assert metrics.words_per_minute == 0.0
    assert metrics.pace == "unknown"
    assert metrics.filler_count == 0
    assert metrics.duration_s == 12.0


def test_words_without_timings_give_unknown_pace_and_length() -> None:
    metrics = compute_metrics(words_from_text("We fixed it, um, quickly."), duration_s=0.0)
    assert (metrics.pace, metrics.length) == ("unknown", "unknown")
    assert metrics.fillers == {"um": 1}


def test_words_are_normalised_and_put_in_time_order() -> None:
    words = [
        AnswerWord(" reduced", 1.0, 1.3),
        AnswerWord(" We", 0.0, 0.2),
        AnswerWord(" it\u2019s", 0.3, 0.5),
        AnswerWord(" 40%.", 1.4, 1.8),
    ]
    metrics = compute_metrics(words, duration_s=2.0)
    assert metrics.word_count == 4
    assert [t.text for t in tokenize("We it\u2019s reduced 40%.")] == [
        "we",
        "it's",
        "reduced",
        "40",
    ]


def test_regional_language_codes_use_the_language_word_lists() -> None:
    words = words_from_text("Um, so it was, like, fine.", words_per_minute=140)
    assert compute_metrics(words, duration_s=3.0, language="en-GB").language == "en"


def test_metrics_survive_a_round_trip_through_builtins() -> None:
    metrics = _metrics("So, um, we we shipped it, you know. At the end of the day it worked.")
    as_json = msgspec.json.encode(msgspec.to_builtins(metrics))
    assert msgspec.json.decode(as_json, type=DeliveryMetrics) == metrics


def test_metrics_are_deterministic() -> None:
    text = "Um, I think we, like, sort of fixed it. I I mean, it was like 20 minutes."
    assert _metrics(text) == _metrics(text)
