// A volume's grid as fuse.io.read_medical describes it under '<key>_meta' (file order x, y, z), and whether two
// volumes lie on one: a mask on its image's, a prediction on its reference's.
#ifndef FUSE_DATA_GRID_H_
#define FUSE_DATA_GRID_H_

#include <string>
#include <vector>

#include "fuse/ndict/ndict.h"

namespace fuse::data {

struct Grid {
  std::vector<double> size, spacing, origin, direction;
};

// The grid under `meta_key` ("data.image_meta"); a missing field is an error naming it.
Grid grid_of(const NDict& sample, const std::string& meta_key);

// Empty when `a` and `b` are one grid: the same size, and spacing, origin and direction equal up to what a file
// format's float storage changes (a ten-thousandth of the spacing, a hundredth of a voxel); else the first
// difference, "size [10, 10, 10] against [10, 10, 8]".
std::string grid_difference(const Grid& a, const Grid& b);

}  // namespace fuse::data

#endif  // FUSE_DATA_GRID_H_
