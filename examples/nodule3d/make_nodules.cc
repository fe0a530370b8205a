// Writes the nodule3d example: 28^3 CT-like patches as NIfTI (like NoduleMNIST3D), half with a lung nodule (a
// round, slightly lobulated blob) and half without, every patch crossed by vessels (tubes of the same density),
// so that a model must tell a round blob from a tube. train.csv and validation.csv list them:
// id, image, label, patient.
//   make_nodules OUTPUT_FOLDER [TRAIN VALIDATION]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <boost/json/parse.hpp>

#include "fuse/plugin/registry.h"

namespace {

namespace fs = std::filesystem;
constexpr int kSize = 28;

struct Rng {
  std::mt19937_64 g;
  double uniform(double a, double b) { return a + (b - a) * static_cast<double>(g() >> 11) * 0x1.0p-53; }
  double normal() {
    double u = 0;
    while (u <= 0) u = uniform(0, 1);
    return std::sqrt(-2 * std::log(u)) * std::cos(6.283185307179586 * uniform(0, 1));
  }
};

// Distance from point p to the segment a-b.
double to_segment(const double p[3], const double a[3], const double b[3]) {
  double ab[3], ap[3], dot = 0, len = 0;
  for (int i = 0; i < 3; ++i) ab[i] = b[i] - a[i], ap[i] = p[i] - a[i], dot += ab[i] * ap[i], len += ab[i] * ab[i];
  const double t = std::clamp(dot / len, 0.0, 1.0);
  double d = 0;
  for (int i = 0; i < 3; ++i) d += std::pow(a[i] + t * ab[i] - p[i], 2);
  return std::sqrt(d);
}

fuse::Tensor patch(Rng& rng, bool nodule) {
  fuse::Tensor t = fuse::Tensor::empty({1, kSize, kSize, kSize}, fuse::sdk::kInt16);
  int16_t* v = t.mutable_data<int16_t>();
  // Two or three vessels: segments through the patch, 1 to 2.2 voxels in radius.
  const int vessels = 2 + static_cast<int>(rng.g() % 2);
  double a[3][3], b[3][3], radius[3];
  for (int k = 0; k < vessels; ++k) {
    for (int i = 0; i < 3; ++i) a[k][i] = rng.uniform(-4, kSize + 4), b[k][i] = rng.uniform(-4, kSize + 4);
    radius[k] = rng.uniform(1.0, 2.2);
  }
  // The nodule: 2.5 to 5.5 voxels, near the centre, its radius modulated by angle (lobulation).
  const double c[3] = {kSize / 2.0 + rng.uniform(-3, 3), kSize / 2.0 + rng.uniform(-3, 3), kSize / 2.0 + rng.uniform(-3, 3)};
  const double r = rng.uniform(2.5, 5.5), lobes = rng.uniform(0, 0.25), phase = rng.uniform(0, 6.28);
  const double density = rng.uniform(60, 160);
  for (int z = 0, i = 0; z < kSize; ++z)
    for (int y = 0; y < kSize; ++y)
      for (int x = 0; x < kSize; ++x, ++i) {
        const double p[3] = {static_cast<double>(x), static_cast<double>(y), static_cast<double>(z)};
        double hu = -750;  // lung parenchyma
        for (int k = 0; k < vessels; ++k) {
          const double d = to_segment(p, a[k], b[k]);
          if (d < radius[k]) hu = std::max(hu, 40.0 * std::min(1.0, radius[k] - d + 0.3));
        }
        if (nodule) {
          const double dx = p[0] - c[0], dy = p[1] - c[1], dz = p[2] - c[2];
          const double dist = std::sqrt(dx * dx + dy * dy + dz * dz);
          const double angle = std::atan2(dy, dx);
          if (dist < r * (1 + lobes * std::sin(3 * angle + phase))) hu = std::max(hu, density);
        }
        v[i] = static_cast<int16_t>(std::lround(hu + 25 * rng.normal()));
      }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 4) {
    std::fprintf(stderr, "usage: %s OUTPUT_FOLDER [TRAIN VALIDATION]\n", argv[0]);
    return 2;
  }
  const fs::path dir = argv[1];
  const int train = argc == 4 ? std::atoi(argv[2]) : 600, validation = argc == 4 ? std::atoi(argv[3]) : 200;
  try {
    fs::create_directories(dir / "images");
    fuse::Registry registry(fuse::Registry::Options{{FUSE_EXAMPLE_PLUGIN_DIR}, {}});
    fuse::Op writer = registry.create_op("fuse.io.write_medical", boost::json::parse(R"({"key": "v", "geometry": "current", "path": "{path}"})").as_object());
    Rng rng{std::mt19937_64(11)};
    for (const auto& [name, count] : {std::pair<std::string, int>{"train", train}, {"validation", validation}}) {
      std::ofstream table(dir / (name + ".csv"));
      table << "id,image,label,patient\n";
      for (int i = 0; i < count; ++i) {
        const bool nodule = i % 2 == 1;
        const std::string id = name.substr(0, 1) + std::to_string(i);
        fuse::NDict s;
        s.set("v", fuse::Value(patch(rng, nodule)));
        s.set("v_meta.size", fuse::Value(fuse::List{fuse::Value(kSize), fuse::Value(kSize), fuse::Value(kSize)}));
        s.set("v_meta.spacing", fuse::Value(fuse::List{fuse::Value(1.0), fuse::Value(1.0), fuse::Value(1.0)}));
        s.set("v_meta.origin", fuse::Value(fuse::List{fuse::Value(0.0), fuse::Value(0.0), fuse::Value(0.0)}));
        s.set("v_meta.direction", fuse::Value(fuse::List{fuse::Value(-1.0), fuse::Value(0.0), fuse::Value(0.0), fuse::Value(0.0), fuse::Value(-1.0),
                                                         fuse::Value(0.0), fuse::Value(0.0), fuse::Value(0.0), fuse::Value(1.0)}));
        s.set("path", (dir / "images" / (id + ".nii.gz")).string());
        writer.forward(s);
        table << id << ",images/" << id << ".nii.gz," << nodule << ",p" << name.substr(0, 1) << i / 2 << "\n";
      }
    }
    std::printf("wrote %d training and %d validation patches to %s\n", train, validation, dir.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_nodules: %s\n", e.what());
    return 1;
  }
  return 0;
}
