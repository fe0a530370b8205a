#include "fuse/train/ensemble_choice.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <functional>

#include "test_support.h"

namespace fuse::train {
namespace {

using fuse::testing::built_plugins;
using fuse::testing::error_of;

// A box of a 12 x 12 map and the foreground probability a model gives inside it (0.05 elsewhere).
struct Box {
  int64_t row, column, rows, columns;
  float p;
};

// Two-class scores [1, 2, 12, 12] (background, foreground).
Tensor probs(const std::vector<Box>& boxes) {
  Tensor t = Tensor::zeros({1, 2, 12, 12}, sdk::kFloat32);
  float* v = t.mutable_data<float>();
  for (int64_t i = 0; i < 144; ++i) v[144 + i] = 0.05f;
  for (const Box& b : boxes)
    for (int64_t y = b.row; y < b.row + b.rows; ++y)
      for (int64_t x = b.column; x < b.column + b.columns; ++x) v[144 + y * 12 + x] = b.p;
  for (int64_t i = 0; i < 144; ++i) v[i] = 1 - v[144 + i];
  return t;
}

Tensor target(const Box& b) {
  Tensor t = Tensor::zeros({1, 12, 12}, sdk::kInt64);
  int64_t* v = t.mutable_data<int64_t>();
  for (int64_t y = b.row; y < b.row + b.rows; ++y)
    for (int64_t x = b.column; x < b.column + b.columns; ++x) v[y * 12 + x] = 1;
  return t;
}

boost::json::object config(const std::string& text) { return boost::json::parse(text).as_object(); }

// The experiments' postprocess: the most likely class per pixel.
struct Argmax {
  Op op = built_plugins().create_op("fuse.ops.argmax", config(R"({"key": "model.probs", "out": "model.seg", "axis": 1})"));
  void operator()(size_t, NDict& batch) { op.forward(batch); }
};

// One configuration's batch after its postprocess, and its model's outputs.
std::pair<NDict, NDict> predicted(const std::vector<Box>& boxes, const Box& truth, Argmax& argmax) {
  NDict outputs, batch;
  outputs.set("model.probs", probs(boxes));
  batch = outputs;
  batch.set("data.seg", target(truth));
  argmax(0, batch);
  return {batch, outputs};
}

const char* kMetric = R"({"pred": "model.seg", "target": "data.seg", "num_classes": 2})";

// Two models that find the 4 x 4 square and each add a false 4-pixel strip of its own, less sure of it: averaged,
// neither strip stays, so the pair beats both.
TEST(EnsembleTrials, APairAveragesItsModelsOutputsBeforeThePostprocess) {
  Argmax argmax;
  const Box truth{2, 2, 4, 4, 1};
  const auto a = predicted({{2, 2, 4, 4, 0.9f}, {2, 7, 4, 1, 0.6f}}, truth, argmax);
  const auto b = predicted({{2, 2, 4, 4, 0.9f}, {8, 2, 1, 4, 0.6f}}, truth, argmax);
  const auto c = predicted({{2, 2, 3, 4, 0.9f}}, truth, argmax);  // misses a row
  EnsembleTrials trials(built_plugins(), config(kMetric), {"runs/a", "runs/b", "runs/c"});
  trials.add("case1", {a.first, b.first, c.first}, {a.second, b.second, c.second}, std::ref(argmax));
  const EnsembleChoice choice = trials.choose();
  EXPECT_EQ(choice.cases, 1u);
  ASSERT_EQ(choice.candidates.size(), 6u);  // three alone, three pairs
  const std::vector<std::vector<size_t>> members{{0}, {1}, {2}, {0, 1}, {0, 2}, {1, 2}};
  const std::vector<double> dice{32.0 / 36, 32.0 / 36, 24.0 / 28, 1.0, 24.0 / 28, 24.0 / 28};
  for (size_t k = 0; k < 6; ++k) {
    EXPECT_EQ(choice.candidates[k].members, members[k]) << k;
    EXPECT_DOUBLE_EQ(choice.candidates[k].scores.trials[0].mean_dice, dice[k]) << k;
    EXPECT_EQ(choice.candidates[k].chosen, k == 3) << k;
  }
  EXPECT_EQ(choice.name(choice.chosen()), "runs/a + runs/b");
  // Each candidate comes with its post-processing trials: a's strip is a component of its own.
  EXPECT_DOUBLE_EQ(choice.candidates[0].scores.trials[1].mean_dice, 1.0);
  EXPECT_TRUE(choice.candidates[0].scores.trials[1].chosen);
  EXPECT_FALSE(choice.candidates[3].scores.trials[1].chosen);  // nothing to gain
}

// Where the members' postprocesses differ, each runs on its own outputs and their label maps are voted, as
// `fuse infer A B` combines them: a square that a is sure of and b doubts is found by the mean of their
// probabilities, but their votes tie there (to the background).
TEST(EnsembleTrials, APairWhosePostprocessesDifferVotesTheirLabelMaps) {
  Argmax argmax;
  const Box truth{2, 2, 4, 4, 1};
  const auto sure = predicted({{2, 2, 4, 4, 0.9f}}, truth, argmax);
  const auto doubting = predicted({{2, 2, 4, 4, 0.45f}}, truth, argmax);
  std::vector<size_t> postprocessed;
  const auto recording = [&](size_t member, NDict& batch) {
    postprocessed.push_back(member);
    argmax(member, batch);
  };
  EnsembleTrials alike(built_plugins(), config(kMetric), {"a", "b"});
  alike.add("case1", {sure.first, doubting.first}, {sure.second, doubting.second}, recording, {}, {0, 0});
  EXPECT_EQ(postprocessed, (std::vector<size_t>{0}));  // once, on the mean
  EXPECT_DOUBLE_EQ(alike.choose().candidates[2].scores.trials[0].mean_dice, 1.0);
  postprocessed.clear();
  EnsembleTrials apart(built_plugins(), config(kMetric), {"a", "b"});
  apart.add("case1", {sure.first, doubting.first}, {sure.second, doubting.second}, recording, {}, {0, 1});
  EXPECT_EQ(postprocessed, (std::vector<size_t>{0, 1}));  // each member's own
  const EnsembleChoice choice = apart.choose();
  EXPECT_DOUBLE_EQ(choice.candidates[0].scores.trials[0].mean_dice, 1.0);
  EXPECT_DOUBLE_EQ(choice.candidates[2].scores.trials[0].mean_dice, 0.0);  // the votes tie everywhere a found the square
  // A member whose postprocess writes what the first's does not: named, as fuse infer names the bundle.
  const auto elsewhere = [&](size_t member, NDict& batch) {
    argmax(member, batch);
    if (member == 1) batch.set("model.extra", 1.0);
  };
  EnsembleTrials extra(built_plugins(), config(kMetric), {"runs/a", "runs/b"});
  EXPECT_EQ(error_of([&] { extra.add("case1", {sure.first, doubting.first}, {sure.second, doubting.second}, elsewhere, {}, {0, 1}); }),
            "'runs/a', validation case 'case1': an ensemble combines what its models' postprocesses write, but the postprocess of 'runs/b' writes "
            "'model.extra', which the first configuration's ('runs/a') does not");
}

// Each case's Dice per candidate, and a paired bootstrap interval of each candidate's difference from the
// choice: over two cases where each model wins one, the interval spans both cases' differences.
TEST(EnsembleTrials, EachCandidateComesWithItsCasesAndAnIntervalAgainstTheChoice) {
  Argmax argmax;
  const Box truth{2, 2, 4, 4, 1};
  const auto perfect = predicted({{2, 2, 4, 4, 0.9f}}, truth, argmax);
  const auto strip = predicted({{2, 2, 4, 4, 0.9f}, {2, 7, 4, 1, 0.6f}}, truth, argmax);  // Dice 32/36
  const auto short_by_a_row = predicted({{2, 2, 3, 4, 0.9f}}, truth, argmax);            // Dice 24/28
  EnsembleTrials trials(built_plugins(), config(kMetric), {"a", "b"});
  trials.add("case1", {perfect.first, short_by_a_row.first}, {perfect.second, short_by_a_row.second}, std::ref(argmax));
  trials.add("case2", {strip.first, perfect.first}, {strip.second, perfect.second}, std::ref(argmax));
  const EnsembleChoice choice = trials.choose();
  EXPECT_EQ(choice.ids, (std::vector<std::string>{"case1", "case2"}));
  ASSERT_EQ(choice.candidates.size(), 3u);
  const EnsembleCandidate &a = choice.candidates[0], &b = choice.candidates[1];
  ASSERT_EQ(a.case_dice.size(), 2u);
  EXPECT_DOUBLE_EQ(a.case_dice[0], 1.0);
  EXPECT_DOUBLE_EQ(a.case_dice[1], 32.0 / 36);
  EXPECT_DOUBLE_EQ(b.case_dice[0], 24.0 / 28);
  EXPECT_DOUBLE_EQ(b.case_dice[1], 1.0);
  EXPECT_TRUE(a.chosen);
  EXPECT_EQ(a.vs_chosen, 0.0);
  EXPECT_NEAR(b.vs_chosen, (24.0 / 28 + 1) / 2 - (1 + 32.0 / 36) / 2, 1e-12);
  // A replicate of case1 twice gives b's loss there, of case2 twice its gain: each a quarter of the replicates.
  EXPECT_NEAR(b.vs_chosen_lower, 24.0 / 28 - 1, 1e-12);
  EXPECT_NEAR(b.vs_chosen_upper, 1 - 32.0 / 36, 1e-12);
}

// A tie goes to the configuration alone: an ensemble costs a second model at inference.
TEST(EnsembleTrials, ATieGoesToTheEarlierCandidate) {
  Argmax argmax;
  const Box truth{2, 2, 4, 4, 1};
  const auto a = predicted({{2, 2, 4, 4, 0.9f}}, truth, argmax);
  const auto b = predicted({{2, 2, 4, 4, 0.7f}}, truth, argmax);
  EnsembleTrials trials(built_plugins(), config(kMetric), {"a", "b"});
  trials.add("case1", {a.first, b.first}, {a.second, b.second}, std::ref(argmax));
  const EnsembleChoice choice = trials.choose();
  ASSERT_EQ(choice.candidates.size(), 3u);
  EXPECT_TRUE(choice.candidates[0].chosen);
  EXPECT_FALSE(choice.candidates[2].chosen);
  EXPECT_DOUBLE_EQ(choice.candidates[2].scores.trials[0].mean_dice, 1.0);
}

// A pair whose models give outputs on other grids (or other keys) cannot be averaged: it is left out, saying
// why, and the configurations alone are still compared.
TEST(EnsembleTrials, APairOnAnotherGridIsLeftOutAndTheRestCompared) {
  Argmax argmax;
  const Box truth{2, 2, 4, 4, 1};
  const auto a = predicted({{2, 2, 4, 4, 0.9f}}, truth, argmax);
  const auto b = predicted({{2, 2, 3, 4, 0.9f}}, truth, argmax);
  EnsembleTrials trials(built_plugins(), config(kMetric), {"runs/3d", "runs/2d"});
  EXPECT_EQ(error_of([&] { trials.choose(); }), "no validation case to compare the configurations on");
  NDict other = b.second;
  other.set("model.probs", Tensor::zeros({1, 2, 10, 12}, sdk::kFloat32));
  trials.add("case7", {a.first, b.first}, {a.second, other}, std::ref(argmax));
  trials.add("case8", {a.first, b.first}, {a.second, b.second}, std::ref(argmax));  // too late: left out for good
  const EnsembleChoice choice = trials.choose();
  ASSERT_EQ(choice.candidates.size(), 3u);
  EXPECT_EQ(choice.candidates[2].skipped,
            "validation case 'case7': the model of 'runs/2d' gives 'model.probs' float32[1, 2, 10, 12] and the model of 'runs/3d' float32[1, 2, 12, 12]: an "
            "ensemble averages outputs on one grid, so their validation steps must make the same grid (spacing, crop)");
  EXPECT_TRUE(choice.candidates[2].scores.trials.empty());
  EXPECT_TRUE(choice.candidates[0].chosen);
  EXPECT_EQ(choice.candidates[0].scores.cases, 2u);
  EXPECT_DOUBLE_EQ(choice.candidates[1].scores.trials[0].mean_dice, 24.0 / 28);
  EnsembleTrials missing(built_plugins(), config(kMetric), {"runs/3d", "runs/2d"});
  missing.add("case7", {a.first, b.first}, {a.second, NDict()}, std::ref(argmax));
  EXPECT_EQ(missing.choose().candidates[2].skipped,
            "validation case 'case7': the model of 'runs/2d' gives no 'model.probs', which the model of 'runs/3d' gives: an ensemble averages outputs that every "
            "model gives");
  // A label map the metric cannot read is an error, naming the configuration and the case.
  NDict no_target = b.first;
  no_target.erase("data.seg");
  EnsembleTrials refused(built_plugins(), config(kMetric), {"runs/3d", "runs/2d"});
  const std::string error = error_of([&] { refused.add("case7", {a.first, no_target}, {a.second, b.second}, std::ref(argmax)); });
  EXPECT_EQ(error.rfind("'runs/2d', validation case 'case7': ", 0), 0u) << error;
  EXPECT_NE(error.find("data.seg"), std::string::npos) << error;
}

// A map at half the resolution (every other pixel of the last two axes), or twice it (each pixel repeated): a
// model that works on a coarser grid, and its outputs laid back onto the finer one.
template <class T>
Tensor rescaled(const Tensor& t, bool twice) {
  std::vector<int64_t> shape = t.shape();
  const int64_t h = shape[shape.size() - 2], w = shape.back();
  const int64_t oh = twice ? h * 2 : h / 2, ow = twice ? w * 2 : w / 2;
  shape[shape.size() - 2] = oh;
  shape.back() = ow;
  Tensor out = Tensor::zeros(shape, t.dtype());
  const T* in = t.data<T>();
  T* o = out.mutable_data<T>();
  for (int64_t plane = 0; plane < out.numel() / (oh * ow); ++plane)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t x = 0; x < ow; ++x)
        o[plane * oh * ow + y * ow + x] = twice ? in[plane * h * w + (y / 2) * w + x / 2] : in[plane * h * w + (2 * y) * w + 2 * x];
  return out;
}

// A second model that works on a coarser grid: its outputs are laid onto the first's grid (`onto`), and there,
// alone and averaged with the first's, scored against the first configuration's labels. Its own batch's labels
// (here deliberately wrong) are not used.
TEST(EnsembleTrials, EveryCandidateIsScoredOnTheFirstConfigurationsGrid) {
  Argmax argmax;
  const Box truth{2, 2, 4, 4, 1};
  const auto fine = predicted({{2, 2, 4, 4, 0.9f}, {2, 8, 4, 2, 0.6f}}, truth, argmax);
  NDict coarse_outputs, coarse_batch;
  coarse_outputs.set("model.probs", rescaled<float>(probs({{2, 2, 4, 4, 0.9f}, {8, 2, 2, 4, 0.6f}}), false));
  coarse_batch = coarse_outputs;
  coarse_batch.set("data.seg", rescaled<int64_t>(target(Box{2, 2, 8, 8, 1}), false));
  argmax(1, coarse_batch);
  std::vector<std::string> asked;
  const EnsembleTrials::OntoFirst onto = [&](size_t member, size_t first, const std::string& key, const Value& output) {
    asked.push_back(std::to_string(member) + " onto " + std::to_string(first) + ": " + key);
    return Value(rescaled<float>(output.as<Tensor>(), true));
  };
  EnsembleTrials trials(built_plugins(), config(kMetric), {"runs/fullres", "runs/lowres"});
  trials.add("case1", {fine.first, coarse_batch}, {fine.second, coarse_outputs}, std::ref(argmax), onto);
  EXPECT_EQ(asked, (std::vector<std::string>{"1 onto 0: model.probs"}));  // once for every candidate
  const EnsembleChoice choice = trials.choose();
  ASSERT_EQ(choice.candidates.size(), 3u);
  EXPECT_DOUBLE_EQ(choice.candidates[0].scores.trials[0].mean_dice, 32.0 / 40);  // 16 pixels right, 8 false
  EXPECT_DOUBLE_EQ(choice.candidates[1].scores.trials[0].mean_dice, 32.0 / 40);  // its strip, 8 pixels on the fine grid
  EXPECT_EQ(choice.candidates[1].scores.cases, 1u);
  EXPECT_FALSE(choice.candidates[0].resampled);
  EXPECT_TRUE(choice.candidates[1].resampled);
  EXPECT_TRUE(choice.candidates[2].resampled);
  EXPECT_TRUE(choice.candidates[2].skipped.empty());
  EXPECT_DOUBLE_EQ(choice.candidates[2].scores.trials[0].mean_dice, 1.0);  // neither strip survives the mean
  EXPECT_TRUE(choice.candidates[2].chosen);

  // Where the outputs cannot be laid onto the first grid, the pair is left out with the reason.
  EnsembleTrials refused(built_plugins(), config(kMetric), {"runs/fullres", "runs/lowres"});
  refused.add("case1", {fine.first, coarse_batch}, {fine.second, coarse_outputs}, std::ref(argmax),
              [](size_t, size_t, const std::string&, const Value&) -> Value { throw Error(Errc::kKeyNotFound, "no geometry"); });
  EXPECT_EQ(refused.choose().candidates[2].skipped,
            "validation case 'case1': the model of 'runs/lowres' gives 'model.probs' float32[1, 2, 6, 6] and the model of 'runs/fullres' float32[1, 2, 12, 12], "
            "and it cannot be laid onto the grid of 'runs/fullres': no geometry");
  // The second alone is then scored on its own grid, against its own labels: 6 of their 16 pixels found.
  const EnsembleChoice alone = refused.choose();
  EXPECT_FALSE(alone.candidates[1].resampled);
  EXPECT_DOUBLE_EQ(alone.candidates[1].scores.trials[0].mean_dice, 12.0 / 22);
  // Laid onto a grid of another shape still (another crop): left out too.
  EnsembleTrials cropped(built_plugins(), config(kMetric), {"runs/fullres", "runs/lowres"});
  cropped.add("case1", {fine.first, coarse_batch}, {fine.second, coarse_outputs}, std::ref(argmax),
              [](size_t, size_t, const std::string&, const Value& output) { return output; });
  EXPECT_EQ(cropped.choose().candidates[2].skipped,
            "validation case 'case1': the model of 'runs/lowres' gives 'model.probs' float32[1, 2, 6, 6] and the model of 'runs/fullres' float32[1, 2, 12, 12], "
            "which stays float32[1, 2, 6, 6] on the grid of 'runs/fullres': an ensemble averages outputs on one grid (another crop?)");
}

TEST(EnsembleChoiceFile, HoldsEveryCandidateAndTheChosenOnesTrials) {
  Argmax argmax;
  const Box truth{2, 2, 4, 4, 1};
  const auto a = predicted({{2, 2, 4, 4, 0.9f}, {2, 7, 4, 1, 0.6f}}, truth, argmax);
  const auto b = predicted({{2, 2, 4, 4, 0.9f}, {8, 2, 1, 4, 0.6f}}, truth, argmax);
  EnsembleTrials trials(built_plugins(), config(kMetric), {"runs/a", "runs/b"});
  trials.add("case1", {a.first, b.first}, {a.second, b.second}, std::ref(argmax));
  EnsembleChoice choice = trials.choose();
  choice.metric = "dice";
  const std::filesystem::path file = fuse::testing::fresh_dir("ensemble_choice_file") / "choice.json";
  write_ensemble_choice(file, choice);
  const boost::json::value doc = boost::json::parse(fuse::testing::read_text(file));
  EXPECT_EQ(doc.at("metric"), "dice");
  EXPECT_EQ(doc.at("cases"), 1);
  EXPECT_EQ(doc.at("configurations"), boost::json::parse(R"(["runs/a", "runs/b"])"));
  ASSERT_EQ(doc.at("candidates").as_array().size(), 3u);
  EXPECT_EQ(doc.at("candidates").at(2).at("runs"), boost::json::parse(R"(["runs/a", "runs/b"])"));
  EXPECT_EQ(doc.at("candidates").at(2).at("mean_dice"), 1.0);
  EXPECT_EQ(doc.at("candidates").at(2).at("chosen"), true);
  EXPECT_EQ(doc.at("candidates").at(0).at("chosen"), false);
  EXPECT_EQ(doc.at("case_ids"), boost::json::parse(R"(["case1"])"));
  ASSERT_EQ(doc.at("candidates").at(0).at("case_dice").as_array().size(), 1u);
  EXPECT_DOUBLE_EQ(doc.at("candidates").at(0).at("case_dice").at(0).to_number<double>(), 32.0 / 36);
  EXPECT_DOUBLE_EQ(doc.at("candidates").at(0).at("vs_chosen").at("difference").to_number<double>(), 32.0 / 36 - 1);
  EXPECT_EQ(doc.at("candidates").at(0).at("vs_chosen").at("ci").as_array().size(), 2u);
  EXPECT_FALSE(doc.at("candidates").at(2).as_object().contains("vs_chosen"));
  EXPECT_EQ(doc.at("chosen").at("runs"), doc.at("candidates").at(2).at("runs"));
  EXPECT_EQ(doc.at("chosen").at("postprocess_trials").as_array().size(), 2u);  // as predicted, the foreground's component
}

}  // namespace
}  // namespace fuse::train
