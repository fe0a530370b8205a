// Random intensity augmentation: gamma, Gaussian noise, Gaussian blur, bias field. One draw per call (the same
// for every channel and key listed), with probability 'p'; off outside training.
#include <algorithm>
#include <cmath>

#include "channels.h"
#include "intensity_draws.h"
#include "kernels/counter_random.h"
#include "spatial_keys.h"

namespace fuse::ops_medical {
namespace {

using sdk::Dict;
using sdk::DictView;

class RandomGamma {
 public:
  explicit RandomGamma(const DictView& config)
      : keys_(config.get_strings("keys")), log_gamma_(range_option(config, "log_gamma")), p_(config.get_double("p")),
        dims_(static_cast<int>(config.get_int("dims"))) {}

  void forward(Dict& sample, const sdk::Call& call) {
    if (!call.training()) return;
    sdk::Random rng(call.seed());
    if (!rng.chance(p_)) return;
    const double gamma = volume::draw_gamma(rng, log_gamma_);
    for (const std::string& key : keys_)
      for_each_channel(sample, key, dims_, [&](auto* v, int64_t n, int64_t) {
        using T = std::remove_pointer_t<decltype(v)>;
        const auto [lo, hi] = std::minmax_element(v, v + n);
        const double low = *lo, range = static_cast<double>(*hi) - low;
        if (!(range > 0)) return;
        // On [0, 1] and back, so negative intensities (CT, normalised MR) work too.
        for (int64_t i = 0; i < n; ++i) v[i] = static_cast<T>(low + range * std::pow((v[i] - low) / range, gamma));
      });
  }

 private:
  std::vector<std::string> keys_;
  std::pair<double, double> log_gamma_;
  double p_;
  int dims_;
};
FUSE_OP(RandomGamma, "fuse.medical.random_gamma", "1.0.0")

class RandomNoise {
 public:
  explicit RandomNoise(const DictView& config)
      : keys_(config.get_strings("keys")), mean_(config.get_double("mean")), std_(range_option(config, "std")), p_(config.get_double("p")),
        dims_(static_cast<int>(config.get_int("dims"))) {
    if (std_.first < 0) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'std' must not be negative");
  }

  void forward(Dict& sample, const sdk::Call& call) {
    if (!call.training()) return;
    sdk::Random rng(call.seed());
    if (!rng.chance(p_)) return;
    const volume::NoiseDraw draw = volume::draw_noise(rng, std_);
    const double sd = draw.sd;
    // Voxel i of key k gets value i of the counter stream mix64(stream + k): what the GPU twin draws too.
    for (size_t k = 0; k < keys_.size(); ++k) {
      const uint64_t key_stream = kernels::mix64(draw.stream + k);
      for_each_channel(sample, keys_[k], dims_, [&](auto* v, int64_t n, int64_t channel) {
        kernels::add_counter_normals(v, n, key_stream, static_cast<uint64_t>(channel * n), mean_, sd);
      });
    }
  }

 private:
  std::vector<std::string> keys_;
  double mean_;
  std::pair<double, double> std_;
  double p_;
  int dims_;
};
FUSE_OP(RandomNoise, "fuse.medical.random_noise", "1.1.0")

// Convolves lines along `axis` of a [z][y][x] volume with a symmetric kernel, edges repeating.
template <class T>
void convolve(T* v, volume::Size3 s, int axis, const std::vector<double>& kernel) {
  const int64_t radius = static_cast<int64_t>(kernel.size()) / 2;
  const int64_t n = s[axis], stride = axis == 0 ? 1 : axis == 1 ? s.x : s.x * s.y;
  const int64_t lines = s.count() / n;
  std::vector<double> line(static_cast<size_t>(n));
  for (int64_t l = 0; l < lines; ++l) {
    // The first element of line l: lines along x are rows; along y, columns within a slice; along z, voxel columns.
    int64_t base;
    if (axis == 0) base = l * n;
    else if (axis == 1) base = (l / s.x) * s.x * s.y + l % s.x;
    else base = l;
    for (int64_t i = 0; i < n; ++i) line[static_cast<size_t>(i)] = v[base + i * stride];
    for (int64_t i = 0; i < n; ++i) {
      double sum = 0;
      for (int64_t k = -radius; k <= radius; ++k) sum += kernel[static_cast<size_t>(k + radius)] * line[static_cast<size_t>(std::clamp<int64_t>(i + k, 0, n - 1))];
      v[base + i * stride] = static_cast<T>(sum);
    }
  }
}

std::vector<double> gaussian(double sigma) {
  const int64_t radius = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(3 * sigma)));
  std::vector<double> k(static_cast<size_t>(2 * radius + 1));
  double sum = 0;
  for (int64_t i = -radius; i <= radius; ++i) sum += k[static_cast<size_t>(i + radius)] = std::exp(-0.5 * static_cast<double>(i * i) / (sigma * sigma));
  for (double& w : k) w /= sum;
  return k;
}

class RandomBlur {
 public:
  explicit RandomBlur(const DictView& config)
      : keys_(config.get_strings("keys")), std_(range_option(config, "std")), p_(config.get_double("p")),
        dims_(static_cast<int>(config.get_int("dims"))) {
    if (std_.first < 0) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'std' must not be negative");
  }

  void forward(Dict& sample, const sdk::Call& call) {
    if (!call.training()) return;
    sdk::Random rng(call.seed());
    if (!rng.chance(p_)) return;
    double sigma_mm[3] = {0, 0, 0};
    for (int a = 0; a < dims_; ++a) sigma_mm[a] = rng.uniform(std_.first, std_.second);
    for (const std::string& key : keys_) {
      const std::string meta = key + "_meta";
      const std::array<double, 3> spacing = volume::has_meta(sample, meta) ? volume::read_meta(sample, meta).spacing : std::array<double, 3>{1, 1, 1};
      const volume::Size3 size = volume::layout_of(sample.tensor(key), dims_).size;
      for_each_channel(sample, key, dims_, [&](auto* v, int64_t, int64_t) {
        for (int a = 0; a < dims_; ++a) {
          const double sigma = sigma_mm[a] / spacing[static_cast<size_t>(a)];
          if (sigma > 0.05 && size[a] > 1) convolve(v, size, a, gaussian(sigma));  // below that the kernel is a delta
        }
      });
    }
  }

 private:
  std::vector<std::string> keys_;
  std::pair<double, double> std_;
  double p_;
  int dims_;
};
FUSE_OP(RandomBlur, "fuse.medical.random_blur", "1.0.0")

// exp(sum of c_ijk x^i y^j z^k, i + j + k <= order) with x, y, z in [-1, 1]: a smooth multiplicative field, as
// MR coil inhomogeneity.
class RandomBiasField {
 public:
  explicit RandomBiasField(const DictView& config)
      : keys_(config.get_strings("keys")), coefficients_(range_option(config, "coefficients")), order_(static_cast<int>(config.get_int("order"))),
        p_(config.get_double("p")), dims_(static_cast<int>(config.get_int("dims"))) {}

  void forward(Dict& sample, const sdk::Call& call) {
    if (!call.training()) return;
    sdk::Random rng(call.seed());
    if (!rng.chance(p_)) return;
    const int o = order_ + 1, kz = dims_ == 3 ? o : 1;
    const std::vector<double> c = volume::draw_bias_coefficients(rng, coefficients_, order_, dims_);
    for (const std::string& key : keys_) {
      const volume::Size3 s = volume::layout_of(sample.tensor(key), dims_).size;
      const std::vector<float> field = bias(s, c, o, kz);
      for_each_channel(sample, key, dims_, [&](auto* v, int64_t n, int64_t) {
        using T = std::remove_pointer_t<decltype(v)>;
        for (int64_t i = 0; i < n; ++i) v[i] = static_cast<T>(v[i] * field[static_cast<size_t>(i)]);
      });
    }
  }

 private:
  // Powers per axis, then per row the polynomial in x alone: a few multiply-adds per voxel.
  static std::vector<float> bias(volume::Size3 s, const std::vector<double>& c, int o, int kz) {
    const std::vector<double> px = volume::bias_powers(s.x, o), py = volume::bias_powers(s.y, o), pz = volume::bias_powers(s.z, o);
    std::vector<float> field(static_cast<size_t>(s.count()));
    std::vector<double> row(static_cast<size_t>(o));
    for (int64_t z = 0; z < s.z; ++z)
      for (int64_t y = 0; y < s.y; ++y) {
        for (int i = 0; i < o; ++i) {
          double b = 0;
          for (int k = 0; k < kz; ++k)
            for (int j = 0; j < o; ++j)
              b += c[static_cast<size_t>((k * o + j) * o + i)] * py[static_cast<size_t>(y * o + j)] * pz[static_cast<size_t>(z * o + k)];
          row[static_cast<size_t>(i)] = b;
        }
        float* f = &field[static_cast<size_t>((z * s.y + y) * s.x)];
        for (int64_t x = 0; x < s.x; ++x) {
          double sum = 0;
          for (int i = 0; i < o; ++i) sum += row[static_cast<size_t>(i)] * px[static_cast<size_t>(x * o + i)];
          f[x] = static_cast<float>(std::exp(sum));
        }
      }
    return field;
  }

  std::vector<std::string> keys_;
  std::pair<double, double> coefficients_;
  int order_;
  double p_;
  int dims_;
};
FUSE_OP(RandomBiasField, "fuse.medical.random_bias_field", "1.0.0")

}  // namespace
}  // namespace fuse::ops_medical
