// Gamma, noise, bias field and z-normalisation of float32 image batches on the GPU, in place of a new device
// tensor. Draws per sample as the CPU twins (ops_medical) with the host's per-sample seeds.
#include <algorithm>
#include <cmath>

#include "cuda_support.h"
#include "device_batch.h"
#include "channel_option.h"
#include "intensity_draws.h"
#include "kernels/counter_random.h"

namespace fuse::cuda_augment {
namespace {

using sdk::Dict;
using sdk::DictView;

using volume::range_option;

// A private device copy of key's images (the op's output), so the batch's input is never written in place.
sdk::Tensor copy_of(const DictView& batch, const DeviceVolume& v) {
  sdk::Tensor out = cuda::empty_device(v.shape, v.dtype, v.device);
  const size_t bytes = static_cast<size_t>(v.batch.samples * v.batch.channels * v.batch.voxels()) * sizeof(float);
  cuda::check(cudaMemcpy(out.mut().raw(), batch.tensor(v.key).raw(), bytes, cudaMemcpyDeviceToDevice), "copying key '" + v.key + "'");
  return out;
}

// Per-key volumes of an intensity op: float32 images of one batch size.
std::vector<DeviceVolume> images_of(const DictView& batch, const std::vector<std::string>& keys, int dims, const std::string& twin) {
  std::vector<DeviceVolume> out;
  for (const std::string& k : keys) out.push_back(device_volume(batch, k, dims, Role::kImage, twin));
  for (const DeviceVolume& v : out)
    if (v.batch.samples != out[0].batch.samples)
      sdk::fail(FM_ERR_SHAPE, "keys '" + out[0].key + "' and '" + v.key + "' hold batches of different sizes");
  return out;
}

class RandomGamma {
 public:
  explicit RandomGamma(const DictView& config)
      : keys_(config.get_strings("keys")), log_gamma_(range_option(config, "log_gamma")), p_(config.get_double("p")),
        dims_(static_cast<int>(config.get_int("dims"))) {}

  void forward(Dict& batch, const sdk::Call& call) {
    if (!call.training()) return;
    const std::vector<DeviceVolume> vols = images_of(batch, keys_, dims_, "fuse.medical.random_gamma");
    const std::vector<uint64_t> seeds = sample_seeds(call, vols[0].batch.samples);
    std::vector<double> gammas(seeds.size(), 1.0);
    const std::vector<uint8_t> apply = draw_per_sample(seeds, p_, [&](sdk::Random& rng, size_t n) { gammas[n] = volume::draw_gamma(rng, log_gamma_); });
    cuda::use_device(vols[0].device);
    const cuda::DeviceBuffer<uint8_t> d_apply(apply, "the draws");
    const cuda::DeviceBuffer<double> d_gamma(gammas, "the draws");
    for (const DeviceVolume& v : vols) {
      sdk::Tensor out = copy_of(batch, v);
      const int64_t lines = v.batch.samples * v.batch.channels;
      cuda::DeviceBuffer<double> low(static_cast<size_t>(lines)), high(static_cast<size_t>(lines));
      auto* data = static_cast<float*>(out.mut().raw());
      channel_min_max(data, lines, v.batch.voxels(), low.get(), high.get());
      gamma(data, v.batch, d_apply.get(), d_gamma.get(), low.get(), high.get());
      cuda::check_kernels("gamma of key '" + v.key + "'");
      batch.set_tensor(v.key, std::move(out));
    }
  }

 private:
  std::vector<std::string> keys_;
  std::pair<double, double> log_gamma_;
  double p_;
  int dims_;
};
FUSE_OP(RandomGamma, "fuse.cuda.random_gamma", "1.0.0")

class RandomNoise {
 public:
  explicit RandomNoise(const DictView& config)
      : keys_(config.get_strings("keys")), mean_(config.get_double("mean")), std_(range_option(config, "std")), p_(config.get_double("p")),
        dims_(static_cast<int>(config.get_int("dims"))) {
    if (std_.first < 0) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'std' must not be negative");
  }

  void forward(Dict& batch, const sdk::Call& call) {
    if (!call.training()) return;
    const std::vector<DeviceVolume> vols = images_of(batch, keys_, dims_, "fuse.medical.random_noise");
    const std::vector<uint64_t> seeds = sample_seeds(call, vols[0].batch.samples);
    std::vector<double> sd(seeds.size(), 0.0);
    std::vector<uint64_t> stream(seeds.size(), 0);
    const std::vector<uint8_t> apply = draw_per_sample(seeds, p_, [&](sdk::Random& rng, size_t n) {
      const volume::NoiseDraw draw = volume::draw_noise(rng, std_);
      sd[n] = draw.sd, stream[n] = draw.stream;
    });
    cuda::use_device(vols[0].device);
    const cuda::DeviceBuffer<uint8_t> d_apply(apply, "the draws");
    const cuda::DeviceBuffer<double> d_sd(sd, "the draws");
    for (size_t k = 0; k < vols.size(); ++k) {
      std::vector<uint64_t> key_stream(stream.size());
      for (size_t n = 0; n < stream.size(); ++n) key_stream[n] = kernels::mix64(stream[n] + k);  // as the CPU twin, per key
      const cuda::DeviceBuffer<uint64_t> d_stream(key_stream, "the draws");
      sdk::Tensor out = copy_of(batch, vols[k]);
      noise(static_cast<float*>(out.mut().raw()), vols[k].batch, d_apply.get(), mean_, d_sd.get(), d_stream.get());
      cuda::check_kernels("noise on key '" + vols[k].key + "'");
      batch.set_tensor(vols[k].key, std::move(out));
    }
  }

 private:
  std::vector<std::string> keys_;
  double mean_;
  std::pair<double, double> std_;
  double p_;
  int dims_;
};
FUSE_OP(RandomNoise, "fuse.cuda.random_noise", "1.1.0")

class RandomBiasField {
 public:
  explicit RandomBiasField(const DictView& config)
      : keys_(config.get_strings("keys")), coefficients_(range_option(config, "coefficients")), order_(static_cast<int>(config.get_int("order"))),
        p_(config.get_double("p")), dims_(static_cast<int>(config.get_int("dims"))) {}

  void forward(Dict& batch, const sdk::Call& call) {
    if (!call.training()) return;
    const std::vector<DeviceVolume> vols = images_of(batch, keys_, dims_, "fuse.medical.random_bias_field");
    const std::vector<uint64_t> seeds = sample_seeds(call, vols[0].batch.samples);
    const int o = order_ + 1, kz = dims_ == 3 ? o : 1;
    const size_t terms = static_cast<size_t>(o * o * kz);
    std::vector<double> coef(seeds.size() * terms, 0.0);
    const std::vector<uint8_t> apply = draw_per_sample(seeds, p_, [&](sdk::Random& rng, size_t n) {
      const std::vector<double> c = volume::draw_bias_coefficients(rng, coefficients_, order_, dims_);
      std::copy(c.begin(), c.end(), coef.begin() + static_cast<std::ptrdiff_t>(n * terms));
    });
    cuda::use_device(vols[0].device);
    const cuda::DeviceBuffer<uint8_t> d_apply(apply, "the draws");
    const cuda::DeviceBuffer<double> d_coef(coef, "the draws");
    for (const DeviceVolume& v : vols) {
      const cuda::DeviceBuffer<double> px(volume::bias_powers(v.batch.size.x, o)), py(volume::bias_powers(v.batch.size.y, o)),
          pz(volume::bias_powers(v.batch.size.z, o));
      sdk::Tensor out = copy_of(batch, v);
      bias_field(static_cast<float*>(out.mut().raw()), v.batch, d_apply.get(), d_coef.get(), o, kz, px.get(), py.get(), pz.get());
      cuda::check_kernels("bias field on key '" + v.key + "'");
      batch.set_tensor(v.key, std::move(out));
    }
  }

 private:
  std::vector<std::string> keys_;
  std::pair<double, double> coefficients_;
  int order_;
  double p_;
  int dims_;
};
FUSE_OP(RandomBiasField, "fuse.cuda.random_bias_field", "1.0.0")

class ZNorm {
 public:
  explicit ZNorm(const DictView& config)
      : keys_(config.get_strings("keys")),
        nonzero_(config.get_bool("nonzero")),
        dims_(static_cast<int>(config.get_int("dims"))),
        channels_(volume::channels_option(config)) {}

  void forward(Dict& batch, const sdk::Call&) {
    for (const DeviceVolume& v : images_of(batch, keys_, dims_, "fuse.medical.znorm")) {
      volume::check_channels(channels_, v.batch.channels, v.key, sdk::shape_string(batch.tensor(v.key).dl()));
      cuda::use_device(v.device);
      const int64_t lines = v.batch.samples * v.batch.channels;
      cuda::DeviceBuffer<double> mean(static_cast<size_t>(lines)), sd(static_cast<size_t>(lines));
      cuda::DeviceBuffer<int64_t> count(static_cast<size_t>(lines));
      sdk::Tensor out = copy_of(batch, v);
      auto* data = static_cast<float*>(out.mut().raw());
      channel_mean_std(data, lines, v.batch.voxels(), nonzero_, mean.get(), sd.get(), count.get());
      cuda::check_kernels("statistics of key '" + v.key + "'");
      std::vector<double> means = mean.to_host("the statistics"), sds = sd.to_host("the statistics");
      const std::vector<int64_t> counts = count.to_host("the statistics");
      for (size_t line = 0; line < sds.size(); ++line) {
        if (!volume::channel_selected(channels_, static_cast<int64_t>(line) % v.batch.channels)) {
          means[line] = 0, sds[line] = 1;  // (x - 0) / 1 leaves the channel exactly as it is
          continue;
        }
        const std::string where = "key '" + v.key + "' sample " + std::to_string(static_cast<int64_t>(line) / v.batch.channels) + " channel " +
                                  std::to_string(static_cast<int64_t>(line) % v.batch.channels);
        if (counts[line] == 0) sdk::fail(FM_ERR_NUMERIC, where + ": no voxel to compute the mean from (every voxel is 0)");
        if (!(sds[line] > 0)) sdk::fail(FM_ERR_NUMERIC, where + ": the standard deviation is 0, so z-normalisation would divide by zero; check the image");
      }
      const cuda::DeviceBuffer<double> used_mean(means, "the means"), used_sd(sds, "the standard deviations");
      znorm(data, v.batch, nonzero_, used_mean.get(), used_sd.get());
      cuda::check_kernels("z-normalising key '" + v.key + "'");
      batch.set_tensor(v.key, std::move(out));
    }
  }

 private:
  std::vector<std::string> keys_;
  bool nonzero_;
  int dims_;
  std::vector<int64_t> channels_;
};
FUSE_OP(ZNorm, "fuse.cuda.znorm", "1.1.0")

}  // namespace
}  // namespace fuse::cuda_augment
