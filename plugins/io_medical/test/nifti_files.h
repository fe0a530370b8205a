// Writing NIfTI-1 files byte by byte, to test the reader on headers no library would write (sheared axes,
// other byte orders, cut-short files).
#ifndef FUSE_PLUGINS_IO_MEDICAL_TEST_NIFTI_FILES_H_
#define FUSE_PLUGINS_IO_MEDICAL_TEST_NIFTI_FILES_H_

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nifti1.h>

namespace fuse::io_medical::testing {

struct RawNifti {
  int nx = 3, ny = 4, nz = 5;
  short datatype = DT_FLOAT32;
  short bitpix = 32;
  float srow[3][4] = {{2, 0, 0, 10}, {0, 3, 0, 20}, {0, 0, 4, 30}};  // RAS
  short sform_code = 1, qform_code = 0;
  float scl_slope = 0, scl_inter = 0;
  std::string data;  // the voxel bytes
};

inline nifti_1_header header_of(const RawNifti& f) {
  nifti_1_header h;
  std::memset(&h, 0, sizeof h);
  h.sizeof_hdr = 348;
  h.dim[0] = 3;
  h.dim[1] = static_cast<short>(f.nx);
  h.dim[2] = static_cast<short>(f.ny);
  h.dim[3] = static_cast<short>(f.nz);
  for (int i = 4; i < 8; ++i) h.dim[i] = 1;
  h.datatype = f.datatype;
  h.bitpix = f.bitpix;
  for (int i = 0; i < 8; ++i) h.pixdim[i] = 1;
  h.vox_offset = 352;
  h.scl_slope = f.scl_slope;
  h.scl_inter = f.scl_inter;
  h.sform_code = f.sform_code;
  h.qform_code = f.qform_code;
  std::memcpy(h.srow_x, f.srow[0], sizeof h.srow_x);
  std::memcpy(h.srow_y, f.srow[1], sizeof h.srow_y);
  std::memcpy(h.srow_z, f.srow[2], sizeof h.srow_z);
  std::memcpy(h.magic, "n+1", 4);
  return h;
}

inline void write_raw_nifti(const std::filesystem::path& path, const RawNifti& f) {
  const nifti_1_header h = header_of(f);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(&h), sizeof h);
  out.write("\0\0\0\0", 4);  // no extensions
  out.write(f.data.data(), static_cast<std::streamsize>(f.data.size()));
}

template <class T>
std::string bytes_of(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

}  // namespace fuse::io_medical::testing

#endif  // FUSE_PLUGINS_IO_MEDICAL_TEST_NIFTI_FILES_H_
