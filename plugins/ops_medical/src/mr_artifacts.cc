// MR artifacts made in k-space, as TorchIO's RandomSpike, RandomGhosting and RandomMotion (fastMONAI's
// spike, ghosting and motion): each channel of each key goes to k-space, the spectrum is changed as the
// scanner's fault changes it, and the real part comes back (so signed intensities such as CT survive). One
// draw per call for every key and channel, with probability 'p'; off outside training. Images only: a label
// map has no k-space.
#include <algorithm>
#include <array>
#include <cmath>

#include "channels.h"
#include "kspace.h"
#include "resample.h"
#include "spatial_keys.h"

namespace fuse::ops_medical {
namespace {

using sdk::Dict;
using sdk::DictView;
using sdk::fail;
using Counts = std::pair<int64_t, int64_t>;

// An integer range option [low, high] with min <= low <= high.
Counts count_option(const DictView& config, const std::string& name, int64_t min) {
  const std::vector<int64_t> v = config.get_ints(name);
  if (v.size() != 2 || v[0] > v[1] || v[0] < min)
    fail(FM_ERR_INVALID_ARGUMENT, "'" + name + "' must be a range [low, high] of whole numbers with " + std::to_string(min) + " <= low <= high");
  return {v[0], v[1]};
}

int64_t draw_count(sdk::Random& rng, Counts r) { return r.first + static_cast<int64_t>(rng.below(static_cast<uint64_t>(r.second - r.first + 1))); }

// Calls f(plane_index) for the offset of every k-space element whose index along `axis` is `at`.
template <class F>
void for_plane(volume::Size3 s, int axis, int64_t at, F&& f) {
  int64_t index[3];
  index[axis] = at;
  const int a = axis == 0 ? 1 : 0, b = axis == 2 ? 1 : 2;  // the other two axes
  for (index[b] = 0; index[b] < s[b]; ++index[b])
    for (index[a] = 0; index[a] < s[a]; ++index[a]) f(kspace::offset(index, s));
}

// f(spectrum, size) on the k-space of every channel of every key, and back.
template <class F>
void in_kspace(Dict& sample, const std::vector<std::string>& keys, int dims, F&& f) {
  for (const std::string& key : keys) {
    const volume::Size3 size = volume::layout_of(sample.tensor(key), dims).size;
    for_each_channel(sample, key, dims, [&](auto* v, int64_t, int64_t) {
      kspace::Spectrum s = kspace::forward(v, size);
      f(s, size);
      kspace::inverse_real(s, size, v);
    });
  }
}

// Spikes: single k-space points of a magnitude 'intensity' times the spectrum's largest, which add stripes
// (a herringbone) across the image.
class RandomSpike {
 public:
  explicit RandomSpike(const DictView& config)
      : keys_(config.get_strings("keys")), spikes_(count_option(config, "spikes", 0)), intensity_(range_option(config, "intensity")),
        p_(config.get_double("p")), dims_(static_cast<int>(config.get_int("dims"))) {}

  void forward(Dict& sample, const sdk::Call& call) {
    if (!call.training()) return;
    sdk::Random rng(call.seed());
    if (!rng.chance(p_)) return;
    // Where, as a fraction of each axis of the centred k-space (0.5: the zero frequency).
    std::vector<std::array<double, 3>> where(static_cast<size_t>(draw_count(rng, spikes_)));
    for (auto& w : where)
      for (double& f : w) f = rng.uniform();
    const double intensity = rng.uniform(intensity_.first, intensity_.second);
    in_kspace(sample, keys_, dims_, [&](kspace::Spectrum& s, volume::Size3 size) {
      double peak2 = 0;  // squared: no hypot per element
      for (const auto& c : s) peak2 = std::max(peak2, std::norm(c));
      const double peak = std::sqrt(peak2);
      for (const auto& w : where) {
        int64_t index[3];
        for (int a = 0; a < 3; ++a)
          index[a] = kspace::unshifted(std::min(size[a] - 1, static_cast<int64_t>(w[static_cast<size_t>(a)] * static_cast<double>(size[a]))), size[a]);
        s[static_cast<size_t>(kspace::offset(index, size))] += intensity * peak;
      }
    });
  }

 private:
  std::vector<std::string> keys_;
  Counts spikes_;
  std::pair<double, double> intensity_;
  double p_;
  int dims_;
};
FUSE_OP(RandomSpike, "fuse.medical.random_spike", "1.0.0")

// Ghosts: every n-th plane of k-space along one axis (counted from its edge in the centred layout) weakened by
// 'intensity', which repeats the object n times along that axis; the central 'restore' fraction of k-space
// keeps the image's contrast.
class RandomGhosting {
 public:
  explicit RandomGhosting(const DictView& config)
      : keys_(config.get_strings("keys")), ghosts_(count_option(config, "ghosts", 1)), intensity_(range_option(config, "intensity")),
        restore_(config.get_double("restore")), p_(config.get_double("p")), dims_(static_cast<int>(config.get_int("dims"))),
        axes_(axes_option(config, dims_)) {
    if (axes_.empty()) fail(FM_ERR_INVALID_ARGUMENT, "'axes' is empty: name at least one axis to draw from");
  }

  void forward(Dict& sample, const sdk::Call& call) {
    if (!call.training()) return;
    sdk::Random rng(call.seed());
    if (!rng.chance(p_)) return;
    const int64_t every = draw_count(rng, ghosts_);
    const int axis = axes_[rng.below(axes_.size())];
    const double keep = 1 - rng.uniform(intensity_.first, intensity_.second);
    in_kspace(sample, keys_, dims_, [&](kspace::Spectrum& s, volume::Size3 size) {
      const int64_t n = size[axis];
      const double centre = restore_ * static_cast<double>(n) / 2;
      for (int64_t c = 0; c < n; c += every) {
        if (std::abs(static_cast<double>(c - n / 2)) < centre) continue;
        for_plane(size, axis, kspace::unshifted(c, n), [&](int64_t i) { s[static_cast<size_t>(i)] *= keep; });
      }
    });
  }

 private:
  std::vector<std::string> keys_;
  Counts ghosts_;
  std::pair<double, double> intensity_;
  double restore_;
  double p_;
  int dims_;
  std::vector<int> axes_;
};
FUSE_OP(RandomGhosting, "fuse.medical.random_ghosting", "1.0.0")

// Motion: the patient moves (rigidly) 'transforms' times during the scan, so consecutive stretches of k-space,
// along the slowest axis (z; y in 2D), are read from differently placed images: blurred edges and ghosts.
class RandomMotion {
 public:
  explicit RandomMotion(const DictView& config)
      : keys_(config.get_strings("keys")), transforms_(config.get_int("transforms")), p_(config.get_double("p")),
        dims_(static_cast<int>(config.get_int("dims"))) {
    ranges_.rotation = range_option(config, "rotation");
    ranges_.translation = range_option(config, "translation");
    ranges_.scale = {1, 1};
  }

  void forward(Dict& sample, const sdk::Call& call) {
    if (!call.training()) return;
    sdk::Random rng(call.seed());
    if (!rng.chance(p_)) return;
    const sdk::Random draws = rng;  // each key draws the same motion for its own grid
    for (const std::string& key : keys_) {
      const volume::Size3 size = volume::layout_of(sample.tensor(key), dims_).size;
      const std::string meta = key + "_meta";
      const std::array<double, 3> spacing = volume::has_meta(sample, meta) ? volume::read_meta(sample, meta).spacing : std::array<double, 3>{1, 1, 1};
      sdk::Random r = draws;
      std::vector<volume::IndexMap> maps;
      for (int64_t t = 0; t < transforms_; ++t) maps.push_back(volume::draw_affine(r, ranges_, size, spacing, dims_));
      // Stretch t of k-space (t = 0: before the first move) ends near (t + 1) / (transforms + 1) of the axis.
      const int axis = dims_ - 1;
      const int64_t n = size[axis];
      std::vector<int64_t> ends;
      const double step = 1.0 / static_cast<double>(transforms_ + 1);
      for (int64_t t = 1; t <= transforms_; ++t)
        ends.push_back(std::clamp<int64_t>(static_cast<int64_t>((static_cast<double>(t) + r.uniform(-0.05, 0.05)) * step * static_cast<double>(n)), 0, n));
      ends.push_back(n);
      for_each_channel(sample, key, dims_, [&](auto* v, int64_t voxels, int64_t) {
        using T = std::remove_pointer_t<decltype(v)>;
        const double fill = static_cast<double>(*std::min_element(v, v + voxels));
        kspace::Spectrum combined = kspace::forward(v, size);
        std::vector<T> moved(static_cast<size_t>(voxels));
        int64_t begin = ends[0];
        for (size_t t = 0; t < maps.size(); ++t) {
          volume::resample(v, size, moved.data(), size, 1, maps[t], nullptr, volume::Interpolation::kLinear, fill);
          const kspace::Spectrum s = kspace::forward(moved.data(), size);
          for (int64_t c = begin; c < ends[t + 1]; ++c)
            for_plane(size, axis, kspace::unshifted(c, n), [&](int64_t i) { combined[static_cast<size_t>(i)] = s[static_cast<size_t>(i)]; });
          begin = std::max(begin, ends[t + 1]);
        }
        kspace::inverse_real(combined, size, v);
      });
    }
  }

 private:
  std::vector<std::string> keys_;
  volume::AffineRanges ranges_;
  int64_t transforms_;
  double p_;
  int dims_;
};
FUSE_OP(RandomMotion, "fuse.medical.random_motion", "1.0.0")

}  // namespace
}  // namespace fuse::ops_medical
