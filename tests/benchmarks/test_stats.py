"""Percentile summaries, the trend slope and caption stability: pure, table-driven."""

from __future__ import annotations

import pytest

from benchmarks.stats import changed_words, percentile, slope, stability, summarize


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([1.0], 0.5, 1.0),
        ([1.0, 2.0], 0.5, 1.5),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 0.5, 3.0),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 0.9, 4.6),
        ([0.0, 10.0], 0.95, 9.5),
        ([1.0, 2.0, 3.0], 1.0, 3.0),
    ],
)
def test_percentile_interpolates_like_numpy(values, fraction, expected) -> None:
    assert percentile(values, fraction) == pytest.approx(expected)


def test_summarize_orders_values_and_counts_them() -> None:
    summary = summarize([3.0, 1.0, 2.0])
    assert (summary.count, summary.p50, summary.max, summary.mean) == (3, 2.0, 3.0, 2.0)
    assert summarize([]).count == 0 and summarize([]).p50 is None


@pytest.mark.parametrize(
    ("xs", "ys", "expected"),
    [
        ([0, 1, 2], [1, 1, 1], 0.0),
        ([0, 1, 2], [0, 2, 4], 2.0),
        ([0, 10], [5, 0], -0.5),
        ([3], [1], 0.0),
        ([2, 2], [0, 1], 0.0),
    ],
)
def test_slope(xs, ys, expected) -> None:
    assert slope(xs, ys) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        ("hello wor", "hello world", 0),  # the last word only grew
        ("hello world", "hello world again", 0),
        ("hello world", "hello word", 1),
        ("the cat sat", "a cat sat", 1),
        ("Greggs in a cross.", "Gregs in across the tape.", 3),
        ("the cat sat", "the cat", 1),
        ("", "anything", 0),
        ("the two.", "The two stray", 0),  # case and punctuation are not content
        ("the two straight", "the two stray kitten.", 1),
    ],
)
def test_changed_words(previous, current, expected) -> None:
    assert changed_words(previous, current) == expected


def test_stability_counts_retractions_between_consecutive_captions() -> None:
    result = stability(
        [
            # grows only: no retraction; the final keeps the stable prefix
            (["go", "go forward"], ["", "go"], "go forward ten meters"),
            # "I fellow" retracted to "my fellow": 8 characters, 1 word ("fellow" is kept)
            (["And so I fellow", "And so my fellow"], ["And so", "And so"], "And so my fellow."),
        ]
    )
    assert result.updates == 4
    assert result.retractions == 1
    assert result.retracted_chars == len("I fellow")
    assert result.changed_words == 1
    assert result.stable_violations == 0
    assert result.shown_chars == len("go forward ten meters") + len("And so my fellow.")
    assert result.shown_words == 8
    assert result.retraction_rate == pytest.approx(0.25)
    assert result.changed_words_per_100 == pytest.approx(12.5)


def test_stability_counts_a_caption_dropping_the_promised_prefix() -> None:
    result = stability([(["ask not what", "ask now"], ["ask not", "ask"], "ask now what")])
    assert result.stable_violations == 1
    assert result.retractions == 1


def test_stability_of_nothing_is_zero() -> None:
    result = stability([])
    assert result.updates == 0 and result.retraction_rate == 0.0
    assert result.retracted_chars_per_100 == 0.0 and result.changed_words_per_100 == 0.0
