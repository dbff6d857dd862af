"""The speech clips of the tests and the benchmark: manifest, audio loading and WER scoring.

Two sets: the project's larger one in `../shared/speech/` beside the checkout, and the few clips
vendored in `tests/data/speech/` so that a clone runs its tests alone.
"""

from __future__ import annotations

import functools
import wave
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec
import numpy as np
from numpy.typing import NDArray

_CHECKOUT = Path(__file__).resolve().parent.parent
VENDORED_SPEECH_DIR = _CHECKOUT / "tests" / "data" / "speech"


def find_speech_dir(*roots: Path) -> Path:
    """`../shared/speech/` where it exists beside a root, else its `tests/data/speech/`; the roots
    are this source tree, then the current folder (an installed `podium bench` run in a
    checkout). Falls back to the first place looked when there is neither."""
    candidates = [
        folder
        for root in dict.fromkeys(roots or (_CHECKOUT, Path.cwd().resolve()))
        for folder in (root.parent / "shared" / "speech", root / "tests" / "data" / "speech")
    ]
    return next((f for f in candidates if (f / "manifest.jsonl").is_file()), candidates[0])


DEFAULT_SPEECH_DIR = find_speech_dir()


class Clip(msgspec.Struct, frozen=True):
    """One manifest line."""

    audio: str
    text: str
    language: str
    duration_s: float
    speech_start_s: float
    speech_end_s: float
    source: str = ""
    license: str = ""
    speaker: str | None = None
    gender: str | None = None
    note: str | None = None


def load_manifest(path: Path) -> list[Clip]:
    """Read `manifest.jsonl`; clip audio paths are relative to its folder."""
    decoder = msgspec.json.Decoder(Clip)
    return [decoder.decode(line) for line in path.read_bytes().splitlines() if line.strip()]


def read_wav_int16(path: Path) -> tuple[NDArray[np.int16], int]:
    """Read a 16-bit PCM WAV into mono int16 samples and its sample rate."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM is supported")
        frames = wav.readframes(wav.getnframes())
        samples = np.frombuffer(frames, dtype=np.int16)
        if wav.getnchannels() > 1:
            samples = samples.reshape(-1, wav.getnchannels()).mean(axis=1).astype(np.int16)
        return samples, wav.getframerate()


def read_wav_float32(path: Path) -> NDArray[np.float32]:
    """Read a 16 kHz WAV as float32 in [-1, 1], the form Whisper takes."""
    samples, rate = read_wav_int16(path)
    if rate != 16_000:
        raise ValueError(f"{path}: expected 16 kHz, got {rate} Hz")
    return (samples.astype(np.float32) / 32768.0).astype(np.float32)


@functools.cache
def _english_normalizer() -> Callable[[str], str]:
    # Imported lazily: only scoring needs it.
    from whisper_normalizer.english import EnglishTextNormalizer

    normalizer: Callable[[str], str] = EnglishTextNormalizer()
    return normalizer


def normalize_english(text: str) -> str:
    """Whisper's English text normalisation (case, punctuation, spelling, numbers)."""
    return str(_english_normalizer()(text))


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Corpus WER after Whisper's English normalisation (errors over all reference words)."""
    import jiwer

    refs = [normalize_english(r) for r in references]
    hyps = [normalize_english(h) for h in hypotheses]
    pairs = [(r, h) for r, h in zip(refs, hyps, strict=True) if r.strip()]
    return float(jiwer.wer([r for r, _ in pairs], [h for _, h in pairs]))
