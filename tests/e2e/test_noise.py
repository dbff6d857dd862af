"""Noisy rooms end to end over WebRTC: noise alone gives no words; speech 10 dB above the room
is still transcribed (the bound comes from benchmarks/results/noise-webrtc-tiny-en/noise.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.client import PodiumClient
from benchmarks.noise import make_noise, mix_at_snr, noise_only
from benchmarks.serverproc import ServerProcess
from benchmarks.speech import Clip, read_wav_int16, word_error_rate
from tests.e2e.conftest import stream_and_collect
from tests.speech import clip_named

pytestmark = pytest.mark.e2e

RATE = 16_000
NOISE_ONLY_S = 8.0
CLIP = "en_librispeech_quilter.wav"  # 6 s, one sentence
# Babble talkers, never the clip spoken over them.
OTHERS = ("en_ls1988_24833_0001.wav", "en_ls2412_153948_0002.wav", "en_cv_60683.wav")
# Measured at 10 dB on the clip (17 words): pink 0.06; babble 0.41 on one machine and at most 0.35
# on others (the same code and seed). Babble is the harder room: its first second, before the
# person speaks, opens the utterance, and the decoder may take the person's first words for the
# room's ("like was this up on of the middle classes"). The bounds leave room for that spread.
MAX_WER_AT_10_DB = {"pink": 0.35, "babble": 0.5}


def final_words(client: PodiumClient) -> list[str]:
    return [w for m in client.of_type("transcript.final") for w in m["text"].split()]


async def transcribe(server: ServerProcess, audio: np.ndarray) -> PodiumClient:
    client = PodiumClient(server.url)
    try:
        await client.connect()
        await stream_and_collect(client, audio)
    finally:
        await client.close()
    return client


def samples_of(speech_dir: Path, clips: list[Clip], name: str) -> np.ndarray:
    samples, _ = read_wav_int16(speech_dir / clip_named(clips, name).audio)
    return samples


# Babble alone at a speaking level is speech, not noise: nothing tells it from the person.
@pytest.mark.parametrize("kind", ["pink", "brown"])
async def test_noise_alone_gives_no_words(
    kind: str, server: ServerProcess, speech_dir: Path, english_clips: list[Clip]
) -> None:
    others = [samples_of(speech_dir, english_clips, name) for name in OTHERS]
    noise = noise_only(kind, int(NOISE_ONLY_S * RATE), np.random.default_rng(11), others)
    client = await transcribe(server, noise)
    assert final_words(client) == []


@pytest.mark.parametrize("kind", ["pink", "babble"])
async def test_speech_10_db_above_the_room_is_transcribed(
    kind: str, server: ServerProcess, speech_dir: Path, english_clips: list[Clip]
) -> None:
    clip = clip_named(english_clips, CLIP)
    speech = samples_of(speech_dir, english_clips, CLIP)
    others = [samples_of(speech_dir, english_clips, name) for name in OTHERS]
    lead = np.zeros(RATE, np.int16)
    padded = np.concatenate([lead, speech])
    bounds = (RATE + round(clip.speech_start_s * RATE), RATE + round(clip.speech_end_s * RATE))
    noise = make_noise(kind, len(padded), np.random.default_rng(12), others)
    client = await transcribe(server, mix_at_snr(padded, noise, 10.0, bounds))
    assert word_error_rate([clip.text], [" ".join(final_words(client))]) <= MAX_WER_AT_10_DB[kind]
