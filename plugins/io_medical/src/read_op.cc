// fuse.io.read_medical: a volume into a tensor [1, z, y, x] (or [z, y, x]) and its geometry under
// "<key>_meta", with a copy as read under "<key>_meta.original" (for writing predictions back).
#include "volume_io.h"

namespace fuse::io_medical {

void write_read_meta(sdk::Dict& sample, const std::string& meta, const Volume& v, const std::string& path) {
  volume::write_geometry(sample, meta, v.geometry);
  volume::write_geometry(sample, meta + ".original", v.geometry);
  sample.set_string(meta + ".path", path);
  sample.set_string(meta + ".pixel_type", v.pixel_type);
  sample.set_int(meta + ".channels", v.channels);
}

namespace {

using sdk::Dict;
using sdk::DictView;

class ReadMedical {
 public:
  explicit ReadMedical(const DictView& config)
      : path_key_(config.get_string("path_key")),
        key_(config.get_string("key")),
        channel_(config.get_bool("channel")),
        dtype_(config.find_string("dtype")) {
    options_.header_only = config.get_bool("header_only");
    options_.shear_tolerance = config.get_double("shear_tolerance");
    options_.memory_map = config.get_bool("memory_map");
    if (dtype_ && !sdk::parse_dtype(*dtype_)) sdk::fail(FM_ERR_INVALID_ARGUMENT, "unknown dtype '" + *dtype_ + "'");
  }

  void forward(Dict& sample, const sdk::Call&) {
    const std::string path = sample.get_string(path_key_);
    Volume v = read_volume(path, options_);
    write_read_meta(sample, key_ + "_meta", v, path);
    if (options_.header_only) return;
    sdk::Tensor t = std::move(v.data);
    if (dtype_) {
      const DLDataType want = *sdk::parse_dtype(*dtype_);
      if (!sdk::dtype_eq(want, t.view().dtype())) t = sdk::converted(sdk::TensorView(&t.dl(), key_), want);
    }
    if (!channel_) {
      if (v.channels != 1)
        sdk::fail(FM_ERR_SHAPE, "'" + path + "' has " + std::to_string(v.channels) + " channels; keep 'channel': true to read them");
      std::vector<int64_t> shape = t.view().shape();
      shape.erase(shape.begin());
      t = sdk::reshaped(std::move(t), std::move(shape));
    }
    sample.set_tensor(key_, std::move(t));
  }

 private:
  std::string path_key_, key_;
  bool channel_;
  std::optional<std::string> dtype_;
  ReadOptions options_;
};
FUSE_OP(ReadMedical, "fuse.io.read_medical", "1.0.0")

}  // namespace
}  // namespace fuse::io_medical
