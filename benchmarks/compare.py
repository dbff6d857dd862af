"""Server configurations measured side by side in one run (`podium bench --config ...`).

Each configuration gets its own local server; the sweep runs every stream count on each server
in turn before the next count, so that the configurations share the machine's background load
as evenly as one run allows. The first configuration is the main one: the targets, latency and
cost sections of the summary are its figures.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import msgspec

from benchmarks.records import BenchResult, LevelResult
from benchmarks.stats import Summary


class ServerConfig(msgspec.Struct, frozen=True):
    """A named server configuration: environment variables on top of the benchmark's own, and
    optionally another source tree to run the server from (e.g. the code before a change)."""

    name: str
    env: dict[str, str] = msgspec.field(default_factory=dict)
    source: str | None = None


def parse_config(text: str) -> ServerConfig:
    """`NAME[@SOURCE_DIR]:VAR=VALUE,VAR=VALUE` (`NAME:` alone: the defaults)."""
    label, sep, assignments = text.partition(":")
    name, _, source = label.partition("@")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(
            f"--config wants NAME[@SOURCE_DIR]:VAR=VALUE,... "
            f"(e.g. batched:PODIUM_BATCH_SIZE=8): {text!r}"
        )
    if source and not (Path(source) / "server" / "__main__.py").is_file():
        raise argparse.ArgumentTypeError(f"--config {name}: {source!r} holds no server/ package")
    env = {}
    for assignment in (a for a in assignments.split(",") if a.strip()):
        variable, equals, value = assignment.partition("=")
        if not equals or not variable.strip():
            raise argparse.ArgumentTypeError(f"--config {name}: {assignment!r} is not VAR=VALUE")
        env[variable.strip()] = value.strip()
    return ServerConfig(name.strip(), env, source or None)


def check_configs(configs: Sequence[ServerConfig]) -> list[ServerConfig]:
    names = [c.name for c in configs]
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"--config names must differ: {names}")
    return list(configs) or [ServerConfig("default")]


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _gap(summary: Summary) -> str:
    return "–" if summary.p50 is None else f"{summary.p50:.2f} ({_s(summary.p95)})"


def _decode_figures(level: LevelResult) -> tuple[str, str]:
    """Decodes per second of streamed audio and the mean batch size, from the server's health."""
    if level.usage is None:
        return "–", "–"
    before, after = level.usage.health_before, level.usage.health_after
    try:
        decodes = after["batched_decodes"] - before["batched_decodes"]
        batches = after["batches"] - before["batches"]
    except (KeyError, TypeError):
        return "–", "–"
    rate = f"{decodes / level.usage.audio_s:.2f}" if level.usage.audio_s else "–"
    return rate, (f"{decodes / batches:.2f}" if batches else "–")


def side_by_side_section(result: BenchResult) -> list[str]:
    """The sweep of every configuration, level by level (empty without `--config`)."""
    if not result.compared:
        return []
    configs = [
        (
            result.config_name or "main",
            result.config_env,
            result.config_source,
            result.levels,
            result.capacity_streams,
        ),
        *((c.name, c.env, c.source, c.levels, c.capacity_streams) for c in result.compared),
    ]
    header = ["streams", "config", "final p50", "final p95", "partial lag p50"]
    header += ["partial gap p50 (p95)", "utterances without partial", "WER", "CPU s / audio s"]
    header += ["decodes / audio s", "mean batch", "verdict"]
    by_count: dict[int, list[list[str]]] = {}
    for name, _, _, levels, _ in configs:
        for level in levels:
            report, usage = level.summary, level.usage
            rate, batch = _decode_figures(level)
            by_count.setdefault(level.streams, []).append(
                [
                    str(level.streams),
                    name,
                    _s(report.final_latency_s.p50),
                    _s(report.final_latency_s.p95),
                    _s(report.partial_lag_s.p50),
                    _gap(report.partial_gap_s),
                    f"{report.utterances_without_partial} of {report.utterances}",
                    "–" if report.wer is None else f"{report.wer:.1%}",
                    f"{usage.cpu_s_per_audio_s:.3f}" if usage else "–",
                    rate,
                    batch,
                    ("pass" if level.passed else "**fail**: " + level.verdict),
                ]
            )
    rows = [row for count in sorted(by_count) for row in by_count[count]]
    lines = ["## Configurations side by side", ""]
    lines += [
        f"- **{name}**: "
        + (", ".join(f"`{k}={v}`" for k, v in env.items()) or "the defaults")
        + (f", server code from `{source}`" if source else "")
        + f"; capacity {capacity if capacity is not None else 'none'}"
        for name, env, source, _, capacity in configs
    ]
    lines += ["", "| " + " | ".join(header) + " |", "| " + " | ".join(["---"] * len(header)) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += [
        "",
        "'partial gap': time between consecutive partials of an utterance (the caption cadence); "
        "'decodes / audio s': decodes the server ran per second of audio streamed to it; "
        "'mean batch': decodes per model run.",
        "",
    ]
    return lines
