"""The foreground gate on synthetic rooms: a person (tone bursts) over quieter talkers, a
quiet room, a fan, talkers as loud as the person. The classifier's verdict is given per frame,
as Silero gives it: babble is speech, a fan is not."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from server.audio.foreground import ForegroundGate
from server.audio.vad import VadConfig
from server.errors import ConfigError

RATE_HZ = 16_000
FRAME_MS = 32
FRAME_SAMPLES = RATE_HZ * FRAME_MS // 1000
PERSON_RMS = 3000.0  # about -21 dBFS, a person close to the microphone
SEPARATION_DB = 10.0


def person(seconds: float, rng: np.random.Generator) -> NDArray[np.float64]:
    """Tone bursts: 400 ms of a 150 Hz voice with harmonics, 200 ms pause, repeated."""
    t = np.arange(round(seconds * RATE_HZ)) / RATE_HZ
    voice = sum(np.sin(2 * np.pi * 150 * k * t + rng.uniform(0, 6)) / k for k in (1, 2, 3))
    voice = voice * (t % 0.6 < 0.4)
    return voice * PERSON_RMS / np.sqrt(np.mean(np.square(voice[t % 0.6 < 0.4])))


def room(seconds: float, below_db: float, rng: np.random.Generator) -> NDArray[np.float64]:
    """Steady noise `below_db` under the person's level (talkers or a fan: the verdicts say)."""
    return rng.standard_normal(round(seconds * RATE_HZ)) * PERSON_RMS * 10 ** (-below_db / 20)


def verdicts(
    gate: ForegroundGate, samples: NDArray[np.float64], is_speech: NDArray[np.bool_]
) -> tuple[list[bool], list[bool]]:
    """Per frame: whether the gate took it for the person, and whether it was acting."""
    frames = np.clip(np.round(samples), -32768, 32767).astype(np.int16)
    foreground, acting = [], []
    for index in range(frames.size // FRAME_SAMPLES):
        frame = frames[index * FRAME_SAMPLES : (index + 1) * FRAME_SAMPLES]
        energy = float(np.mean(np.square(frame, dtype=np.float64)))
        foreground.append(gate.is_foreground(energy, bool(is_speech[index]), opening=False))
        acting.append(gate.acting)
    return foreground, acting


def frames_of(seconds: float) -> int:
    return round(seconds * 1000) // FRAME_MS


def test_room_talkers_well_below_the_person_are_not_the_person() -> None:
    """Others talk 15 dB below: 2 s of them alone, then the person for 6 s over them, then
    them alone for 20 s. Once the room is learnt the person's speech passes and the room's does
    not, however long it goes on (it does not drag the person's level down)."""
    rng = np.random.default_rng(1)
    lead, speaking, tail = 2.0, 6.0, 20.0
    background = room(lead + speaking + tail, 15.0, rng)
    voice = np.concatenate(
        (np.zeros(round(lead * RATE_HZ)), person(speaking, rng), np.zeros(round(tail * RATE_HZ)))
    )
    every_frame_speech = np.ones(frames_of(lead + speaking + tail), dtype=bool)
    gate = ForegroundGate(SEPARATION_DB, FRAME_MS)

    foreground, acting = verdicts(gate, voice + background, every_frame_speech)

    person_frames = slice(frames_of(lead + 2.0), frames_of(lead + speaking))
    assert all(acting[person_frames]) and all(foreground[person_frames])
    # The smoothing window after the person's last word, then the room alone.
    room_frames = slice(frames_of(lead + speaking + 0.4), None)
    assert all(acting[room_frames]) and not any(foreground[room_frames])
    assert gate.person_level_db - gate.room_level_db == pytest.approx(15.0, abs=3.0)


def test_digital_silence_before_the_room_does_not_keep_the_gate_off() -> None:
    """A stream that starts with padding (all zeros) says nothing about the room: counted as
    the room's quietest frames (not speech), 3 s of it would keep the gate off for 10 s. Here
    the room starts with the person, so it is learnt from its frames alone after them."""
    rng = np.random.default_rng(2)
    silence, speaking, tail = 3.0, 4.0, 3.0
    voice = np.concatenate(
        (np.zeros(round(silence * RATE_HZ)), person(speaking, rng), np.zeros(round(tail * RATE_HZ)))
    )
    background = np.concatenate(
        (np.zeros(round(silence * RATE_HZ)), room(speaking + tail, 15.0, rng))
    )
    is_speech = np.arange(frames_of(silence + speaking + tail)) >= frames_of(silence)
    foreground, _ = verdicts(ForegroundGate(SEPARATION_DB, FRAME_MS), voice + background, is_speech)
    assert not any(foreground[frames_of(silence + speaking + 1.0) :])


@pytest.mark.parametrize(
    ("below_db", "room_is_speech"),
    [
        (60.0, False),  # a quiet room
        (15.0, False),  # a fan or traffic: loud, but not speech
        (4.0, True),  # other talkers nearly as loud as the person: too close to tell apart
    ],
)
def test_the_gate_never_acts_where_it_cannot_tell_the_person_from_the_room(
    below_db: float, room_is_speech: bool
) -> None:
    rng = np.random.default_rng(3)
    voice = person(10.0, rng)
    t = np.arange(voice.size // FRAME_SAMPLES) * FRAME_MS / 1000
    is_speech = np.full(t.size, room_is_speech) | (t % 0.6 < 0.4)
    foreground, acting = verdicts(
        ForegroundGate(SEPARATION_DB, FRAME_MS), voice + room(10.0, below_db, rng), is_speech
    )
    assert not any(acting)
    assert foreground == list(is_speech)


def test_gate_off_passes_the_classifier_verdict() -> None:
    gate = ForegroundGate(0.0, FRAME_MS)
    assert [gate.is_foreground(1.0, speech, opening=True) for speech in (True, False, True)] == [
        True,
        False,
        True,
    ]
    assert not gate.acting


def test_negative_separation_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        ForegroundGate(-1.0, FRAME_MS)
    with pytest.raises(ConfigError):
        VadConfig(foreground_db=-1.0)
