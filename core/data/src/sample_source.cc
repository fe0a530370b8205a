#include "fuse/data/sample_source.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include <boost/json/serialize.hpp>

#include "fuse/base/error.h"
#include "fuse/base/log.h"
#include "fuse/base/strings.h"
#include "fuse/json/document.h"
#include "fuse/table/table.h"

namespace fuse::data {

bool is_empty_cell(const Value& v) { return v.is_null() || (v.is<double>() && std::isnan(v.as<double>())); }

namespace fs = std::filesystem;
namespace bj = boost::json;

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

// Whether `s` matches `p` ('*' and '?'); `star`, when given, gets what the first '*' matched (the shortest).
bool glob_match(std::string_view p, std::string_view s, std::string* star = nullptr) {
  if (p.empty()) return s.empty();
  if (p[0] == '*') {
    for (size_t i = 0; i <= s.size(); ++i)
      if (glob_match(p.substr(1), s.substr(i))) {
        if (star != nullptr) *star = s.substr(0, i);
        return true;
      }
    return false;
  }
  return !s.empty() && (p[0] == '?' || p[0] == s[0]) && glob_match(p.substr(1), s.substr(1), star);
}

}  // namespace

std::string file_stem(const fs::path& p) {
  if (p.filename().empty()) return p.parent_path().filename().string();  // "series/": a folder
  const std::string name = p.filename().string();
  for (const char* ext : {".nii.gz", ".gz", ".nii", ".nrrd", ".mha", ".mhd", ".dcm", ".png", ".jpg", ".jpeg", ".npy"})
    if (name.size() > std::strlen(ext) && name.compare(name.size() - std::strlen(ext), std::string::npos, ext) == 0)
      return name.substr(0, name.size() - std::strlen(ext));
  // Only names without a known extension are looked up on disk: a DICOM series' folder keeps its dots.
  std::error_code ec;
  return fs::is_directory(p, ec) ? name : p.stem().string();
}

namespace {

// A path from a table or list: relative ones are taken from `base`, the file's folder.
std::string absolute_path(const fs::path& base, std::string_view text) {
  const fs::path p(std::string{text});
  return (p.is_absolute() ? p : (base / p).lexically_normal()).string();
}

// `text` with each "{name}" replaced by values[name]; `what` names the template in errors, which list the
// placeholders there are (`known`).
std::string fill_placeholders(const std::string& what, const std::string& text, const std::map<std::string, std::string>& values, const std::string& known) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text[i] != '{') {
      out += text[i++];
      continue;
    }
    const size_t close = text.find('}', i);
    if (close == std::string::npos) throw Error(Errc::kInvalidArgument, what + " \"" + text + "\": a '{' without its '}'");
    const std::string name = text.substr(i + 1, close - i - 1);
    const auto value = values.find(name);
    if (value == values.end()) throw Error(Errc::kInvalidArgument, what + " \"" + text + "\": unknown placeholder '{" + name + "}' (" + known + ")");
    out += value->second;
    i = close + 1;
  }
  return out;
}

// `text` with "{stem}", "{name}" and "{*}" filled in for `file`.
std::string fill_template(const std::string& what, const std::string& text, const fs::path& file, const std::string& star) {
  return fill_placeholders(what, text, {{"stem", file_stem(file)}, {"name", file.filename().string()}, {"*", star}}, "placeholders: {stem}, {name}, {*}");
}

// A table's 'with' template for the row of `id`: "{id}" the only placeholder.
std::string fill_id_template(const std::string& what, const std::string& text, const std::string& id) {
  return fill_placeholders(what, text, {{"id", id}}, "a table's placeholder: {id}");
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
  for (const std::string& column : source.required)
    if (std::find(columns.begin(), columns.end(), column) == columns.end())
      throw Error(Errc::kKeyNotFound, source.file.string() + ": no column '" + column + "' (\"required\")" + did_you_mean(column, columns) +
                                          " (columns: " + join(columns, ", ") + ")");
  for (const auto& [key, text] : source.with) fill_id_template("'with' " + key, text, "x");  // checked before any row
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
  // Each cell read once as the value it holds; a column of numbers with one fraction holds doubles throughout
  // (as pandas reads it): 2 next to 2.5 is 2.0, so a batch stacks it. Path columns are made absolute below.
  const auto is_path = [&](const std::string& column) {
    return std::find(source.path_columns.begin(), source.path_columns.end(), column) != source.path_columns.end();
  };
  std::vector<std::vector<Value>> cells(t.columns.size());
  for (size_t column = 0; column < t.columns.size(); ++column) {
    const table::Column& c = t.columns[column];
    if (is_path(c.name)) continue;
    bool numbers = true, fraction = false;
    for (size_t r = 0; r < t.size(); ++r) {
      const Value& v = cells[column].emplace_back(cell_value(c.text.at(r)));
      numbers = numbers && (v.is_null() || v.is<int64_t>() || v.is<double>());
      fraction = fraction || v.is<double>();
    }
    if (numbers && fraction)
      for (Value& v : cells[column])
        if (v.is<int64_t>()) v = Value(static_cast<double>(v.as<int64_t>()));
  }
  std::vector<Sample> out;
  std::set<std::string> seen;
  out.reserve(t.size());
  std::map<std::string, size_t> left_out;  // per required column: rows without it
  size_t rows_left_out = 0;
  for (size_t r = 0; r < t.size(); ++r) {
    bool complete = true;
    for (const std::string& column : source.required) {
      const Value v = cell_value(t.column(column).text.at(r));
      if (is_empty_cell(v)) ++left_out[column], complete = false;
    }
    if (!complete) {
      ++rows_left_out;
      continue;
    }
    Sample s;
    s.origin = t.where(r);
    s.id = id_column.empty() ? std::to_string(t.rows[r]) : std::string(t.column(id_column).text.at(r));
    if (s.id.empty()) throw Error(Errc::kInvalidArgument, s.origin + ": the id column '" + id_column + "' is empty");
    if (!seen.insert(s.id).second) throw Error(Errc::kInvalidArgument, s.origin + ": sample id '" + s.id + "' appears twice");
    for (size_t column = 0; column < t.columns.size(); ++column) {
      const table::Column& c = t.columns[column];
      auto mapped = source.keys.find(c.name);
      const std::string key = mapped != source.keys.end() ? mapped->second : "data." + c.name;
      const std::string_view text = c.text.at(r);
      if (!is_path(c.name)) s.values.set(key, std::move(cells[column][r]));
      else if (!text.empty()) s.values.set(key, absolute_path(base, text));
      else s.values.set(key, Value());  // an empty path cell: null
    }
    for (const auto& [key, text] : source.with) {
      const std::string paired = absolute_path(base, fill_id_template("'with' " + key, text, s.id));
      std::error_code ec;
      if (!fs::exists(paired, ec))
        throw Error(Errc::kIo, "sample '" + s.id + "' (" + s.origin + "): no file '" + paired + "' for '" + key + "' (\"" + text + "\" in 'with')");
      s.values.set(key, paired);
    }
    out.push_back(std::move(s));
  }
  if (rows_left_out > 0) {
    std::string counts;
    for (const auto& [column, count] : left_out) counts += std::string(counts.empty() ? "" : ", ") + std::to_string(count) + " without '" + column + "'";
    log::warn(source.file.string() + ": left out " + std::to_string(rows_left_out) + " of " + std::to_string(t.size()) + " rows with an empty required cell (" +
              counts + ")");
  }
  if (out.empty() && t.size() > 0)
    throw Error(Errc::kInvalidArgument, source.file.string() + ": every row has an empty cell in a \"required\" column (" + join(source.required, ", ") + ")");
  return out;
}

namespace {

// The templates of `source` checked before any file is looked at.
void check_templates(const GlobSource& source, const std::string& pattern) {
  std::vector<std::pair<std::string, std::string>> templates{{"'id'", source.id}};
  for (const auto& [key, text] : source.with) templates.emplace_back("'with' " + key, text);
  for (const auto& [what, text] : templates) {
    fill_template(what, text, "x", "");
    if (text.find("{*}") != std::string::npos && pattern.find('*') == std::string::npos)
      throw Error(Errc::kInvalidArgument, what + " \"" + text + "\": '{*}' is what the pattern's first '*' matched, and '" + source.pattern + "' has none");
  }
}

// The sample of file `f` matching `pattern` (the part of source.pattern after "**/"), its id prefixed by
// `folder` (its sub-folder, "**/" searches).
Sample sample_of(const GlobSource& source, const std::string& pattern, const fs::path& f, const std::string& folder) {
  std::string star;
  glob_match(pattern, f.filename().string(), &star);
  Sample s;
  s.id = (folder.empty() ? "" : folder + "/") + fill_template("'id'", source.id, f, star);
  s.origin = (source.folders ? "folder " : "file ") + f.string();
  s.values.set(source.key, f.string());
  std::error_code ec;
  for (const auto& [key, text] : source.with) {
    const fs::path paired = (f.parent_path() / fill_template("'with' " + key, text, f, star)).lexically_normal();
    if (!fs::exists(paired, ec)) {  // a file, or a folder (a DICOM series)
      if (source.optional.count(key)) continue;
      throw Error(Errc::kIo, "sample '" + s.id + "' (" + s.origin + "): no file '" + paired.string() + "' for '" + key + "' (\"" + text + "\" in 'with')");
    }
    s.values.set(key, paired.string());
  }
  return s;
}

std::string without_deep(const std::string& pattern) { return pattern.rfind("**/", 0) == 0 ? pattern.substr(3) : pattern; }

}  // namespace

std::optional<Sample> glob_sample(const GlobSource& source, const fs::path& file) {
  const std::string pattern = without_deep(source.pattern);
  check_templates(source, pattern);
  if (!glob_match(pattern, file.filename().string())) return std::nullopt;
  return sample_of(source, pattern, file, "");
}

std::vector<Sample> read_glob_source(const GlobSource& source) {
  std::error_code ec;
  if (!fs::is_directory(source.folder, ec))
    throw Error(Errc::kIo, "sample folder '" + source.folder.string() + "' does not exist or is not a folder");
  const bool deep = source.pattern.rfind("**/", 0) == 0;
  const std::string pattern = without_deep(source.pattern);
  check_templates(source, pattern);
  std::vector<fs::path> files;
  auto matches = [&](const fs::directory_entry& e) {
    return (source.folders ? e.is_directory(ec) : e.is_regular_file(ec)) && glob_match(pattern, e.path().filename().string());
  };
  if (deep) {
    for (auto it = fs::recursive_directory_iterator(source.folder, ec); it != fs::recursive_directory_iterator(); it.increment(ec))
      if (matches(*it)) {
        files.push_back(it->path());
        if (source.folders) it.disable_recursion_pending();  // a series' own sub-folders are not other samples
      }
  } else {
    for (const auto& e : fs::directory_iterator(source.folder, ec))
      if (matches(e)) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty())
    throw Error(Errc::kIo, std::string("no ") + (source.folders ? "folder" : "file") + " in '" + source.folder.string() + "' matches '" + source.pattern + "'");
  std::vector<Sample> out;
  std::map<std::string, fs::path> ids;
  for (const fs::path& f : files) {
    Sample s = sample_of(source, pattern, f, deep ? fs::relative(f, source.folder).parent_path().string() : "");
    if (auto [it, inserted] = ids.emplace(s.id, f); !inserted)
      throw Error(Errc::kInvalidArgument, "files '" + it->second.string() + "' and '" + f.string() + "' have the same sample id '" + s.id + "'");
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Sample> read_datalist_source(const DatalistSource& source) {
  const json::Document d = json::Document::load(source.file);
  const fs::path base = fs::absolute(source.file).parent_path();
  const bj::value* section = d.root().is_object() ? d.root().as_object().if_contains(source.section) : nullptr;
  if (section == nullptr || !section->is_array()) {
    std::vector<std::string> lists;
    if (d.root().is_object())
      for (const auto& m : d.root().as_object())
        if (m.value().is_array()) lists.push_back(std::string(m.key()));
    throw Error(Errc::kKeyNotFound, d.location("") + ": no list '" + source.section + "'" + did_you_mean(source.section, lists) +
                                        (lists.empty() ? " (the file holds no list)" : " (its lists: " + join(lists, ", ") + ")"));
  }
  std::vector<Sample> out;
  std::map<std::string, std::string> seen;  // id -> origin
  const bj::array& entries = section->as_array();
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string pointer = json::child_pointer(json::child_pointer("", source.section), i);
    Sample s;
    s.origin = "entry " + std::to_string(i + 1) + " of '" + source.section + "' in " + d.location(pointer);
    std::string first_path;
    const auto key_of = [&](const std::string& field) {
      const auto mapped = source.keys.find(field);
      return mapped != source.keys.end() ? mapped->second : "data." + field;
    };
    if (entries[i].is_string()) {
      first_path = absolute_path(base, entries[i].as_string());
      s.values.set(key_of("image"), first_path);
    } else if (entries[i].is_object()) {
      for (const auto& field : entries[i].as_object()) {
        const std::string name(field.key());
        const std::string key = key_of(name);
        const bj::value& v = field.value();
        const bool is_path = std::find(source.path_fields.begin(), source.path_fields.end(), name) != source.path_fields.end();
        if (is_path && v.is_string()) {
          const std::string path = absolute_path(base, v.as_string());
          s.values.set(key, path);
          if (first_path.empty()) first_path = path;
        } else if (is_path && v.is_array() && !v.as_array().empty() && std::all_of(v.as_array().begin(), v.as_array().end(), [](const bj::value& p) { return p.is_string(); })) {
          for (size_t k = 0; k < v.as_array().size(); ++k) s.values.set(key + "." + std::to_string(k), absolute_path(base, v.as_array()[k].as_string()));
          if (first_path.empty()) first_path = s.values.get<std::string>(key + ".0");
        } else if (v.is_int64() || v.is_uint64()) {
          s.values.set(key, v.to_number<int64_t>());
        } else if (v.is_double()) {
          s.values.set(key, v.as_double());
        } else if (v.is_bool()) {
          s.values.set(key, v.as_bool());
        } else if (v.is_string()) {
          s.values.set(key, std::string(v.as_string()));
        } else if (v.is_null()) {
          s.values.set(key, Value());
        } else {
          throw Error(Errc::kInvalidArgument, d.location(json::child_pointer(pointer, name)) + ": field '" + name + "' of " + "entry " + std::to_string(i + 1) +
                                                  " of '" + source.section + "' is " + (v.is_array() ? "an array" : "an object") +
                                                  (is_path ? " (a path field holds a path or an array of paths)" : " (fields hold numbers, text, or with 'paths' paths)"));
        }
      }
      if (const bj::value* id = entries[i].as_object().if_contains("id"); id != nullptr) s.id = id->is_string() ? std::string(id->as_string()) : bj::serialize(*id);
    } else {
      throw Error(Errc::kInvalidArgument, d.location(pointer) + ": entry " + std::to_string(i + 1) + " of '" + source.section +
                                              "' is neither an object of fields nor a path");
    }
    if (s.id.empty()) s.id = first_path.empty() ? std::to_string(i + 1) : file_stem(first_path);
    if (auto [it, inserted] = seen.emplace(s.id, s.origin); !inserted)
      throw Error(Errc::kInvalidArgument, s.origin + ": sample id '" + s.id + "' is also that of " + it->second + " (give each entry an \"id\")");
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

std::set<std::string> keys_repeating_id(const std::vector<Sample>& samples) {
  std::set<std::string> out;
  if (samples.empty()) return out;
  for (const auto& [key, value] : samples.front().values.flatten())
    if (value->is<std::string>() && value->as<std::string>() == samples.front().id) out.insert(key);
  for (const Sample& s : samples)
    for (auto it = out.begin(); it != out.end();) {
      const Value* v = s.values.find(*it);
      it = v != nullptr && v->is<std::string>() && v->as<std::string>() == s.id ? std::next(it) : out.erase(it);
    }
  return out;
}

}  // namespace fuse::data
