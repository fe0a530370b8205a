#!/usr/bin/env bash
# The nodule3d training step in FuseMedML++ (plugins over the C ABI) and in PyTorch from Python, same network,
# batch, optimiser and thread count, in one run; prints milliseconds per step and the ratio. Needs Debian's
# python3-torch (not installed by the project's scripts: the benchmark's baseline only).
#   bench/train_vs_pytorch.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "needs PyTorch for /usr/bin/python3: sudo apt-get install --no-install-recommends python3-torch" >&2
  exit 2
fi
for threads in 1 2; do
  fuse_ms=$("$build/bin/train_step_bench" --benchmark_filter="BM_FuseProtocolStep/$threads/" --benchmark_min_time=2 \
    --benchmark_repetitions=5 --benchmark_format=csv 2>/dev/null | grep '_median"' | cut -d, -f3)
  python_ms=$(/usr/bin/python3 bench/python/train_step.py "$threads")
  awk -v t="$threads" -v f="$fuse_ms" -v p="$python_ms" \
    'BEGIN { printf "%d thread(s): FuseMedML++ %.1f ms/step, PyTorch (Python) %.1f ms/step: %.2fx the steps per second\n", t, f, p, p / f }'
done
