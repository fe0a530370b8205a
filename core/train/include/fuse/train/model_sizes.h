// Model sizes taken from the data (Keras's layers built on their first call, PyTorch's lazy modules): a model's
// manifest names the int config fields that are the size of one dimension of an input ("sizes": an MLP's
// in_features, a network's in_channels). Where the experiment leaves one out, the host makes one training
// batch of one sample, as training would (static, dynamic and batch steps), runs the components before this
// one when the input is another component's output, and writes the size into the component's config and the
// run's config.json: checkpoints and bundles then hold ordinary numbers.
#ifndef FUSE_TRAIN_MODEL_SIZES_H_
#define FUSE_TRAIN_MODEL_SIZES_H_

#include <string>
#include <vector>

#include "fuse/plugin/registry.h"
#include "fuse/train/experiment.h"

namespace fuse::train {

// Sets every size the experiment's model components leave out; returns one line per size for the log. Errors
// name the component and the field, and say what the batch holds.
std::vector<std::string> size_model(const Registry& registry, Experiment& e);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_MODEL_SIZES_H_
