"""Fixtures of the speech-recognition tests: the multilingual model, assembled once."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.asr.multilingual import assemble_base_model
from server.asr.whisper import WhisperTranscriber, load_transcriber
from server.config import Settings


@pytest.fixture(scope="session")
def multilingual_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the assembled multilingual model (needs `podium[multilingual]`)."""
    data_dir = tmp_path_factory.mktemp("multilingual-data")
    assemble_base_model(data_dir)
    return data_dir


@pytest.fixture(scope="session")
def multilingual_settings(multilingual_data_dir: Path) -> Settings:
    return Settings(model="base", data_dir=str(multilingual_data_dir))


@pytest.fixture(scope="session")
def multilingual_transcriber(multilingual_settings: Settings) -> WhisperTranscriber:
    """The real multilingual model (Whisper base), loaded once for the whole run."""
    return load_transcriber(multilingual_settings)
