"""PNG plots of a run (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first

from benchmarks.analysis import CAPACITY_FINAL_P95_S  # noqa: E402
from benchmarks.records import BenchResult, ClipRecord  # noqa: E402

LATENCY_PLOT = "latency_cdf.png"
CAPACITY_PLOT = "capacity.png"
TIMELINE_PLOT = "final_latency_timeline.png"


def _values(clips: Sequence[ClipRecord], name: str) -> list[float]:
    values: list[float] = []
    for clip in clips:
        for utterance in clip.utterances:
            if name == "partial_lags_s":
                values.extend(utterance.partial_lags_s)
            elif (value := getattr(utterance, name)) is not None:
                values.append(value)
    return sorted(values)


def _latency_cdf(result: BenchResult, path: Path) -> None:
    one = next((level for level in result.levels if level.streams == 1), None)
    figure, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
    panels = [
        ("first partial latency", "first_partial_s"),
        ("partial lag", "partial_lags_s"),
        ("final latency", "final_latency_s"),
    ]
    sources = [("Podium, 1 stream", one.clips if one else [])]
    if result.naive is not None:
        sources.append(("naive streaming", result.naive.clips))
    for axis, (title, name) in zip(axes, panels, strict=True):
        for label, clips in sources:
            values = _values(clips, name)
            if values:
                fractions = [(i + 1) / len(values) for i in range(len(values))]
                axis.step(values, fractions, where="post", label=f"{label} (n={len(values)})")
        axis.set_title(title)
        axis.set_xlabel("seconds")
        axis.grid(alpha=0.3)
        if axis.get_legend_handles_labels()[0]:
            axis.legend(loc="lower right", fontsize=8)
    axes[0].set_ylabel("fraction of measurements")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _capacity(result: BenchResult, path: Path) -> None:
    levels = sorted(result.levels, key=lambda lv: lv.streams)
    streams = [level.streams for level in levels]
    figure, axis = plt.subplots(figsize=(7, 4.5))
    series = [
        ("final latency p95", [lv.summary.final_latency_s.p95 for lv in levels], "o-"),
        ("final latency p50", [lv.summary.final_latency_s.p50 for lv in levels], "s-"),
        ("partial lag p50", [lv.summary.partial_lag_s.p50 for lv in levels], "^--"),
        ("first partial p50", [lv.summary.first_partial_s.p50 for lv in levels], "v--"),
    ]
    for label, values, style in series:
        points = [(n, v) for n, v in zip(streams, values, strict=True) if v is not None]
        if points:
            axis.plot([n for n, _ in points], [v for _, v in points], style, label=label)
    axis.axhline(CAPACITY_FINAL_P95_S, color="red", linestyle=":", label="capacity limit (p95)")
    axis.set_xscale("log", base=2)
    axis.set_xticks(streams, [str(n) for n in streams])
    axis.set_xlabel("concurrent streams")
    axis.set_ylabel("seconds")
    axis.set_title(f"Latency under load (capacity: {result.capacity_streams or 'none'})")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _timeline(result: BenchResult, path: Path) -> None:
    figure, axis = plt.subplots(figsize=(8, 4.5))
    for level in sorted(result.levels, key=lambda lv: lv.streams):
        points = sorted(
            (u.final_wall, u.final_latency_s)
            for clip in level.clips
            for u in clip.utterances
            if u.final_wall is not None and u.final_latency_s is not None
        )
        if points:
            start = points[0][0]
            axis.plot(
                [wall - start for wall, _ in points],
                [latency for _, latency in points],
                "o",
                markersize=3,
                label=f"{level.streams} stream(s), growth {level.backlog_growth_s:+.2f} s",
            )
    axis.axhline(CAPACITY_FINAL_P95_S, color="red", linestyle=":")
    axis.set_xlabel("seconds since the level's first final")
    axis.set_ylabel("final latency (s)")
    axis.set_title("Final latency over each level's run (a rising cloud is a growing backlog)")
    axis.grid(alpha=0.3)
    if axis.get_legend_handles_labels()[0]:
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_plots(result: BenchResult, out_dir: Path) -> list[Path]:
    """Draw every plot into `out_dir`; returns their paths."""
    paths = [out_dir / LATENCY_PLOT, out_dir / CAPACITY_PLOT, out_dir / TIMELINE_PLOT]
    _latency_cdf(result, paths[0])
    _capacity(result, paths[1])
    _timeline(result, paths[2])
    return paths
