// Writes a synthetic MNIST in MNIST's own IDX format (train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte): handwriting-like digits drawn with OpenCV's stroke fonts,
// each at a random size, weight, slant, rotation and position, blurred, with stray strokes, erased patches,
// uneven contrast and noise, 28 x 28 grey. The same
// experiment reads the real files when they are put in the folder instead.
//   make_mnist OUTPUT_FOLDER [TRAIN TEST]
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace {

namespace fs = std::filesystem;

void put_u32(std::ofstream& out, uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
  out.write(b, 4);
}

cv::Mat digit(int d, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  static const int fonts[] = {cv::FONT_HERSHEY_SIMPLEX, cv::FONT_HERSHEY_DUPLEX, cv::FONT_HERSHEY_COMPLEX, cv::FONT_HERSHEY_TRIPLEX,
                              cv::FONT_HERSHEY_SCRIPT_SIMPLEX, cv::FONT_HERSHEY_PLAIN};
  const int font = fonts[rng() % 6] | (u(rng) < 0.3 ? cv::FONT_ITALIC : 0);
  const double scale = (font & 7) == cv::FONT_HERSHEY_PLAIN ? 3.2 + u(rng) : 1.5 + 0.6 * u(rng);
  const int thickness = 2 + static_cast<int>(rng() % 4);
  cv::Mat canvas = cv::Mat::zeros(64, 64, CV_8U);
  const std::string text = std::to_string(d);
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, font, scale, thickness, &baseline);
  cv::putText(canvas, text, cv::Point((64 - size.width) / 2, (64 + size.height) / 2), font, scale, cv::Scalar(255), thickness, cv::LINE_AA);
  // Rotation, shear and a shift, like different hands.
  const double angle = (u(rng) - 0.5) * 30, shear = (u(rng) - 0.5) * 0.4;
  cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(32, 32), angle, 0.9 + 0.25 * u(rng));
  m.at<double>(0, 1) += shear;
  m.at<double>(0, 2) += (u(rng) - 0.5) * 8 - shear * 32;
  m.at<double>(1, 2) += (u(rng) - 0.5) * 8;
  cv::Mat warped;
  cv::warpAffine(canvas, warped, m, canvas.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::GaussianBlur(warped, warped, cv::Size(3, 3), 0.6 + u(rng));
  cv::Mat small;
  cv::resize(warped, small, cv::Size(28, 28), 0, 0, cv::INTER_AREA);
  // What makes real scans hard: a stray stroke, a rubbed-out patch, uneven contrast and sensor noise.
  if (u(rng) < 0.5) {
    const cv::Point a(static_cast<int>(u(rng) * 28), static_cast<int>(u(rng) * 28)), b(static_cast<int>(u(rng) * 28), static_cast<int>(u(rng) * 28));
    cv::line(small, a, b, cv::Scalar(120 + 135 * u(rng)), 1 + static_cast<int>(rng() % 2), cv::LINE_AA);
  }
  if (u(rng) < 0.4) {
    const int w = 5 + static_cast<int>(rng() % 6), h = 5 + static_cast<int>(rng() % 6);
    small(cv::Rect(static_cast<int>(rng() % (28 - w)), static_cast<int>(rng() % (28 - h)), w, h)).setTo(cv::Scalar(0));
  }
  small.convertTo(small, CV_8U, 0.45 + 0.55 * u(rng));
  cv::Mat noise(small.size(), CV_8U);
  cv::randu(noise, 0, 40 + static_cast<int>(rng() % 60));
  cv::add(small, noise, small, cv::noArray(), CV_8U);
  return small;
}

void write_set(const fs::path& dir, const std::string& prefix, int count, std::mt19937_64& rng) {
  std::ofstream images(dir / (prefix + "-images-idx3-ubyte"), std::ios::binary), labels(dir / (prefix + "-labels-idx1-ubyte"), std::ios::binary);
  put_u32(images, 0x00000803);
  put_u32(images, static_cast<uint32_t>(count));
  put_u32(images, 28);
  put_u32(images, 28);
  put_u32(labels, 0x00000801);
  put_u32(labels, static_cast<uint32_t>(count));
  for (int i = 0; i < count; ++i) {
    const int d = static_cast<int>(rng() % 10);
    const cv::Mat img = digit(d, rng);
    images.write(reinterpret_cast<const char*>(img.data), 28 * 28);
    labels.put(static_cast<char>(d));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 4) {
    std::fprintf(stderr, "usage: %s OUTPUT_FOLDER [TRAIN TEST]\n", argv[0]);
    return 2;
  }
  const fs::path dir = argv[1];
  const int train = argc == 4 ? std::atoi(argv[2]) : 12000, test = argc == 4 ? std::atoi(argv[3]) : 2000;
  fs::create_directories(dir);
  std::mt19937_64 rng(5);
  write_set(dir, "train", train, rng);
  write_set(dir, "t10k", test, rng);
  std::printf("wrote %d training and %d test digits to %s\n", train, test, dir.c_str());
  return 0;
}
