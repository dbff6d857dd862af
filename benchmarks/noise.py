"""Noise for the benchmark's noise mode: pink and brown noise, babble, mixing at a given SNR.

Real rooms have fans and traffic (pink, brown: more energy in the low frequencies than white
noise) and other people talking (babble: several other clips of the manifest at once). The SNR
is computed on the speech part of the clip (the manifest's speech bounds), so a clip's leading
or trailing silence does not make its speech look quieter than it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

NOISE_KINDS = ("pink", "brown", "babble")
BABBLE_TALKERS = 4
# A normal speaking level at the microphone, for noise-only runs: -26 dBFS RMS, about what
# the read clips of the speech set measure on their speech parts.
NOISE_ONLY_DBFS = -26.0
_INT16_FULL_SCALE = 32768.0


def _rms(samples: NDArray[np.float64]) -> float:
    return float(np.sqrt(np.mean(np.square(samples)))) if samples.size else 0.0


def _shaped(length: int, exponent: float, rng: np.random.Generator) -> NDArray[np.float64]:
    """Gaussian noise whose power falls as 1/f**exponent (1: pink, 2: brown), unit RMS."""
    spectrum = np.fft.rfft(rng.standard_normal(length))
    freqs = np.fft.rfftfreq(length)
    freqs[0] = freqs[1] if length > 1 else 1.0  # no infinite DC gain
    noise = np.fft.irfft(spectrum / freqs ** (exponent / 2), n=length)
    return noise / (_rms(noise) or 1.0)


def babble(
    length: int, others: Sequence[NDArray[np.int16]], rng: np.random.Generator
) -> NDArray[np.float64]:
    """Several talkers at once: up to `BABBLE_TALKERS` of `others`, each looped to `length`
    from a random offset and scaled to the same level, summed; unit RMS."""
    if not others:
        raise ValueError("babble needs other clips to make talkers from")
    picks = rng.choice(len(others), size=min(BABBLE_TALKERS, len(others)), replace=False)
    total = np.zeros(length)
    for index in picks:
        voice = others[int(index)].astype(np.float64)
        looped = np.resize(np.roll(voice, -int(rng.integers(len(voice)))), length)
        total += looped / (_rms(looped) or 1.0)
    return total / (_rms(total) or 1.0)


def make_noise(
    kind: str,
    length: int,
    rng: np.random.Generator,
    others: Sequence[NDArray[np.int16]] = (),
) -> NDArray[np.float64]:
    """`length` samples of unit-RMS noise of a kind of `NOISE_KINDS`."""
    if kind == "pink":
        return _shaped(length, 1.0, rng)
    if kind == "brown":
        return _shaped(length, 2.0, rng)
    if kind == "babble":
        return babble(length, others, rng)
    raise ValueError(f"unknown noise kind {kind!r}: choose from {', '.join(NOISE_KINDS)}")


def _to_int16(samples: NDArray[np.float64]) -> NDArray[np.int16]:
    return np.clip(np.round(samples), -32768, 32767).astype(np.int16)


def mix_at_snr(
    speech: NDArray[np.int16],
    noise: NDArray[np.float64],
    snr_db: float,
    speech_bounds: tuple[int, int],
) -> NDArray[np.int16]:
    """`speech` with `noise` (unit RMS, same length) added so that the speech part
    `speech[start:end]` is `snr_db` above the noise."""
    start, end = speech_bounds
    level = _rms(speech[start:end].astype(np.float64)) or _rms(speech.astype(np.float64))
    noise_rms = level / 10 ** (snr_db / 20)
    return _to_int16(speech.astype(np.float64) + noise * noise_rms)


def noise_only(
    kind: str, length: int, rng: np.random.Generator, others: Sequence[NDArray[np.int16]] = ()
) -> NDArray[np.int16]:
    """`length` samples of noise alone at `NOISE_ONLY_DBFS`, a normal speaking level."""
    gain = _INT16_FULL_SCALE * 10 ** (NOISE_ONLY_DBFS / 20)
    return _to_int16(make_noise(kind, length, rng, others) * gain)
