// NIfTI-1 through niftilib: the header and geometry from the library, the voxels read straight into the
// tensor (niftilib's own reader would copy them and silently replace NaN with 0).
#include <cmath>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>
#include <filesystem>
#include <mutex>

#include <nifti1_io.h>

#include "volume_io.h"

namespace fuse::io_medical {

namespace {

using sdk::fail;

std::string describe_type(int datatype) {
  switch (datatype) {
    case DT_UINT8: return "uint8";
    case DT_INT8: return "int8";
    case DT_INT16: return "int16";
    case DT_UINT16: return "uint16";
    case DT_INT32: return "int32";
    case DT_UINT32: return "uint32";
    case DT_INT64: return "int64";
    case DT_UINT64: return "uint64";
    case DT_FLOAT32: return "float32";
    case DT_FLOAT64: return "float64";
    case DT_RGB24: return "rgb24";
    default: return "datatype " + std::to_string(datatype);
  }
}

// The tensor dtype a file type is read into: unsigned 16/32-bit types widen to the next signed type.
std::optional<DLDataType> tensor_type(int datatype) {
  switch (datatype) {
    case DT_UINT8: case DT_RGB24: return sdk::kUInt8;
    case DT_INT8: return sdk::kInt8;
    case DT_INT16: return sdk::kInt16;
    case DT_UINT16: case DT_INT32: return sdk::kInt32;
    case DT_UINT32: case DT_INT64: case DT_UINT64: return sdk::kInt64;
    case DT_FLOAT32: return sdk::kFloat32;
    case DT_FLOAT64: return sdk::kFloat64;
    default: return std::nullopt;
  }
}

struct FileCloser {
  znzFile f;
  ~FileCloser() {
    if (!znz_isnull(f)) znzclose(f);
  }
};

struct ImageFree {
  void operator()(nifti_image* n) const { nifti_image_free(n); }
};

bool is_gz(const std::string& path) { return path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0; }

// Reads the first 348 bytes ourselves, to say precisely what is wrong before niftilib does (it only prints).
void check_header(const std::string& path) {
  znzFile f = znzopen(path.c_str(), "rb", is_gz(path));
  FileCloser closer{f};
  if (znz_isnull(f)) fail(FM_ERR_IO, "cannot open '" + path + "': " + std::strerror(errno));
  char header[348];
  const size_t got = znzread(header, 1, sizeof header, f);
  if (got < sizeof header)
    fail(FM_ERR_IO, "'" + path + "' is truncated: " + std::to_string(got) + " bytes where a NIfTI header needs 348");
  int32_t size = 0;
  std::memcpy(&size, header, 4);
  const int32_t swapped = static_cast<int32_t>(__builtin_bswap32(static_cast<uint32_t>(size)));
  if (size == 540 || swapped == 540) fail(FM_ERR_UNSUPPORTED, "'" + path + "' is NIfTI-2, which this reader does not support yet");
  if (size != 348 && swapped != 348)
    fail(FM_ERR_IO, "'" + path + "' is not a NIfTI file (the header size field is " + std::to_string(size) + ", expected 348)");
}

// A number stored as float32 as the decimal it was written as (0.8, not 0.800000011920929): NIfTI headers
// hold floats, and spacings are compared and printed.
double as_written(double v) {
  char text[32];
  const auto r = std::to_chars(text, text + sizeof text, static_cast<float>(v));
  double out = v;
  std::from_chars(text, r.ptr, out);
  return out;
}

// Polar decomposition by Newton's iteration R <- (R + R^-T) / 2: the rotation nearest to `m`.
void nearest_rotation(double m[3][3]) {
  for (int iteration = 0; iteration < 30; ++iteration) {
    const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                       m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    if (det == 0) return;
    double inv_t[3][3];  // (m^-1)^T = cofactor(m) / det
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) {
        const int r1 = (r + 1) % 3, r2 = (r + 2) % 3, c1 = (c + 1) % 3, c2 = (c + 2) % 3;
        inv_t[r][c] = (m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]) / det;
      }
    double change = 0;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) {
        const double next = 0.5 * (m[r][c] + inv_t[r][c]);
        change = std::max(change, std::fabs(next - m[r][c]));
        m[r][c] = next;
      }
    if (change < 1e-12) return;
  }
}

// Geometry from the header, as nibabel chooses: the sform when set, else the qform, else the voxel sizes.
volume::Geometry geometry_of(const nifti_image& n, const std::string& path, const ReadOptions& options) {
  volume::Geometry g;
  g.dims = 3;
  g.size = volume::Size3{n.nx, std::max(1, n.ny), std::max(1, n.nz)};
  double m[3][3], origin[3];
  if (n.sform_code > 0 || n.qform_code > 0) {
    const mat44& a = n.sform_code > 0 ? n.sto_xyz : n.qto_xyz;
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) m[r][c] = a.m[r][c];
      origin[r] = a.m[r][3];
    }
  } else {
    const double d[3] = {n.dx > 0 ? n.dx : 1.0, n.dy > 0 ? n.dy : 1.0, n.dz > 0 ? n.dz : 1.0};
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) m[r][c] = r == c ? d[r] : 0.0;
      origin[r] = 0;
    }
  }
  // Column norms are the spacing; the normalised columns the direction (RAS here).
  double d[3][3];
  for (int c = 0; c < 3; ++c) {
    const double norm = std::sqrt(m[0][c] * m[0][c] + m[1][c] * m[1][c] + m[2][c] * m[2][c]);
    if (!(norm > 0)) fail(FM_ERR_IO, "'" + path + "': the voxel-to-world matrix has an empty axis " + std::to_string(c));
    g.spacing[static_cast<size_t>(c)] = as_written(norm);
    for (int r = 0; r < 3; ++r) d[r][c] = m[r][c] / norm;
  }
  double deviation = 0;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) {
      const double dot = d[0][a] * d[0][b] + d[1][a] * d[1][b] + d[2][a] * d[2][b];
      deviation = std::max(deviation, std::fabs(dot - (a == b ? 1.0 : 0.0)));
    }
  if (deviation > 1e-4) {
    if (deviation > options.shear_tolerance)
      fail(FM_ERR_IO, "'" + path + "': the voxel axes are sheared (largest |D^T D - I| entry " + std::to_string(deviation) +
                          ", tolerance " + std::to_string(options.shear_tolerance) +
                          "); resample the image, or raise 'shear_tolerance' to read it with the nearest rotation");
    nearest_rotation(d);
    sdk::log(FM_LOG_WARNING, ("'" + path + "': direction cosines are not orthonormal (largest |D^T D - I| entry " +
                              std::to_string(deviation) + "); using the nearest rotation")
                                 .c_str());
  }
  // RAS (NIfTI) to LPS (ITK): negate the world x and y rows.
  for (int r = 0; r < 3; ++r) {
    const double sign = r < 2 ? -1.0 : 1.0;
    g.origin[static_cast<size_t>(r)] = sign * as_written(origin[r]);
    for (int c = 0; c < 3; ++c) g.direction[static_cast<size_t>(r * 3 + c)] = sign * d[r][c];
  }
  return g;
}

// A tensor over the voxels of a file mapped copy-on-write; null when the file cannot be mapped (then it is
// read). The mapping is released with the tensor.
sdk::Tensor mapped_tensor(const std::string& path, size_t offset, size_t bytes, const std::vector<int64_t>& shape, DLDataType dtype) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sdk::Tensor();
  struct stat st {};
  if (fstat(fd, &st) != 0 || static_cast<size_t>(st.st_size) < offset + bytes) {
    ::close(fd);
    return sdk::Tensor();  // cut short: the read path says so
  }
  const size_t length = offset + bytes;
  void* map = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return sdk::Tensor();
  struct Mapped {
    DLManagedTensor managed;
    std::vector<int64_t> shape;
    void* map;
    size_t length;
  };
  auto* m = new Mapped{DLManagedTensor{}, shape, map, length};
  m->managed.dl_tensor.data = static_cast<char*>(map) + offset;
  m->managed.dl_tensor.device = sdk::cpu_device();
  m->managed.dl_tensor.ndim = static_cast<int32_t>(m->shape.size());
  m->managed.dl_tensor.dtype = dtype;
  m->managed.dl_tensor.shape = m->shape.data();
  m->managed.manager_ctx = m;
  m->managed.deleter = [](DLManagedTensor* t) {
    auto* self = static_cast<Mapped*>(t->manager_ctx);
    munmap(self->map, self->length);
    delete self;
  };
  return sdk::Tensor(&m->managed);
}

void swap_bytes(char* data, size_t count, int size) {
  for (size_t i = 0; i < count; ++i) std::reverse(data + i * static_cast<size_t>(size), data + (i + 1) * static_cast<size_t>(size));
}

}  // namespace

Volume read_nifti(const std::string& path, const ReadOptions& options) {
  static std::once_flag quiet;
  std::call_once(quiet, [] { nifti_set_debug_level(0); });  // its messages go to stderr; ours name the file
  check_header(path);
  std::unique_ptr<nifti_image, ImageFree> n(nifti_image_read(path.c_str(), 0));
  if (!n) fail(FM_ERR_IO, "'" + path + "' has an invalid NIfTI header (dimensions or datatype out of range)");
  Volume v;
  v.pixel_type = describe_type(n->datatype);
  const std::optional<DLDataType> dtype = tensor_type(n->datatype);
  if (!dtype) fail(FM_ERR_UNSUPPORTED, "'" + path + "': voxels of " + v.pixel_type + " are not supported");
  v.geometry = geometry_of(*n, path, options);
  // Dimensions past z (time, components) become channels: NIfTI stores them slowest, so the data is already
  // laid out [channels, z, y, x].
  v.channels = 1;
  for (int d = 4; d <= std::min(7, n->dim[0]); ++d) v.channels *= std::max(1, n->dim[d]);
  if (n->datatype == DT_RGB24) v.channels *= 3;
  if (options.header_only) return v;

  const volume::Size3 s = v.geometry.size;
  const bool scaled = n->scl_slope != 0 && std::isfinite(n->scl_slope) && (n->scl_slope != 1 || n->scl_inter != 0);
  const size_t bytes = n->nvox * static_cast<size_t>(n->nbyper);
  const bool widen = n->datatype == DT_UINT16 || n->datatype == DT_UINT32 || n->datatype == DT_UINT64;
  const bool rgb = n->datatype == DT_RGB24;
  const std::vector<int64_t> shape = {v.channels, s.z, s.y, s.x};
  const bool direct = !widen && !scaled && !rgb;  // the file's bytes are the tensor's
  const bool native = n->swapsize <= 1 || n->byteorder == nifti_short_order();
  if (direct && native && options.memory_map && !is_gz(n->iname) && n->iname_offset % n->nbyper == 0)
    if (sdk::Tensor t = mapped_tensor(n->iname, static_cast<size_t>(n->iname_offset), bytes, shape, *dtype); t.defined()) {
      v.data = std::move(t);
      return v;
    }
  sdk::Tensor direct_out;
  std::vector<char> staging;
  char* target = nullptr;
  if (direct) {
    direct_out = sdk::Tensor::empty(shape, *dtype);
    target = static_cast<char*>(direct_out.mut().raw());
  } else {
    staging.resize(bytes);
    target = staging.data();
  }
  {
    znzFile f = znzopen(n->iname, "rb", is_gz(n->iname));
    FileCloser closer{f};
    if (znz_isnull(f)) fail(FM_ERR_IO, "cannot open '" + std::string(n->iname) + "': " + std::strerror(errno));
    if (znzseek(f, n->iname_offset, SEEK_SET) < 0) fail(FM_ERR_IO, "'" + path + "' is truncated before its voxel data");
    const size_t got = znzread(target, 1, bytes, f);
    if (got < bytes)
      fail(FM_ERR_IO, "'" + path + "' is truncated: " + std::to_string(got) + " of " + std::to_string(bytes) + " bytes of voxel data");
  }
  if (n->swapsize > 1 && n->byteorder != nifti_short_order()) swap_bytes(target, n->nvox, n->swapsize);
  if (direct) {
    v.data = std::move(direct_out);
    return v;
  }
  // Unsigned types widen, RGB triples become channels, scaled voxels become float32.
  sdk::Tensor out = sdk::Tensor::empty(shape, scaled ? sdk::kFloat32 : *dtype);
  const int64_t count = v.channels * s.count();
  auto convert = [&](auto tag, auto* o) {
    using In = decltype(tag);
    const In* in = reinterpret_cast<const In*>(staging.data());
    using Out = std::remove_pointer_t<decltype(o)>;
    if (rgb) {
      const int64_t voxels = s.count(), planes = v.channels / 3;
      for (int64_t p = 0; p < planes; ++p)
        for (int64_t i = 0; i < voxels; ++i)
          for (int64_t c = 0; c < 3; ++c) o[(p * 3 + c) * voxels + i] = static_cast<Out>(in[(p * voxels + i) * 3 + c]);
      return;
    }
    for (int64_t i = 0; i < count; ++i)
      o[i] = scaled ? static_cast<Out>(static_cast<double>(in[i]) * n->scl_slope + n->scl_inter) : static_cast<Out>(in[i]);
  };
  auto with_input = [&](auto* o) {
    switch (n->datatype) {
      case DT_UINT8: case DT_RGB24: return convert(uint8_t{}, o);
      case DT_INT8: return convert(int8_t{}, o);
      case DT_INT16: return convert(int16_t{}, o);
      case DT_UINT16: return convert(uint16_t{}, o);
      case DT_INT32: return convert(int32_t{}, o);
      case DT_UINT32: return convert(uint32_t{}, o);
      case DT_INT64: return convert(int64_t{}, o);
      case DT_UINT64: return convert(uint64_t{}, o);
      case DT_FLOAT32: return convert(float{}, o);
      default: return convert(double{}, o);
    }
  };
  sdk::dispatch_dtype(out.view().dtype(), [&](auto tag) { with_input(out.data<decltype(tag)>()); });
  v.data = std::move(out);
  return v;
}

}  // namespace fuse::io_medical
