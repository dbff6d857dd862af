"""Latency of the same spoken answer in each browser engine, from the page's and the server's side.

Runs the practice journey (`tests/web/test_journey_practice.py`: one 12 s clip, a real server,
headless Chromium and Firefox ESR) `--runs` times and pools what each run recorded
(`test-artifacts/web/<engine>-latency.json`, see `tests/web/latency.py` for the definitions):

    flock -x /work/bench.lock python3 -m benchmarks.browsers --runs 3

Prints one Markdown table (medians; sample and run counts; load average before and after) and
writes it with the raw records to `--out`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
JOURNEY = "tests/web/test_journey_practice.py"
ARTIFACTS = ROOT / "test-artifacts" / "web"
ENGINES = ("chromium", "firefox")
RUN_TIMEOUT_S = 600


def run_journey() -> dict[str, dict[str, Any]]:
    """One pytest run of the practice journey in both engines: each engine's latency record."""
    for engine in ENGINES:
        (ARTIFACTS / f"{engine}-latency.json").unlink(missing_ok=True)
    command = [sys.executable, "-m", "pytest", JOURNEY, "-n", "0", "-p", "no:cacheprovider", "-q"]
    subprocess.run(command, cwd=ROOT, check=True, timeout=RUN_TIMEOUT_S)
    return {
        engine: json.loads((ARTIFACTS / f"{engine}-latency.json").read_text()) for engine in ENGINES
    }


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} ms (n={len(values)})" if values else "–"


def table(records: list[dict[str, dict[str, Any]]]) -> list[str]:
    """Per engine, samples pooled over the runs: medians of each figure."""
    rows = [
        "| figure | " + " | ".join(ENGINES) + " |",
        "|---|" + "---|" * len(ENGINES),
    ]
    figures = {
        "partial lag, page": lambda r: r["page_samples_ms"]["partial"],
        "partial lag, server": lambda r: r["server"]["partial_lag_ms"],
        "final latency (from `audio_end_ms`), page": lambda r: r["page_samples_ms"]["final"],
        "final latency (from `audio_end_ms`), server": lambda r: r["server"]["final_lag_ms"],
        "final latency (from the last word's end), server": lambda r: r["server"]["final_ms"],
        "round trip, page": lambda r: r["page_samples_ms"]["rtt"],
        "audio path (source to server, one per run)": lambda r: (
            [r["audio_path_ms"]] if r["audio_path_ms"] is not None else []
        ),
        "first audio after the call came up (one per run)": lambda r: (
            [r["first_audio_ms"]] if r["first_audio_ms"] is not None else []
        ),
    }
    for name, values_of in figures.items():
        cells = [
            _median([value for run in records for value in values_of(run[engine])])
            for engine in ENGINES
        ]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ARTIFACTS / "browsers-latency")
    args = parser.parse_args()
    load_before = os.getloadavg()
    records = [run_journey() for _ in range(args.runs)]
    load_after = os.getloadavg()
    lines = [
        f"{args.runs} runs of `{JOURNEY}`; load average (1 min) {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after, on {os.cpu_count()} cores.",
        "",
        *table(records),
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "records.json").write_text(json.dumps(records, indent=2))
    (args.out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
