#!/usr/bin/env bash
# The main job: install what is missing, build, then run the examples end to end: list the plugins, run an op
# of the core plugin on a sample, prepare the 3D segmentation example (dataset summary, cache, a picture of
# augmented samples), and evaluate two models' predictions (intervals, sites, comparison, HTML report). The
# default training experiment replaces this once the trainer lands.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
fuse=build/bin/fuse
echo "== fuse plugins list"
"$fuse" plugins list
echo "== z-score normalise examples/quickstart/sample.json"
"$fuse" op run fuse.ops.zscore --set 'keys=["data.image"]' --input examples/quickstart/sample.json
mkdir -p build/examples
echo "== 3D segmentation example: synthetic CT volumes and masks (examples/segmentation3d)"
build/bin/make_segmentation_volumes build/examples/segmentation3d
"$fuse" dataset summary build/examples/segmentation3d/train.csv
"$fuse" cache build examples/segmentation3d/experiment.json
"$fuse" cache info build/examples/segmentation3d/cache
"$fuse" data show examples/segmentation3d/experiment.json --split train --n 8 --plane axial \
  --out build/examples/segmentation3d/train_batch.png
echo "== evaluate two models (examples/eval)"
build/bin/make_eval_predictions build/examples
"$fuse" eval --config examples/eval/eval.json \
  --predictions build/examples/model_a.csv --predictions build/examples/model_b.csv \
  --json build/examples/eval_results.json --html build/examples/eval_report.html
