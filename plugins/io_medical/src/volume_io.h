// Reading and writing medical volumes: NIfTI through niftilib (the reference NIfTI library, which ITK ships),
// NRRD, MetaImage and DICOM through ITK. Every reader gives a tensor [channels, z, y, x] and its geometry in
// ITK's LPS convention.
#ifndef FUSE_PLUGINS_IO_MEDICAL_VOLUME_IO_H_
#define FUSE_PLUGINS_IO_MEDICAL_VOLUME_IO_H_

#include <optional>
#include <string>

#include "fuse_sdk/plugin.hpp"
#include "geometry.h"

namespace fuse::io_medical {

struct ReadOptions {
  bool header_only = false;
  // NIfTI: how far an sform's axes may be from orthonormal (largest |D^T D - I| entry) before the file is
  // refused; below it the nearest rotation is used and a warning logged.
  double shear_tolerance = 0.1;
  // An uncompressed NIfTI whose voxels need no conversion is mapped rather than read: the tensor shares the
  // page cache (copied page by page only where an op writes to it). nibabel does the same.
  bool memory_map = true;
};

struct Volume {
  sdk::Tensor data;  // empty when only the header was read
  volume::Geometry geometry;
  std::string pixel_type;  // as stored in the file ("int16", "uint16", "float32", ...)
  int64_t channels = 1;
};

// Dispatches on the path: a folder is a DICOM series; .nii, .nii.gz and .hdr go to niftilib; the rest to ITK.
Volume read_volume(const std::string& path, const ReadOptions& options);

Volume read_nifti(const std::string& path, const ReadOptions& options);
Volume read_with_itk(const std::string& path, const ReadOptions& options);
Volume read_dicom_series(const std::string& folder, const ReadOptions& options);

// The reader's '<key>_meta': the geometry, the same under 'original' (for writing back), the path, the pixel
// type as stored and the channels.
void write_read_meta(sdk::Dict& sample, const std::string& meta, const Volume& v, const std::string& path);

// Writes a [channels, z, y, x] (or [z, y, x]) tensor with its geometry; the format follows the extension
// (.nii, .nii.gz, .nrrd, .mha, .mhd). Parent folders are created.
void write_volume(const std::string& path, const sdk::TensorView& data, const volume::Geometry& geometry);

}  // namespace fuse::io_medical

#endif  // FUSE_PLUGINS_IO_MEDICAL_VOLUME_IO_H_
