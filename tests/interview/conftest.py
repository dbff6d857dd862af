"""Fixtures shared by the interview tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks.fake_gemini import FakeGemini
from tests.interview.gemini_setup import KEY


@pytest.fixture
def fake() -> Iterator[FakeGemini]:
    """A fake Gemini server on 127.0.0.1 that accepts only the test key."""
    with FakeGemini(api_key=KEY) as server:
        yield server
