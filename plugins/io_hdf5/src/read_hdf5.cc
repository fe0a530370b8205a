// fuse.io.read_hdf5: datasets of an HDF5 file (FuseMedML's OpReadHDF5), whole or one item along the first axis.
// One file for every sample stays open while an op uses it; a file per sample is opened per call. HDF5 does the
// type conversions (byte order, unsigned widening, float16 -> float32); Debian's libhdf5 is built thread-safe.
#include <hdf5.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "fuse_sdk/plugin.hpp"

namespace fuse::io_hdf5 {
namespace {

using sdk::Dict;
using sdk::DictView;
using sdk::fail;

// Closes an HDF5 handle when it goes out of scope.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// HDF5 prints its error stack to stderr by default; our errors say what failed instead. The setting is per
// thread in a thread-safe build, so every entry point calls this.
void quiet() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

struct File {
  explicit File(const std::string& file) : path(file), handle(open(file), H5Fclose) {}
  static hid_t open(const std::string& path) {
    quiet();
    if (FILE* f = std::fopen(path.c_str(), "rb")) std::fclose(f);
    else fail(FM_ERR_IO, "file not found: '" + path + "'");
    if (H5Fis_hdf5(path.c_str()) <= 0) fail(FM_ERR_IO, "'" + path + "' is not an HDF5 file");
    const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (id < 0)
      fail(FM_ERR_IO, "cannot open '" + path + "' (HDF5; on a file system without locks, such as some NFS mounts, set HDF5_USE_FILE_LOCKING=FALSE)");
    return id;
  }
  // Dataset `name`, opened on first use and kept open, so its chunk cache serves the next items (a compressed
  // chunk holding many items is inflated once, not once per item); -1 when the file has no such dataset.
  hid_t dataset(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mutex);
    auto& open = datasets[name];
    if (!open) {
      const hid_t id = H5Oexists_by_name(handle.get(), name.c_str(), H5P_DEFAULT) > 0 ? H5Dopen2(handle.get(), name.c_str(), H5P_DEFAULT) : -1;
      if (id < 0) {
        datasets.erase(name);
        return -1;
      }
      open = std::make_unique<Handle>(id, H5Dclose);
    }
    return open->get();
  }

  std::string path;
  Handle handle;
  mutable std::mutex mutex;
  mutable std::map<std::string, std::unique_ptr<Handle>> datasets;  // closed before the file (declared after it)
};

// One file shared by every op instance that names it, open while one of them lives.
std::shared_ptr<const File> shared_file(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const File>> files;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto open = files[path].lock()) return open;
  auto f = std::make_shared<const File>(path);
  files[path] = f;
  return f;
}

herr_t collect_dataset(hid_t, const char* name, const H5O_info_t* info, void* out) {
  if (info->type == H5O_TYPE_DATASET) static_cast<std::vector<std::string>*>(out)->push_back(name);
  return 0;
}

// "images, labels, meta/age": what a file holds, for an error about a missing dataset.
std::string dataset_list(hid_t file) {
  std::vector<std::string> names;
  H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, collect_dataset, &names, H5O_INFO_BASIC);
  if (names.empty()) return "it holds no dataset";
  std::string out = "datasets: ";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

// How a dataset's values are read: the tensor dtype and the memory type HDF5 converts to.
struct Reading {
  enum Kind { kTensor, kString, kBool } kind = kTensor;
  DLDataType dtype{};
  hid_t memory_type = -1;  // a predefined native type (not closed); for enums and strings see `owned`
  std::unique_ptr<Handle> owned;
};

bool is_bool_enum(hid_t type) {
  if (H5Tget_nmembers(type) != 2) return false;
  char* names[2] = {H5Tget_member_name(type, 0), H5Tget_member_name(type, 1)};
  const bool yes = names[0] && names[1] && std::strcmp(names[0], "FALSE") == 0 && std::strcmp(names[1], "TRUE") == 0;
  H5free_memory(names[0]);
  H5free_memory(names[1]);
  return yes;
}

Reading reading_of(hid_t type, const std::string& where) {
  Reading r;
  const H5T_class_t c = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  const auto unsupported = [&](const std::string& what) {
    fail(FM_ERR_UNSUPPORTED, where + " holds " + what + ", which is not supported (int8-64, uint8-32, float16-64, bool, 1-byte enums, string)");
  };
  if (c == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    if (is_signed && size == 1) r.dtype = sdk::kInt8, r.memory_type = H5T_NATIVE_INT8;
    else if (is_signed && size == 2) r.dtype = sdk::kInt16, r.memory_type = H5T_NATIVE_INT16;
    else if (is_signed && size == 4) r.dtype = sdk::kInt32, r.memory_type = H5T_NATIVE_INT32;
    else if (is_signed && size == 8) r.dtype = sdk::kInt64, r.memory_type = H5T_NATIVE_INT64;
    else if (size == 1) r.dtype = sdk::kUInt8, r.memory_type = H5T_NATIVE_UINT8;
    else if (size == 2) r.dtype = sdk::kInt32, r.memory_type = H5T_NATIVE_INT32;  // uint16 widened, as .npy
    else if (size == 4) r.dtype = sdk::kInt64, r.memory_type = H5T_NATIVE_INT64;  // uint32 widened
    else unsupported("uint" + std::to_string(8 * size));
  } else if (c == H5T_FLOAT) {
    if (size <= 4) r.dtype = sdk::kFloat32, r.memory_type = H5T_NATIVE_FLOAT;  // float16 (h5py's) too
    else if (size == 8) r.dtype = sdk::kFloat64, r.memory_type = H5T_NATIVE_DOUBLE;
    else unsupported(std::to_string(8 * size) + "-bit floats");
  } else if (c == H5T_ENUM && size == 1) {  // h5py's bool is an enum of int8 {FALSE, TRUE}; others give their values
    const Handle base(H5Tget_super(type), H5Tclose);
    r.kind = is_bool_enum(type) ? Reading::kBool : Reading::kTensor;
    r.dtype = r.kind == Reading::kBool || H5Tget_sign(base.get()) != H5T_SGN_2 ? sdk::kUInt8 : sdk::kInt8;
    r.owned = std::make_unique<Handle>(H5Tcopy(type), H5Tclose);  // HDF5 converts enums only to enums
    r.memory_type = r.owned->get();
  } else if (c == H5T_STRING) {
    r.kind = Reading::kString;
    r.owned = std::make_unique<Handle>(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(r.owned->get(), H5Tis_variable_str(type) > 0 ? H5T_VARIABLE : size);
    H5Tset_cset(r.owned->get(), H5Tget_cset(type));        // h5py writes UTF-8; HDF5 does not convert between sets
    H5Tset_strpad(r.owned->get(), H5T_STR_NULLPAD);        // NULLTERM would give the last character's place to a NUL
    r.memory_type = r.owned->get();
  } else {
    const char* names[] = {"integers", "floats", "times", "strings", "bit fields", "opaque values", "compound values",
                           "references", "enums", "variable-length sequences", "arrays"};
    unsupported(c >= 0 && c <= H5T_ARRAY ? names[c] : "values of an unknown class");
  }
  return r;
}

class ReadHdf5 {
 public:
  explicit ReadHdf5(const DictView& config)
      : file_name_(config.find_string("file")),
        path_key_(config.find_string("path_key")),
        index_key_(config.find_string("index_key")),
        datasets_(config.get_strings("datasets")),
        keys_(config.get_strings("keys")) {
    if (file_name_.has_value() == path_key_.has_value())
      fail(FM_ERR_INVALID_ARGUMENT, "give either 'file' (one file for every sample) or 'path_key' (a file per sample), not " +
                                        std::string(file_name_ ? "both" : "neither"));
    if (datasets_.empty()) fail(FM_ERR_INVALID_ARGUMENT, "'datasets' is empty: name the datasets to read");
    if (datasets_.size() != keys_.size())
      fail(FM_ERR_INVALID_ARGUMENT, "'datasets' names " + std::to_string(datasets_.size()) + " datasets but 'keys' " +
                                        std::to_string(keys_.size()) + " keys: one key per dataset");
  }

  void forward(Dict& sample, const sdk::Call&) {
    quiet();
    std::shared_ptr<const File> file;
    if (file_name_) {
      if (!file_) file_ = shared_file(*file_name_);  // on first use: creating the op needs no file
      file = file_;
    } else {
      file = std::make_shared<const File>(sample.get_string(*path_key_));
    }
    const int64_t index = index_key_ ? item_number(sample) : -1;
    for (size_t i = 0; i < datasets_.size(); ++i) read(*file, datasets_[i], index, sample, keys_[i]);
  }

 private:
  int64_t item_number(const Dict& sample) const {
    if (sample.type(*index_key_) != FM_VALUE_STRING) return sample.get_int(*index_key_);
    const std::string text = sample.get_string(*index_key_);
    char* end = nullptr;
    const int64_t index = std::strtoll(text.c_str(), &end, 10);
    if (end == text.c_str() || *end != '\0') fail(FM_ERR_INVALID_ARGUMENT, "key '" + *index_key_ + "' holds '" + text + "', not an item number");
    return index;
  }

  // Dataset `name` of `file` (item `index` along its first axis, or all of it when index < 0) into `key`.
  static void read(const File& file, const std::string& name, int64_t index, Dict& sample, const std::string& key) {
    const std::string where = "'" + name + "' in '" + file.path + "'";
    const hid_t dataset = file.dataset(name);
    if (dataset < 0) fail(FM_ERR_KEY_NOT_FOUND, "'" + file.path + "' has no dataset '" + name + "' (" + dataset_list(file.handle.get()) + ")");
    const Handle type(H5Dget_type(dataset), H5Tclose);
    const Reading r = reading_of(type.get(), where);
    const Handle space(H5Dget_space(dataset), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    std::vector<int64_t> shape(dims.begin(), dims.end());
    if (index >= 0) {
      if (rank < 1) fail(FM_ERR_SHAPE, where + " is a single value: it has no items to pick (leave 'index_key' out to read it whole)");
      if (static_cast<hsize_t>(index) >= dims[0])
        fail(FM_ERR_INVALID_ARGUMENT, "item " + std::to_string(index) + " is out of range: " + where + " holds " + std::to_string(dims[0]));
      std::vector<hsize_t> start(dims.size(), 0), count = dims;
      start[0] = static_cast<hsize_t>(index);
      count[0] = 1;
      H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
      shape.erase(shape.begin());
    }
    const Handle memory(shape.empty() ? H5Screate(H5S_SCALAR)
                                      : H5Screate_simple(static_cast<int>(shape.size()), std::vector<hsize_t>(shape.begin(), shape.end()).data(), nullptr),
                        H5Sclose);
    if (r.kind == Reading::kString) return read_string(dataset, r, memory.get(), space.get(), shape, where, sample, key);
    sdk::Tensor t = sdk::Tensor::empty(shape, r.dtype);
    if (H5Dread(dataset, r.memory_type, memory.get(), space.get(), H5P_DEFAULT, t.mut().raw()) < 0)
      fail(FM_ERR_IO, "cannot read " + where + " (corrupt file, or a filter such as a compression plugin that is not installed)");
    if (!shape.empty()) return sample.set_tensor(key, std::move(t));
    // A single value becomes a plain int, double or bool, as a table's cell would.
    const void* v = t.mut().raw();
    if (r.kind == Reading::kBool) sample.set_bool(key, *static_cast<const uint8_t*>(v) != 0);
    else if (sdk::is_floating(r.dtype)) sample.set_double(key, sdk::dtype_eq(r.dtype, sdk::kFloat32) ? *static_cast<const float*>(v) : *static_cast<const double*>(v));
    else sample.set_int(key, integer_at(v, r.dtype));
  }

  static int64_t integer_at(const void* v, DLDataType dtype) {
    switch (dtype.bits) {
      case 8: return dtype.code == kDLUInt ? *static_cast<const uint8_t*>(v) : *static_cast<const int8_t*>(v);
      case 16: return *static_cast<const int16_t*>(v);
      case 32: return *static_cast<const int32_t*>(v);
      default: return *static_cast<const int64_t*>(v);
    }
  }

  static void read_string(hid_t dataset, const Reading& r, hid_t memory, hid_t space, const std::vector<int64_t>& shape,
                          const std::string& where, Dict& sample, const std::string& key) {
    if (!shape.empty()) fail(FM_ERR_SHAPE, where + " holds strings: read one per sample (an item of a 1-D dataset, or a single value)");
    if (H5Tis_variable_str(r.memory_type) > 0) {
      char* text = nullptr;
      if (H5Dread(dataset, r.memory_type, memory, space, H5P_DEFAULT, &text) < 0) fail(FM_ERR_IO, "cannot read " + where);
      sample.set_string(key, text != nullptr ? text : "");
      H5free_memory(text);
      return;
    }
    std::string text(H5Tget_size(r.memory_type), '\0');
    if (H5Dread(dataset, r.memory_type, memory, space, H5P_DEFAULT, text.data()) < 0) fail(FM_ERR_IO, "cannot read " + where);
    text.erase(std::find(text.begin(), text.end(), '\0'), text.end());  // fixed-length strings are NUL-padded
    sample.set_string(key, text);
  }

  std::optional<std::string> file_name_, path_key_, index_key_;
  std::vector<std::string> datasets_, keys_;
  std::shared_ptr<const File> file_;
};
FUSE_OP(ReadHdf5, "fuse.io.read_hdf5", "1.0.0")

}  // namespace
}  // namespace fuse::io_hdf5
