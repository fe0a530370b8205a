// NRRD, MetaImage and DICOM reading and every format's writing, through ITK's ImageIO layer (ITK's filters are
// not needed: the pixels go straight between the file and the tensor).
#include <algorithm>
#include <cstring>
#include <filesystem>

#include <itkGDCMImageIO.h>
#include <itkGDCMImageIOFactory.h>
#include <itkGDCMSeriesFileNames.h>
#include <itkImage.h>
#include <itkImageIOFactory.h>
#include <itkImageSeriesReader.h>
#include <itkMetaImageIOFactory.h>
#include <itkNiftiImageIOFactory.h>
#include <itkNrrdImageIOFactory.h>

#include "volume_io.h"

namespace fuse::io_medical {

namespace {

namespace fs = std::filesystem;
using sdk::fail;
using Component = itk::IOComponentEnum;

// ITK keeps registered factories in a process-wide list in libITKCommon. When this plugin is unloaded, the
// libraries that define them may go while libITKCommon stays (another user of ITK holds it), so the plugin
// takes its factories out again when it goes.
class Formats {
 public:
  Formats() {
    itk::Object::GlobalWarningDisplayOff();  // ITK prints warnings itself; our errors say what went wrong
    // Explicit registration: the plugin does not depend on ITK's generated factory-registration headers.
    factories_ = {itk::NiftiImageIOFactory::New(), itk::NrrdImageIOFactory::New(), itk::MetaImageIOFactory::New(),
                  itk::GDCMImageIOFactory::New()};
    for (auto& f : factories_) itk::ObjectFactoryBase::RegisterFactory(f);
  }
  ~Formats() {
    for (auto& f : factories_) itk::ObjectFactoryBase::UnRegisterFactory(f);
  }

 private:
  std::vector<itk::ObjectFactoryBase::Pointer> factories_;
};

void register_formats() { static Formats formats; }

std::string component_name(Component c) {
  switch (c) {
    case Component::UCHAR: return "uint8";
    case Component::CHAR: return "int8";
    case Component::USHORT: return "uint16";
    case Component::SHORT: return "int16";
    case Component::UINT: return "uint32";
    case Component::INT: return "int32";
    case Component::ULONG: case Component::ULONGLONG: return "uint64";
    case Component::LONG: case Component::LONGLONG: return "int64";
    case Component::FLOAT: return "float32";
    case Component::DOUBLE: return "float64";
    default: return "unknown";
  }
}

std::optional<DLDataType> tensor_type(Component c) {
  switch (c) {
    case Component::UCHAR: return sdk::kUInt8;
    case Component::CHAR: return sdk::kInt8;
    case Component::SHORT: return sdk::kInt16;
    case Component::USHORT: case Component::INT: return sdk::kInt32;
    case Component::UINT: case Component::LONG: case Component::LONGLONG: case Component::ULONG: case Component::ULONGLONG:
      return sdk::kInt64;
    case Component::FLOAT: return sdk::kFloat32;
    case Component::DOUBLE: return sdk::kFloat64;
    default: return std::nullopt;
  }
}

template <class F>
void with_component_type(Component c, F&& f) {
  switch (c) {
    case Component::UCHAR: return f(uint8_t{});
    case Component::CHAR: return f(int8_t{});
    case Component::USHORT: return f(uint16_t{});
    case Component::SHORT: return f(int16_t{});
    case Component::UINT: return f(uint32_t{});
    case Component::INT: return f(int32_t{});
    case Component::ULONG: case Component::ULONGLONG: return f(uint64_t{});
    case Component::LONG: case Component::LONGLONG: return f(int64_t{});
    case Component::FLOAT: return f(float{});
    case Component::DOUBLE: return f(double{});
    default: fail(FM_ERR_UNSUPPORTED, "unsupported pixel type");
  }
}

volume::Geometry geometry_of(itk::ImageIOBase& io) {
  volume::Geometry g;
  const unsigned dims = io.GetNumberOfDimensions();
  g.dims = dims == 2 ? 2 : 3;
  for (unsigned i = 0; i < std::min(dims, 3u); ++i) {
    g.size[static_cast<int>(i)] = static_cast<int64_t>(io.GetDimensions(i));
    g.spacing[i] = io.GetSpacing(i);
    g.origin[i] = io.GetOrigin(i);
    const std::vector<double> column = io.GetDirection(i);
    for (unsigned r = 0; r < std::min<size_t>(column.size(), 3); ++r) g.direction[r * 3 + i] = column[r];
  }
  return g;
}

// Moves the file's pixels (interleaved components, maybe unsigned) into a [channels, (z,) y, x] tensor.
sdk::Tensor to_tensor(const char* raw, Component type, int64_t channels, const volume::Geometry& g) {
  const std::optional<DLDataType> dtype = tensor_type(type);
  if (!dtype) fail(FM_ERR_UNSUPPORTED, "voxels of " + component_name(type) + " are not supported");
  std::vector<int64_t> shape = {channels};
  if (g.dims == 3) shape.push_back(g.size.z);
  shape.push_back(g.size.y);
  shape.push_back(g.size.x);
  sdk::Tensor out = sdk::Tensor::empty(shape, *dtype);
  const int64_t voxels = g.size.count();
  with_component_type(type, [&](auto in_tag) {
    using In = decltype(in_tag);
    const In* in = reinterpret_cast<const In*>(raw);
    sdk::dispatch_dtype(*dtype, [&](auto out_tag) {
      using Out = decltype(out_tag);
      Out* o = out.data<Out>();
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t i = 0; i < voxels; ++i) o[c * voxels + i] = static_cast<Out>(in[i * channels + c]);
    });
  });
  return out;
}

Component component_of(DLDataType t) {
  if (sdk::dtype_eq(t, sdk::kUInt8)) return Component::UCHAR;
  if (sdk::dtype_eq(t, sdk::kInt8)) return Component::CHAR;
  if (sdk::dtype_eq(t, sdk::kInt16)) return Component::SHORT;
  if (sdk::dtype_eq(t, sdk::kInt32)) return Component::INT;
  if (sdk::dtype_eq(t, sdk::kInt64)) return Component::LONGLONG;
  if (sdk::dtype_eq(t, sdk::kFloat32)) return Component::FLOAT;
  if (sdk::dtype_eq(t, sdk::kFloat64)) return Component::DOUBLE;
  fail(FM_ERR_TYPE, "cannot write voxels of " + sdk::dtype_name(t));
}

}  // namespace

Volume read_with_itk(const std::string& path, const ReadOptions& options) {
  register_formats();
  try {
    itk::ImageIOBase::Pointer io = itk::ImageIOFactory::CreateImageIO(path.c_str(), itk::IOFileModeEnum::ReadMode);
    if (!io) fail(FM_ERR_IO, "'" + path + "' is not an image this reader knows (NIfTI, NRRD, MetaImage, DICOM)");
    io->SetFileName(path);
    io->ReadImageInformation();
    const unsigned dims = io->GetNumberOfDimensions();
    if (dims < 2 || dims > 3) fail(FM_ERR_UNSUPPORTED, "'" + path + "' has " + std::to_string(dims) + " dimensions; 2 or 3 are supported");
    Volume v;
    v.geometry = geometry_of(*io);
    v.channels = io->GetNumberOfComponents();
    v.pixel_type = component_name(io->GetComponentType());
    if (options.header_only) return v;
    itk::ImageIORegion region(dims);
    for (unsigned i = 0; i < dims; ++i) {
      region.SetIndex(i, 0);
      region.SetSize(i, io->GetDimensions(i));
    }
    io->SetIORegion(region);
    std::vector<char> raw(io->GetImageSizeInBytes());
    io->Read(raw.data());
    v.data = to_tensor(raw.data(), io->GetComponentType(), v.channels, v.geometry);
    return v;
  } catch (const itk::ExceptionObject& e) {
    fail(FM_ERR_IO, "cannot read '" + path + "': " + e.GetDescription());
  }
}

Volume read_dicom_series(const std::string& folder, const ReadOptions& options) {
  register_formats();
  try {
    auto names = itk::GDCMSeriesFileNames::New();
    names->SetUseSeriesDetails(true);
    names->SetDirectory(folder);
    const std::vector<std::string>& series = names->GetSeriesUIDs();
    if (series.empty()) fail(FM_ERR_IO, "'" + folder + "' holds no DICOM series");
    if (series.size() > 1) {
      std::string list;
      for (const std::string& s : series) list += (list.empty() ? "" : ", ") + s;
      fail(FM_ERR_INVALID_ARGUMENT, "'" + folder + "' holds " + std::to_string(series.size()) + " DICOM series (" + list +
                                        "); put each series in its own folder");
    }
    const std::vector<std::string> files = names->GetFileNames(series[0]);
    auto dicom = itk::GDCMImageIO::New();
    using Image = itk::Image<float, 3>;
    auto reader = itk::ImageSeriesReader<Image>::New();
    reader->SetImageIO(dicom);
    reader->SetFileNames(files);
    reader->UpdateOutputInformation();
    Volume v;
    const Image* image = reader->GetOutput();
    v.geometry.dims = 3;
    for (unsigned i = 0; i < 3; ++i) {
      v.geometry.size[static_cast<int>(i)] = static_cast<int64_t>(image->GetLargestPossibleRegion().GetSize()[i]);
      v.geometry.spacing[i] = image->GetSpacing()[i];
      v.geometry.origin[i] = image->GetOrigin()[i];
      for (unsigned r = 0; r < 3; ++r) v.geometry.direction[r * 3 + i] = image->GetDirection()[r][i];
    }
    v.pixel_type = component_name(dicom->GetInternalComponentType());
    if (options.header_only) return v;
    reader->Update();
    // Rescaled values (slope and intercept applied) are float; whole numbers of a narrow type stay integers.
    const Component internal = dicom->GetInternalComponentType();
    const bool integral = dicom->GetRescaleSlope() == 1.0 && dicom->GetRescaleIntercept() == std::floor(dicom->GetRescaleIntercept()) &&
                          (internal == Component::SHORT || internal == Component::USHORT || internal == Component::UCHAR ||
                           internal == Component::CHAR);
    const int64_t n = v.geometry.size.count();
    const float* pixels = reader->GetOutput()->GetBufferPointer();
    const std::vector<int64_t> shape = {1, v.geometry.size.z, v.geometry.size.y, v.geometry.size.x};
    if (integral) {
      sdk::Tensor t = sdk::Tensor::empty(shape, sdk::kInt32);
      std::transform(pixels, pixels + n, t.data<int32_t>(), [](float x) { return static_cast<int32_t>(std::lround(x)); });
      v.data = std::move(t);
    } else {
      sdk::Tensor t = sdk::Tensor::empty(shape, sdk::kFloat32);
      std::copy(pixels, pixels + n, t.data<float>());
      v.data = std::move(t);
    }
    return v;
  } catch (const itk::ExceptionObject& e) {
    fail(FM_ERR_IO, "cannot read the DICOM series in '" + folder + "': " + e.GetDescription());
  }
}

void write_volume(const std::string& path, const sdk::TensorView& data, const volume::Geometry& g) {
  register_formats();
  data.require_cpu_contiguous();
  const volume::Layout l = volume::layout_of(data, g.dims);
  if (l.size != g.size)
    fail(FM_ERR_SHAPE, "cannot write '" + path + "': the tensor's spatial size (" + std::to_string(l.size.x) + ", " +
                           std::to_string(l.size.y) + ", " + std::to_string(l.size.z) + ") differs from its geometry's (" +
                           std::to_string(g.size.x) + ", " + std::to_string(g.size.y) + ", " + std::to_string(g.size.z) + ")");
  std::error_code ec;
  if (fs::path(path).has_parent_path()) fs::create_directories(fs::path(path).parent_path(), ec);
  try {
    itk::ImageIOBase::Pointer io = itk::ImageIOFactory::CreateImageIO(path.c_str(), itk::IOFileModeEnum::WriteMode);
    if (!io) fail(FM_ERR_INVALID_ARGUMENT, "cannot write '" + path + "': unknown format (use .nii.gz, .nii, .nrrd, .mha or .mhd)");
    const unsigned dims = static_cast<unsigned>(g.dims);
    io->SetNumberOfDimensions(dims);
    for (unsigned i = 0; i < dims; ++i) {
      io->SetDimensions(i, static_cast<itk::SizeValueType>(g.size[static_cast<int>(i)]));
      io->SetSpacing(i, g.spacing[i]);
      io->SetOrigin(i, g.origin[i]);
      std::vector<double> column(dims);
      for (unsigned r = 0; r < dims; ++r) column[r] = g.direction[r * 3 + i];
      io->SetDirection(i, column);
    }
    io->SetComponentType(component_of(data.dtype()));
    io->SetNumberOfComponents(static_cast<unsigned>(l.channels));
    io->SetPixelType(l.channels == 1 ? itk::IOPixelEnum::SCALAR : itk::IOPixelEnum::VECTOR);
    io->SetFileName(path);
    io->SetUseCompression(path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0);
    itk::ImageIORegion region(dims);
    for (unsigned i = 0; i < dims; ++i) {
      region.SetIndex(i, 0);
      region.SetSize(i, static_cast<itk::SizeValueType>(g.size[static_cast<int>(i)]));
    }
    io->SetIORegion(region);
    if (l.channels == 1) {
      io->Write(data.raw());
      return;
    }
    // Channels interleave per voxel in the file.
    const size_t item = static_cast<size_t>(sdk::dtype_size(data.dtype()));
    const int64_t voxels = g.size.count();
    std::vector<char> interleaved(static_cast<size_t>(voxels * l.channels) * item);
    const char* in = static_cast<const char*>(data.raw());
    for (int64_t c = 0; c < l.channels; ++c)
      for (int64_t i = 0; i < voxels; ++i)
        std::memcpy(&interleaved[static_cast<size_t>(i * l.channels + c) * item], in + static_cast<size_t>(c * voxels + i) * item, item);
    io->Write(interleaved.data());
  } catch (const itk::ExceptionObject& e) {
    fail(FM_ERR_IO, "cannot write '" + path + "': " + e.GetDescription());
  }
}

Volume read_volume(const std::string& path, const ReadOptions& options) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) fail(FM_ERR_IO, "file not found: '" + path + "'");
  if (fs::is_directory(status)) return read_dicom_series(path, options);
  auto ends_with = [&](const char* ext) {
    const size_t n = std::strlen(ext);
    return path.size() >= n && std::equal(path.end() - static_cast<std::ptrdiff_t>(n), path.end(), ext,
                                          [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  };
  if (ends_with(".nii") || ends_with(".nii.gz") || ends_with(".hdr")) return read_nifti(path, options);
  return read_with_itk(path, options);
}

}  // namespace fuse::io_medical
