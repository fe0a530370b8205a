// The rows an evaluation runs on, loaded from one or several prediction files: numeric columns as doubles,
// categorical columns (groups, folds) as codes, and where each row came from (for messages).
#ifndef FUSE_EVAL_EVAL_DATA_H_
#define FUSE_EVAL_EVAL_DATA_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "fuse/eval/eval_config.h"

namespace fuse::eval {

struct Categorical {
  std::vector<uint32_t> codes;      // per row
  std::vector<std::string> levels;  // the values, in order of first appearance
};

struct EvalData {
  size_t rows = 0;
  std::map<std::string, std::vector<double>> numbers;  // by key: the column name (or "<file>.<column>" merged)
  std::map<std::string, Categorical> categories;       // group and fold columns
  std::vector<std::string> ids;                        // when an id column was given
  std::vector<std::string> files;
  std::vector<uint32_t> file_of;  // per row: index into files (empty when there is one file)
  std::vector<uint32_t> row_of;   // per row: the 1-based data row in its file
  size_t dropped = 0;             // rows left out by the NaN policy
  size_t without_target = 0;      // rows left out for an empty target (EvalConfig::skip_rows_without_target)

  // "row 17 of preds.csv (id case_17)".
  std::string describe(size_t row) const;
  // Keeps the given rows, in that order.
  void select(const std::vector<uint32_t>& rows);
};

// What to load: numeric keys (targets, scores and any other column a metric reads) and categorical keys.
struct Wanted {
  std::vector<std::string> numbers;
  std::vector<std::string> categories;
};

// Expands globs in score columns ("prob_*") against the files' headers.
std::vector<std::string> expand_columns(const EvalConfig& config, const std::vector<std::string>& patterns);

// Of `keys`, those named by no column but written as columns <key>_0, <key>_1, ... (a tensor output of several
// values per row in fuse's predictions.csv: model.free_curve_0 ...), each with its columns.
std::map<std::string, std::vector<std::string>> numbered_columns(const EvalConfig& config, const std::vector<std::string>& keys);

// Loads the prediction files: one file; several merged by id (columns of each under "<name>." unless a plain
// name is unambiguous); or one fold per file. Every error names the file, the column or the ids.
EvalData load_predictions(const EvalConfig& config, const Wanted& wanted);

// Applies the NaN policy to the numeric keys (error naming the rows, or drop and count) and the temperature to
// the score keys.
void clean(EvalData& data, const EvalConfig& config, const std::vector<std::string>& checked,
           const std::vector<std::string>& scores);

}  // namespace fuse::eval

#endif  // FUSE_EVAL_EVAL_DATA_H_
