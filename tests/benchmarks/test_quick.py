"""`python -m benchmarks --quick` against a real local server: the benchmark must not rot.

Checks that the outputs exist, are well formed and sane (counts, WER), never a timing value.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from benchmarks.plots import CAPACITY_PLOT, LATENCY_PLOT, TIMELINE_PLOT
from benchmarks.records import BenchResult
from benchmarks.report import RESULTS_FILE, SUMMARY_FILE

pytestmark = pytest.mark.e2e

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
QUICK_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory, speech_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("bench")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            "--no-progress",
            "--manifest",
            str(speech_dir / "manifest.jsonl"),
            "--out",
            str(out),
            # A second server configuration, measured side by side with the main one.
            "--config",
            "main:",
            "--config",
            "batched:PODIUM_BATCH_SIZE=4",
        ],
        capture_output=True,
        text=True,
        timeout=QUICK_TIMEOUT_S,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return out


def test_quick_run_writes_every_output(quick_run: Path) -> None:
    for name in (RESULTS_FILE, SUMMARY_FILE, LATENCY_PLOT, CAPACITY_PLOT, TIMELINE_PLOT):
        assert (quick_run / name).is_file(), name
    for name in (LATENCY_PLOT, CAPACITY_PLOT, TIMELINE_PLOT):
        data = (quick_run / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5_000, name
    summary = (quick_run / SUMMARY_FILE).read_text()
    for heading in (
        "## Targets",
        "## Latency",
        "## Capacity sweep",
        "## Configurations side by side",
        "## Feedback",
        "## Definitions",
    ):
        assert heading in summary


def test_quick_results_are_complete_and_sane(quick_run: Path) -> None:
    result = msgspec.json.decode((quick_run / RESULTS_FILE).read_bytes(), type=BenchResult)
    assert result.meta.streams == [1] and len(result.meta.clips) >= 2
    (level,) = result.levels
    report = level.summary
    assert report.clips == len(result.meta.clips) and report.clips_failed == 0
    assert report.utterances >= report.clips
    assert report.final_latency_s.count == report.utterances
    assert report.first_partial_s.count > 0 and report.partial_lag_s.count > 0
    assert report.wer is not None and 0 <= report.wer < 0.5
    assert report.stability.updates > 0 and report.stability.stable_violations == 0
    for clip in level.clips:
        assert clip.hypothesis and clip.events
        assert [e.message["type"] for e in clip.events][0] == "session.ready"
    assert level.usage is not None
    assert level.usage.cpu_s > 0 and level.usage.peak_rss_mb > 0 and level.usage.audio_s > 0

    assert result.offline is not None and result.offline.wer < 0.5
    assert len(result.offline.clips) == len(result.meta.clips)
    assert result.naive is not None and result.naive.decodes > 0
    assert result.naive.summary.final_latency_s.count > 0

    (feedback,) = result.feedback
    (run,) = feedback.runs
    assert run.provider == "offline" and run.deltas > 0 and not run.errors
    assert run.done_s is not None and run.first_delta_s is not None

    (batched,) = result.compared
    assert (result.config_name, batched.name) == ("main", "batched")
    assert batched.env == {"PODIUM_BATCH_SIZE": "4"}
    (other,) = batched.levels
    assert other.summary.clips == report.clips and other.summary.clips_failed == 0
    assert other.usage is not None and other.usage.health_after["batched_decodes"] > 0
    assert other.summary.partial_gap_s.count > 0

    names = {t.name for t in result.targets}
    assert "final latency p50, 1 stream" in names and "finals' WER vs offline" in names
    assert result.meta.settings.get("gemini_api_key") in ("", "***"), "a key is never written"
