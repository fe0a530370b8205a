// fuse.io.write_image: writes a label map (or a grey or RGB picture) as PNG, BMP, TIFF, ... through OpenCV. A
// segmentation made on a photograph resized by fuse.image2d.resize_and_pad goes back to the photograph's own
// size with 'undo_resize_and_pad' (the letterbox cut out, then resized), its classes written as the masks'
// values ('values': class 1 as 255, as ISIC's masks).
#include <filesystem>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "fuse_sdk/path_pattern.hpp"
#include "fuse_sdk/plugin.hpp"
#include "letterbox/letterbox.h"

namespace fuse::io_common {
namespace {

using sdk::Dict;
using sdk::DictView;

class WriteImage {
 public:
  explicit WriteImage(const DictView& config)
      : key_(config.get_string("key")),
        path_(config.get_string("path")),
        values_(config.get_doubles("values")),
        size_from_(config.find_string("size_from")),
        label_(config.get_bool("label")),
        centred_(config.get_string("position") == "center") {
    if (!config.is_unset("undo_resize_and_pad")) {
      const std::vector<int64_t> box = config.get_ints("undo_resize_and_pad");
      if (box.size() != 2 || box[0] < 1 || box[1] < 1) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'undo_resize_and_pad' is the resize's [width, height]");
      box_ = cv::Size(static_cast<int>(box[0]), static_cast<int>(box[1]));
    }
    if (box_.area() > 0 && !size_from_)
      sdk::fail(FM_ERR_INVALID_ARGUMENT, "'undo_resize_and_pad' needs 'size_from': the key of the photograph's path, whose size to go back to");
    if (size_from_ && box_.area() == 0) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'size_from' needs 'undo_resize_and_pad': the resize's [width, height]");
    cv::setNumThreads(0);
  }

  void forward(Dict& sample, const sdk::Call&) {
    cv::Mat image = picture(sample.tensor(key_));
    if (box_.area() > 0) image = undo(image, sample.get_string(*size_from_));
    if (image.channels() == 3) cv::cvtColor(image, image, cv::COLOR_RGB2BGR);
    const std::string path = sdk::expand_path(path_, sample);
    if (!cv::haveImageWriter(path)) sdk::fail(FM_ERR_INVALID_ARGUMENT, "cannot write '" + path + "': OpenCV has no writer for its extension (.png, .bmp, .tif, .jpg)");
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    bool written = false;
    try {
      written = cv::imwrite(path, image);
    } catch (const cv::Exception& e) {
      sdk::fail(FM_ERR_IO, "cannot write '" + path + "': " + e.err);
    }
    if (!written) sdk::fail(FM_ERR_IO, "cannot write '" + path + "' (its folder cannot be made or written)");
  }

 private:
  // The tensor ([height, width] or [channels, height, width], leading axes of 1 dropped; 1 or 3 channels) as an
  // interleaved 8- or 16-bit picture, each class replaced by its value.
  cv::Mat picture(const sdk::TensorView& t) const {
    t.require_cpu_contiguous();
    std::vector<int64_t> shape = t.shape();
    while (shape.size() > 2 && shape[0] == 1) shape.erase(shape.begin());
    const int channels = shape.size() == 3 ? static_cast<int>(shape[0]) : 1;
    if (shape.size() < 2 || shape.size() > 3 || (channels != 1 && channels != 3))
      sdk::fail(FM_ERR_SHAPE, "key '" + key_ + "' is " + sdk::shape_string(t.dl()) + "; a picture is [height, width] or [1 or 3 channels, height, width]");
    const int h = static_cast<int>(shape[shape.size() - 2]), w = static_cast<int>(shape.back());
    std::vector<double> v(static_cast<size_t>(t.numel()));
    if (!sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
          const auto* p = t.data<decltype(tag)>();
          for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(p[i]);
        }))
      sdk::fail(FM_ERR_TYPE, "key '" + key_ + "': dtype " + sdk::dtype_name(t.dtype()) + " cannot be written");
    double largest = 0;
    for (double& x : v) {
      if (!values_.empty()) {
        if (x < 0 || x != static_cast<double>(static_cast<int64_t>(x)) || x >= static_cast<double>(values_.size()))
          sdk::fail(FM_ERR_INVALID_ARGUMENT, "key '" + key_ + "' holds " + std::to_string(x) + ", which is not a class of 'values' (0 to " +
                                                 std::to_string(values_.size() - 1) + ")");
        x = values_[static_cast<size_t>(x)];
      }
      if (x < 0) sdk::fail(FM_ERR_INVALID_ARGUMENT, "key '" + key_ + "' holds " + std::to_string(x) + ": a picture holds no negative values");
      largest = std::max(largest, x);
    }
    if (largest > 65535) sdk::fail(FM_ERR_INVALID_ARGUMENT, "key '" + key_ + "' holds " + std::to_string(largest) + ": a picture holds at most 65535");
    const int depth = largest > 255 ? CV_16U : CV_8U;
    std::vector<cv::Mat> planes;
    for (int c = 0; c < channels; ++c) {
      cv::Mat plane(h, w, CV_64F, v.data() + static_cast<size_t>(c) * static_cast<size_t>(h) * static_cast<size_t>(w));
      cv::Mat converted;
      plane.convertTo(converted, depth);  // rounds to the nearest
      planes.push_back(converted);
    }
    cv::Mat out;
    cv::merge(planes, out);
    return out;
  }

  // The picture cut out of the resize's box and resized to the photograph at `original`'s size.
  cv::Mat undo(const cv::Mat& boxed, const std::string& original) const {
    if (boxed.size() != box_)
      sdk::fail(FM_ERR_SHAPE, "key '" + key_ + "' is " + std::to_string(boxed.cols) + "x" + std::to_string(boxed.rows) + ", not the resize's " +
                                  std::to_string(box_.width) + "x" + std::to_string(box_.height) + " ('undo_resize_and_pad')");
    const cv::Mat photo = cv::imread(original, cv::IMREAD_UNCHANGED);
    if (photo.empty()) sdk::fail(FM_ERR_IO, "cannot read '" + original + "' ('size_from'), whose size to go back to");
    const letterbox::Place p = letterbox::place(photo.cols, photo.rows, box_.width, box_.height, centred_);
    cv::Mat out;
    cv::resize(boxed(cv::Rect(p.x, p.y, p.width, p.height)), out, photo.size(), 0, 0, label_ ? cv::INTER_NEAREST : cv::INTER_LINEAR);
    return out;
  }

  std::string key_, path_;
  std::vector<double> values_;
  std::optional<std::string> size_from_;
  bool label_, centred_;
  cv::Size box_;
};
FUSE_OP(WriteImage, "fuse.io.write_image", "1.0.0")

}  // namespace
}  // namespace fuse::io_common
