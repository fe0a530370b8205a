// fuse.io.read_idx: one item of an IDX file (the MNIST format), e.g. image 7 of train-images-idx3-ubyte.
// The file is read once per process (gzip or plain) and shared by every op instance and thread.
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include <zlib.h>

#include "fuse_sdk/plugin.hpp"

namespace fuse::io_common {
namespace {

using sdk::Dict;
using sdk::DictView;
using sdk::fail;

struct IdxFile {
  std::vector<unsigned char> bytes;
  DLDataType dtype{};
  int item_size = 1;  // bytes per value in the file
  std::vector<int64_t> dims;  // dims[0]: the number of items
  size_t data_offset = 0;
};

std::shared_ptr<const IdxFile> load(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const IdxFile>> files;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto cached = files[path].lock()) return cached;
  auto f = std::make_shared<IdxFile>();
  gzFile in = gzopen(path.c_str(), "rb");  // reads plain files too
  if (in == nullptr) fail(FM_ERR_IO, "file not found: '" + path + "'");
  unsigned char chunk[1 << 16];
  int n = 0;
  while ((n = gzread(in, chunk, sizeof chunk)) > 0) f->bytes.insert(f->bytes.end(), chunk, chunk + n);
  const bool failed = n < 0;
  gzclose(in);
  if (failed) fail(FM_ERR_IO, "cannot read '" + path + "': corrupt gzip data");
  const auto& b = f->bytes;
  if (b.size() < 4 || b[0] != 0 || b[1] != 0) fail(FM_ERR_IO, "'" + path + "' is not an IDX file (bad magic number)");
  switch (b[2]) {
    case 0x08: f->dtype = sdk::kUInt8, f->item_size = 1; break;
    case 0x09: f->dtype = sdk::kInt8, f->item_size = 1; break;
    case 0x0B: f->dtype = sdk::kInt16, f->item_size = 2; break;
    case 0x0C: f->dtype = sdk::kInt32, f->item_size = 4; break;
    case 0x0D: f->dtype = sdk::kFloat32, f->item_size = 4; break;
    case 0x0E: f->dtype = sdk::kFloat64, f->item_size = 8; break;
    default: fail(FM_ERR_IO, "'" + path + "': unknown IDX type code " + std::to_string(b[2]));
  }
  const int ndim = b[3];
  if (ndim < 1 || b.size() < 4 + 4 * static_cast<size_t>(ndim)) fail(FM_ERR_IO, "'" + path + "' is truncated in its header");
  size_t expected = static_cast<size_t>(f->item_size);
  for (int d = 0; d < ndim; ++d) {
    const unsigned char* p = &b[4 + 4 * static_cast<size_t>(d)];
    f->dims.push_back((int64_t{p[0]} << 24) | (int64_t{p[1]} << 16) | (int64_t{p[2]} << 8) | p[3]);
    expected *= static_cast<size_t>(f->dims.back());
  }
  f->data_offset = 4 + 4 * static_cast<size_t>(ndim);
  if (b.size() < f->data_offset + expected)
    fail(FM_ERR_IO, "'" + path + "' is truncated: " + std::to_string(b.size() - f->data_offset) + " of " + std::to_string(expected) + " bytes of data");
  files[path] = f;
  return f;
}

class ReadIdx {
 public:
  explicit ReadIdx(const DictView& config)
      : path_(config.get_string("file")), index_key_(config.get_string("index_key")), key_(config.get_string("key")) {}

  void forward(Dict& sample, const sdk::Call&) {
    if (!file_) file_ = load(path_);  // on first use: creating the op needs no file (plugins check, configs)
    int64_t index = 0;
    if (sample.type(index_key_) == FM_VALUE_STRING) {
      const std::string text = sample.get_string(index_key_);
      char* end = nullptr;
      index = std::strtoll(text.c_str(), &end, 10);
      if (end == text.c_str() || *end != '\0') fail(FM_ERR_INVALID_ARGUMENT, "key '" + index_key_ + "' holds '" + text + "', not an item number");
    } else {
      index = sample.get_int(index_key_);
    }
    const IdxFile& f = *file_;
    if (index < 0 || index >= f.dims[0])
      fail(FM_ERR_INVALID_ARGUMENT, "item " + std::to_string(index) + " is out of range: '" + path_ + "' holds " + std::to_string(f.dims[0]));
    if (f.dims.size() == 1) {  // a label file: one number per item
      const unsigned char* p = &f.bytes[f.data_offset + static_cast<size_t>(index) * static_cast<size_t>(f.item_size)];
      if (f.item_size == 1) sample.set_int(key_, sdk::dtype_eq(f.dtype, sdk::kInt8) ? static_cast<int8_t>(p[0]) : p[0]);
      else sample.set_tensor(key_, item_tensor(f, index, {}));
      return;
    }
    // An image of [rows, cols] becomes [1, rows, cols] (one channel).
    std::vector<int64_t> shape(f.dims.begin() + 1, f.dims.end());
    if (shape.size() == 2) shape.insert(shape.begin(), 1);
    sample.set_tensor(key_, item_tensor(f, index, shape));
  }

 private:
  static sdk::Tensor item_tensor(const IdxFile& f, int64_t index, const std::vector<int64_t>& shape) {
    sdk::Tensor t = sdk::Tensor::empty(shape, f.dtype);
    size_t count = 1;
    for (int64_t d : shape) count *= static_cast<size_t>(d);
    const unsigned char* src = &f.bytes[f.data_offset + static_cast<size_t>(index) * count * static_cast<size_t>(f.item_size)];
    unsigned char* dst = static_cast<unsigned char*>(t.mut().raw());
    // IDX is big-endian.
    for (size_t i = 0; i < count; ++i)
      for (int k = 0; k < f.item_size; ++k) dst[i * static_cast<size_t>(f.item_size) + static_cast<size_t>(k)] = src[i * static_cast<size_t>(f.item_size) + static_cast<size_t>(f.item_size - 1 - k)];
    return t;
  }

  std::shared_ptr<const IdxFile> file_;
  std::string path_, index_key_, key_;
};
FUSE_OP(ReadIdx, "fuse.io.read_idx", "1.0.0")

}  // namespace
}  // namespace fuse::io_common
