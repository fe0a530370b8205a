// An ensemble whose models' postprocesses differ (each fold's fitted Cox baseline; two configurations' own
// steps): each model's postprocess runs on its own outputs and what they write is combined. One rule for `fuse
// infer A B` and the validation cases `fuse choose-ensemble` scores, so that what is chosen is what is shipped.
// Internal.
#ifndef FUSE_TRAIN_SRC_ENSEMBLE_POSTPROCESS_H_
#define FUSE_TRAIN_SRC_ENSEMBLE_POSTPROCESS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "fuse/data/pipeline.h"
#include "fuse/ndict/ndict.h"

namespace fuse::train {

// How many first steps `a` and `b` share (the same op, config and conditions).
size_t shared_prefix(const std::vector<data::Step>& a, const std::vector<data::Step>& b);

// The index of `steps` in `distinct`, added when no list there equals it.
size_t index_of(std::vector<std::vector<data::Step>>& distinct, const std::vector<data::Step>& steps);

// `before[i]` and `after[i]`: model i's sample with its outputs before and after its own postprocess. For each
// key the first model's postprocess wrote (in its order), sets `<key>_m<i>` to each model's value and `<key>` to
// them combined: floating tensors and numbers by their mean, integer and boolean tensors by each element's vote
// (ties: the lowest value), anything else by the most frequent value. A key that another model's postprocess
// writes and the first's does not, or does not write, or makes in another shape, is an error naming both models
// (`names`, each a "<kind>": "the first bundle's ('a')").
void combine_postprocessed(NDict& out, const std::vector<NDict>& before, const std::vector<NDict>& after, const std::vector<std::string>& names,
                           const std::string& kind);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SRC_ENSEMBLE_POSTPROCESS_H_
