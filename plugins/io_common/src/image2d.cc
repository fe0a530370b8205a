// fuse.io.read_image: PNG, JPEG, BMP, TIFF through OpenCV into [channels, height, width] (RGB order).
#include <filesystem>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "fuse_sdk/plugin.hpp"

namespace fuse::io_common {
namespace {

using sdk::Dict;
using sdk::DictView;

class ReadImage {
 public:
  explicit ReadImage(const DictView& config)
      : path_key_(config.get_string("path_key")), key_(config.get_string("key")), mode_(config.get_string("mode")),
        float_(config.get_bool("to_float")) {
    cv::setNumThreads(0);  // the loader runs samples in parallel; OpenCV's own pool would only compete
  }

  void forward(Dict& sample, const sdk::Call&) {
    const std::string path = sample.get_string(path_key_);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) sdk::fail(FM_ERR_IO, "file not found: '" + path + "'");
    const int flags = mode_ == "gray" ? cv::IMREAD_GRAYSCALE : mode_ == "color" ? cv::IMREAD_COLOR : cv::IMREAD_UNCHANGED;
    cv::Mat image = cv::imread(path, flags);
    if (image.empty()) sdk::fail(FM_ERR_IO, "cannot decode '" + path + "' as an image (PNG, JPEG, BMP, TIFF)");
    if (image.channels() == 3) cv::cvtColor(image, image, cv::COLOR_BGR2RGB);
    if (image.channels() == 4) cv::cvtColor(image, image, cv::COLOR_BGRA2RGBA);
    // Depths a tensor holds: 8-bit stays, 16-bit unsigned widens to int32, the rest become float32.
    int depth = image.depth();
    DLDataType dtype = sdk::kUInt8;
    if (float_) {
      const double scale = depth == CV_8U ? 1.0 / 255 : depth == CV_16U ? 1.0 / 65535 : 1.0;
      image.convertTo(image, CV_MAKETYPE(CV_32F, image.channels()), scale);
      dtype = sdk::kFloat32;
    } else if (depth == CV_16U || depth == CV_16S) {
      image.convertTo(image, CV_MAKETYPE(CV_32S, image.channels()));
      dtype = sdk::kInt32;
    } else if (depth != CV_8U) {
      image.convertTo(image, CV_MAKETYPE(CV_32F, image.channels()));
      dtype = sdk::kFloat32;
    }
    const int c = image.channels(), h = image.rows, w = image.cols;
    sdk::Tensor t = sdk::Tensor::empty({c, h, w}, dtype);
    // Interleaved pixels to planes.
    std::vector<cv::Mat> planes;
    char* base = static_cast<char*>(t.mut().raw());
    const size_t plane_bytes = static_cast<size_t>(h) * static_cast<size_t>(w) * image.elemSize1();
    for (int i = 0; i < c; ++i) planes.emplace_back(h, w, image.depth(), base + static_cast<size_t>(i) * plane_bytes);
    cv::split(image, planes);
    sample.set_tensor(key_, std::move(t));
  }

 private:
  std::string path_key_, key_, mode_;
  bool float_;
};
FUSE_OP(ReadImage, "fuse.io.read_image", "1.0.0")

}  // namespace
}  // namespace fuse::io_common
