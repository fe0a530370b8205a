#include "fuse/json/document.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include <boost/json/serialize.hpp>

#include "fuse/base/error.h"
#include "fuse/json/parse.h"

namespace fuse::json {

Position position_of(std::string_view text, size_t offset) {
  Position p;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

std::string escape_token(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string child_pointer(std::string_view parent, std::string_view key) {
  return std::string(parent) + "/" + escape_token(key);
}

std::string child_pointer(std::string_view parent, size_t index) {
  return std::string(parent) + "/" + std::to_string(index);
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw_error(Errc::kIo, "cannot open '" + file.string() + "': " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw_error(Errc::kIo, "cannot read '" + file.string() + "'");
  return buffer.str();
}

Document Document::parse(std::string text, std::string source) {
  boost::json::parse_options options;
  options.allow_comments = true;
  options.allow_trailing_commas = true;
  boost::json::error_code ec;
  size_t consumed = 0;
  boost::json::value root = parse_exact(text, ec, &consumed, options);
  if (ec) {
    // write_some stops at the offending character; finish() fails at the end of an incomplete text.
    const Position p = position_of(text, consumed < text.size() ? consumed : text.size());
    throw_error(Errc::kConfig, source + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) +
                                   ": invalid JSON: " + ec.message());
  }
  Document d;
  d.root_ = std::move(root);
  d.text_ = std::move(text);
  d.source_ = std::move(source);
  return d;
}

Document Document::load(const std::filesystem::path& file) { return parse(read_file(file), file.string()); }

std::string Document::location(std::string_view pointer) const {
  for (const auto& [at, origin] : overrides_)
    if (pointer.substr(0, at.size()) == at && (pointer.size() == at.size() || pointer[at.size()] == '/')) return origin;
  // A value holding set values (a component whose config a --set changed): they are named too, as the error
  // may be theirs.
  std::string within;
  if (!pointer.empty())
    for (const auto& [at, origin] : overrides_)
      if (at.size() > pointer.size() && at.compare(0, pointer.size(), pointer) == 0 && at[pointer.size()] == '/')
        within += (within.empty() ? " (with " : ", ") + origin;
  if (!within.empty()) within += ")";
  std::optional<size_t> offset = locate(text_, pointer);
  if (!offset) return source_ + within;
  const Position p = position_of(text_, *offset);
  return source_ + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + within;
}

void Document::set(std::string_view path, boost::json::value value, const std::string& origin) {
  std::vector<std::string_view> tokens;
  for (size_t start = 0;;) {
    const size_t dot = path.find('.', start);
    tokens.push_back(path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  boost::json::value* at = &root_;
  std::string pointer, walked;  // the pointer, and the dotted path so far (for errors)
  for (const std::string_view token : tokens) {
    if (token.empty()) throw_error(Errc::kInvalidArgument, origin + ": '" + std::string(path) + "' has an empty part (a dotted path like trainer.epochs)");
    if (at->is_null()) *at = boost::json::object();  // a member just added (or null): an object to go on into
    if (boost::json::array* list = at->if_array()) {
      size_t index = 0;
      const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
      if (ec != std::errc() || end != token.data() + token.size())
        throw_error(Errc::kInvalidArgument, origin + ": '" + walked + "' is a list: give an element's index, e.g. " + walked + ".0");
      if (index >= list->size())
        throw_error(Errc::kInvalidArgument, origin + ": '" + walked + "' has " + std::to_string(list->size()) + " element(s)" +
                                                (list->empty() ? "" : " (0 to " + std::to_string(list->size() - 1) + ")"));
      at = &(*list)[index];
      pointer = child_pointer(pointer, index);
    } else if (boost::json::object* object = at->if_object()) {
      at = &(*object)[token];
      pointer = child_pointer(pointer, token);
    } else {
      throw_error(Errc::kInvalidArgument, origin + ": '" + walked + "' is " + boost::json::serialize(*at) + ", not an object or a list");
    }
    walked += (walked.empty() ? "" : ".") + std::string(token);
  }
  *at = std::move(value);
  // Earlier settings at or under this value are gone with it.
  const auto replaced = [&](const std::pair<std::string, std::string>& o) {
    return o.first.compare(0, pointer.size(), pointer) == 0 && (o.first.size() == pointer.size() || o.first[pointer.size()] == '/');
  };
  overrides_.erase(std::remove_if(overrides_.begin(), overrides_.end(), replaced), overrides_.end());
  overrides_.emplace_back(pointer, origin);
}

}  // namespace fuse::json
