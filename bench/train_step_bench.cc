// One optimisation step of the nodule3d model (a 3D residual CNN, channels 16/32/64, batch 32 of 28^3) through
// FuseMedML++'s protocol: model plugin over the C ABI (DLPack in and out, gradient views), loss plugin,
// ModelGraph backward and the host's AdamW; against the same network written as a plain LibTorch C++ loop,
// measured in the same run. The difference is the protocol's overhead per step (target: at most 5%).
// bench/train_vs_pytorch.sh compares the same step with PyTorch in Python.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <boost/json/parse.hpp>

#include "fuse/plugin/registry.h"
#include "fuse/train/model_graph.h"
#include "fuse/train/optimizer.h"

namespace {

constexpr int64_t kBatch = 32, kSize = 28;

// The baseline: fuse.models.cnn_classifier's layers (conv-BN-PReLU-conv-BN plus a strided 1x1 skip, PReLU;
// global average pooling, dropout, linear), written directly against LibTorch, in the channels-last layout the
// plugin uses (so the difference is the protocol, not the layout).
struct Unit : torch::nn::Module {
  Unit(int64_t in, int64_t out) {
    namespace nn = torch::nn;
    body = register_module("body", nn::Sequential(nn::Conv3d(nn::Conv3dOptions(in, out, 3).stride(2).padding(1).bias(false)), nn::BatchNorm3d(out),
                                                  nn::PReLU(), nn::Conv3d(nn::Conv3dOptions(out, out, 3).padding(1).bias(false)), nn::BatchNorm3d(out)));
    skip = register_module("skip", nn::Sequential(nn::Conv3d(nn::Conv3dOptions(in, out, 1).stride(2).bias(false)), nn::BatchNorm3d(out)));
    act = register_module("act", nn::PReLU());
  }
  torch::Tensor forward(const torch::Tensor& x) { return act->forward(body->forward(x) + skip->forward(x)); }
  torch::nn::Sequential body{nullptr}, skip{nullptr};
  torch::nn::PReLU act{nullptr};
};

struct PlainNet : torch::nn::Module {
  PlainNet() {
    int64_t in = 1;
    for (int64_t c : {16, 32, 64}) units.push_back(register_module("unit" + std::to_string(c), std::make_shared<Unit>(in, c))), in = c;
    dropout = register_module("dropout", torch::nn::Dropout(0.1));
    fc = register_module("fc", torch::nn::Linear(in, 2));
  }
  torch::Tensor forward(torch::Tensor x) {
    for (auto& u : units) x = u->forward(x);
    return fc->forward(dropout->forward(x.flatten(2).mean(2)));
  }
  std::vector<std::shared_ptr<Unit>> units;
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear fc{nullptr};
};

void BM_PlainLibTorchStep(benchmark::State& state) {
  torch::set_num_threads(static_cast<int>(state.range(0)));
  torch::manual_seed(1);
  PlainNet net;
  {
    torch::NoGradGuard no_grad;
    for (torch::Tensor& p : net.parameters())
      if (p.dim() == 5) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast3d));
  }
  torch::optim::AdamW optimizer(net.parameters(), torch::optim::AdamWOptions(0.003).weight_decay(1e-4));
  const torch::Tensor x = torch::rand({kBatch, 1, kSize, kSize, kSize}).contiguous(torch::MemoryFormat::ChannelsLast3d),
                      y = torch::randint(0, 2, {kBatch});
  net.train();
  for (auto _ : state) {
    optimizer.zero_grad();
    const torch::Tensor logits = net.forward(x);
    torch::Tensor loss = torch::cross_entropy_loss(logits, y);
    loss.backward();
    optimizer.step();
    benchmark::DoNotOptimize(loss.item<float>());
  }
}
BENCHMARK(BM_PlainLibTorchStep)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FuseProtocolStep(benchmark::State& state) {
  torch::set_num_threads(static_cast<int>(state.range(0)));
  const fuse::Registry registry(fuse::Registry::Options{{FUSE_BENCH_PLUGIN_DIR}, {}});
  fuse::train::ModelGraph graph;
  graph.add("model", registry.create_model("fuse.models.cnn_classifier", boost::json::parse(R"({
      "dims": 3, "in_channels": 1, "num_classes": 2, "channels": [16, 32, 64], "strides": [2, 2, 2], "dropout": 0.1,
      "inputs": ["data.ct"], "outputs": ["model.logits"], "seed": 1})").as_object()));
  fuse::Loss loss = registry.create_loss("fuse.losses.cross_entropy", boost::json::parse(R"({"pred": "model.logits", "target": "data.label"})").as_object());
  fuse::train::OptimizerSpec spec;
  spec.lr = 0.003;
  spec.weight_decay = 1e-4;
  fuse::train::Optimizer optimizer(graph.parameters(), spec, {}, {});
  const torch::Tensor x = torch::rand({kBatch, 1, kSize, kSize, kSize}), y = torch::randint(0, 2, {kBatch});
  fuse::NDict input;
  input.set("data.ct", fuse::Value(fuse::Tensor::from_vector<float>(std::vector<float>(x.data_ptr<float>(), x.data_ptr<float>() + x.numel()),
                                                                    {kBatch, 1, kSize, kSize, kSize})));
  input.set("data.label", fuse::Value(fuse::Tensor::from_vector<int64_t>(std::vector<int64_t>(y.data_ptr<int64_t>(), y.data_ptr<int64_t>() + kBatch), {kBatch})));
  graph.set_training(true);
  int64_t step = 0;
  for (auto _ : state) {
    const fuse::CallContext context(true, 1, 0, step++);
    fuse::NDict batch = input;
    graph.zero_grad();
    graph.forward(batch, context);
    fuse::NDict grads;
    benchmark::DoNotOptimize(loss.forward(batch, &grads, context));
    graph.backward(std::move(grads), context);
    optimizer.step();
  }
}
BENCHMARK(BM_FuseProtocolStep)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
