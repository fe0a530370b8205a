#include "fuse/train/inference_inputs.h"

#include <map>

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

std::vector<data::Sample> from_files(const std::vector<std::string>& files, const std::string& key) {
  std::vector<data::Sample> samples;
  for (const std::string& file : files) {
    if (!fs::exists(file)) throw Error(Errc::kIo, "--input: no such file or folder '" + file + "'");
    data::Sample s;
    s.id = data::file_stem(fs::path(file).lexically_normal());  // a DICOM series' folder: its whole name
    s.origin = "--input " + file;
    s.values.set(key, fs::absolute(file).lexically_normal().string());
    samples.push_back(std::move(s));
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

void leave_out_empty(const std::vector<std::string>& keys, NDict& sample) {
  for (const std::string& key : keys)
    if (const Value* v = sample.find(key); v != nullptr && data::is_empty_cell(*v)) sample.erase(key);
}

std::vector<data::Sample> read_inference_inputs(const InferenceInputs& in, const Experiment& e) {
  const int kinds = !in.files.empty() + !in.folder.empty() + !in.table.empty();
  if (kinds != 1) throw Error(Errc::kInvalidArgument, "give the inputs one way: --input FILE (repeatable), --folder DIR or --table FILE");
  if (!in.files.empty()) return from_files(in.files, e.inference.input_key);
  const std::string option = !in.folder.empty() ? "--folder" : "--table";
  std::vector<data::Sample> samples;
  try {
    if (!in.folder.empty()) {
      if (!fs::is_directory(in.folder)) throw Error(Errc::kIo, "no such folder '" + in.folder.string() + "'");
      data::GlobSource g;
      g.folder = in.folder;
      g.pattern = in.pattern;
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
