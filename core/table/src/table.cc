#include "fuse/table/table.h"

#include <charconv>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "readers.h"

namespace fuse::table {

std::string Column::text_at(size_t row) const {
  if (kind == Kind::kText) return std::string(text.at(row));
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), numbers[row]);
  return std::string(buf, end);
}

const Column* Table::find(std::string_view name) const {
  for (const Column& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

const Column& Table::column(std::string_view name) const {
  if (const Column* c = find(name)) return *c;
  std::vector<std::string> names;
  for (const Column& c : columns) names.push_back(c.name);
  throw Error(Errc::kKeyNotFound, source + ": no column '" + std::string(name) + "'" + did_you_mean(name, names) +
                                      " (columns: " + join(names, ", ") + ")");
}

std::string Table::where(size_t row) const { return "row " + std::to_string(rows[row]) + " of " + source; }

std::unique_ptr<Reader> Reader::open(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".csv") return open_csv(path, ',');
  if (ext == ".tsv" || ext == ".tab") return open_csv(path, '\t');
  if (ext == ".jsonl" || ext == ".ndjson") return open_jsonl(path);
  throw Error(Errc::kInvalidArgument, path.string() + ": unknown table format '" + ext +
                                          "' (expected .csv, .tsv, .jsonl or .ndjson)");
}

void Reader::select(std::vector<Request> requests) {
  slot_.assign(columns_.size(), -1);
  for (size_t r = 0; r < requests.size(); ++r) {
    size_t found = columns_.size();
    for (size_t c = 0; c < columns_.size(); ++c)
      if (columns_[c] == requests[r].name) found = c;
    if (found == columns_.size())
      throw Error(Errc::kKeyNotFound, path_.string() + ": no column '" + requests[r].name + "'" +
                                          did_you_mean(requests[r].name, columns_) + " (columns: " + join(columns_, ", ") +
                                          ")");
    slot_[found] = static_cast<int>(r);
  }
  requests_ = std::move(requests);
}

void Reader::prepare(Table& out) const {
  out.source = path_.string();
  if (out.columns.size() == requests_.size()) return;
  out.columns.clear();
  for (const Request& r : requests_) out.columns.push_back(Column{r.name, r.kind, {}, {}});
}

Table read_table(const std::filesystem::path& path, const std::vector<Request>& requests) {
  std::unique_ptr<Reader> reader = Reader::open(path);
  reader->select(requests);
  Table t;
  while (reader->read(t)) {
  }
  if (t.columns.empty()) {  // a file with a header and no rows
    t.source = path.string();
    for (const Request& r : requests) t.columns.push_back(Column{r.name, r.kind, {}, {}});
  }
  return t;
}

namespace {
bool glob(std::string_view p, std::string_view s) {
  if (p.empty()) return s.empty();
  if (p[0] == '*') {
    for (size_t i = 0; i <= s.size(); ++i)
      if (glob(p.substr(1), s.substr(i))) return true;
    return false;
  }
  return !s.empty() && (p[0] == '?' || p[0] == s[0]) && glob(p.substr(1), s.substr(1));
}
}  // namespace

std::vector<std::string> match_columns(const std::vector<std::string>& columns, std::string_view pattern) {
  std::vector<std::string> out;
  for (const std::string& c : columns)
    if (glob(pattern, c)) out.push_back(c);
  return out;
}

// Shared by the readers: stores one field of the file into the table (numbers parsed, text copied).
std::optional<double> parse_number(std::string_view field) {
  while (!field.empty() && field.front() == ' ') field.remove_prefix(1);
  while (!field.empty() && field.back() == ' ') field.remove_suffix(1);
  if (!field.empty() && field.front() == '+') field.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (field.empty() || ec != std::errc() || end != field.data() + field.size()) return std::nullopt;
  return value;
}

void store_field(Column& column, std::string_view field, const Table& table, int64_t row, std::string& error) {
  if (column.kind == Kind::kText) {
    column.text.append(field);
    return;
  }
  const std::optional<double> value = parse_number(field);
  if (!value && field.find_first_not_of(' ') != std::string_view::npos && error.empty())
    error = "row " + std::to_string(row) + " of " + table.source + ": column '" + column.name + "' holds '" + std::string(field.substr(0, 40)) +
            "', not a number";
  column.numbers.push_back(value.value_or(std::numeric_limits<double>::quiet_NaN()));  // an empty field: NaN
}

}  // namespace fuse::table
