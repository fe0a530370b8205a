// The "loader" part of the data section: batch size, workers, prefetch, the sampler and collate options.
//
//   "loader": {"batch_size": 4, "workers": 2, "prefetch": 4, "shuffle": true, "drop_last": false, "repeats": 1,
//              "sampler": {"balance": "data.label", "probabilities": [0.5, 0.5], "batches_per_epoch": 100},
//              "collate": {"pad": false, "skip": ["data.image_meta"]}}
//   a weighted sampler: "sampler": {"weights": "data.weight", "samples_per_epoch": 1000}
#ifndef FUSE_LOADER_LOADER_CONFIG_H_
#define FUSE_LOADER_LOADER_CONFIG_H_

#include <memory>
#include <string>
#include <vector>

#include "fuse/data/dataset.h"
#include "fuse/json/document.h"
#include "fuse/loader/loader.h"
#include "fuse/loader/sampler.h"

namespace fuse::loader {

struct SamplerSpec {
  enum class Kind { kSequential, kBalanced, kWeighted };
  Kind kind = Kind::kSequential;
  std::string key;                  // the class key (balanced) or weight key (weighted)
  std::vector<double> probabilities;  // balanced: per class in sorted class order (empty: equal)
  size_t batches_per_epoch = 0;     // balanced (0: cover the samples once)
  size_t samples_per_epoch = 0;     // weighted (0: as many as there are samples)
};

struct LoaderConfig {
  size_t batch_size = 1;
  bool shuffle = true;
  bool drop_last = false;
  size_t repeats = 1;  // sequential sampler: picks of each sample per epoch
  SamplerSpec sampler;
  LoaderOptions options;
};

// Reads the object at `pointer` (absent: the defaults). Errors are located.
LoaderConfig read_loader_config(const json::Document& document, const std::string& pointer);

// The sampler the config asks for over `dataset`. Class labels and weights are read from each sample's source
// values, or from its static output when the source lacks the key (the cache makes that cheap).
std::unique_ptr<Sampler> make_sampler(const LoaderConfig& config, data::Dataset& dataset, uint64_t seed);

}  // namespace fuse::loader

#endif  // FUSE_LOADER_LOADER_CONFIG_H_
