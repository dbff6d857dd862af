"""What the Ray Serve speech pool costs per decode, against the in-process engine, in one run.

`python -m benchmarks.pool_overhead --out benchmarks/results/pool-overhead-tiny-en` starts a local
Ray cluster on 127.0.0.1 (timed, its memory read), deploys the pool with one replica
(`podium asr deploy`), loads the same model in this process, and decodes every English clip of
the manifest (the whole clip as a final, its first half as a partial) through both engines, one
decode at a time, alternating which goes first. It reports per-decode latency of each, the pool's
extra time (paired: pool minus in-process for the same audio) and the wire's share as the replica
reports it (round trip less the replica's own time). `--pool ADDRESS` measures a pool that is
already deployed instead.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import msgspec
import numpy as np
from numpy.typing import NDArray

from benchmarks.ray_local import deploy_pool, local_cluster, ray_rss_mb
from benchmarks.run import git_commit
from benchmarks.speech import DEFAULT_SPEECH_DIR, load_manifest, read_wav_int16
from benchmarks.stats import Summary, summarize
from server.asr.engine import DecodeEngine, DecodeRequest, Priority
from server.asr.local_engine import engine_for
from server.asr.remote import PoolTranscriber, connect_pool
from server.asr.types import Transcriber
from server.asr.whisper import load_transcriber
from server.config import load_settings

START_TIMEOUT_S = 300.0


class Setup(msgspec.Struct):
    """What starting the cluster and the pool took (absent for `--pool`)."""

    cluster_start_s: float
    cluster_idle_rss_mb: float
    deploy_s: float
    cluster_with_pool_rss_mb: float


class KindResult(msgspec.Struct):
    """One decode kind (final or partial), milliseconds."""

    in_process_ms: Summary
    pool_ms: Summary
    extra_ms: Summary  # pool minus in-process, paired by audio
    wire_ms_p50: float | None  # round trip less the replica's own time, as the front end saw it


class Report(msgspec.Struct):
    date: str
    machine: str
    cpus: int
    load_average_start: list[float]
    load_average_end: list[float]
    git_commit: str
    command: str
    model: str
    clips: int
    rounds: int
    setup: Setup | None
    decodes: dict[str, KindResult]


async def _timed(engine: DecodeEngine, request: DecodeRequest) -> float:
    started = time.perf_counter()
    await engine.decode(request)
    return (time.perf_counter() - started) * 1000


async def measure(
    pool: str, audios: Sequence[NDArray[np.int16]], rounds: int
) -> dict[str, KindResult]:
    """Decode each audio through both engines `rounds` times; per kind, the summaries."""
    settings = load_settings(environ={})
    local_model: Transcriber = await asyncio.to_thread(load_transcriber, settings)
    local = engine_for(settings, local_model.device)
    remote, info = await connect_pool(pool, timeout_s=120, wait_s=60)
    pool_model = PoolTranscriber(next(m for m in info.models if m.role == "main"))
    results: dict[str, KindResult] = {}
    try:
        for kind, final in (("final", True), ("partial", False)):
            times: dict[str, list[float]] = {"local": [], "pool": []}
            wire_before = len(remote.wire_overheads_ms())
            for round_number in range(rounds + 1):  # round 0 warms both up
                for index, audio in enumerate(audios):
                    heard = audio if final else audio[: len(audio) // 2]
                    priority = Priority.FINAL if final else Priority.PARTIAL
                    pair = {
                        "local": (local, local_model),
                        "pool": (remote, pool_model),
                    }
                    order = ["local", "pool"] if (round_number + index) % 2 else ["pool", "local"]
                    for name in order:
                        engine, model = pair[name]
                        request = DecodeRequest(heard, model, "en", final=final, priority=priority)
                        took = await _timed(engine, request)
                        if round_number:
                            times[name].append(took)
            extra = [p - q for p, q in zip(times["pool"], times["local"], strict=True)]
            wire = remote.wire_overheads_ms()[wire_before + len(audios) :]
            results[kind] = KindResult(
                in_process_ms=summarize(times["local"]),
                pool_ms=summarize(times["pool"]),
                extra_ms=summarize(extra),
                wire_ms_p50=summarize(wire).p50,
            )
    finally:
        await asyncio.gather(remote.aclose(), local.aclose())
    return results


def _summary_md(report: Report) -> str:
    lines = [
        f"# Speech pool overhead per decode, {report.date}",
        "",
        f"- Machine: `{report.machine}`, {report.cpus} CPUs; load average at start "
        f"{' / '.join(f'{x:.2f}' for x in report.load_average_start)}, at end "
        f"{' / '.join(f'{x:.2f}' for x in report.load_average_end)}.",
        f"- Model: {report.model}; git {report.git_commit}; {report.clips} clips x "
        f"{report.rounds} rounds, one decode at a time, alternating which engine goes first.",
        f"- Command: `{report.command}`",
        "",
    ]
    if report.setup is not None:
        setup = report.setup
        lines += [
            "## Local cluster (one machine, loopback)",
            "",
            f"- `ray start --head`: {setup.cluster_start_s:.1f} s; Ray's processes idle: "
            f"{setup.cluster_idle_rss_mb:.0f} MB resident.",
            f"- `podium asr deploy --replicas 1`: {setup.deploy_s:.1f} s until ready; Ray's "
            f"processes with Serve and one replica: {setup.cluster_with_pool_rss_mb:.0f} MB.",
            "",
        ]
    lines += [
        "## Per decode (ms)",
        "",
        "| decode | in-process p50 | in-process p95 | pool p50 | pool p95 "
        "| pool minus in-process p50 | p95 | wire (round trip less replica) p50 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind, result in report.decodes.items():
        cells = [
            result.in_process_ms.p50,
            result.in_process_ms.p95,
            result.pool_ms.p50,
            result.pool_ms.p95,
            result.extra_ms.p50,
            result.extra_ms.p95,
            result.wire_ms_p50,
        ]
        lines.append(
            f"| {kind} | " + " | ".join("-" if c is None else f"{c:.1f}" for c in cells) + " |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pool_overhead", description=__doc__)
    parser.add_argument("--manifest", type=Path, default=DEFAULT_SPEECH_DIR / "manifest.jsonl")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pool", help="a deployed pool's address (else a local cluster is made)")
    parser.add_argument("--out", type=Path, help="folder for results.json and summary.md")
    args = parser.parse_args(argv)
    clips = [c for c in load_manifest(args.manifest) if c.language == "en"]
    audios = [read_wav_int16(args.manifest.parent / c.audio)[0] for c in clips]
    load_start = list(os.getloadavg())
    setup: Setup | None = None
    if args.pool:
        decodes = asyncio.run(measure(args.pool, audios, args.rounds))
    else:
        with tempfile.TemporaryDirectory(prefix="podium-ray-") as temp:
            started = time.perf_counter()
            with local_cluster(Path(temp), num_cpus=2, timeout_s=START_TIMEOUT_S) as address:
                cluster_start_s = time.perf_counter() - started
                time.sleep(2.0)  # let Ray's agents finish starting before reading memory
                idle_mb = ray_rss_mb()
                started = time.perf_counter()
                pool = deploy_pool(address, replicas=1, cpus_per_replica=1, timeout_s=600)
                deploy_s = time.perf_counter() - started
                setup = Setup(cluster_start_s, idle_mb, deploy_s, ray_rss_mb())
                decodes = asyncio.run(measure(pool, audios, args.rounds))
    report = Report(
        date=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        machine=platform.platform(),
        cpus=os.cpu_count() or 0,
        load_average_start=load_start,
        load_average_end=list(os.getloadavg()),
        git_commit=git_commit(),
        command="python -m benchmarks.pool_overhead "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        model=load_settings(environ={}).model,
        clips=len(audios),
        rounds=args.rounds,
        setup=setup,
        decodes=decodes,
    )
    summary = _summary_md(report)
    print(summary)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_bytes(msgspec.json.format(msgspec.json.encode(report)))
        (args.out / "summary.md").write_text(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
