#!/usr/bin/env bash
# The GPU checks of docs/gpu.md in one call of the GPU machine, which has nvcc and PyTorch but none of our Debian
# libraries. Two steps:
#   here:            scripts/gpu_checks.sh pack   builds the CUDA tests, gpu_bench and the plugins they load
#                    (Release, no debug info: the carry limit is 64 MiB) and gathers them with the shared
#                    libraries they need into build-gpu-carry/ (ignored by git);
#   on the GPU host: scripts/gpu_checks.sh run    (repo root, carrying build-gpu-carry) runs every CUDA test,
#                    gpu_bench and the grid_sample baseline; the log and the benchmark JSON go to $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
carry=build-gpu-carry

case "${1:-}" in
pack)
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DFUSE_WITH_CUDA=ON -DFUSE_BUILD_TESTS=ON -DFUSE_BUILD_BENCH=ON >/dev/null
  cmake --build build-gpu --target cuda_support_test cuda_augment_test cuda_metrics_test gpu_bench
  rm -rf "$carry" && mkdir -p "$carry/lib"
  cp build-gpu/bin/cuda_support_test build-gpu/bin/cuda_augment_test build-gpu/bin/cuda_metrics_test build-gpu/bin/gpu_bench "$carry/"
  cp -r build-gpu/lib/fuse/plugins "$carry/plugins"
  # The libraries the GPU host lacks: everything outside the C and C++ runtimes it has (newer than ours).
  { find "$carry" -maxdepth 1 -type f -perm -u+x; find "$carry/plugins" -name '*.so'; } | xargs ldd | awk '/=> \//{print $3}' | sort -u |
    { grep -vE '/(libc|libm|libgcc_s|libstdc\+\+|ld-linux[^/]*)\.so' || true; } | xargs -r cp -L -t "$carry/lib"
  # The tests look for plugins where they were built: `run` links that path to the carried copy.
  echo "$PWD/build-gpu/lib/fuse/plugins" >"$carry/plugin_root"
  # Compressed: OpenCV's core (ops_medical's k-space) brings OpenBLAS, and the carry limit is 64 MiB.
  tar -C "$carry" -cf - lib | xz -T0 -6 >"$carry/lib.tar.xz" && rm -rf "$carry/lib"
  du -sh "$carry"
  ;;
run)
  [[ -d "$carry" ]] || { echo "no $carry here: run 'scripts/gpu_checks.sh pack' first and carry $carry" >&2; exit 2; }
  out="${OUT:-out/gpu_checks}"
  mkdir -p "$out"
  [[ -d "$carry/lib" ]] || tar -C "$carry" -xJf "$carry/lib.tar.xz"
  root=$(cat "$carry/plugin_root")
  if [[ ! -e "$root" ]]; then mkdir -p "$(dirname "$root")" && ln -s "$PWD/$carry/plugins" "$root"; fi
  export LD_LIBRARY_PATH="$PWD/$carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  (
    status=0
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || status=1
    for t in cuda_support_test cuda_augment_test cuda_metrics_test; do "$carry/$t" || status=1; done
    "$carry/gpu_bench" --benchmark_out="$out/gpu_bench.json" --benchmark_out_format=json || status=1
    python3 bench/gpu_vs_grid_sample.py || status=1
    exit $status
  ) 2>&1 | tee "$out/gpu_checks.log"  # pipefail: the script fails when a check failed
  ;;
*)
  echo "usage: scripts/gpu_checks.sh pack|run" >&2
  exit 2
  ;;
esac
