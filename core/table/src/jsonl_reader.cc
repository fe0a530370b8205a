// JSON lines: one object per line; nested objects and arrays are flattened to dotted names ("probs.0").
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

#include <boost/json/serialize.hpp>

#include "fuse/base/error.h"
#include "fuse/json/parse.h"
#include "readers.h"

namespace fuse::table {
namespace {

namespace bj = boost::json;

void flatten(const bj::value& v, const std::string& prefix, std::vector<std::pair<std::string, const bj::value*>>& out) {
  if (v.is_object()) {
    for (const auto& m : v.as_object()) flatten(m.value(), prefix.empty() ? std::string(m.key()) : prefix + "." + std::string(m.key()), out);
  } else if (v.is_array()) {
    const bj::array& a = v.as_array();
    for (size_t i = 0; i < a.size(); ++i) flatten(a[i], prefix + "." + std::to_string(i), out);
  } else {
    out.emplace_back(prefix, &v);
  }
}

class JsonlReader : public Reader {
 public:
  explicit JsonlReader(const std::filesystem::path& path) : Reader(path), in_(path, std::ios::binary) {
    if (!in_) throw Error(Errc::kIo, "cannot open '" + path.string() + "': " + std::strerror(errno));
    // The first object's keys are the columns; its values are kept for the first read.
    while (std::getline(in_, first_line_)) {
      ++line_;
      if (first_line_.find_first_not_of(" \t\r") != std::string::npos) break;
    }
    if (first_line_.find_first_not_of(" \t\r") == std::string::npos)
      throw Error(Errc::kInvalidArgument, path.string() + ": empty file (no JSON object)");
    bj::value v = parse(first_line_);
    std::vector<std::pair<std::string, const bj::value*>> fields;
    flatten(v, "", fields);
    for (auto& [name, value] : fields) columns_.push_back(name);
    pending_first_ = true;
  }

  bool read(Table& out) override {
    prepare(out);
    const size_t before = out.size();
    size_t bytes = 0;
    std::string line;
    constexpr size_t kBlock = 1 << 20;
    while (bytes < kBlock) {
      if (pending_first_) {
        line = std::move(first_line_);
        pending_first_ = false;
      } else if (std::getline(in_, line)) {
        ++line_;
      } else {
        break;
      }
      bytes += line.size() + 1;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      add_row(parse(line), out);
    }
    return out.size() > before;
  }

 private:
  bj::value parse(const std::string& text) {
    bj::error_code ec;
    bj::value v = json::parse_exact(text, ec);
    if (ec) throw Error(Errc::kInvalidArgument, path_.string() + ":" + std::to_string(line_) + ": invalid JSON: " + ec.message());
    if (!v.is_object())
      throw Error(Errc::kInvalidArgument, path_.string() + ":" + std::to_string(line_) + ": each line must be a JSON object");
    return v;
  }

  void add_row(const bj::value& v, Table& out) {
    std::vector<std::pair<std::string, const bj::value*>> fields;
    flatten(v, "", fields);
    ++row_;
    std::vector<const bj::value*> values(requests_.size(), nullptr);
    for (auto& [name, value] : fields)
      for (size_t r = 0; r < requests_.size(); ++r)
        if (requests_[r].name == name) values[r] = value;
    for (size_t r = 0; r < requests_.size(); ++r) {
      Column& c = out.columns[r];
      const bj::value* x = values[r];
      if (x == nullptr || x->is_null()) {
        store_field(c, "", out, row_, error_);  // missing: NaN or empty text
      } else if (c.kind == Kind::kNumber && x->is_number()) {
        c.numbers.push_back(x->to_number<double>());
      } else if (c.kind == Kind::kNumber && x->is_bool()) {
        c.numbers.push_back(x->as_bool() ? 1.0 : 0.0);
      } else if (x->is_string()) {
        store_field(c, std::string_view(x->as_string().data(), x->as_string().size()), out, row_, error_);
      } else {
        store_field(c, bj::serialize(*x), out, row_, error_);
      }
    }
    out.rows.push_back(row_);
    if (!error_.empty()) throw Error(Errc::kInvalidArgument, error_);
  }

  std::ifstream in_;
  std::string first_line_;
  bool pending_first_ = false;
  int64_t line_ = 0;
  int64_t row_ = 0;
  std::string error_;
};

}  // namespace

std::unique_ptr<Reader> open_jsonl(const std::filesystem::path& path) { return std::make_unique<JsonlReader>(path); }

}  // namespace fuse::table
