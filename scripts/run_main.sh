#!/usr/bin/env bash
# The main job: install what is missing, build, list the plugins and run an op of the core plugin on a sample.
# (The default experiment replaces the last step once the trainer lands.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
fuse=build/bin/fuse
echo "== fuse plugins list"
"$fuse" plugins list
echo "== z-score normalise examples/quickstart/sample.json"
"$fuse" op run fuse.ops.zscore --set 'keys=["data.image"]' --input examples/quickstart/sample.json
