"""Decoded audio frames (any rate, layout, sample format) to 16 kHz mono int16 samples."""

from __future__ import annotations

import av
import numpy as np
from numpy.typing import NDArray

from server.asr.types import SAMPLE_RATE_HZ

_EMPTY = np.empty(0, dtype=np.int16)
_EMPTY.flags.writeable = False


class Resampler:
    """Converts the frames of one stream to 16 kHz mono int16.

    Stateful (the filter keeps a few samples of history between frames): keep one per stream.
    Opus from a browser decodes to 48 kHz stereo s16; any other rate or layout works too, and a
    stream that changes format mid-way gets a fresh converter (the old one is drained first).
    """

    def __init__(self, rate_hz: int = SAMPLE_RATE_HZ) -> None:
        self.rate_hz = rate_hz
        self._resampler: av.AudioResampler | None = None
        self._input_format: tuple[str, str, int] | None = None

    def resample(self, frame: av.AudioFrame) -> NDArray[np.int16]:
        """Convert one frame; the result may be a few samples shorter or longer than exact."""
        input_format = (frame.format.name, frame.layout.name, frame.sample_rate)
        drained = _EMPTY
        if self._resampler is None or input_format != self._input_format:
            drained = self.flush()
            self._resampler = av.AudioResampler(format="s16", layout="mono", rate=self.rate_hz)
            self._input_format = input_format
        samples = _concat(self._resampler.resample(frame))
        return np.concatenate((drained, samples)) if drained.size else samples

    def flush(self) -> NDArray[np.int16]:
        """Drain the samples the converter still holds (at the end of a stream)."""
        if self._resampler is None:
            return _EMPTY
        samples = _concat(self._resampler.resample(None))
        self._resampler = None
        self._input_format = None
        return samples


def _concat(frames: list[av.AudioFrame]) -> NDArray[np.int16]:
    if not frames:
        return _EMPTY
    # Packed s16 mono: to_ndarray() has shape (1, samples).
    return np.concatenate([f.to_ndarray().reshape(-1) for f in frames]).astype(np.int16, copy=False)
