// MLP, classifier heads (vector or feature map in, optional tabular features appended) and the dense
// segmentation head.
#include "layers.h"

namespace fuse::models {
namespace {

torch::nn::Sequential mlp_layers(int64_t in, const std::vector<int64_t>& hidden, int64_t out, double dropout) {
  torch::nn::Sequential s;
  for (int64_t h : hidden) {
    s->push_back(torch::nn::Linear(in, h));
    s->push_back(torch::nn::ReLU());
    if (dropout > 0) s->push_back(torch::nn::Dropout(dropout));
    in = h;
  }
  s->push_back(torch::nn::Linear(in, out));
  return s;
}

struct Mlp : torch::nn::Module {
  explicit Mlp(const DictView& c) : outputs(c.get_strings("outputs").size()) {
    layers = register_module("layers", mlp_layers(data_size(c, "in_features"), c.get_ints("hidden"), c.get_int("out_features"), c.get_double("dropout")));
  }
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) {
    const torch::Tensor x = in[0].dim() == 1 ? in[0].unsqueeze(1) : in[0].flatten(1);
    return with_probabilities(layers->forward(x), outputs);
  }
  size_t outputs;
  torch::nn::Sequential layers{nullptr};
};
FUSE_TORCH_MODEL(Mlp, "fuse.models.mlp", "1.1.0")

// Global pooling of a feature map (or a vector as it is), tabular features appended, then an MLP.
struct ClassifierHead : torch::nn::Module {
  explicit ClassifierHead(const DictView& c)
      : dims(c.get_int("dims")), tabular(c.is_unset("tabular_features") ? 0 : c.get_int("tabular_features")), pooling(c.get_string("pooling")), outputs(c.get_strings("outputs").size()) {
    if (dims < 1 || dims > 3) fail(FM_ERR_INVALID_ARGUMENT, "'dims' must be 1 (vectors), 2 or 3 (feature maps), got " + std::to_string(dims));
    if (tabular > 0 && c.get_strings("inputs").size() < 2)
      fail(FM_ERR_INVALID_ARGUMENT, "'tabular_features' " + std::to_string(tabular) + " needs a second input key holding them");
    const int64_t pooled = data_size(c, "in_channels") * (pooling == "avgmax" && dims > 1 ? 2 : 1);
    if (c.get_double("dropout") > 0) dropout = register_module("dropout", torch::nn::Dropout(c.get_double("dropout")));
    layers = register_module("layers", mlp_layers(pooled + tabular, c.get_ints("hidden"), c.get_int("num_classes"), c.get_double("dropout")));
  }
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) {
    torch::Tensor x = in[0];
    if (dims == 1) {
      expect_rank(x, 2, "a 1D classifier head");
    } else {
      expect_rank(x, dims + 2, dims == 2 ? "a 2D classifier head" : "a 3D classifier head");
      std::vector<int64_t> axes;
      for (int64_t a = 2; a < x.dim(); ++a) axes.push_back(a);
      const torch::Tensor avg = x.mean(axes);
      const torch::Tensor max = x.flatten(2).amax(2);
      x = pooling == "avg" ? avg : pooling == "max" ? max : torch::cat({avg, max}, 1);
    }
    if (tabular > 0) {
      const torch::Tensor t = in[1].dim() == 1 ? in[1].unsqueeze(1) : in[1].flatten(1);
      if (t.size(1) != tabular)
        fail(FM_ERR_SHAPE, "the tabular input has " + std::to_string(t.size(1)) + " features; 'tabular_features' says " + std::to_string(tabular));
      x = torch::cat({x, t.to(x.dtype())}, 1);
    }
    if (dropout) x = dropout->forward(x);
    return with_probabilities(layers->forward(x), outputs);
  }
  int64_t dims, tabular;
  std::string pooling;
  size_t outputs;
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Sequential layers{nullptr};
};
FUSE_TORCH_MODEL(ClassifierHead, "fuse.models.classifier_head", "1.1.0")

// Per-voxel class scores from a feature map: an optional 3x3 convolution, a 1x1 classifier, and upsampling.
template <int D>
struct SegmentationHeadImpl : torch::nn::Module {
  SegmentationHeadImpl(int64_t in, int64_t hidden, int64_t classes, double scale, size_t outputs_) : scale_factor(scale), outputs(outputs_) {
    if (hidden > 0) {
      body = register_module("body", torch::nn::Sequential(conv<D>(in, hidden, 3), typename Layers<D>::BatchNorm(hidden), torch::nn::ReLU()));
      in = hidden;
    }
    classifier = register_module("classifier", conv<D>(in, classes, 1, 1, 0, true));
  }
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) {
    expect_rank(in[0], D + 2, D == 2 ? "a 2D segmentation head" : "a 3D segmentation head");
    torch::Tensor x = body ? body->forward(in[0]) : in[0];
    x = classifier->forward(x);
    if (scale_factor != 1.0) {
      using Options = torch::nn::functional::InterpolateFuncOptions;
      const Options::mode_t mode = D == 2 ? Options::mode_t(torch::kBilinear) : Options::mode_t(torch::kTrilinear);
      x = torch::nn::functional::interpolate(x, Options().scale_factor(std::vector<double>(D, scale_factor)).mode(mode).align_corners(false));
    }
    return with_probabilities(x, outputs);
  }
  double scale_factor;
  size_t outputs;
  torch::nn::Sequential body{nullptr};
  typename Layers<D>::Conv classifier{nullptr};
};

struct SegmentationHead : torch::nn::Module {
  explicit SegmentationHead(const DictView& c) {
    body = make_body<SegmentationHeadImpl>(static_cast<int>(c.get_int("dims")), data_size(c, "in_channels"), c.get_int("hidden"),
                                           c.get_int("num_classes"), c.get_double("scale_factor"), c.get_strings("outputs").size());
    register_module("head", body.module);
  }
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) { return body.run(in); }
  Body body;
};
FUSE_TORCH_MODEL(SegmentationHead, "fuse.models.segmentation_head", "1.1.0")

}  // namespace
}  // namespace fuse::models
