"""Odd audio end to end: noise, clipping, very quiet speech, other rates and layouts, a track that
stops mid-sentence. No invented text, no crash, and the session goes on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import av
import numpy as np
import pytest

from benchmarks.client import PodiumClient
from benchmarks.serverproc import ServerProcess
from benchmarks.speech import Clip, normalize_english, word_error_rate
from tests.e2e.clients import FormatTrack
from tests.e2e.conftest import clip_audio, stream_and_collect
from tests.speech import clip_named

pytestmark = pytest.mark.e2e

CLIP = "en_arctic_slt_a0009.wav"  # 3 s, one sentence
LONG_CLIP = "en_librispeech_quilter.wav"  # 6 s
RATE = 16_000


def final_text(client: PodiumClient) -> str:
    return " ".join(m["text"] for m in client.of_type("transcript.final") if m["text"])


async def check_alive(client: PodiumClient, token: str) -> None:
    client.send({"type": "ping", "t": token})
    await client.wait_for(lambda e: e.message.get("t") == token)
    assert not client.of_type("error"), client.of_type("error")


def all_final(client: PodiumClient) -> bool:
    started = {m["utterance_id"] for m in client.of_type("speech.started")}
    return started == {m["utterance_id"] for m in client.of_type("transcript.final")}


def resample(samples: np.ndarray, rate_hz: int, layout: str) -> np.ndarray:
    """16 kHz mono int16 -> (channels, n) int16 at `rate_hz`, with PyAV's resampler."""
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = RATE
    resampler = av.AudioResampler(format="s16", layout=layout, rate=rate_hz)
    out = [*resampler.resample(frame), *resampler.resample(None)]
    channels = 1 if layout == "mono" else 2
    # Packed s16 comes back as one interleaved plane.
    return np.concatenate([f.to_ndarray().reshape(-1, channels).T for f in out], axis=1)


async def test_white_noise_gives_no_text(server: ServerProcess) -> None:
    rng = np.random.default_rng(7)
    noise = [
        rng.normal(0, 32768 * 10 ** (level_dbfs / 20), 3 * RATE).clip(-32768, 32767)
        for level_dbfs in (-30.0, -10.0)
    ]
    client = PodiumClient(server.url)
    try:
        await client.connect()
        await stream_and_collect(client, np.concatenate(noise).astype(np.int16))
        await check_alive(client, "after noise")
    finally:
        await client.close()
    assert final_text(client) == ""


async def test_clipped_speech_is_still_transcribed(
    server: ServerProcess, speech_dir: Path, english_clips: list[Clip]
) -> None:
    clip = clip_named(english_clips, CLIP)
    loud = (clip_audio(speech_dir, clip).astype(np.int32) * 8).clip(-32768, 32767)
    client = PodiumClient(server.url)
    try:
        await client.connect()
        await stream_and_collect(client, loud.astype(np.int16))
        await check_alive(client, "after clipping")
    finally:
        await client.close()
    assert word_error_rate([clip.text], [final_text(client)]) <= 0.5, final_text(client)


async def test_very_quiet_speech_invents_nothing(
    server: ServerProcess, speech_dir: Path, english_clips: list[Clip]
) -> None:
    clip = clip_named(english_clips, CLIP)
    quiet = (clip_audio(speech_dir, clip) * 0.01).astype(np.int16)  # about -45 dBFS peak
    client = PodiumClient(server.url)
    try:
        await client.connect()
        await stream_and_collect(client, quiet)
        await check_alive(client, "after quiet speech")
    finally:
        await client.close()
    # Whatever is heard must be words of the sentence, not made up.
    reference = set(normalize_english(clip.text).split())
    assert set(normalize_english(final_text(client)).split()) <= reference, final_text(client)


async def test_other_rates_and_layouts_from_the_client(
    server: ServerProcess, speech_dir: Path, english_clips: list[Clip]
) -> None:
    clip = clip_named(english_clips, CLIP)
    audio = np.concatenate([clip_audio(speech_dir, clip), np.zeros(int(1.5 * RATE), np.int16)])
    formats = [(8_000, "mono"), (48_000, "stereo"), (44_100, "mono")]
    tracks = [FormatTrack(resample(audio, rate, layout), rate) for rate, layout in formats]
    clients = [PodiumClient(server.url, source=track) for track in tracks]

    async def stream(client: PodiumClient, track: FormatTrack) -> None:
        await client.connect()
        await asyncio.wait_for(track.played.wait(), timeout=30)
        await client.wait_for("transcript.final", timeout_s=30)
        await client.wait_for(lambda _: all_final(client), timeout_s=30)
        await check_alive(client, "after the clip")

    try:
        await asyncio.gather(*(stream(c, t) for c, t in zip(clients, tracks, strict=True)))
    finally:
        await asyncio.gather(*(c.close() for c in clients))
    for client, audio_format in zip(clients, formats, strict=True):
        text = final_text(client)
        assert word_error_rate([clip.text], [text]) <= 0.25, (audio_format, text)


async def test_a_track_that_stops_mid_sentence_gets_its_final(
    server: ServerProcess, speech_dir: Path, english_clips: list[Clip]
) -> None:
    clip = clip_named(english_clips, LONG_CLIP)
    audio = clip_audio(speech_dir, clip)
    client = PodiumClient(server.url)
    try:
        await client.connect()
        await client.track.play(audio[: len(audio) * 2 // 3])
        client.track.stop()  # the microphone goes away; the connection stays
        final = await client.wait_for("transcript.final", timeout_s=30)
        await check_alive(client, "after the track ended")
    finally:
        await client.close()
    assert final.message["text"]
    assert all_final(client)
