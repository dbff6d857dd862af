"""The speech models a server holds: the main one, and a multilingual one loaded on first need.

The main model (tiny.en by default) is the fast path for English. A session in another language,
or in "auto", needs a multilingual model: it is loaded once, in a worker thread, when the first
such session asks, and kept. A language no model here can serve is refused before the session
starts (`unsupported_language`), never found out mid-session.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
from faster_whisper.tokenizer import _LANGUAGE_CODES

from server.asr.multilingual import INSTALL_HINT
from server.asr.types import Transcriber
from server.asr.whisper import load_transcriber
from server.config import Settings
from server.errors import BadRequestError, ModelLoadError

log = logging.getLogger(__name__)

AUTO = "auto"
# The codes Whisper has a language token for (faster-whisper raises on any other).
WHISPER_LANGUAGES = frozenset(_LANGUAGE_CODES)


class UnsupportedLanguageError(BadRequestError):
    """No model of this server can transcribe the language a session asked for."""

    code = "unsupported_language"


def multilingual_loader(settings: Settings, model: str) -> Callable[[], Transcriber] | None:
    """Loads `model` (e.g. "base") with the other speech settings as they are, warmed up; None
    when `model` is "" (English only)."""
    if not model.strip():
        return None
    multilingual_settings = msgspec.structs.replace(settings, model=model)

    def load() -> Transcriber:
        transcriber = load_transcriber(multilingual_settings)
        transcriber.warm_up()
        return transcriber

    return load


class TranscriberPool:
    """The main transcriber and, loaded lazily by `load_multilingual`, a multilingual one."""

    def __init__(
        self, main: Transcriber, *, load_multilingual: Callable[[], Transcriber] | None = None
    ) -> None:
        self.main = main
        self._load = load_multilingual
        self._multilingual: Transcriber | None = main if main.multilingual else None
        self._failure: str | None = None
        self._load_growth_bytes: int | None = None
        self._lock = threading.Lock()
        self._loading: asyncio.Future[Transcriber] | None = None

    @property
    def multilingual(self) -> Transcriber | None:
        """The multilingual transcriber if one is loaded (the main one if it is multilingual)."""
        return self._multilingual

    async def for_language(self, language: str) -> Transcriber:
        """The transcriber for a session in `language` (a Whisper code such as "de", or "auto").

        Loads the multilingual model on first need (seconds, in a worker thread; callers at the
        same time share the one load). Raises `UnsupportedLanguageError` (a 400) when the
        language cannot be served.
        """
        if language != AUTO and language not in WHISPER_LANGUAGES:
            raise UnsupportedLanguageError(
                f"speech recognition does not know the language {language!r}; use 'auto' or "
                "one of Whisper's codes such as 'en', 'de', 'pt'"
            )
        if language == "en":
            return self.main
        if self._multilingual is not None:
            return self._multilingual
        if self._load is None:
            raise UnsupportedLanguageError(
                f"the model {self.main.model_name} is English only; to use {language!r}, start "
                f"the server with the multilingual model available ({INSTALL_HINT})"
            )
        if self._loading is None:
            # Shared and shielded: a caller that goes away does not cancel the load for others.
            self._loading = asyncio.get_running_loop().run_in_executor(None, self.load_multilingual)
            # Read the outcome even if every caller went away, so a failure is never left unread.
            self._loading.add_done_callback(lambda done: done.cancelled() or done.exception())
        try:
            return await asyncio.shield(self._loading)
        except ModelLoadError:
            raise UnsupportedLanguageError(
                f"{language!r} needs the multilingual model, which is not available: "
                f"{self._failure}"
            ) from None

    def load_multilingual(self) -> Transcriber:
        """Load the multilingual model now if it is not loaded (blocking; once, however many
        threads ask). Raises `ModelLoadError`, the same one each time after a failed load."""
        with self._lock:
            if self._multilingual is not None:
                return self._multilingual
            if self._failure is not None or self._load is None:
                raise ModelLoadError(self._failure or "no multilingual model is configured")
            before = rss_bytes()
            try:
                loaded = self._load()
            except Exception as exc:
                # Remembered: a broken or missing model stays so until the server restarts.
                self._failure = (
                    exc.message
                    if isinstance(exc, ModelLoadError)
                    else f"loading failed ({type(exc).__name__}: {exc})".splitlines()[0]
                )
                log.error("multilingual model unavailable: %s", self._failure)
                raise ModelLoadError(self._failure) from None
            after = rss_bytes()
            if before is not None and after is not None:
                self._load_growth_bytes = max(0, after - before)
            log.info("multilingual model %s loaded", loaded.model_name)
            self._multilingual = loaded
            return loaded

    def describe(self) -> dict[str, Any]:
        """For health: each model held, whether other languages can be served, and memory: the
        process's resident memory now, and how much loading the multilingual model added
        (approximate: sessions allocate meanwhile, and the allocator keeps some freed memory)."""
        models = [_describe(self.main, role="main")]
        if self._multilingual is not None and self._multilingual is not self.main:
            models.append(_describe(self._multilingual, role="multilingual"))
        if self._multilingual is not None:
            multilingual = "loaded"
        elif self._failure is not None:
            multilingual = "unavailable"
        elif self._load is None:
            multilingual = "none"
        else:
            multilingual = "loading" if self._loading is not None else "not loaded"
        described: dict[str, Any] = {"models": models, "multilingual": multilingual}
        if self._failure is not None:
            described["multilingual_error"] = self._failure
        described["process_rss_mb"] = _megabytes(rss_bytes())
        described["multilingual_load_rss_mb"] = _megabytes(self._load_growth_bytes)
        return described


def rss_bytes() -> int | None:
    """This process's resident memory, where the system tells it (Linux); else None."""
    try:
        resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def _megabytes(size_bytes: int | None) -> int | None:
    return None if size_bytes is None else round(size_bytes / 1e6)


def _describe(transcriber: Transcriber, *, role: str) -> dict[str, Any]:
    return {
        "role": role,
        "name": transcriber.model_name,
        "device": transcriber.device,
        "compute_type": transcriber.compute_type,
        "multilingual": transcriber.multilingual,
    }
