"""Podium's errors, mapped to HTTP bodies and data-channel `error` events in one place each."""

from __future__ import annotations


class PodiumError(Exception):
    """Base of every error Podium raises on purpose.

    `code` is a stable machine-readable string; the message is safe to show a person.
    """

    code: str = "internal_error"
    status_code: int = 500
    retryable: bool = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ConfigError(PodiumError):
    """Bad configuration: reported as one clear line at startup."""

    code = "bad_config"


class ModelLoadError(ConfigError):
    """The speech model is missing or broken."""

    code = "model_unavailable"


class BadRequestError(PodiumError):
    """The client sent something we cannot use (4xx)."""

    code = "bad_request"
    status_code = 400


class NotFoundError(PodiumError):
    code = "not_found"
    status_code = 404


class SignalingError(BadRequestError):
    """A malformed or unusable offer."""

    code = "bad_offer"


class TranscriberError(PodiumError):
    code = "transcriber_failed"
    retryable = True


class FeedbackError(PodiumError):
    """A feedback provider failed; `retryable` says whether trying again may help."""

    code = "feedback_failed"

    def __init__(self, message: str, *, code: str | None = None, retryable: bool = False) -> None:
        super().__init__(message, code=code)
        self.retryable = retryable
