// A table's columns at a glance (pandas' describe, for `fuse dataset summary` on a table without images): per
// column its type, how many cells are empty, the spread of a numeric column, and the values of a column with
// few of them (a label's class balance, a site).
#ifndef FUSE_TABLE_DESCRIBE_H_
#define FUSE_TABLE_DESCRIBE_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "fuse/table/table.h"

namespace fuse::table {

struct ColumnSummary {
  std::string name;
  bool numeric = false;  // every non-empty cell is a number ("nan" counts as missing)
  size_t missing = 0;    // empty cells (and NaNs of a numeric column)
  size_t distinct = 0;   // of the non-empty cells
  // Numeric columns, over the present values: the sample standard deviation (n - 1, as pandas), and the
  // median interpolated between the middle two.
  double mean = 0, sd = 0, min = 0, median = 0, max = 0;
  // Each value with its count, most frequent first (ties in value order), when the column has at most
  // kMostValues distinct values.
  std::vector<std::pair<std::string, size_t>> values;
  static constexpr size_t kMostValues = 12;
};

// Summarises every column of `t`, read as text (Request kind kText), in column order.
std::vector<ColumnSummary> describe(const Table& t);

}  // namespace fuse::table

#endif  // FUSE_TABLE_DESCRIBE_H_
