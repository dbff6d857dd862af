"""Write a run's results: `results.json` (every measurement), `summary.md`, PNG plots."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from benchmarks.analysis import CAPACITY_FINAL_P95_S, CAPACITY_MAX_GROWTH_S
from benchmarks.compare import side_by_side_section
from benchmarks.records import BenchResult, LatencyReport, LevelResult
from benchmarks.stats import Summary

RESULTS_FILE = "results.json"
SUMMARY_FILE = "summary.md"
BUSY_LOAD_AVERAGE = 0.5
NO_PLOTS_NOTE = "plots not drawn: matplotlib is not installed (pip install 'podium[bench]')"

DEFINITIONS = f"""\
- **Speech onset / end of speech** (the reference): an offline webrtcvad pass (mode 2, 30 ms
  frames) over each clip, as the manifest's `speech_start_s` / `speech_end_s` were made. A clip
  the server cuts into several utterances gets one onset and one end per utterance: the first
  and the end of the last voiced frame inside the utterance's audio range, clamped to the
  manifest's clip-level onset and end of speech.
- **First partial latency**: arrival of an utterance's first `transcript.partial` minus the wall
  time the audio frame holding its speech onset was sent.
- **Partial lag**: arrival of each partial minus the wall time the audio up to its
  `audio_end_ms` had been sent (`client.track.wall_at`).
- **Caption delay while speaking**: from an utterance's speech onset to its end of speech, how
  far behind the audio the caption on screen is, averaged over time (at each instant: now minus
  the wall time the audio covered by the latest partial was sent; before the first partial, now
  minus the onset). Unlike partial lag it also counts how rarely captions come.
- **Final latency**: arrival of `transcript.final` minus the wall time the audio up to the
  utterance's end of speech had been sent.
- **Stability**: an update is a caption replacing the previous one of the same utterance
  (partial to partial, last partial to final). A retraction is an update whose text does not
  start with the previous text; retracted characters are the previous text beyond the common
  prefix (reported per 100 characters of final text); changed words are the previous words the
  new caption does not keep, by a word alignment without case and punctuation, a last word only
  growing ("wor" to "world") counting as kept (per 100 words of final text). A stable
  violation is a caption that drops the `stable` prefix the partial before it promised (must
  be 0).
- **Cost**: CPU seconds (user + system, all threads, psutil) of the server process per second of
  audio streamed to it (silence included), and its peak resident memory. The naive and offline
  baselines decode in the benchmark process: their CPU seconds are that process's.
- **Capacity**: one stream plays every clip once (the latency figures above). N > 1 streams run
  at once, each playing the clips back to back (one session per clip) from a different point
  of the list, starting clips for the level's set time. A level passes when final latency
  p95 < {CAPACITY_FINAL_P95_S} s, no clip failed and the backlog does not grow: the
  least-squares slope of final latency against arrival time, times the span of arrivals, is at
  most {CAPACITY_MAX_GROWTH_S} s. Capacity is the largest N that passed with every smaller N
  tried passing too.
- **Naive streaming**: the server's VAD cuts utterances; every 1 s the whole utterance so far is
  re-decoded with the transcriber's full-quality decode (no agreement policy, no short window,
  no speculative final); an ended utterance is decoded whole at the next 1 s boundary as its
  final. Real-time pace is simulated on a virtual clock with each real decode's measured time
  (a decode starts when its audio was sent and the previous decode finished; none is skipped).
- **Offline**: faster-whisper `WhisperModel.transcribe()` of each whole clip, beam size from the
  settings: the accuracy and cost floor.
"""


def write_results(result: BenchResult, out_dir: Path) -> list[Path]:
    """Write every output file into `out_dir`; returns their paths.

    Without matplotlib (the `bench` extra) the plots are left out and a note says so.
    """
    draw = _plot_writer()
    if draw is None:
        result.notes.append(NO_PLOTS_NOTE)
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / RESULTS_FILE
    results_path.write_bytes(msgspec.json.encode(result))
    summary_path = out_dir / SUMMARY_FILE
    summary_path.write_text(summary_markdown(result))
    return [results_path, summary_path, *(draw(result, out_dir) if draw else [])]


def _plot_writer() -> Callable[[BenchResult, Path], list[Path]] | None:
    """`benchmarks.plots.write_plots`, or None where matplotlib is not installed."""
    try:
        from benchmarks.plots import write_plots
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "matplotlib":
            raise
        return None
    return write_plots


def _s(value: float | None) -> str:
    return _num(value, ".2f")


def _num(value: float | None, spec: str, unit: str = "") -> str:
    return "–" if value is None else f"{value:{spec}}{unit}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _cell(value: object) -> str:
    """One table cell: a line break or a pipe would break the Markdown table."""
    return " ".join(str(value).split()).replace("|", "/")


def _row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    return [_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows), ""]


def _summary_cells(summary: Summary) -> list[str]:
    return [_s(summary.p50), _s(summary.p90), _s(summary.p95), _s(summary.max), str(summary.count)]


def _met(met: bool | None) -> str:
    return "–" if met is None else ("met" if met else "**not met**")


def _header(result: BenchResult) -> list[str]:
    meta = result.meta
    lines = [
        f"# Podium latency benchmark, {meta.started_utc}",
        "",
        f"- Machine: `{meta.host}`, {meta.cpu_count} CPUs; load average at start "
        f"{' / '.join(f'{v:.2f}' for v in meta.load_average_start)}, at end "
        f"{' / '.join(f'{v:.2f}' for v in meta.load_average_end)}.",
        f"- Model: {meta.model} on {meta.device} ({meta.compute_type}); server: {meta.server}; "
        f"git {meta.git_commit}; {meta.mode} pacing.",
        f"- Clips: {len(meta.clips)} ({meta.audio_s:.0f} s of audio), each after "
        f"{meta.lead_ms} ms of silence, then silence until every final arrived; "
        f"streams {meta.streams} (2+ streams for {meta.level_s:g} s each); "
        f"run took {meta.duration_s / 60:.1f} min.",
        f"- Command: `{' '.join(meta.command)}`",
        "",
    ]
    if max(meta.load_average_start, default=0.0) > BUSY_LOAD_AVERAGE:
        lines += [
            "> The machine was busy when this run started (load average above "
            f"{BUSY_LOAD_AVERAGE}): other work shared the CPUs, so timings are noisy and "
            "pessimistic.",
            "",
        ]
    return lines


def _latency_section(one: LevelResult | None, result: BenchResult) -> list[str]:
    naive = result.naive.summary if result.naive else None
    lines = ["## Latency, one stream (seconds)", ""]
    if one is None:
        return [*lines, "Not measured: the sweep had no 1-stream level.", ""]
    rows = []
    for label, name in (
        ("first partial", "first_partial_s"),
        ("partial lag", "partial_lag_s"),
        ("caption delay while speaking", "caption_delay_s"),
        ("final", "final_latency_s"),
    ):
        ours: Summary = getattr(one.summary, name)
        theirs: Summary | None = getattr(naive, name) if naive else None
        gain = (
            f"{theirs.p50 - ours.p50:+.2f} s ({theirs.p50 / ours.p50:.1f}x)"
            if theirs and theirs.p50 is not None and ours.p50
            else "–"
        )
        rows.append(
            [
                label,
                *_summary_cells(ours),
                _s(theirs.p50) if theirs else "–",
                _s(theirs.p95) if theirs else "–",
                str(theirs.count) if theirs else "–",
                gain,
            ]
        )
    header = ["measurement", "p50", "p90", "p95", "max", "n"]
    header += ["naive p50", "naive p95", "naive n", "naive p50 minus ours"]
    return [*lines, *_table(header, rows)]


def _stability_row(label: str, report: LatencyReport) -> list[str]:
    st = report.stability
    return [
        label,
        _pct(report.wer),
        str(report.utterances),
        str(st.updates),
        f"{st.retractions} ({st.retraction_rate:.0%})",
        f"{st.retracted_chars_per_100:.1f}",
        f"{st.changed_words} ({st.changed_words_per_100:.1f} / 100 words)",
        str(st.stable_violations),
    ]


def _accuracy_section(one: LevelResult | None, result: BenchResult) -> list[str]:
    rows = []
    if one is not None:
        rows.append(_stability_row("Podium, 1 stream", one.summary))
    if result.naive is not None:
        rows.append(_stability_row("naive streaming", result.naive.summary))
    if result.offline is not None:
        rows.append(["offline (whole clip)", _pct(result.offline.wer), *["–"] * 6])
    header = ["", "WER", "utterances", "updates", "retractions", "retracted chars / 100"]
    header += ["changed words", "stable violations"]
    return ["## Accuracy and caption stability", "", *_table(header, rows)]


def _cost_section(
    one: LevelResult | None, result: BenchResult, peak_rss_mb: float | None
) -> list[str]:
    rows = []
    if one is not None and one.usage is not None:
        usage = one.usage
        rows.append(
            [
                "Podium server, 1 stream",
                _num(usage.cpu_s_per_audio_s, ".3f"),
                _s(usage.decode_rtf),
                _num(usage.peak_rss_mb, ".0f", " MB"),
            ]
        )
    if result.naive is not None:
        naive = result.naive
        rows.append(
            [
                f"naive streaming ({naive.decodes} decodes)",
                f"{naive.cpu_s_per_audio_s:.3f}",
                f"{naive.rtf:.3f}",
                "–",
            ]
        )
    if result.offline is not None:
        offline = result.offline
        rows.append(
            ["offline (whole clip)", f"{offline.cpu_s_per_audio_s:.3f}", f"{offline.rtf:.3f}", "–"]
        )
    lines = ["## Cost", ""]
    lines += _table(["", "CPU s per audio s", "decode s per audio s", "peak RSS"], rows)
    if peak_rss_mb is not None:
        lines += [f"Server peak RSS over the whole run: {peak_rss_mb:.0f} MB.", ""]
    return lines


def _capacity_section(result: BenchResult) -> list[str]:
    rows = []
    for level in result.levels:
        report, usage = level.summary, level.usage
        slip = max((c.pacing_slip_max_s for c in level.clips), default=0.0)
        rows.append(
            [
                level.streams,
                f"{report.clips} ({report.clips_failed} failed)",
                report.utterances,
                _s(report.final_latency_s.p50),
                _s(report.final_latency_s.p95),
                _s(report.final_latency_s.max),
                _s(report.partial_lag_s.p50),
                _s(report.first_partial_s.p50),
                f"{level.backlog_growth_s:+.2f}",
                _pct(report.wer),
                _num(usage.cpu_s_per_audio_s if usage else None, ".3f"),
                _num(usage.peak_rss_mb if usage else None, ".0f"),
                f"{slip:.2f}",
                ("pass: " if level.passed else "**fail**: ") + level.verdict,
            ]
        )
    header = ["streams", "clips", "utterances", "final p50", "final p95", "final max"]
    header += ["partial lag p50", "first partial p50", "backlog growth s", "WER"]
    header += ["CPU s / audio s", "peak RSS MB", "client slip max s", "verdict"]
    capacity = "none" if result.capacity_streams is None else str(result.capacity_streams)
    return [
        "## Capacity sweep",
        "",
        *_table(header, rows),
        f"**Capacity: {capacity} concurrent real-time stream(s)** under the rule in Definitions. "
        "The benchmark client runs on the same machine and takes CPU too ('client slip' is how "
        "late its worst audio frame left).",
        "",
    ]


def _feedback_section(result: BenchResult) -> list[str]:
    lines = ["## Feedback (from `answer.end`, seconds)", ""]
    if not result.feedback:
        return [*lines, "Not measured in this run.", ""]
    rows = []
    for fb in result.feedback:
        saved = [r.saved_s for r in fb.runs if r.saved_s is not None]
        errors = sorted({e for r in fb.runs for e in r.errors})
        providers = sorted({f"{r.provider}/{r.model}" for r in fb.runs if r.provider})
        rows.append(
            [
                fb.label,
                ", ".join(providers) or "–",
                len(fb.runs),
                f"{min(saved):.2f} – {max(saved):.2f}" if saved else "–",
                " / ".join(
                    _s(v)
                    for v in (fb.first_delta_s.p50, fb.first_delta_s.p95, fb.first_delta_s.max)
                ),
                " / ".join(_s(v) for v in (fb.done_s.p50, fb.done_s.p95, fb.done_s.max)),
                ", ".join(errors) or "none",
                fb.note,
            ]
        )
    header = ["run", "provider/model", "answers", "answer.saved (min – max)"]
    header += ["first delta p50 / p95 / max", "done p50 / p95 / max", "errors", "note"]
    return [*lines, *_table(header, rows)]


def summary_markdown(result: BenchResult) -> str:
    """The human summary of a run."""
    one = next((level for level in result.levels if level.streams == 1), None)
    lines = _header(result)
    lines += ["## Targets", ""]
    lines += _table(
        ["target", "goal", "measured", "result", "note"],
        [[t.name, t.target, t.measured, _met(t.met), t.note] for t in result.targets],
    )
    lines += _latency_section(one, result)
    lines += _accuracy_section(one, result)
    lines += _cost_section(one, result, result.server_peak_rss_mb)
    lines += _capacity_section(result)
    lines += side_by_side_section(result)
    lines += _feedback_section(result)
    lines += ["## Definitions", "", DEFINITIONS]
    if result.notes:
        lines += ["## Notes", "", *(f"- {note}" for note in result.notes), ""]
    return "\n".join(lines)
