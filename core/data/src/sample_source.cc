#include "fuse/data/sample_source.h"

#include <algorithm>
#include <cstring>
#include <charconv>
#include <set>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/table/table.h"

namespace fuse::data {

namespace fs = std::filesystem;

namespace {

// A cell as the value it reads as: an integer, a number, or text (empty: null).
Value cell_value(std::string_view text) {
  if (text.empty()) return Value();
  int64_t i = 0;
  auto [iend, iec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (iec == std::errc() && iend == text.data() + text.size()) return Value(i);
  double d = 0;
  auto [dend, dec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (dec == std::errc() && dend == text.data() + text.size()) return Value(d);
  return Value(std::string(text));
}

bool glob_match(std::string_view p, std::string_view s) {
  if (p.empty()) return s.empty();
  if (p[0] == '*') {
    for (size_t i = 0; i <= s.size(); ++i)
      if (glob_match(p.substr(1), s.substr(i))) return true;
    return false;
  }
  return !s.empty() && (p[0] == '?' || p[0] == s[0]) && glob_match(p.substr(1), s.substr(1));
}

// "scan.nii.gz" -> "scan": image names often carry two extensions.
std::string stem_of(const fs::path& p) {
  std::string name = p.filename().string();
  for (const char* ext : {".nii.gz", ".gz", ".nii", ".nrrd", ".mha", ".mhd", ".dcm", ".png", ".jpg", ".jpeg", ".npy"})
    if (name.size() > std::strlen(ext) && name.compare(name.size() - std::strlen(ext), std::string::npos, ext) == 0)
      return name.substr(0, name.size() - std::strlen(ext));
  return p.stem().string();
}

}  // namespace

std::vector<Sample> read_table_source(const TableSource& source) {
  std::unique_ptr<table::Reader> reader = table::Reader::open(source.file);
  const std::vector<std::string> columns = reader->columns();
  for (const auto& [column, key] : source.keys)
    if (std::find(columns.begin(), columns.end(), column) == columns.end())
      throw Error(Errc::kKeyNotFound, source.file.string() + ": no column '" + column + "'" + did_you_mean(column, columns) +
                                          " (columns: " + join(columns, ", ") + ")");
  for (const std::string& column : source.path_columns)
    if (std::find(columns.begin(), columns.end(), column) == columns.end())
      throw Error(Errc::kKeyNotFound, source.file.string() + ": no path column '" + column + "'" + did_you_mean(column, columns) +
                                          " (columns: " + join(columns, ", ") + ")");
  const fs::path base = fs::absolute(source.file).parent_path();
  std::string id_column = source.id_column;
  if (id_column.empty() && std::find(columns.begin(), columns.end(), "id") != columns.end()) id_column = "id";
  if (!id_column.empty() && std::find(columns.begin(), columns.end(), id_column) == columns.end())
    throw Error(Errc::kKeyNotFound, source.file.string() + ": no id column '" + id_column + "'" + did_you_mean(id_column, columns) +
                                        " (columns: " + join(columns, ", ") + ")");
  std::vector<table::Request> requests;
  for (const std::string& c : columns) requests.push_back(table::Request{c, table::Kind::kText});
  reader->select(requests);
  table::Table t;
  while (reader->read(t)) {
  }
  std::vector<Sample> out;
  std::set<std::string> seen;
  out.reserve(t.size());
  for (size_t r = 0; r < t.size(); ++r) {
    Sample s;
    s.origin = t.where(r);
    s.id = id_column.empty() ? std::to_string(t.rows[r]) : std::string(t.column(id_column).text.at(r));
    if (s.id.empty()) throw Error(Errc::kInvalidArgument, s.origin + ": the id column '" + id_column + "' is empty");
    if (!seen.insert(s.id).second) throw Error(Errc::kInvalidArgument, s.origin + ": sample id '" + s.id + "' appears twice");
    for (const table::Column& c : t.columns) {
      auto mapped = source.keys.find(c.name);
      const std::string key = mapped != source.keys.end() ? mapped->second : "data." + c.name;
      const std::string_view text = c.text.at(r);
      const bool is_path = std::find(source.path_columns.begin(), source.path_columns.end(), c.name) != source.path_columns.end();
      if (is_path && !text.empty()) {
        const fs::path p(std::string{text});
        s.values.set(key, (p.is_absolute() ? p : (base / p).lexically_normal()).string());
      } else {
        s.values.set(key, cell_value(text));
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Sample> read_glob_source(const GlobSource& source) {
  std::error_code ec;
  if (!fs::is_directory(source.folder, ec))
    throw Error(Errc::kIo, "sample folder '" + source.folder.string() + "' does not exist or is not a folder");
  const bool deep = source.pattern.rfind("**/", 0) == 0;
  const std::string pattern = deep ? source.pattern.substr(3) : source.pattern;
  std::vector<fs::path> files;
  auto consider = [&](const fs::directory_entry& e) {
    if (e.is_regular_file(ec) && glob_match(pattern, e.path().filename().string())) files.push_back(e.path());
  };
  if (deep)
    for (const auto& e : fs::recursive_directory_iterator(source.folder, ec)) consider(e);
  else
    for (const auto& e : fs::directory_iterator(source.folder, ec)) consider(e);
  std::sort(files.begin(), files.end());
  if (files.empty())
    throw Error(Errc::kIo, "no file in '" + source.folder.string() + "' matches '" + source.pattern + "'");
  std::vector<Sample> out;
  std::map<std::string, fs::path> ids;
  for (const fs::path& f : files) {
    Sample s;
    s.id = deep ? fs::relative(f, source.folder).parent_path().string() : "";
    s.id = (s.id.empty() ? "" : s.id + "/") + stem_of(f);
    if (auto [it, inserted] = ids.emplace(s.id, f); !inserted)
      throw Error(Errc::kInvalidArgument, "files '" + it->second.string() + "' and '" + f.string() + "' have the same sample id '" + s.id + "'");
    s.origin = "file " + f.string();
    s.values.set(source.key, f.string());
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Sample> ids_source(const std::vector<std::string>& ids, const std::string& key) {
  std::vector<Sample> out;
  for (size_t i = 0; i < ids.size(); ++i) {
    Sample s;
    s.id = ids[i];
    s.origin = "id " + std::to_string(i) + " of the list";
    s.values.set(key, ids[i]);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Sample> range_source(size_t count, const std::string& key) {
  std::vector<Sample> out(count);
  for (size_t i = 0; i < count; ++i) {
    out[i].id = std::to_string(i);
    out[i].origin = "item " + out[i].id;
    out[i].values.set(key, static_cast<int64_t>(i));
  }
  return out;
}

}  // namespace fuse::data
