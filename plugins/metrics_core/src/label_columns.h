// A binary ranking metric over several labels at once ('average'): scores [n, L] against 0/1 targets [n, L]
// (multi-label, or the one-hot of classes: each class against the rest). "macro" scores each column alone and
// takes the mean; "micro" pools every cell as one row. "none" is one score per row. A macro average may skip the
// columns it cannot score (a rare label without positives in a small validation fold) instead of failing.
#ifndef FUSE_PLUGINS_METRICS_CORE_LABEL_COLUMNS_H_
#define FUSE_PLUGINS_METRICS_CORE_LABEL_COLUMNS_H_

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "common.h"

namespace fuse::metrics {

class LabelColumns {
 public:
  enum class Average { kNone, kMacro, kMicro };

  // `average` is the config's value ("none", "macro" or "micro"); the manifest restricts it. `undefined` is
  // "error" or "skip" (macro only).
  LabelColumns(const std::string& average, const std::string& undefined);

  Average average() const { return average_; }
  void add(const DictView& batch, const std::string& pred, const std::string& target);
  void merge(const LabelColumns& other);
  void clear();
  void save(sdk::Writer& w) const;
  void load(sdk::Reader& r);
  // Rows seen (samples, not cells).
  size_t rows() const { return rows_; }
  // The one-score-per-row rows ("none").
  const BinaryRows& single() const { return columns_.front(); }

  // The metric of each column (macro: its mean, with the columns under "<name>_per_label"; micro: of the pooled
  // cells), weighted by per-row counts. `of_column` computes the metric of one column's rows and fails with
  // FM_ERR_NUMERIC where undefined; a macro average fails where any column is undefined, naming it, or with
  // 'skip' averages the others (NaN in "<name>_per_label", their count in "labels_scored") and fails only
  // where none is defined.
  void compute(const uint8_t* counts, const std::string& name,
               const std::function<double(const BinaryRows&, const uint8_t*)>& of_column, Dict& result) const;

 private:
  void resize_columns(size_t count);

  Average average_;
  bool skip_undefined_;
  size_t rows_ = 0, labels_ = 0;  // labels_: L, set by the first batch (0: none yet)
  std::deque<BinaryRows> columns_;  // none and micro: one; macro: L (a deque: rows hold a mutex, so never move)
};

}  // namespace fuse::metrics

#endif  // FUSE_PLUGINS_METRICS_CORE_LABEL_COLUMNS_H_
