"""What a decode costs and how accurate it is: `python -m benchmarks.asr_cost`.

Reports the median decode time of partial (final=False) and final (final=True) decodes on the
first 1, 3, 5 and 10 s of speech, then corpus WER over the English clips for finals with the
full 30 s window, finals with the short window, and greedy short-window partials.

`--models tiny.en,base` instead compares models: short-window partials and finals on 3 s and
8 s of speech, language given, and for a multilingual model also with the language detected.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import msgspec
import numpy as np
from numpy.typing import NDArray

from benchmarks.speech import (
    DEFAULT_SPEECH_DIR,
    Clip,
    load_manifest,
    read_wav_float32,
    word_error_rate,
)
from server.asr.whisper import DecodeConfig, WhisperTranscriber, WindowPolicy, load_transcriber
from server.config import load_settings

# ~12 s of continuous read speech, no leading silence.
TIMING_CLIP = "en_ls2412_153948_0000.wav"
TIMING_LENGTHS_S = (1, 3, 5, 10)
COMPARED_LENGTHS_S = (3, 8)


def _variant(
    transcriber: WhisperTranscriber, config: DecodeConfig, *, short_partial: bool, short_final: bool
) -> WhisperTranscriber:
    """The same model with the short window switched on or off per decode kind."""
    partial = msgspec.structs.replace(config.partial, short_window=short_partial)
    final = msgspec.structs.replace(config.final, short_window=short_final)
    return transcriber.with_config(msgspec.structs.replace(config, partial=partial, final=final))


def median_decode_s(
    transcriber: WhisperTranscriber,
    audio: NDArray[np.float32],
    *,
    final: bool,
    repeats: int,
    language: str | None = "en",
) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        transcriber.transcribe(audio, language=language, final=final)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def compare_models(models: list[str], audio: NDArray[np.float32], repeats: int) -> None:
    """Median short-window decode time per model, audio length and decode kind."""
    lengths = "  ".join(f"partial_{s}s  final_{s}s" for s in COMPARED_LENGTHS_S)
    print(f"model     language  {lengths}")
    for name in models:
        transcriber = load_transcriber(load_settings(overrides={"model": name}))
        transcriber.warm_up()
        languages: list[str | None] = ["en", None] if transcriber.multilingual else ["en"]
        for language in languages:
            cells = []
            for seconds in COMPARED_LENGTHS_S:
                piece = audio[: seconds * 16_000]
                for final, width in ((False, 9), (True, 7)):
                    cost = median_decode_s(
                        transcriber, piece, final=final, repeats=repeats, language=language
                    )
                    cells.append(f"{cost:>{width}.3f}")
            row = "  ".join(cells)
            print(f"{name:<9} {language or 'detected':<8}  {row}")


def corpus_wer(
    transcriber: WhisperTranscriber, clips: list[Clip], speech_dir: Path, *, final: bool
) -> tuple[float, float]:
    """WER over whole clips, and the total decode seconds."""
    hypotheses, total_s = [], 0.0
    for clip in clips:
        result = transcriber.transcribe(
            read_wav_float32(speech_dir / clip.audio), language="en", final=final
        )
        hypotheses.append(result.text)
        total_s += result.decode_s
    return word_error_rate([c.text for c in clips], hypotheses), total_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speech-dir", type=Path, default=DEFAULT_SPEECH_DIR)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--min-window-s", type=float, default=WindowPolicy().min_s)
    parser.add_argument("--margin-s", type=float, default=WindowPolicy().margin_s)
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--skip-wer", action="store_true")
    parser.add_argument("--models", help="compare these models (comma-separated) and stop")
    args = parser.parse_args()
    if args.models:
        audio = read_wav_float32(args.speech_dir / TIMING_CLIP)
        print(f"median decode time of {args.repeats} runs (s), clip {TIMING_CLIP}")
        compare_models(args.models.split(","), audio, args.repeats)
        return

    settings = load_settings()
    transcriber = load_transcriber(settings)
    window = WindowPolicy(min_s=args.min_window_s, margin_s=args.margin_s)
    print(f"model {transcriber.model_name} on {transcriber.device}/{transcriber.compute_type}")
    print(f"short window: at least {window.min_s:g} s, audio + {window.margin_s:g} s")
    transcriber.warm_up()
    config = msgspec.structs.replace(transcriber.config, window=window)
    full = _variant(transcriber, config, short_partial=False, short_final=False)
    short = _variant(transcriber, config, short_partial=True, short_final=True)

    if not args.skip_timing:
        audio = read_wav_float32(args.speech_dir / TIMING_CLIP)
        print(f"\nmedian decode time of {args.repeats} runs (s), clip {TIMING_CLIP}")
        print("audio_s  partial_30s  partial_short  final_30s  final_short")
        for seconds in TIMING_LENGTHS_S:
            piece = audio[: seconds * 16_000]
            costs = [
                median_decode_s(variant, piece, final=final, repeats=args.repeats)
                for final in (False, True)
                for variant in (full, short)
            ]
            print(f"{seconds:>7}  " + "  ".join(f"{c:>11.3f}" for c in costs))

    if args.skip_wer:
        return
    clips = [c for c in load_manifest(args.speech_dir / "manifest.jsonl") if c.language == "en"]
    print(f"\nWER over {len(clips)} English clips ({sum(c.duration_s for c in clips):.0f} s)")
    for label, variant, final in (
        ("final, 30 s window", full, True),
        ("final, short window", short, True),
        ("partial (greedy), 30 s window", full, False),
        ("partial (greedy), short window", short, False),
    ):
        wer, total_s = corpus_wer(variant, clips, args.speech_dir, final=final)
        print(f"{label:<32} WER {wer:6.2%}   decode {total_s:6.1f} s")


if __name__ == "__main__":
    main()
