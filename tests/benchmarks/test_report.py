"""Writing a run's results: every file, and what happens without the optional plotting library."""

from __future__ import annotations

import sys
from pathlib import Path

import msgspec
import pytest

from benchmarks.records import BenchResult, Meta
from benchmarks.report import NO_PLOTS_NOTE, RESULTS_FILE, SUMMARY_FILE, write_results


def empty_result() -> BenchResult:
    meta = Meta(
        command=["podium", "bench"],
        started_utc="2026-01-01 00:00:00 UTC",
        git_commit="unknown",
        host="test",
        cpu_count=2,
        load_average_start=[0.0, 0.0, 0.0],
        python="3.11",
        model="tiny.en",
        device="cpu",
        compute_type="int8",
        settings={},
        mode="realtime",
        server="local subprocess",
        lead_ms=500,
        level_s=60.0,
        clips=[],
        audio_s=0.0,
        streams=[1],
    )
    return BenchResult(
        meta=meta,
        offline=None,
        naive=None,
        levels=[],
        capacity_streams=None,
        server_peak_rss_mb=None,
        feedback=[],
        targets=[],
        notes=[],
    )


def test_without_matplotlib_everything_but_the_plots_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on a plain `pip install .`: matplotlib is the `bench` extra.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.delitem(sys.modules, "benchmarks.plots", raising=False)
    result = empty_result()

    paths = write_results(result, tmp_path)

    assert paths == [tmp_path / RESULTS_FILE, tmp_path / SUMMARY_FILE]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([RESULTS_FILE, SUMMARY_FILE])
    assert result.notes == [NO_PLOTS_NOTE]
    assert NO_PLOTS_NOTE in (tmp_path / SUMMARY_FILE).read_text()
    written = msgspec.json.decode((tmp_path / RESULTS_FILE).read_bytes(), type=BenchResult)
    assert written.notes == [NO_PLOTS_NOTE]
