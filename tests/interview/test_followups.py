"""Offline follow-ups keyed by the weakest rubric dimension."""

from __future__ import annotations

import pytest

from server.interview.followups import interview_texts, pick_followup
from server.interview.metrics import DeliveryMetrics, compute_metrics, words_from_text
from server.interview.types import Scores


def metrics(word_count: int) -> DeliveryMetrics:
    # Five different words in turn: no stumbles, no fillers.
    text = " ".join(
        ["alpha", "bravo", "charlie", "delta", "echo"][i % 5] for i in range(word_count)
    )
    words = words_from_text(text, words_per_minute=140)
    return compute_metrics(words, duration_s=words[-1].end_s)


OK = metrics(150)  # about a minute at 140 wpm: no delivery problem
LONG = metrics(420)  # three minutes: too long


def scores(**low: int) -> Scores:
    base = {"structure": 4, "relevance": 4, "specificity": 4, "result": 4, "delivery": 4}
    return Scores(**(base | low))


@pytest.mark.parametrize(
    ("given", "m", "exclude", "expected"),
    [
        (scores(), OK, (), None),
        (scores(structure=5, delivery=5), OK, (), None),
        (scores(result=2, structure=3), OK, (), "result-outcome"),
        (scores(result=2), OK, ("result-outcome",), "result-lesson"),
        (
            scores(result=2, structure=3),
            OK,
            ("result-outcome", "result-lesson"),
            "structure-situation",
        ),
        (scores(result=2), OK, ("result-outcome", "result-lesson"), None),
        (scores(specificity=2, structure=2), OK, (), "specificity-own-part"),  # tie: fixed order
        (scores(relevance=1, result=2), OK, (), "relevance-link"),  # weakest wins
        (scores(delivery=2), LONG, (), "delivery-two-sentences"),
        (scores(delivery=2), LONG, ("delivery-two-sentences",), "delivery-headline"),
        (scores(delivery=3), OK, (), "delivery-headline"),
    ],
)
def test_pick_followup(
    given: Scores, m: DeliveryMetrics, exclude: tuple[str, ...], expected: str | None
) -> None:
    followup = pick_followup(given, m, "en", exclude)
    assert (followup.id if followup else None) == expected


@pytest.mark.parametrize(("language", "expected"), [("es", "es"), ("pt-BR", "pt"), ("fr", "en")])
def test_followup_language(language: str, expected: str) -> None:
    english = pick_followup(scores(result=2), OK, "en")
    followup = pick_followup(scores(result=2), OK, language)
    assert english is not None and followup is not None
    assert (followup.id, followup.dimension, followup.language) == (english.id, "result", expected)
    assert (followup.text == english.text) == (expected == "en")


@pytest.mark.parametrize("language", ["es", "pt"])
def test_translations_have_every_template(language: str) -> None:
    english, translated = interview_texts("en"), interview_texts(language)
    assert translated.language == language
    for key, templates in english.followups.items():
        assert [t.id for t in translated.followups[key]] == [t.id for t in templates]
    assert translated.practice.keys() == english.practice.keys()
    assert translated.nudges.keys() == english.nudges.keys()


def test_never_asks_for_the_outcome_when_one_was_given() -> None:
    unheard = pick_followup(scores(result=3), OK, "en")
    heard = pick_followup(scores(result=3), OK, "en", result_stated=True)
    assert unheard is not None and unheard.id == "result-outcome"
    assert heard is not None and heard.id != "result-outcome"
