"""`podium bench --server URL`: the sweep against a server the benchmark did not start, and the
`/api/health` fields it reads, which the README documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks.run import prepare_clips
from benchmarks.serverproc import ServerProcess
from benchmarks.speech import Clip
from benchmarks.sweep import HEALTH_DECODE_FIELDS, StreamOptions, decode_rtf_notes, run_sweep
from server.api.health import Health
from tests.e2e.conftest import server  # noqa: F401 - one real server for this module
from tests.speech import clip_named

README = Path(__file__).resolve().parents[2] / "README.md"
CLIP = "en_arctic_slt_a0009.wav"  # 3 s, one sentence


def documented_health_fields() -> list[str]:
    row = next(line for line in README.read_text().splitlines() if "`GET /api/health`" in line)
    return re.findall(r'"(\w+)"', row)


def test_the_readme_lists_every_health_field_and_the_benchmark_reads_those() -> None:
    assert documented_health_fields() == list(Health.__struct_fields__)
    assert set(HEALTH_DECODE_FIELDS) <= set(Health.__struct_fields__)


@pytest.mark.e2e
async def test_a_server_without_its_pid_still_reports_its_decode_time(
    server: ServerProcess,  # noqa: F811 - the fixture imported above
    speech_dir: Path,
    english_clips: list[Clip],
) -> None:
    clips = prepare_clips([clip_named(english_clips, CLIP)], speech_dir)

    (level,) = await run_sweep([server.url], clips, [1], StreamOptions(), monitor=None)

    usage = level.usage
    assert usage is not None
    # No process to watch: no CPU or memory figures, but the server's own decode time.
    assert usage.cpu_s is None and usage.peak_rss_mb is None
    assert usage.decode_rtf is not None and usage.decode_rtf > 0
    assert decode_rtf_notes([level]) == []
