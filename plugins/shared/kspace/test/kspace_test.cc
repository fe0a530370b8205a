#include "kspace.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace fuse::kspace {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<double> random_volume(Extent s, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> v(static_cast<size_t>(s.count()));
  for (double& x : v) x = u(rng);
  return v;
}

// The DFT coefficient at (kx, ky, kz) summed directly.
std::complex<double> direct(const std::vector<double>& v, Extent s, int64_t kx, int64_t ky, int64_t kz) {
  std::complex<double> sum = 0;
  for (int64_t z = 0; z < s.z; ++z)
    for (int64_t y = 0; y < s.y; ++y)
      for (int64_t x = 0; x < s.x; ++x) {
        const double phase = -2 * kPi * (static_cast<double>(kx * x) / static_cast<double>(s.x) + static_cast<double>(ky * y) / static_cast<double>(s.y) +
                                         static_cast<double>(kz * z) / static_cast<double>(s.z));
        sum += v[static_cast<size_t>((z * s.y + y) * s.x + x)] * std::polar(1.0, phase);
      }
  return sum;
}

TEST(Kspace, ForwardEqualsTheDirectSumForAnySize) {
  const Extent s{5, 4, 3};  // odd, even, odd: OpenCV's mixed-radix paths
  const std::vector<double> v = random_volume(s, 1);
  const Spectrum f = forward(v.data(), s);
  for (int64_t kz = 0; kz < s.z; ++kz)
    for (int64_t ky = 0; ky < s.y; ++ky)
      for (int64_t kx = 0; kx < s.x; ++kx) {
        const int64_t k[3] = {kx, ky, kz};
        const std::complex<double> want = direct(v, s, kx, ky, kz), got = f[static_cast<size_t>(offset(k, s))];
        ASSERT_NEAR(got.real(), want.real(), 1e-12) << kx << ky << kz;
        ASSERT_NEAR(got.imag(), want.imag(), 1e-12) << kx << ky << kz;
      }
}

TEST(Kspace, InverseGivesTheVolumeBack) {
  for (const Extent s : {Extent{7, 6, 5}, Extent{8, 9, 1}}) {
    const std::vector<double> v = random_volume(s, 2);
    Spectrum f = forward(v.data(), s);
    std::vector<float> back(v.size());
    inverse_real(f, s, back.data());
    for (size_t i = 0; i < v.size(); ++i) ASSERT_NEAR(back[i], v[i], 1e-6) << i;
  }
}

TEST(Kspace, CentredIndicesPutTheZeroFrequencyInTheMiddle) {
  EXPECT_EQ(unshifted(2, 4), 0);
  EXPECT_EQ(unshifted(0, 4), 2);  // -2
  EXPECT_EQ(unshifted(3, 4), 1);
  EXPECT_EQ(unshifted(2, 5), 0);
  EXPECT_EQ(unshifted(0, 5), 3);  // -2
  EXPECT_EQ(unshifted(4, 5), 2);
  EXPECT_EQ(unshifted(0, 1), 0);
}

}  // namespace
}  // namespace fuse::kspace
