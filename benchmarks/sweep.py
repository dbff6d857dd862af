"""The capacity sweep against one server: each stream count in turn, with its resource usage."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import psutil

from benchmarks.analysis import backlog_growth_s, latency_report, level_verdict
from benchmarks.baselines import PreparedClip
from benchmarks.records import ClipRecord, LevelResult, Usage
from benchmarks.resources import ResourceMonitor
from benchmarks.streaming import fetch_health, rotations, run_level

SETTLE_TIMEOUT_S = 15.0
# What `/api/health` reports of the server's decoding (the README's health fields).
HEALTH_DECODE_FIELDS = ("decode_s", "decoded_audio_s")


class StreamOptions(msgspec.Struct, frozen=True, kw_only=True):
    """How clips are streamed, and for how long a level of several streams runs."""

    realtime: bool = True
    language: str = "en"
    lead_ms: int = 500
    level_s: float = 60.0  # how long N > 1 streams keep starting clips


def _decode_rtf(before: dict[str, Any], after: dict[str, Any]) -> float | None:
    """Decode seconds per decoded audio second, from `/api/health`'s `decode_s` and
    `decoded_audio_s` (None where health could not be read or nothing was decoded)."""
    try:
        decode, decoded = (float(after[f]) - float(before[f]) for f in HEALTH_DECODE_FIELDS)
    except (KeyError, TypeError, ValueError):
        return None
    return decode / decoded if decoded > 0 else None


def decode_rtf_notes(levels: Sequence[LevelResult]) -> list[str]:
    """A note saying why no level has the server's decode RTF (none when one has it)."""
    usages = [level.usage for level in levels if level.usage is not None]
    if not usages or any(usage.decode_rtf is not None for usage in usages):
        return []
    why = "the server decoded no audio"
    if not any(usage.health_after for usage in usages):
        why = "/api/health could not be read"
    elif missing := [f for f in HEALTH_DECODE_FIELDS if f not in usages[-1].health_after]:
        why = f"/api/health has no {'/'.join(missing)}"
    return [f"server decode RTF not reported: {why}"]


def _forward(
    callback: Callable[[PreparedClip, int], None], streams: int, prepared: PreparedClip
) -> None:
    callback(prepared, streams)


async def settle(url: str) -> None:
    """Wait until the server has closed every session of the previous level."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        health = await fetch_health(url)
        if not health.get("active_sessions"):
            return
        await asyncio.sleep(0.2)


async def run_sweep(
    urls: Sequence[str],
    clips: Sequence[PreparedClip],
    streams: Sequence[int],
    options: StreamOptions,
    *,
    monitor: ResourceMonitor | None,
    on_level: Callable[[int], None] | None = None,
    on_clip: Callable[[PreparedClip, int], None] | None = None,
) -> list[LevelResult]:
    """Stream the clips at every stream count, spread over the front ends at `urls`; summarise
    each level (the server's figures are the first front end's)."""
    url = urls[0]
    client_process = psutil.Process()
    levels = []
    for count in streams:
        if on_level is not None:
            on_level(count)
        for front_end in urls:
            await settle(front_end)
        health_before = await fetch_health(url)
        server_cpu = monitor.mark() if monitor else 0.0
        client_times = client_process.cpu_times()
        started = time.perf_counter()
        # One stream plays every clip once (the main measurement); N streams play for
        # `level_s` at steady concurrency.
        records: list[ClipRecord] = await run_level(
            urls,
            [list(clips)] if count == 1 else rotations(clips, count),
            lead_ms=options.lead_ms,
            realtime=options.realtime,
            language=options.language,
            duration_s=None if count == 1 else options.level_s,
            on_clip=None if on_clip is None else functools.partial(_forward, on_clip, count),
        )
        wall_s = time.perf_counter() - started
        client_after = client_process.cpu_times()
        health_after = await fetch_health(url)
        audio_s = sum(r.sent_audio_ms for r in records) / 1000
        cpu_s = monitor.cpu_s() - server_cpu if monitor is not None else None
        usage = Usage(
            wall_s=wall_s,
            cpu_s=cpu_s,
            audio_s=audio_s,
            cpu_s_per_audio_s=cpu_s / audio_s if cpu_s is not None and audio_s else None,
            peak_rss_mb=monitor.peak_rss_mb() if monitor is not None else None,
            client_cpu_s=(client_after.user + client_after.system)
            - (client_times.user + client_times.system),
            decode_rtf=_decode_rtf(health_before, health_after),
            health_before=health_before,
            health_after=health_after,
        )
        summary = latency_report(records)
        growth = backlog_growth_s(records)
        passed, verdict = level_verdict(summary, growth)
        levels.append(
            LevelResult(
                streams=count,
                wall_s=wall_s,
                summary=summary,
                backlog_growth_s=growth,
                passed=passed,
                verdict=verdict,
                usage=usage,
                clips=records,
            )
        )
    return levels
