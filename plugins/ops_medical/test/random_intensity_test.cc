#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "kernels/counter_random.h"
#include "test_support.h"

namespace fuse {
namespace {

using testing::error_of;
using testing::run_op;
using testing::run_op_training;
using testing::sample;
using testing::values;

NDict ramp(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0.0f);
  NDict s;
  s.set("img", Value(Tensor::from_vector<float>(v, {1, 1, 1, n})));
  return s;
}

TEST(RandomGamma, RaisesToTheDrawnGammaWithinTheRange) {
  const NDict out = run_op_training("fuse.medical.random_gamma", R"({"keys": ["img"], "log_gamma": [0.5, 0.5]})", ramp(5), 1);
  const std::vector<float> v = values<float>(out.get<Tensor>("img"));
  EXPECT_FLOAT_EQ(v[0], 0.0f);
  EXPECT_FLOAT_EQ(v[4], 4.0f);
  EXPECT_NEAR(v[2], 4 * std::pow(0.5, std::exp(0.5)), 1e-5);
}

TEST(RandomGamma, NothingOutsideTrainingOrWithPZero) {
  const std::vector<float> before = values<float>(ramp(5).get<Tensor>("img"));
  EXPECT_EQ(values<float>(run_op("fuse.medical.random_gamma", R"({"keys": ["img"], "log_gamma": [0.5, 0.5]})", ramp(5)).get<Tensor>("img")), before);
  EXPECT_EQ(values<float>(run_op_training("fuse.medical.random_gamma", R"({"keys": ["img"], "log_gamma": [0.5, 0.5], "p": 0})", ramp(5), 1)
                              .get<Tensor>("img")),
            before);
}

TEST(RandomNoise, TheDrawnStandardDeviationAndTheSeedDecide) {
  const char* config = R"({"keys": ["img"], "std": [2, 2], "mean": 1})";
  const std::vector<float> a = values<float>(run_op_training("fuse.medical.random_noise", config, ramp(100000), 5).get<Tensor>("img"));
  double sum = 0, sum2 = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = a[i] - static_cast<double>(i);
    sum += d, sum2 += d * d;
  }
  EXPECT_NEAR(sum / 100000, 1.0, 0.03);
  EXPECT_NEAR(std::sqrt(sum2 / 100000 - 1.0), 2.0, 0.03);
  double lag = 0;  // neighbours (the two halves of a Box-Muller pair among them) are independent
  for (size_t i = 0; i + 1 < a.size(); ++i) lag += (a[i] - static_cast<double>(i) - 1) * (a[i + 1] - static_cast<double>(i + 1) - 1);
  EXPECT_NEAR(lag / 99999 / 4, 0.0, 0.01);
  EXPECT_EQ(values<float>(run_op_training("fuse.medical.random_noise", config, ramp(100000), 5).get<Tensor>("img")), a);
  EXPECT_NE(values<float>(run_op_training("fuse.medical.random_noise", config, ramp(100000), 6).get<Tensor>("img")), a);
  EXPECT_EQ(error_of([] { run_op("fuse.medical.random_noise", R"({"keys": ["img"], "std": [0.5, 0.1]})", NDict()); }),
            "op 'fuse.medical.random_noise' (plugin 'fuse.ops_medical'): create failed: 'std' must be a range [low, high] with low <= high");
}

// The CPU loop takes the normals a Box-Muller pair at a time; a GPU thread per voxel computes its own: the same
// values wherever a channel starts (an odd voxel count puts the next channel's first voxel mid-pair).
TEST(RandomNoise, PairsOfNormalsEqualTheOneByOneDraws) {
  for (const uint64_t first : {0u, 1u, 6u, 7u})
    for (const int64_t n : {0, 1, 2, 5, 8}) {
      std::vector<double> v(static_cast<size_t>(n), 1.0);
      kernels::add_counter_normals(v.data(), n, 42, first, 0.5, 2.0);
      for (int64_t i = 0; i < n; ++i) EXPECT_EQ(v[static_cast<size_t>(i)], 1.0 + (0.5 + 2.0 * kernels::counter_normal(42, first + static_cast<uint64_t>(i))));
    }
}

TEST(RandomBlur, SpreadsAPointAndKeepsItsSum) {
  Tensor t = Tensor::zeros({1, 9, 9, 9}, sdk::kFloat32);
  t.mutable_data<float>()[4 * 81 + 4 * 9 + 4] = 1;
  NDict s;
  s.set("img", Value(t));
  const std::vector<float> v = values<float>(run_op_training("fuse.medical.random_blur", R"({"keys": ["img"], "std": [1, 1]})", s, 3).get<Tensor>("img"));
  const double sum = std::accumulate(v.begin(), v.end(), 0.0);
  EXPECT_NEAR(sum, 1.0, 1e-5);
  const float centre = v[4 * 81 + 4 * 9 + 4];
  EXPECT_LT(centre, 0.1f);
  EXPECT_FLOAT_EQ(v[4 * 81 + 4 * 9 + 3], v[4 * 81 + 4 * 9 + 5]);  // symmetric
  EXPECT_FLOAT_EQ(v[4 * 81 + 3 * 9 + 4], v[3 * 81 + 4 * 9 + 4]);  // the same sigma along y and z
}

TEST(RandomBiasField, MultipliesByTheExponentialOfAPolynomial) {
  // Order 0: a constant field e^c.
  const std::vector<float> v =
      values<float>(run_op_training("fuse.medical.random_bias_field", R"({"keys": ["img"], "order": 0, "coefficients": [0.5, 0.5]})", ramp(4), 2)
                        .get<Tensor>("img"));
  EXPECT_FLOAT_EQ(v[3], static_cast<float>(3 * std::exp(0.5)));
  // Order 1 along x alone (a 1-voxel-high image): exp(c0 + c1 x), x from -1 to 1.
  const std::vector<float> f =
      values<float>(run_op_training("fuse.medical.random_bias_field", R"({"keys": ["img"], "order": 1, "coefficients": [-0.3, 0.3]})",
                                    sample(R"({"img": [[[[1.0, 1.0, 1.0]]]]})"), 7)
                        .get<Tensor>("img"));
  EXPECT_NEAR(f[1] * f[1], f[0] * f[2], 1e-5);  // geometric: the middle is the mean in log space
  EXPECT_NE(f[0], f[2]);
}

}  // namespace
}  // namespace fuse
