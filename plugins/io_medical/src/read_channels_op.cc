// fuse.io.read_medical_channels: one case's volumes (its MRI sequences, nnU-Net's _0000 and _0001 files) as
// the channels of one tensor [C, z, y, x], so that every later op moves them alike and a model takes them
// together. They must lie on one grid: a resampling here would hide a registration the data needs.
#include <cstring>

#include "volume_io.h"

namespace fuse::io_medical {
namespace {

using sdk::Dict;
using sdk::DictView;

class ReadMedicalChannels {
 public:
  explicit ReadMedicalChannels(const DictView& config)
      : path_keys_(config.get_strings("path_keys")), key_(config.get_string("key")), dtype_(config.find_string("dtype")) {
    options_.shear_tolerance = config.get_double("shear_tolerance");
    options_.memory_map = config.get_bool("memory_map");
    if (path_keys_.empty()) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'path_keys' is empty: name the keys of the files to read as channels");
    if (dtype_ && !sdk::parse_dtype(*dtype_)) sdk::fail(FM_ERR_INVALID_ARGUMENT, "unknown dtype '" + *dtype_ + "'");
  }

  void forward(Dict& sample, const sdk::Call&) {
    std::vector<std::string> paths;
    std::vector<Volume> volumes;
    int64_t channels = 0;
    for (const std::string& path_key : path_keys_) {
      paths.push_back(sample.get_string(path_key));
      volumes.push_back(read_volume(paths.back(), options_));
      const std::string difference = volume::grid_difference(volumes.front().geometry, volumes.back().geometry);
      if (!difference.empty())
        sdk::fail(FM_ERR_SHAPE, "'" + paths.back() + "' (" + path_key + ") and '" + paths.front() + "' (" + path_keys_.front() +
                                    ") lie on different grids (" + difference + "); a case's channels share one grid: register them first");
      channels += volumes.back().channels;
    }
    // The files' own dtype when they agree, float32 when they do not (intensities are normalised next anyway).
    DLDataType dtype = volumes.front().data.view().dtype();
    for (const Volume& v : volumes)
      if (!sdk::dtype_eq(v.data.view().dtype(), dtype)) dtype = sdk::kFloat32;
    if (dtype_) dtype = *sdk::parse_dtype(*dtype_);
    std::vector<int64_t> shape = volumes.front().data.view().shape();
    shape[0] = channels;
    sdk::Tensor out = sdk::Tensor::empty(shape, dtype);
    char* at = static_cast<char*>(out.mut().raw());
    for (size_t i = 0; i < volumes.size(); ++i) {
      sdk::Tensor part = std::move(volumes[i].data);
      if (!sdk::dtype_eq(part.view().dtype(), dtype)) part = sdk::converted(sdk::TensorView(&part.dl(), path_keys_[i]), dtype);
      const size_t bytes = static_cast<size_t>(part.view().numel()) * ((dtype.bits * dtype.lanes + 7) / 8);
      std::memcpy(at, part.view().require_cpu_contiguous().raw(), bytes);
      at += bytes;
    }
    const std::string meta = key_ + "_meta";
    write_read_meta(sample, meta, volumes.front(), paths.front());
    sample.set_int(meta + ".channels", channels);
    sample.set_list(meta + ".paths", paths.size());
    for (size_t i = 0; i < paths.size(); ++i) sample.set_string(meta + ".paths." + std::to_string(i), paths[i]);
    sample.set_tensor(key_, std::move(out));
  }

 private:
  std::vector<std::string> path_keys_;
  std::string key_;
  std::optional<std::string> dtype_;
  ReadOptions options_;
};
FUSE_OP(ReadMedicalChannels, "fuse.io.read_medical_channels", "1.0.0")

}  // namespace
}  // namespace fuse::io_medical
