// Writes the skin2d example: dermoscopy-like RGB photographs as PNG (as ISIC's), each with one pigmented lesion
// on skin crossed by a few hairs, and its mask (0 outside, 255 inside, as ISIC's masks). About 40% are
// "malignant": an irregular border and two or three colours; the rest round and evenly brown; the two overlap a
// little, so no rule separates them exactly. Sizes vary (96-128 x 80-112 pixels), as real photographs do.
// train.csv and test.csv list them: id, image, mask, label (1 malignant).
//   make_skin_lesions OUTPUT_FOLDER [TRAIN TEST]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace {

namespace fs = std::filesystem;

struct Rng {
  std::mt19937_64 g;
  double uniform(double a, double b) { return a + (b - a) * static_cast<double>(g() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return uniform(0, 1) < p; }
};

// One photograph and its mask.
void lesion(Rng& rng, bool malignant, cv::Mat& image, cv::Mat& mask) {
  const int w = static_cast<int>(rng.uniform(96, 129)), h = static_cast<int>(rng.uniform(80, 113));
  image.create(h, w, CV_8UC3);
  mask = cv::Mat::zeros(h, w, CV_8UC1);
  const double skin[3] = {rng.uniform(200, 235), rng.uniform(160, 195), rng.uniform(130, 165)};  // R, G, B
  const double shade = rng.uniform(-0.15, 0.15);
  // The border: a radius modulated by a few harmonics, more for a malignant lesion.
  const double cx = w / 2.0 + rng.uniform(-0.1, 0.1) * w, cy = h / 2.0 + rng.uniform(-0.1, 0.1) * h;
  const double r = rng.uniform(0.18, 0.32) * std::min(w, h), stretch = rng.uniform(0.8, 1.0), tilt = rng.uniform(0, 3.14);
  const double irregular = malignant ? rng.uniform(0.08, 0.3) : rng.uniform(0.0, 0.12);
  double amp[4], phase[4];
  for (int k = 0; k < 4; ++k) amp[k] = irregular * rng.uniform(0.3, 1.0), phase[k] = rng.uniform(0, 6.28);
  const double brown[3] = {rng.uniform(120, 160), rng.uniform(75, 105), rng.uniform(50, 75)};
  // Variegation: a darker blotch and, sometimes, a blue-grey one, inside the lesion.
  const bool two_tone = rng.chance(malignant ? 0.75 : 0.2), blue = malignant && rng.chance(0.4);
  const double dx = cx + rng.uniform(-0.4, 0.4) * r, dy = cy + rng.uniform(-0.4, 0.4) * r, dr = rng.uniform(0.3, 0.55) * r;
  const double bx = cx + rng.uniform(-0.4, 0.4) * r, by = cy + rng.uniform(-0.4, 0.4) * r, br = rng.uniform(0.2, 0.4) * r;
  std::normal_distribution<double> noise(0, 6);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double u = (x - cx) * std::cos(tilt) + (y - cy) * std::sin(tilt), v = (-(x - cx) * std::sin(tilt) + (y - cy) * std::cos(tilt)) / stretch;
      const double angle = std::atan2(v, u);
      double edge = r;
      for (int k = 0; k < 4; ++k) edge *= 1 + amp[k] * std::sin((k + 2) * angle + phase[k]) / 2;
      const double d = std::hypot(u, v) / edge;  // < 1 inside
      const double inside = std::clamp((1.08 - d) / 0.16, 0.0, 1.0);  // a soft edge
      double c[3];
      for (int i = 0; i < 3; ++i) c[i] = skin[i] * (1 + shade * (y - h / 2.0) / h);
      for (int i = 0; i < 3; ++i) c[i] += inside * (brown[i] - c[i]);
      if (two_tone && std::hypot(x - dx, y - dy) < dr) for (int i = 0; i < 3; ++i) c[i] = c[i] * 0.45 + 0.55 * inside * 55 + (1 - inside) * c[i] * 0.55;
      if (blue && std::hypot(x - bx, y - by) < br) {
        const double grey[3] = {105, 110, 135};
        for (int i = 0; i < 3; ++i) c[i] += 0.7 * inside * (grey[i] - c[i]);
      }
      if (d < 1) mask.at<uint8_t>(y, x) = 255;
      cv::Vec3b& p = image.at<cv::Vec3b>(y, x);
      for (int i = 0; i < 3; ++i) p[2 - i] = cv::saturate_cast<uint8_t>(c[i] + noise(rng.g));  // OpenCV stores BGR
    }
  // Hairs: dark curves across, drawn over skin and lesion alike.
  for (int k = 0, hairs = static_cast<int>(rng.g() % 4); k < hairs; ++k) {
    const cv::Point a(static_cast<int>(rng.uniform(0, w)), 0), b(static_cast<int>(rng.uniform(0, w)), h - 1);
    const cv::Point m((a.x + b.x) / 2 + static_cast<int>(rng.uniform(-15, 15)), h / 2);
    cv::line(image, a, m, cv::Scalar(40, 45, 55), 1, cv::LINE_AA);
    cv::line(image, m, b, cv::Scalar(40, 45, 55), 1, cv::LINE_AA);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_FOLDER [TRAIN TEST]\n", argv[0]);
    return 2;
  }
  const fs::path dir = argv[1];
  const int train = argc >= 3 ? std::atoi(argv[2]) : 400, test = argc >= 4 ? std::atoi(argv[3]) : 100;
  fs::create_directories(dir / "images");
  Rng rng{std::mt19937_64(7)};
  for (const auto& [name, count] : {std::pair{"train", train}, std::pair{"test", test}}) {
    std::ofstream table(dir / (std::string(name) + ".csv"));
    table << "id,image,mask,label\n";
    for (int i = 0; i < count; ++i) {
      const bool malignant = rng.chance(0.4);
      cv::Mat image, mask;
      lesion(rng, malignant, image, mask);
      const std::string id = std::string(name) + "_" + std::to_string(i);
      if (!cv::imwrite((dir / "images" / (id + ".png")).string(), image) || !cv::imwrite((dir / "images" / (id + "_mask.png")).string(), mask)) {
        std::fprintf(stderr, "cannot write into %s\n", (dir / "images").c_str());
        return 1;
      }
      table << id << ",images/" << id << ".png,images/" << id << "_mask.png," << (malignant ? 1 : 0) << "\n";
    }
  }
  std::printf("wrote %d training and %d test photographs with masks to %s\n", train, test, dir.c_str());
  return 0;
}
