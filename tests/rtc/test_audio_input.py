"""Reading a real aiortc audio track into 16 kHz mono chunks."""

from __future__ import annotations

import asyncio
import math

import av
import numpy as np
import pytest
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from benchmarks.speech import read_wav_int16
from server.rtc.audio_input import InputLevel, audio_chunks
from tests.audio.frames import aligned_correlation, audio_frames, fft_resample


class FrameTrack(MediaStreamTrack):
    """An audio track that plays a list of frames, optionally stalling before one of them."""

    kind = "audio"

    def __init__(
        self,
        frames: list[av.AudioFrame | av.VideoFrame],
        stall_before: int = -1,
        stall_s: float = 0,
    ) -> None:
        super().__init__()
        self._frames = list(frames)
        self._sent = 0
        self._stall_before = stall_before
        self._stall_s = stall_s

    async def recv(self) -> av.AudioFrame | av.VideoFrame:
        if self._sent == self._stall_before:
            self._stall_before = -1
            await asyncio.sleep(self._stall_s)
        if self._sent == len(self._frames):
            self.stop()
            raise MediaStreamError
        self._sent += 1
        return self._frames[self._sent - 1]


async def collect(track: MediaStreamTrack, level: InputLevel, timeout_s: float = 2.0) -> list:
    return [chunk async for chunk in audio_chunks(track, timeout_s=timeout_s, level=level)]


async def test_a_media_player_track_arrives_as_the_clip(speech_dir):
    """aiortc's player resamples the 16 kHz WAV to 48 kHz stereo 20 ms frames, as Opus decodes."""
    clip, _ = read_wav_int16(speech_dir / "en_praatio_bobby.wav")
    player = MediaPlayer(str(speech_dir / "en_praatio_bobby.wav"))
    level = InputLevel()
    chunks = await collect(player.audio, level)

    out = np.concatenate(chunks)
    assert all(c.dtype == np.int16 and c.ndim == 1 and c.size for c in chunks)
    # The player drops its last partial 20 ms frame.
    assert clip.size - 320 <= out.size <= clip.size
    _, correlation = aligned_correlation(clip.astype(float), out, max_lag=20)
    assert correlation > 0.99
    assert level.chunks == len(chunks)
    assert level.samples == out.size
    # FFmpeg's mono-to-stereo upmix in the player is -3 dB per channel; our mix is their mean.
    clip_peak = np.abs(clip.astype(np.int32)).max()
    assert level.peak == pytest.approx(clip_peak / math.sqrt(2), rel=0.03)
    assert player.audio.readyState == "ended"


async def test_48k_stereo_frames_end_cleanly_when_the_track_ends(speech_dir):
    clip, _ = read_wav_int16(speech_dir / "en_ls1988_24833_0000.wav")
    upsampled = fft_resample(clip, 16_000, 48_000)
    track = FrameTrack(audio_frames([upsampled, upsampled], rate_hz=48_000))
    level = InputLevel()
    out = np.concatenate(await collect(track, level))

    assert abs(out.size - clip.size) <= 16
    lag, correlation = aligned_correlation(clip.astype(float), out, max_lag=20)
    assert (lag, correlation > 0.999) == (0, True)
    assert level.stalls == 0


async def test_a_stall_is_counted_once_and_reading_goes_on(speech_dir):
    clip, _ = read_wav_int16(speech_dir / "en_praatio_mary.wav")
    frames = audio_frames([fft_resample(clip, 16_000, 48_000)] * 2, rate_hz=48_000)
    # The stall spans several timeouts; it is one stall.
    track = FrameTrack(frames, stall_before=10, stall_s=0.3)
    level = InputLevel()
    out = np.concatenate(await collect(track, level, timeout_s=0.05))

    assert level.stalls == 1
    assert abs(out.size - clip.size) <= 16


async def test_a_video_frame_is_refused():
    track = FrameTrack([av.VideoFrame(16, 16, "rgb24")])
    with pytest.raises(TypeError):
        await collect(track, InputLevel())


@pytest.mark.parametrize(
    ("samples", "peak", "dbfs"),
    [
        ([], 0, -math.inf),
        ([0, 0, 0], 0, -math.inf),
        ([-32768, 5], 32768, 0.0),
        ([100, -3277, 3276], 3277, -20.0),
    ],
)
def test_input_level_peak(samples, peak, dbfs):
    level = InputLevel()
    level.update(np.array(samples, dtype=np.int16))
    assert level.peak == peak
    assert level.peak_dbfs == pytest.approx(dbfs, abs=0.01)
