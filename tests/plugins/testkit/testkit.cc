// Components that misbehave on purpose (for the host's error handling) and tiny reference implementations of
// the model, loss and metric protocols (for the host's call paths).
#include <atomic>
#include <cstring>
#include <string>
#include <vector>
#include <stdexcept>

#include "fuse_sdk/plugin.hpp"

namespace {

using fuse::sdk::Call;
using fuse::sdk::Dict;
using fuse::sdk::DictView;
using fuse::sdk::Tensor;

struct Throws {
  explicit Throws(const DictView&) {}
  void forward(Dict&, const Call&) { throw std::runtime_error("boom"); }
};
FUSE_OP(Throws, "test.throws", "1.0.0")

struct ReturnsError {
  explicit ReturnsError(const DictView&) {}
  void forward(Dict&, const Call&) { fuse::sdk::fail(FM_ERR_IO, "disk on fire"); }
};
FUSE_OP(ReturnsError, "test.returns_error", "1.0.0")

struct CreateFails {
  explicit CreateFails(const DictView& config) {
    if (config.get_int("n") > 2) fuse::sdk::fail(FM_ERR_INVALID_ARGUMENT, "n must be at most 2 for this op");
  }
  void forward(Dict&, const Call&) {}
};
FUSE_OP(CreateFails, "test.create_fails", "1.0.0")

// Writes an int64 tensor where the manifest promises float32.
struct BadDtype {
  explicit BadDtype(const DictView&) {}
  void forward(Dict& s, const Call&) { s.set_tensor("out", Tensor::full<int64_t>({3}, 1)); }
};
FUSE_OP(BadDtype, "test.bad_dtype", "1.0.0")

// Writes a [2, 3] tensor where the manifest promises [3, *].
struct BadShape {
  explicit BadShape(const DictView&) {}
  void forward(Dict& s, const Call&) { s.set_tensor("out", Tensor::full<float>({2, 3}, 1.0f)); }
};
FUSE_OP(BadShape, "test.bad_shape", "1.0.0")

// Declares a write it never makes.
struct ForgetsWrite {
  explicit ForgetsWrite(const DictView&) {}
  void forward(Dict&, const Call&) {}
};
FUSE_OP(ForgetsWrite, "test.forgets_write", "1.0.0")

// Reads a binary label (the manifest allows 0 and 1 only); does nothing else.
struct BinaryLabel {
  explicit BinaryLabel(const DictView&) {}
  void forward(Dict&, const Call&) {}
};
FUSE_OP(BinaryLabel, "test.binary_label", "1.0.0")

// Writes the call context, so tests can see what the host passed.
struct Echo {
  explicit Echo(const DictView&) {}
  void forward(Dict& s, const Call& call) {
    s.set_int("call.seed", static_cast<int64_t>(call.seed()));
    s.set_int("call.epoch", call.epoch());
    s.set_int("call.index", call.sample_index());
    s.set_bool("call.training", call.training());
    if (call.sample_count() == 0) return;  // a batch call: its per-sample seeds too
    fuse::sdk::Tensor seeds = fuse::sdk::Tensor::empty({static_cast<int64_t>(call.sample_count())}, fuse::sdk::kInt64);
    for (size_t i = 0; i < call.sample_count(); ++i) seeds.data<int64_t>()[i] = static_cast<int64_t>(call.sample_seed(i));
    s.set_tensor("call.sample_seeds", std::move(seeds));
  }
};
FUSE_OP(Echo, "test.echo", "1.0.0")

// Fails (an IO error, as a reader would) on the sample whose data.sample_id is `id`; passes the others.
struct FailOn {
  explicit FailOn(const DictView& config) : id(config.get_string("id")) {}
  void forward(Dict& s, const Call&) {
    if (s.get_string("data.sample_id") == id) fuse::sdk::fail(FM_ERR_IO, "cannot read '" + id + "'");
  }
  std::string id;
};
FUSE_OP(FailOn, "test.fail_on", "1.0.0")

// Writes its "file" config as the host resolved it.
struct PathOf {
  explicit PathOf(const DictView& config) : file(config.get_string("file")) {}
  void forward(Dict& s, const Call&) { s.set_string("file", file); }
  std::string file;
};
FUSE_OP(PathOf, "test.path", "1.0.0")

// Writes how many times any instance of it ran in this process, so tests see whether a pipeline ran.
std::atomic<int64_t> g_runs{0};
struct Counter {
  explicit Counter(const DictView&) {}
  void forward(Dict& s, const Call&) { s.set_int("runs", ++g_runs); }
};
FUSE_OP(Counter, "test.counter", "1.0.0")

// A float32 tensor of `shape` filled with `value` under "image".
struct Fill {
  explicit Fill(const DictView& config) : shape(config.get_ints("shape")), value(config.get_double("value")) {}
  void forward(Dict& s, const Call&) { s.set_tensor("image", Tensor::full<float>(shape, static_cast<float>(value))); }
  std::vector<int64_t> shape;
  double value;
};
FUSE_OP(Fill, "test.fill", "1.0.0")

// y = w * x + b on float32 vectors, with w and b scalars: enough to check the model protocol by hand.
class Linear {
 public:
  explicit Linear(const DictView& config)
      : w_(Tensor::full<float>({1}, static_cast<float>(config.get_double("w")))),
        b_(Tensor::full<float>({1}, 0.0f)),
        gw_(Tensor::full<float>({1}, 0.0f)),
        gb_(Tensor::full<float>({1}, 0.0f)) {}

  void forward(Dict& batch, const Call&) {
    fuse::sdk::TensorView x = batch.tensor("x");
    const float* in = x.data<float>();
    Tensor y = Tensor::empty(x.shape(), fuse::sdk::kFloat32);
    float* out = y.data<float>();
    for (int64_t i = 0; i < x.numel(); ++i) out[i] = w_.data<float>()[0] * in[i] + b_.data<float>()[0];
    last_x_.assign(in, in + x.numel());
    batch.set_tensor("y", std::move(y));
  }
  void backward(const DictView& out_grads, Dict& in_grads, const Call&) {
    fuse::sdk::TensorView gy = out_grads.tensor("y");
    const float* g = gy.data<float>();
    Tensor gx = Tensor::empty(gy.shape(), fuse::sdk::kFloat32);
    for (int64_t i = 0; i < gy.numel(); ++i) {
      gw_.data<float>()[0] += g[i] * last_x_[static_cast<size_t>(i)];
      gb_.data<float>()[0] += g[i];
      gx.data<float>()[i] = g[i] * w_.data<float>()[0];
    }
    in_grads.set_tensor("x", std::move(gx));
  }
  std::vector<fm_param_v1> parameters() {
    return {fm_param_v1{sizeof(fm_param_v1), 1, "w", &w_.dl(), &gw_.dl()},
            fm_param_v1{sizeof(fm_param_v1), 1, "b", &b_.dl(), &gb_.dl()}};
  }
  void zero_grad() { gw_.data<float>()[0] = gb_.data<float>()[0] = 0.0f; }
  void set_training(bool training) { training_ = training; }
  void to_device(DLDevice device) {
    if (device.device_type != kDLCPU) fuse::sdk::fail(FM_ERR_UNSUPPORTED, "test.linear runs on the CPU only");
  }
  void save(fuse::sdk::Writer& w) const {
    w.write_value(const_cast<Tensor&>(w_).data<float>()[0]);
    w.write_value(const_cast<Tensor&>(b_).data<float>()[0]);
  }
  void load(const void* data, size_t size) {
    if (size != 2 * sizeof(float)) fuse::sdk::fail(FM_ERR_INVALID_ARGUMENT, "test.linear state must be 8 bytes");
    std::memcpy(w_.data<float>(), data, sizeof(float));
    std::memcpy(b_.data<float>(), static_cast<const char*>(data) + sizeof(float), sizeof(float));
  }

 private:
  Tensor w_, b_, gw_, gb_;
  std::vector<float> last_x_;
  bool training_ = false;
};
FUSE_MODEL(Linear, "test.linear", "1.0.0")

// Mean squared error between "y" and "target"; gradient 2 (y - t) / n under "y".
struct Mse {
  explicit Mse(const DictView&) {}
  double forward(const DictView& batch, Dict* grads, const Call&) {
    fuse::sdk::TensorView y = batch.tensor("y"), t = batch.tensor("target");
    const float* py = y.data<float>();
    const float* pt = t.data<float>();
    const int64_t n = y.numel();
    double sum = 0;
    Tensor g = Tensor::empty(y.shape(), fuse::sdk::kFloat32);
    for (int64_t i = 0; i < n; ++i) {
      const double d = py[i] - pt[i];
      sum += d * d;
      g.data<float>()[i] = static_cast<float>(2 * d / static_cast<double>(n));
    }
    if (grads != nullptr) grads->set_tensor("y", std::move(g));
    return sum / static_cast<double>(n);
  }
};
FUSE_LOSS(Mse, "test.mse", "1.0.0")

// The mean of the values of "value" over all updates.
class Mean {
 public:
  explicit Mean(const DictView&) {}
  void reset() { sum_ = 0, n_ = 0; }
  void update(const DictView& batch) {
    sum_ += batch.get_double("value");
    ++n_;
  }
  void merge(const Mean& other) { sum_ += other.sum_, n_ += other.n_; }
  void compute(Dict& result) const { result.set_double("mean", n_ ? sum_ / static_cast<double>(n_) : 0.0); }
  void save(fuse::sdk::Writer& w) const {
    w.write_value(sum_);
    w.write_value(n_);
  }
  void load(const void* data, size_t size) {
    if (size != sizeof(sum_) + sizeof(n_)) fuse::sdk::fail(FM_ERR_INVALID_ARGUMENT, "bad state size");
    std::memcpy(&sum_, data, sizeof(sum_));
    std::memcpy(&n_, static_cast<const char*>(data) + sizeof(sum_), sizeof(n_));
  }

 private:
  double sum_ = 0;
  int64_t n_ = 0;
};
FUSE_METRIC(Mean, "test.mean", "1.0.0")

}  // namespace

FUSE_PLUGIN("test.kit", "1.0.0")
