"""The targets of the latency benchmark, checked against one run's results.

CPU targets (tiny.en, int8, this 2-core machine), one stream: final latency p50 <= 0.6 s, first
partial p50 <= 1.0 s, partial lag p50 <= 1.0 s, finals' WER within 1 point of the offline
baseline; at least 4 concurrent real-time streams under the capacity rule; and better latency,
stability and cost than the naive streaming baseline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from benchmarks.analysis import CAPACITY_FINAL_P95_S
from benchmarks.records import LevelResult, NaiveBaseline, OfflineBaseline, TargetCheck

FINAL_P50_S = 0.6
FIRST_PARTIAL_P50_S = 1.0
PARTIAL_LAG_P50_S = 1.0
WER_MARGIN = 0.01
MIN_STREAMS = 4


def _fmt_s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def _at_most(name: str, value: float | None, limit: float, realtime: bool) -> TargetCheck:
    if not realtime:
        return TargetCheck(name, f"<= {limit} s", _fmt_s(value), None, "not a real-time run")
    if value is None:
        return TargetCheck(name, f"<= {limit} s", "n/a", None, "not measured")
    return TargetCheck(name, f"<= {limit} s", _fmt_s(value), value <= limit)


def _beats(
    name: str, ours: float | None, naive: float | None, fmt: Callable[[float], str]
) -> TargetCheck:
    if ours is None or naive is None:
        return TargetCheck(name, "< naive", "n/a", None, "not measured")
    gain = naive - ours
    ratio = f", {naive / ours:.1f}x" if ours > 0 else ""
    return TargetCheck(
        name,
        "< naive",
        f"{fmt(ours)} vs {fmt(naive)}",
        ours < naive,
        f"{fmt(gain)} better{ratio}" if gain > 0 else f"{fmt(-gain)} worse",
    )


def check_targets(
    levels: Sequence[LevelResult],
    offline: OfflineBaseline | None,
    naive: NaiveBaseline | None,
    capacity_streams: int | None,
    *,
    realtime: bool,
) -> list[TargetCheck]:
    """Every target, met or not (None where this run did not measure it)."""
    one = next((level for level in levels if level.streams == 1), None)
    report = one.summary if one else None
    checks = [
        _at_most(
            "final latency p50, 1 stream",
            report.final_latency_s.p50 if report else None,
            FINAL_P50_S,
            realtime,
        ),
        _at_most(
            "first partial p50, 1 stream",
            report.first_partial_s.p50 if report else None,
            FIRST_PARTIAL_P50_S,
            realtime,
        ),
        _at_most(
            "partial lag p50, 1 stream",
            report.partial_lag_s.p50 if report else None,
            PARTIAL_LAG_P50_S,
            realtime,
        ),
    ]
    if report is None or report.wer is None or offline is None:
        checks.append(TargetCheck("finals' WER vs offline", "<= +1 point", "n/a", None))
    else:
        delta = report.wer - offline.wer
        checks.append(
            TargetCheck(
                "finals' WER vs offline",
                "<= +1 point",
                f"{report.wer:.1%} vs {offline.wer:.1%} ({100 * delta:+.1f} points)",
                delta <= WER_MARGIN,
            )
        )
    tested = {level.streams for level in levels}
    capacity_note = (
        f"largest N with final p95 < {CAPACITY_FINAL_P95_S} s and no growing backlog"
        if max(tested, default=0) >= MIN_STREAMS
        else f"not measured: run --streams with {MIN_STREAMS} or more"
    )
    checks.append(
        TargetCheck(
            "concurrent real-time streams",
            f">= {MIN_STREAMS}",
            "n/a"
            if not realtime
            else ("none passed" if capacity_streams is None else str(capacity_streams)),
            None
            if not realtime or max(tested, default=0) < MIN_STREAMS
            else (capacity_streams or 0) >= MIN_STREAMS,
            capacity_note if realtime else "not a real-time run",
        )
    )
    if naive is not None and report is not None and realtime:
        naive_report = naive.summary

        def seconds(value: float) -> str:
            return f"{value:.2f} s"

        checks += [
            _beats(
                "final latency p50 vs naive",
                report.final_latency_s.p50,
                naive_report.final_latency_s.p50,
                seconds,
            ),
            _beats(
                "first partial p50 vs naive",
                report.first_partial_s.p50,
                naive_report.first_partial_s.p50,
                seconds,
            ),
            _beats(
                "partial lag p50 vs naive",
                report.partial_lag_s.p50,
                naive_report.partial_lag_s.p50,
                seconds,
            ),
            _beats(
                "caption delay p50 vs naive",
                report.caption_delay_s.p50,
                naive_report.caption_delay_s.p50,
                seconds,
            ),
            _beats(
                "retracted chars per 100 vs naive",
                report.stability.retracted_chars_per_100,
                naive_report.stability.retracted_chars_per_100,
                lambda v: f"{v:.1f}",
            ),
            _beats(
                "changed words per 100 vs naive",
                report.stability.changed_words_per_100,
                naive_report.stability.changed_words_per_100,
                lambda v: f"{v:.1f}",
            ),
        ]
        usage = one.usage if one else None
        checks.append(
            _beats(
                "CPU s per audio s vs naive",
                usage.cpu_s_per_audio_s if usage else None,
                naive.cpu_s_per_audio_s,
                lambda v: f"{v:.2f}",
            )
        )
    return checks
