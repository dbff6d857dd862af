"""Shared setup for tests driving the real google-genai SDK against the fake Gemini server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

from google.genai import types

from benchmarks.fake_gemini import Behaviour, FakeGemini
from server.config import Settings, load_settings
from server.errors import FeedbackError
from server.llm.feedback import GeminiFeedback
from server.llm.interviewer import GeminiInterviewer

KEY = "sk-test-5b61e0c2a9d743"  # a secret that must never be echoed anywhere
# Retries as in production (statuses, attempts) but with tiny waits, to keep failing tests short.
FAST_RETRY = types.HttpRetryOptions(
    attempts=2, initial_delay=0.01, max_delay=0.02, jitter=0.0, http_status_codes=[429, 500, 503]
)
# HTTP errors every Gemini call maps the same way (server.interview.gemini_client):
# kind -> (behaviour, code, retryable, requests the fake sees for the call: retried or not).
HTTP_FAILURES: dict[str, tuple[Behaviour, str, bool, int | None]] = {
    "401": (Behaviour(error_status=401), "gemini_auth", False, 1),
    "404": (Behaviour(error_status=404), "gemini_bad_model", False, 1),
    "429": (Behaviour(error_status=429), "gemini_quota", True, 2),
    "500": (Behaviour(error_status=500), "gemini_unavailable", True, 2),
}

# Gemini's whole-call limit in these tests: generous where the fake answers (on a busy machine a
# reply must not turn into a timeout), short only where it never answers, so nothing races it.
ANSWERED_TIMEOUT_S = 60.0
UNANSWERED_TIMEOUT_S = 0.4
NEVER_S = 3600.0  # a delay the fake never gets to the end of (it is woken when it closes)

Client = TypeVar("Client", GeminiFeedback, GeminiInterviewer)


def timeout_for(behaviour: Behaviour) -> float:
    """The call limit for a test of `behaviour`: short only if the fake will never answer."""
    never = behaviour.hang or behaviour.first_chunk_delay_s >= NEVER_S
    return UNANSWERED_TIMEOUT_S if never else ANSWERED_TIMEOUT_S


def settings_for(fake: FakeGemini, **overrides: object) -> Settings:
    """Settings that point at `fake` with the test key; `overrides` win over the defaults."""
    values = {
        "gemini_api_key": KEY,
        "gemini_base_url": fake.base_url,
        "gemini_timeout_s": ANSWERED_TIMEOUT_S,
    }
    return load_settings(environ={}, overrides={**values, **overrides})


@asynccontextmanager
async def opened(
    client: type[Client],
    fake: FakeGemini,
    *,
    retry: types.HttpRetryOptions | None = FAST_RETRY,
    **overrides: object,
) -> AsyncIterator[Client]:
    """A Gemini client on `fake` (settings as `settings_for`), closed on the way out.

    `retry=None` keeps the production retry policy.
    """
    gemini = client(settings_for(fake, **overrides), retry=retry)
    try:
        yield gemini
    finally:
        await gemini.aclose()


def assert_no_secret(error: BaseException) -> None:
    """Fail if the key shows in the error, its message or anything in its cause chain."""
    seen = [str(error), repr(error), getattr(error, "message", "")]
    cause = error.__cause__
    while cause is not None:
        seen += [str(cause), repr(cause)]
        cause = cause.__cause__
    assert all(KEY not in text for text in seen)


def assert_clean_failure(error: FeedbackError, code: str, retryable: bool) -> None:
    """Check the code and retry hint, and that the message is ours: no fake internals, no key."""
    assert (error.code, error.retryable) == (code, retryable)
    assert error.message and "scripted failure" not in error.message
    assert_no_secret(error)
