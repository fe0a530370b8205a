// fuse.io.read_npy: NumPy .npy arrays (format versions 1-3), C or Fortran order, either byte order.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "fuse_sdk/plugin.hpp"

namespace fuse::io_common {
namespace {

using sdk::Dict;
using sdk::DictView;
using sdk::fail;

struct NpyHeader {
  DLDataType dtype{};
  int size = 0;            // bytes per element in the file
  bool swap = false;       // stored big-endian
  bool fortran = false;
  bool widen_unsigned = false;  // u2, u4 (read into the next signed type)
  std::vector<int64_t> shape;
};

// The value of 'name' in the header's Python dict literal, as written by NumPy.
std::string field(const std::string& dict, const std::string& name, const std::string& path) {
  const size_t at = dict.find("'" + name + "'");
  if (at == std::string::npos) fail(FM_ERR_IO, "'" + path + "': the .npy header has no '" + name + "'");
  size_t start = dict.find(':', at) + 1;
  while (start < dict.size() && dict[start] == ' ') ++start;
  size_t end = start;
  if (dict[start] == '(') end = dict.find(')', start) + 1;
  else if (dict[start] == '\'') end = dict.find('\'', start + 1) + 1;
  else end = dict.find_first_of(",}", start);
  return dict.substr(start, end - start);
}

NpyHeader parse_header(const std::string& dict, const std::string& path) {
  NpyHeader h;
  std::string descr = field(dict, "descr", path);
  if (descr.size() < 4) fail(FM_ERR_IO, "'" + path + "': unreadable dtype " + descr);
  descr = descr.substr(1, descr.size() - 2);  // drop the quotes
  const char order = descr[0], kind = descr[1];
  h.size = std::atoi(descr.c_str() + 2);
  h.swap = order == '>' && h.size > 1;
  const auto unsupported = [&] { fail(FM_ERR_UNSUPPORTED, "'" + path + "': dtype '" + descr + "' is not supported (bool, int, uint, float)"); };
  if (kind == 'f') {
    if (h.size == 4) h.dtype = sdk::kFloat32;
    else if (h.size == 8) h.dtype = sdk::kFloat64;
    else unsupported();
  } else if (kind == 'i') {
    if (h.size == 1) h.dtype = sdk::kInt8;
    else if (h.size == 2) h.dtype = sdk::kInt16;
    else if (h.size == 4) h.dtype = sdk::kInt32;
    else if (h.size == 8) h.dtype = sdk::kInt64;
    else unsupported();
  } else if (kind == 'u' || kind == 'b') {
    if (h.size == 1) h.dtype = sdk::kUInt8;
    else if (h.size == 2) h.dtype = sdk::kInt32, h.widen_unsigned = true;
    else if (h.size == 4) h.dtype = sdk::kInt64, h.widen_unsigned = true;
    else unsupported();
  } else {
    unsupported();
  }
  h.fortran = field(dict, "fortran_order", path) == "True";
  const std::string shape = field(dict, "shape", path);
  for (size_t i = 1; i < shape.size();) {
    const size_t next = shape.find_first_of(",)", i);
    const std::string number = shape.substr(i, next - i);
    if (number.find_first_not_of(' ') != std::string::npos) h.shape.push_back(std::stoll(number));
    i = next + 1;
  }
  return h;
}

class ReadNpy {
 public:
  explicit ReadNpy(const DictView& config) : path_key_(config.get_string("path_key")), key_(config.get_string("key")) {}

  void forward(Dict& sample, const sdk::Call&) {
    const std::string path = sample.get_string(path_key_);
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(FM_ERR_IO, "file not found: '" + path + "'");
    char magic[8];
    if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) fail(FM_ERR_IO, "'" + path + "' is not a .npy file (no \\x93NUMPY magic)");
    const int version = magic[6];
    uint32_t header_len = 0;
    unsigned char len[4] = {0, 0, 0, 0};
    if (!in.read(reinterpret_cast<char*>(len), version == 1 ? 2 : 4)) fail(FM_ERR_IO, "'" + path + "' is truncated in its header");
    header_len = len[0] | (len[1] << 8) | (static_cast<uint32_t>(len[2]) << 16) | (static_cast<uint32_t>(len[3]) << 24);
    std::string dict(header_len, '\0');
    if (!in.read(dict.data(), header_len)) fail(FM_ERR_IO, "'" + path + "' is truncated in its header");
    const NpyHeader h = parse_header(dict, path);
    int64_t count = 1;
    for (int64_t d : h.shape) count *= d;
    std::vector<char> raw(static_cast<size_t>(count) * static_cast<size_t>(h.size));
    in.read(raw.data(), static_cast<std::streamsize>(raw.size()));
    if (static_cast<size_t>(in.gcount()) != raw.size())
      fail(FM_ERR_IO, "'" + path + "' is truncated: " + std::to_string(in.gcount()) + " of " + std::to_string(raw.size()) + " bytes of data");
    if (h.swap)
      for (size_t i = 0; i < raw.size(); i += static_cast<size_t>(h.size)) std::reverse(&raw[i], &raw[i] + h.size);
    sdk::Tensor t = sdk::Tensor::empty(h.shape, h.dtype);
    char* out = static_cast<char*>(t.mut().raw());
    // Element i of the C-ordered result comes from element src(i) of the file.
    const size_t nd = h.shape.size();
    std::vector<int64_t> index(nd, 0);
    for (int64_t i = 0; i < count; ++i) {
      int64_t src = i;
      if (h.fortran) {
        src = 0;
        for (size_t d = nd; d-- > 0;) src = src * h.shape[d] + index[d];
        for (size_t d = nd; d-- > 0;) {
          if (++index[d] < h.shape[d]) break;
          index[d] = 0;
        }
      }
      const char* from = &raw[static_cast<size_t>(src) * static_cast<size_t>(h.size)];
      if (h.widen_unsigned && h.size == 2) {
        uint16_t v;
        std::memcpy(&v, from, 2);
        reinterpret_cast<int32_t*>(out)[i] = v;
      } else if (h.widen_unsigned) {
        uint32_t v;
        std::memcpy(&v, from, 4);
        reinterpret_cast<int64_t*>(out)[i] = v;
      } else {
        std::memcpy(out + static_cast<size_t>(i) * static_cast<size_t>(h.size), from, static_cast<size_t>(h.size));
      }
    }
    sample.set_tensor(key_, std::move(t));
  }

 private:
  std::string path_key_, key_;
};
FUSE_OP(ReadNpy, "fuse.io.read_npy", "1.0.0")

}  // namespace
}  // namespace fuse::io_common
