#include "fuse/train/inference_inputs.h"

#include <algorithm>
#include <map>
#include <optional>

#include "fuse/base/error.h"

namespace fuse::train {

namespace fs = std::filesystem;
namespace bj = boost::json;

namespace {

// The training source's object ("data.source") when it is of `kind` ("table", "datalist"), else null.
const bj::object* training_source(const Experiment& e, const char* kind) {
  if (!e.resolved.is_object()) return nullptr;
  const bj::value* data = e.resolved.as_object().if_contains("data");
  const bj::value* source = data && data->is_object() ? data->as_object().if_contains("source") : nullptr;
  return source && source->is_object() && source->as_object().contains(kind) ? &source->as_object() : nullptr;
}

std::map<std::string, std::string> keys_of(const bj::object& source) {
  std::map<std::string, std::string> keys;
  if (const bj::value* k = source.if_contains("keys"); k && k->is_object())
    for (const auto& m : k->as_object())
      if (m.value().is_string()) keys[std::string(m.key())] = std::string(m.value().as_string());
  return keys;
}

std::vector<std::string> strings_of(const bj::object& source, const char* field) {
  std::vector<std::string> out;
  if (const bj::value* v = source.if_contains(field); v && v->is_array())
    for (const bj::value& s : v->as_array())
      if (s.is_string()) out.emplace_back(s.as_string());
  return out;
}

bool ends_with(const std::string& s, const std::string& end) { return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0; }

// Whether `key` is named by a value of `v` (a step's config): the keys an inference step reads.
bool names_key(const bj::value& v, const std::string& key) {
  if (v.is_string()) return v.as_string() == key;
  if (v.is_array()) return std::any_of(v.as_array().begin(), v.as_array().end(), [&](const bj::value& x) { return names_key(x, key); });
  if (v.is_object()) return std::any_of(v.as_object().begin(), v.as_object().end(), [&](const auto& m) { return names_key(m.value(), key); });
  return false;
}

// The training source when it was a folder's files with paired files (nnU-Net's imagesTr/la_003_0000.nii.gz
// with its _0001 channel and ../labelsTr/la_003.nii.gz): its pattern, ids and pairs find a test folder's, or an
// input's, paired files. A paired key that no inference step names (the labels) may be missing.
std::optional<data::GlobSource> paired_source(const Experiment& e) {
  const bj::object* trained = training_source(e, "folder");
  const bj::value* with = trained ? trained->if_contains("with") : nullptr;
  if (with == nullptr || !with->is_object() || with->as_object().empty()) return std::nullopt;
  const auto text = [&](const char* field, const char* otherwise) {
    const bj::value* v = trained->if_contains(field);
    return v && v->is_string() ? std::string(v->as_string()) : std::string(otherwise);
  };
  data::GlobSource g;
  g.pattern = text("pattern", "*");
  g.key = e.inference.input_key;
  g.id = text("id", "{stem}");
  g.folders = text("match", "files") == "folders";
  for (const auto& m : with->as_object()) {
    if (!m.value().is_string()) continue;
    const std::string key(m.key());
    g.with.emplace_back(key, std::string(m.value().as_string()));
    bool named = false;
    for (const data::Step& step : e.inference.steps)
      for (const bj::object& config : step.run_configs()) named = named || names_key(config, key);
    if (!named) g.optional.insert(key);
  }
  return g;
}

// nnU-Net's test folder imagesTs keeps its cases' labels, when it has them, in labelsTs: a pair that training found
// in ../labelsTr is looked for there, so `fuse infer --folder imagesTs` scores the cases against them.
void pair_test_labels(data::GlobSource& g, const fs::path& input_folder) {
  const fs::path folder = input_folder.filename().empty() ? input_folder.parent_path() : input_folder;  // "imagesTs/"
  if (folder.filename() != "imagesTs") return;
  for (auto& [key, pattern] : g.with)
    if (pattern.rfind("../labelsTr/", 0) == 0) pattern = "../labelsTs/" + pattern.substr(12);
}

// The paired keys an input must bring: those the inference steps name ("data.t2"), "" when none.
std::string needed_pairs(const data::GlobSource& g) {
  std::string keys;
  for (const auto& [key, text] : g.with)
    if (!g.optional.count(key)) keys += (keys.empty() ? "'" : ", '") + key + "' (\"" + text + "\")";
  return keys;
}

std::vector<data::Sample> from_files(const std::vector<std::string>& files, const Experiment& e) {
  std::vector<data::Sample> samples;
  for (const std::string& file : files) {
    if (!fs::exists(file)) throw Error(Errc::kIo, "--input: no such file or folder '" + file + "'");
    try {
      samples.push_back(input_file_sample(file, e));
    } catch (const Error& x) {
      throw Error(x.code(), "--input " + file + ": " + x.what());
    }
    samples.back().origin = "--input " + file;
  }
  return samples;
}

std::vector<data::Sample> from_table(const InferenceInputs& in, const Experiment& e) {
  const std::string file = in.table.string();
  if (!fs::is_regular_file(in.table)) throw Error(Errc::kIo, "no such file '" + file + "'");
  if (ends_with(file, ".json")) {
    data::DatalistSource l;
    l.file = in.table;
    l.section = in.section;
    if (const bj::object* trained = training_source(e, "datalist")) {
      l.keys = keys_of(*trained);
      if (trained->contains("paths")) l.path_fields = strings_of(*trained, "paths");
    }
    std::vector<data::Sample> samples = data::read_datalist_source(l);
    for (data::Sample& s : samples)  // the Decathlon's "test" entries are paths alone, under data.image
      if (!s.values.has(e.inference.input_key) && s.values.has("data.image") && s.values.at("data.image").is<std::string>()) {
        s.values.set(e.inference.input_key, s.values.get<std::string>("data.image"));
        s.values.erase("data.image");
      }
    return samples;
  }
  data::TableSource t;
  t.file = in.table;
  const bj::object* trained = training_source(e, "table");
  if (trained != nullptr) {
    t.keys = keys_of(*trained);
    t.path_columns = strings_of(*trained, "paths");
    if (const bj::value* id = trained->if_contains("id_column"); id && id->is_string()) t.id_column = std::string(id->as_string());
  }
  return data::read_table_source(t);
}

}  // namespace

std::vector<std::string> required_keys(const Experiment& e) {
  std::vector<std::string> keys;
  if (const bj::object* trained = training_source(e, "table")) {
    const std::map<std::string, std::string> mapped = keys_of(*trained);
    for (const std::string& column : strings_of(*trained, "required")) {
      const auto k = mapped.find(column);
      keys.push_back(k != mapped.end() ? k->second : "data." + column);
    }
  }
  return keys;
}

std::vector<std::string> keys_inputs_may_lack(const Experiment& e) {
  std::vector<std::string> keys = required_keys(e);
  if (const std::optional<data::GlobSource> paired = paired_source(e)) keys.insert(keys.end(), paired->optional.begin(), paired->optional.end());
  return keys;
}

void leave_out_empty(const std::vector<std::string>& keys, NDict& sample) {
  for (const std::string& key : keys)
    if (const Value* v = sample.find(key); v != nullptr && data::is_empty_cell(*v)) sample.erase(key);
}

data::Sample input_file_sample(const std::string& file, const Experiment& e) {
  const fs::path path = fs::absolute(file).lexically_normal();
  if (std::optional<data::GlobSource> paired = paired_source(e)) {  // its paired files, found as in training
    pair_test_labels(*paired, path.parent_path());
    if (std::optional<data::Sample> s = data::glob_sample(*paired, path)) return *s;
    if (const std::string needed = needed_pairs(*paired); !needed.empty())
      throw Error(Errc::kInvalidArgument, "the bundle reads each input with its paired files " + needed + ", found from a file matching '" + paired->pattern +
                                              "' as in training; '" + path.filename().string() + "' does not match it");
  }
  data::Sample s;
  s.id = data::file_stem(path);  // a DICOM series' folder: its whole name
  s.origin = file;
  s.values.set(e.inference.input_key, path.string());
  return s;
}

std::vector<data::Sample> read_inference_inputs(const InferenceInputs& in, const Experiment& e) {
  const int kinds = !in.files.empty() + !in.folder.empty() + !in.table.empty();
  if (kinds != 1) throw Error(Errc::kInvalidArgument, "give the inputs one way: --input FILE (repeatable), --folder DIR or --table FILE");
  if (!in.files.empty()) return from_files(in.files, e);
  const std::string option = !in.folder.empty() ? "--folder" : "--table";
  std::vector<data::Sample> samples;
  try {
    if (!in.folder.empty()) {
      if (!fs::is_directory(in.folder)) throw Error(Errc::kIo, "no such folder '" + in.folder.string() + "'");
      const std::optional<data::GlobSource> paired = paired_source(e);
      data::GlobSource g;
      if (paired && paired->folders == in.folders) g = *paired;  // each input with its paired files, as in training
      g.folder = in.folder;
      pair_test_labels(g, fs::absolute(in.folder).lexically_normal());
      g.pattern = !in.pattern.empty() ? in.pattern : paired && paired->folders == in.folders ? paired->pattern : "*";
      g.key = e.inference.input_key;
      g.folders = in.folders;
      samples = data::read_glob_source(g);
    } else {
      samples = from_table(in, e);
      if (samples.empty())
        throw Error(Errc::kIo, "no samples in " + (ends_with(in.table.string(), ".json") ? "section '" + in.section + "' of " : std::string()) + "'" +
                                   in.table.string() + "'");
    }
  } catch (const Error& x) {
    throw Error(x.code(), option + ": " + x.what());
  }
  return samples;
}

}  // namespace fuse::train
