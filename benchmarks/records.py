"""The benchmark's raw and summarised measurements, as written to `results.json`.

All wall times are `time.time()` seconds; all audio positions are ms of the streamed audio
(lead silence included), as the server counts them. Latencies are seconds.
"""

from __future__ import annotations

from typing import Any

import msgspec

from benchmarks.stats import Stability, Summary


class Event(msgspec.Struct, frozen=True):
    """One data-channel message as the client received it."""

    wall: float
    message: dict[str, Any]


class UtteranceRecord(msgspec.Struct, kw_only=True):
    """One utterance: reference speech bounds, when its captions arrived, what they said."""

    utterance_id: int
    audio_start_ms: int
    audio_end_ms: int
    onset_ms: int | None  # reference speech onset (see benchmarks.reference)
    speech_end_ms: int | None  # reference end of speech
    onset_wall: float | None  # when the audio at onset_ms was sent
    speech_end_wall: float | None  # when the audio up to speech_end_ms was sent
    first_partial_s: float | None
    final_latency_s: float | None
    final_wall: float | None
    partial_lags_s: list[float]
    partial_texts: list[str]
    partial_stables: list[str]
    final_text: str
    caption_delay_s: float | None = None  # time-averaged while speaking
    partial_gaps_s: list[float] = msgspec.field(default_factory=list)  # between partials


class ClipRecord(msgspec.Struct, kw_only=True):
    """One clip streamed in one session (or simulated, for the naive baseline)."""

    clip: str
    stream: int
    reference_text: str
    hypothesis: str  # the finals joined
    lead_ms: int
    sent_audio_ms: int
    started_wall: float
    utterances: list[UtteranceRecord]
    events: list[Event] = msgspec.field(default_factory=list)
    connect_s: float = 0.0
    pacing_slip_max_s: float = 0.0  # latest a frame left after its real-time schedule
    error: str | None = None


class LatencyReport(msgspec.Struct, kw_only=True):
    """Summary of a set of clips: latency percentiles, accuracy and caption stability."""

    first_partial_s: Summary
    partial_lag_s: Summary
    caption_delay_s: Summary
    final_latency_s: Summary
    utterances: int
    utterances_without_partial: int
    utterances_without_reference: int
    clips: int
    clips_failed: int
    wer: float | None
    stability: Stability
    partial_gap_s: Summary = Summary(count=0)  # time between an utterance's partials


class Usage(msgspec.Struct, kw_only=True):
    """What the server used while a level ran: its process's CPU and memory where the benchmark
    can watch it (a local server, or `--server-pid`), its decode time from `/api/health`."""

    wall_s: float
    cpu_s: float | None
    audio_s: float  # audio streamed to the server (silence included), all streams
    cpu_s_per_audio_s: float | None
    peak_rss_mb: float | None
    client_cpu_s: float = 0.0  # the benchmark process (the WebRTC clients) meanwhile
    decode_rtf: float | None = None  # decode seconds per decoded audio second, if exposed
    health_before: dict[str, Any] = msgspec.field(default_factory=dict)
    health_after: dict[str, Any] = msgspec.field(default_factory=dict)


class LevelResult(msgspec.Struct, kw_only=True):
    """N streams at once, each streaming its share of the clips back to back."""

    streams: int
    wall_s: float
    summary: LatencyReport
    backlog_growth_s: float  # fitted final-latency change from the first to the last final
    passed: bool
    verdict: str
    usage: Usage | None
    clips: list[ClipRecord]


class OfflineClip(msgspec.Struct, frozen=True):
    clip: str
    text: str
    audio_s: float
    decode_s: float
    cpu_s: float


class OfflineBaseline(msgspec.Struct, kw_only=True):
    """Whole-clip decodes: the accuracy and cost floor."""

    wer: float
    decode_s: float
    cpu_s: float
    audio_s: float
    rtf: float
    cpu_s_per_audio_s: float
    clips: list[OfflineClip]


class NaiveBaseline(msgspec.Struct, kw_only=True):
    """Re-decode the utterance so far every chunk, simulated at real-time pace."""

    chunk_ms: int
    summary: LatencyReport
    decodes: int
    decode_s: float
    cpu_s: float
    audio_s: float  # streamed audio simulated (lead and tail silence included)
    rtf: float  # decode seconds per streamed audio second: above 1 it cannot keep up
    cpu_s_per_audio_s: float
    clips: list[ClipRecord]


class FeedbackRun(msgspec.Struct, kw_only=True):
    """One answer in the interview flow, timed from `answer.end`."""

    clip: str
    provider: str
    model: str
    answer_end_wall: float
    saved_s: float | None
    first_delta_s: float | None
    done_s: float | None
    deltas: int
    errors: list[str]


class FeedbackResult(msgspec.Struct, kw_only=True):
    label: str
    runs: list[FeedbackRun]
    first_delta_s: Summary
    done_s: Summary
    note: str = ""


class TargetCheck(msgspec.Struct, frozen=True):
    name: str
    target: str
    measured: str
    met: bool | None  # None: not measured in this run
    note: str = ""


class Meta(msgspec.Struct, kw_only=True):
    """How, where and when the run was made."""

    command: list[str]
    started_utc: str
    git_commit: str
    host: str
    cpu_count: int
    load_average_start: list[float]
    load_average_end: list[float] = msgspec.field(default_factory=list)
    python: str
    model: str
    device: str
    compute_type: str
    settings: dict[str, Any]
    mode: str  # "realtime" or "fast"
    server: str  # "local subprocess" or the URL given
    lead_ms: int
    level_s: float  # how long levels of 2+ streams kept starting clips
    clips: list[str]
    audio_s: float  # the clips' total length
    streams: list[int]
    duration_s: float = 0.0


class ConfigResult(msgspec.Struct, kw_only=True):
    """The sweep on a server configured otherwise, run side by side with the main one."""

    name: str
    env: dict[str, str]  # the server's environment beyond the benchmark's own
    source: str | None = None  # the source tree its server ran from, if not this one
    levels: list[LevelResult]
    capacity_streams: int | None
    peak_rss_mb: float | None = None
    health: dict[str, Any] = msgspec.field(default_factory=dict)


class BenchResult(msgspec.Struct, kw_only=True):
    meta: Meta
    offline: OfflineBaseline | None
    naive: NaiveBaseline | None
    levels: list[LevelResult]
    capacity_streams: int | None
    server_peak_rss_mb: float | None
    feedback: list[FeedbackResult]
    targets: list[TargetCheck]
    notes: list[str]
    # With `--config`: the main configuration's name, and the others measured side by side.
    config_name: str = ""
    config_env: dict[str, str] = msgspec.field(default_factory=dict)
    config_source: str | None = None
    compared: list[ConfigResult] = msgspec.field(default_factory=list)
