"""The baselines: the naive streaming schedule (virtual clock) and both baselines on real speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.baselines import (
    Decoded,
    PreparedClip,
    naive_baseline,
    offline_baseline,
    plain_model,
    simulate_naive,
    streamed_audio,
    virtual_wall_at,
)
from benchmarks.reference import speech_reference
from benchmarks.speech import Clip, read_wav_int16
from server.audio.vad import VadConfig
from server.config import load_settings
from tests.speech import clip_named

CLIP = "en_librispeech_quilter.wav"  # about 6 s of continuous read speech
LEAD_MS, TAIL_MS = 500, 1000


@pytest.fixture(scope="module")
def prepared(speech_dir: Path, english_clips: list[Clip]) -> PreparedClip:
    clip = clip_named(english_clips, CLIP)
    samples, _rate = read_wav_int16(speech_dir / clip.audio)
    return PreparedClip(clip, samples, speech_reference(clip, samples))


def constant_decode(seconds: float):
    """A decoder that takes `seconds` per call and names the audio length it got (in ms)."""

    def decode(samples: np.ndarray) -> Decoded:
        return Decoded(f"ms{len(samples) // 16}", seconds, seconds)

    return decode


@pytest.mark.parametrize("decode_s", [0.3, 1.7])
def test_naive_schedule_decodes_every_chunk_in_order(prepared, decode_s) -> None:
    audio = streamed_audio(prepared.samples, LEAD_MS, TAIL_MS)
    session = simulate_naive(audio, VadConfig(), constant_decode(decode_s), chunk_ms=1000)
    partials = [e for e in session.events if e.message["type"] == "transcript.partial"]
    finals = [e for e in session.events if e.message["type"] == "transcript.final"]
    assert partials and finals
    walls = [e.wall for e in session.events]
    assert walls == sorted(walls), "one decoder: results come out in order"
    first_boundary_ms = -(-partials[0].message["audio_end_ms"] // 1000) * 1000
    assert walls[0] == pytest.approx(virtual_wall_at(first_boundary_ms) + decode_s)
    for event in session.events:
        # No decode starts before its audio was sent.
        assert event.wall >= virtual_wall_at(event.message["audio_end_ms"]) + decode_s - 1e-9
    for event in partials:
        start, end = event.message["audio_start_ms"], event.message["audio_end_ms"]
        # Decoded at a chunk boundary, up to the VAD's last whole 30 ms frame.
        assert -end % 1000 < 30
        assert event.message["text"] == f"ms{end - start}", "the whole utterance so far"
    assert session.decodes == len(session.events)
    assert session.decode_s == pytest.approx(decode_s * session.decodes)
    gaps = [b - a for a, b in zip(walls, walls[1:], strict=False)]
    if decode_s > 1.0:
        # Slower than the audio: nothing is skipped, so the decoder runs back to back.
        assert all(gap == pytest.approx(decode_s) for gap in gaps)


def test_naive_chunk_must_be_whole_frames(prepared) -> None:
    with pytest.raises(ValueError, match="multiple"):
        simulate_naive(prepared.samples, VadConfig(), constant_decode(0.1), chunk_ms=1010)


def test_baselines_on_real_speech(prepared, transcriber) -> None:
    settings = load_settings(environ={})
    naive = naive_baseline(
        [prepared], transcriber, settings, language="en", lead_ms=LEAD_MS, tail_ms=TAIL_MS
    )
    assert naive.decodes >= 2 and naive.decode_s > 0 and naive.cpu_s > 0
    report = naive.summary
    assert report.final_latency_s.count >= 1 and report.first_partial_s.count >= 1
    assert report.wer is not None and report.wer < 0.3
    assert report.stability.updates >= 1 and report.stability.stable_violations == 0

    offline = offline_baseline(
        [prepared], plain_model(transcriber, settings), settings, language="en"
    )
    assert offline.wer < 0.3
    assert offline.clips[0].audio_s == pytest.approx(prepared.clip.duration_s, abs=0.01)
    assert offline.rtf > 0
