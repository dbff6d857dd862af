"""Silero VAD as a streaming frame classifier: faster-whisper's bundled ONNX model (v6).

The model takes 512-sample frames at 16 kHz, each preceded by the previous frame's last 64
samples (its context), and an LSTM state (h, c) that it returns updated; both are carried from
frame to frame, so one classifier follows one stream. The ONNX session is loaded once and shared:
onnxruntime sessions may run from several threads at once, and all per-stream state lives in the
classifier.
"""

from __future__ import annotations

import functools
from pathlib import Path

import faster_whisper
import numpy as np
import onnxruntime
from numpy.typing import NDArray

from server.audio.vad import FrameVerdict

MODEL_PATH = Path(faster_whisper.__file__).parent / "assets" / "silero_vad_v6.onnx"
FRAME_MS = 32  # 512 samples at 16 kHz: the only frame size the model takes at that rate
_CONTEXT_SAMPLES = 64
_STATE_SHAPE = (1, 1, 128)
# A frame after speech stays speech down to this much below the threshold (Silero's own
# `neg_threshold`): probabilities dip inside words.
_RELEASE_MARGIN = 0.15
# A frame at least this likely is more than silence (pink noise at a speaking level: 0.04 at its
# 99th percentile; digital silence 0.00). Silero's state carries the stream's loudness: after a
# loud talker, a speaker 16 dB quieter stayed at 0.05-0.16 for 0.68 s before reaching 0.5
# (measured on the speech set), and the utterance's audio lost its first two words.
_MAYBE_SPEECH = 0.05


@functools.cache
def silero_session() -> onnxruntime.InferenceSession:
    """The model, loaded once (about 10 ms). One thread: it must not fight the decoder for
    the CPU, and one 32 ms frame takes about 0.1 ms on one core."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 4
    return onnxruntime.InferenceSession(
        str(MODEL_PATH), sess_options=options, providers=["CPUExecutionProvider"]
    )


class SileroClassifier:
    """Silero's speech probability per 32 ms frame, thresholded with hysteresis."""

    frame_ms = FRAME_MS
    # Silero finds a soft, unvoiced start ("Sous le...") later than webrtcvad: 0.28 s on the
    # French clip, where the base model then lost a word at 300 ms of pre-roll; up to 0.45 s
    # on English clips of the speech set. So its utterances keep 200 ms more before onset.
    onset_lag_ms = 200

    def __init__(self, threshold: float) -> None:
        self._session = silero_session()
        self._threshold = threshold
        self._release = threshold - _RELEASE_MARGIN
        self._h = np.zeros(_STATE_SHAPE, dtype=np.float32)
        self._c = np.zeros(_STATE_SHAPE, dtype=np.float32)
        self._context = np.zeros(_CONTEXT_SAMPLES, dtype=np.float32)
        self._speaking = False
        self.probability = 0.0

    def classify(self, frame: NDArray[np.int16]) -> FrameVerdict:
        """Whether the frame is speech (also the raw verdict: Silero has no other), and
        whether it may be."""
        audio = frame.astype(np.float32) / 32768.0
        model_input = np.concatenate((self._context, audio))[np.newaxis, :]
        probabilities, self._h, self._c = self._session.run(
            None, {"input": model_input, "h": self._h, "c": self._c}
        )
        self._context = audio[-_CONTEXT_SAMPLES:]
        self.probability = float(probabilities.reshape(-1)[0])
        limit = self._release if self._speaking else self._threshold
        self._speaking = self.probability >= limit
        return FrameVerdict(
            voiced=self._speaking,
            speech=self._speaking,
            maybe_speech=self.probability >= _MAYBE_SPEECH,
        )
