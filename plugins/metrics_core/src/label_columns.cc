#include "label_columns.h"

#include <cmath>

namespace fuse::metrics {
namespace {

const char* average_name(LabelColumns::Average a) { return a == LabelColumns::Average::kMacro ? "macro" : "micro"; }

}  // namespace

LabelColumns::LabelColumns(const std::string& average, const std::string& undefined)
    : average_(average == "macro" ? Average::kMacro : average == "micro" ? Average::kMicro : Average::kNone),
      skip_undefined_(undefined == "skip") {
  if (skip_undefined_ && average_ != Average::kMacro)
    fail(FM_ERR_INVALID_ARGUMENT, "'undefined': 'skip' leaves columns out of a macro average, so it needs 'average': 'macro' (got '" +
                                      average + "')");
  columns_.emplace_back();
}

// In place (emplace and pop): the rows cannot move.
void LabelColumns::resize_columns(size_t count) {
  while (columns_.size() < count) columns_.emplace_back();
  while (columns_.size() > count) columns_.pop_back();
}

void LabelColumns::add(const DictView& batch, const std::string& pred, const std::string& target) {
  if (average_ == Average::kNone) {
    columns_.front().add(batch, pred, target);
    rows_ = columns_.front().size();
    return;
  }
  TensorView p = batch.tensor(pred);
  if (p.ndim() != 2 || p.size(1) < 1)
    fail(FM_ERR_SHAPE, "key '" + pred + "': 'average': '" + average_name(average_) + "' needs scores [n, labels], got shape " +
                           sdk::shape_string(p.dl()));
  const size_t n = static_cast<size_t>(p.size(0)), labels = static_cast<size_t>(p.size(1));
  if (labels_ != 0 && labels != labels_)
    fail(FM_ERR_SHAPE, "key '" + pred + "': this batch has " + std::to_string(labels) + " score columns, earlier batches " +
                           std::to_string(labels_));
  const std::vector<double> scores = p.to_doubles();
  for (size_t i = 0; i < scores.size(); ++i)
    if (!std::isfinite(scores[i]))
      fail(FM_ERR_NUMERIC, "key '" + pred + "': row " + std::to_string(i / labels) + ", column " + std::to_string(i % labels) +
                               " is " + std::to_string(scores[i]));
  TensorView t = batch.tensor(target);
  const std::vector<double> y = t.to_doubles();
  if (y.size() != n * labels || !(labels == 1 || (t.ndim() == 2 && t.size(1) == static_cast<int64_t>(labels))))
    fail(FM_ERR_SHAPE, "key '" + target + "': expected 0/1 targets [" + std::to_string(n) + ", " + std::to_string(labels) +
                           "] for the scores of '" + pred + "', got shape " + sdk::shape_string(t.dl()) +
                           " (for class ids, their one-hot: fuse.ops.one_hot)");
  std::vector<uint8_t> cells(n * labels);
  for (size_t i = 0; i < cells.size(); ++i) {
    if (y[i] != 0 && y[i] != 1)
      fail(FM_ERR_INVALID_ARGUMENT, "key '" + target + "': row " + std::to_string(i / labels) + ", column " + std::to_string(i % labels) +
                                        " has " + std::to_string(y[i]) + "; multi-label targets are 0 or 1");
    cells[i] = static_cast<uint8_t>(y[i]);
  }
  if (labels_ == 0) {
    labels_ = labels;
    if (average_ == Average::kMacro) resize_columns(labels);
  }
  if (average_ == Average::kMicro) {
    columns_.front().append(scores, cells);
  } else {
    std::vector<double> s(n);
    std::vector<uint8_t> l(n);
    for (size_t c = 0; c < labels; ++c) {
      for (size_t r = 0; r < n; ++r) s[r] = scores[r * labels + c], l[r] = cells[r * labels + c];
      columns_[c].append(s, l);
    }
  }
  rows_ += n;
}

void LabelColumns::merge(const LabelColumns& other) {
  if (other.rows_ == 0 && average_ != Average::kNone) return;
  if (average_ != Average::kNone && labels_ != 0 && other.labels_ != labels_)
    fail(FM_ERR_SHAPE, "merging results of " + std::to_string(other.labels_) + " score columns into " + std::to_string(labels_));
  if (labels_ == 0 && average_ == Average::kMacro) resize_columns(other.labels_);
  if (labels_ == 0) labels_ = other.labels_;
  for (size_t c = 0; c < columns_.size(); ++c) columns_[c].merge(other.columns_[c]);
  rows_ += other.rows_;
}

void LabelColumns::clear() {
  resize_columns(1);
  columns_.front().clear();
  rows_ = labels_ = 0;
}

void LabelColumns::save(sdk::Writer& w) const {
  w.write_value(static_cast<uint64_t>(rows_));
  w.write_value(static_cast<uint64_t>(labels_));
  for (const BinaryRows& c : columns_) c.save(w);
}

void LabelColumns::load(sdk::Reader& r) {
  rows_ = static_cast<size_t>(r.read_value<uint64_t>());
  labels_ = static_cast<size_t>(r.read_value<uint64_t>());
  resize_columns(average_ == Average::kMacro && labels_ > 0 ? labels_ : 1);
  for (BinaryRows& c : columns_) c.load(r);
}

void LabelColumns::compute(const uint8_t* counts, const std::string& name,
                           const std::function<double(const BinaryRows&, const uint8_t*)>& of_column, Dict& result) const {
  if (average_ == Average::kNone) return result.set_double(name, of_column(columns_.front(), counts));
  if (labels_ == 0) fail(FM_ERR_NUMERIC, name + " has no rows");
  if (average_ == Average::kMicro) {
    // Each cell counts as often as its row.
    std::vector<uint8_t> cells;
    if (counts != nullptr) {
      cells.resize(rows_ * labels_);
      for (size_t i = 0; i < cells.size(); ++i) cells[i] = counts[i / labels_];
    }
    return result.set_double(name, of_column(columns_.front(), counts ? cells.data() : nullptr));
  }
  std::vector<double> each(labels_);
  double sum = 0;
  int64_t scored = 0;
  std::string first_error;
  for (size_t c = 0; c < labels_; ++c) {
    try {
      each[c] = of_column(columns_[c], counts);
      sum += each[c], ++scored;
    } catch (const sdk::Error& e) {
      const std::string where = "score column " + std::to_string(c) + " of " + std::to_string(labels_) + ": " + e.what();
      if (!skip_undefined_ || e.code() != FM_ERR_NUMERIC)
        throw sdk::Error(e.code(), where + " (a macro average needs every column defined, unless 'undefined': 'skip')");
      each[c] = std::nan("");
      if (first_error.empty()) first_error = where;
    }
  }
  if (scored == 0) fail(FM_ERR_NUMERIC, "no score column is defined, so the macro average is not; " + first_error);
  result.set_double(name, sum / static_cast<double>(scored));
  result.set_tensor(name + "_per_label", vector_tensor(each));
  if (skip_undefined_) result.set_int("labels_scored", scored);
}

}  // namespace fuse::metrics
