// Vision Transformer for 2D and 3D images (Dosovitskiy et al.; the backbone of UNETR and friends): the image is
// cut into patches, each patch embedded by a strided convolution, a class token and learned positions added,
// then pre-norm transformer blocks (self-attention and an MLP, each with a residual). A classifier when
// 'num_classes' > 0; else a backbone whose outputs are the pooled embedding and, optionally, the patch tokens as
// a feature map (for a segmentation head that upsamples by the patch size).
#include "layers.h"

namespace fuse::models {
namespace {

struct Block : torch::nn::Module {
  Block(int64_t hidden, int64_t heads, int64_t mlp, double dropout) {
    norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})));
    attention = register_module("attention", torch::nn::MultiheadAttention(torch::nn::MultiheadAttentionOptions(hidden, heads).dropout(dropout)));
    norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})));
    mlp_layers = register_module("mlp", torch::nn::Sequential(torch::nn::Linear(hidden, mlp), torch::nn::GELU(), torch::nn::Dropout(dropout),
                                                               torch::nn::Linear(mlp, hidden), torch::nn::Dropout(dropout)));
  }
  // x: [tokens, batch, hidden] (LibTorch's attention takes the sequence first).
  torch::Tensor forward(torch::Tensor x) {
    const torch::Tensor y = norm1->forward(x);
    x = x + std::get<0>(attention->forward(y, y, y, {}, false));
    return x + mlp_layers->forward(norm2->forward(x));
  }
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::MultiheadAttention attention{nullptr};
  torch::nn::Sequential mlp_layers{nullptr};
};

template <int D>
struct VitImpl : torch::nn::Module {
  VitImpl(int64_t in_channels, std::vector<int64_t> image, std::vector<int64_t> patch, int64_t hidden, int64_t depth, int64_t heads, double mlp_ratio,
          double dropout, int64_t classes, bool cls_pooling, size_t outputs_)
      : image_size(std::move(image)), patch_size(std::move(patch)), num_classes(classes), cls(cls_pooling), outputs(outputs_) {
    if (hidden % heads != 0)
      fail(FM_ERR_INVALID_ARGUMENT, "'hidden' (" + std::to_string(hidden) + ") must be a multiple of 'heads' (" + std::to_string(heads) + ")");
    int64_t tokens = 1;
    for (int a = 0; a < D; ++a) {
      if (image_size[a] % patch_size[a] != 0)
        fail(FM_ERR_INVALID_ARGUMENT, "'image_size' " + xyz_text(image_size) + " must be a multiple of 'patch_size' " + xyz_text(patch_size) +
                                          " along every axis");
      grid.push_back(image_size[a] / patch_size[a]);
      tokens *= grid.back();
    }
    embed = register_module("embed", typename Layers<D>::Conv(typename Layers<D>::ConvOptions(in_channels, hidden, torch::ExpandingArray<D>(patch_size))
                                                                  .stride(torch::ExpandingArray<D>(patch_size))));
    class_token = register_parameter("class_token", torch::zeros({1, 1, hidden}));
    positions = register_parameter("positions", torch::randn({1, tokens + 1, hidden}) * 0.02);
    const int64_t mlp = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(hidden) * mlp_ratio));
    for (int64_t i = 0; i < depth; ++i) blocks.push_back(register_module("block" + std::to_string(i), std::make_shared<Block>(hidden, heads, mlp, dropout)));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})));
    drop = register_module("dropout", torch::nn::Dropout(dropout));
    if (classes > 0) head = register_module("head", torch::nn::Linear(hidden, classes));
  }

  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) {
    expect_rank(in[0], D + 2, D == 2 ? "a 2D ViT" : "a 3D ViT");
    if (!in[0].sizes().slice(2).equals(image_size))
      fail(FM_ERR_SHAPE, std::string(D == 2 ? "a 2D ViT" : "a 3D ViT") + " built for 'image_size' " + xyz_text(image_size) + " (x first) got an image of " +
                             xyz_text(in[0].sizes().slice(2).vec()) + "; crop or resize to that size, or use sliding windows of it");
    const int64_t batch = in[0].size(0);
    torch::Tensor x = embed->forward(in[0]).flatten(2).transpose(1, 2);  // [batch, patches, hidden], patches z-major
    x = torch::cat({class_token.expand({batch, 1, class_token.size(2)}), x}, 1) + positions;
    x = drop->forward(x).transpose(0, 1);  // [tokens, batch, hidden]
    for (auto& block : blocks) x = block->forward(x);
    x = norm->forward(x).transpose(0, 1);  // [batch, tokens, hidden]
    const torch::Tensor pooled = cls ? x.select(1, 0) : x.slice(1, 1).mean(1);
    if (num_classes > 0) return with_probabilities(head->forward(pooled), outputs);
    std::vector<torch::Tensor> out{pooled};
    if (outputs > 1) {  // the patch tokens as a feature map [batch, hidden, grid...]
      std::vector<int64_t> shape{batch, x.size(2)};
      shape.insert(shape.end(), grid.begin(), grid.end());
      out.push_back(x.slice(1, 1).transpose(1, 2).reshape(shape));
    }
    return out;
  }

  std::vector<int64_t> image_size, patch_size, grid;
  int64_t num_classes;
  bool cls;
  size_t outputs;
  typename Layers<D>::Conv embed{nullptr};
  torch::Tensor class_token, positions;
  std::vector<std::shared_ptr<Block>> blocks;
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Dropout drop{nullptr};
  torch::nn::Linear head{nullptr};
};

struct Vit : torch::nn::Module {
  explicit Vit(const DictView& c) {
    const int dims = static_cast<int>(c.get_int("dims"));
    body = make_body<VitImpl>(dims, data_size(c, "in_channels"), tensor_order(data_sizes(c, "image_size"), dims, "image_size"),
                              tensor_order(c.get_ints("patch_size"), dims, "patch_size"), c.get_int("hidden"), c.get_int("depth"), c.get_int("heads"),
                              c.get_double("mlp_ratio"), c.get_double("dropout"), c.get_int("num_classes"), c.get_string("pooling") == "cls",
                              c.get_strings("outputs").size());
    register_module("vit", body.module);
  }
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) { return body.run(in); }
  Body body;
};
FUSE_TORCH_MODEL(Vit, "fuse.models.vit", "1.2.0")

}  // namespace
}  // namespace fuse::models
