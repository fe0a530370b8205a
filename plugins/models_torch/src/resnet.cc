// ResNet 18/34/50 for 2D and 3D images (He et al.): a backbone that returns its last feature map, or a
// classifier when 'num_classes' > 0.
#include "layers.h"

namespace fuse::models {
namespace {

template <int D>
struct BasicBlock : torch::nn::Module {
  static constexpr int64_t kExpansion = 1;
  BasicBlock(int64_t in, int64_t planes, int64_t stride) {
    c1 = register_module("conv1", conv<D>(in, planes, 3, stride));
    b1 = register_module("bn1", typename Layers<D>::BatchNorm(planes));
    c2 = register_module("conv2", conv<D>(planes, planes, 3));
    b2 = register_module("bn2", typename Layers<D>::BatchNorm(planes));
    if (stride != 1 || in != planes)
      down = register_module("downsample", projection<D>(in, planes, stride));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(b1->forward(c1->forward(x)));
    y = b2->forward(c2->forward(y));
    return torch::relu(y + (down ? down->forward(x) : x));
  }
  typename Layers<D>::Conv c1{nullptr}, c2{nullptr};
  typename Layers<D>::BatchNorm b1{nullptr}, b2{nullptr};
  torch::nn::Sequential down{nullptr};
};

template <int D>
struct Bottleneck : torch::nn::Module {
  static constexpr int64_t kExpansion = 4;
  Bottleneck(int64_t in, int64_t planes, int64_t stride) {
    c1 = register_module("conv1", conv<D>(in, planes, 1, 1, 0));
    b1 = register_module("bn1", typename Layers<D>::BatchNorm(planes));
    c2 = register_module("conv2", conv<D>(planes, planes, 3, stride));
    b2 = register_module("bn2", typename Layers<D>::BatchNorm(planes));
    c3 = register_module("conv3", conv<D>(planes, planes * kExpansion, 1, 1, 0));
    b3 = register_module("bn3", typename Layers<D>::BatchNorm(planes * kExpansion));
    if (stride != 1 || in != planes * kExpansion)
      down = register_module("downsample", projection<D>(in, planes * kExpansion, stride));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(b1->forward(c1->forward(x)));
    y = torch::relu(b2->forward(c2->forward(y)));
    y = b3->forward(c3->forward(y));
    return torch::relu(y + (down ? down->forward(x) : x));
  }
  typename Layers<D>::Conv c1{nullptr}, c2{nullptr}, c3{nullptr};
  typename Layers<D>::BatchNorm b1{nullptr}, b2{nullptr}, b3{nullptr};
  torch::nn::Sequential down{nullptr};
};

template <int D>
struct ResNetImpl : torch::nn::Module {
  ResNetImpl(int64_t depth, int64_t in_channels, int64_t width, int64_t classes, bool pool_stem, size_t outputs_)
      : num_classes(classes), outputs(outputs_) {
    std::vector<int64_t> blocks;
    bool bottleneck = false;
    if (depth == 18) blocks = {2, 2, 2, 2};
    else if (depth == 34) blocks = {3, 4, 6, 3};
    else if (depth == 50) blocks = {3, 4, 6, 3}, bottleneck = true;
    else fail(FM_ERR_INVALID_ARGUMENT, "'depth' must be 18, 34 or 50, got " + std::to_string(depth));
    stem = register_module("stem", torch::nn::Sequential(conv<D>(in_channels, width, 7, 2, 3), typename Layers<D>::BatchNorm(width), torch::nn::ReLU()));
    if (pool_stem) pool = register_module("pool", typename Layers<D>::MaxPool(typename Layers<D>::MaxPoolOptions(3).stride(2).padding(1)));
    int64_t in = width;
    for (size_t stage = 0; stage < 4; ++stage) {
      torch::nn::Sequential layer;
      const int64_t planes = width << stage;
      for (int64_t b = 0; b < blocks[stage]; ++b) {
        const int64_t stride = b == 0 && stage > 0 ? 2 : 1;
        if (bottleneck) {
          layer->push_back(std::make_shared<Bottleneck<D>>(in, planes, stride));
          in = planes * Bottleneck<D>::kExpansion;
        } else {
          layer->push_back(std::make_shared<BasicBlock<D>>(in, planes, stride));
          in = planes;
        }
      }
      layers.push_back(register_module("layer" + std::to_string(stage + 1), layer));
    }
    features = in;
    if (classes > 0) fc = register_module("fc", torch::nn::Linear(in, classes));
  }
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) {
    expect_rank(in[0], D + 2, D == 2 ? "a 2D ResNet" : "a 3D ResNet");
    torch::Tensor x = stem->forward(in[0]);
    if (pool) x = pool->forward(x);
    for (auto& layer : layers) x = layer->forward(x);
    if (num_classes == 0) return {x};  // the feature map, for heads
    return with_probabilities(fc->forward(x.flatten(2).mean(2)), outputs);
  }
  int64_t num_classes, features = 0;
  size_t outputs;
  torch::nn::Sequential stem{nullptr};
  typename Layers<D>::MaxPool pool{nullptr};
  std::vector<torch::nn::Sequential> layers;
  torch::nn::Linear fc{nullptr};
};

struct ResNet : torch::nn::Module {
  explicit ResNet(const DictView& c) {
    body = make_body<ResNetImpl>(static_cast<int>(c.get_int("dims")), c.get_int("depth"), data_size(c, "in_channels"), c.get_int("width"),
                                 c.get_int("num_classes"), c.get_bool("stem_pool"), c.get_strings("outputs").size());
    register_module("resnet", body.module);
  }
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) { return body.run(in); }
  Body body;
};
FUSE_TORCH_MODEL(ResNet, "fuse.models.resnet", "1.1.1")

}  // namespace
}  // namespace fuse::models
