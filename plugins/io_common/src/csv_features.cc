// fuse.io.csv_features: a sample's row of numeric columns from a CSV table, as a float32 vector: clinical or
// radiomics features next to an image. The table is read once per process (libcsv) and shared.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <csv.h>

#include "fuse_sdk/plugin.hpp"

namespace fuse::io_common {
namespace {

using sdk::Dict;
using sdk::DictView;
using sdk::fail;

struct FeatureTable {
  std::vector<std::string> columns;               // the feature columns, in output order
  std::unordered_map<std::string, std::vector<float>> rows;  // id -> features
};

// libcsv hands over cells and row ends; this collects rows of strings.
struct Rows {
  std::vector<std::vector<std::string>> rows{1};
  static void cell(void* data, size_t size, void* self) {
    static_cast<Rows*>(self)->rows.back().emplace_back(static_cast<const char*>(data), size);
  }
  static void end(int, void* self) { static_cast<Rows*>(self)->rows.emplace_back(); }
};

std::shared_ptr<const FeatureTable> load(const std::string& path, const std::string& id_column, std::vector<std::string> wanted, bool allow_missing) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(FM_ERR_IO, "file not found: '" + path + "'");
  csv_parser parser;
  csv_init(&parser, CSV_APPEND_NULL);
  Rows r;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
    if (csv_parse(&parser, buffer, static_cast<size_t>(in.gcount()), Rows::cell, Rows::end, &r) != static_cast<size_t>(in.gcount())) {
      const std::string why = csv_strerror(csv_error(&parser));
      csv_free(&parser);
      fail(FM_ERR_IO, "'" + path + "': " + why);
    }
  csv_fini(&parser, Rows::cell, Rows::end, &r);
  csv_free(&parser);
  while (!r.rows.empty() && r.rows.back().empty()) r.rows.pop_back();
  if (r.rows.empty()) fail(FM_ERR_IO, "'" + path + "' is empty");
  const std::vector<std::string>& header = r.rows[0];
  auto column_of = [&](const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    std::string list;
    for (const std::string& h : header) list += (list.empty() ? "" : ", ") + h;
    fail(FM_ERR_KEY_NOT_FOUND, "'" + path + "' has no column '" + name + "' (columns: " + list + ")");
  };
  const size_t id = column_of(id_column);
  if (wanted.empty())
    for (const std::string& h : header)
      if (h != id_column) wanted.push_back(h);
  std::vector<size_t> picks;
  for (const std::string& w : wanted) picks.push_back(column_of(w));
  auto table = std::make_shared<FeatureTable>();
  table->columns = wanted;
  for (size_t row = 1; row < r.rows.size(); ++row) {
    const std::vector<std::string>& cells = r.rows[row];
    if (cells.size() != header.size())
      fail(FM_ERR_IO, "'" + path + "' row " + std::to_string(row) + " has " + std::to_string(cells.size()) + " cells; the header has " +
                          std::to_string(header.size()));
    std::vector<float> values;
    for (size_t k = 0; k < picks.size(); ++k) {
      const std::string& cell = cells[picks[k]];
      char* end = nullptr;
      errno = 0;
      const double v = std::strtod(cell.c_str(), &end);
      if (cell.empty() && allow_missing) {
        values.push_back(std::nanf(""));
        continue;
      }
      if (cell.empty() || *end != '\0' || errno == ERANGE)
        fail(FM_ERR_INVALID_ARGUMENT, "'" + path + "' row " + std::to_string(row) + " column '" + wanted[k] + "': '" + cell +
                                          "' is not a number" + (cell.empty() ? " (set 'missing': \"nan\" to read empty cells as NaN)" : ""));
      values.push_back(static_cast<float>(v));
    }
    if (!table->rows.emplace(cells[id], std::move(values)).second)
      fail(FM_ERR_INVALID_ARGUMENT, "'" + path + "': id '" + cells[id] + "' appears in more than one row");
  }
  return table;
}

class CsvFeatures {
 public:
  explicit CsvFeatures(const DictView& config)
      : path_(config.get_string("file")), id_key_(config.get_string("id_key")), key_(config.get_string("key")),
        id_column_(config.get_string("id_column")), columns_(config.get_strings("columns")),
        allow_missing_(config.get_string("missing") == "nan") {}

  void forward(Dict& sample, const sdk::Call&) {
    if (!table_) table_ = shared_table();  // on first use: creating the op needs no file
    const std::string id = sample.type(id_key_) == FM_VALUE_INT ? std::to_string(sample.get_int(id_key_)) : sample.get_string(id_key_);
    const auto row = table_->rows.find(id);
    if (row == table_->rows.end()) fail(FM_ERR_KEY_NOT_FOUND, "'" + path_ + "' has no row for id '" + id + "'");
    sdk::Tensor t = sdk::Tensor::empty({static_cast<int64_t>(row->second.size())}, sdk::kFloat32);
    std::copy(row->second.begin(), row->second.end(), t.data<float>());
    sample.set_tensor(key_, std::move(t));
  }

 private:
  std::shared_ptr<const FeatureTable> shared_table() const {
    static std::mutex mutex;
    static std::map<std::string, std::weak_ptr<const FeatureTable>> cache;
    std::string cache_key = path_ + "\n" + id_column_ + "\n" + (allow_missing_ ? "nan" : "error");
    for (const std::string& c : columns_) cache_key += "\n" + c;
    std::lock_guard<std::mutex> lock(mutex);
    std::shared_ptr<const FeatureTable> table = cache[cache_key].lock();
    if (!table) cache[cache_key] = table = load(path_, id_column_, columns_, allow_missing_);
    return table;
  }

  std::shared_ptr<const FeatureTable> table_;
  std::string path_, id_key_, key_, id_column_;
  std::vector<std::string> columns_;
  bool allow_missing_;
};
FUSE_OP(CsvFeatures, "fuse.io.csv_features", "1.0.0")

}  // namespace
}  // namespace fuse::io_common
