"""Turn received events into per-utterance measurements, and measurements into summaries.

Definitions (the report repeats them):
- first partial latency: arrival of an utterance's first `transcript.partial` minus the wall
  time its reference speech onset was sent;
- partial lag: arrival of a partial minus the wall time the audio up to its `audio_end_ms` was
  sent;
- final latency: arrival of `transcript.final` minus the wall time the audio up to the
  utterance's reference end of speech was sent (see `benchmarks.reference`);
- caption delay: while an utterance is spoken (speech onset to end of speech), how far behind
  the audio the caption on screen is, averaged over time: at each instant, now minus the wall
  time the audio its latest caption covers was sent (minus the onset before any caption);
- backlog growth: least-squares slope of final latency against final arrival time within a
  level, times the level's span of arrivals: how much later finals came at the end than at the
  start of the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.records import ClipRecord, Event, LatencyReport, LevelResult, UtteranceRecord
from benchmarks.reference import SpeechReference
from benchmarks.speech import word_error_rate
from benchmarks.stats import slope, stability, summarize

WallAt = Callable[[int], float | None]

CAPACITY_FINAL_P95_S = 1.5
CAPACITY_MAX_GROWTH_S = 0.5


def _range_ms(messages: Sequence[dict[str, Any]]) -> tuple[int, int]:
    return (
        min(int(m["audio_start_ms"]) for m in messages),
        max(int(m["audio_end_ms"]) for m in messages),
    )


def _age_area(start: float, end: float, shown: float) -> float:
    """Integral of (t - shown) dt over [start, end]."""
    return ((end - shown) ** 2 - (start - shown) ** 2) / 2


def caption_delay(
    onset_wall: float | None, end_wall: float | None, captions: Sequence[tuple[float, float]]
) -> float | None:
    """Time-averaged caption delay (see the module docstring).

    `captions` are (arrival wall, wall the audio it covers was sent) pairs.
    """
    if onset_wall is None or end_wall is None or end_wall <= onset_wall:
        return None
    shown, now, area = onset_wall, onset_wall, 0.0
    for arrival, covered in sorted(captions):
        if arrival >= end_wall:
            break
        if arrival > now:
            area += _age_area(now, arrival, shown)
            now = arrival
        shown = max(shown, covered)
    area += _age_area(now, end_wall, shown)
    return area / (end_wall - onset_wall)


def analyze_session(
    events: Sequence[Event], wall_at: WallAt, reference: SpeechReference, lead_ms: int
) -> list[UtteranceRecord]:
    """Per-utterance measurements of one session that streamed one clip after `lead_ms`."""
    partials: dict[int, list[Event]] = {}
    finals: dict[int, Event] = {}
    for event in events:
        kind = event.message.get("type")
        if kind == "transcript.partial":
            partials.setdefault(int(event.message["utterance_id"]), []).append(event)
        elif kind == "transcript.final":
            finals.setdefault(int(event.message["utterance_id"]), event)
    ids = sorted(set(partials) | set(finals))
    spans = {
        uid: _range_ms(
            [finals[uid].message] if uid in finals else [e.message for e in partials[uid]]
        )
        for uid in ids
    }
    ordered = sorted(ids, key=lambda uid: spans[uid])
    records = []
    for uid in ordered:
        start_ms, end_ms = spans[uid]
        clip_start, clip_end = start_ms - lead_ms, end_ms - lead_ms
        onset = reference.onset_in(clip_start, clip_end)
        speech_end = reference.end_in(clip_start, clip_end)
        onset_ms = None if onset is None else onset + lead_ms
        speech_end_ms = None if speech_end is None else speech_end + lead_ms
        # The frame holding the onset sample, and the frame completing the speech.
        onset_wall = None if onset_ms is None else wall_at(onset_ms + 1)
        end_wall = None if speech_end_ms is None else wall_at(speech_end_ms)
        own_partials = partials.get(uid, [])
        covered = [
            (event.wall, sent)
            for event in own_partials
            if (sent := wall_at(int(event.message["audio_end_ms"]))) is not None
        ]
        lags = [arrival - sent for arrival, sent in covered]
        final = finals.get(uid)
        records.append(
            UtteranceRecord(
                utterance_id=uid,
                audio_start_ms=start_ms,
                audio_end_ms=end_ms,
                onset_ms=onset_ms,
                speech_end_ms=speech_end_ms,
                onset_wall=onset_wall,
                speech_end_wall=end_wall,
                first_partial_s=(
                    own_partials[0].wall - onset_wall
                    if own_partials and onset_wall is not None
                    else None
                ),
                final_latency_s=(
                    final.wall - end_wall if final is not None and end_wall is not None else None
                ),
                final_wall=None if final is None else final.wall,
                caption_delay_s=caption_delay(onset_wall, end_wall, covered),
                partial_lags_s=lags,
                partial_gaps_s=[
                    later.wall - earlier.wall
                    for earlier, later in zip(own_partials, own_partials[1:], strict=False)
                ],
                partial_texts=[str(e.message["text"]) for e in own_partials],
                partial_stables=[str(e.message.get("stable", "")) for e in own_partials],
                final_text="" if final is None else str(final.message["text"]),
            )
        )
    return records


def hypothesis(utterances: Sequence[UtteranceRecord]) -> str:
    """A clip's transcript: its finals in order."""
    return " ".join(u.final_text.strip() for u in utterances if u.final_text.strip())


def latency_report(clips: Sequence[ClipRecord]) -> LatencyReport:
    """Summaries over every utterance of the clips; WER over the clips that completed."""
    utterances = [u for clip in clips for u in clip.utterances]
    scored = [clip for clip in clips if clip.error is None]
    # Noise-only clips have no reference words: no WER, their words are counted apart.
    wer = (
        word_error_rate([c.reference_text for c in scored], [c.hypothesis for c in scored])
        if any(c.reference_text.strip() for c in scored)
        else None
    )
    return LatencyReport(
        first_partial_s=summarize(
            [u.first_partial_s for u in utterances if u.first_partial_s is not None]
        ),
        partial_lag_s=summarize([lag for u in utterances for lag in u.partial_lags_s]),
        caption_delay_s=summarize(
            [u.caption_delay_s for u in utterances if u.caption_delay_s is not None]
        ),
        final_latency_s=summarize(
            [u.final_latency_s for u in utterances if u.final_latency_s is not None]
        ),
        utterances=len(utterances),
        utterances_without_partial=sum(1 for u in utterances if not u.partial_texts),
        utterances_without_reference=sum(
            1 for u in utterances if u.onset_ms is None or u.speech_end_ms is None
        ),
        clips=len(clips),
        clips_failed=len(clips) - len(scored),
        wer=wer,
        stability=stability(
            [(u.partial_texts, u.partial_stables, u.final_text) for u in utterances]
        ),
        partial_gap_s=summarize([gap for u in utterances for gap in u.partial_gaps_s]),
    )


def backlog_growth_s(clips: Sequence[ClipRecord]) -> float:
    """Fitted change of final latency over a level's run (see the module docstring)."""
    points = sorted(
        (u.final_wall, u.final_latency_s)
        for clip in clips
        for u in clip.utterances
        if u.final_wall is not None and u.final_latency_s is not None
    )
    if len(points) < 3:
        return 0.0
    xs = [wall - points[0][0] for wall, _ in points]
    ys = [latency for _, latency in points]
    return slope(xs, ys) * (xs[-1] - xs[0])


def level_verdict(report: LatencyReport, growth_s: float) -> tuple[bool, str]:
    """The capacity rule: final latency p95 under 1.5 s, no growing backlog, nothing failed."""
    p95 = report.final_latency_s.p95
    if p95 is None:
        return False, "no finals measured"
    problems = []
    if p95 >= CAPACITY_FINAL_P95_S:
        problems.append(f"final p95 {p95:.2f} s >= {CAPACITY_FINAL_P95_S} s")
    if growth_s > CAPACITY_MAX_GROWTH_S:
        problems.append(f"backlog grows ({growth_s:+.2f} s over the run)")
    if report.clips_failed:
        problems.append(f"{report.clips_failed} clip(s) failed")
    if problems:
        return False, "; ".join(problems)
    return True, f"final p95 {p95:.2f} s, growth {growth_s:+.2f} s"


def capacity(levels: Sequence[LevelResult]) -> int | None:
    """The largest stream count that passed, with every smaller count tried passing too."""
    best = None
    for level in sorted(levels, key=lambda lv: lv.streams):
        if not level.passed:
            break
        best = level.streams
    return best
