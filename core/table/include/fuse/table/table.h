// Prediction tables: the columns of a CSV/TSV or JSON-lines file that an evaluation needs, held compactly
// (numbers as doubles, text in one buffer). Files are read in blocks, so a caller can stream a file larger than
// memory; only the requested columns are kept.
#ifndef FUSE_TABLE_TABLE_H_
#define FUSE_TABLE_TABLE_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fuse::table {

enum class Kind { kNumber, kText };

// Text values in one buffer: cheaper than a std::string per row for a million ids.
class TextColumn {
 public:
  void append(std::string_view s) {
    chars_.append(s);
    ends_.push_back(chars_.size());
  }
  std::string_view at(size_t i) const {
    const size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(chars_).substr(begin, ends_[i] - begin);
  }
  size_t size() const { return ends_.size(); }
  void clear() {
    chars_.clear();
    ends_.clear();
  }
  size_t bytes() const { return chars_.capacity() + ends_.capacity() * sizeof(size_t); }

 private:
  std::string chars_;
  std::vector<size_t> ends_;
};

struct Column {
  std::string name;
  Kind kind = Kind::kNumber;
  std::vector<double> numbers;  // kNumber: an empty field or a missing key reads as NaN
  TextColumn text;              // kText
  size_t size() const { return kind == Kind::kNumber ? numbers.size() : text.size(); }
  // A value as text (numbers in their shortest form), for messages and groups.
  std::string text_at(size_t row) const;
};

// What a reader should keep: a column of the file, read as numbers or text.
struct Request {
  std::string name;
  Kind kind = Kind::kNumber;
};

struct Table {
  std::string source;             // the file, for messages
  std::vector<Column> columns;    // in request order
  std::vector<int64_t> rows;      // the 1-based data row of the file each row came from
  size_t size() const { return rows.size(); }
  const Column& column(std::string_view name) const;  // Error(kKeyNotFound) listing the columns present
  const Column* find(std::string_view name) const;
  // "row 17 of preds.csv", for messages.
  std::string where(size_t row) const;
};

class Reader {
 public:
  // Opens a .csv, .tsv (tab-separated), .jsonl or .ndjson file and reads its header (for JSON lines, the keys of
  // the first line, nested objects and arrays flattened to dotted names: "probs.0").
  static std::unique_ptr<Reader> open(const std::filesystem::path& path);
  virtual ~Reader() = default;

  const std::filesystem::path& path() const { return path_; }
  const std::vector<std::string>& columns() const { return columns_; }
  // Checks that every requested column exists (Error naming the file, the column, a suggestion and the columns
  // present) and fixes them for the following reads.
  void select(std::vector<Request> requests);
  // Appends the next block of rows (about 1 MiB of file) to `out`, which holds the selected columns in request
  // order; returns false when the file had no rows left. A malformed row is an error naming file and row.
  virtual bool read(Table& out) = 0;

 protected:
  explicit Reader(std::filesystem::path path) : path_(std::move(path)) {}
  // Prepares `out` for the selected columns (names and kinds), keeping its rows.
  void prepare(Table& out) const;
  // Stores field `value` of the file's column `index` into row being built.
  std::filesystem::path path_;
  std::vector<std::string> columns_;
  std::vector<Request> requests_;
  std::vector<int> slot_;  // file column -> position in requests_, or -1 when not kept
};

// Reads a whole file: the requested columns, every row.
Table read_table(const std::filesystem::path& path, const std::vector<Request>& requests);

// The file's columns matching a glob ('*' any characters, '?' one): "prob_*" gives prob_0, prob_1, ...
std::vector<std::string> match_columns(const std::vector<std::string>& columns, std::string_view pattern);

}  // namespace fuse::table

#endif  // FUSE_TABLE_TABLE_H_
