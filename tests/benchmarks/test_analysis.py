"""From received events to latencies, and the capacity rule: pure, with a linear send clock."""

from __future__ import annotations

import pytest

from benchmarks.analysis import (
    analyze_session,
    backlog_growth_s,
    capacity,
    caption_delay,
    latency_report,
    level_verdict,
)
from benchmarks.records import ClipRecord, Event, LatencyReport, LevelResult, UtteranceRecord
from benchmarks.reference import SpeechReference
from benchmarks.stats import Stability, Summary

T0 = 1000.0  # wall time the stream's first frame left
LEAD_MS = 500


def wall_at(audio_ms: int) -> float:
    """Real-time sending: the frame holding ms (audio_ms - 1) left at its start."""
    return T0 + max(0, (audio_ms + 19) // 20 - 1) * 0.02


def partial(uid: int, wall: float, text: str, start: int, end: int, stable: str = "") -> Event:
    message = {
        "type": "transcript.partial",
        "utterance_id": uid,
        "text": text,
        "stable": stable,
        "audio_start_ms": start,
        "audio_end_ms": end,
    }
    return Event(wall, message)


def final(uid: int, wall: float, text: str, start: int, end: int) -> Event:
    message = {
        "type": "transcript.final",
        "utterance_id": uid,
        "text": text,
        "audio_start_ms": start,
        "audio_end_ms": end,
        "words": [],
    }
    return Event(wall, message)


# Clip ms: speech 100-1500, then 2100-3000 (stream ms = clip ms + LEAD_MS).
REFERENCE = SpeechReference(voiced_ms=[(100, 1500), (2100, 3000)], start_ms=100, end_ms=3000)


def test_latencies_follow_the_definitions() -> None:
    events = [
        Event(T0, {"type": "session.ready"}),
        partial(1, wall_at(1100) + 0.3, "hello", 300, 1100),
        partial(1, wall_at(1500) + 0.2, "hello there", 300, 1500, stable="hello"),
        final(1, wall_at(2000) + 0.4, "Hello there.", 300, 2150),
        final(2, wall_at(3500) + 0.5, "Bye.", 2400, 3650),
    ]
    first, second = analyze_session(events, wall_at, REFERENCE, LEAD_MS)

    assert (first.onset_ms, first.speech_end_ms) == (600, 2000)
    assert first.first_partial_s == pytest.approx(wall_at(1100) + 0.3 - wall_at(601))
    assert first.partial_lags_s == pytest.approx([0.3, 0.2])
    assert first.final_latency_s == pytest.approx(0.4)
    assert first.partial_texts == ["hello", "hello there"]
    assert first.partial_stables == ["", "hello"]
    assert first.final_text == "Hello there."

    assert (second.onset_ms, second.speech_end_ms) == (2600, 3500)
    assert second.first_partial_s is None and second.partial_lags_s == []
    assert second.final_latency_s == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("captions", "expected"),
    [
        # Speech from 10 s to 12 s. Nothing shown: the age grows from 0 to 2 s, mean 1.
        ([], 1.0),
        # Age 0 -> 1 until 11 s (area 0.5), then 0.2 -> 1.2 (area 0.7): 1.2 / 2.
        ([(11.0, 10.8)], 0.6),
        # Age 0 -> 0.5 (area 0.125), then three 0.5 -> 1.0 teeth (0.375 each): 1.25 / 2.
        ([(10.5, 10.0), (11.0, 10.5), (11.5, 11.0)], 0.625),
        # Arriving after the end of speech, a caption shows nothing while speaking.
        ([(13.0, 11.5)], 1.0),
    ],
)
def test_caption_delay_is_the_time_averaged_age(captions, expected) -> None:
    assert caption_delay(10.0, 12.0, captions) == pytest.approx(expected)
    assert caption_delay(None, 12.0, captions) is None


def test_an_utterance_without_its_final_has_no_final_latency() -> None:
    events = [partial(1, wall_at(1000) + 0.2, "hel", 300, 1000)]
    (only,) = analyze_session(events, wall_at, REFERENCE, LEAD_MS)
    assert only.final_latency_s is None and only.final_wall is None
    assert only.first_partial_s is not None


def utterance(final_wall: float, latency: float, text: str = "x") -> UtteranceRecord:
    return UtteranceRecord(
        utterance_id=1,
        audio_start_ms=0,
        audio_end_ms=1000,
        onset_ms=100,
        speech_end_ms=900,
        onset_wall=0.0,
        speech_end_wall=final_wall - latency,
        first_partial_s=None,
        final_latency_s=latency,
        final_wall=final_wall,
        partial_lags_s=[],
        partial_texts=[],
        partial_stables=[],
        final_text=text,
    )


def clip(utterances: list[UtteranceRecord], error: str | None = None) -> ClipRecord:
    return ClipRecord(
        clip="a.wav",
        stream=0,
        reference_text="go forward ten meters",
        hypothesis=" ".join(u.final_text for u in utterances),
        lead_ms=LEAD_MS,
        sent_audio_ms=3000,
        started_wall=0.0,
        utterances=utterances,
        error=error,
    )


def test_backlog_growth_is_the_fitted_rise_over_the_run() -> None:
    steady = clip([utterance(t, 0.5) for t in range(10)])
    rising = clip([utterance(t, 0.5 + 0.1 * t) for t in range(10)])
    assert backlog_growth_s([steady]) == pytest.approx(0.0)
    assert backlog_growth_s([rising]) == pytest.approx(0.9)
    assert backlog_growth_s([clip([utterance(0, 5.0)])]) == 0.0  # too few finals to fit


def test_report_scores_wer_and_counts_failed_clips() -> None:
    good = clip([utterance(1, 0.5, "go forward ten meters")])
    report = latency_report([good, clip([], error="timed out")])
    assert report.clips == 2 and report.clips_failed == 1
    assert report.wer == 0.0
    assert report.final_latency_s.count == 1
    assert report.utterances_without_partial == 1


def level(streams: int, passed: bool) -> LevelResult:
    report = latency_report([clip([utterance(1, 0.5)])])
    return LevelResult(
        streams=streams,
        wall_s=1.0,
        summary=report,
        backlog_growth_s=0.0,
        passed=passed,
        verdict="",
        usage=None,
        clips=[],
    )


@pytest.mark.parametrize(
    ("passes", "expected"),
    [
        ({1: True, 2: True, 4: True, 8: False}, 4),
        ({1: True, 2: False, 4: True}, 1),  # a pass above a failure does not count
        ({1: False, 2: True}, None),
        ({1: True, 2: True}, 2),
    ],
)
def test_capacity_is_the_largest_count_passing_with_all_smaller(passes, expected) -> None:
    assert capacity([level(n, ok) for n, ok in passes.items()]) == expected


def report_with(p95: float | None, failed: int = 0) -> LatencyReport:
    summary = Summary(count=0) if p95 is None else Summary(count=5, p50=0.5, p95=p95, max=p95)
    return LatencyReport(
        first_partial_s=Summary(count=0),
        partial_lag_s=Summary(count=0),
        caption_delay_s=Summary(count=0),
        final_latency_s=summary,
        utterances=5,
        utterances_without_partial=0,
        utterances_without_reference=0,
        clips=3,
        clips_failed=failed,
        wer=0.1,
        stability=Stability(0, 0, 0, 0, 0, 0, 0),
    )


@pytest.mark.parametrize(
    ("p95", "growth", "failed", "passed"),
    [
        (0.9, 0.0, 0, True),
        (1.5, 0.0, 0, False),
        (0.9, 0.8, 0, False),
        (0.9, 0.0, 1, False),
        (None, 0.0, 0, False),
    ],
)
def test_level_verdict(p95, growth, failed, passed) -> None:
    ok, reason = level_verdict(report_with(p95, failed), growth)
    assert ok is passed and reason
