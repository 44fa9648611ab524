#!/usr/bin/env bash
# Every GPU path of the package on this machine, against the CPU path, in at most ~5 minutes:
#   bash scripts/gpu_check.sh [extra flags for python -m alphapose_ros.bench.gpu_check]
# Runs with whatever Python holds a CUDA torch (the device machine's python3, or this repository's
# venv via scripts/env.sh). Without an NVIDIA GPU it says so and exits 0.
set -u
cd "$(dirname "$0")/.."
if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "gpu_check: no NVIDIA GPU here (no nvidia-smi): nothing to check"
  exit 0
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
PY=${PYTHON:-python3}
# what the GPU machine lacks may travel as wheels in wheels/gpu (pip download them on a networked machine)
if [ -d wheels/gpu ] && ls wheels/gpu/*.whl >/dev/null 2>&1; then
  "$PY" -m pip install --no-index --no-deps -q wheels/gpu/*.whl || echo "gpu_check: some carried wheels did not install"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "${OUT:-gpu_check_out}"
exec timeout 300 "$PY" -m alphapose_ros.bench.gpu_check --json "${OUT:-gpu_check_out}/gpu_check.json" "$@"
