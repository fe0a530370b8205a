#include "fuse/train/postprocess_choice.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <cmath>
#include <fstream>

#include "test_support.h"

namespace fuse::train {
namespace {

using fuse::testing::built_plugins;
using fuse::testing::error_of;

// A 12 x 12 label map holding `label` in each (row, column, rows, columns) box.
struct Box {
  int64_t label, row, column, rows, columns;
};

Tensor label_map(const std::vector<Box>& boxes) {
  Tensor t = Tensor::zeros({1, 12, 12}, sdk::kInt64);
  int64_t* v = t.mutable_data<int64_t>();
  for (const Box& b : boxes)
    for (int64_t y = b.row; y < b.row + b.rows; ++y)
      for (int64_t x = b.column; x < b.column + b.columns; ++x) v[y * 12 + x] = b.label;
  return t;
}

NDict case_of(const std::vector<Box>& pred, const std::vector<Box>& target) {
  NDict batch;
  batch.set("model.seg", label_map(pred));
  batch.set("data.seg", label_map(target));
  return batch;
}

boost::json::object metric(const std::string& text) { return boost::json::parse(text).as_object(); }

// Class 1, a 4 x 4 square, is predicted with a stray voxel; class 2 is two true blobs of 4 voxels, predicted
// exactly. Only class 1 gains from keeping its largest component: keeping the foreground's drops class 2
// altogether, and keeping class 2's drops one of its true blobs.
TEST(PostprocessTrials, KeepsTheLargestComponentOnlyWhereItRaisesTheDice) {
  const std::vector<Box> target{{1, 1, 1, 4, 4}, {2, 7, 7, 2, 2}, {2, 7, 1, 2, 2}};
  std::vector<Box> pred = target;
  pred.push_back({1, 10, 10, 1, 1});
  PostprocessTrials trials(built_plugins(), metric(R"({"pred": "model.seg", "target": "data.seg", "num_classes": 3})"));
  trials.add(case_of(pred, target));
  const PostprocessChoice c = trials.choose();
  EXPECT_EQ(c.key, "model.seg");
  EXPECT_EQ(c.dims, 2);
  EXPECT_EQ(c.cases, 1u);
  EXPECT_EQ(c.classes, (std::vector<int64_t>{1, 2}));
  ASSERT_EQ(c.trials.size(), 4u);
  EXPECT_EQ(c.trials[0].what, "as predicted");
  EXPECT_DOUBLE_EQ(c.trials[0].dice[0], 32.0 / 33);
  EXPECT_DOUBLE_EQ(c.trials[0].dice[1], 1.0);
  EXPECT_GT(c.trials[0].hd95[0], 0.0);  // the stray voxel
  EXPECT_EQ(c.trials[1].what, "largest component of the foreground");
  EXPECT_EQ(c.trials[1].labels, (std::vector<int64_t>{1, 2}));
  EXPECT_DOUBLE_EQ(c.trials[1].dice[1], 0.0);
  EXPECT_DOUBLE_EQ(c.trials[1].mean_dice, 0.5);
  EXPECT_FALSE(c.trials[1].chosen);
  EXPECT_EQ(c.trials[2].what, "largest component of class 1");
  EXPECT_EQ(c.trials[2].judged, 0);
  EXPECT_DOUBLE_EQ(c.trials[2].dice[0], 1.0);
  EXPECT_DOUBLE_EQ(c.trials[2].hd95[0], 0.0);
  EXPECT_TRUE(c.trials[2].chosen);
  EXPECT_EQ(c.trials[3].what, "largest component of class 2");
  EXPECT_DOUBLE_EQ(c.trials[3].dice[1], 2.0 * 4 / 12);
  EXPECT_FALSE(c.trials[3].chosen);
  // The step for the inference's postprocess cleans the scores the written labels are made from.
  InferenceSpec inference;
  data::Step write;
  write.op = "fuse.io.write_medical";
  write.config = metric(R"({"key": "model.seg", "scores": "model.probs", "path": "{data.output_path}"})");
  inference.write = {write};
  EXPECT_EQ(keep_component_steps(c, inference), boost::json::parse(R"([{"op": "fuse.medical.keep_components", "keys": ["model.seg"], "dims": 2,
                                                                       "classes": [1], "independent": false, "scores": "model.probs"}])"));
}

// Over two cases the means decide: a stray island in one case, none in the other. With one class, the foreground
// is that class, so it is tried once.
TEST(PostprocessTrials, OneClassIsTriedOnceAsTheForegroundOverAllCases) {
  PostprocessTrials trials(built_plugins(), metric(R"({"pred": "model.seg", "target": "data.seg", "num_classes": 2})"));
  trials.add(case_of({{1, 1, 1, 4, 4}, {1, 9, 9, 2, 2}}, {{1, 1, 1, 4, 4}}));
  trials.add(case_of({{1, 2, 2, 3, 3}}, {{1, 2, 2, 3, 3}}));
  const PostprocessChoice c = trials.choose();
  EXPECT_EQ(c.cases, 2u);
  ASSERT_EQ(c.trials.size(), 2u);
  EXPECT_DOUBLE_EQ(c.trials[0].mean_dice, (32.0 / 36 + 1) / 2);
  EXPECT_DOUBLE_EQ(c.trials[1].mean_dice, 1.0);
  EXPECT_TRUE(c.trials[1].chosen);
  EXPECT_EQ(keep_component_steps(c, InferenceSpec{}),
            boost::json::parse(R"([{"op": "fuse.medical.keep_components", "keys": ["model.seg"], "dims": 2, "classes": [1], "independent": false}])"));
}

// Regions (nnU-Net's region-based training) are tried as their sets of labels; the written labels made from
// region probabilities ('region_labels') get them cleaned as regions.
TEST(PostprocessTrials, RegionsAreTriedAsTheirLabelsTogether) {
  PostprocessTrials trials(built_plugins(), metric(R"({"pred": "model.seg", "target": "data.seg", "regions": [[1, 2], 2]})"));
  // Region 2 (label 2) has a stray island inside region 1's stray island: keeping region 1's largest component
  // (labels 1 and 2 together) removes both.
  trials.add(case_of({{1, 1, 1, 5, 5}, {2, 2, 2, 2, 2}, {1, 8, 8, 3, 3}, {2, 9, 9, 1, 1}}, {{1, 1, 1, 5, 5}, {2, 2, 2, 2, 2}}));
  const PostprocessChoice c = trials.choose();
  ASSERT_EQ(c.trials.size(), 3u);  // region 1 holds the whole foreground: tried as the foreground
  EXPECT_TRUE(c.trials[1].chosen);
  EXPECT_DOUBLE_EQ(c.trials[1].mean_dice, 1.0);
  EXPECT_EQ(c.trials[2].what, "largest component of region 2 (labels 2)");
  EXPECT_FALSE(c.trials[2].chosen);  // nothing left to gain after the foreground's
  InferenceSpec inference;
  data::Step write;
  write.op = "fuse.io.write_medical";
  write.config = metric(R"({"key": "model.seg", "scores": "model.probs", "region_labels": [1, 2], "path": "{data.output_path}"})");
  inference.write = {write};
  EXPECT_EQ(keep_component_steps(c, inference), boost::json::parse(R"([{"op": "fuse.medical.keep_components", "keys": ["model.seg"], "dims": 2,
                                                                       "classes": [1, 2], "independent": false, "scores": "model.probs",
                                                                       "scores_are": "regions"}])"));
}

// postprocess.json keeps the steps for fuse export, and the scores beside them (an undefined one as null).
TEST(PostprocessChoiceFile, HoldsTheStepsExportAppends) {
  const std::filesystem::path dir = fuse::testing::fresh_dir("postprocess_choice_file");
  EXPECT_TRUE(chosen_postprocess(dir).empty());  // none chosen yet
  PostprocessChoice c;
  c.key = "model.seg";
  c.cases = 3;
  c.classes = {1};
  PostprocessTrial t;
  t.what = "as predicted";
  t.dice = {0.5};
  t.hd95 = {std::nan("")};
  t.mean_dice = 0.5;
  t.mean_hd95 = std::nan("");
  c.trials = {t};
  const boost::json::array steps = boost::json::parse(R"([{"op": "fuse.medical.keep_components", "keys": ["model.seg"], "classes": [1]}])").as_array();
  write_postprocess_choice(dir, c, steps);
  EXPECT_EQ(chosen_postprocess(dir), steps);
  const boost::json::value doc = boost::json::parse(fuse::testing::read_text(dir / "postprocess.json"));
  EXPECT_EQ(doc.at("cases"), 3);
  EXPECT_EQ(doc.at("trials").at(0).at("hd95"), boost::json::parse("[null]"));
  std::ofstream(dir / "postprocess.json") << R"({"format": 1})";
  EXPECT_EQ(error_of([&] { chosen_postprocess(dir); }),
            (dir / "postprocess.json").string() + ": no \"steps\" list (fuse choose-postprocess writes this file; run it again, or remove the file)");
}

TEST(PostprocessTrials, RefusesWhatItCannotJudge) {
  EXPECT_EQ(error_of([] { PostprocessTrials(built_plugins(), metric(R"({"pred": "model.seg", "target": "data.seg", "num_classes": 3})")).choose(); }),
            "no validation case to choose the post-processing on");
  EXPECT_EQ(error_of([] { PostprocessTrials(built_plugins(), metric(R"({"pred": "model.seg", "target": "data.seg"})")); }),
            "metric 'fuse.metrics.segmentation' (plugin 'fuse.metrics_core'): create failed: 'num_classes' is not set: the label maps' classes are 0 to num_classes - 1");
  PostprocessTrials trials(built_plugins(), metric(R"({"pred": "model.seg", "target": "data.seg", "num_classes": 2})"));
  NDict line;  // one spatial axis
  line.set("model.seg", Tensor::zeros({1, 12}, sdk::kInt64));
  line.set("data.seg", Tensor::zeros({1, 12}, sdk::kInt64));
  EXPECT_EQ(error_of([&] { trials.add(line); }),
            "the label maps under 'model.seg' are int64[1, 12]: the largest connected components are kept on 2D or 3D maps ([batch, (1,) (z,) y, x])");
  trials.add(case_of({{1, 1, 1, 4, 4}}, {{1, 1, 1, 4, 4}}));
  NDict volume;
  volume.set("model.seg", Tensor::zeros({1, 2, 12, 12}, sdk::kInt64));
  volume.set("data.seg", Tensor::zeros({1, 2, 12, 12}, sdk::kInt64));
  EXPECT_EQ(error_of([&] { trials.add(volume); }), "the label maps under 'model.seg' have 3 spatial axes here, 2 before");
}

}  // namespace
}  // namespace fuse::train
