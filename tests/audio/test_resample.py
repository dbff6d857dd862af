"""Resampling decoded frames of any rate and layout to 16 kHz mono."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.speech import read_wav_int16
from server.audio.resample import Resampler
from tests.audio.frames import aligned_correlation, audio_frames, fft_resample, low_pass

CLIP = "en_arctic_slt_a0009.wav"


@pytest.fixture(scope="module")
def clip_samples(speech_dir):
    samples, rate = read_wav_int16(speech_dir / CLIP)
    assert rate == 16_000
    return samples


def resample_all(resampler: Resampler, frames) -> np.ndarray:
    return np.concatenate([resampler.resample(f) for f in frames] + [resampler.flush()])


@pytest.mark.parametrize(
    ("rate_hz", "channels", "frame_ms"),
    [
        (48_000, 2, 20),  # Opus as aiortc decodes it
        (48_000, 1, 10),
        (44_100, 2, 20),
        (16_000, 1, 20),
        (8_000, 1, 20),  # narrowband (G.711)
    ],
)
def test_frames_come_out_as_the_clip_at_16k_mono(clip_samples, rate_hz, channels, frame_ms):
    signal = fft_resample(clip_samples, 16_000, rate_hz)
    # Stereo with unequal channels: the mono mix is their mean.
    layout = [signal, 0.5 * signal][:channels]
    out = resample_all(Resampler(), audio_frames(layout, rate_hz=rate_hz, frame_ms=frame_ms))

    assert out.dtype == np.int16 and out.ndim == 1
    assert abs(out.size - clip_samples.size) <= 16  # within 1 ms
    gain = 0.75 if channels == 2 else 1.0
    reference = gain * (
        low_pass(clip_samples, 0.475 * rate_hz, 16_000) if rate_hz < 16_000 else clip_samples
    )
    lag, correlation = aligned_correlation(reference, out, max_lag=20)
    assert lag == 0
    assert correlation > 0.999
    assert np.std(out) == pytest.approx(np.std(reference), rel=0.02)


def test_a_format_change_mid_stream_is_followed(clip_samples):
    half = clip_samples.size // 2
    first = audio_frames([fft_resample(clip_samples[:half], 16_000, 48_000)] * 2, rate_hz=48_000)
    second = audio_frames([fft_resample(clip_samples[half:], 16_000, 8_000)], rate_hz=8_000)
    out = resample_all(Resampler(), first + second)

    assert abs(out.size - clip_samples.size) <= 32
    _, head = aligned_correlation(clip_samples[: half - 800].astype(float), out[: half - 800], 20)
    _, rest = aligned_correlation(
        low_pass(clip_samples, 3800, 16_000)[half + 800 :], out[half + 800 :], 20
    )
    assert head > 0.999
    assert rest > 0.99


def test_flush_with_nothing_held_is_empty():
    resampler = Resampler()
    assert resampler.flush().size == 0
    assert resample_all(resampler, []).size == 0
