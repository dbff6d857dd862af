"""The coaching evaluation's expectation checks, on a feedback result built for the test."""

from __future__ import annotations

from benchmarks.coaching import Coached, check

_RESULT = Coached(
    text="At 9 words the answer was far too short.",
    scores={"structure": 2, "relevance": 4, "specificity": 1, "result": 3, "delivery": 5},
    overall=30,
    transcript="I missed a deadline once and I learned to plan better.",
)


def test_each_expectation_is_checked() -> None:
    expect = {
        "weakest": ["result"],  # 3 is above the second-lowest score (2)
        "weakest_not": ["specificity"],  # alone at the lowest score
        "mentions": ["too short", "outcome"],
        "not_mentions": ["off.topic"],
        "overall_min": 20,
        "overall_max": 25,
    }
    held = [ok for _, ok in check(expect, _RESULT)]
    assert held == [False, False, True, False, True, True, False]


def test_weakest_holds_at_the_second_lowest_score() -> None:
    held = [ok for _, ok in check({"weakest": ["structure"], "weakest_not": ["result"]}, _RESULT)]
    assert held == [True, True]
