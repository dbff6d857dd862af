"""Pure statistics for the benchmark: percentile summaries, latency trend, caption stability."""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence

import msgspec


class Summary(msgspec.Struct, frozen=True):
    """p50, p90, p95 and max of a set of values (seconds unless named otherwise), and how many."""

    count: int
    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    max: float | None = None
    mean: float | None = None


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Linear-interpolated percentile (numpy's default) of already sorted values."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    position = (len(sorted_values) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    weight = position - low
    return sorted_values[low] * (1 - weight) + sorted_values[high] * weight


def summarize(values: Sequence[float]) -> Summary:
    """The summary of `values`; an empty input gives count 0 and no figures."""
    if not values:
        return Summary(count=0)
    ordered = sorted(values)
    return Summary(
        count=len(ordered),
        p50=percentile(ordered, 0.50),
        p90=percentile(ordered, 0.90),
        p95=percentile(ordered, 0.95),
        max=ordered[-1],
        mean=sum(ordered) / len(ordered),
    )


def slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of ys against xs (0 when fewer than 2 distinct xs)."""
    if len(xs) != len(ys):
        raise ValueError("xs and ys differ in length")
    if len(xs) < 2:
        return 0.0
    mean_x = sum(xs) / len(xs)
    mean_y = sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


class Stability(msgspec.Struct, frozen=True):
    """How much the captions of a set of utterances moved backwards while they were refined.

    An update is one caption replacing the previous one of the same utterance (partial to
    partial, and the last partial to the final). A retraction is an update whose new text does
    not start with the previous text; its retracted characters are the previous text's length
    beyond the common prefix (what the reader sees taken back, punctuation included). Changed
    words are the previous words the new caption does not keep, by a word alignment (difflib)
    compared without case and punctuation, a last word only extended ("wor" to "world")
    counting as kept: content that changed, not just a full stop that moved.
    """

    updates: int
    retractions: int
    retracted_chars: int
    changed_words: int
    shown_chars: int
    shown_words: int
    stable_violations: int

    @property
    def retraction_rate(self) -> float:
        """Share of updates that took something back."""
        return self.retractions / self.updates if self.updates else 0.0

    @property
    def retracted_chars_per_100(self) -> float:
        """Retracted characters per 100 characters of final caption text."""
        return 100 * self.retracted_chars / self.shown_chars if self.shown_chars else 0.0

    @property
    def changed_words_per_100(self) -> float:
        """Changed words per 100 words of final caption text."""
        return 100 * self.changed_words / self.shown_words if self.shown_words else 0.0


def common_prefix_length(a: str, b: str) -> int:
    """Length of the longest common prefix of two strings."""
    length = 0
    for char_a, char_b in zip(a, b, strict=False):
        if char_a != char_b:
            break
        length += 1
    return length


def _words(text: str) -> list[str]:
    """Words compared without case or punctuation: "Two." and "two" are the same word."""
    words = ("".join(ch for ch in word if ch.isalnum()).lower() for word in text.split())
    return [word for word in words if word]


def changed_words(previous: str, current: str) -> int:
    """Words of `previous` that `current` does not keep (see `Stability`)."""
    old, new = _words(previous), _words(current)
    last = len(old) - 1
    if old and len(new) > last and new[last].startswith(old[last]):
        old[last] = new[last]  # a last word still being spoken ("wor" to "world") is kept
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return len(old) - sum(block.size for block in matcher.get_matching_blocks())


def stability(captions: Sequence[tuple[Sequence[str], Sequence[str], str]]) -> Stability:
    """Stability over utterances given as (partial texts, partial stable prefixes, final text).

    The stable prefixes are what the server promised never to change: a caption that does not
    start with the stable prefix of the partial before it counts as a stable violation.
    """
    updates = retractions = retracted = words = shown = shown_words = violations = 0
    for texts, stables, final in captions:
        sequence = [t.strip() for t in texts] + [final.strip()]
        shown += len(final.strip())
        shown_words += len(_words(final))
        for previous, current in zip(sequence, sequence[1:], strict=False):
            updates += 1
            kept = common_prefix_length(previous, current)
            if kept < len(previous):
                retractions += 1
                retracted += len(previous) - kept
                words += changed_words(previous, current)
        # Each caption must keep the stable prefix of the partial just before it.
        for stable, later in zip(stables, sequence[1:], strict=False):
            violations += not later.startswith(stable.strip())
    return Stability(updates, retractions, retracted, words, shown, shown_words, violations)
