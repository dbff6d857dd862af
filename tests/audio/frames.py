"""Audio-path test helpers: PyAV frames from a clip, reference resampling, alignment."""

from __future__ import annotations

import fractions

import av
import numpy as np
from numpy.typing import NDArray


def fft_resample(samples: NDArray[np.int16], from_hz: int, to_hz: int) -> NDArray[np.float64]:
    """Band-limited resampling by padding or truncating the spectrum (a reference, not fast)."""
    spectrum = np.fft.rfft(samples.astype(np.float64))
    out_size = samples.size * to_hz // from_hz
    bins = out_size // 2 + 1
    resized = np.zeros(bins, dtype=np.complex128)
    keep = min(bins, spectrum.size)
    resized[:keep] = spectrum[:keep]
    return np.fft.irfft(resized, n=out_size) * (to_hz / from_hz)


def low_pass(samples: NDArray[np.int16], cutoff_hz: float, rate_hz: int) -> NDArray[np.float64]:
    spectrum = np.fft.rfft(samples.astype(np.float64))
    spectrum[np.fft.rfftfreq(samples.size, 1 / rate_hz) > cutoff_hz] = 0
    return np.fft.irfft(spectrum, n=samples.size)


def audio_frames(
    channels: list[NDArray[np.float64]], *, rate_hz: int, frame_ms: int = 20
) -> list[av.AudioFrame]:
    """Packed s16 frames of `frame_ms` (the last shorter) with pts in samples, as decoders give."""
    layout = {1: "mono", 2: "stereo"}[len(channels)]
    interleaved = np.clip(np.round(np.stack(channels, axis=1)), -32768, 32767).astype(np.int16)
    step = rate_hz * frame_ms // 1000
    frames = []
    for start in range(0, interleaved.shape[0], step):
        chunk = interleaved[start : start + step]
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout=layout)
        frame.sample_rate = rate_hz
        frame.pts = start
        frame.time_base = fractions.Fraction(1, rate_hz)
        frames.append(frame)
    return frames


def aligned_correlation(
    reference: NDArray[np.floating], signal: NDArray[np.integer], max_lag: int = 200
) -> tuple[int, float]:
    """Best lag (samples the signal trails the reference) and the correlation at it."""
    best = (0, -1.0)
    for lag in range(-max_lag, max_lag + 1):
        a = reference[max(0, -lag) :]
        b = signal[max(0, lag) :].astype(np.float64)
        n = min(a.size, b.size)
        corr = float(np.corrcoef(a[:n], b[:n])[0, 1])
        if corr > best[1]:
            best = (lag, corr)
    return best
