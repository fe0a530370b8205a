#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "test_support.h"

namespace fuse {
namespace {

using testing::built_plugins;
using testing::error_of;
using testing::json_object;
using testing::sample;
using testing::values;

double loss(const std::string& id, const std::string& config, const NDict& batch, NDict* grads = nullptr) {
  return built_plugins().create_loss(id, json_object(config)).forward(batch, grads);
}

TEST(CrossEntropy, ValueAndGradient) {
  const NDict b = sample(R"({"p": [[0.0, 0.0]], "t": [1]})");
  NDict grads;
  EXPECT_NEAR(loss("fuse.losses.cross_entropy", R"({"pred": "p", "target": "t"})", b, &grads), std::log(2.0), 1e-6);
  EXPECT_EQ(values<float>(grads.get<Tensor>("p")), (std::vector<float>{0.5f, -0.5f}));  // softmax - one-hot
}

TEST(CrossEntropy, ClassWeightsAndSmoothing) {
  const NDict b = sample(R"({"p": [[2.0, 0.0], [0.0, 2.0]], "t": [0, 0]})");
  const double l0 = std::log(1 + std::exp(-2.0)), l1 = std::log(1 + std::exp(2.0));
  EXPECT_NEAR(loss("fuse.losses.cross_entropy", R"({"pred": "p", "target": "t", "class_weights": [3, 1]})", b), (l0 + l1) / 2, 1e-5);
  EXPECT_GT(loss("fuse.losses.cross_entropy", R"({"pred": "p", "target": "t", "label_smoothing": 0.2})", sample(R"({"p": [[9.0, 0.0]], "t": [0]})")),
            loss("fuse.losses.cross_entropy", R"({"pred": "p", "target": "t"})", sample(R"({"p": [[9.0, 0.0]], "t": [0]})")));
}

// Dice + CE weighs the classes of its cross-entropy part as cross_entropy does: a weighted mean.
TEST(DiceCe, ClassWeightsWeighTheCrossEntropyPart) {
  const NDict b = sample(R"({"p": [[2.0, 0.0], [2.0, 0.0]], "t": [0, 1]})");
  const double right = std::log(1 + std::exp(-2.0)), wrong = std::log(1 + std::exp(2.0));
  const double weighted = (3 * right + 1 * wrong) / 4;
  EXPECT_NEAR(loss("fuse.losses.cross_entropy", R"({"pred": "p", "target": "t", "class_weights": [3, 1]})", b), weighted, 1e-5);
  EXPECT_NEAR(loss("fuse.losses.dice_ce", R"({"pred": "p", "target": "t", "dice_weight": 0, "class_weights": [3, 1]})", b), weighted, 1e-5);
  EXPECT_NEAR(loss("fuse.losses.dice_ce", R"({"pred": "p", "target": "t", "dice_weight": 0})", b), (right + wrong) / 2, 1e-5);
  // The Dice part is the same with or without weights.
  EXPECT_NEAR(loss("fuse.losses.dice_ce", R"({"pred": "p", "target": "t", "ce_weight": 0, "class_weights": [3, 1]})", b),
              loss("fuse.losses.dice_ce", R"({"pred": "p", "target": "t", "ce_weight": 0})", b), 1e-7);
  const std::string prefix = "loss 'fuse.losses.dice_ce' (plugin 'fuse.losses_core'): ";
  EXPECT_EQ(error_of([&] { loss("fuse.losses.dice_ce", R"({"pred": "p", "target": "t", "class_weights": [1, 2, 3]})", b); }),
            prefix + "'class_weights' has 3 values for 2 classes");
  EXPECT_EQ(error_of([] { loss("fuse.losses.dice_ce", R"({"pred": "p", "target": "t", "class_weights": [1, 2]})", sample(R"({"p": [[2.0]], "t": [1]})")); }),
            prefix + "'class_weights' weighs the classes of multi-class logits; 'p' has one channel (binary): there are none to weigh");
}

TEST(CrossEntropy, SegmentationTargetsMayBeResized) {
  NDict b;
  b.set("p", Value(Tensor::zeros({1, 2, 2, 2}, sdk::kFloat32)));
  b.set("t", Value(Tensor::zeros({1, 1, 4, 4}, sdk::kInt64)));
  EXPECT_NEAR(loss("fuse.losses.cross_entropy", R"({"pred": "p", "target": "t", "resize_target": true})", b), std::log(2.0), 1e-6);
  EXPECT_EQ(error_of([&] { loss("fuse.losses.cross_entropy", R"({"pred": "p", "target": "t"})", b); }),
            "loss 'fuse.losses.cross_entropy' (plugin 'fuse.losses_core'): prediction 'p' has shape [1, 2, 2, 2] but target 't' has shape "
            "[1, 4, 4] (the spatial sizes differ; set 'resize_target' to resize the target)");
}

TEST(CrossEntropy, BadTargetsAreNamed) {
  EXPECT_EQ(error_of([] { loss("fuse.losses.cross_entropy", R"({"pred": "p", "target": "t"})", sample(R"({"p": [[0.0, 0.0]], "t": [2]})")); }),
            "loss 'fuse.losses.cross_entropy' (plugin 'fuse.losses_core'): target 't' holds class 2 but 'p' has 2 classes");
  EXPECT_EQ(error_of([] { loss("fuse.losses.cross_entropy", R"({"pred": "p", "target": "t"})", sample(R"({"p": [[0.0, 0.0]], "t": [0, 1]})")); }),
            "loss 'fuse.losses.cross_entropy' (plugin 'fuse.losses_core'): prediction 'p' has shape [1, 2] but target 't' has shape [2] "
            "(expected class indices of shape [N, ...] for logits [N, classes, ...])");
}

TEST(BceWithLogits, ValueGradientAndPositiveWeight) {
  NDict grads;
  EXPECT_NEAR(loss("fuse.losses.bce_with_logits", R"({"pred": "p", "target": "t"})", sample(R"({"p": [[0.0]], "t": [1]})"), &grads), std::log(2.0), 1e-6);
  EXPECT_FLOAT_EQ(values<float>(grads.get<Tensor>("p"))[0], -0.5f);
  EXPECT_NEAR(loss("fuse.losses.bce_with_logits", R"({"pred": "p", "target": "t", "pos_weight": 3})", sample(R"({"p": [0.0], "t": [1]})")),
              3 * std::log(2.0), 1e-6);
}

// Multi-label: a weight per label for its positives (the last axis); negatives weigh 1.
TEST(BceWithLogits, AWeightPerLabel) {
  const std::string config = R"({"pred": "p", "target": "t", "pos_weights": [3, 5]})";
  // Cells: label 0 positive (3 log 2), label 1 negative (log 2), label 0 negative (log 2), label 1 positive (5 log 2).
  EXPECT_NEAR(loss("fuse.losses.bce_with_logits", config, sample(R"({"p": [[0.0, 0.0], [0.0, 0.0]], "t": [[1, 0], [0, 1]]})")), 10 * std::log(2.0) / 4, 1e-6);
  const std::string prefix = "loss 'fuse.losses.bce_with_logits' (plugin 'fuse.losses_core'): ";
  EXPECT_EQ(error_of([&] { loss("fuse.losses.bce_with_logits", config, sample(R"({"p": [[0.0, 0.0, 0.0]], "t": [[1, 0, 1]]})")); }),
            prefix + "'pos_weights' has 2 values, but 'p' has 3 labels (its last axis)");
  EXPECT_EQ(error_of([] { loss("fuse.losses.bce_with_logits", R"({"pred": "p", "target": "t", "pos_weight": 2, "pos_weights": [1]})", sample(R"({"p": [0.0], "t": [1]})")); }),
            prefix + "create failed: 'pos_weight' (all labels) and 'pos_weights' (one per label) are both set: give one");
}

TEST(Overlap, DiceIsZeroWhenPerfectAndOneWhenDisjoint) {
  NDict b;
  b.set("p", Value(Tensor::from_vector<float>({20, -20, -20, 20}, {1, 2, 2})));  // class 0 at x0, class 1 at x1
  b.set("t", Value(Tensor::from_vector<int64_t>({0, 1}, {1, 2})));
  EXPECT_NEAR(loss("fuse.losses.dice", R"({"pred": "p", "target": "t"})", b), 0.0, 1e-5);
  b.set("t", Value(Tensor::from_vector<int64_t>({1, 0}, {1, 2})));
  EXPECT_NEAR(loss("fuse.losses.dice", R"({"pred": "p", "target": "t"})", b), 1.0, 1e-4);  // the smoothing term keeps it below 1
  // Tversky with alpha = beta = 0.5 is Dice.
  b.set("p", Value(Tensor::from_vector<float>({0.3f, -0.2f, 0.1f, 0.4f}, {1, 2, 2})));
  EXPECT_NEAR(loss("fuse.losses.tversky", R"({"pred": "p", "target": "t", "alpha": 0.5, "beta": 0.5})", b),
              loss("fuse.losses.dice", R"({"pred": "p", "target": "t"})", b), 1e-6);
  // One channel: binary, with a sigmoid.
  NDict binary;
  binary.set("p", Value(Tensor::from_vector<float>({20, -20}, {1, 1, 2})));
  binary.set("t", Value(Tensor::from_vector<int64_t>({1, 0}, {1, 2})));
  EXPECT_NEAR(loss("fuse.losses.dice", R"({"pred": "p", "target": "t", "include_background": true})", binary), 0.0, 1e-5);
}

// Class weights for the overlap part: a weighted mean of the per-class scores. Everything is predicted class 0
// at two pixels of classes 0 and 1: class 0 scores 2/3 (one hit, one false positive), class 1 scores 0.
TEST(Overlap, DiceClassWeightsWeighThePerClassScores) {
  NDict b;
  b.set("p", Value(Tensor::from_vector<float>({20, 20, -20, -20}, {1, 2, 2})));
  b.set("t", Value(Tensor::from_vector<int64_t>({0, 1}, {1, 2})));
  EXPECT_NEAR(loss("fuse.losses.dice", R"({"pred": "p", "target": "t"})", b), 1 - (2.0 / 3) / 2, 1e-4);
  EXPECT_NEAR(loss("fuse.losses.dice", R"({"pred": "p", "target": "t", "dice_class_weights": [1, 3]})", b), 1 - (2.0 / 3) / 4, 1e-4);
  // Tversky: class 0 scores 1 / (1 + alpha) with its one false positive.
  EXPECT_NEAR(loss("fuse.losses.tversky", R"({"pred": "p", "target": "t", "alpha": 0.3, "beta": 0.7, "dice_class_weights": [1, 3]})", b),
              1 - (1 / 1.3) / 4, 1e-4);
  EXPECT_NEAR(loss("fuse.losses.dice_ce", R"({"pred": "p", "target": "t", "ce_weight": 0, "dice_class_weights": [1, 3]})", b), 1 - (2.0 / 3) / 4, 1e-4);
  EXPECT_NEAR(loss("fuse.losses.dice_focal", R"({"pred": "p", "target": "t", "focal_weight": 0, "dice_class_weights": [3, 1]})", b), 1 - 2.0 / 4, 1e-4);
  // Without the background, its weight is not counted.
  EXPECT_NEAR(loss("fuse.losses.dice", R"({"pred": "p", "target": "t", "include_background": false, "dice_class_weights": [5, 1]})", b), 1.0, 1e-4);
  const std::string prefix = "loss 'fuse.losses.dice' (plugin 'fuse.losses_core'): ";
  EXPECT_EQ(error_of([&] { loss("fuse.losses.dice", R"({"pred": "p", "target": "t", "dice_class_weights": [1, 2, 3]})", b); }),
            prefix + "'dice_class_weights' has 3 values for 2 classes (one per class, the background's included)");
  EXPECT_EQ(error_of([&] { loss("fuse.losses.dice", R"({"pred": "p", "target": "t", "include_background": false, "dice_class_weights": [1, 0]})", b); }),
            prefix + "'dice_class_weights' of the classes counted add up to 0");
}

// Regions (BraTS-style, nested): one sigmoid channel per region against the union of its labels. Region 1 is
// labels {1, 2}, region 2 label {2}; each region's Dice is the binary Dice of its channel against its union.
TEST(Overlap, RegionsTrainASigmoidChannelPerRegion) {
  NDict b;
  b.set("p", Value(Tensor::from_vector<float>({2.0f, -1.0f, 0.5f, 1.0f, -2.0f, 0.0f, 1.5f, -0.5f}, {1, 2, 4})));
  b.set("t", Value(Tensor::from_vector<int64_t>({0, 1, 2, 2}, {1, 4})));
  const char* regions = R"({"pred": "p", "target": "t", "regions": [[1, 2], 2]})";
  NDict region1, region2, both;  // the channels alone against their unions, and both channels against both
  region1.set("p", Value(Tensor::from_vector<float>({2.0f, -1.0f, 0.5f, 1.0f}, {1, 1, 4})));
  region1.set("t", Value(Tensor::from_vector<int64_t>({0, 1, 1, 1}, {1, 4})));
  region2.set("p", Value(Tensor::from_vector<float>({-2.0f, 0.0f, 1.5f, -0.5f}, {1, 1, 4})));
  region2.set("t", Value(Tensor::from_vector<int64_t>({0, 0, 1, 1}, {1, 4})));
  const double dice = (loss("fuse.losses.dice", R"({"pred": "p", "target": "t"})", region1) + loss("fuse.losses.dice", R"({"pred": "p", "target": "t"})", region2)) / 2;
  EXPECT_NEAR(loss("fuse.losses.dice", regions, b), dice, 1e-6);
  // The background flag does not drop a region.
  EXPECT_NEAR(loss("fuse.losses.dice", R"({"pred": "p", "target": "t", "regions": [[1, 2], 2], "include_background": false})", b), dice, 1e-6);
  // Dice + CE: the cross-entropy part is a binary cross-entropy of every region's channel.
  both.set("p", Value(b.get<Tensor>("p")));
  both.set("t", Value(Tensor::from_vector<float>({0, 1, 1, 1, 0, 0, 1, 1}, {1, 2, 4})));
  const double bce = loss("fuse.losses.bce_with_logits", R"({"pred": "p", "target": "t"})", both);
  EXPECT_NEAR(loss("fuse.losses.dice_ce", regions, b), dice + bce, 1e-6);
  // Dice + focal: a binary focal loss per element (gamma 2).
  const std::vector<float> logits = values<float>(b.get<Tensor>("p")), targets = values<float>(both.get<Tensor>("t"));
  double focal = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    const double p = 1 / (1 + std::exp(-logits[i])), p_t = targets[i] ? p : 1 - p;
    focal += -std::log(p_t) * (1 - p_t) * (1 - p_t);
  }
  EXPECT_NEAR(loss("fuse.losses.dice_focal", regions, b), dice + focal / 8, 1e-6);
  // Weights, one per region.
  const double d1 = loss("fuse.losses.dice", R"({"pred": "p", "target": "t"})", region1), d2 = loss("fuse.losses.dice", R"({"pred": "p", "target": "t"})", region2);
  EXPECT_NEAR(loss("fuse.losses.dice", R"({"pred": "p", "target": "t", "regions": [[1, 2], 2], "dice_class_weights": [1, 3]})", b), (d1 + 3 * d2) / 4, 1e-6);
  // A [N, 1, ...] label map is the same target.
  b.set("t", Value(Tensor::from_vector<int64_t>({0, 1, 2, 2}, {1, 1, 4})));
  EXPECT_NEAR(loss("fuse.losses.tversky", R"({"pred": "p", "target": "t", "regions": [[1, 2], 2], "alpha": 0.5, "beta": 0.5})", b), dice, 1e-6);
}

TEST(Overlap, BadRegionsAreNamed) {
  NDict b;
  b.set("p", Value(Tensor::from_vector<float>({0, 0, 0, 0}, {1, 2, 2})));
  b.set("t", Value(Tensor::from_vector<int64_t>({0, 1}, {1, 2})));
  const std::string dice = "loss 'fuse.losses.dice' (plugin 'fuse.losses_core'): ", dice_ce = "loss 'fuse.losses.dice_ce' (plugin 'fuse.losses_core'): ";
  EXPECT_EQ(error_of([&] { loss("fuse.losses.dice", R"({"pred": "p", "target": "t", "regions": [1, 2, 3]})", b); }),
            dice + "prediction 'p' has shape [1, 2, 2] but 'regions' lists 3 regions (one sigmoid channel each: [N, 3, ...])");
  EXPECT_EQ(error_of([&] { loss("fuse.losses.dice", R"({"pred": "p", "target": "t", "regions": [1, 2], "dice_class_weights": [1, 2, 3]})", b); }),
            dice + "create failed: 'dice_class_weights' has 3 values for 2 regions (one per region)");
  EXPECT_EQ(error_of([&] { loss("fuse.losses.dice_ce", R"({"pred": "p", "target": "t", "regions": [1, 2], "class_weights": [1, 2]})", b); }),
            dice_ce + "create failed: 'class_weights' weighs the classes of the cross-entropy; with 'regions' it is a binary cross-entropy per region: weigh the regions with "
                      "'dice_class_weights'");
  EXPECT_EQ(error_of([&] { loss("fuse.losses.dice", R"({"pred": "p", "target": "t", "regions": [[0, 1], 2]})", b); }),
            dice + "create failed: region 1 of 'regions' holds label 0; regions are made of labels 1, 2, ... (the background, 0, is none's)");
  b.set("t", Value(Tensor::from_vector<float>({0, 1.5f}, {1, 2})));
  EXPECT_EQ(error_of([&] { loss("fuse.losses.dice", R"({"pred": "p", "target": "t", "regions": [1, 2]})", b); }),
            dice + "target 't' holds non-integer labels; 'regions' are made of a label map's labels");
  b.set("t", Value(Tensor::from_vector<int64_t>({0, 1, 1}, {1, 3})));
  EXPECT_EQ(error_of([&] { loss("fuse.losses.dice", R"({"pred": "p", "target": "t", "regions": [1, 2]})", b); }),
            dice + "prediction 'p' has shape [1, 2, 2] but target 't' has shape [1, 3] (the spatial sizes differ; set 'resize_target' to resize the target)");
}

// With 'ignore_label' (nnU-Net's: voxels not annotated) each loss equals the same loss on the annotated voxels
// alone: here voxels 1 and 4 of 6 are marked 3 and left out, for classes, regions and a binary channel.
TEST(Overlap, TheIgnoreLabelLeavesItsVoxelsOutOfEveryPart) {
  const std::vector<float> logits = {2.0f, -1.0f, 0.5f, 1.0f, 0.3f, -0.2f,   // class (or region) 0
                                     -2.0f, 0.0f, 1.5f, -0.5f, 0.7f, 0.1f,   // 1
                                     0.4f, 1.2f, -0.3f, 0.9f, -1.1f, 0.6f};  // 2
  const std::vector<int64_t> labels = {0, 3, 2, 1, 3, 2};
  const std::vector<size_t> kept = {0, 2, 3, 5};
  const auto batch = [&](int64_t channels, bool drop) {
    std::vector<float> p;
    std::vector<int64_t> t;
    for (int64_t c = 0; c < channels; ++c)
      for (size_t i = 0; i < 6; ++i)
        if (!drop || std::find(kept.begin(), kept.end(), i) != kept.end()) p.push_back(logits[static_cast<size_t>(c) * 6 + i]);
    for (size_t i = 0; i < 6; ++i)
      if (!drop || std::find(kept.begin(), kept.end(), i) != kept.end()) t.push_back(labels[i]);
    const int64_t n = static_cast<int64_t>(t.size());
    NDict b;
    b.set("p", Value(Tensor::from_vector<float>(p, {1, channels, n})));
    b.set("t", Value(Tensor::from_vector<int64_t>(t, {1, n})));
    return b;
  };
  for (const std::string id : {"fuse.losses.dice", "fuse.losses.tversky", "fuse.losses.dice_ce", "fuse.losses.dice_focal", "fuse.losses.cross_entropy",
                               "fuse.losses.focal"}) {
    EXPECT_NEAR(loss(id, R"({"pred": "p", "target": "t", "ignore_label": 3})", batch(3, false)), loss(id, R"({"pred": "p", "target": "t"})", batch(3, true)), 1e-6)
        << id;
    if (id == "fuse.losses.cross_entropy" || id == "fuse.losses.focal") continue;
    EXPECT_NEAR(loss(id, R"({"pred": "p", "target": "t", "regions": [[1, 2], 2], "ignore_label": 3})", batch(2, false)),
                loss(id, R"({"pred": "p", "target": "t", "regions": [[1, 2], 2]})", batch(2, true)), 1e-6)
        << id << " with regions";
  }
  // A binary channel: the target's 0/1 with 3 for the voxels not annotated.
  NDict binary = batch(1, false), binary_kept = batch(1, true);
  binary.set("t", Value(Tensor::from_vector<float>({0, 3, 1, 1, 3, 0}, {1, 6})));
  binary_kept.set("t", Value(Tensor::from_vector<float>({0, 1, 1, 0}, {1, 4})));
  for (const std::string id : {"fuse.losses.dice", "fuse.losses.dice_ce", "fuse.losses.dice_focal", "fuse.losses.focal"})
    EXPECT_NEAR(loss(id, R"({"pred": "p", "target": "t", "ignore_label": 3})", binary), loss(id, R"({"pred": "p", "target": "t"})", binary_kept), 1e-6) << id;
  // Nothing annotated: 0, not NaN, and the gradient is 0.
  NDict none = batch(3, false);
  none.set("t", Value(Tensor::from_vector<int64_t>({3, 3, 3, 3, 3, 3}, {1, 6})));
  NDict grads;
  EXPECT_EQ(loss("fuse.losses.dice_ce", R"({"pred": "p", "target": "t", "ignore_label": 3})", none, &grads), 0.0);
  for (float g : values<float>(grads.get<Tensor>("p"))) EXPECT_EQ(g, 0.0f);
  EXPECT_EQ(error_of([&] { loss("fuse.losses.dice_ce", R"({"pred": "p", "target": "t", "ignore_label": 0})", none); }),
            "loss 'fuse.losses.dice_ce' (plugin 'fuse.losses_core'): create failed: 'ignore_label' 0 is the background; the ignore label marks voxels not "
            "annotated, e.g. the largest label");
}

TEST(Focal, GammaZeroIsCrossEntropyAndEasyExamplesCountLess) {
  const NDict b = sample(R"({"p": [[1.0, -1.0], [0.5, 0.2]], "t": [0, 1]})");
  EXPECT_NEAR(loss("fuse.losses.focal", R"({"pred": "p", "target": "t", "gamma": 0})", b), loss("fuse.losses.cross_entropy", R"({"pred": "p", "target": "t"})", b),
              1e-6);
  EXPECT_LT(loss("fuse.losses.focal", R"({"pred": "p", "target": "t", "gamma": 2})", b), loss("fuse.losses.cross_entropy", R"({"pred": "p", "target": "t"})", b));
  EXPECT_NEAR(loss("fuse.losses.dice_focal", R"({"pred": "p", "target": "t", "dice_weight": 0, "gamma": 0})", b),
              loss("fuse.losses.cross_entropy", R"({"pred": "p", "target": "t"})", b), 1e-6);
  EXPECT_NEAR(loss("fuse.losses.dice_ce", R"({"pred": "p", "target": "t", "dice_weight": 0})", b),
              loss("fuse.losses.cross_entropy", R"({"pred": "p", "target": "t"})", b), 1e-6);
}

TEST(Regression, ValuesGradientsAndShapes) {
  NDict grads;
  EXPECT_DOUBLE_EQ(loss("fuse.losses.mse", R"({"pred": "p", "target": "t"})", sample(R"({"p": [1.0, 2.0], "t": [1.0, 4.0]})"), &grads), 2.0);
  EXPECT_EQ(values<float>(grads.get<Tensor>("p")), (std::vector<float>{0, -2}));
  EXPECT_DOUBLE_EQ(loss("fuse.losses.l1", R"({"pred": "p", "target": "t"})", sample(R"({"p": [1.0, 2.0], "t": [1.0, 4.0]})")), 1.0);
  EXPECT_DOUBLE_EQ(loss("fuse.losses.huber", R"({"pred": "p", "target": "t", "delta": 1})", sample(R"({"p": [0.0, 0.0], "t": [0.5, 3.0]})")),
                   (0.125 + 2.5) / 2);
  EXPECT_DOUBLE_EQ(loss("fuse.losses.mse", R"({"pred": "p", "target": "t"})", sample(R"({"p": [[1.0], [2.0]], "t": [1.0, 2.0]})")), 0.0);  // [N, 1] vs [N]
  EXPECT_EQ(error_of([] { loss("fuse.losses.mse", R"({"pred": "p", "target": "t"})", sample(R"({"p": [[1.0, 2.0]], "t": [[1.0, 2.0, 3.0]]})")); }),
            "loss 'fuse.losses.mse' (plugin 'fuse.losses_core'): prediction 'p' has shape [1, 2] but target 't' has shape [1, 3] (they must match)");
}

// Anchors 0 and 1 share label 0 (each the other's positive); anchor 2 has no positive and is left out.
TEST(SupervisedContrastive, HandComputedValue) {
  const std::string config = R"({"pred": "z", "target": "y", "temperature": 0.5, "base_temperature": 0.5})";
  const double t = 0.5;
  const double l0 = -std::log(std::exp(0.6 / t) / (std::exp(0.6 / t) + std::exp(0.0 / t)));
  const double l1 = -std::log(std::exp(0.6 / t) / (std::exp(0.6 / t) + std::exp(0.8 / t)));
  EXPECT_NEAR(loss("fuse.losses.supervised_contrastive", config, sample(R"({"z": [[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], "y": [0, 0, 1]})")),
              (l0 + l1) / 2, 1e-5);
  // Lengths do not count (cosine similarities), and the loss is scaled by temperature / base_temperature.
  EXPECT_NEAR(loss("fuse.losses.supervised_contrastive", R"({"pred": "z", "target": "y", "temperature": 0.5, "base_temperature": 1})",
                   sample(R"({"z": [[3.0, 0.0], [1.2, 1.6], [0.0, 0.1]], "y": [0, 0, 1]})")),
              0.5 * (l0 + l1) / 2, 1e-5);
  // Pulling the positives together lowers it.
  EXPECT_LT(loss("fuse.losses.supervised_contrastive", config, sample(R"({"z": [[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]], "y": [0, 0, 1]})")), (l0 + l1) / 2);
}

TEST(SupervisedContrastive, ViewsAreEmbeddingsWithTheirSamplesLabel) {
  const std::string config = R"({"pred": "z", "target": "y"})";
  const double with_views = loss("fuse.losses.supervised_contrastive", config,
                                 sample(R"({"z": [[[1.0, 0.0], [0.8, 0.6]], [[0.6, 0.8], [0.0, 1.0]], [[-1.0, 0.2], [-0.5, -0.5]]], "y": [1, 1, 0]})"));
  const double flat = loss("fuse.losses.supervised_contrastive", config,
                           sample(R"({"z": [[1.0, 0.0], [0.8, 0.6], [0.6, 0.8], [0.0, 1.0], [-1.0, 0.2], [-0.5, -0.5]], "y": [1, 1, 1, 1, 0, 0]})"));
  EXPECT_NEAR(with_views, flat, 1e-5);
  EXPECT_GT(flat, 0.0);
}

TEST(SupervisedContrastive, NoPositivesGiveZeroAndBadShapesAreNamed) {
  NDict grads;
  EXPECT_EQ(loss("fuse.losses.supervised_contrastive", R"({"pred": "z", "target": "y"})", sample(R"({"z": [[1.0, 0.0], [0.0, 1.0]], "y": [0, 1]})"), &grads),
            0.0);
  EXPECT_EQ(values<float>(grads.get<Tensor>("z")), (std::vector<float>{0, 0, 0, 0}));
  EXPECT_EQ(error_of([] { loss("fuse.losses.supervised_contrastive", R"({"pred": "z", "target": "y"})", sample(R"({"z": [1.0, 0.0], "y": [0, 1]})")); }),
            "loss 'fuse.losses.supervised_contrastive' (plugin 'fuse.losses_core'): prediction 'z' must be embeddings [N, D] or [N, views, D], got [2]");
  EXPECT_EQ(error_of([] {
              loss("fuse.losses.supervised_contrastive", R"({"pred": "z", "target": "y"})", sample(R"({"z": [[1.0, 0.0], [0.0, 1.0]], "y": [0, 1, 1]})"));
            }),
            "loss 'fuse.losses.supervised_contrastive' (plugin 'fuse.losses_core'): target 'y' must hold one label per sample, [2], got [3]");
  EXPECT_EQ(error_of([] { loss("fuse.losses.supervised_contrastive", R"({"pred": "z", "target": "y", "temperature": 0})", NDict()); }),
            "component 'fuse.losses.supervised_contrastive': config 'temperature' must be >= 0.001, got 0");
}

// Risks 0.5, -0.2, 1.0, 0.0 at times 5, 3, 3 (censored), 8: three events; the one at time 3 has every patient in
// its risk set (the censored tie included: Breslow), the one at 5 the patients at 5 and 8, the last only itself.
TEST(Cox, HandComputedValueAndGradient) {
  const NDict b = sample(R"({"r": [[0.5], [-0.2], [1.0], [0.0]], "t": [5, 3, 3, 8], "e": [1, 1, 0, 1]})");
  NDict grads;
  const auto lse = [](std::vector<double> v) {
    double s = 0;
    for (double x : v) s += std::exp(x);
    return std::log(s);
  };
  const double expected = -((0.5 - lse({0.5, 0.0})) + (-0.2 - lse({0.5, -0.2, 1.0, 0.0})) + 0.0) / 3;
  EXPECT_NEAR(loss("fuse.losses.cox", R"({"pred": "r", "time": "t", "event": "e"})", b, &grads), expected, 1e-6);
  // d/d r_3: its share of the first two risk sets, each over three events.
  const double share = (1 / (std::exp(0.5) + 1) + 1 / (std::exp(0.5) + std::exp(-0.2) + std::exp(1.0) + 1)) / 3;
  EXPECT_NEAR(values<float>(grads.get<Tensor>("r"))[3], share, 1e-6);
  // Shuffling the patients changes nothing.
  EXPECT_NEAR(loss("fuse.losses.cox", R"({"pred": "r", "time": "t", "event": "e"})",
                   sample(R"({"r": [0.0, 1.0, 0.5, -0.2], "t": [8, 3, 5, 3], "e": [1, 0, 1, 1]})")),
              expected, 1e-6);
}

TEST(Cox, NoEventGivesZeroAndBadInputsAreNamed) {
  NDict grads;
  EXPECT_EQ(loss("fuse.losses.cox", "{}", sample(R"({"model": {"risk": [0.3, 0.1]}, "data": {"time": [2, 4], "event": [0, 0]}})"), &grads), 0.0);
  EXPECT_EQ(values<float>(grads.get<Tensor>("model.risk")), (std::vector<float>{0, 0}));
  const std::string prefix = "loss 'fuse.losses.cox' (plugin 'fuse.losses_core'): ";
  const auto error = [](const std::string& batch) { return error_of([&] { loss("fuse.losses.cox", R"({"pred": "r", "time": "t", "event": "e"})", sample(batch)); }); };
  EXPECT_EQ(error(R"({"r": [[0.1, 0.2]], "t": [1], "e": [1]})"), prefix + "prediction 'r' must be one risk score per sample, [N] or [N, 1], got [1, 2]");
  EXPECT_EQ(error(R"({"r": [0.1, 0.2], "t": [1], "e": [1, 0]})"), prefix + "'t' must hold one value per sample, 2, got 1");
  EXPECT_EQ(error(R"({"r": [0.1, 0.2], "t": [1, 2], "e": [1, 2]})"), prefix + "event 'e' must be 1 (the event happened at its time) or 0 (censored then)");
}

// Bins 0-2: an event in bin 1 with equal scores (-log 1/3); censored in bin 0, nothing known (0, no gradient);
// censored in bin 1 of scores (1, 0, -1): -log((1 + e^-1) / (e + 1 + e^-1)).
TEST(DiscreteTime, HandComputedValueAndGradient) {
  const NDict b = sample(R"({"p": [[0.0, 0.0, 0.0], [1.0, 0.0, -1.0], [1.0, 0.0, -1.0]], "bin": [1, 0, 1], "e": [1, 0, 0]})");
  NDict grads;
  const double z = std::exp(1.0) + 1 + std::exp(-1.0);
  const double expected = (std::log(3.0) + 0 - std::log((1 + std::exp(-1.0)) / z)) / 3;
  EXPECT_NEAR(loss("fuse.losses.discrete_time", R"({"pred": "p", "bin": "bin", "event": "e"})", b, &grads), expected, 1e-6);
  const std::vector<float> g = values<float>(grads.get<Tensor>("p"));
  // Row 0: (softmax - one-hot) / 3; row 1: nothing; row 2 pushes its first bin down.
  EXPECT_NEAR(g[0], 1.0 / 9, 1e-6);
  EXPECT_NEAR(g[1], -2.0 / 9, 1e-6);
  EXPECT_NEAR(g[3], 0.0, 1e-7);  // log(p_0 + p_1 + p_2) = log 1, up to rounding
  EXPECT_NEAR(g[4], 0.0, 1e-7);
  EXPECT_NEAR(g[6], std::exp(1.0) / z / 3, 1e-6);
  // The open last bin is defined for a censored patient: -log p_last.
  EXPECT_NEAR(loss("fuse.losses.discrete_time", R"({"pred": "p", "bin": "bin", "event": "e"})", sample(R"({"p": [[1.0, 0.0, -1.0]], "bin": [2], "e": [0]})")),
              -std::log(std::exp(-1.0) / z), 1e-6);
}

TEST(DiscreteTime, BadInputsAreNamed) {
  const std::string prefix = "loss 'fuse.losses.discrete_time' (plugin 'fuse.losses_core'): ";
  const auto error = [](const std::string& batch) {
    return error_of([&] { loss("fuse.losses.discrete_time", R"({"pred": "p", "bin": "b", "event": "e"})", sample(batch)); });
  };
  EXPECT_EQ(error(R"({"p": [0.1, 0.2], "b": [0, 1], "e": [1, 0]})"), prefix + "prediction 'p' must be one score per time bin per sample, [N, bins >= 2], got [2]");
  EXPECT_EQ(error(R"({"p": [[0.1, 0.2]], "b": [0, 1], "e": [1]})"), prefix + "'b' must hold one value per sample, 1, got 2");
  EXPECT_EQ(error(R"({"p": [[0.1, 0.2]], "b": [0.5], "e": [1]})"), prefix + "bin 'b' must hold integer bin indices (fuse.ops.time_bins), got Float");
  EXPECT_EQ(error(R"({"p": [[0.1, 0.2], [0.3, 0.4]], "b": [0, 2], "e": [1, 1]})"),
            prefix + "bin 'b' holds 2, outside the 2 bins of 'p' (0 to 1): give the model as many outputs as fuse.ops.time_bins makes bins");
  EXPECT_EQ(error(R"({"p": [[0.1, 0.2]], "b": [-1], "e": [1]})"),
            prefix + "bin 'b' holds -1, outside the 2 bins of 'p' (0 to 1): give the model as many outputs as fuse.ops.time_bins makes bins");
  EXPECT_EQ(error(R"({"p": [[0.1, 0.2]], "b": [0], "e": [3]})"), prefix + "event 'e' must be 1 (the event happened at its time) or 0 (censored then)");
}

}  // namespace
}  // namespace fuse
