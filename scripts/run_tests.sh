#!/usr/bin/env bash
# The tests: install what is missing, build with warnings as errors, run every CTest test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh -DFUSE_WERROR=ON
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --parallel "$(nproc)" --timeout 600
