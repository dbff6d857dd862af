"""`podium bench` / `python -m benchmarks`: the latency benchmark.

Streams the speech clips through the real WebRTC client at real-time pace to a Podium server
(a local subprocess unless `--server` is given), at each stream count of the sweep, runs the
offline and naive-streaming baselines on the same model and settings, times the interview
feedback, and writes `results.json`, `summary.md` and PNG plots into the output folder.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from benchmarks.analysis import capacity
from benchmarks.baselines import PreparedClip
from benchmarks.compare import ServerConfig, check_configs, parse_config
from benchmarks.feedback_flow import answer_clips
from benchmarks.noise import NOISE_KINDS
from benchmarks.noise_mode import (
    noise_conditions,
    parse_noise_kinds,
    parse_noise_tail,
    parse_snrs,
    write_noise_report,
)
from benchmarks.phases import (
    Plan,
    RunLog,
    ServerMeasurements,
    measure_servers,
    run_baselines,
)
from benchmarks.progress import Progress
from benchmarks.records import BenchResult, Meta
from benchmarks.reference import speech_reference
from benchmarks.report import write_results
from benchmarks.speech import DEFAULT_SPEECH_DIR, Clip, load_manifest, read_wav_int16
from benchmarks.streaming import describe_error
from benchmarks.sweep import StreamOptions, decode_rtf_notes
from benchmarks.targets import check_targets
from server.config import Settings, load_settings

# Relative to where `podium bench` runs (the checkout's root): an installed package's own folder
# is no place for results.
RESULTS_DIR = Path("benchmarks") / "results"
DEFAULT_STREAMS = "1,2,4,8"
DEFAULT_MAX_CLIP_S = 20.0
QUICK_CLIPS = 3
QUICK_MIN_CLIP_S = 2.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="podium bench", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "--manifest",
        type=Path,
        default=DEFAULT_SPEECH_DIR / "manifest.jsonl",
        help="speech manifest (default: ../shared/speech/ beside the checkout where it exists, "
        "else the clips in tests/data/speech/)",
    )
    parser.add_argument(
        "--server",
        help="URL of a running server, or several front ends' URLs separated by commas (the "
        "streams are spread over them; default: start a local subprocess)",
    )
    parser.add_argument(
        "--server-pid",
        type=int,
        help="with --server: its process id, to measure its CPU and memory",
    )
    parser.add_argument(
        "--streams",
        default=DEFAULT_STREAMS,
        help=f"stream counts to sweep (default {DEFAULT_STREAMS})",
    )
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument(
        "--realtime",
        dest="realtime",
        action="store_true",
        default=True,
        help="send each 20 ms frame at its wall-clock time (default)",
    )
    pace.add_argument(
        "--fast",
        dest="realtime",
        action="store_false",
        help="send frames as fast as possible (timings are then not real-time latencies)",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--clips", type=int, help="use only the first N selected clips")
    size.add_argument(
        "--quick",
        action="store_true",
        help="3 short clips, 1 stream, offline coach only: a smoke run of a minute or so",
    )
    parser.add_argument("--language", default="en", help="clips of this language (default en)")
    parser.add_argument(
        "--max-clip-s",
        type=float,
        default=DEFAULT_MAX_CLIP_S,
        help=f"skip longer clips (default {DEFAULT_MAX_CLIP_S:g}; 60 takes them all)",
    )
    parser.add_argument(
        "--out", type=Path, help="output folder (default benchmarks/results/<time>)"
    )
    parser.add_argument("--lead-ms", type=int, default=500, help="silence before each clip")
    parser.add_argument(
        "--level-s",
        type=float,
        default=60.0,
        help="seconds each level of 2+ streams keeps starting clips (default 60)",
    )
    parser.add_argument("--feedback-answers", type=int, default=3, help="answers per provider")
    parser.add_argument(
        "--gemini-delay-ms",
        type=float,
        default=500.0,
        help="fake Gemini: delay before its first chunk (default 500)",
    )
    parser.add_argument(
        "--gemini-chunk-delay-ms",
        type=float,
        default=100.0,
        help="fake Gemini: delay between chunks (default 100)",
    )
    parser.add_argument(
        "--config",
        dest="configs",
        action="append",
        type=parse_config,
        default=[],
        metavar="NAME:VAR=VALUE,...",
        help="measure server configurations side by side, each on its own local server with "
        "these environment variables (repeat it; the first is the main one)",
    )
    parser.add_argument(
        "--noise",
        type=parse_noise_kinds,
        default=[],
        help="noise mode: comma-separated kinds of " + ",".join(NOISE_KINDS) + " mixed into "
        "each clip at each --snr, plus clean clips and noise-only audio of each kind; writes "
        "noise.md and one folder per condition",
    )
    parser.add_argument(
        "--snr",
        type=parse_snrs,
        default=[20.0, 10.0, 5.0],
        help="with --noise: signal-to-noise ratios in dB over the speech part (default 20,10,5)",
    )
    parser.add_argument(
        "--noise-tail-s",
        type=parse_noise_tail,
        default=0.0,
        help="with --noise: the noise goes on this long after each noisy clip ends, alone "
        "(others talking on after the person stops; default 0)",
    )
    parser.add_argument(
        "--noise-seed", type=int, default=0, help="with --noise: seed of the noise (default 0)"
    )
    parser.add_argument("--no-baselines", action="store_true", help="skip offline and naive")
    parser.add_argument("--no-feedback", action="store_true", help="skip the interview flow")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def parse_streams(text: str) -> list[int]:
    try:
        streams = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"--streams wants numbers like 1,2,4: {text!r}") from None
    if not streams or streams[0] < 1:
        raise argparse.ArgumentTypeError("--streams needs counts of at least 1")
    return streams


def select_clips(
    manifest: Sequence[Clip], *, language: str, max_clip_s: float, limit: int | None, quick: bool
) -> list[Clip]:
    """The clips of the run, in manifest order (`--quick`: the 3 shortest of at least 2 s)."""
    chosen = [c for c in manifest if c.language == language and c.duration_s <= max_clip_s]
    if quick:
        long_enough = [c for c in chosen if c.duration_s >= QUICK_MIN_CLIP_S]
        return sorted(long_enough, key=lambda c: c.duration_s)[:QUICK_CLIPS]
    return chosen[:limit] if limit else chosen


def prepare_clips(clips: Sequence[Clip], speech_dir: Path) -> list[PreparedClip]:
    prepared = []
    for clip in clips:
        samples, rate = read_wav_int16(speech_dir / clip.audio)
        if rate != 16_000:
            raise ValueError(f"{clip.audio}: expected 16 kHz, got {rate} Hz")
        prepared.append(PreparedClip(clip, samples, speech_reference(clip, samples)))
    return prepared


def _git(*args: str) -> str:
    root = Path(__file__).resolve().parent.parent
    completed = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=10
    )
    return completed.stdout.strip()


def git_commit() -> str:
    """This checkout's commit, "-dirty" when tracked files changed."""
    try:
        commit = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def _front_ends(server: str | None) -> list[str]:
    """`--server`'s URLs (none: start a local server)."""
    return [url.strip() for url in (server or "").split(",") if url.strip()]


def _public_settings(settings: Settings) -> dict[str, object]:
    values: dict[str, object] = msgspec.to_builtins(settings)
    if values.get("gemini_api_key"):
        values["gemini_api_key"] = "***"
    return values


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the process exit code (1 when nothing could be measured)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        streams = [1] if args.quick else parse_streams(args.streams)
        configs: list[ServerConfig] = check_configs(args.configs)
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    if args.server and len(configs) > 1:
        parser.error("--config compares local servers: it does not go with --server")
    started_at = datetime.now(UTC)
    load_start = list(os.getloadavg())
    if not args.manifest.is_file():
        parser.error(
            f"no speech manifest at {args.manifest}: run from a Podium checkout (its clips are in "
            "tests/data/speech/) or give --manifest"
        )
    selected = select_clips(
        load_manifest(args.manifest),
        language=args.language,
        max_clip_s=args.max_clip_s,
        limit=args.clips,
        quick=args.quick,
    )
    if not selected:
        parser.error(f"no {args.language!r} clips of at most {args.max_clip_s:g} s in the manifest")
    clips = prepare_clips(selected, args.manifest.parent)
    out_dir = args.out or RESULTS_DIR / (
        started_at.strftime("%Y%m%d-%H%M%S") + ("-quick" if args.quick else "")
    )
    if max(load_start) > 1.0:
        print(
            f"podium bench: load average {load_start[0]:.2f}: other work is running, "
            "timings will be noisy",
            file=sys.stderr,
        )
    if args.noise:
        conditions = noise_conditions(
            clips, args.noise, args.snr, seed=args.noise_seed, tail_s=args.noise_tail_s
        )
        runs = []
        for condition in conditions:
            print(f"podium bench: noise condition {condition.name}", file=sys.stderr)
            result = _measure(
                args, argv, condition.clips, out_dir / condition.name, streams, configs, noise=True
            )
            runs.append((condition, result))
        path = write_noise_report(
            runs, out_dir, command=["podium", "bench", *(sys.argv[1:] if argv is None else argv)]
        )
        print(f"wrote {path}")
        return 0
    result = _measure(args, argv, clips, out_dir, streams, configs, noise=False)
    finals = [u for lv in result.levels for c in lv.clips for u in c.utterances]
    return 0 if any(u.final_latency_s is not None for u in finals) else 1


def _measure(
    args: argparse.Namespace,
    argv: Sequence[str] | None,
    clips: list[PreparedClip],
    out_dir: Path,
    streams: list[int],
    configs: list[ServerConfig],
    *,
    noise: bool,
) -> BenchResult:
    """One measurement of `clips` written into `out_dir` (noise mode: no baselines, no feedback)."""
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    load_start = list(os.getloadavg())
    plan = Plan(
        streams=streams,
        stream=StreamOptions(
            realtime=args.realtime,
            language=args.language,
            lead_ms=args.lead_ms,
            level_s=args.level_s,
        ),
        baselines=not (args.no_baselines or noise),
        feedback_answers=0
        if args.no_feedback or noise
        else (1 if args.quick else args.feedback_answers),
        gemini=not (args.no_feedback or noise or args.quick or args.server),
        gemini_delay_ms=args.gemini_delay_ms,
        gemini_chunk_delay_ms=args.gemini_chunk_delay_ms,
        configs=configs,
    )
    answers = answer_clips(clips, plan.feedback_answers)
    settings = load_settings()
    notes: list[str] = []
    offline = naive = None
    with Progress(
        plan.total_s(clips, answers), plan.total_clips(clips, answers), enabled=not args.no_progress
    ) as progress:
        if plan.baselines:
            offline, naive = run_baselines(clips, settings, plan, progress)
            gc.collect()
        try:
            measured = measure_servers(
                _front_ends(args.server),
                args.server_pid,
                clips,
                answers,
                plan,
                progress,
                RunLog(notes, out_dir),
            )
        except RuntimeError as exc:  # the local server did not start
            notes.append(f"server not measured: {describe_error(exc)}")
            label = args.server or "local subprocess"
            measured = ServerMeasurements(label, {}, [], [], None, [])
    if args.quick:
        notes.append("quick run: a smoke test of the benchmark, too few clips for real figures")
    if not plan.stream.realtime:
        notes.append("--fast: audio was not paced in real time; latencies are not real-time ones")
    notes += decode_rtf_notes(measured.levels)
    capacity_streams = capacity(measured.levels) if plan.stream.realtime else None
    health = measured.health
    result = BenchResult(
        meta=Meta(
            command=["podium", "bench", *(sys.argv[1:] if argv is None else argv)],
            started_utc=started_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            git_commit=git_commit(),
            host=f"{socket.gethostname()} ({platform.platform()})",
            cpu_count=os.cpu_count() or 0,
            load_average_start=load_start,
            load_average_end=list(os.getloadavg()),
            python=platform.python_version(),
            model=str(health.get("model", settings.model)),
            device=str(health.get("device", settings.device)),
            compute_type=str(health.get("compute_type", settings.compute_type)),
            settings=_public_settings(settings),
            mode="realtime" if plan.stream.realtime else "fast",
            server=measured.label,
            lead_ms=plan.stream.lead_ms,
            level_s=plan.stream.level_s,
            clips=[p.clip.audio for p in clips],
            audio_s=sum(p.clip.duration_s for p in clips),
            streams=streams,
            duration_s=time.perf_counter() - started,
        ),
        offline=offline,
        naive=naive,
        levels=measured.levels,
        capacity_streams=capacity_streams,
        server_peak_rss_mb=measured.peak_rss_mb,
        feedback=measured.feedback,
        targets=check_targets(
            measured.levels, offline, naive, capacity_streams, realtime=plan.stream.realtime
        ),
        notes=notes,
        config_name=configs[0].name if args.configs else "",
        config_env=configs[0].env,
        config_source=configs[0].source,
        compared=measured.compared,
    )
    paths = write_results(result, out_dir)
    for target in result.targets:
        verdict = {None: "-", True: "met", False: "NOT MET"}[target.met]
        print(f"{target.name:<36} {target.measured:<34} {target.target:<12} {verdict}")
    for note in notes:
        print(f"note: {note}")
    print("wrote " + ", ".join(str(p) for p in paths))
    return result
