// Writes a small synthetic 3D segmentation dataset for the examples and benchmarks: CT-like volumes (air,
// a body, an organ, sometimes a lesion) with organ masks, as NIfTI files through the io_medical plugin, and the
// tables train.csv (id, image, mask, lesion, patient; files in images/) and test.csv (a third as many held-out
// cases of other patients, laid out the same; files in test/). Spacings and orientations vary from case to case, as they do between scanners,
// so `fuse dataset summary` has something to say.
//   make_segmentation_volumes OUTPUT_FOLDER [CASES [SIZE_X SIZE_Y SIZE_Z]]
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

fuse::List list(std::initializer_list<double> v) {
  fuse::List l;
  for (double x : v) l.emplace_back(x);
  return l;
}

struct Case {
  int64_t nx, ny, nz;
  double sx, sy, sz;
  bool lps;      // stored LPS (ITK's default) instead of RAS
  bool lesion;
};

void write(fuse::Op& writer, fuse::NDict sample) { writer.forward(sample); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3 && argc != 6) {
    std::fprintf(stderr, "usage: %s OUTPUT_FOLDER [CASES [SIZE_X SIZE_Y SIZE_Z]]\n", argv[0]);
    return 2;
  }
  const fs::path dir = argv[1];
  const int cases = argc >= 3 ? std::atoi(argv[2]) : 24;
  const int64_t base[3] = {argc == 6 ? std::atoll(argv[3]) : 96, argc == 6 ? std::atoll(argv[4]) : 96, argc == 6 ? std::atoll(argv[5]) : 48};
  try {
    fs::create_directories(dir / "images");
    fs::create_directories(dir / "test");
    fuse::Registry registry(fuse::Registry::Options{{FUSE_EXAMPLE_PLUGIN_DIR}, {}});
    fuse::Op writer = registry.create_op("fuse.io.write_medical",
                                         boost::json::parse(R"({"key": "v", "geometry": "current", "path": "{path}"})").as_object());
    std::mt19937_64 rng(7);
    auto uniform = [&](double a, double b) { return a + (b - a) * static_cast<double>(rng() >> 11) * 0x1.0p-53; };
    std::ofstream train(dir / "train.csv"), test(dir / "test.csv");
    train << "id,image,mask,lesion,patient\n";
    test << "id,image,mask,lesion,patient\n";
    // The test cases come after the training ones from the same random stream, so the training set does not
    // change with them.
    for (int c = 0; c < cases + cases / 3; ++c) {
      // Two scanners: 0.8 mm in-plane and 2 mm slices, or 1 mm and 2.5 mm; every fourth case stored LPS.
      const bool second = c % 3 == 2;
      const Case k{base[0], base[1], second ? base[2] * 4 / 5 : base[2], second ? 1.0 : 0.8, second ? 1.0 : 0.8, second ? 2.5 : 2.0, c % 4 == 3,
                   c % 2 == 1};
      fuse::Tensor image = fuse::Tensor::empty({1, k.nz, k.ny, k.nx}, fuse::sdk::kInt16);
      fuse::Tensor mask = fuse::Tensor::zeros({1, k.nz, k.ny, k.nx}, fuse::sdk::kUInt8);
      int16_t* im = image.mutable_data<int16_t>();
      uint8_t* m = mask.mutable_data<uint8_t>();
      // In millimetres from the volume centre: a body ellipse, an organ ellipsoid off centre, maybe a lesion in it.
      const double body[2] = {0.42 * k.nx * k.sx, 0.34 * k.ny * k.sy};
      const double organ_c[3] = {uniform(-12, 12), uniform(-10, 10), uniform(-8, 8)};
      const double organ_r[3] = {uniform(16, 24), uniform(12, 18), uniform(14, 22)};
      const double lesion_c[3] = {organ_c[0] + uniform(-5, 5), organ_c[1] + uniform(-4, 4), organ_c[2] + uniform(-4, 4)};
      std::normal_distribution<double> noise(0, 12);
      for (int64_t z = 0, i = 0; z < k.nz; ++z)
        for (int64_t y = 0; y < k.ny; ++y)
          for (int64_t x = 0; x < k.nx; ++x, ++i) {
            const double px = (static_cast<double>(x) - (k.nx - 1) / 2.0) * k.sx, py = (static_cast<double>(y) - (k.ny - 1) / 2.0) * k.sy,
                         pz = (static_cast<double>(z) - (k.nz - 1) / 2.0) * k.sz;
            double hu = -1000;
            if ((px / body[0]) * (px / body[0]) + (py / body[1]) * (py / body[1]) < 1) hu = 20;
            const double d = std::pow((px - organ_c[0]) / organ_r[0], 2) + std::pow((py - organ_c[1]) / organ_r[1], 2) + std::pow((pz - organ_c[2]) / organ_r[2], 2);
            if (d < 1) {
              hu = 70;
              m[i] = 1;
              const double l = std::pow(px - lesion_c[0], 2) + std::pow(py - lesion_c[1], 2) + std::pow(pz - lesion_c[2], 2);
              if (k.lesion && l < 36) hu = 130, m[i] = 2;
            }
            im[i] = static_cast<int16_t>(std::lround(hu + noise(rng)));
          }
      const bool held_out = c >= cases;
      const int number = held_out ? c - cases : c;
      const std::string id = (held_out ? "test" : "case") + std::string(number < 10 ? "0" : "") + std::to_string(number);
      const std::string folder = held_out ? "test" : "images";
      for (int which = 0; which < 2; ++which) {
        fuse::NDict s;
        s.set("v", fuse::Value(which == 0 ? image : mask));
        s.set("v_meta.size", fuse::Value(fuse::List{fuse::Value(k.nx), fuse::Value(k.ny), fuse::Value(k.nz)}));
        s.set("v_meta.spacing", fuse::Value(list({k.sx, k.sy, k.sz})));
        s.set("v_meta.origin", fuse::Value(list({0.0, 0.0, 0.0})));
        s.set("v_meta.direction", fuse::Value(k.lps ? list({1, 0, 0, 0, 1, 0, 0, 0, 1}) : list({-1, 0, 0, 0, -1, 0, 0, 0, 1})));
        s.set("path", (dir / folder / (id + (which == 0 ? "_ct.nii.gz" : "_mask.nii.gz"))).string());
        write(writer, std::move(s));
      }
      (held_out ? test : train) << id << "," << folder << "/" << id << "_ct.nii.gz," << folder << "/" << id << "_mask.nii.gz," << k.lesion << ",p" << c / 2 << "\n";
    }
    std::printf("wrote %d cases (train.csv) and %d held-out ones (test.csv) to %s\n", cases, cases / 3, dir.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_segmentation_volumes: %s\n", e.what());
    return 1;
  }
  return 0;
}
