"""Offline follow-up questions, and the interview's wording per language.

`pick_followup` asks about what an answer lacked most: the weakest rubric dimension, ties
broken in `FOLLOWUP_ORDER` (result first: a story with no outcome is the most common gap).
A weak delivery is narrowed by its worst `delivery_problems` entry ("length_long" -> "In two
sentences, what was your personal contribution?"). Never the same follow-up twice: pass the
ids already asked as `exclude`.

All wording lives in `data/followups.<lang>.json` (English, Spanish, Portuguese): follow-up
templates, the report's practice suggestions and the live nudges. A follow-up id means the
same question in every language. Other languages get English until their file exists.
"""

from __future__ import annotations

import functools
from collections.abc import Collection

import msgspec

from server.errors import ConfigError
from server.interview.metrics import DeliveryMetrics
from server.interview.rubric import delivery_problems
from server.interview.types import Scores
from server.interview.wording import (
    load_wording,
    template_fields,
    with_english_fallback,
    wording_language,
)

FOLLOWUP_ORDER: tuple[str, ...] = ("result", "specificity", "structure", "relevance", "delivery")
_ASK_OUTCOME = "result-outcome"
# An answer with every dimension at least this good needs no follow-up.
STRONG_SCORE = 4


class Followup(msgspec.Struct, frozen=True):
    """A follow-up question: `dimension` is the rubric dimension it probes."""

    id: str
    text: str
    dimension: str
    language: str


class _Template(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    text: str


class InterviewTexts(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One language's wording: follow-ups by key ("result", "delivery.length_long"),
    practice suggestions by dimension or delivery problem, nudge details by kind."""

    language: str
    followups: dict[str, list[_Template]]
    practice: dict[str, str]
    nudges: dict[str, str]


def pick_followup(
    scores: Scores,
    metrics: DeliveryMetrics,
    language: str,
    exclude: Collection[str] = (),
    *,
    result_stated: bool = False,
) -> Followup | None:
    """The follow-up for an answer's weakest dimension not yet asked (ids in `exclude`).

    None when every dimension scores `STRONG_SCORE` or more, or every fitting follow-up was
    asked. Deterministic: same input, same follow-up. With `result_stated` (the answer said
    how it ended) it never asks for the outcome: the person would feel unheard.
    """
    if result_stated:
        exclude = {*exclude, _ASK_OUTCOME}
    texts = interview_texts(language)
    weak = [d for d in FOLLOWUP_ORDER if getattr(scores, d) < STRONG_SCORE]
    weak.sort(key=lambda d: getattr(scores, d))  # stable: ties keep FOLLOWUP_ORDER
    for dimension in weak:
        keys = [dimension]
        if dimension == "delivery":
            keys = [f"delivery.{p}" for p in delivery_problems(metrics)] + keys
        for key in keys:
            for template in texts.followups.get(key, []):
                if template.id not in exclude:
                    return Followup(template.id, template.text, dimension, texts.language)
    return None


def interview_texts(language: str) -> InterviewTexts:
    """The wording for a language ("pt-BR" -> "pt"), English where there is none."""
    return _texts(wording_language(language))


@functools.cache
def _texts(language: str) -> InterviewTexts:
    return with_english_fallback(language, _load, _check_translation)


def _load(language: str) -> InterviewTexts:
    parsed = load_wording("followups", language, InterviewTexts)
    if parsed.language != language:
        raise ConfigError(f"followups.{language}.json says its language is {parsed.language}")
    return parsed


def _check_translation(english: InterviewTexts, translated: InterviewTexts, language: str) -> None:
    """A translation says everything English says: same follow-up ids, same fields to fill."""
    name = f"followups.{language}.json"
    for key, templates in english.followups.items():
        ids = [t.id for t in translated.followups.get(key, [])]
        if ids != [t.id for t in templates]:
            raise ConfigError(f"{name}: follow-ups for {key!r} differ from English")
    for section in ("practice", "nudges"):
        mine: dict[str, str] = getattr(translated, section)
        for key, text in getattr(english, section).items():
            if template_fields(mine.get(key, "")) != template_fields(text) or key not in mine:
                raise ConfigError(f"{name}: {section} {key!r} is missing or has other fields")
