"""How often each stream may ask for a partial: often while the engine keeps up, less under load.

Partials are the decodes that matter least (the next one supersedes them), but each stream asks
for one whenever it has `partial_interval_ms` of new audio, so with many streams they would keep
the model busy all the time, and every final would wait behind them. Here partials may take at
most `share` of the engine's decode time: with `streams` streams asking, each partial costing
`cost_s` of a worker's time and `workers` workers, a stream waits for

    spacing = max(base, streams * cost_s / (share * workers))

of new audio before its next partial (capped at `MAX_SPACING_MS`, so captions still come). With
one stream the base interval holds; on a GPU with batches a partial's share of a batch is tiny,
so the base interval holds there too.
"""

from __future__ import annotations

from collections.abc import Hashable

ACTIVE_WINDOW_S = 2.0  # a stream that asked for a partial this recently is counted as asking
MAX_SPACING_MS = 2500
_COST_SMOOTHING = 0.2  # weight of the newest partial's cost in the running mean


class PartialPacer:
    """Tracks who asks for partials and what they cost; says how far apart they must be."""

    def __init__(self, *, workers: int, share: float) -> None:
        self._capacity = workers * share
        self._asked: dict[Hashable, float] = {}
        self._cost_s: float | None = None

    def asked(self, stream: Hashable, now_s: float) -> None:
        """`stream` asked for a partial at `now_s` (a monotonic clock)."""
        self._asked[stream] = now_s

    def cost(self, worker_s: float) -> None:
        """A partial took `worker_s` of a worker's time (its share of a batch)."""
        if self._cost_s is None:
            self._cost_s = worker_s
        else:
            self._cost_s += _COST_SMOOTHING * (worker_s - self._cost_s)

    def spacing_ms(self, base_ms: int, now_s: float) -> int:
        if self._cost_s is None or self._capacity <= 0:
            return base_ms
        for stream, at in list(self._asked.items()):
            if now_s - at > ACTIVE_WINDOW_S:
                del self._asked[stream]
        needed_ms = len(self._asked) * self._cost_s / self._capacity * 1000
        return max(base_ms, min(round(needed_ms), MAX_SPACING_MS))
