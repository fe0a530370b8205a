#include "fuse/train/reference_evaluation.h"

#include "fuse/train/mask_folders.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "test_support.h"

namespace fuse::train {
namespace {

namespace fs = std::filesystem;
using fuse::testing::built_plugins;
using fuse::testing::error_of;
using fuse::testing::fresh_dir;

// A 10 x 10 x `nz` label map (file order x, y, z) holding `label` in the box x in [x0, x0 + 4), y and z in
// [2, 6), written with its spacing as a NIfTI file.
std::string write_box(const fs::path& file, int64_t x0, std::vector<double> spacing, int64_t nz = 10, uint8_t label = 1) {
  Tensor map = Tensor::zeros({1, nz, 10, 10}, sdk::kUInt8);
  uint8_t* m = map.mutable_data<uint8_t>();
  for (int64_t z = 2; z < 6; ++z)
    for (int64_t y = 2; y < 6; ++y)
      for (int64_t x = x0; x < x0 + 4; ++x) m[(z * 10 + y) * 10 + x] = label;
  NDict s;
  s.set("v", map);
  s.set("v_meta.size", Value(List{Value(int64_t{10}), Value(int64_t{10}), Value(nz)}));
  List sp;
  for (double v : spacing) sp.emplace_back(v);
  s.set("v_meta.spacing", Value(sp));
  s.set("v_meta.origin", Value(List{Value(0.0), Value(0.0), Value(0.0)}));
  List direction;
  for (double v : {1, 0, 0, 0, 1, 0, 0, 0, 1}) direction.emplace_back(v);
  s.set("v_meta.direction", Value(direction));
  s.set("path", file.string());
  Op writer = built_plugins().create_op("fuse.io.write_medical", boost::json::parse(R"({"key": "v", "geometry": "current", "path": "{path}"})").as_object());
  writer.forward(s);
  return file.string();
}

// An experiment whose inference writes model.seg to the output path, scored by Dice and Hausdorff; the
// metrics' spacing is the resampled grid's (9 mm), which the reference evaluation must not use.
Experiment segmentation_experiment() {
  Experiment e;
  data::Step write;
  write.op = "fuse.io.write_medical";
  write.config = boost::json::parse(R"({"key": "model.seg", "path": "{data.output_path}", "label": true})").as_object();
  e.inference.write = {write};
  for (const auto& [name, output] : {std::pair<std::string, std::string>{"dice", "mean_dice"}, {"hd", "mean_hd"}}) {
    MetricSpec m;
    m.name = name;
    m.component = "fuse.metrics.segmentation";
    m.config = boost::json::parse(R"({"pred": "model.seg", "target": "data.seg", "num_classes": 2, "spacing": [9, 9, 9]})").as_object();
    m.output = output;
    m.train = false;
    m.where = "experiment.json:1:1";
    e.metrics.push_back(m);
  }
  MetricSpec other;  // on another key: not scored against the reference
  other.name = "auc";
  other.component = "fuse.metrics.auc";
  other.config = boost::json::parse(R"({"pred": "model.score", "target": "data.label"})").as_object();
  e.metrics.push_back(other);
  return e;
}

TEST(ReferenceEvaluation, ScoresEachCaseOnItsOwnGridAndAveragesOverCases) {
  const fs::path dir = fresh_dir("reference_evaluation");
  ReferenceEvaluation r(built_plugins(), segmentation_experiment(), "data.mask", "inference.reference");
  // Case a: the prediction one voxel along x off its reference, voxels 2 mm wide along x: Dice 2 * 48 / 128,
  // Hausdorff 2 mm. Case b: exact, on another spacing.
  r.add(write_box(dir / "a_pred.nii.gz", 3, {2, 1, 1}), write_box(dir / "a_ref.nii.gz", 2, {2, 1, 1}));
  r.add(write_box(dir / "b_pred.nii.gz", 2, {0.5, 0.5, 3}), write_box(dir / "b_ref.nii.gz", 2, {0.5, 0.5, 3}));
  EXPECT_EQ(r.cases(), 2u);
  const std::vector<std::vector<double>> cases = r.per_case();
  EXPECT_EQ(r.names(), (std::vector<std::string>{"dice", "hd"}));
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_DOUBLE_EQ(cases[0][0], 0.75);
  EXPECT_DOUBLE_EQ(cases[0][1], 2.0);
  EXPECT_DOUBLE_EQ(cases[1][0], 1.0);
  EXPECT_DOUBLE_EQ(cases[1][1], 0.0);
  eval::CiSpec ci;
  ci.rounds = 200;
  ci.seed = 3;
  const boost::json::object results = r.results(ci);
  EXPECT_DOUBLE_EQ(results.at("dice").at("value").as_double(), 0.875);
  EXPECT_DOUBLE_EQ(results.at("hd").at("value").as_double(), 1.0);
  // Two cases: replicates of 0.75, 0.875 or 1 (both a, a and b, both b).
  const boost::json::object& dice_ci = results.at("dice").at("ci").as_object();
  EXPECT_DOUBLE_EQ(dice_ci.at("lower").as_double(), 0.75);
  EXPECT_DOUBLE_EQ(dice_ci.at("upper").as_double(), 1.0);
  EXPECT_EQ(dice_ci.at("rounds").as_int64(), 200);
  EXPECT_EQ(dice_ci.at("method").as_string(), "percentile");
  EXPECT_EQ(r.results(ci), results);  // the same seed, the same intervals
  ci.method = "bca";
  EXPECT_TRUE(r.results(ci).at("hd").as_object().contains("ci"));
  EXPECT_FALSE(r.results(eval::CiSpec{}).at("dice").as_object().contains("ci"));
}

TEST(ReferenceEvaluation, RefusesAReferenceOnAnotherGrid) {
  const fs::path dir = fresh_dir("reference_evaluation_grids");
  ReferenceEvaluation r(built_plugins(), segmentation_experiment(), "data.mask", "inference.reference");
  const std::string pred = write_box(dir / "pred.nii.gz", 2, {1, 1, 2});
  const std::string shorter = write_box(dir / "shorter.nii.gz", 2, {1, 1, 2}, 8);
  EXPECT_EQ(error_of([&] { r.add(pred, shorter); }), "the reference data.mask '" + shorter + "' and the prediction '" + pred +
                                                         "' lie on different grids (size [10, 10, 10] against [10, 10, 8]): a reference must be on its input's grid");
  const std::string finer = write_box(dir / "finer.nii.gz", 2, {1, 1, 1});
  EXPECT_EQ(error_of([&] { r.add(pred, finer); }), "the reference data.mask '" + finer + "' and the prediction '" + pred +
                                                       "' lie on different grids (spacing [1, 1, 2] against [1, 1, 1]): a reference must be on its input's grid");
  const std::string missing = (dir / "missing.nii.gz").string();
  const std::string no_file = error_of([&] { r.add(pred, missing); });
  EXPECT_EQ(no_file.rfind("the reference data.mask '" + missing + "': ", 0), 0u) << no_file;
  EXPECT_EQ(r.cases(), 0u);  // nothing was added
  EXPECT_EQ(error_of([&] { r.results(eval::CiSpec{}); }), "no case was compared with its reference data.mask");
}

TEST(ReferenceEvaluation, SaysWhatTheBundleLacks) {
  Experiment e = segmentation_experiment();
  e.inference.write.clear();
  EXPECT_EQ(error_of([&] { ReferenceEvaluation(built_plugins(), e, "data.mask", "--reference"); }),
            "--reference 'data.mask': the inference writes nothing to compare with the reference (add a write step, e.g. fuse.io.write_medical of the "
            "label map with \"path\": \"{data.output_path}\")");
  e = segmentation_experiment();
  e.inference.write[0].config["path"] = "predictions/{data.sample_id}.nii.gz";
  EXPECT_EQ(error_of([&] { ReferenceEvaluation(built_plugins(), e, "data.mask", "inference.reference"); }),
            "inference.reference 'data.mask': no write step of the inference writes to {data.output_path}, the file compared with the reference");
  e = segmentation_experiment();
  e.inference.write[0].config["key"] = "model.labels";
  EXPECT_EQ(error_of([&] { ReferenceEvaluation(built_plugins(), e, "data.mask", "inference.reference"); }),
            "inference.reference 'data.mask': no validation metric of the experiment reads 'model.labels', the label map written to {data.output_path} "
            "(add one, e.g. {\"metric\": \"fuse.metrics.segmentation\", \"pred\": \"model.labels\", \"num_classes\": ...})");
}

// Options for the folders pred/ and ref/ of `dir`, made empty.
MaskFolders folders_in(const fs::path& dir) {
  fs::create_directories(dir / "pred");
  fs::create_directories(dir / "ref");
  MaskFolders o;
  o.predictions = dir / "pred";
  o.references = dir / "ref";
  return o;
}

// `fuse eval-seg`: another tool's label maps against references, paired by name, every class scored.
TEST(MaskFolders, PairsByNameAndScoresEveryClass) {
  const fs::path dir = fresh_dir("mask_folders");
  MaskFolders o = folders_in(dir);
  write_box(dir / "pred" / "a.nii.gz", 3, {2, 1, 1});
  write_box(dir / "ref" / "a.nii.gz", 2, {2, 1, 1});
  write_box(dir / "pred" / "b.nii.gz", 2, {1, 1, 1});
  write_box(dir / "ref" / "b.nii.gz", 2, {1, 1, 1});
  o.ci.rounds = 50;
  size_t progress = 0;
  const MaskFoldersResult r = evaluate_mask_folders(built_plugins(), o, [&](size_t done, size_t total) {
    EXPECT_EQ(total, 2u);
    progress = done;
  });
  EXPECT_EQ(progress, 2u);
  EXPECT_EQ(r.ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.names, (std::vector<std::string>{"dice", "iou", "hd95", "hd", "asd", "nsd", "dice.1", "hd95.1"}));
  ASSERT_EQ(r.per_case.size(), 2u);
  EXPECT_DOUBLE_EQ(r.per_case[0][0], 0.75);      // 2 * 48 / (64 + 64)
  EXPECT_DOUBLE_EQ(r.per_case[0][1], 0.6);       // 48 / 80
  EXPECT_DOUBLE_EQ(r.per_case[0][3], 2.0);       // one voxel of 2 mm
  EXPECT_DOUBLE_EQ(r.per_case[0][6], 0.75);      // class 1 alone
  EXPECT_DOUBLE_EQ(r.per_case[1][0], 1.0);
  EXPECT_DOUBLE_EQ(r.results.at("metrics").at("dice").at("value").as_double(), 0.875);
  EXPECT_TRUE(r.results.at("metrics").at("dice").as_object().contains("ci"));
  EXPECT_EQ(r.results.at("cases").as_array().size(), 2u);
  EXPECT_EQ(r.results.at("data").at("rows"), 2);
  // References named otherwise: paired by what the patterns' '*' matched.
  fs::rename(dir / "ref" / "a.nii.gz", dir / "ref" / "a_mask.nii.gz");
  fs::rename(dir / "ref" / "b.nii.gz", dir / "ref" / "b_mask.nii.gz");
  o.reference_pattern = "*_mask.nii.gz";
  EXPECT_EQ(evaluate_mask_folders(built_plugins(), o).per_case, r.per_case);
  // Scored on one thread or on two parts merged in order: the same cases, means and intervals.
  for (size_t threads : {1, 2}) {
    o.threads = threads;
    const MaskFoldersResult again = evaluate_mask_folders(built_plugins(), o);
    EXPECT_EQ(again.per_case, r.per_case) << threads;
    EXPECT_EQ(again.results, r.results) << threads;
  }
}

// A reference's voxels of the ignore label (not annotated) count in neither map: a prediction of class 1 exactly
// there scores as both maps empty (Dice 1); without the ignore label the reference is no label map of 2 classes.
TEST(MaskFolders, TheIgnoreLabelLeavesTheReferencesUnannotatedVoxelsOut) {
  const fs::path dir = fresh_dir("mask_folders_ignore");
  MaskFolders o = folders_in(dir);
  write_box(dir / "pred" / "a.nii.gz", 2, {1, 1, 1});
  write_box(dir / "ref" / "a.nii.gz", 2, {1, 1, 1}, 10, 2);
  o.ci.rounds = 0;
  EXPECT_EQ(error_of([&] { evaluate_mask_folders(built_plugins(), o); }),
            "case 'a': the reference from --ref '" + (dir / "ref" / "a.nii.gz").string() + "' holds the value 2, not a label 0 to 1: is it a label map?");
  o.ignore_label = 2;
  const MaskFoldersResult r = evaluate_mask_folders(built_plugins(), o);
  ASSERT_EQ(r.per_case.size(), 1u);
  EXPECT_EQ(r.per_case[0][0], 1.0);  // Dice: nothing annotated to find, nothing found
  EXPECT_EQ(r.per_case[0][2], 0.0);  // HD95
}

TEST(MaskFolders, UnpairedFilesAndOtherGridsAreNamed) {
  const fs::path dir = fresh_dir("mask_folders_bad");
  MaskFolders o = folders_in(dir);
  write_box(dir / "pred" / "a.nii.gz", 2, {1, 1, 1});
  write_box(dir / "ref" / "a.nii.gz", 2, {1, 1, 2});
  write_box(dir / "pred" / "c.nii.gz", 2, {1, 1, 1});
  write_box(dir / "ref" / "d.nii.gz", 2, {1, 1, 1});
  EXPECT_EQ(error_of([&] { evaluate_mask_folders(built_plugins(), o); }),
            "1 predictions have no reference in '" + (dir / "ref").string() + "' (c); 1 references have no prediction in '" + (dir / "pred").string() +
                "' (d): a pair shares what the patterns' '*' matched");
  fs::remove(dir / "pred" / "c.nii.gz");
  fs::remove(dir / "ref" / "d.nii.gz");
  EXPECT_EQ(error_of([&] { evaluate_mask_folders(built_plugins(), o); }),
            "case 'a': the reference from --ref '" + (dir / "ref" / "a.nii.gz").string() + "' and the prediction '" + (dir / "pred" / "a.nii.gz").string() +
                "' lie on different grids (spacing [1, 1, 1] against [1, 1, 2]): a reference must be on its input's grid");
  // An image given for a label map (values beyond the classes) is refused, not scored 0.
  write_box(dir / "ref" / "a.nii.gz", 2, {1, 1, 1}, 10, 7);
  EXPECT_EQ(error_of([&] { evaluate_mask_folders(built_plugins(), o); }),
            "case 'a': the reference from --ref '" + (dir / "ref" / "a.nii.gz").string() + "' holds the value 7, not a label 0 to 1: is it a label map?");
  o.pattern = "*.nrrd";
  EXPECT_EQ(error_of([&] { evaluate_mask_folders(built_plugins(), o); }), "--pred: no file in '" + (dir / "pred").string() + "' matches '*.nrrd'");
  o.num_classes = 1;
  EXPECT_EQ(error_of([&] { evaluate_mask_folders(built_plugins(), o); }), "--num-classes 1: at least 2 (the background and one class)");
}

}  // namespace
}  // namespace fuse::train
