"""The offline coach: streaming shape, scores from the rubric, specific and deterministic prose."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from server.interview.coach import COACH_MODEL, OfflineCoach, templates
from server.interview.rubric import RUBRIC_VERSION, analyse, overall_score
from server.interview.types import (
    FeedbackChunk,
    FeedbackProvider,
    FeedbackRequest,
    FeedbackResult,
    PastAnswer,
    Scores,
)
from tests.interview.test_rubric import (
    CONFLICT_Q,
    FILLERS,
    NO_RESULT,
    PLAN_Q,
    SHORT,
    SITUATIONAL,
    STAR,
    TEAMMATE_Q,
    metrics_of,
)

EN = templates("en")


def _request(
    question: str,
    transcript: str,
    *,
    history: list[PastAnswer] | None = None,
    metrics: dict[str, Any] | None = None,
    language: str = "en",
) -> FeedbackRequest:
    return FeedbackRequest(
        question=question,
        role="software-engineer",
        language=language,
        transcript=transcript,
        metrics=msgspec.to_builtins(metrics_of(transcript)) if metrics is None else metrics,
        history=history or [],
    )


async def _collect(request: FeedbackRequest) -> tuple[list[str], FeedbackResult]:
    provider: FeedbackProvider = OfflineCoach()
    items = [item async for item in provider.stream(request)]
    *chunks, last = items
    assert all(isinstance(chunk, FeedbackChunk) for chunk in chunks)
    assert isinstance(last, FeedbackResult)
    return [c.text for c in chunks if isinstance(c, FeedbackChunk)], last


def _past(overall: int, scores: Scores | None = None, day: int = 1) -> PastAnswer:
    return PastAnswer(
        created_at=f"2024-05-{day:02d}T10:00:00+00:00",
        transcript="An earlier attempt.",
        overall=overall,
        scores=scores,
    )


@pytest.mark.parametrize(
    ("question", "transcript"),
    [
        (CONFLICT_Q, STAR),
        (PLAN_Q, NO_RESULT),
        (CONFLICT_Q, FILLERS),
        (TEAMMATE_Q, SITUATIONAL),
        (CONFLICT_Q, SHORT),
        (CONFLICT_Q, ""),
    ],
)
async def test_streams_chunks_then_one_result_matching_the_rubric(
    question: str, transcript: str
) -> None:
    chunks, result = await _collect(_request(question, transcript))
    assert len(chunks) > 1
    assert result.text == "".join(chunks)
    assert (result.provider, result.model, result.rubric_version) == (
        "offline",
        COACH_MODEL,
        RUBRIC_VERSION,
    )
    assessment = analyse(question, transcript, metrics_of(transcript))
    assert result.scores == assessment.scores
    assert result.overall == overall_score(result.scores)
    assert "{" not in result.text  # every template field was filled


async def test_feedback_is_deterministic() -> None:
    request = _request(CONFLICT_Q, FILLERS, history=[_past(30)])
    assert await _collect(request) == await _collect(request)


async def test_strong_answer_is_praised_with_its_own_words() -> None:
    _, result = await _collect(_request(CONFLICT_Q, STAR))
    assert EN["well.heading"] in result.text
    assert EN["well.structure"] in result.text
    assert "failed payments dropped by 18 percent" in result.text


async def test_missing_result_is_the_thing_to_improve() -> None:
    _, result = await _collect(_request(PLAN_Q, NO_RESULT))
    assert EN["fix.heading"] + EN["fix.result_missing"] in result.text
    assert EN["next.result"] in result.text


async def test_fillers_are_named_with_their_counts() -> None:
    _, result = await _collect(_request(CONFLICT_Q, FILLERS))
    assert EN["counted"].format(word="um", count=7) in result.text
    assert EN["counted"].format(word="uh", count=5) in result.text
    assert "22" in result.text


async def test_empty_answer_says_nothing_was_heard() -> None:
    chunks, result = await _collect(_request(CONFLICT_Q, ""))
    assert chunks == [EN["empty"] + "\n\n", EN["next.empty"]]
    assert result.overall == 0


@pytest.mark.parametrize(
    ("previous", "key"),
    [(40, "trend.up"), (100, "trend.down")],
)
async def test_history_gives_the_score_trend(previous: int, key: str) -> None:
    _, result = await _collect(_request(CONFLICT_Q, STAR, history=[_past(previous)]))
    delta = abs(result.overall - previous)
    assert EN[key].format(delta=delta, previous=previous) in result.text


async def test_trend_compares_with_the_latest_attempt_and_names_the_biggest_change() -> None:
    history = [_past(20, Scores(1, 3, 2, 1, 2), day=9), _past(90, day=2)]  # newest first
    _, result = await _collect(_request(CONFLICT_Q, STAR, history=history))
    assert f"({20})" in result.text
    assert EN["trend.best"] in result.text
    change = EN["trend.dimension"].format(dimension="structure", before=1, after=5)
    assert change in result.text


async def test_without_scored_history_there_is_no_trend() -> None:
    unscored = PastAnswer(created_at="2024-01-01", transcript="x", overall=None, scores=None)
    for history in ([], [unscored]):
        chunks, result = await _collect(_request(CONFLICT_Q, STAR, history=history))
        assert chunks[0] == EN["score"].format(overall=result.overall) + "\n\n"


@pytest.mark.parametrize("metrics", [{}, {"words_per_minute": 120.0}])
async def test_missing_metrics_are_measured_from_the_text(metrics: dict[str, Any]) -> None:
    chunks, result = await _collect(_request(PLAN_Q, NO_RESULT, metrics=metrics))
    assert len(chunks) > 1
    assert result.scores.result == 1


async def test_language_without_templates_gets_english() -> None:
    # French has word lists but no coach wording yet: an English answer gets English prose.
    _, english = await _collect(_request(CONFLICT_Q, STAR))
    _, french = await _collect(_request(CONFLICT_Q, STAR, language="fr"))
    assert french.text == english.text


@pytest.mark.parametrize("language", ["en-GB", "fr-FR", "de", "it", "../../etc", ""])
def test_templates_fall_back_to_english(language: str) -> None:
    assert templates(language) == EN


@pytest.mark.parametrize(("regional", "language"), [("pt-BR", "pt"), ("es_MX", "es")])
def test_regional_codes_get_the_language_s_templates(regional: str, language: str) -> None:
    assert templates(regional) == templates(language) != EN
