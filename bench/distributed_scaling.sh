#!/usr/bin/env bash
# Data-parallel scaling on this machine, in one run, on the nodule3d example (8 epochs, global batch 32,
# balanced sampling, augmentation, a validation pass per epoch; the cache filled beforehand):
#   - 1 process x 1 thread against 2 processes x 1 thread: the scaling efficiency (speed-up / 2);
#   - 1 process x 2 threads against 2 processes x 1 thread: the same cores used by LibTorch's threads or by ranks.
# Also prints what each step sends (gradient bytes per all-reduce) and how long each all-reduce was waited for
# after the backward. Seconds are log.csv's per-epoch times (training and validation), summed.
#   bench/distributed_scaling.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
data=$(realpath -m build/examples/nodule3d)  # where the experiment reads its data
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT
"$build/bin/make_nodules" "$data" >/dev/null
"$build/bin/fuse" cache build examples/nodule3d/experiment.json >/dev/null
"$build/bin/fuse" run examples/nodule3d/experiment.json --out "$runs/fill" --no-progress --epochs 1 >/dev/null

seconds() { awk -F, 'NR > 1 { s += $NF } END { printf "%.2f", s }' "$1/log.csv"; }
auc() { grep -o '"auc": [0-9.]*' "$1/results.json" | head -1 | cut -d' ' -f2; }
run() {  # name, then fuse run's options
  local name=$1
  shift
  FUSE_LOG_LEVEL=info "$build/bin/fuse" run examples/nodule3d/experiment.json --out "$runs/$name" --no-progress "$@" >/dev/null 2>"$runs/$name.err"
}
run p1t1 --threads 1
run p1t2 --threads 2
run p2t1 --threads 1 --nproc 2
t11=$(seconds "$runs/p1t1") t12=$(seconds "$runs/p1t2") t21=$(seconds "$runs/p2t1")
echo "1 process x 1 thread:  $t11 s (AUC $(auc "$runs/p1t1"))"
echo "1 process x 2 threads: $t12 s (AUC $(auc "$runs/p1t2"))"
echo "2 processes x 1 thread: $t21 s (AUC $(auc "$runs/p2t1"))"
awk -v a="$t11" -v b="$t12" -v c="$t21" 'BEGIN {
  printf "scaling 1 -> 2 processes: %.2fx the speed, efficiency %.0f%%\n", a / c, 100 * a / c / 2
  printf "2 processes x 1 thread against 1 process x 2 threads: %.2fx the speed\n", b / c }'
grep -o 'distributed: .*' "$runs/p2t1.err" | sed 's/^/rank 0: /'
