// A 2D segmentation toy for the trainer's tests: 16 images of pixels > 0.5 as foreground, 4 folds.
#ifndef FUSE_TESTS_SUPPORT_SEGMENTATION_TOY_H_
#define FUSE_TESTS_SUPPORT_SEGMENTATION_TOY_H_

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "test_support.h"

namespace fuse::train::testing {

// A 2D segmentation toy for validation on whole images: pixel > 0.5 is foreground. Training images are 8 x 8
// (stacked in batches); validation images have other sizes each, one smaller than a 4 x 4 window along x.
inline const char* const kMeanDice = R"({"dice": {"metric": "fuse.metrics.segmentation", "pred": "model.seg", "target": "data.y", "num_classes": 2, "output": "mean_dice"}})";

inline std::filesystem::path write_segmentation_toy(const std::filesystem::path& dir, const std::string& model, const std::string& validation,
                                                    const std::string& metrics = kMeanDice) {
  std::ofstream table(dir / "samples.csv");
  table << "id,image,mask\n";
  const std::vector<std::pair<int64_t, int64_t>> validation_sizes{{9, 12}, {6, 3}, {10, 7}, {7, 11}};
  for (int i = 0; i < 16; ++i) {
    const bool validating = i >= 12;
    const int64_t h = validating ? validation_sizes[i - 12].first : 8, w = validating ? validation_sizes[i - 12].second : 8;
    std::vector<float> image;
    std::vector<int64_t> mask;
    for (int64_t p = 0; p < h * w; ++p) {
      image.push_back(static_cast<float>(0.5 + 0.5 * std::sin(0.37 * static_cast<double>(p) + 1.9 * i)));
      mask.push_back(image.back() > 0.5f ? 1 : 0);
    }
    const std::string shape = std::to_string(h) + ", " + std::to_string(w);
    fuse::testing::write_npy(dir / ("i" + std::to_string(i) + ".npy"), "{'descr': '<f4', 'fortran_order': False, 'shape': (1, " + shape + "), }",
                       fuse::testing::bytes(image));
    fuse::testing::write_npy(dir / ("m" + std::to_string(i) + ".npy"), "{'descr': '<i8', 'fortran_order': False, 'shape': (" + shape + "), }",
                       fuse::testing::bytes(mask));
    table << "s" << i << ",i" << i << ".npy,m" << i << ".npy\n";
  }
  // Fold = id / 4: s12..s15 validate.
  std::ofstream folds(dir / "folds.json");
  folds << R"({"k": 4, "seed": 0, "folds": {)";
  for (int i = 0; i < 16; ++i) folds << (i ? ", " : "") << "\"s" << i << "\": " << i / 4;
  folds << "}}";
  folds.close();
  std::ofstream(dir / "experiment.json") << R"({
  "name": "seg_toy", "seed": 2,
  "data": {
    "source": {"table": "samples.csv", "paths": ["image", "mask"]},
    "static": [{"op": "fuse.io.read_npy", "path_key": "data.image", "key": "data.x"},
               {"op": "fuse.io.read_npy", "path_key": "data.mask", "key": "data.y"}],
    "folds": {"k": 4, "file": "folds.json", "train": [0, 1, 2], "validation": [3]},
    "loader": {"batch_size": 4, "workers": 1}
  },
  "validation": )" + validation + R"(,
  "model": )" + model + R"(,
  "postprocess": [{"op": "fuse.ops.argmax", "key": "model.probs", "out": "model.seg", "axis": 1}],
  "losses": {"ce": {"loss": "fuse.losses.cross_entropy", "pred": "model.logits", "target": "data.y"}},
  "metrics": )" + metrics + R"(,
  "optimizer": {"name": "adam", "lr": 0.05},
  "trainer": {"epochs": 3, "threads": 1, "progress": false}
})";
  return dir / "experiment.json";
}

}  // namespace fuse::train::testing

#endif  // FUSE_TESTS_SUPPORT_SEGMENTATION_TOY_H_
