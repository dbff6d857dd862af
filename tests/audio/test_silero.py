"""Silero VAD behind the segmenter: faster-whisper's model, streaming, on real speech and noise."""

from __future__ import annotations

import numpy as np
import pytest
from faster_whisper.vad import SileroVADModel

from benchmarks.noise import make_noise, mix_at_snr, noise_only
from benchmarks.speech import read_wav_int16
from server.audio.silero import MODEL_PATH, SileroClassifier
from server.audio.vad import SpeechStart, VadConfig
from server.config import load_settings
from tests.audio.test_vad import PAD_MS, RATE_HZ, padded, run, utterances
from tests.speech import clip_named

SILERO = VadConfig(kind="silero")
FRAME = 512
# Clips whose manifest onset is speech, not webrtcvad settling on the file's first frames
# (speech_start_s >= 0.1, see test_vad), from four sources.
CLEAN_ONSETS = (
    "en_ls2412_153948_0002.wav",
    "en_ls1988_24833_0002.wav",
    "en_sphinx_digits.wav",
    "en_arctic_slt_a0009.wav",
    "en_praatio_mary.wav",
)


def test_streaming_frames_match_faster_whispers_whole_clip_pass(speech_dir, manifest):
    """Frame by frame, with context and state carried, the probabilities are those of
    faster-whisper's own pass over the whole clip (dropping either carry breaks this)."""
    samples, _ = read_wav_int16(
        speech_dir / clip_named(manifest, "en_librispeech_quilter.wav").audio
    )
    samples = samples[: samples.size // FRAME * FRAME]
    classifier = SileroClassifier(threshold=0.5)
    streamed = []
    for start in range(0, samples.size, FRAME):
        classifier.classify(samples[start : start + FRAME])
        streamed.append(classifier.probability)
    whole = SileroVADModel(str(MODEL_PATH))(samples.astype(np.float32) / 32768.0).reshape(-1)
    assert max(streamed) > 0.9 and min(streamed) < 0.1  # speech and pauses both seen
    np.testing.assert_allclose(streamed, whole, atol=0.01)


def test_speech_opens_an_utterance_where_the_manifest_says(speech_dir, manifest):
    failures = []
    for name in CLEAN_ONSETS:
        clip = clip_named(manifest, name)
        samples = padded(speech_dir, clip)
        events = run(samples, SILERO)
        ends = utterances(events, samples)
        if not ends:
            failures.append(f"{name}: no utterance")
            continue
        onset_ms = next(e.audio_ms for e in events if isinstance(e, SpeechStart))
        onset_err_s = onset_ms / 1000 - (clip.speech_start_s + PAD_MS / 1000)
        end_err_s = ends[-1].end_ms / 1000 - (clip.speech_end_s + PAD_MS / 1000)
        # A frame (32 ms) or two either side of webrtcvad's onset; the end within 0.3 s (the
        # manifest counts breaths after the last word, the end adds tail_ms).
        if not -0.07 <= onset_err_s <= 0.07:
            failures.append(f"{name}: onset off by {onset_err_s:+.2f} s")
        if not -0.3 <= end_err_s <= 0.3:
            failures.append(f"{name}: end off by {end_err_s:+.2f} s")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("kind", ["pink", "brown"])
def test_noise_alone_opens_no_utterance(kind):
    """20 s of noise at a speaking level (the benchmark's noise-only condition)."""
    assert run(noise_only(kind, 20 * RATE_HZ, np.random.default_rng(7)), SILERO) == []


def test_silence_and_white_noise_open_no_utterance():
    rng = np.random.default_rng(8)
    for dbfs in (-50, -30, -20, -10):
        noise = rng.normal(0, 32768 * 10 ** (dbfs / 20), 5 * RATE_HZ)
        assert run(noise.clip(-32768, 32767).astype(np.int16), SILERO) == [], dbfs
    assert run(np.zeros(5 * RATE_HZ, dtype=np.int16), SILERO) == []


def test_speech_in_pink_noise_stays_one_utterance(speech_dir, manifest):
    """At 5 dB SNR webrtcvad cut this clip into pieces (benchmark, pink-5db); Silero keeps
    the sentence whole and covers its speech."""
    clip = clip_named(manifest, "en_librispeech_wizard.wav")
    samples = padded(speech_dir, clip)
    pad = PAD_MS * RATE_HZ // 1000
    bounds = (pad + int(clip.speech_start_s * RATE_HZ), pad + int(clip.speech_end_s * RATE_HZ))
    noise = make_noise("pink", samples.size, np.random.default_rng(1))
    noisy = mix_at_snr(samples, noise, 5.0, bounds)
    (utterance,) = utterances(run(noisy, SILERO), noisy)
    assert utterance.start_ms * 16 <= bounds[0] + RATE_HZ // 2  # the leading noise is no speech
    assert utterance.end_ms * 16 >= bounds[1] - RATE_HZ // 4


def test_a_quieter_speaker_after_a_loud_one_keeps_their_first_words(speech_dir, manifest):
    """Silero's state carries the loud talker's level: the next, 16 dB quieter, speaker's
    probabilities stay low for their first 0.7 s. The utterance's audio still takes in where
    their speech starts (it lost "Um grupo" to the decoder when it did not)."""
    loud = clip_named(manifest, "pt_sample.wav")
    quiet = clip_named(manifest, "pt_cheetah_sample.wav")
    pad = PAD_MS * RATE_HZ // 1000
    first = padded(speech_dir, loud)
    samples = np.concatenate((first, padded(speech_dir, quiet)))
    onset = first.size + pad + int(quiet.speech_start_s * RATE_HZ)
    ends = utterances(run(samples, SILERO), samples)
    assert len(ends) == 2
    assert ends[1].start_ms * 16 <= onset < ends[1].end_ms * 16


def test_vad_setting():
    assert VadConfig.from_settings(load_settings(environ={})).kind == "silero"
    assert VadConfig.from_settings(load_settings(environ={"PODIUM_VAD": "webrtc"})).kind == "webrtc"
