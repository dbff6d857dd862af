"""The noise mode's pure parts: noise kinds, mixing at an SNR, the conditions, bad arguments."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from benchmarks.baselines import PreparedClip
from benchmarks.noise import make_noise, mix_at_snr, noise_only
from benchmarks.noise_mode import (
    NOISE_ONLY_S,
    noise_conditions,
    parse_noise_kinds,
    parse_noise_tail,
    parse_snrs,
)
from benchmarks.reference import speech_reference
from benchmarks.speech import Clip

RATE = 16_000


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x.astype(np.float64)))))


def _tone_clip(name: str, seconds: float, freq: float) -> PreparedClip:
    t = np.arange(int(seconds * RATE)) / RATE
    samples = (3000 * np.sin(2 * np.pi * freq * t)).astype(np.int16)
    clip = Clip(name, "a b", "en", seconds, 0.0, seconds)
    return PreparedClip(clip, samples, speech_reference(clip, samples))


@pytest.mark.parametrize("snr_db", [20.0, 10.0, 5.0, 0.0])
def test_mix_puts_the_noise_at_the_snr_of_the_speech_part(snr_db: float) -> None:
    rng = np.random.default_rng(1)
    # Silence around 1 s of "speech": the SNR is over the speech part, not the whole clip.
    speech = np.zeros(3 * RATE, np.int16)
    speech[RATE : 2 * RATE] = rng.normal(0, 2000, RATE).astype(np.int16)
    noise = make_noise("pink", len(speech), rng)
    mixed = mix_at_snr(speech, noise, snr_db, (RATE, 2 * RATE))
    added = mixed.astype(np.float64) - speech
    measured = 20 * np.log10(_rms(speech[RATE : 2 * RATE]) / _rms(added))
    assert measured == pytest.approx(snr_db, abs=0.1)


@pytest.mark.parametrize(("kind", "low_over_high"), [("pink", 10.0), ("brown", 100.0)])
def test_coloured_noise_has_more_low_frequencies(kind: str, low_over_high: float) -> None:
    noise = make_noise(kind, 4 * RATE, np.random.default_rng(2))
    power = np.abs(np.fft.rfft(noise)) ** 2
    freqs = np.fft.rfftfreq(len(noise), 1 / RATE)
    low = power[(freqs > 100) & (freqs < 200)].mean()
    high = power[(freqs > 4000) & (freqs < 8000)].mean()
    assert low / high > low_over_high
    assert _rms(noise) == pytest.approx(1.0, rel=1e-6)


def test_conditions_keep_clean_timing_and_never_babble_a_clip_with_itself() -> None:
    a, b = _tone_clip("a", 1.0, 200.0), _tone_clip("b", 1.0, 3000.0)
    conditions = noise_conditions([a, b], ["babble"], [10.0], seed=0)
    assert [c.name for c in conditions] == ["clean", "babble-10db", "babble-only"]
    noisy_a = conditions[1].clips[0]
    assert noisy_a.reference is a.reference
    spectrum = np.abs(np.fft.rfft(noisy_a.samples.astype(np.float64) - a.samples))
    freqs = np.fft.rfftfreq(len(a.samples), 1 / RATE)
    # The babble under clip a is clip b (3 kHz), never a itself (200 Hz).
    assert spectrum[np.argmin(abs(freqs - 3000))] > 10 * spectrum[np.argmin(abs(freqs - 200))]
    only = conditions[2].clips[0]
    assert len(only.samples) == NOISE_ONLY_S * RATE and only.clip.text == ""


def test_noise_tail_goes_on_after_the_clip_with_the_clean_timing() -> None:
    a, b = _tone_clip("a", 1.0, 200.0), _tone_clip("b", 1.0, 3000.0)
    conditions = noise_conditions([a, b], ["babble"], [10.0], seed=0, tail_s=1.5)
    clean, noisy = conditions[0].clips[0], conditions[1].clips[0]
    assert clean.samples is a.samples
    assert len(noisy.samples) == len(a.samples) + 1.5 * RATE
    assert noisy.clip.duration_s == pytest.approx(a.clip.duration_s + 1.5)
    assert noisy.reference is a.reference
    # The tail is the room alone: the other clip's 3 kHz at the level it has under the speech.
    tail = noisy.samples[len(a.samples) :].astype(np.float64)
    under = noisy.samples[: len(a.samples)].astype(np.float64) - a.samples
    assert _rms(tail) == pytest.approx(_rms(under), rel=0.1)
    spectrum = np.abs(np.fft.rfft(tail))
    freqs = np.fft.rfftfreq(len(tail), 1 / RATE)
    assert spectrum[np.argmin(abs(freqs - 3000))] > 10 * spectrum[np.argmin(abs(freqs - 200))]


@pytest.mark.parametrize("text", ["-1", "x", "61"])
def test_bad_noise_tails_are_refused(text: str) -> None:
    assert parse_noise_tail("2.5") == 2.5
    with pytest.raises(argparse.ArgumentTypeError, match="--noise-tail-s"):
        parse_noise_tail(text)


def test_noise_only_is_at_a_speaking_level() -> None:
    samples = noise_only("brown", 2 * RATE, np.random.default_rng(3))
    assert 20 * np.log10(_rms(samples) / 32768) == pytest.approx(-26.0, abs=0.2)


@pytest.mark.parametrize("text", ["", "pink,rain", "white"])
def test_bad_noise_kinds_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="--noise"):
        parse_noise_kinds(text)


@pytest.mark.parametrize("text", ["", "20,loud"])
def test_bad_snrs_are_refused(text: str) -> None:
    assert parse_snrs("20, 10,5") == [20.0, 10.0, 5.0]
    with pytest.raises(argparse.ArgumentTypeError, match="--snr"):
        parse_snrs(text)
