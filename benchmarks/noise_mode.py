"""The benchmark's noise mode: the conditions it runs and the report that compares them.

Each condition is the same clips under one noise: clean, each kind at each SNR, and noise alone
(20 s per kind at a normal speech level, where every word produced is invented). The reference
speech timing stays that of the clean clip: latency is measured from the person's end of speech,
not from the end of the noise. With a noise tail, each noisy clip goes on with noise alone for
that long after its own end: the room keeps talking after the person stops.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

import msgspec
import numpy as np

from benchmarks.baselines import PreparedClip
from benchmarks.noise import NOISE_KINDS, make_noise, mix_at_snr, noise_only
from benchmarks.records import BenchResult
from benchmarks.reference import speech_reference
from benchmarks.speech import Clip, normalize_english

NOISE_ONLY_S = 20.0
SAMPLE_RATE_HZ = 16_000


class Condition(msgspec.Struct, frozen=True):
    """One run of the noise mode: its name (the folder), kind, SNR (None: clean or noise only)."""

    name: str
    kind: str | None
    snr_db: float | None
    clips: list[PreparedClip]


def parse_noise_kinds(text: str) -> list[str]:
    kinds = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [k for k in kinds if k not in NOISE_KINDS]
    if not kinds or unknown:
        raise argparse.ArgumentTypeError(
            f"--noise wants kinds among {','.join(NOISE_KINDS)}: {text!r}"
        )
    return list(dict.fromkeys(kinds))


def parse_snrs(text: str) -> list[float]:
    try:
        snrs = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        snrs = []
    if not snrs:
        raise argparse.ArgumentTypeError(f"--snr wants numbers in dB like 20,10,5: {text!r}")
    return snrs


def parse_noise_tail(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 60:
        raise argparse.ArgumentTypeError(f"--noise-tail-s wants seconds from 0 to 60: {text!r}")
    return seconds


def _noisy(
    prepared: PreparedClip,
    others: list[np.ndarray],
    kind: str,
    snr_db: float,
    seed: int,
    tail_s: float,
) -> PreparedClip:
    rng = np.random.default_rng(seed)
    clip = prepared.clip
    tail = np.zeros(round(tail_s * SAMPLE_RATE_HZ), dtype=np.int16)
    samples = np.concatenate((prepared.samples, tail))
    bounds = (
        round(clip.speech_start_s * SAMPLE_RATE_HZ),
        round(clip.speech_end_s * SAMPLE_RATE_HZ),
    )
    noise = make_noise(kind, len(samples), rng, others)
    longer = msgspec.structs.replace(clip, duration_s=len(samples) / SAMPLE_RATE_HZ)
    # The reference timing is the clean clip's: the person's speech, not the room's (the tail
    # is noise alone, so it adds no speech to it).
    return PreparedClip(longer, mix_at_snr(samples, noise, snr_db, bounds), prepared.reference)


def noise_conditions(
    clips: Sequence[PreparedClip],
    kinds: Sequence[str],
    snrs: Sequence[float],
    *,
    seed: int,
    tail_s: float = 0.0,
) -> list[Condition]:
    """Clean, each kind at each SNR (noise going on `tail_s` after each clip), then each kind
    alone. Babble for a clip is made from the other clips (never its own words)."""
    conditions = [Condition("clean", None, None, list(clips))]
    for kind in kinds:
        for snr in snrs:
            noisy = [
                _noisy(
                    p,
                    [o.samples for o in clips if o.clip.audio != p.clip.audio],
                    kind,
                    snr,
                    seed + index,
                    tail_s,
                )
                for index, p in enumerate(clips)
            ]
            conditions.append(Condition(f"{kind}-{snr:g}db", kind, snr, noisy))
    length = round(NOISE_ONLY_S * SAMPLE_RATE_HZ)
    for index, kind in enumerate(kinds):
        samples = noise_only(
            kind, length, np.random.default_rng(seed + 1000 + index), [p.samples for p in clips]
        )
        clip = Clip(
            audio=f"noise-only-{kind}",
            text="",
            language=clips[0].clip.language if clips else "en",
            duration_s=NOISE_ONLY_S,
            speech_start_s=0.0,
            speech_end_s=0.0,
        )
        conditions.append(
            Condition(
                f"{kind}-only",
                kind,
                None,
                [PreparedClip(clip, samples, speech_reference(clip, samples))],
            )
        )
    return conditions


def _words(text: str) -> int:
    return len(normalize_english(text).split())


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def noise_rows(runs: Sequence[tuple[Condition, BenchResult]]) -> list[str]:
    """One Markdown table row per condition and server configuration."""
    rows = []
    for condition, result in runs:
        configs = [(result.config_name or "main", result.levels)] + [
            (other.name, other.levels) for other in result.compared
        ]
        for name, levels in configs:
            if not levels:
                rows.append(f"| {condition.name} | {name} | not measured | | | | | | |")
                continue
            level = levels[0]
            report = level.summary
            audio_min = sum(c.sent_audio_ms for c in level.clips) / 60_000
            per_min = report.utterances / audio_min if audio_min else 0.0
            wer = "-" if report.wer is None else f"{report.wer:.1%}"
            words = sum(_words(c.hypothesis) for c in level.clips)
            invented = str(words) if condition.snr_db is None and condition.kind else "-"
            cpu = level.usage.cpu_s_per_audio_s if level.usage else None
            rows.append(
                f"| {condition.name} | {name} | {wer} | {_seconds(report.final_latency_s.p50)} | "
                f"{_seconds(report.final_latency_s.p95)} | {report.utterances} | {per_min:.1f} | "
                f"{invented} | {'-' if cpu is None else f'{cpu:.3f}'} |"
            )
    return rows


def write_noise_report(
    runs: Sequence[tuple[Condition, BenchResult]], out_dir: Path, *, command: list[str]
) -> Path:
    """`noise.md` beside the conditions' folders: one row per condition."""
    first = runs[0][1].meta if runs else None
    lines = [
        "# Noise benchmark",
        "",
        f"Command: `{' '.join(command)}`",
        "",
    ]
    if first is not None:
        lines += [
            f"Started {first.started_utc} on {first.host}, {first.cpu_count} CPUs; commit "
            f"{first.git_commit}; model {first.model} ({first.device}, {first.compute_type}); "
            "each server's VAD settings: the defaults and its --config in the command; "
            f"clips: {', '.join(first.clips)}.",
            "",
            "Load average (1, 5, 15 min) at the start and end of each condition: "
            + "; ".join(
                f"{c.name} {r.meta.load_average_start[0]:.2f}-{r.meta.load_average_end[0]:.2f}"
                for c, r in runs
            )
            + f" (this process's CPUs: {os.cpu_count()}).",
            "",
        ]
    lines += [
        "| condition | server | WER | final p50 s | final p95 s | utterances | utterances/min | "
        "words on noise only | server CPU s / audio s |",
        "|---|---|---|---|---|---|---|---|---|",
        *noise_rows(runs),
        "",
        "Definitions: noise is mixed at the SNR over the speech part of each clip (manifest "
        "speech bounds) and, with --noise-tail-s, goes on alone that long after each noisy clip "
        "(the others talk on after the person stops); babble is 4 other clips of the run at "
        "once, each at the same level; "
        "pink and brown noise are generated (power falling as 1/f and 1/f^2). Final latency "
        "runs from the clean clip's end of speech to the final. Noise-only conditions are "
        f"{NOISE_ONLY_S:g} s of noise alone at -26 dBFS RMS (a normal speaking level); every "
        "word they produce is invented (target 0). Utterances per minute count the finals over "
        "the audio sent (silence included). Server CPU is the server process's CPU seconds "
        "(all threads) per second of audio streamed to it: one stream, so CPU per stream. Each "
        "condition's own summary.md and results.json are in its folder.",
        "",
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "noise.md"
    path.write_text("\n".join(lines))
    return path
