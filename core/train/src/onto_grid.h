// Model outputs laid onto another model's grid, for an ensemble of models whose steps resample the input to
// other spacings (nnU-Net's 3d_lowres beside its 3d_fullres): each output is resampled by
// fuse.medical.resample_like from the geometry of the input its model read ("<input>_meta", as
// fuse.io.read_medical writes it) onto the other model's, as nnU-Net brings every configuration's probabilities
// to one grid before averaging them. Internal.
#ifndef FUSE_TRAIN_SRC_ONTO_GRID_H_
#define FUSE_TRAIN_SRC_ONTO_GRID_H_

#include <string>
#include <vector>

#include <torch/torch.h>

#include "fuse/ndict/ndict.h"
#include "fuse/plugin/registry.h"

namespace fuse::train {

class OntoGrid {
 public:
  // `inputs`: the model's input keys; the first with a geometry in both samples gives the grids.
  OntoGrid(const Registry& registry, std::vector<std::string> inputs);

  // The model output `key` ([1, channels..., spatial], a batch of one on the grid of `from`'s input) on the
  // grid of `onto`'s: floating outputs by linear interpolation, integer ones by the nearest voxel. An error says
  // why it cannot (no geometry, an output not on its input's grid).
  torch::Tensor operator()(const std::string& key, const torch::Tensor& output, const NDict& from, const NDict& onto) const;

 private:
  // The input key whose geometry `from` and `onto` both carry, or "" (an input without geometry: a photograph,
  // a table's columns).
  std::string geometry_key(const NDict& from, const NDict& onto) const;

  const Registry& registry_;
  std::vector<std::string> inputs_;
};

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SRC_ONTO_GRID_H_
