"""The utterance segmenter over webrtcvad on real speech clips, silence and noise (Silero:
test_silero.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from benchmarks.noise import make_noise, mix_at_snr
from benchmarks.speech import Clip, read_wav_int16
from server.audio.vad import (
    Segmenter,
    SegmentEvent,
    SpeechEnd,
    SpeechStart,
    VadConfig,
    periodicity,
)
from server.config import load_settings
from server.errors import ConfigError
from tests.speech import clip_named

RATE_HZ = 16_000
PAD_MS = 1000
# webrtcvad keeps calling frames voiced for a few frames after speech stops (its own hangover):
# measured 120 ms into digital silence at mode 2 (en_jfk_inaugural ends mid-word).
WEBRTCVAD_HANGOVER_MS = 150
# Other talkers this far below the person, and the foreground gate's separation.
ROOM_BELOW_DB = 10.0
FOREGROUND_DB = 10.0
BABBLE_TALKERS = (
    "en_ls2412_153948_0000.wav",
    "en_ls1988_24833_0001.wav",
    "en_ls2412_153948_0001.wav",
)


def padded(speech_dir: Path, clip: Clip) -> NDArray[np.int16]:
    samples, rate = read_wav_int16(speech_dir / clip.audio)
    assert rate == RATE_HZ
    silence = np.zeros(PAD_MS * RATE_HZ // 1000, dtype=np.int16)
    return np.concatenate((silence, samples, silence))


def run(
    samples: NDArray[np.int16], config: VadConfig | None = None, chunk: int | None = None
) -> list[SegmentEvent]:
    segmenter = Segmenter(config or VadConfig(kind="webrtc"))
    step = chunk or samples.size
    events: list[SegmentEvent] = []
    for start in range(0, samples.size, step):
        events += segmenter.push(samples[start : start + step])
    events += segmenter.flush()
    assert segmenter.received_ms == samples.size * 1000 // RATE_HZ
    assert segmenter.open_utterance_id is None
    return events


def utterances(events: list[SegmentEvent], samples: NDArray[np.int16]) -> list[SpeechEnd]:
    """Check the event stream's invariants; return its ends.

    Starts and ends alternate with ids 1, 2, 3...; each end's audio is exactly the input between
    its positions; utterances are in order and never overlap (no sample in two of them).
    """
    ends: list[SpeechEnd] = []
    open_start: SpeechStart | None = None
    for event in events:
        if isinstance(event, SpeechStart):
            assert open_start is None, "two starts in a row"
            assert event.utterance_id == len(ends) + 1
            open_start = event
        else:
            assert open_start is not None and event.utterance_id == open_start.utterance_id
            assert event.start_ms <= open_start.audio_ms < event.end_ms
            if ends:
                assert event.start_ms >= ends[-1].end_ms, "utterances overlap"
            expected = samples[event.start_ms * 16 : event.end_ms * 16]
            assert event.audio.dtype == np.int16
            assert np.array_equal(event.audio, expected)
            ends.append(event)
            open_start = None
    assert open_start is None, "a start with no end"
    return ends


def first_onset_ms(events: list[SegmentEvent]) -> int:
    return next(e.audio_ms for e in events if isinstance(e, SpeechStart))


def test_every_english_clip_is_found_where_the_manifest_says(speech_dir, english_clips):
    config = VadConfig(kind="webrtc")
    failures = []
    for clip in english_clips:
        samples = padded(speech_dir, clip)
        events = run(samples, config)
        ends = utterances(events, samples)
        if not ends:
            failures.append(f"{clip.audio}: no utterance")
            continue
        onset_err_s = first_onset_ms(events) / 1000 - (clip.speech_start_s + PAD_MS / 1000)
        end_err_s = ends[-1].end_ms / 1000 - (clip.speech_end_s + PAD_MS / 1000)
        # The manifest marks webrtcvad's first voiced frame on the unpadded file. When that is
        # the file's first frames (start < 0.1 s) it is webrtcvad settling on the recording's
        # noise floor: the level only jumps to speech later (up to 0.56 s on this set, e.g.
        # -60 to -25 dBFS at 0.56 s in en_ls1272_128104_0004_8k). Elsewhere onsets agree to a
        # frame or two.
        late_s = 0.7 if clip.speech_start_s < 0.1 else 0.1
        if not -0.1 <= onset_err_s <= late_s:
            failures.append(f"{clip.audio}: onset off by {onset_err_s:+.2f} s")
        # Ends: tail_ms plus webrtcvad's own hangover afterwards; before, the manifest counts
        # breaths and noise near the end of some files (-46 to -57 dBFS), up to 0.19 s here.
        if not -0.25 <= end_err_s <= (config.tail_ms + WEBRTCVAD_HANGOVER_MS) / 1000 + 0.05:
            failures.append(f"{clip.audio}: end off by {end_err_s:+.2f} s")
        # The padding holds nothing but pre-roll before and tail after.
        if ends[0].start_ms < PAD_MS - config.pre_roll_ms - config.frame_ms:
            failures.append(f"{clip.audio}: starts {ends[0].start_ms} ms into the silence")
        limit_ms = (
            PAD_MS
            + round(clip.duration_s * 1000)
            + config.tail_ms
            + WEBRTCVAD_HANGOVER_MS
            + config.frame_ms
        )
        if ends[-1].end_ms > limit_ms:
            failures.append(f"{clip.audio}: ends at {ends[-1].end_ms} ms, after {limit_ms} ms")
    assert not failures, "\n".join(failures)


def white_noise(dbfs: float, seconds: float, seed: int) -> NDArray[np.int16]:
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, 32768 * 10 ** (dbfs / 20), int(seconds * RATE_HZ))
    return np.clip(noise, -32768, 32767).astype(np.int16)


def brown_noise(dbfs: float, seconds: float, seed: int) -> NDArray[np.int16]:
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.normal(0, 1, int(seconds * RATE_HZ)))
    walk -= np.convolve(walk, np.ones(400) / 400, mode="same")  # keep it centred
    scaled = walk / walk.std() * 32768 * 10 ** (dbfs / 20)
    return np.clip(scaled, -32768, 32767).astype(np.int16)


@pytest.mark.parametrize(
    ("noise", "dbfs"),
    [
        ("white", -50),
        ("white", -30),
        ("white", -20),
        ("white", -10),
        ("brown", -30),
        ("brown", -20),
    ],
)
def test_noise_gives_no_utterance(noise, dbfs):
    make = white_noise if noise == "white" else brown_noise
    assert run(make(dbfs, 5, seed=-dbfs)) == []


def test_silence_gives_no_utterance():
    assert run(np.zeros(5 * RATE_HZ, dtype=np.int16)) == []


def test_webrtcvad_alone_takes_loud_noise_for_speech():
    """Why the periodicity guard exists: without it, white noise at -20 dBFS opens utterances."""
    samples = white_noise(-20, 5, seed=1)
    assert run(samples, VadConfig(kind="webrtc", voicing_threshold=0)) != []
    assert max(periodicity(samples[i : i + 480]) for i in range(0, samples.size, 480)) < 0.3


def event_key(event: SegmentEvent) -> tuple[object, ...]:
    if isinstance(event, SpeechStart):
        return ("start", event.utterance_id, event.audio_ms)
    return (
        "end",
        event.utterance_id,
        event.start_ms,
        event.end_ms,
        event.reason,
        event.audio.tobytes(),
    )


@pytest.mark.parametrize(
    ("audio", "max_utterance_s", "kind"),
    [
        ("en_sphinx_digits.wav", 20.0, "webrtc"),  # several utterances
        ("en_sphinx_digits.wav", 20.0, "silero"),  # its 32 ms frames and carried state
        ("en_librivox_sense_sensibility.wav", 20.0, "webrtc"),
        ("en_librivox_sonnet1.wav", 5.0, "webrtc"),  # max-length splits
    ],
)
def test_chunk_size_does_not_change_events(speech_dir, manifest, audio, max_utterance_s, kind):
    clip = clip_named(manifest, audio)
    samples = padded(speech_dir, clip)
    config = VadConfig(max_utterance_s=max_utterance_s, kind=kind)
    whole = [event_key(e) for e in run(samples, config)]
    assert len(whole) >= 4
    for chunk in (160, 320, 480, 1000, 4801):
        assert [event_key(e) for e in run(samples, config, chunk)] == whole, chunk


def test_long_clip_is_split_at_quiet_points_with_nothing_lost(speech_dir, manifest):
    clip = clip_named(manifest, "en_librivox_sonnet1.wav")
    samples = padded(speech_dir, clip)
    config = VadConfig(kind="webrtc", max_utterance_s=10.0)
    events = run(samples, config)
    ends = utterances(events, samples)
    assert all(e.end_ms - e.start_ms <= 10_000 for e in ends)
    splits = [i for i, e in enumerate(ends) if e.reason == "max_length"]
    assert splits
    for i in splits:
        # The rest goes on as the next utterance from the very next sample.
        assert ends[i + 1].start_ms == ends[i].end_ms
        # Split where it is quiet: the 60 ms around the cut is quieter than 80% of the frames.
        cut = ends[i].end_ms * 16
        around = samples[cut - 480 : cut + 480].astype(np.float64)
        frames = ends[i].audio[: ends[i].audio.size // 480 * 480].reshape(-1, 480)
        levels = np.mean(np.square(frames, dtype=np.float64), axis=1)
        assert np.mean(np.square(around)) <= np.percentile(levels, 20)

    # Everything the unsplit segmentation kept is still kept.
    unsplit = utterances(run(samples, VadConfig(kind="webrtc", max_utterance_s=20.0)), samples)
    assert any(e.end_ms - e.start_ms > 10_000 for e in unsplit)
    kept = np.zeros(samples.size, dtype=bool)
    kept_unsplit = np.zeros(samples.size, dtype=bool)
    for e in ends:
        kept[e.start_ms * 16 : e.end_ms * 16] = True
    for e in unsplit:
        kept_unsplit[e.start_ms * 16 : e.end_ms * 16] = True
    assert np.count_nonzero(kept & kept_unsplit) >= 0.98 * np.count_nonzero(kept_unsplit)


def test_max_length_reached_in_a_pause_ends_the_utterance_there(speech_dir, manifest):
    clip = clip_named(manifest, "en_ls1988_24833_0001.wav")
    samples = padded(speech_dir, clip)
    (whole,) = utterances(run(samples), samples)
    # The limit falls 210 ms after the last speech frame: inside the hangover.
    last_voiced_end_ms = whole.end_ms - VadConfig(kind="webrtc").tail_ms
    limit_s = (last_voiced_end_ms + 210 - whole.start_ms) / 1000
    events = run(samples, VadConfig(kind="webrtc", max_utterance_s=limit_s))
    (cut,) = utterances(events, samples)
    assert cut.reason == "max_length"
    assert (cut.start_ms, cut.end_ms) == (whole.start_ms, whole.end_ms)


def test_open_utterance_state_and_flush(speech_dir, manifest):
    clip = clip_named(manifest, "en_ls1988_24833_0001.wav")
    samples, _ = read_wav_int16(speech_dir / clip.audio)
    silence = np.zeros(RATE_HZ, dtype=np.int16)
    samples = samples[: 6 * RATE_HZ]  # cut mid-sentence: no closing silence
    stream = np.concatenate((silence, samples))
    segmenter = Segmenter(VadConfig(kind="webrtc"))
    seen_pause = False
    events: list[SegmentEvent] = []
    for start in range(0, stream.size, 320):
        events += segmenter.push(stream[start : start + 320])
        if segmenter.open_utterance_id is None:
            assert segmenter.utterance_audio().size == 0
            continue
        audio = segmenter.utterance_audio()
        first = segmenter.utterance_start_ms * 16
        assert np.array_equal(audio, stream[first : first + audio.size])
        assert segmenter.utterance_start_ms < segmenter.last_voiced_end_ms
        assert segmenter.last_voiced_end_ms <= segmenter.received_ms
        seen_pause |= segmenter.in_pause
    assert seen_pause  # short pauses between words run the hangover without closing
    assert [type(e) for e in events] == [SpeechStart]
    assert segmenter.open_utterance_id == 1

    last_voiced_end_ms = segmenter.last_voiced_end_ms
    (end,) = segmenter.flush()
    assert isinstance(end, SpeechEnd)
    assert (end.utterance_id, end.reason) == (1, "flush")
    assert end.end_ms == min(last_voiced_end_ms + 150, segmenter.received_ms // 30 * 30)
    assert np.array_equal(end.audio, stream[end.start_ms * 16 : end.end_ms * 16])
    assert segmenter.open_utterance_id is None
    assert not segmenter.in_pause
    assert segmenter.flush() == []

    # The segmenter goes on after a flush; ids keep counting.
    more = run_on(segmenter, np.concatenate((silence, samples, silence)))
    assert [(type(e), e.utterance_id) for e in more][:1] == [(SpeechStart, 2)]


def run_on(segmenter: Segmenter, samples: NDArray[np.int16]) -> list[SegmentEvent]:
    return segmenter.push(samples) + segmenter.flush()


def test_config_from_settings():
    settings = load_settings(
        environ={
            "PODIUM_VAD_AGGRESSIVENESS": "3",
            "PODIUM_VAD_END_MS": "600",
            "PODIUM_VAD_FOREGROUND_DB": "12",
        },
        overrides={"max_utterance_s": 12.5, "vad_frame_ms": 20},
    )
    config = VadConfig.from_settings(settings)
    assert (config.aggressiveness, config.end_ms, config.max_utterance_s) == (3, 600, 12.5)
    assert (config.frame_ms, config.start_ms, config.pre_roll_ms) == (20, 90, 300)
    assert config.foreground_db == 12.0  # as set, not FOREGROUND_DB


@pytest.mark.parametrize(
    "fields",
    [
        {"aggressiveness": 4},
        {"frame_ms": 25},
        {"start_ms": 0},
        {"end_ms": -30},
        {"pre_roll_ms": -1},
        {"max_utterance_s": 0.5},
        {"foreground_db": -1.0},
        {"sentence_end_ms": 600},
    ],
)
def test_bad_config_is_refused(fields):
    with pytest.raises(ConfigError):
        VadConfig(**fields)


@pytest.mark.parametrize("kind", ["webrtc", "silero"])
def test_foreground_gate_ends_the_utterance_while_the_room_talks_on(speech_dir, manifest, kind):
    """The person (a clip) over quieter babble (three other clips at once) that goes on after
    them: with the gate the utterance closes soon after the person's end of speech; without it
    the room holds it open until the input ends."""
    person = clip_named(manifest, "en_librispeech_quilter.wav")
    voice, _ = read_wav_int16(speech_dir / person.audio)
    lead = np.zeros(PAD_MS * RATE_HZ // 1000, dtype=np.int16)
    near = np.concatenate((lead, voice, np.zeros(4 * RATE_HZ, dtype=np.int16)))
    room = np.zeros(near.size)
    for offset_s, name in enumerate(BABBLE_TALKERS):
        talker, _ = read_wav_int16(speech_dir / clip_named(manifest, name).audio)
        looped = np.resize(np.roll(talker.astype(np.float64), -offset_s * RATE_HZ), near.size)
        room += looped / np.sqrt(np.mean(np.square(looped)))
    voice_rms = np.sqrt(np.mean(np.square(voice.astype(np.float64))))
    room *= voice_rms * 10 ** (-ROOM_BELOW_DB / 20) / np.sqrt(np.mean(np.square(room)))
    mixed = (near + room).clip(-32768, 32767).astype(np.int16)
    person_end_ms = PAD_MS + round(person.speech_end_s * 1000)

    def person_end(config: VadConfig) -> int:
        """End of the utterance the person's speech is in (where it closed: the gate keeps
        the room's speech of the hangover in the audio)."""
        events = run(mixed, config)
        ends = [e for e in events if isinstance(e, SpeechEnd) and e.start_ms < person_end_ms]
        return ends[-1].end_ms

    # Without the gate: held open to the end of input (4 s of room after the person).
    assert person_end(VadConfig(kind=kind, foreground_db=0.0)) > person_end_ms + 3500
    gated = person_end(VadConfig(kind=kind, foreground_db=FOREGROUND_DB))
    assert person_end_ms <= gated <= person_end_ms + 1000


@pytest.mark.parametrize("snr_db", [None, 10.0, 5.0])
@pytest.mark.parametrize("kind", ["webrtc", "silero"])
def test_foreground_gate_changes_nothing_in_a_quiet_or_fan_room(speech_dir, manifest, kind, snr_db):
    """Clean speech, or speech in pink noise (a fan): the room is not talking, so the gate
    never acts and the utterances are exactly those without it."""
    clip = clip_named(manifest, "en_librispeech_wizard.wav")
    samples = padded(speech_dir, clip)
    if snr_db is not None:
        pad = PAD_MS * RATE_HZ // 1000
        bounds = (pad + int(clip.speech_start_s * RATE_HZ), pad + int(clip.speech_end_s * RATE_HZ))
        noise = make_noise("pink", samples.size, np.random.default_rng(1))
        samples = mix_at_snr(samples, noise, snr_db, bounds)
    plain = utterances(run(samples, VadConfig(kind=kind, foreground_db=0.0)), samples)
    gated = utterances(run(samples, VadConfig(kind=kind, foreground_db=FOREGROUND_DB)), samples)
    assert plain and gated == plain


@pytest.mark.parametrize(
    ("variable", "value"),
    [("PODIUM_VAD_SENTENCE_END_MS", "600"), ("PODIUM_VAD_FOREGROUND_DB", "-3")],
)
def test_bad_vad_settings_name_the_setting(variable, value):
    with pytest.raises(ConfigError, match=variable):
        load_settings(environ={variable: value})


def test_a_misspelt_vad_names_the_choices():
    with pytest.raises(ConfigError, match=r"PODIUM_VAD='silerro'.*one of: webrtc, silero"):
        load_settings(environ={"PODIUM_VAD": "silerro"})
