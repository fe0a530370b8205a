#include "planes.h"

namespace fuse::ops_image2d {

namespace {

int cv_type(DLDataType t) {
  if (sdk::dtype_eq(t, sdk::kUInt8)) return CV_8U;
  if (sdk::dtype_eq(t, sdk::kInt16)) return CV_16S;
  if (sdk::dtype_eq(t, sdk::kInt32)) return CV_32S;
  if (sdk::dtype_eq(t, sdk::kFloat32)) return CV_32F;
  if (sdk::dtype_eq(t, sdk::kFloat64)) return CV_64F;
  return -1;
}

}  // namespace

ImageKeys::ImageKeys(const sdk::DictView& config) : images(config.get_strings("keys")), labels(config.get_strings("labels")) {
  if (images.empty() && labels.empty()) sdk::fail(FM_ERR_INVALID_ARGUMENT, "name at least one key in 'keys' or 'labels'");
}

cv::Size ImageKeys::size(const sdk::DictView& sample) const {
  std::vector<std::string> all = images;
  all.insert(all.end(), labels.begin(), labels.end());
  cv::Size first;
  for (size_t i = 0; i < all.size(); ++i) {
    sdk::TensorView t = sample.tensor(all[i]);
    if (t.ndim() < 2) sdk::fail(FM_ERR_SHAPE, "key '" + all[i] + "': an image needs at least 2 axes (height, width), got " + sdk::shape_string(t.dl()));
    const cv::Size s(static_cast<int>(t.size(-1)), static_cast<int>(t.size(-2)));
    if (i == 0) first = s;
    else if (s != first)
      sdk::fail(FM_ERR_SHAPE, "keys '" + all[0] + "' and '" + all[i] + "' have different sizes (" + sdk::shape_string(sample.tensor(all[0]).dl()) + " and " +
                                  sdk::shape_string(t.dl()) + "); they are transformed together, so they must match");
  }
  return first;
}

void map_planes(sdk::Dict& sample, const std::string& key, cv::Size out, const std::function<void(const cv::Mat&, cv::Mat&)>& f) {
  sdk::TensorView in = sample.tensor(key);
  in.require_cpu_contiguous();
  const DLDataType original = in.dtype();
  // Types OpenCV lacks travel as int32.
  const bool carried = sdk::dtype_eq(original, sdk::kInt8) || sdk::dtype_eq(original, sdk::kInt64);
  sdk::Tensor staged;
  if (carried) staged = sdk::converted(in, sdk::kInt32);
  sdk::TensorView src = carried ? staged.view() : in;
  const int type = cv_type(src.dtype());
  if (type < 0) sdk::fail(FM_ERR_TYPE, "key '" + key + "': dtype " + sdk::dtype_name(original) + " is not supported");
  std::vector<int64_t> shape = src.shape();
  int64_t planes = 1;
  for (size_t i = 0; i + 2 < shape.size(); ++i) planes *= shape[i];
  const int h = static_cast<int>(shape[shape.size() - 2]), w = static_cast<int>(shape.back());
  shape[shape.size() - 2] = out.height;
  shape.back() = out.width;
  sdk::Tensor result = sdk::Tensor::empty(shape, src.dtype());
  const size_t item = static_cast<size_t>(sdk::dtype_size(src.dtype()));
  const char* in_data = static_cast<const char*>(src.raw());
  char* out_data = static_cast<char*>(result.mut().raw());
  for (int64_t p = 0; p < planes; ++p) {
    const cv::Mat plane(h, w, type, const_cast<char*>(in_data) + static_cast<size_t>(p) * static_cast<size_t>(h * w) * item);
    cv::Mat target(out.height, out.width, type, out_data + static_cast<size_t>(p) * static_cast<size_t>(out.height * out.width) * item);
    cv::Mat made = target;
    f(plane, made);
    // OpenCV writes into `target` when it can; if it allocated instead, copy the result in.
    if (made.data != target.data) {
      if (made.size() != target.size() || made.type() != target.type())
        sdk::fail(FM_ERR_INTERNAL, "key '" + key + "': a plane came out with the wrong size or type");
      made.copyTo(target);
    }
  }
  sample.set_tensor(key, carried ? sdk::converted(result.view(), original) : std::move(result));
}

}  // namespace fuse::ops_image2d
