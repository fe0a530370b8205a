// A small CNN classifier and regressor for 2D and 3D images, as MONAI's Classifier and Regressor: residual
// units that halve the resolution, global average pooling (any input size), and a linear layer. A classifier of
// 0 classes is a backbone: its output is the last feature map, for a head (with tabular features, say).
#include "layers.h"

namespace fuse::models {
namespace {

template <int D>
struct ResidualUnit : torch::nn::Module {
  ResidualUnit(int64_t in, int64_t out, int64_t stride) {
    body = register_module("body", torch::nn::Sequential(conv<D>(in, out, 3, stride), typename Layers<D>::BatchNorm(out), torch::nn::PReLU(),
                                                         conv<D>(out, out, 3), typename Layers<D>::BatchNorm(out)));
    if (in != out || stride != 1)
      skip = register_module("skip", projection<D>(in, out, stride));
    act = register_module("act", torch::nn::PReLU());
  }
  torch::Tensor forward(const torch::Tensor& x) { return act->forward(body->forward(x) + (skip ? skip->forward(x) : x)); }
  torch::nn::Sequential body{nullptr}, skip{nullptr};
  torch::nn::PReLU act{nullptr};
};

template <int D>
struct CnnImpl : torch::nn::Module {
  CnnImpl(int64_t in, std::vector<int64_t> channels, std::vector<int64_t> strides, int64_t out, double dropout_p, bool classify, size_t outputs_)
      : classifier(classify), outputs(outputs_) {
    if (channels.empty() || channels.size() != strides.size())
      fail(FM_ERR_INVALID_ARGUMENT, "'channels' and 'strides' must have the same, non-zero length");
    for (size_t i = 0; i < channels.size(); ++i) {
      units->push_back(std::make_shared<ResidualUnit<D>>(in, channels[i], strides[i]));
      in = channels[i];
    }
    register_module("units", units);
    if (out == 0) return;  // a backbone
    if (dropout_p > 0) dropout = register_module("dropout", torch::nn::Dropout(dropout_p));
    fc = register_module("fc", torch::nn::Linear(in, out));
  }
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) {
    expect_rank(in[0], D + 2, D == 2 ? "a 2D CNN" : "a 3D CNN");
    torch::Tensor x = in[0];
    for (const auto& unit : *units) x = unit->as<ResidualUnit<D>>()->forward(x);
    if (!fc) return {x};  // the feature map
    x = x.flatten(2).mean(2);
    if (dropout) x = dropout->forward(x);
    x = fc->forward(x);
    return classifier ? with_probabilities(x, outputs) : std::vector<torch::Tensor>{x};
  }
  bool classifier;
  size_t outputs;
  torch::nn::ModuleList units;
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear fc{nullptr};
};

struct CnnClassifier : torch::nn::Module {
  explicit CnnClassifier(const DictView& c) {
    body = make_body<CnnImpl>(static_cast<int>(c.get_int("dims")), data_size(c, "in_channels"), c.get_ints("channels"), c.get_ints("strides"),
                              c.get_int("num_classes"), c.get_double("dropout"), true, c.get_strings("outputs").size());
    register_module("cnn", body.module);
  }
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) { return body.run(in); }
  Body body;
};
FUSE_TORCH_MODEL(CnnClassifier, "fuse.models.cnn_classifier", "1.2.0")

struct CnnRegressor : torch::nn::Module {
  explicit CnnRegressor(const DictView& c) {
    body = make_body<CnnImpl>(static_cast<int>(c.get_int("dims")), data_size(c, "in_channels"), c.get_ints("channels"), c.get_ints("strides"),
                              c.get_int("out_features"), c.get_double("dropout"), false, size_t{1});
    register_module("cnn", body.module);
  }
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) { return body.run(in); }
  Body body;
};
FUSE_TORCH_MODEL(CnnRegressor, "fuse.models.cnn_regressor", "1.1.1")

}  // namespace
}  // namespace fuse::models
