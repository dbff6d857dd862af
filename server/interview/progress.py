"""The progress rule (pure): is each rubric dimension getting better, worse or staying put?

For each dimension (and the overall score) the mean of the last `window` scored answers is
compared with the mean of every scored answer before them. A change of at least the threshold
(half a point on the 1-5 scale, five points on the 0-100 overall) is a trend; less is "steady".
With fewer than two windows of answers the trend is "insufficient": three answers against one
or two earlier ones is mostly noise. Only answers scored with the same rubric version are
compared, since a new rubric may score the same answer differently.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import fsum
from typing import Literal

import msgspec

from server.interview.rubric import RUBRIC_VERSION
from server.interview.types import Scores

RECENT_WINDOW = 3
DIMENSION_THRESHOLD = 0.5
OVERALL_THRESHOLD = 5.0
OVERALL = "overall"
DIMENSIONS: tuple[str, ...] = Scores.__struct_fields__

# Means are sums of small integers divided by counts: allow for float rounding at the threshold.
_EPSILON = 1e-9

Trend = Literal["improved", "steady", "degraded", "insufficient"]


class ScoredAnswer(msgspec.Struct, frozen=True):
    """An answer's scores as the rule needs them."""

    answer_id: str
    created_at: str
    scores: dict[str, int]
    overall: int
    rubric_version: str


class DimensionProgress(msgspec.Struct, frozen=True):
    dimension: str
    trend: Trend
    recent_mean: float | None
    earlier_mean: float | None
    change: float | None


class Progress(msgspec.Struct, frozen=True):
    """Trends of one profile; `left_out` counts answers scored with another rubric version."""

    rubric_version: str
    scored_answers: int
    left_out: int
    window: int
    dimensions: list[DimensionProgress]


def trend(recent_mean: float, earlier_mean: float, threshold: float) -> Trend:
    """Classify a change in mean score: at least `threshold` up or down is a trend."""
    change = recent_mean - earlier_mean
    if change >= threshold - _EPSILON:
        return "improved"
    if change <= -threshold + _EPSILON:
        return "degraded"
    return "steady"


def compute_progress(
    answers: Sequence[ScoredAnswer],
    *,
    rubric_version: str = RUBRIC_VERSION,
    window: int = RECENT_WINDOW,
) -> Progress:
    """Trends per dimension and overall from scored answers given oldest first."""
    if window < 1:
        raise ValueError("window must be at least 1")
    current = [a for a in answers if a.rubric_version == rubric_version]
    series: dict[str, list[float]] = {name: [] for name in (*DIMENSIONS, OVERALL)}
    for answer in current:
        series[OVERALL].append(float(answer.overall))
        for name in DIMENSIONS:
            if name in answer.scores:
                series[name].append(float(answer.scores[name]))
    dimensions = [
        _dimension(
            name,
            values,
            window,
            OVERALL_THRESHOLD if name == OVERALL else DIMENSION_THRESHOLD,
        )
        for name, values in series.items()
    ]
    return Progress(
        rubric_version=rubric_version,
        scored_answers=len(current),
        left_out=len(answers) - len(current),
        window=window,
        dimensions=dimensions,
    )


def _dimension(name: str, values: list[float], window: int, threshold: float) -> DimensionProgress:
    if len(values) < 2 * window:
        return DimensionProgress(name, "insufficient", None, None, None)
    recent = fsum(values[-window:]) / window
    earlier_values = values[:-window]
    earlier = fsum(earlier_values) / len(earlier_values)
    return DimensionProgress(
        dimension=name,
        trend=trend(recent, earlier, threshold),
        recent_mean=round(recent, 2),
        earlier_mean=round(earlier, 2),
        change=round(recent - earlier, 2),
    )
