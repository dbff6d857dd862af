"""The plumbing every Gemini call shares (the feedback's and the interviewer's).

`GeminiClient` holds the google-genai SDK client with our connection settings, retries and the
whole-call deadline, and maps every failure to a `FeedbackError` with a stable code and a message
safe to show a person; the API key never appears in one. `json_config`, `raise_if_blocked` and
`text_of` build requests and read replies the same way for every caller.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from typing import Any

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from server.config import Settings
from server.errors import ConfigError, FeedbackError

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
# Our calls declare no tools, so the SDK never needs to run any on its own.
NO_TOOLS = types.AutomaticFunctionCallingConfig(disable=True)


def _transport_errors() -> tuple[tuple[type[Exception], ...], ...]:
    """(timeouts, connect errors, other transport errors) of whichever transport the SDK uses:
    aiohttp for async calls when it is installed, else httpx2 or httpx. None is an `APIError`."""
    timeouts: list[type[Exception]] = []
    connects: list[type[Exception]] = []
    transports: list[type[Exception]] = []
    for name in ("httpx2", "httpx"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        timeouts.append(module.TimeoutException)
        connects.append(module.ConnectError)
        transports.append(module.TransportError)
    try:
        aiohttp = importlib.import_module("aiohttp")
    except ImportError:
        pass
    else:
        timeouts.append(aiohttp.ServerTimeoutError)
        connects.append(aiohttp.ClientConnectorError)
        transports.append(aiohttp.ClientError)
    return tuple(timeouts), tuple(connects), tuple(transports)


_TIMEOUT_ERRORS, _CONNECT_ERRORS, _TRANSPORT_ERRORS = _transport_errors()


class GeminiClient:
    """The google-genai client with our connection settings, deadline and error mapping.

    Close it with `aclose()` at shutdown.
    """

    def __init__(self, settings: Settings, *, retry: types.HttpRetryOptions | None = None) -> None:
        if not settings.gemini_api_key:
            raise ConfigError("Gemini needs an API key: set GEMINI_API_KEY")
        self.model = settings.gemini_model
        self.timeout_s = settings.gemini_timeout_s
        self.sdk = genai.Client(
            api_key=settings.gemini_api_key,
            vertexai=False,
            http_options=types.HttpOptions(
                base_url=settings.gemini_base_url or None,
                api_version=API_VERSION,
                timeout=max(1, round(settings.gemini_timeout_s * 1000)),  # milliseconds
                retry_options=retry or RETRY_OPTIONS,
            ),
        )

    def __repr__(self) -> str:
        return f"GeminiClient(model={self.model!r})"

    def deadline(self) -> float:
        """The event-loop time by which a call starting now must be done."""
        return asyncio.get_running_loop().time() + self.timeout_s

    async def aclose(self) -> None:
        """Close the SDK's connection pools."""
        await self.sdk.aio.aclose()
        self.sdk.close()

    async def generate_json(
        self,
        prompt: str,
        config: types.GenerateContentConfig,
        *,
        deadline: float,
        call: str,
        refusal: str,
    ) -> str:
        """The text of one non-streamed call (JSON when `config` asks for it), by `deadline`.

        `call` names the call in logs; `refusal` is the message when Gemini blocks it.
        Raises `FeedbackError`.
        """
        try:
            async with asyncio.timeout_at(deadline):
                response = await self.sdk.aio.models.generate_content(
                    model=self.model, contents=prompt, config=config
                )
        except Exception as exc:
            raise self.error(exc, call) from exc
        raise_if_blocked(response, refusal)
        return text_of(response)

    def error(self, exc: Exception, call: str) -> FeedbackError:
        """Map an SDK, transport or timeout failure to a `FeedbackError` with a safe message."""
        error = _classify(exc, self.model)
        # Only the type and status are logged: bodies may quote the request.
        log.warning("Gemini %s call failed: %s (%s)", call, error.code, type(exc).__name__)
        log.debug("Gemini %s call failed", call, exc_info=exc)
        return error


def json_config(instruction: str, schema: dict[str, Any]) -> types.GenerateContentConfig:
    """A call that must answer with JSON matching `schema` (constrained decoding)."""
    return types.GenerateContentConfig(
        system_instruction=instruction,
        response_mime_type="application/json",
        response_json_schema=schema,
        automatic_function_calling=NO_TOOLS,
    )


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
            "The connection to Gemini broke off before its reply was complete",
            code="gemini_stream_cut",
            retryable=True,
        )
    # Anything else (an unreadable response, an SDK bug) still ends in the offline fallback.
    return FeedbackError(
        f"Gemini failed ({type(exc).__name__})", code="gemini_failed", retryable=True
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


def raise_if_blocked(response: types.GenerateContentResponse, refusal: str) -> None:
    """Raise `FeedbackError(refusal, code="gemini_blocked")` when Gemini blocked the call."""
    feedback = response.prompt_feedback
    finish = response.candidates[0].finish_reason if response.candidates else None
    if (feedback is not None and feedback.block_reason is not None) or (
        str(getattr(finish, "value", finish)) in _BLOCKED_FINISH_REASONS
    ):
        raise FeedbackError(refusal, code="gemini_blocked")


def text_of(response: types.GenerateContentResponse) -> str:
    """The answer text of the first candidate, without thought summaries."""
    if not response.candidates or response.candidates[0].content is None:
        return ""
    parts = response.candidates[0].content.parts or []
    return "".join(part.text for part in parts if part.text and not part.thought)
