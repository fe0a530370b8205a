// Plain-text tables for the terminal: columns sized to their widest cell.
#ifndef FUSE_APPS_COMMON_TABLE_H_
#define FUSE_APPS_COMMON_TABLE_H_

#include <ostream>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace fuse::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// A value for a table cell: 4 significant digits, "-" for NaN (undefined).
std::string short_number(double value);
// A JSON number with four decimals, as the evaluation summaries print metrics; "-" for null (undefined).
std::string four_decimals(const boost::json::value& value);
// A column heading from a name ("lesion_dice" -> "LESION_DICE").
std::string heading(std::string name);

}  // namespace fuse::cli

#endif  // FUSE_APPS_COMMON_TABLE_H_
