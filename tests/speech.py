"""Clips from the speech set in use: `../shared/speech/` where it exists beside the checkout, else
the few vendored in `tests/data/speech/`. A test that needs what only the larger set has skips
with a message saying so; with the larger set present, a missing clip is an error."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from benchmarks.speech import DEFAULT_SPEECH_DIR, VENDORED_SPEECH_DIR, Clip

VENDORED_ONLY = DEFAULT_SPEECH_DIR == VENDORED_SPEECH_DIR
ONLY_IN_SHARED = (
    "only in the larger speech set, ../shared/speech/, which is not beside this checkout "
    "(tests/data/speech/README.md says where the clips come from)"
)


def clip_named(clips: Iterable[Clip], name: str) -> Clip:
    """The clip whose file is `name`."""
    found = next((clip for clip in clips if clip.audio == name), None)
    if found is not None:
        return found
    if VENDORED_ONLY:
        pytest.skip(f"{name} is {ONLY_IN_SHARED}")
    raise LookupError(f"{name} is not in the speech manifest {DEFAULT_SPEECH_DIR}")


def needs_shared_set(what: str) -> None:
    """Skip the calling test where only the vendored clips are here; `what` is what it needs."""
    if VENDORED_ONLY:
        pytest.skip(f"{what}: {ONLY_IN_SHARED}")
