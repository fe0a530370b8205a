// The models through the host, as the trainer uses them: forward, backward, parameter views, state.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <tuple>

#include "test_support.h"

namespace fuse {
namespace {

using testing::built_plugins;
using testing::error_of;
using testing::json_object;
using testing::values;

Model model(const std::string& id, const std::string& config) { return built_plugins().create_model(id, json_object(config)); }

Tensor ramp(std::vector<int64_t> shape, float scale = 0.01f) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(static_cast<float>(i) * scale * 7.0f);
  return Tensor::from_vector<float>(v, shape);
}

CallContext training(uint64_t seed = 1) { return CallContext{true, seed, 0, -1}; }

std::vector<int64_t> forward_shape(Model& m, const std::string& in_key, Tensor input, const std::string& out_key) {
  NDict batch;
  batch.set(in_key, Value(std::move(input)));
  m.forward(batch);
  return batch.get<Tensor>(out_key).shape();
}

std::map<std::string, std::vector<int64_t>> parameter_shapes(Model& m) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const Parameter& p : m.parameters()) shapes[p.name] = std::vector<int64_t>(p.value->shape, p.value->shape + p.value->ndim);
  return shapes;
}

TEST(Mlp, ForwardBackwardAndParameterViews) {
  Model m = model("fuse.models.mlp", R"({"inputs": ["x"], "outputs": ["y"], "in_features": 4, "hidden": [8], "out_features": 3})");
  const std::vector<Parameter> params = m.parameters();
  ASSERT_EQ(params.size(), 4u);
  EXPECT_EQ(params[0].name, "layers.0.weight");
  EXPECT_TRUE(params[0].trainable);
  EXPECT_EQ(params[0].value->shape[0], 8);
  NDict batch;
  batch.set("x", Value(ramp({2, 4})));
  m.forward(batch, training());
  EXPECT_EQ(batch.get<Tensor>("y").shape(), (std::vector<int64_t>{2, 3}));
  NDict grads, input_grads;
  grads.set("y", Value(Tensor::from_vector<float>(std::vector<float>(6, 1.0f), {2, 3})));
  m.backward(grads, input_grads);
  // d(sum y)/d(bias of the last layer) = batch size.
  const float* last_bias_grad = static_cast<const float*>(params[3].grad->data);
  EXPECT_FLOAT_EQ(last_bias_grad[0], 2.0f);
  EXPECT_FALSE(input_grads.has("x"));  // not asked for
  // The views stay valid: a host-side SGD step through them changes the output.
  const std::vector<float> before = values<float>(batch.get<Tensor>("y"));
  for (const Parameter& p : m.parameters()) {
    if (!p.trainable) continue;
    float* v = static_cast<float*>(p.value->data);
    const float* g = static_cast<const float*>(p.grad->data);
    int64_t n = 1;
    for (int32_t d = 0; d < p.value->ndim; ++d) n *= p.value->shape[d];
    for (int64_t i = 0; i < n; ++i) v[i] -= 0.1f * g[i];
  }
  m.forward(batch);
  EXPECT_LT(values<float>(batch.get<Tensor>("y"))[0], before[0]);  // the step lowered sum(y)
  m.zero_grad();
  EXPECT_FLOAT_EQ(last_bias_grad[0], 0.0f);
}

TEST(Mlp, InputGradientsWhenAskedFor) {
  Model m = model("fuse.models.mlp", R"({"inputs": ["x"], "outputs": ["y"], "in_features": 2, "hidden": [], "out_features": 1})");
  NDict batch;
  batch.set("x", Value(ramp({3, 2})));
  CallContext c = training();
  c.input_grads = true;
  m.forward(batch, c);
  NDict grads, input_grads;
  grads.set("y", Value(Tensor::from_vector<float>({1, 1, 1}, {3, 1})));
  m.backward(grads, input_grads);
  ASSERT_TRUE(input_grads.has("x"));
  // y = w . x + b: dy/dx = w for every row.
  const float* w = static_cast<const float*>(m.parameters()[0].value->data);
  const std::vector<float> gx = values<float>(input_grads.get<Tensor>("x"));
  EXPECT_FLOAT_EQ(gx[0], w[0]);
  EXPECT_FLOAT_EQ(gx[5], w[1]);
}

TEST(Mlp, SharedWeightsTakeOneBackwardPerForwardLastFirst) {
  Model m = model("fuse.models.mlp", R"({"inputs": ["x"], "outputs": ["y"], "in_features": 1, "hidden": [], "out_features": 1})");
  NDict a, b;
  a.set("x", Value(Tensor::from_vector<float>({1}, {1, 1})));
  b.set("x", Value(Tensor::from_vector<float>({3}, {1, 1})));
  m.forward(a, training());
  m.forward(b, training());
  NDict g, unused;
  g.set("y", Value(Tensor::from_vector<float>({1}, {1, 1})));
  m.backward(g, unused);  // b's
  m.backward(g, unused);  // a's
  EXPECT_FLOAT_EQ(static_cast<const float*>(m.parameters()[0].grad->data)[0], 4.0f);  // dy/dw summed: 3 + 1
  EXPECT_EQ(error_of([&] { m.backward(g, unused); }),
            "model 'fuse.models.mlp' (plugin 'fuse.models_torch'): backward without a forward in training mode to go back through");
}

TEST(Models, StateRoundTripAndAnotherModelsStateIsRefused) {
  const std::string config = R"({"inputs": ["x"], "outputs": ["y"], "in_features": 4, "hidden": [5], "out_features": 2)";
  Model a = model("fuse.models.mlp", config + R"(, "seed": 1})");
  Model b = model("fuse.models.mlp", config + R"(, "seed": 2})");
  NDict x;
  x.set("x", Value(ramp({1, 4})));
  NDict xa = x, xb = x;
  a.forward(xa);
  b.forward(xb);
  EXPECT_NE(values<float>(xa.get<Tensor>("y")), values<float>(xb.get<Tensor>("y")));  // other seed, other weights
  b.load_state(a.save_state());
  b.forward(xb);
  EXPECT_EQ(values<float>(xa.get<Tensor>("y")), values<float>(xb.get<Tensor>("y")));
  Model other = model("fuse.models.mlp", R"({"inputs": ["x"], "outputs": ["y"], "in_features": 4, "hidden": [6, 3], "out_features": 2})");
  EXPECT_EQ(error_of([&] { other.load_state(a.save_state()); }),
            "model 'fuse.models.mlp' (plugin 'fuse.models_torch'): the state is of another model: missing: layers.4.weight, layers.4.bias; "
            "different shape or type: layers.0.weight [6, 4] vs [5, 4], layers.0.bias [6] vs [5], layers.2.weight [3, 6] vs [2, 5], "
            "layers.2.bias [3] vs [2];");
}

TEST(Models, EveryArchitectureRunsOnSmallInputs) {
  Model cnn = model("fuse.models.cnn_classifier", R"({"in_channels": 1, "dims": 3, "num_classes": 2, "channels": [4, 8], "strides": [2, 2], "outputs": ["l", "p"]})");
  EXPECT_EQ(forward_shape(cnn, "data.image", ramp({2, 1, 12, 12, 12}), "p"), (std::vector<int64_t>{2, 2}));
  // 0 classes: a backbone, its last feature map out (no pooling, no linear layer)
  Model backbone = model("fuse.models.cnn_classifier", R"({"in_channels": 1, "dims": 3, "num_classes": 0, "channels": [4, 8], "strides": [2, 2], "outputs": ["f"]})");
  EXPECT_EQ(forward_shape(backbone, "data.image", ramp({2, 1, 12, 12, 12}), "f"), (std::vector<int64_t>{2, 8, 3, 3, 3}));
  for (const Parameter& p : backbone.parameters()) EXPECT_EQ(p.name.find(".fc."), std::string::npos) << p.name;
  Model reg = model("fuse.models.cnn_regressor", R"({"in_channels": 1, "dims": 2, "channels": [4], "strides": [2], "outputs": ["age"]})");
  EXPECT_EQ(forward_shape(reg, "data.image", ramp({3, 1, 9, 9}), "age"), (std::vector<int64_t>{3, 1}));
  Model r18 = model("fuse.models.resnet", R"({"dims": 3, "depth": 18, "in_channels": 1, "width": 4, "outputs": ["f"]})");
  EXPECT_EQ(forward_shape(r18, "data.image", ramp({1, 1, 32, 32, 32}), "f"), (std::vector<int64_t>{1, 32, 1, 1, 1}));
  Model r34 = model("fuse.models.resnet", R"({"dims": 3, "depth": 34, "in_channels": 1, "width": 4, "num_classes": 3, "stem_pool": false})");
  EXPECT_EQ(forward_shape(r34, "data.image", ramp({1, 1, 16, 16, 16}), "model.logits"), (std::vector<int64_t>{1, 3}));
  Model r50 = model("fuse.models.resnet", R"({"in_channels": 3, "dims": 2, "depth": 50, "width": 4, "num_classes": 2})");
  EXPECT_EQ(forward_shape(r50, "data.image", ramp({1, 3, 32, 32}), "model.logits"), (std::vector<int64_t>{1, 2}));
  Model inception = model("fuse.models.inception_resnet", R"({"in_channels": 1, "num_classes": 2, "repeats": [1, 1, 1], "width": 0.1})");
  EXPECT_EQ(forward_shape(inception, "data.image", ramp({1, 1, 40, 40}), "model.logits"), (std::vector<int64_t>{1, 2}));
  Model unet2 = model("fuse.models.unet", R"({"in_channels": 1, "dims": 2, "num_classes": 3, "channels": [4, 8, 16]})");
  EXPECT_EQ(forward_shape(unet2, "data.image", ramp({1, 1, 17, 22}), "model.logits"), (std::vector<int64_t>{1, 3, 17, 22}));
  Model unet3 = model("fuse.models.unet", R"({"in_channels": 1, "dims": 3, "num_classes": 2, "channels": [4, 8], "norm": "instance"})");
  EXPECT_EQ(forward_shape(unet3, "data.image", ramp({2, 1, 8, 10, 12}), "model.logits"), (std::vector<int64_t>{2, 2, 8, 10, 12}));
  Model seg = model("fuse.models.segmentation_head", R"({"dims": 2, "in_channels": 8, "num_classes": 2, "hidden": 4, "scale_factor": 2.0, "inputs": ["f"]})");
  EXPECT_EQ(forward_shape(seg, "f", ramp({1, 8, 5, 5}), "model.logits"), (std::vector<int64_t>{1, 2, 10, 10}));
}

// A strided shortcut (1x1 convolution) on an input of 2 to 15 channels: LibTorch 1.13's oneDNN crashed in its
// backward in 2D (an RGB photograph into a CNN); the shortcut subsamples, then convolves. Its gradient reaches
// the shortcut's weight under the convolution's name.
TEST(Cnn, StridedShortcutsOfRgbImagesTrain) {
  for (const auto& [id, config, shortcut] :
       {std::tuple{"fuse.models.cnn_classifier", R"({"in_channels": 3, "dims": 2, "num_classes": 2, "channels": [16, 32], "strides": [2, 2], "outputs": ["l"]})",
                   "cnn.units.0.skip.0.weight"},
        std::tuple{"fuse.models.resnet", R"({"in_channels": 3, "dims": 2, "depth": 18, "width": 4, "num_classes": 2, "outputs": ["l"]})",
                   "resnet.layer2.0.downsample.0.weight"}}) {
    Model m = model(id, config);
    NDict batch;
    batch.set("data.image", Value(ramp({16, 3, 96, 96})));  // a batch that crashed
    m.forward(batch, training());
    ASSERT_EQ(batch.get<Tensor>("l").shape(), (std::vector<int64_t>{16, 2})) << id;
    NDict grads, input_grads;
    grads.set("l", Value(ramp({16, 2}, 0.3f)));
    m.backward(grads, input_grads);
    double gradient = -1;
    for (const Parameter& p : m.parameters())
      if (p.name == shortcut) {
        gradient = 0;
        const float* g = static_cast<const float*>(p.grad->data);
        for (int64_t i = 0, n = p.grad->shape[0] * p.grad->shape[1]; i < n; ++i) gradient += std::abs(g[i]);
      }
    EXPECT_GT(gradient, 0.0) << id << ": " << shortcut;
    EXPECT_TRUE(std::isfinite(gradient)) << id;
  }
}

// A 3D UNet of `config` on an odd-sized volume: logits of its size, and a finite, non-zero gradient reaching the
// parameter `name` of `shape`.
void expect_3d_unet_gradient(const std::string& config, const std::string& name, const std::vector<int64_t>& shape) {
  Model m = model("fuse.models.unet", config);
  NDict batch;
  batch.set("data.image", Value(ramp({1, 1, 7, 9, 10})));
  m.forward(batch, training());
  EXPECT_EQ(batch.get<Tensor>("model.logits").shape(), (std::vector<int64_t>{1, 2, 7, 9, 10}));
  NDict grads, input_grads;
  grads.set("model.logits", Value(ramp({1, 2, 7, 9, 10}, 0.03f)));
  m.backward(grads, input_grads);
  double gradient = -1;
  for (const Parameter& p : m.parameters())
    if (p.name == name) {
      ASSERT_EQ(std::vector<int64_t>(p.grad->shape, p.grad->shape + p.grad->ndim), shape) << name;
      gradient = 0;
      const float* g = static_cast<const float*>(p.grad->data);
      const int64_t n = std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
      for (int64_t i = 0; i < n; ++i) gradient += std::abs(g[i]);
    }
  EXPECT_GT(gradient, 0.0) << name;
  EXPECT_TRUE(std::isfinite(gradient)) << name;
}

TEST(UNet, EfficientNetEncoderStridesWithMBConvBlocks) {
  Model m = model("fuse.models.unet", R"({"in_channels": 1, "dims": 2, "num_classes": 3, "channels": [4, 8, 16], "encoder": "efficientnet", "expansion": 4})");
  // Odd sizes: strided blocks give ceil(n / 2), the decoder resizes to the skips.
  EXPECT_EQ(forward_shape(m, "data.image", ramp({2, 1, 17, 22}), "model.logits"), (std::vector<int64_t>{2, 3, 17, 22}));
  const auto shapes = parameter_shapes(m);
  // Level 1: 4 channels expanded 4x to 16, a depthwise 3x3 (one input channel per group), excitation through
  // 4 / 4 = 1 channel, projected to 8.
  EXPECT_EQ(shapes.at("unet.down1.0.expand.0.weight"), (std::vector<int64_t>{16, 4, 1, 1}));
  EXPECT_EQ(shapes.at("unet.down1.0.depthwise.0.weight"), (std::vector<int64_t>{16, 1, 3, 3}));
  EXPECT_EQ(shapes.at("unet.down1.0.excite.0.weight"), (std::vector<int64_t>{1, 16, 1, 1}));
  EXPECT_EQ(shapes.at("unet.down1.0.project.0.weight"), (std::vector<int64_t>{8, 16, 1, 1}));
  EXPECT_EQ(shapes.at("unet.down1.1.depthwise.0.weight"), (std::vector<int64_t>{32, 1, 3, 3}));  // the residual block: 8 x 4
  EXPECT_FALSE(shapes.count("unet.down0.3.expand.0.weight"));  // level 0's block does not expand
  // 3D, and a gradient reaches the first depthwise kernel. Level 1 of 3D: 4 channels expanded 4x, so 16
  // depthwise 3x3x3 kernels.
  expect_3d_unet_gradient(R"({"in_channels": 1, "dims": 3, "num_classes": 2, "channels": [4, 8], "encoder": "efficientnet", "norm": "instance"})",
                          "unet.down1.0.depthwise.0.weight", {16, 1, 3, 3, 3});
}

// nnU-Net's ResEnc UNet: a stem, then per level residual blocks (1, 3, 4, ... by default), the first of each
// level after the first striding down with an average-pooled, projected shortcut.
TEST(UNet, ResidualEncoderStacksResidualBlocksPerLevel) {
  Model m = model("fuse.models.unet", R"({"in_channels": 2, "dims": 2, "num_classes": 3, "channels": [4, 8, 16], "encoder": "residual"})");
  EXPECT_EQ(forward_shape(m, "data.image", ramp({2, 2, 17, 22}), "model.logits"), (std::vector<int64_t>{2, 3, 17, 22}));  // odd sizes
  const auto shapes = parameter_shapes(m);
  EXPECT_EQ(shapes.at("unet.down0.0.weight"), (std::vector<int64_t>{4, 2, 3, 3}));  // the stem
  EXPECT_EQ(shapes.at("unet.down0.3.body.0.weight"), (std::vector<int64_t>{4, 4, 3, 3}));
  EXPECT_FALSE(shapes.count("unet.down0.3.shortcut.0.weight"));  // same shape: the identity
  EXPECT_FALSE(shapes.count("unet.down0.4.body.0.weight"));      // 1 block at level 0
  EXPECT_EQ(shapes.at("unet.down1.0.body.0.weight"), (std::vector<int64_t>{8, 4, 3, 3}));
  EXPECT_EQ(shapes.at("unet.down1.0.shortcut.0.weight"), (std::vector<int64_t>{8, 4, 1, 1}));
  EXPECT_TRUE(shapes.count("unet.down1.2.body.3.weight"));  // 3 blocks at level 1
  EXPECT_FALSE(shapes.count("unet.down1.3.body.0.weight"));
  EXPECT_TRUE(shapes.count("unet.down2.3.body.0.weight"));  // 4 at level 2
  // 3D with its own counts, and a gradient reaches the first strided block's shortcut.
  expect_3d_unet_gradient(R"({"in_channels": 1, "dims": 3, "num_classes": 2, "channels": [4, 8], "encoder": "residual", "blocks": [1, 2], "norm": "instance"})",
                          "unet.down1.0.shortcut.0.weight", {8, 4, 1, 1, 1});
  const std::string prefix = "model 'fuse.models.unet' (plugin 'fuse.models_torch'): create failed: ";
  EXPECT_EQ(error_of([] { model("fuse.models.unet", R"({"in_channels": 1, "num_classes": 2, "channels": [4, 8], "encoder": "residual", "blocks": [1]})"); }),
            prefix + "'blocks' gives 1 levels' residual blocks but 'channels' has 2 levels: give one count per level");
  EXPECT_EQ(error_of([] { model("fuse.models.unet", R"({"in_channels": 1, "num_classes": 2, "channels": [4, 8], "blocks": [1, 2]})"); }),
            prefix + "'blocks' counts the residual blocks of the \"residual\" encoder; this UNet's encoder is another");
  EXPECT_EQ(error_of([] { model("fuse.models.unet", R"({"in_channels": 1, "num_classes": 2, "channels": [4, 8], "encoder": "residual", "blocks": [1, 0]})"); }),
            "component 'fuse.models.unet': config 'blocks' element 1 must be >= 1, got 0");
}

// nnU-Net's deep supervision: in training, logits of each listed decoder level below the full resolution (1/2,
// then 1/4, of the input's size), each from a classifier of its own; in evaluation none.
TEST(UNet, DeepSupervisionWritesLowerResolutionLogitsInTrainingOnly) {
  Model m = model("fuse.models.unet", R"({"in_channels": 1, "dims": 2, "num_classes": 3, "channels": [4, 8, 16, 32],
                                          "outputs": ["model.logits", "model.probs"], "deep_supervision": ["model.half", "model.quarter"]})");
  NDict batch;
  batch.set("data.image", Value(ramp({2, 1, 16, 20})));
  m.forward(batch, training());
  EXPECT_EQ(batch.get<Tensor>("model.probs").shape(), (std::vector<int64_t>{2, 3, 16, 20}));
  EXPECT_EQ(batch.get<Tensor>("model.half").shape(), (std::vector<int64_t>{2, 3, 8, 10}));
  EXPECT_EQ(batch.get<Tensor>("model.quarter").shape(), (std::vector<int64_t>{2, 3, 4, 5}));
  // A gradient on the quarter-size logits alone reaches their classifier and the decoder below it, not the
  // full-resolution head nor the half-size classifier.
  NDict grads, input_grads;
  grads.set("model.quarter", Value(ramp({2, 3, 4, 5}, 0.05f)));
  m.backward(grads, input_grads);
  std::map<std::string, double> gradient;
  for (const Parameter& p : m.parameters()) {
    if (p.grad == nullptr) continue;
    int64_t n = 1;
    for (int32_t d = 0; d < p.grad->ndim; ++d) n *= p.grad->shape[d];
    const float* g = static_cast<const float*>(p.grad->data);
    for (int64_t i = 0; i < n; ++i) gradient[p.name] += std::abs(g[i]);
  }
  EXPECT_GT(gradient.at("unet.supervision2.weight"), 0.0);
  EXPECT_GT(gradient.at("unet.merge3.0.weight"), 0.0);  // the decoder at 1/4
  EXPECT_EQ(gradient.at("unet.merge2.0.weight"), 0.0);  // the decoder at 1/2 comes after
  EXPECT_EQ(gradient.at("unet.supervision1.weight"), 0.0);
  EXPECT_EQ(gradient.at("unet.head.weight"), 0.0);
  NDict evaluation;
  evaluation.set("data.image", Value(ramp({1, 1, 16, 20})));
  m.forward(evaluation);
  EXPECT_TRUE(evaluation.has("model.logits"));
  EXPECT_FALSE(evaluation.has("model.half"));
  EXPECT_FALSE(evaluation.has("model.quarter"));
  // 3 levels have one decoder level below the full resolution.
  EXPECT_EQ(error_of([] { model("fuse.models.unet", R"({"in_channels": 1, "num_classes": 2, "channels": [4, 8, 16], "deep_supervision": ["a", "b"]})"); }),
            "model 'fuse.models.unet' (plugin 'fuse.models_torch'): create failed: 'deep_supervision' names 2 keys but a UNet of 3 levels has 1 decoder "
            "level below the full resolution (1/2, 1/4, ...; the deepest level has no decoder): name at most 1 or add levels to 'channels'");
  EXPECT_EQ(error_of([] { model("fuse.models.unet", R"({"in_channels": 1, "num_classes": 2, "channels": [4, 8], "deep_supervision": ["a"]})"); }),
            "model 'fuse.models.unet' (plugin 'fuse.models_torch'): create failed: 'deep_supervision' names 1 key but a UNet of 2 levels has 0 decoder "
            "levels below the full resolution (1/2, 1/4, ...; the deepest level has no decoder): name at most 0 or add levels to 'channels'");
}

TEST(Vit, ClassifierBackboneAndPatchFeatureMap) {
  Model cls = model("fuse.models.vit", R"({"dims": 2, "in_channels": 2, "image_size": [12, 8], "patch_size": [4, 2], "hidden": 16, "depth": 2, "heads": 4,
                                           "num_classes": 3, "outputs": ["l", "p"]})");
  EXPECT_EQ(forward_shape(cls, "data.image", ramp({2, 2, 8, 12}), "p"), (std::vector<int64_t>{2, 3}));
  // A 3D backbone: the pooled embedding and the patch tokens on their grid (z, y, x = 8/4, 12/4, 16/8).
  Model backbone = model("fuse.models.vit", R"({"in_channels": 1, "dims": 3, "image_size": [16, 12, 8], "patch_size": [8, 4, 4], "hidden": 8, "depth": 1, "heads": 2,
                                                "pooling": "mean", "outputs": ["e", "f"]})");
  NDict batch;
  batch.set("data.image", Value(ramp({3, 1, 8, 12, 16})));
  backbone.forward(batch);
  EXPECT_EQ(batch.get<Tensor>("e").shape(), (std::vector<int64_t>{3, 8}));
  EXPECT_EQ(batch.get<Tensor>("f").shape(), (std::vector<int64_t>{3, 8, 2, 3, 2}));
  // Mean pooling: the embedding is the mean of the patch tokens.
  const std::vector<float> e = values<float>(batch.get<Tensor>("e")), f = values<float>(batch.get<Tensor>("f"));
  for (int64_t c = 0; c < 8; ++c) {
    double sum = 0;
    for (int64_t t = 0; t < 12; ++t) sum += f[static_cast<size_t>(c * 12 + t)];
    EXPECT_NEAR(e[static_cast<size_t>(c)], sum / 12, 1e-5) << c;
  }
}

// Attention mixes the tokens of one image, never of two: each image's output is the same alone or in a batch,
// and changing one corner patch changes the class scores (every token sees every other).
TEST(Vit, ImagesOfABatchDoNotMix) {
  Model m = model("fuse.models.vit", R"({"in_channels": 1, "dims": 2, "image_size": [8], "patch_size": [4], "hidden": 8, "depth": 2, "heads": 2, "num_classes": 2})");
  m.set_training(false);
  const Tensor both = ramp({2, 1, 8, 8});
  NDict batch;
  batch.set("data.image", Value(both));
  m.forward(batch);
  const std::vector<float> together = values<float>(batch.get<Tensor>("model.logits"));
  std::vector<float> alone;
  for (int64_t n = 0; n < 2; ++n) {
    const std::vector<float> all = values<float>(both);
    NDict one;
    one.set("data.image", Value(Tensor::from_vector<float>(std::vector<float>(all.begin() + n * 64, all.begin() + (n + 1) * 64), {1, 1, 8, 8})));
    m.forward(one);
    for (float x : values<float>(one.get<Tensor>("model.logits"))) alone.push_back(x);
  }
  ASSERT_EQ(alone.size(), together.size());
  for (size_t i = 0; i < alone.size(); ++i) EXPECT_NEAR(alone[i], together[i], 1e-5) << i;
  std::vector<float> changed = values<float>(both);
  changed[0] += 1.0f;  // image 0, top-left patch
  NDict other;
  other.set("data.image", Value(Tensor::from_vector<float>(changed, {2, 1, 8, 8})));
  m.forward(other);
  const std::vector<float> after = values<float>(other.get<Tensor>("model.logits"));
  EXPECT_GT(std::abs(after[0] - together[0]) + std::abs(after[1] - together[1]), 1e-4);
  EXPECT_NEAR(after[2], together[2], 1e-5);  // image 1 untouched
}

TEST(Vit, SizesThatDoNotFitAreNamed) {
  EXPECT_EQ(error_of([] { model("fuse.models.vit", R"({"in_channels": 1, "image_size": [10, 8], "patch_size": [4]})"); }),
            "model 'fuse.models.vit' (plugin 'fuse.models_torch'): create failed: 'image_size' [10, 8] must be a multiple of 'patch_size' [4, 4] along "
            "every axis");
  EXPECT_EQ(error_of([] { model("fuse.models.vit", R"({"in_channels": 1, "image_size": [8, 8], "patch_size": [4], "hidden": 10, "heads": 4})"); }),
            "model 'fuse.models.vit' (plugin 'fuse.models_torch'): create failed: 'hidden' (10) must be a multiple of 'heads' (4)");
  // Left out, as `fuse run` fills it from the data: a model built without data says so.
  EXPECT_EQ(error_of([] { model("fuse.models.vit", R"({"in_channels": 1, "patch_size": [4]})"); }),
            "model 'fuse.models.vit' (plugin 'fuse.models_torch'): create failed: 'image_size' is not set: `fuse run` takes it from a training batch when the "
            "experiment leaves it out; give it to build the model without data");
  EXPECT_EQ(error_of([] { model("fuse.models.vit", R"({"in_channels": 1, "dims": 3, "image_size": [8, 8], "patch_size": [4]})"); }),
            "model 'fuse.models.vit' (plugin 'fuse.models_torch'): create failed: 'image_size' needs 1 or 3 sizes (x, y, z), got 2");
  Model m = model("fuse.models.vit", R"({"in_channels": 1, "image_size": [8, 12], "patch_size": [4], "hidden": 8, "heads": 2, "depth": 1})");
  NDict batch;
  batch.set("data.image", Value(ramp({1, 1, 8, 8})));
  EXPECT_EQ(error_of([&] { m.forward(batch); }),
            "model 'fuse.models.vit' (plugin 'fuse.models_torch'): a 2D ViT built for 'image_size' [8, 12] (x first) got an image of [8, 8]; crop or "
            "resize to that size, or use sliding windows of it");
}

// The pyramid: a grid of (16 + 2 - 3) / 2 + 1 = 8 (x, y) by 4 (z) after the stem, halved at each stage while
// the width and heads double; the shortcut widens with the tokens.
TEST(Mvit, StagesPoolTheGridAndDoubleTheWidthAndHeads) {
  Model m = model("fuse.models.mvit", R"({"in_channels": 1, "dims": 3, "image_size": [16, 16, 8], "patch_kernel": [3], "patch_stride": [2], "embed_dim": 8,
                                          "depths": [1, 1, 1], "kv_stride": [2], "drop_path": 0, "outputs": ["e", "f"]})");
  NDict batch;
  batch.set("data.image", Value(ramp({3, 1, 8, 16, 16})));
  m.forward(batch);
  EXPECT_EQ(batch.get<Tensor>("e").shape(), (std::vector<int64_t>{3, 32}));
  EXPECT_EQ(batch.get<Tensor>("f").shape(), (std::vector<int64_t>{3, 32, 1, 2, 2}));
  // The pooled embedding is the mean of the last stage's tokens.
  const std::vector<float> e = values<float>(batch.get<Tensor>("e")), f = values<float>(batch.get<Tensor>("f"));
  for (int64_t c = 0; c < 32; ++c) {
    double sum = 0;
    for (int64_t t = 0; t < 4; ++t) sum += f[static_cast<size_t>(c * 4 + t)];
    EXPECT_NEAR(e[static_cast<size_t>(c)], sum / 4, 1e-5) << c;
  }
  const auto shapes = parameter_shapes(m);
  EXPECT_EQ(shapes.at("mvit.embed.weight"), (std::vector<int64_t>{8, 1, 3, 3, 3}));
  EXPECT_EQ(shapes.at("mvit.positions"), (std::vector<int64_t>{1, 4 * 8 * 8, 8}));
  EXPECT_FALSE(shapes.count("mvit.block0.shortcut.weight"));  // same width: the identity
  EXPECT_EQ(shapes.at("mvit.block1.attention.qkv.weight"), (std::vector<int64_t>{3 * 16, 8}));
  EXPECT_EQ(shapes.at("mvit.block1.shortcut.weight"), (std::vector<int64_t>{16, 8}));
  // Depthwise pooling per head: 2 heads of 8 at stage 1, 4 heads of 8 at stage 2.
  EXPECT_EQ(shapes.at("mvit.block1.attention.pool_k.conv.weight"), (std::vector<int64_t>{8, 1, 3, 3, 3}));
  EXPECT_EQ(shapes.at("mvit.block2.attention.pool_q.norm.weight"), (std::vector<int64_t>{8}));
  EXPECT_EQ(shapes.at("mvit.norm.weight"), (std::vector<int64_t>{32}));
  // Thin slabs: q_stride 1 along z keeps its 4 planes.
  Model slab = model("fuse.models.mvit", R"({"in_channels": 1, "dims": 3, "image_size": [16, 16, 8], "patch_kernel": [3], "patch_stride": [2], "embed_dim": 8,
                                             "depths": [1, 1, 1], "q_stride": [2, 2, 1], "outputs": ["e", "f"]})");
  slab.forward(batch);
  EXPECT_EQ(batch.get<Tensor>("f").shape(), (std::vector<int64_t>{3, 32, 4, 2, 2}));
}

// Every parameter is used: one backward gives each a finite gradient, not all zero.
TEST(Mvit, ClassifierBackwardReachesEveryParameter) {
  Model m = model("fuse.models.mvit", R"({"dims": 2, "in_channels": 2, "image_size": [12, 10], "patch_kernel": [3], "patch_stride": [2],
                                          "embed_dim": 8, "heads": 2, "depths": [2, 1], "num_classes": 3, "outputs": ["l", "p"]})");
  NDict batch;
  batch.set("data.image", Value(ramp({2, 2, 10, 12})));
  m.forward(batch, training());
  EXPECT_EQ(batch.get<Tensor>("p").shape(), (std::vector<int64_t>{2, 3}));
  NDict grads, input_grads;
  grads.set("l", Value(Tensor::from_vector<float>({1, -1, 0.5f, -0.5f, 2, 0}, {2, 3})));
  m.backward(grads, input_grads);
  for (const Parameter& p : m.parameters()) {
    int64_t n = 1;
    for (int i = 0; i < p.grad->ndim; ++i) n *= p.grad->shape[i];
    double size = 0;
    const float* g = static_cast<const float*>(p.grad->data);
    for (int64_t i = 0; i < n; ++i) size += std::abs(g[i]);
    EXPECT_TRUE(std::isfinite(size)) << p.name;
    EXPECT_GT(size, 0.0) << p.name;
  }
}

// Pooling and attention stay within an image; stochastic depth follows the call's seed and is off outside
// training (the same weights give the same scores with or without it).
TEST(Mvit, ImagesDoNotMixAndDropPathFollowsTheSeed) {
  const std::string config = R"({"in_channels": 1, "dims": 2, "image_size": [16], "patch_kernel": [3], "patch_stride": [2], "embed_dim": 8, "depths": [1, 2],
                                  "num_classes": 2, "drop_path": )";
  Model m = model("fuse.models.mvit", config + "0.5}");
  Model plain = model("fuse.models.mvit", config + "0}");
  m.set_training(false);
  plain.set_training(false);
  const Tensor both = ramp({2, 1, 16, 16});
  NDict batch;
  batch.set("data.image", Value(both));
  m.forward(batch);
  const std::vector<float> together = values<float>(batch.get<Tensor>("model.logits"));
  plain.forward(batch);
  EXPECT_EQ(values<float>(batch.get<Tensor>("model.logits")), together);
  const std::vector<float> all = values<float>(both);
  NDict second;
  second.set("data.image", Value(Tensor::from_vector<float>(std::vector<float>(all.begin() + 256, all.end()), {1, 1, 16, 16})));
  m.forward(second);
  const std::vector<float> alone = values<float>(second.get<Tensor>("model.logits"));
  EXPECT_NEAR(alone[0], together[2], 1e-5);
  EXPECT_NEAR(alone[1], together[3], 1e-5);
  auto train = [&](uint64_t seed) {
    NDict b;
    b.set("data.image", Value(both));
    m.forward(b, training(seed));
    m.set_training(false);  // drops the saved forward
    return values<float>(b.get<Tensor>("model.logits"));
  };
  EXPECT_EQ(train(5), train(5));
  EXPECT_NE(train(5), train(6));
}

TEST(Mvit, BadConfigsAndSizesAreNamed) {
  const std::string prefix = "model 'fuse.models.mvit' (plugin 'fuse.models_torch'): create failed: ";
  EXPECT_EQ(error_of([] { model("fuse.models.mvit", R"({"in_channels": 1, "image_size": [16], "embed_dim": 10, "heads": 4})"); }),
            prefix + "'embed_dim' (10) must be a multiple of 'heads' (4)");
  EXPECT_EQ(error_of([] { model("fuse.models.mvit", R"({"in_channels": 1, "image_size": [16], "depths": []})"); }),
            prefix + "'depths' needs at least one stage (blocks per stage, e.g. [1, 2, 5, 2])");
  EXPECT_EQ(error_of([] { model("fuse.models.mvit", R"({"in_channels": 1, "image_size": [16], "depths": [1, 0]})"); }),
            "component 'fuse.models.mvit': config 'depths' element 1 must be >= 1, got 0");
  EXPECT_EQ(error_of([] { model("fuse.models.mvit", R"({"in_channels": 1, "dims": 3, "image_size": [16], "q_stride": [2, 2]})"); }),
            prefix + "'q_stride' needs 1 or 3 sizes (x, y, z), got 2");
  EXPECT_EQ(error_of([] { model("fuse.models.mvit", R"({"in_channels": 1, "image_size": [16], "kv_stride": [0]})"); }),
            "component 'fuse.models.mvit': config 'kv_stride' element 0 must be >= 1, got 0");
  Model m = model("fuse.models.mvit", R"({"in_channels": 1, "image_size": [16, 12], "embed_dim": 8, "depths": [1]})");
  NDict batch;
  batch.set("data.image", Value(ramp({1, 1, 16, 16})));
  EXPECT_EQ(error_of([&] { m.forward(batch); }),
            "model 'fuse.models.mvit' (plugin 'fuse.models_torch'): a 2D MViT built for 'image_size' [16, 12] (x first) got an image of [16, 16]; "
            "crop or resize to that size, or use sliding windows of it");
  batch.set("data.image", Value(ramp({1, 16, 12})));
  EXPECT_EQ(error_of([&] { m.forward(batch); }),
            "model 'fuse.models.mvit' (plugin 'fuse.models_torch'): a 2D MViT expects a tensor of 4 axes [batch, channels, ...], got [1, 16, 12]");
}

TEST(Models, HeadsAppendTabularFeatures) {
  Model head = model("fuse.models.classifier_head", R"({"dims": 3, "in_channels": 4, "num_classes": 2, "tabular_features": 3, "pooling": "avgmax",
                                                          "inputs": ["f", "t"], "outputs": ["l", "p"], "hidden": [8], "dropout": 0.2})");
  NDict batch;
  batch.set("f", Value(ramp({2, 4, 3, 3, 3})));
  batch.set("t", Value(ramp({2, 3})));
  head.forward(batch);
  const std::vector<float> p = values<float>(batch.get<Tensor>("p"));
  EXPECT_NEAR(p[0] + p[1], 1.0f, 1e-6);
  batch.set("t", Value(ramp({2, 5})));
  EXPECT_EQ(error_of([&] { head.forward(batch); }),
            "model 'fuse.models.classifier_head' (plugin 'fuse.models_torch'): the tabular input has 5 features; 'tabular_features' says 3");
}

TEST(Models, WrongInputsAreNamed) {
  Model cnn = model("fuse.models.cnn_classifier", R"({"in_channels": 1, "dims": 3, "num_classes": 2, "channels": [4], "strides": [2]})");
  NDict batch;
  batch.set("data.image", Value(ramp({1, 12, 12})));
  EXPECT_EQ(error_of([&] { cnn.forward(batch); }),
            "model 'fuse.models.cnn_classifier' (plugin 'fuse.models_torch'): a 3D CNN expects a tensor of 5 axes [batch, channels, ...], got [1, 12, 12]");
  EXPECT_EQ(error_of([] { model("fuse.models.resnet", R"({"in_channels": 3, "dims": 4})"); }), "component 'fuse.models.resnet': config 'dims' must be <= 3, got 4");
  EXPECT_EQ(error_of([] { model("fuse.models.resnet", R"({"in_channels": 3, "depth": 101})"); }).find("component 'fuse.models.resnet': config 'depth' must be one of"), 0u);
}

TEST(Models, DropoutFollowsTheCallSeed) {
  Model m = model("fuse.models.classifier_head", R"({"dims": 1, "in_channels": 16, "num_classes": 4, "dropout": 0.5, "inputs": ["x"]})");
  auto run = [&](uint64_t seed) {
    NDict b;
    b.set("x", Value(ramp({2, 16})));
    m.forward(b, training(seed));
    m.set_training(false);  // drops the saved forward
    return values<float>(b.get<Tensor>("model.logits"));
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

}  // namespace
}  // namespace fuse
