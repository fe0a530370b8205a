#!/usr/bin/env bash
# The tests under AddressSanitizer and UndefinedBehaviorSanitizer (in ./build-asan): any out-of-bounds access,
# use after free or undefined arithmetic stops its test with a report. Slower than scripts/run_tests.sh (the
# build takes about twice as long), so not part of CI; run it before a release and after touching memory code.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
export BUILD_DIR="${BUILD_DIR:-build-asan}"
# CUDA sources are not instrumented, and the CUDA twins skip without a GPU anyway; benchmarks are not tests.
scripts/build.sh -DFUSE_SANITIZE=address,undefined -DFUSE_WITH_CUDA=OFF -DFUSE_BUILD_BENCH=OFF
cd "$BUILD_DIR"
# Leaks are not checked: LibTorch, OpenBLAS and the plugins' static state live until exit by design.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
ctest --output-on-failure --parallel "$(nproc)" --timeout 1800
