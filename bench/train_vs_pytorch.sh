#!/usr/bin/env bash
# FuseMedML++ against PyTorch from Python, in one run, on the nodule3d example:
#   1. the training step alone (same network, batch, optimiser and threads): bench/train_step_bench.cc against
#      bench/python/train_step.py;
#   2. the whole run, 8 epochs with augmentation, balanced sampling and a validation pass per epoch: `fuse run
#      examples/nodule3d/experiment.json` (log.csv's seconds, cache already filled) against the same experiment
#      as an idiomatic PyTorch program (bench/python/train_nodule3d.py: data in memory, DataLoader with 2 workers).
# Prints milliseconds per step or steps per second, and the ratios. Needs Debian's python3-torch (the baseline
# only; the project's scripts do not install it).
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
    --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true --benchmark_format=csv 2>/dev/null | grep '_median"' | cut -d, -f3)
  python_ms=$(/usr/bin/python3 bench/python/train_step.py "$threads")
  awk -v t="$threads" -v f="$fuse_ms" -v p="$python_ms" \
    'BEGIN { printf "step, %d thread(s): FuseMedML++ %.1f ms, PyTorch (Python) %.1f ms: %.2fx the steps per second\n", t, f, p, p / f }'
done

# Where examples/nodule3d/experiment.json reads its data (whatever BUILD_DIR is); absolute for the Python side.
data=$(realpath -m build/examples/nodule3d)
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT
"$build/bin/make_nodules" "$data" >/dev/null
# Fill the cache first (training samples; the one-epoch run adds the validation ones), as the Python program
# reads every patch into memory before it starts its clock.
"$build/bin/fuse" cache build examples/nodule3d/experiment.json >/dev/null
"$build/bin/fuse" run examples/nodule3d/experiment.json --out "$runs/fill" --no-progress --epochs 1 >/dev/null
"$build/bin/fuse" run examples/nodule3d/experiment.json --out "$runs/timed" --no-progress >/dev/null
rows=$(($(wc -l < "$data/train.csv") - 1))
fuse_rate=$(awk -F, -v rows="$rows" 'NR > 1 { s += $NF; n++ } END { printf "%.3f", n * int((rows + 31) / 32) / s }' "$runs/timed/log.csv")
read -r python_rate python_seconds python_auc < <(cd bench/python && /usr/bin/python3 train_nodule3d.py "$data" 8)
fuse_auc=$(grep -o '"auc": [0-9.]*' "$runs/timed/results.json" | head -1 | cut -d' ' -f2)
awk -v f="$fuse_rate" -v p="$python_rate" -v fa="$fuse_auc" -v pa="$python_auc" \
  'BEGIN { printf "whole run, 2 threads: FuseMedML++ %.2f steps/s (best validation AUC %s), PyTorch (Python) %.2f steps/s (%s): %.2fx\n", f, fa, p, pa, f / p }'
