"""Fixtures shared by the whole suite: the speech set, the real model, a task-leak guard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from benchmarks.speech import DEFAULT_SPEECH_DIR, Clip, load_manifest

SPEECH_DIR = DEFAULT_SPEECH_DIR


@pytest.fixture(scope="session")
def speech_dir() -> Path:
    if not (SPEECH_DIR / "manifest.jsonl").exists():
        pytest.fail(f"speech set not found at {SPEECH_DIR}: the suite needs ../shared/speech/")
    return SPEECH_DIR


@pytest.fixture(scope="session")
def manifest(speech_dir: Path) -> list[Clip]:
    return load_manifest(speech_dir / "manifest.jsonl")


@pytest.fixture(scope="session")
def english_clips(manifest: list[Clip]) -> list[Clip]:
    return [clip for clip in manifest if clip.language == "en"]


@pytest.fixture(scope="session")
def transcriber():  # noqa: ANN201
    """The real bundled model (tiny.en, CPU), loaded once for the whole run."""
    from server.asr.whisper import load_transcriber
    from server.config import load_settings

    return load_transcriber(load_settings(environ={}))


@pytest.fixture(autouse=True)
async def _no_leaked_tasks() -> AsyncIterator[None]:
    """Fail a test that leaves asyncio tasks running: every task needs an owner that ends it."""
    before = asyncio.all_tasks()
    yield
    await asyncio.sleep(0)
    current = asyncio.current_task()
    leaked = [t for t in asyncio.all_tasks() - before if not t.done() and t is not current]
    for task in leaked:
        task.cancel()
    assert not leaked, f"test leaked tasks: {[t.get_coro() for t in leaked]}"
