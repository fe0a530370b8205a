// Inception-ResNet-v2 for 2D images (Szegedy et al., 2016): stem, residual Inception blocks A, B and C with
// reductions between them. 'repeats' sets the number of blocks per stage (the paper: 10, 20, 10) and 'width'
// scales every channel count, so the network fits small data and CPUs.
#include "layers.h"

namespace fuse::models {
namespace {

struct ConvBn : torch::nn::Module {
  ConvBn(int64_t in, int64_t out, std::vector<int64_t> kernel, int64_t stride = 1, std::vector<int64_t> padding = {0, 0}) {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, torch::ExpandingArray<2>(kernel))
                                                         .stride(stride)
                                                         .padding(torch::ExpandingArray<2>(padding))
                                                         .bias(false)));
    bn = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out).eps(1e-3)));
  }
  torch::Tensor forward(const torch::Tensor& x) { return torch::relu(bn->forward(conv->forward(x))); }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};

using Branch = torch::nn::Sequential;

Branch branch(std::initializer_list<std::shared_ptr<ConvBn>> layers) {
  Branch b;
  for (const auto& l : layers) b->push_back(l);
  return b;
}

std::shared_ptr<ConvBn> cb(int64_t in, int64_t out, std::vector<int64_t> k, int64_t s = 1, std::vector<int64_t> p = {0, 0}) {
  return std::make_shared<ConvBn>(in, out, std::move(k), s, std::move(p));
}

// A residual block: branches concatenated, a 1x1 convolution back to the input width, scaled and added.
struct ResidualInception : torch::nn::Module {
  ResidualInception(std::vector<Branch> branches_, int64_t joined, int64_t channels, double scale_) : scale(scale_) {
    for (size_t i = 0; i < branches_.size(); ++i) branches.push_back(register_module("branch" + std::to_string(i), branches_[i]));
    project = register_module("project", torch::nn::Conv2d(torch::nn::Conv2dOptions(joined, channels, 1)));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    std::vector<torch::Tensor> outs;
    for (auto& b : branches) outs.push_back(b->forward(x));
    return torch::relu(x + scale * project->forward(torch::cat(outs, 1)));
  }
  std::vector<Branch> branches;
  torch::nn::Conv2d project{nullptr};
  double scale;
};

// Branches side by side, concatenated (the reductions, which also take a pooled branch).
struct Mixed : torch::nn::Module {
  Mixed(std::vector<Branch> branches_, bool pooled) : with_pool(pooled) {
    for (size_t i = 0; i < branches_.size(); ++i) branches.push_back(register_module("branch" + std::to_string(i), branches_[i]));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    std::vector<torch::Tensor> outs;
    for (auto& b : branches) outs.push_back(b->forward(x));
    if (with_pool) outs.push_back(torch::max_pool2d(x, 3, 2));
    return torch::cat(outs, 1);
  }
  std::vector<Branch> branches;
  bool with_pool;
};

struct InceptionResNet : torch::nn::Module {
  explicit InceptionResNet(const DictView& c) : num_classes(c.get_int("num_classes")), outputs(c.get_strings("outputs").size()) {
    const double w = c.get_double("width");
    auto ch = [w](int64_t n) { return std::max<int64_t>(4, static_cast<int64_t>(n * w)); };
    const std::vector<int64_t> repeats = c.get_ints("repeats");
    if (repeats.size() != 3) fail(FM_ERR_INVALID_ARGUMENT, "'repeats' needs 3 numbers (blocks A, B, C)");
    const int64_t in = data_size(c, "in_channels");
    // Stem (simplified: the paper's branching stem as plain convolutions and pools).
    stem = register_module("stem", torch::nn::Sequential(cb(in, ch(32), {3, 3}, 2, {1, 1}), cb(ch(32), ch(64), {3, 3}, 1, {1, 1}),
                                                         torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)),
                                                         cb(ch(64), ch(192), {3, 3}, 1, {1, 1})));
    const int64_t a = ch(320);
    stem_out = register_module("stem_out", cb(ch(192), a, {1, 1}));
    for (int64_t i = 0; i < repeats[0]; ++i)
      blocks_a->push_back(std::make_shared<ResidualInception>(
          std::vector<Branch>{branch({cb(a, ch(32), {1, 1})}), branch({cb(a, ch(32), {1, 1}), cb(ch(32), ch(32), {3, 3}, 1, {1, 1})}),
                              branch({cb(a, ch(32), {1, 1}), cb(ch(32), ch(48), {3, 3}, 1, {1, 1}), cb(ch(48), ch(64), {3, 3}, 1, {1, 1})})},
          ch(32) + ch(32) + ch(64), a, 0.17));
    register_module("blocks_a", blocks_a);
    reduction_a = register_module("reduction_a", std::make_shared<Mixed>(
        std::vector<Branch>{branch({cb(a, ch(384), {3, 3}, 2)}),
                            branch({cb(a, ch(256), {1, 1}), cb(ch(256), ch(256), {3, 3}, 1, {1, 1}), cb(ch(256), ch(384), {3, 3}, 2)})},
        true));
    const int64_t b = ch(384) + ch(384) + a;
    for (int64_t i = 0; i < repeats[1]; ++i)
      blocks_b->push_back(std::make_shared<ResidualInception>(
          std::vector<Branch>{branch({cb(b, ch(192), {1, 1})}),
                              branch({cb(b, ch(128), {1, 1}), cb(ch(128), ch(160), {1, 7}, 1, {0, 3}), cb(ch(160), ch(192), {7, 1}, 1, {3, 0})})},
          ch(192) + ch(192), b, 0.1));
    register_module("blocks_b", blocks_b);
    reduction_b = register_module("reduction_b", std::make_shared<Mixed>(
        std::vector<Branch>{branch({cb(b, ch(256), {1, 1}), cb(ch(256), ch(384), {3, 3}, 2)}),
                            branch({cb(b, ch(256), {1, 1}), cb(ch(256), ch(288), {3, 3}, 2)}),
                            branch({cb(b, ch(256), {1, 1}), cb(ch(256), ch(288), {3, 3}, 1, {1, 1}), cb(ch(288), ch(320), {3, 3}, 2)})},
        true));
    const int64_t cc = ch(384) + ch(288) + ch(320) + b;
    for (int64_t i = 0; i < repeats[2]; ++i)
      blocks_c->push_back(std::make_shared<ResidualInception>(
          std::vector<Branch>{branch({cb(cc, ch(192), {1, 1})}),
                              branch({cb(cc, ch(192), {1, 1}), cb(ch(192), ch(224), {1, 3}, 1, {0, 1}), cb(ch(224), ch(256), {3, 1}, 1, {1, 0})})},
          ch(192) + ch(256), cc, 0.2));
    register_module("blocks_c", blocks_c);
    features = ch(1536);
    final_conv = register_module("final", cb(cc, features, {1, 1}));
    if (num_classes > 0) fc = register_module("fc", torch::nn::Linear(features, num_classes));
  }
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) {
    expect_rank(in[0], 4, "Inception-ResNet (2D)");
    if (in[0].size(2) < 32 || in[0].size(3) < 32)
      fail(FM_ERR_SHAPE, "Inception-ResNet needs images of at least 32 x 32 pixels, got " + sdk::shape_text(in[0]));
    torch::Tensor x = stem_out->forward(stem->forward(in[0]));
    x = blocks_a->forward(x);
    x = reduction_a->forward(x);
    x = blocks_b->forward(x);
    x = reduction_b->forward(x);
    x = blocks_c->forward(x);
    x = final_conv->forward(x);
    if (num_classes == 0) return {x};
    return with_probabilities(fc->forward(x.mean({2, 3})), outputs);
  }
  int64_t num_classes, features = 0;
  size_t outputs;
  torch::nn::Sequential stem{nullptr}, blocks_a, blocks_b, blocks_c;
  std::shared_ptr<ConvBn> stem_out, final_conv;
  std::shared_ptr<Mixed> reduction_a, reduction_b;
  torch::nn::Linear fc{nullptr};
};
FUSE_TORCH_MODEL(InceptionResNet, "fuse.models.inception_resnet", "1.1.0")

}  // namespace
}  // namespace fuse::models
