"""The foreground gate: whether a speech frame is the person's or the room's other talkers'.

The person at the microphone is louder than the people around them. The gate follows two
levels over smoothed frames: the room's (the quietest tenth of the last ~10 s) and the
person's (the 90th percentile of their speech frames). It acts only in a room that is itself
talking and well below the person: the room level at least `separation_db` under the person,
and the frame classifier calling most of the frames on the room's side of the threshold speech.
Then a speech frame closer to the room than to the person is the room's. In a quiet room, or
one with a fan or traffic, the quiet frames are not speech, so the gate never acts and nothing
changes. Known limit (measured, README): a person reading on without pauses in a quiet room
looks like a talking room (their own soft speech is the quietest tenth, and speech), so the
gate also acts there and splits their utterances; it is off by default.

Pure and bounded: fixed-size numpy rings. Off, it costs nothing; on, about 50 µs per 32 ms
frame (two percentiles over 10 s of levels per speech frame, measured), 0.15% of a core.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

# Levels are of the mean square over this much audio: one syllable's dip does not make the
# person sound like the room.
SMOOTHING_MS = 320
# The room's level is taken over this much audio, and the person's over this much of their
# speech: long enough to span pauses, short enough to follow a room that changes.
ROOM_WINDOW_MS = 10_000
PERSON_WINDOW_MS = 10_000
ROOM_PERCENTILE = 10.0
PERSON_PERCENTILE = 90.0
# The room is talking when the classifier calls at least this share of the frames on its side
# of the threshold speech (a fan, traffic or a quiet room: few). Not nearly all: under babble
# Silero takes a few frames to call the first ones speech, and its talkers sometimes pause
# together (measured on the noise benchmark's clips: 0.9 kept the gate off for most of a 4 s
# answer, 0.75 did not; clean and pink rooms stayed off at both).
ROOM_SPEECH_SHARE = 0.75
# Where between the room's level and the person's a speech frame must be to hold an utterance
# open, and to open one.
HOLD_SHARE = 0.5
OPEN_SHARE = 0.75
# A frame with less energy than this carries no microphone signal (digital silence, a muted
# track, a stream's padding): it tells nothing about the room and is left out of its level.
SILENT_DBFS = -70.0
# The gate needs this much evidence before it can act: a few seconds of room, a second of
# the person.
MIN_ROOM_MS = 2_000
MIN_PERSON_MS = 1_000
_FULL_SCALE_SQUARED = 32768.0**2


class ForegroundGate:
    """Follows one stream's room and person levels; says which speech frames are the person's.

    `separation_db` is how far the person must be above a talking room before the gate acts
    (0: off, every speech frame is the person's). Acting, a speech frame counts as the
    person's when its level is at least half way from the room's level to the person's
    (three quarters of the way to open an utterance).
    """

    def __init__(self, separation_db: float, frame_ms: int) -> None:
        if separation_db < 0:
            raise ValueError("the foreground separation must not be negative")
        self.separation_db = separation_db
        self._energies = np.zeros(max(1, SMOOTHING_MS // frame_ms))
        self._energy_count = 0
        self._room_levels = np.zeros(ROOM_WINDOW_MS // frame_ms)
        self._room_speech = np.zeros(self._room_levels.size, dtype=bool)
        self._room_count = 0
        self._person_levels = np.zeros(PERSON_WINDOW_MS // frame_ms)
        self._person_count = 0
        self._min_room = MIN_ROOM_MS // frame_ms
        self._min_person = MIN_PERSON_MS // frame_ms
        self.level_db = -math.inf
        self.room_level_db = -math.inf
        self.person_level_db = -math.inf
        self.acting = False

    def is_foreground(self, energy: float, is_speech: bool, *, opening: bool) -> bool:
        """Whether a frame of mean square `energy` (int16 units) that the classifier calls
        `is_speech` is the person speaking (`opening`: no utterance is open, so it would open
        one); updates the levels."""
        if self.separation_db <= 0:
            return is_speech
        if _dbfs(energy) > SILENT_DBFS:
            self.level_db = self._smoothed_level_db(energy)
            _push(self._room_levels, self._room_count, self.level_db)
            self._room_speech[self._room_count % self._room_speech.size] = is_speech
            self._room_count += 1
        if not is_speech:
            return False
        self._update_acting()
        if self.acting and self.level_db < self.threshold_db(opening=opening):
            return False
        # Only the person's frames teach the person's level: while the gate acts, the room's
        # talkers do not drag it down, however long they go on.
        _push(self._person_levels, self._person_count, self.level_db)
        self._person_count += 1
        return True

    def _smoothed_level_db(self, energy: float) -> float:
        _push(self._energies, self._energy_count, energy)
        self._energy_count += 1
        filled = self._energies[: min(self._energy_count, self._energies.size)]
        return _dbfs(float(filled.mean()))

    def _update_acting(self) -> None:
        room_count = min(self._room_count, self._room_levels.size)
        person_count = min(self._person_count, self._person_levels.size)
        if room_count < self._min_room or person_count < self._min_person:
            self.acting = False
            return
        levels = self._room_levels[:room_count]
        self.room_level_db = float(np.percentile(levels, ROOM_PERCENTILE))
        self.person_level_db = float(
            np.percentile(self._person_levels[:person_count], PERSON_PERCENTILE)
        )
        if self.person_level_db - self.room_level_db < self.separation_db:
            self.acting = False
            return
        # Whether the room talks: the share of speech among the frames the gate would take
        # for the room's (not only the quietest: babble's quietest moments are where all its
        # talkers pause at once, and those are not speech).
        room_side = levels < self.threshold_db()
        self.acting = bool(self._room_speech[:room_count][room_side].mean() >= ROOM_SPEECH_SHARE)

    def threshold_db(self, *, opening: bool = False) -> float:
        """Acting, the level a speech frame needs to be the person's: half way from the room
        to the person to hold an utterance open, three quarters of the way to open one. The
        room's loudest moments pass half way when it is close (10-12 dB): they must not open
        utterances of the room's words; the person's onsets soon reach their own level, and
        the segmenter's pre-roll keeps the audio before."""
        share = OPEN_SHARE if opening else HOLD_SHARE
        return self.room_level_db + share * (self.person_level_db - self.room_level_db)


def _dbfs(energy: float) -> float:
    """The level of a mean square `energy` (int16 units) in dB below full scale."""
    return 10 * math.log10(energy / _FULL_SCALE_SQUARED + 1e-12)


def _push(ring: NDArray[np.float64], count: int, value: float) -> None:
    """Write `value` as the `count`-th entry of a ring buffer (the oldest is overwritten)."""
    ring[count % ring.size] = value
