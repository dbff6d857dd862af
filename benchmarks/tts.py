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
from server.asr.types import SAMPLE_RATE_HZ
from server.audio.resample import Resampler

ESPEAK = "espeak-ng"
VOICE = "en-us"
WORDS_PER_MINUTE = 150
_TIMEOUT_S = 60.0
_QUIET = 300  # of 32768: below any speech, above resampling noise


def espeak_available() -> bool:
    return shutil.which(ESPEAK) is not None


def speak(
    text: str, *, voice: str = VOICE, words_per_minute: int = WORDS_PER_MINUTE
) -> NDArray[np.int16]:
    """`text` spoken by espeak-ng at `words_per_minute`, as 16 kHz mono int16.

    espeak-ng's own rate runs fast on English prose (its `-s 150` spoke the graded answers at
    about 171 words a minute), so the first rendering's length sets the rate of the second:
    the speech then has the pace a text timed at `words_per_minute` is judged at.
    """
    samples = _espeak(text, voice, words_per_minute)
    words = len(text.split())
    spoken_s = _voiced_span_s(samples)
    if words < 2 or spoken_s <= 0:
        return samples
    rate = round(words_per_minute * words_per_minute / (words / spoken_s * 60))
    return _espeak(text, voice, rate)


def _voiced_span_s(samples: NDArray[np.int16]) -> float:
    """Seconds from the first to the last sample above a whisper (espeak-ng pads both ends)."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > _QUIET)
    return (loud[-1] - loud[0]) / SAMPLE_RATE_HZ if loud.size else 0.0


def _espeak(text: str, voice: str, espeak_rate: int) -> NDArray[np.int16]:
    with tempfile.TemporaryDirectory(prefix="podium-tts-") as folder:
        wav_path = Path(folder) / "speech.wav"
        # The text goes on stdin, so that one starting with "-" is not read as an option.
        subprocess.run(
            [ESPEAK, "-v", voice, "-s", str(espeak_rate), "-w", str(wav_path)],
            input=text.encode(),
            check=True,
            capture_output=True,
            timeout=_TIMEOUT_S,
        )
        samples, rate_hz = read_wav_int16(wav_path)
    # espeak-ng writes 22.05 kHz; the clients send 16 kHz.
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = rate_hz
    resampler = Resampler()
    return np.concatenate([resampler.resample(frame), resampler.flush()])
