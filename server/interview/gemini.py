"""Interview feedback from Gemini (google-genai): streamed prose plus structured rubric scores.

Two calls run concurrently for each answer: a streamed call writes the prose (each text delta
becomes a `FeedbackChunk` at once), and a non-streamed call returns the rubric scores as JSON
constrained by a schema derived from our `Scores` type. The first chunk waits for one call only,
and the result is ready when the prose ends instead of one more round trip later; numbers live
only in the structured scores, so the prose (told not to print scores) cannot contradict them.

Every failure becomes a `FeedbackError` with a stable code and a message safe to show a person;
the API key never appears in one.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any, cast

import msgspec
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from server.config import Settings
from server.errors import ConfigError, FeedbackError
from server.interview.prompts import (
    PROSE_INSTRUCTION,
    SCORES_INSTRUCTION,
    build_answer_prompt,
    scores_json_schema,
)
from server.interview.rubric import RUBRIC_VERSION, overall_score
from server.interview.types import FeedbackChunk, FeedbackRequest, FeedbackResult, Scores

log = logging.getLogger(__name__)

API_VERSION = "v1beta"
# The SDK retries nothing unless told. Retries wrap only the opening of a request (before any
# body is read), so a retried stream never repeats text already yielded; a stream that breaks
# after it started is reported, not retried, because its text was already shown.
RETRY_OPTIONS = types.HttpRetryOptions(
    attempts=3,
    initial_delay=0.25,
    max_delay=2.0,
    exp_base=2.0,
    jitter=0.25,
    http_status_codes=[408, 429, 500, 502, 503, 504],
)
_BLOCKED_FINISH_REASONS = {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION"}


def _transport_errors() -> tuple[tuple[type[Exception], ...], ...]:
    """(timeouts, connect errors, other transport errors) of httpx2 and httpx, whichever the SDK
    was built on: neither is an `APIError`."""
    modules = []
    for name in ("httpx2", "httpx"):
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            continue
    return (
        tuple(m.TimeoutException for m in modules),
        tuple(m.ConnectError for m in modules),
        tuple(m.TransportError for m in modules),
    )


_TIMEOUT_ERRORS, _CONNECT_ERRORS, _TRANSPORT_ERRORS = _transport_errors()


class GeminiFeedback:
    """A `FeedbackProvider` backed by the Gemini API. Close it with `aclose()` at shutdown."""

    name = "gemini"

    def __init__(self, settings: Settings, *, retry: types.HttpRetryOptions | None = None) -> None:
        if not settings.gemini_api_key:
            raise ConfigError("Gemini feedback needs an API key: set GEMINI_API_KEY")
        self.model = settings.gemini_model
        self._timeout_s = settings.gemini_timeout_s
        self._client = genai.Client(
            api_key=settings.gemini_api_key,
            vertexai=False,
            http_options=types.HttpOptions(
                base_url=settings.gemini_base_url or None,
                api_version=API_VERSION,
                timeout=max(1, round(settings.gemini_timeout_s * 1000)),  # milliseconds
                retry_options=retry or RETRY_OPTIONS,
            ),
        )
        no_tools = types.AutomaticFunctionCallingConfig(disable=True)
        self._prose_config = types.GenerateContentConfig(
            system_instruction=PROSE_INSTRUCTION, automatic_function_calling=no_tools
        )
        self._scores_config = types.GenerateContentConfig(
            system_instruction=SCORES_INSTRUCTION,
            response_mime_type="application/json",
            response_json_schema=scores_json_schema(),
            automatic_function_calling=no_tools,
        )

    def __repr__(self) -> str:
        return f"GeminiFeedback(model={self.model!r})"

    async def aclose(self) -> None:
        """Close the SDK's connection pools."""
        await self._client.aio.aclose()
        self._client.close()

    async def stream(
        self, request: FeedbackRequest
    ) -> AsyncIterator[FeedbackChunk | FeedbackResult]:
        """Yield prose chunks as Gemini writes them, then one `FeedbackResult`.

        The whole feedback must finish within `gemini_timeout_s`. Raises `FeedbackError`.
        """
        # Deadlines are applied per await, never across a `yield`: a timeout scope spanning a
        # yield would fire inside the consumer's code.
        deadline = asyncio.get_running_loop().time() + self._timeout_s
        prompt = build_answer_prompt(request)
        scores_task = asyncio.create_task(self._scores(prompt, deadline), name="gemini-scores")
        try:
            parts: list[str] = []
            async with aclosing(self._prose(prompt, deadline)) as prose:
                async for text in prose:
                    parts.append(text)
                    yield FeedbackChunk(text=text)
            if not "".join(parts).strip():
                raise FeedbackError(
                    "Gemini returned no feedback text", code="gemini_empty", retryable=True
                )
            scores = await scores_task
        finally:
            await _settle(scores_task)
        yield FeedbackResult(
            text="".join(parts),
            scores=scores,
            overall=overall_score(scores),
            provider=self.name,
            model=self.model,
            rubric_version=RUBRIC_VERSION,
        )

    async def _prose(self, prompt: str, deadline: float) -> AsyncGenerator[str, None]:
        stream: AsyncGenerator[types.GenerateContentResponse, None] | None = None
        try:
            async with asyncio.timeout_at(deadline):
                stream = cast(
                    AsyncGenerator[types.GenerateContentResponse, None],
                    await self._client.aio.models.generate_content_stream(
                        model=self.model, contents=prompt, config=self._prose_config
                    ),
                )
            while True:
                async with asyncio.timeout_at(deadline):
                    try:
                        response = await anext(stream)
                    except StopAsyncIteration:
                        return
                _raise_if_blocked(response)
                text = _text_of(response)
                if text:
                    yield text
        except FeedbackError:
            raise
        except Exception as exc:
            raise self._feedback_error(exc, "prose") from exc
        finally:
            if stream is not None:
                await stream.aclose()

    async def _scores(self, prompt: str, deadline: float) -> Scores:
        try:
            async with asyncio.timeout_at(deadline):
                response = await self._client.aio.models.generate_content(
                    model=self.model, contents=prompt, config=self._scores_config
                )
        except Exception as exc:
            raise self._feedback_error(exc, "scores") from exc
        _raise_if_blocked(response)
        return decode_scores(_text_of(response))

    def _feedback_error(self, exc: Exception, call: str) -> FeedbackError:
        """Map an SDK, transport or timeout failure to a `FeedbackError` with a safe message."""
        error = _classify(exc, self.model)
        # Only the type and status are logged: bodies may quote the request.
        log.warning("Gemini %s call failed: %s (%s)", call, error.code, type(exc).__name__)
        log.debug("Gemini %s call failed", call, exc_info=exc)
        return error


def decode_scores(text: str | None) -> Scores:
    """Decode Gemini's JSON scores, clamping each dimension into 1-5."""
    if not text:
        raise FeedbackError("Gemini returned no scores", code="gemini_bad_scores", retryable=True)
    try:
        raw = msgspec.json.decode(text, type=Scores, strict=False)
    except msgspec.DecodeError:
        raise FeedbackError(
            "Gemini returned scores we could not read", code="gemini_bad_scores", retryable=True
        ) from None
    clamped = {k: min(5, max(1, v)) for k, v in msgspec.structs.asdict(raw).items()}
    return Scores(**clamped)


def _classify(exc: Exception, model: str) -> FeedbackError:
    if isinstance(exc, genai_errors.APIError):
        return _api_error(exc, model)
    if isinstance(exc, (TimeoutError, *_TIMEOUT_ERRORS)):
        return FeedbackError(
            "Gemini took too long to answer", code="gemini_timeout", retryable=True
        )
    if isinstance(exc, _CONNECT_ERRORS):
        return FeedbackError("Could not reach Gemini", code="gemini_unreachable", retryable=True)
    if isinstance(exc, _TRANSPORT_ERRORS):
        return FeedbackError(
            "The connection to Gemini broke off before the feedback was complete",
            code="gemini_stream_cut",
            retryable=True,
        )
    # Anything else (an unreadable response, an SDK bug) still ends in the offline fallback.
    return FeedbackError(
        f"Gemini feedback failed ({type(exc).__name__})", code="gemini_failed", retryable=True
    )


def _api_error(exc: genai_errors.APIError, model: str) -> FeedbackError:
    status = exc.code
    if status in (401, 403) or _is_bad_key(exc):
        return FeedbackError("Gemini rejected the API key", code="gemini_auth")
    if status == 429:
        return FeedbackError(
            "Gemini quota exceeded, try again later", code="gemini_quota", retryable=True
        )
    if status == 404:
        return FeedbackError(f"Gemini has no model named {model!r}", code="gemini_bad_model")
    if status == 408 or status >= 500:
        return FeedbackError(
            "Gemini is unavailable right now, try again later",
            code="gemini_unavailable",
            retryable=True,
        )
    return FeedbackError(f"Gemini rejected the request (HTTP {status})", code="gemini_rejected")


def _is_bad_key(exc: genai_errors.APIError) -> bool:
    """Gemini answers a wrong key with 400 INVALID_ARGUMENT and reason API_KEY_INVALID."""
    details: Any = exc.details.get("error", {}) if isinstance(exc.details, dict) else {}
    reasons = [d.get("reason") for d in details.get("details") or [] if isinstance(d, dict)]
    return "API_KEY_INVALID" in reasons


def _raise_if_blocked(response: types.GenerateContentResponse) -> None:
    feedback = response.prompt_feedback
    finish = response.candidates[0].finish_reason if response.candidates else None
    if (feedback is not None and feedback.block_reason is not None) or (
        str(getattr(finish, "value", finish)) in _BLOCKED_FINISH_REASONS
    ):
        raise FeedbackError(
            "Gemini declined to give feedback on this answer", code="gemini_blocked"
        )


def _text_of(response: types.GenerateContentResponse) -> str:
    """The answer text of the first candidate, without thought summaries."""
    if not response.candidates or response.candidates[0].content is None:
        return ""
    parts = response.candidates[0].content.parts or []
    return "".join(part.text for part in parts if part.text and not part.thought)


async def _settle(task: asyncio.Task[Any]) -> None:
    """Cancel `task` if it still runs and wait for it, leaving its outcome retrieved."""
    if not task.done():
        task.cancel()
        await asyncio.wait([task])
    if not task.cancelled():
        task.exception()
