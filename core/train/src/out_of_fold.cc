#include "fuse/train/out_of_fold.h"

#include <map>
#include <string>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/train/inference.h"

namespace fuse::train {

namespace fs = std::filesystem;

std::vector<size_t> out_of_fold_bundles(const std::vector<fs::path>& bundles, const std::vector<data::Sample>& samples) {
  if (bundles.size() < 2)
    throw Error(Errc::kInvalidArgument, "--out-of-fold predicts each case with the fold that validated it, and takes a cross-validation's bundles "
                                        "(fuse export RUNS --out BUNDLES of a `fuse run --cross-validate` folder); got one bundle, '" +
                                            (bundles.empty() ? std::string() : bundles.front().string()) + "'");
  std::map<std::string, size_t> validated_by;
  for (size_t b = 0; b < bundles.size(); ++b) {
    const std::vector<std::string> cases = bundle_validation_cases(bundles[b]);
    if (cases.empty())
      throw Error(Errc::kInvalidArgument, "bundle '" + bundles[b].string() +
                                              "' records no validation cases (its run had none, had not finished, or was trained by an older fuse): "
                                              "--out-of-fold cannot tell which cases it did not train on; export a finished fold again, or predict "
                                              "without --out-of-fold");
    for (const std::string& id : cases) {
      const auto [it, fresh] = validated_by.emplace(id, b);
      if (!fresh && it->second != b)
        throw Error(Errc::kInvalidArgument, "case '" + id + "' validated both '" + bundles[it->second].string() + "' and '" + bundles[b].string() +
                                                "': --out-of-fold takes bundles validated on distinct cases (the folds of one cross-validation)");
    }
  }
  std::vector<size_t> which(samples.size());
  std::vector<std::string> unseen;
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto it = validated_by.find(samples[i].id);
    if (it == validated_by.end()) unseen.push_back("'" + samples[i].id + "'");
    else which[i] = it->second;
  }
  if (!unseen.empty()) {
    const size_t shown = std::min<size_t>(unseen.size(), 3);
    throw Error(Errc::kInvalidArgument, std::to_string(unseen.size()) + " of " + std::to_string(samples.size()) + " inputs are no bundle's validation case (" + join(std::vector<std::string>(unseen.begin(), unseen.begin() + static_cast<long>(shown)), ", ") +
                                            (unseen.size() > shown ? ", ..." : "") +
                                            "): each fold trained on them or never saw them; predict the cross-validation's own cases (its "
                                            "training table), or these without --out-of-fold");
  }
  return which;
}

}  // namespace fuse::train
