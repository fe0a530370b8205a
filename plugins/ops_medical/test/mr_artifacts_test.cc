// The k-space artifacts checked in k-space: where a spike lands and how strong it is, which planes ghosting
// weakens, and that a motion without movement changes nothing.
#include <gtest/gtest.h>

#include <cmath>

#include "kspace.h"
#include "test_support.h"

namespace fuse {
namespace {

using testing::error_of;
using testing::run_op;
using testing::run_op_training;
using testing::values;

// A smooth volume with some texture: [1, z, y, x].
NDict volume(int64_t z, int64_t y, int64_t x) {
  std::vector<float> v;
  for (int64_t k = 0; k < z; ++k)
    for (int64_t j = 0; j < y; ++j)
      for (int64_t i = 0; i < x; ++i) v.push_back(static_cast<float>(100 + 40 * std::sin(0.7 * i + 0.3 * j) * std::cos(0.5 * k) + 3 * ((i * 7 + j * 5 + k * 3) % 11)));
  NDict s;
  s.set("img", Value(Tensor::from_vector<float>(v, {1, z, y, x})));
  return s;
}

kspace::Spectrum spectrum(const std::vector<float>& v, kspace::Extent e) { return kspace::forward(v.data(), e); }

double peak(const kspace::Spectrum& s) {
  double p = 0;
  for (const auto& c : s) p = std::max(p, std::abs(c));
  return p;
}

TEST(RandomSpike, AddsPointsOfTheDrawnMagnitudeToKspace) {
  const kspace::Extent e{8, 6, 5};
  const NDict in = volume(5, 6, 8);
  const std::vector<float> before = values<float>(in.get<Tensor>("img"));
  const std::vector<float> after =
      values<float>(run_op_training("fuse.medical.random_spike", R"({"keys": ["img"], "spikes": [2, 2], "intensity": [2, 2]})", in, 5).get<Tensor>("img"));
  std::vector<float> diff(before.size());
  for (size_t i = 0; i < diff.size(); ++i) diff[i] = after[i] - before[i];
  const double p = peak(spectrum(before, e));
  const kspace::Spectrum d = spectrum(diff, e);
  // Each spike of 2 x the peak lands on one point; taking the real part shares it with the mirrored point.
  double total = 0;
  int points = 0;
  for (const auto& c : d) {
    total += std::abs(c);
    points += std::abs(c) > 1e-4 * p;
  }
  EXPECT_NEAR(total, 4 * p, 1e-4 * p);
  EXPECT_GE(points, 2);
  EXPECT_LE(points, 4);
  // No spikes: the image comes back as it was.
  const std::vector<float> none =
      values<float>(run_op_training("fuse.medical.random_spike", R"({"keys": ["img"], "spikes": [0, 0]})", in, 5).get<Tensor>("img"));
  for (size_t i = 0; i < none.size(); ++i) ASSERT_NEAR(none[i], before[i], 1e-4) << i;
}

TEST(RandomGhosting, WeakensEveryNthPlaneOutsideTheCentre) {
  const kspace::Extent e{8, 16, 6};  // y of 16: planes at centred 0, 4, 8, 12
  const NDict in = volume(6, 16, 8);
  const kspace::Spectrum before = spectrum(values<float>(in.get<Tensor>("img")), e);
  const double p = peak(before);
  for (const double restore : {0.0, 0.2}) {
    const std::string config = R"({"keys": ["img"], "axes": [1], "ghosts": [4, 4], "intensity": [1, 1], "restore": )" + std::to_string(restore) + "}";
    const kspace::Spectrum after = spectrum(values<float>(run_op_training("fuse.medical.random_ghosting", config, in, 3).get<Tensor>("img")), e);
    for (int64_t y = 0; y < e.y; ++y) {
      // Unshifted planes 8, 12, 0 (the zero frequency, kept when restoring 0.2 x 16 / 2 = 1.6 planes) and 4.
      const bool removed = y % 4 == 0 && !(restore > 0 && y == 0);
      for (int64_t z = 0; z < e.z; ++z)
        for (int64_t x = 0; x < e.x; ++x) {
          const int64_t k[3] = {x, y, z};
          const size_t i = static_cast<size_t>(kspace::offset(k, e));
          ASSERT_NEAR(std::abs(after[i] - (removed ? 0.0 : before[i])), 0, 1e-5 * p) << restore << " " << x << " " << y << " " << z;
        }
    }
  }
}

TEST(RandomMotion, WithoutMovementNothingChangesAndWithItTheImageDoes) {
  const NDict in = volume(12, 10, 9);
  const std::vector<float> before = values<float>(in.get<Tensor>("img"));
  const std::vector<float> still = values<float>(
      run_op_training("fuse.medical.random_motion", R"({"keys": ["img"], "rotation": [0, 0], "translation": [0, 0]})", in, 2).get<Tensor>("img"));
  for (size_t i = 0; i < still.size(); ++i) ASSERT_NEAR(still[i], before[i], 1e-4) << i;
  const char* moving = R"({"keys": ["img"], "rotation": [-10, 10], "translation": [-3, 3], "transforms": 3})";
  const std::vector<float> moved = values<float>(run_op_training("fuse.medical.random_motion", moving, in, 2).get<Tensor>("img"));
  double largest = 0;
  for (size_t i = 0; i < moved.size(); ++i) {
    ASSERT_TRUE(std::isfinite(moved[i]));
    largest = std::max(largest, std::abs(static_cast<double>(moved[i] - before[i])));
  }
  EXPECT_GT(largest, 1.0);
  EXPECT_EQ(values<float>(run_op_training("fuse.medical.random_motion", moving, in, 2).get<Tensor>("img")), moved);  // the seed decides
  EXPECT_NE(values<float>(run_op_training("fuse.medical.random_motion", moving, in, 3).get<Tensor>("img")), moved);
  // 2D: the stretches run along y.
  NDict flat = volume(1, 10, 9);
  flat.set("img", Value(flat.get<Tensor>("img").reshape({1, 10, 9})));
  const std::vector<float> moved2d =
      values<float>(run_op_training("fuse.medical.random_motion", R"({"keys": ["img"], "dims": 2, "translation": [-3, 3]})", flat, 4).get<Tensor>("img"));
  EXPECT_NE(moved2d, values<float>(flat.get<Tensor>("img")));
}

TEST(MrArtifacts, NothingOutsideTrainingOrWithPZero) {
  const NDict in = volume(4, 6, 8);
  const std::vector<float> before = values<float>(in.get<Tensor>("img"));
  for (const char* id : {"fuse.medical.random_spike", "fuse.medical.random_ghosting", "fuse.medical.random_motion"}) {
    EXPECT_EQ(values<float>(run_op(id, R"({"keys": ["img"]})", in).get<Tensor>("img")), before) << id;
    EXPECT_EQ(values<float>(run_op_training(id, R"({"keys": ["img"], "p": 0})", in, 1).get<Tensor>("img")), before) << id;
  }
}

TEST(MrArtifacts, BadSettingsAreNamed) {
  EXPECT_EQ(error_of([] { run_op("fuse.medical.random_spike", R"({"keys": ["img"], "spikes": [3, 1]})", NDict()); }),
            "op 'fuse.medical.random_spike' (plugin 'fuse.ops_medical'): create failed: 'spikes' must be a range [low, high] of whole numbers "
            "with 0 <= low <= high");
  EXPECT_EQ(error_of([] { run_op("fuse.medical.random_ghosting", R"({"keys": ["img"], "ghosts": [0, 4]})", NDict()); }),
            "op 'fuse.medical.random_ghosting' (plugin 'fuse.ops_medical'): create failed: 'ghosts' must be a range [low, high] of whole numbers "
            "with 1 <= low <= high");
  EXPECT_EQ(error_of([] { run_op("fuse.medical.random_ghosting", R"({"keys": ["img"], "axes": [3]})", NDict()); }),
            "op 'fuse.medical.random_ghosting' (plugin 'fuse.ops_medical'): create failed: 'axes' holds 3; spatial axes are 0 (x) to 2");
  EXPECT_EQ(error_of([] { run_op("fuse.medical.random_ghosting", R"({"keys": ["img"], "dims": 2})", NDict()); }),
            "op 'fuse.medical.random_ghosting' (plugin 'fuse.ops_medical'): create failed: 'axes' holds 2; spatial axes are 0 (x) to 1");
  EXPECT_EQ(error_of([] { run_op("fuse.medical.random_ghosting", R"({"keys": ["img"], "axes": []})", NDict()); }),
            "op 'fuse.medical.random_ghosting' (plugin 'fuse.ops_medical'): create failed: 'axes' is empty: name at least one axis to draw from");
  EXPECT_EQ(error_of([] { run_op("fuse.medical.random_motion", R"({"keys": ["img"], "translation": [5, -5]})", NDict()); }),
            "op 'fuse.medical.random_motion' (plugin 'fuse.ops_medical'): create failed: 'translation' must be a range [low, high] with low <= high");
}

}  // namespace
}  // namespace fuse
