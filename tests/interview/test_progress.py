"""The progress rule, table-driven: windows, thresholds, insufficient data, rubric versions."""

from __future__ import annotations

import pytest

from server.interview.progress import (
    DIMENSION_THRESHOLD,
    DIMENSIONS,
    OVERALL,
    OVERALL_THRESHOLD,
    ScoredAnswer,
    Trend,
    compute_progress,
    trend,
)
from server.interview.rubric import RUBRIC_VERSION


def _answer(index: int, points: int, overall: int, version: str = RUBRIC_VERSION) -> ScoredAnswer:
    return ScoredAnswer(
        answer_id=f"a{index}",
        created_at=f"2025-01-01T00:00:{index:02d}+00:00",
        scores={name: points for name in DIMENSIONS},
        overall=overall,
        rubric_version=version,
    )


def _series(points: list[int], overall: list[int] | None = None) -> list[ScoredAnswer]:
    overall = overall or [p * 20 for p in points]
    return [_answer(i, p, o) for i, (p, o) in enumerate(zip(points, overall, strict=True))]


@pytest.mark.parametrize(
    ("recent", "earlier", "threshold", "expected"),
    [
        (3.5, 3.0, DIMENSION_THRESHOLD, "improved"),  # exactly the threshold counts
        (3.49, 3.0, DIMENSION_THRESHOLD, "steady"),
        (3.0, 3.0, DIMENSION_THRESHOLD, "steady"),
        (2.51, 3.0, DIMENSION_THRESHOLD, "steady"),
        (2.5, 3.0, DIMENSION_THRESHOLD, "degraded"),
        (11 / 3, 19 / 6, DIMENSION_THRESHOLD, "improved"),  # 0.5 reached through float sums
        (65.0, 60.0, OVERALL_THRESHOLD, "improved"),
        (64.0, 60.0, OVERALL_THRESHOLD, "steady"),
        (55.0, 60.0, OVERALL_THRESHOLD, "degraded"),
    ],
)
def test_trend_threshold(recent: float, earlier: float, threshold: float, expected: Trend) -> None:
    assert trend(recent, earlier, threshold) == expected


@pytest.mark.parametrize(
    ("points", "overall", "expected_dimension", "expected_overall"),
    [
        ([], None, "insufficient", "insufficient"),
        ([1, 5, 5, 5, 5], None, "insufficient", "insufficient"),  # five < two windows of three
        ([2, 2, 2, 4, 4, 4], None, "improved", "improved"),
        ([4, 4, 4, 2, 2, 2], None, "degraded", "degraded"),
        ([3, 3, 3, 3, 3, 3], None, "steady", "steady"),
        # Earlier = every answer before the last three: mean of (1, 3, 3, 3) is 2.5.
        ([1, 3, 3, 3, 3, 3, 3], None, "improved", "improved"),
        # Recent (4, 4, 3) = 3.67 against earlier 3.33: +0.33 is steady, but the same answers'
        # overall scores (73.3 against 66.7) moved more than five points.
        ([3, 3, 4, 4, 4, 3], None, "steady", "improved"),
        # The overall score has its own scale and threshold: +4 points is steady.
        ([3] * 6, [60, 60, 60, 64, 64, 64], "steady", "steady"),
        ([3] * 6, [60, 60, 60, 65, 65, 65], "steady", "improved"),
    ],
)
def test_progress_per_dimension(
    points: list[int],
    overall: list[int] | None,
    expected_dimension: Trend,
    expected_overall: Trend,
) -> None:
    progress = compute_progress(_series(points, overall))
    trends = {d.dimension: d.trend for d in progress.dimensions}
    assert trends == {
        **{name: expected_dimension for name in DIMENSIONS},
        OVERALL: expected_overall,
    }
    assert progress.scored_answers == len(points)


def test_means_are_reported_for_a_trend() -> None:
    progress = compute_progress(_series([1, 3, 3, 3, 3, 3, 3]))
    first = progress.dimensions[0]
    assert (first.earlier_mean, first.recent_mean, first.change) == (2.5, 3.0, 0.5)
    insufficient = compute_progress(_series([3, 3])).dimensions[0]
    assert (insufficient.earlier_mean, insufficient.recent_mean, insufficient.change) == (
        None,
        None,
        None,
    )


def test_other_rubric_versions_are_left_out_not_mixed() -> None:
    # Six answers, but two were scored by an older rubric: only four count, so no trend yet.
    answers = _series([2, 2, 2, 4, 4, 4])
    answers[0] = _answer(0, 1, 20, version="rubric-0")
    answers[1] = _answer(1, 1, 20, version="rubric-0")
    progress = compute_progress(answers)
    assert (progress.scored_answers, progress.left_out) == (4, 2)
    assert {d.trend for d in progress.dimensions} == {"insufficient"}
    assert progress.rubric_version == RUBRIC_VERSION


def test_a_dimension_missing_from_some_answers_counts_where_present() -> None:
    answers = _series([2, 2, 2, 4, 4, 4, 4])
    answers[0] = ScoredAnswer("a0", answers[0].created_at, {}, 40, RUBRIC_VERSION)
    progress = compute_progress(answers)
    trends = {d.dimension: d.trend for d in progress.dimensions}
    # Six values left per dimension: earlier (2, 2, 4) = 2.67 against recent 4.
    assert trends["structure"] == "improved"
    assert progress.dimensions[0].earlier_mean == 2.67


@pytest.mark.parametrize("window", [1, 2, 4])
def test_window_size(window: int) -> None:
    points = [2] * window + [4] * window
    progress = compute_progress(_series(points), window=window)
    assert progress.window == window
    assert {d.trend for d in progress.dimensions} == {"improved"}
    short = compute_progress(_series(points[1:]), window=window)
    assert {d.trend for d in short.dimensions} == {"insufficient"}


def test_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="window"):
        compute_progress([], window=0)
