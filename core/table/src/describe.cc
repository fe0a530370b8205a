#include "fuse/table/describe.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "readers.h"

namespace fuse::table {

namespace {

ColumnSummary summarize(const Column& column) {
  ColumnSummary s;
  s.name = column.name;
  std::vector<double> numbers;
  std::map<std::string, size_t> counts;
  bool numeric = true;
  for (size_t r = 0; r < column.size(); ++r) {
    const std::string cell = column.text_at(r);
    if (cell.empty()) {
      ++s.missing;
      continue;
    }
    const std::optional<double> x = parse_number(cell);
    if (x && std::isnan(*x)) {
      ++s.missing;
      continue;
    }
    if (!x) numeric = false;
    else numbers.push_back(*x);
    ++counts[cell];
  }
  s.distinct = counts.size();
  s.numeric = numeric && !numbers.empty();
  if (s.numeric) {
    double mean = 0, m2 = 0;
    for (size_t i = 0; i < numbers.size(); ++i) {
      const double d = numbers[i] - mean;
      mean += d / static_cast<double>(i + 1);
      m2 += d * (numbers[i] - mean);
    }
    std::sort(numbers.begin(), numbers.end());
    const size_t n = numbers.size();
    s.mean = mean;
    s.sd = n > 1 ? std::sqrt(m2 / static_cast<double>(n - 1)) : 0;
    s.min = numbers.front();
    s.max = numbers.back();
    s.median = n % 2 ? numbers[n / 2] : (numbers[n / 2 - 1] + numbers[n / 2]) / 2;
  }
  if (s.distinct <= ColumnSummary::kMostValues) {
    s.values.assign(counts.begin(), counts.end());
    if (s.numeric)  // 0, 1, 2 ... in numeric order, not as text
      std::sort(s.values.begin(), s.values.end(), [](const auto& a, const auto& b) { return *parse_number(a.first) < *parse_number(b.first); });
    std::stable_sort(s.values.begin(), s.values.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  }
  return s;
}

}  // namespace

std::vector<ColumnSummary> describe(const Table& t) {
  std::vector<ColumnSummary> out;
  for (const Column& c : t.columns) out.push_back(summarize(c));
  return out;
}

}  // namespace fuse::table
