#!/usr/bin/env bash
# The main job: install what is missing, build, then run the default experiment end to end and the other
# examples briefly:
#   1. nodule3d (the default): make the data, train a 3D CNN (fuse run: training, validation, best-epoch
#      checkpoint, evaluation with confidence intervals, HTML report), export a bundle, predict one patch
#      with `fuse infer` and from a C++ program that embeds the model (examples/predict_app).
#   2. seg3d: summarise the data set, draw a batch after augmentation, train a 3D UNet, draw the
#      validation volumes with the worst lesion Dice and their predicted masks (per-case Dice in a CSV), choose the
#      post-processing on the validation volumes (keep the largest components where that raises the Dice), export,
#      segment a volume back onto its own grid (fuse infer), and segment the held-out test table, each volume
#      scored against its mask on its own grid (per-case Dice and HD95, means with intervals); then train a 2D
#      UNet on axial slices, compare the 3D, the 2D and their ensemble on the validation volumes (fuse
#      choose-ensemble), and segment the test table with both models (nnU-Net's 2D + 3D ensemble).
#   3. eval: compare two models' predictions (intervals, sites, paired comparison, HTML report).
#   4. the runs trained above listed side by side (fuse runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
fuse=build/bin/fuse
runs=build/runs
rm -rf "$runs"
echo "== fuse plugins list"
"$fuse" plugins list

echo "== nodule3d: make 800 synthetic CT patches, train, evaluate, export, predict"
build/bin/make_nodules build/examples/nodule3d
"$fuse" run examples/nodule3d/experiment.json --out "$runs/nodule3d" --no-progress
"$fuse" export "$runs/nodule3d" --out "$runs/nodule3d_bundle"
patch="build/examples/nodule3d/$(sed -n 2p build/examples/nodule3d/validation.csv | cut -d, -f2)"
"$fuse" infer "$runs/nodule3d_bundle" --input "$patch"
echo "-- the same patch predicted inside a C++ program (examples/predict_app, libfuse_predict)"
build/bin/predict_app "$runs/nodule3d_bundle" --input "$patch"
echo "-- a test set through the bundle: every row of a table predicted, then evaluated against its labels"
"$fuse" infer "$runs/nodule3d_bundle" --table build/examples/nodule3d/validation.csv --out "$runs/nodule3d_test" --no-progress
echo "results: $runs/nodule3d/results.json, report: $runs/nodule3d/report.html"

echo "== seg3d: synthetic CT volumes and masks, a 3D UNet, labels written back onto the input's grid"
build/bin/make_segmentation_volumes build/examples/seg3d
"$fuse" dataset summary build/examples/seg3d/train.csv
"$fuse" data show examples/seg3d/experiment.json --split train --n 8 --plane axial \
  --out build/examples/seg3d/train_batch.png
"$fuse" run examples/seg3d/experiment.json --out "$runs/seg3d" --no-progress
"$fuse" show-results examples/seg3d/experiment.json "$runs/seg3d" --lowest lesion_dice --n 4 \
  --out "$runs/seg3d_worst.png" --csv "$runs/seg3d_cases.csv"
"$fuse" choose-postprocess examples/seg3d/experiment.json "$runs/seg3d"
"$fuse" export "$runs/seg3d" --out "$runs/seg3d_bundle"
"$fuse" infer "$runs/seg3d_bundle" --input build/examples/seg3d/images/case03_ct.nii.gz \
  --output "$runs/case03_segmentation.nii.gz"
echo "-- the held-out test volumes segmented and scored against their masks on their own grids"
"$fuse" infer "$runs/seg3d_bundle" --table build/examples/seg3d/test.csv --out "$runs/seg3d_test" --no-progress
echo "-- the same segmentations scored as any tool's would be: folder against folder, every class"
"$fuse" eval-seg --pred "$runs/seg3d_test" --ref build/examples/seg3d/test --ref-pattern '*_mask.nii.gz' \
  --num-classes 3 --out "$runs/seg3d_test_scores" --no-progress
echo "-- nnU-Net's 2D + 3D ensemble: a 2D UNet on axial slices; the 3D, the 2D and the two averaged compared on the"
echo "   validation volumes (and the post-processing chosen for the best); then both models on the test volumes"
"$fuse" run examples/seg3d/slices2d.json --out "$runs/seg3d_slices" --no-progress
"$fuse" choose-ensemble examples/seg3d/experiment.json "$runs/seg3d" examples/seg3d/slices2d.json "$runs/seg3d_slices" \
  --out "$runs/seg3d_ensemble_choice.json" --no-progress
"$fuse" export "$runs/seg3d" --out "$runs/seg3d_ensemble/3d"
"$fuse" export "$runs/seg3d_slices" --out "$runs/seg3d_ensemble/2d"
"$fuse" infer "$runs/seg3d_ensemble/3d" "$runs/seg3d_ensemble/2d" --table build/examples/seg3d/test.csv \
  --out "$runs/seg3d_ensemble_test" --no-progress

echo "== eval: two models' predictions compared"
build/bin/make_eval_predictions build/examples
"$fuse" eval --config examples/eval/eval.json \
  --predictions build/examples/model_a.csv --predictions build/examples/model_b.csv \
  --json build/examples/eval_results.json --html build/examples/eval_report.html

echo "== the runs trained above, side by side"
"$fuse" runs "$runs"
