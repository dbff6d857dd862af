"""Speech from text with espeak-ng, as the 16 kHz mono int16 samples the clients send.

Used by the coaching evaluation's spoken mode and the end-to-end test of a spoken answer: text
written for the purpose, spoken by a synthetic voice, goes through the real answer flow.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

from benchmarks.speech import read_wav_int16
from server.audio.resample import Resampler

ESPEAK = "espeak-ng"
VOICE = "en-us"
WORDS_PER_MINUTE = 150
_TIMEOUT_S = 60.0


def espeak_available() -> bool:
    return shutil.which(ESPEAK) is not None


def speak(
    text: str, *, voice: str = VOICE, words_per_minute: int = WORDS_PER_MINUTE
) -> NDArray[np.int16]:
    """`text` spoken by espeak-ng, resampled to 16 kHz mono int16 (its own rate is 22.05 kHz)."""
    with tempfile.TemporaryDirectory(prefix="podium-tts-") as folder:
        wav_path = Path(folder) / "speech.wav"
        # The text goes on stdin, so that one starting with "-" is not read as an option.
        subprocess.run(
            [ESPEAK, "-v", voice, "-s", str(words_per_minute), "-w", str(wav_path)],
            input=text.encode(),
            check=True,
            capture_output=True,
            timeout=_TIMEOUT_S,
        )
        samples, rate_hz = read_wav_int16(wav_path)
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = rate_hz
    resampler = Resampler()
    return np.concatenate([resampler.resample(frame), resampler.flush()])
