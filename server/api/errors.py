"""One place that maps errors to HTTP JSON bodies: `{"error": {"code", "message"}}`."""

from __future__ import annotations

import logging

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from server import protocol
from server.api.auth import UnauthorizedError, has_access, unauthorized
from server.errors import PodiumError
from server.session.limits import RetryLaterError

log = logging.getLogger(__name__)


def error_response(status_code: int, code: str, message: str) -> Response[bytes]:
    body = protocol.ErrorBody(error=protocol.ErrorDetail(code=code, message=message))
    return Response(
        content=protocol.encode(body), status_code=status_code, media_type=MediaType.JSON
    )


def podium_error_handler(_: Request, exc: PodiumError) -> Response[bytes]:
    response = error_response(exc.status_code, exc.code, exc.message)
    if isinstance(exc, RetryLaterError):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    if isinstance(exc, UnauthorizedError):
        response.headers["WWW-Authenticate"] = 'Bearer realm="podium"'
    return response


def http_error_handler(_: Request, exc: HTTPException) -> Response[bytes]:
    if exc.status_code >= 500:
        log.error("server error: %s", exc.detail, exc_info=exc)
    headers = exc.headers or {}
    if isinstance(exc, ValidationException):
        response = error_response(exc.status_code, "bad_request", _validation_message(exc))
    else:
        code = "not_found" if exc.status_code == 404 else f"http_{exc.status_code}"
        response = error_response(exc.status_code, code, str(exc.detail))
    response.headers.update(headers)
    return response


def internal_error_handler(_: Request, exc: Exception) -> Response[bytes]:
    # The traceback goes to the log, never to the client.
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal_error", "internal server error")


def _validation_message(exc: ValidationException) -> str:
    extra = exc.extra if isinstance(exc.extra, list) else []
    details = "; ".join(
        f"{item.get('key', '')}: {item.get('message', '')}".strip(": ")
        for item in extra
        if isinstance(item, dict)
    )
    return f"{exc.detail}: {details}" if details else str(exc.detail)


def exception_handlers(access_token: str) -> ExceptionHandlersMap:
    """The handlers for the app. With an access token, a request to an unknown `/api/` path
    without it is 401 like every other API call (a 404 would tell what exists)."""

    def http_or_unauthorized(request: Request, exc: HTTPException) -> Response[bytes]:
        if access_token and exc.status_code == 404 and not has_access(request, access_token):
            return podium_error_handler(request, unauthorized())
        return http_error_handler(request, exc)

    return {
        PodiumError: podium_error_handler,
        HTTPException: http_or_unauthorized,
        Exception: internal_error_handler,
    }
