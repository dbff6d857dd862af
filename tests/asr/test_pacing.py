"""Partial pacing: the base interval while the engine keeps up, wider spacing under load."""

from __future__ import annotations

import pytest

from server.asr.pacing import ACTIVE_WINDOW_S, MAX_SPACING_MS, PartialPacer


@pytest.mark.parametrize(
    ("streams", "cost_s", "workers", "share", "expected_ms"),
    [
        (1, 0.1, 1, 0.5, 400),  # one stream: the base interval
        (4, 0.1, 1, 0.5, 800),  # 4 x 0.1 s of partials each 0.8 s: half a worker
        (6, 0.12, 1, 0.5, 1440),
        (6, 0.12, 2, 0.5, 720),  # two workers: half the spacing
        (6, 0.12, 1, 1.0, 720),  # partials may take the whole worker
        (64, 0.005, 1, 0.5, 640),  # a GPU batch: a partial's share of it is tiny
        (40, 0.2, 1, 0.5, MAX_SPACING_MS),  # captions still come
    ],
)
def test_spacing_keeps_partials_within_their_share(
    streams: int, cost_s: float, workers: int, share: float, expected_ms: int
) -> None:
    pacer = PartialPacer(workers=workers, share=share)
    for stream in range(streams):
        pacer.asked(stream, now_s=10.0)
    pacer.cost(cost_s)
    assert pacer.spacing_ms(400, now_s=10.5) == expected_ms


def test_no_cost_known_yet_means_the_base_interval() -> None:
    pacer = PartialPacer(workers=1, share=0.5)
    for stream in range(10):
        pacer.asked(stream, now_s=0.0)
    assert pacer.spacing_ms(400, now_s=0.1) == 400


def test_streams_that_stopped_asking_stop_counting() -> None:
    pacer = PartialPacer(workers=1, share=0.5)
    pacer.cost(0.1)
    for stream in range(6):
        pacer.asked(stream, now_s=0.0)
    pacer.asked("still talking", now_s=ACTIVE_WINDOW_S)
    assert pacer.spacing_ms(400, now_s=0.0) == 1400
    assert pacer.spacing_ms(400, now_s=ACTIVE_WINDOW_S + 0.5) == 400


def test_cost_is_a_running_mean() -> None:
    pacer = PartialPacer(workers=1, share=1.0)
    for stream in range(10):
        pacer.asked(stream, now_s=0.0)
    pacer.cost(0.1)
    pacer.cost(0.2)  # 0.1 + 0.2 * (0.2 - 0.1) = 0.12
    assert pacer.spacing_ms(400, now_s=0.0) == 1200
