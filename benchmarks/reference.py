"""Reference speech timing of a clip: where speech starts and ends, independent of the server.

The manifest's `speech_start_s` / `speech_end_s` come from an offline webrtcvad pass (mode 2,
30 ms frames: first and last voiced frame of the clip). The same pass is repeated here to place
the boundaries of each utterance the server (or the naive baseline) cut: an utterance's speech
onset is the first voiced frame inside its audio range, its end of speech the end of the last
voiced frame inside it, clamped to the manifest's clip-level onset and end of speech. For a
clip spoken as one utterance that is exactly the manifest's pair, except where a lone voiced
frame (a click) lies outside the utterance the server found.
"""

from __future__ import annotations

import msgspec
import numpy as np
import webrtcvad
from numpy.typing import NDArray

from benchmarks.speech import Clip

REFERENCE_VAD_MODE = 2
REFERENCE_FRAME_MS = 30
SAMPLE_RATE_HZ = 16_000


class SpeechReference(msgspec.Struct, frozen=True):
    """Voiced 30 ms frames of a clip and the manifest's speech bounds (ms from the clip start)."""

    voiced_ms: list[tuple[int, int]]
    start_ms: int
    end_ms: int

    def onset_in(self, start_ms: int, end_ms: int) -> int | None:
        """Speech onset of the utterance covering [start_ms, end_ms) of the clip: its first
        voiced frame, not before the manifest's onset. None when no frame there is voiced."""
        for frame_start, frame_end in self.voiced_ms:
            if frame_end > start_ms and frame_start < end_ms:
                return max(frame_start, start_ms, self.start_ms)
        return None

    def end_in(self, start_ms: int, end_ms: int) -> int | None:
        """End of speech of the utterance covering [start_ms, end_ms) of the clip: the end of
        its last voiced frame, not after the manifest's end of speech. None when none is voiced."""
        for frame_start, frame_end in reversed(self.voiced_ms):
            if frame_start < end_ms and frame_end > start_ms:
                return min(frame_end, end_ms, self.end_ms)
        return None


def voiced_runs(samples: NDArray[np.int16]) -> list[tuple[int, int]]:
    """Voiced stretches [start_ms, end_ms) by webrtcvad mode 2 over 30 ms frames."""
    vad = webrtcvad.Vad(REFERENCE_VAD_MODE)
    frame_samples = SAMPLE_RATE_HZ * REFERENCE_FRAME_MS // 1000
    runs: list[tuple[int, int]] = []
    for index in range(len(samples) // frame_samples):
        frame = samples[index * frame_samples : (index + 1) * frame_samples]
        if not vad.is_speech(frame.tobytes(), SAMPLE_RATE_HZ):
            continue
        start_ms = index * REFERENCE_FRAME_MS
        if runs and runs[-1][1] == start_ms:
            runs[-1] = (runs[-1][0], start_ms + REFERENCE_FRAME_MS)
        else:
            runs.append((start_ms, start_ms + REFERENCE_FRAME_MS))
    return runs


def speech_reference(clip: Clip, samples: NDArray[np.int16]) -> SpeechReference:
    """The reference timing of one clip (16 kHz samples)."""
    return SpeechReference(
        voiced_ms=voiced_runs(samples),
        start_ms=round(clip.speech_start_s * 1000),
        end_ms=round(clip.speech_end_s * 1000),
    )
