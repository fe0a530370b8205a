#include "common.h"

#include <algorithm>
#include <numeric>

namespace fuse::metrics {

const BinaryRows::Sorted& BinaryRows::sorted() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (ready_) return sorted_;
  const size_t n = scores_.size();
  sorted_.order.resize(n);
  std::iota(sorted_.order.begin(), sorted_.order.end(), 0u);
  std::stable_sort(sorted_.order.begin(), sorted_.order.end(),
                   [&](uint32_t a, uint32_t b) { return scores_[a] > scores_[b]; });
  sorted_.label.resize(n);
  sorted_.group_end.resize(n);
  for (size_t i = 0; i < n; ++i) {
    sorted_.label[i] = labels_[sorted_.order[i]];
    sorted_.group_end[i] = i + 1 == n || scores_[sorted_.order[i + 1]] != scores_[sorted_.order[i]];
  }
  ready_ = true;
  return sorted_;
}

void BinaryRows::require_both_classes(const uint8_t* counts, const char* metric) const {
  auto [pos, neg] = totals(counts);
  if (pos == 0 || neg == 0) {
    const std::string which = pos == 0 ? "no positive (1)" : "no negative (0)";
    fail(FM_ERR_NUMERIC, std::string(metric) + " needs both classes, but the " +
                             (counts ? "replicate" : "data") + " has " + which + " targets among " +
                             std::to_string(pos + neg) + " rows");
  }
}

}  // namespace fuse::metrics
