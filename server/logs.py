"""Log set-up for `podium serve`: one format, quiet libraries, no query strings in access lines."""

from __future__ import annotations

import logging

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# uvicorn's access records carry (client, method, path with query, HTTP version, status).
_ACCESS_PATH_ARG = 2


class DropQueryStrings(logging.Filter):
    """Logs the path of a request without its query string: a query may carry a secret (an
    access token pasted into a URL) and never belongs in a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _ACCESS_PATH_ARG:
            path = args[_ACCESS_PATH_ARG]
            if isinstance(path, str) and "?" in path:
                record.args = (
                    *args[:_ACCESS_PATH_ARG],
                    path.split("?", 1)[0] + "?…",
                    *args[_ACCESS_PATH_ARG + 1 :],
                )
        return True


def configure_logging(level: str) -> None:
    """Root logging at `level`; faster-whisper (a line per decode), httpx (a line per request to
    the speech pool) and Alembic's plugin set-up (seven lines when it is first imported) only
    from warnings up."""
    logging.basicConfig(level=level.upper(), format=LOG_FORMAT)
    for chatty in ("faster_whisper", "httpx", "alembic.runtime.plugins"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def redact_access_log() -> None:
    """Call after uvicorn configured its loggers (its dictConfig replaces handlers)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropQueryStrings) for f in access.filters):
        access.addFilter(DropQueryStrings())
