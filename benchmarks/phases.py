"""The phases of a benchmark run: baselines, the sweep and feedback on local or given servers."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import signal
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import msgspec

from benchmarks.analysis import capacity
from benchmarks.baselines import PreparedClip, naive_baseline, offline_baseline, plain_model
from benchmarks.compare import ServerConfig
from benchmarks.fake_gemini import Behaviour, FakeGemini
from benchmarks.feedback_flow import measure_feedback
from benchmarks.progress import Progress
from benchmarks.records import (
    ConfigResult,
    FeedbackResult,
    LevelResult,
    NaiveBaseline,
    OfflineBaseline,
)
from benchmarks.resources import ResourceMonitor
from benchmarks.serverproc import ServerProcess, start_server
from benchmarks.streaming import describe_error, fetch_health
from benchmarks.sweep import StreamOptions, run_sweep
from server.config import Settings, load_settings

# Rough seconds of work per item, only for the progress bar's time-left figure.
SERVER_START_S = 12.0
OFFLINE_CLIP_S = 0.8
NAIVE_DECODE_S = 0.75
SESSION_OVERHEAD_S = 1.0


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    """What this run does, decided from the command line."""

    streams: list[int]
    stream: StreamOptions
    baselines: bool
    feedback_answers: int
    gemini: bool
    gemini_delay_ms: float
    gemini_chunk_delay_ms: float
    configs: list[ServerConfig] = msgspec.field(default_factory=lambda: [ServerConfig("main")])

    def session_s(self, prepared: PreparedClip) -> float:
        pad_s = self.stream.lead_ms / 1000
        return prepared.clip.duration_s + pad_s + SESSION_OVERHEAD_S

    def naive_s(self, prepared: PreparedClip) -> float:
        return NAIVE_DECODE_S * (prepared.clip.duration_s + 1.5)

    def answer_s(self, prepared: PreparedClip, *, gemini: bool) -> float:
        extra = (self.gemini_delay_ms + 4 * self.gemini_chunk_delay_ms) / 1000 if gemini else 0.0
        return self.session_s(prepared) + extra

    def level_clips(self, clips: Sequence[PreparedClip], streams: int) -> int:
        """Clips a level plays: each once for one stream, about `level_s` worth for more."""
        if streams == 1:
            return len(clips)
        mean_s = sum(self.session_s(p) for p in clips) / len(clips)
        return streams * math.ceil(self.stream.level_s / mean_s)

    def total_s(self, clips: Sequence[PreparedClip], answers: Sequence[PreparedClip]) -> float:
        total = SERVER_START_S * (len(self.configs) + (1 if self.gemini else 0))
        if self.baselines:
            total += sum(OFFLINE_CLIP_S + self.naive_s(p) for p in clips)
        mean_s = sum(self.session_s(p) for p in clips) / len(clips)
        for count in self.streams:
            level_s = sum(self.session_s(p) for p in clips) if count == 1 else self.stream.level_s
            total += (level_s + (0 if count == 1 else mean_s)) * len(self.configs)
        total += sum(self.answer_s(p, gemini=False) for p in answers)
        if self.gemini:
            total += sum(self.answer_s(p, gemini=True) for p in answers)
        return total

    def total_clips(self, clips: Sequence[PreparedClip], answers: Sequence[PreparedClip]) -> int:
        count = 2 * len(clips) if self.baselines else 0
        count += sum(self.level_clips(clips, n) for n in self.streams) * len(self.configs)
        return count + len(answers) * (2 if self.gemini else 1)


def run_baselines(
    clips: Sequence[PreparedClip], settings: Settings, plan: Plan, progress: Progress
) -> tuple[OfflineBaseline, NaiveBaseline]:
    """Both baselines in this process, on the server's model and settings."""
    from server.asr.whisper import load_transcriber

    progress.phase("loading the model")
    transcriber = load_transcriber(settings)
    transcriber.warm_up()
    language = None if plan.stream.language == "auto" else plan.stream.language
    progress.phase("offline baseline")
    offline = offline_baseline(
        clips,
        plain_model(transcriber, settings),
        settings,
        language=language,
        on_clip=lambda _p: progress.advance(OFFLINE_CLIP_S),
    )
    progress.phase("naive streaming baseline")
    naive = naive_baseline(
        clips,
        transcriber,
        settings,
        language=language,
        lead_ms=plan.stream.lead_ms,
        on_clip=lambda p: progress.advance(plan.naive_s(p)),
    )
    return offline, naive


class RunLog(NamedTuple):
    """Where a run keeps what went wrong: notes for the summary, server logs worth keeping."""

    notes: list[str]
    out_dir: Path


@contextlib.contextmanager
def local_server(
    env: dict[str, str], run_log: RunLog, label: str, source: str | None = None
) -> Iterator[ServerProcess]:
    """A server subprocess with its data in a temporary folder.

    Its exit is checked; a log with a traceback (or a bad exit) is kept in the output folder.
    """
    # The sweep opens sessions faster than the per-client limit meant for the public allows.
    env = {"PODIUM_SESSION_RATE_PER_MIN": "100000", "PODIUM_SESSION_BURST": "1000", **env}
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as data_dir:
        server = start_server(Path(data_dir), env, source=None if source is None else Path(source))
        try:
            yield server
        finally:
            code = server.stop()
            log = server.log()
            problems = []
            # uvicorn re-raises SIGTERM after a graceful shutdown: -15 is a clean exit too.
            if code not in (0, -signal.SIGTERM):
                problems.append(f"exited with code {code}")
            if "Traceback" in log:
                problems.append(f"logged {log.count('Traceback')} traceback(s)")
            if problems:
                kept = run_log.out_dir / f"server-{label}.log"
                run_log.out_dir.mkdir(parents=True, exist_ok=True)
                kept.write_text(log)
                run_log.notes.append(f"{label} server {' and '.join(problems)}: see {kept.name}")


def _announce(progress: Progress, label: str, _streams: int) -> None:
    progress.phase(label)


class MeasuredServer(NamedTuple):
    """A server the sweep runs against: its configuration's name, its front ends' URLs (one,
    unless several share a speech pool) and the first's resource monitor."""

    name: str
    urls: tuple[str, ...]
    monitor: ResourceMonitor | None


async def server_phase(
    servers: Sequence[MeasuredServer],
    clips: Sequence[PreparedClip],
    answers: Sequence[PreparedClip],
    plan: Plan,
    progress: Progress,
    feedback_label: str,
) -> tuple[dict[str, object], dict[str, list[LevelResult]], FeedbackResult | None]:
    """The sweep on every server, each stream count on all of them before the next count; then
    the interview flow on the first with the server's own feedback provider."""
    health = await fetch_health(servers[0].urls[0])
    levels: dict[str, list[LevelResult]] = {server.name: [] for server in servers}
    for count in plan.streams:
        for server in servers:
            label = f"{count} stream(s)" + (f", {server.name}" if len(servers) > 1 else "")
            levels[server.name] += await run_sweep(
                server.urls,
                clips,
                [count],
                plan.stream,
                monitor=server.monitor,
                on_level=functools.partial(_announce, progress, label),
                on_clip=lambda p, n: progress.advance(plan.session_s(p) / n),
            )
    feedback = None
    if answers:
        progress.phase(f"feedback, {feedback_label}")
        feedback = await measure_feedback(
            servers[0].urls[0],
            answers,
            label=feedback_label,
            lead_ms=plan.stream.lead_ms,
            realtime=plan.stream.realtime,
            language=plan.stream.language,
            on_clip=lambda p: progress.advance(plan.answer_s(p, gemini=False)),
        )
    return health, levels, feedback


def gemini_phase(
    answers: Sequence[PreparedClip], plan: Plan, progress: Progress, run_log: RunLog
) -> FeedbackResult:
    """The interview flow with Gemini: the real API when a key is set, else the fake on loopback."""
    progress.phase("feedback, Gemini")

    def measure(url: str, label: str, note: str) -> FeedbackResult:
        return asyncio.run(
            measure_feedback(
                url,
                answers,
                label=label,
                lead_ms=plan.stream.lead_ms,
                realtime=plan.stream.realtime,
                language=plan.stream.language,
                note=note,
                on_clip=lambda p: progress.advance(plan.answer_s(p, gemini=True)),
            )
        )

    if load_settings().gemini_api_key:
        with local_server({}, run_log, "gemini") as server:
            progress.advance(SERVER_START_S, clips=0)
            return measure(server.url, "Gemini (real API)", "real network and model latency")
    behaviour = Behaviour(
        first_chunk_delay_s=plan.gemini_delay_ms / 1000,
        chunk_delay_s=plan.gemini_chunk_delay_ms / 1000,
    )
    with FakeGemini(behaviour) as fake:
        env = {"PODIUM_GEMINI_API_KEY": "fake", "PODIUM_GEMINI_BASE_URL": fake.base_url}
        with local_server(env, run_log, "gemini") as server:
            progress.advance(SERVER_START_S, clips=0)
            note = (
                f"fake Gemini on loopback (benchmarks/fake_gemini.py): first chunk after "
                f"{plan.gemini_delay_ms:g} ms, then {plan.gemini_chunk_delay_ms:g} ms per chunk"
            )
            return measure(server.url, "Gemini (fake, no real key set)", note)


class ServerMeasurements(NamedTuple):
    label: str
    health: dict[str, object]
    levels: list[LevelResult]
    feedback: list[FeedbackResult]
    peak_rss_mb: float | None
    compared: list[ConfigResult]


def measure_servers(
    server_urls: Sequence[str],
    server_pid: int | None,
    clips: Sequence[PreparedClip],
    answers: Sequence[PreparedClip],
    plan: Plan,
    progress: Progress,
    run_log: RunLog,
) -> ServerMeasurements:
    """The sweep and the feedback on the given server (streams spread over its front ends), or
    on local ones started here."""
    feedback: list[FeedbackResult] = []
    if server_urls:
        urls = tuple(u.rstrip("/") for u in server_urls)
        monitor_context: contextlib.AbstractContextManager[ResourceMonitor | None] = (
            ResourceMonitor(server_pid) if server_pid else contextlib.nullcontext()
        )
        with monitor_context as monitor:
            health, by_name, coach = asyncio.run(
                server_phase(
                    [MeasuredServer("main", urls, monitor)],
                    clips,
                    answers,
                    plan,
                    progress,
                    "the server's own provider",
                )
            )
            peak_rss_mb = monitor.overall_peak_rss_mb() if monitor else None
        if monitor is None:
            run_log.notes.append(
                "server CPU and memory not measured: pass --server-pid with --server"
            )
        feedback = [coach] if coach else []
        label = ", ".join(urls)
        return ServerMeasurements(label, health, by_name["main"], feedback, peak_rss_mb, [])
    progress.phase("starting the server" + ("s" if len(plan.configs) > 1 else ""))
    with contextlib.ExitStack() as stack:
        servers = []
        for config in plan.configs:
            # An empty key keeps these servers on the offline coach where GEMINI_API_KEY is set.
            env = {"PODIUM_GEMINI_API_KEY": "", **config.env}
            server = stack.enter_context(local_server(env, run_log, config.name, config.source))
            monitor = stack.enter_context(ResourceMonitor(server.process.pid))
            servers.append(MeasuredServer(config.name, (server.url,), monitor))
            progress.advance(SERVER_START_S, clips=0)
        health, by_name, coach = asyncio.run(
            server_phase(servers, clips, answers, plan, progress, "offline coach")
        )
        peaks = [s.monitor.overall_peak_rss_mb() if s.monitor else None for s in servers]
        others = [
            ConfigResult(
                name=config.name,
                env=config.env,
                source=config.source,
                levels=by_name[config.name],
                capacity_streams=capacity(by_name[config.name]) if plan.stream.realtime else None,
                peak_rss_mb=peak,
            )
            for config, peak in zip(plan.configs[1:], peaks[1:], strict=True)
        ]
    levels, peak_rss_mb = by_name[plan.configs[0].name], peaks[0]
    if coach is not None:
        feedback.append(coach)
    if plan.gemini and answers:
        try:
            feedback.append(gemini_phase(answers, plan, progress, run_log))
        except RuntimeError as exc:  # its server did not start: keep everything else
            run_log.notes.append(f"Gemini feedback not measured: {describe_error(exc)}")
    label = "local subprocess (python -m server serve)"
    return ServerMeasurements(label, health, levels, feedback, peak_rss_mb, others)
