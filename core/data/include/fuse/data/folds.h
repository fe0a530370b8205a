// Splitting samples into k folds for cross-validation: stratified (each fold keeps the class shares) and
// group-aware (all samples of a group, e.g. one patient, fall in one fold). The split is a pure function of its
// inputs and seed, and is saved to a file so later runs reuse exactly the same folds.
#ifndef FUSE_DATA_FOLDS_H_
#define FUSE_DATA_FOLDS_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace fuse::data {

// `strata[i]` is sample i's class (empty: not stratified); `groups[i]` its group (empty: each sample alone).
// Groups are placed largest first into the fold whose class shares they upset least.
std::vector<int> split_folds(const std::vector<std::string>& strata, const std::vector<std::string>& groups, size_t k,
                             uint64_t seed);

// Strata for several labels per sample (multi-label): each sample's rarest label, by its count over all
// samples (ties by name), "" for a sample without labels. Stratifying by it spreads every rare label's samples
// over the folds, which one label's shares alone do not.
std::vector<std::string> rarest_label_strata(const std::vector<std::vector<std::string>>& labels);

// {"k": k, "seed": s, "folds": {"<sample id>": fold, ...}}
void save_folds(const std::filesystem::path& file, const std::vector<std::string>& ids, const std::vector<int>& folds,
                size_t k, uint64_t seed);
// The folds of `ids` from a saved file; an id missing from the file (or a file of other samples) is an error
// naming it.
std::vector<int> load_folds(const std::filesystem::path& file, const std::vector<std::string>& ids);

}  // namespace fuse::data

#endif  // FUSE_DATA_FOLDS_H_
