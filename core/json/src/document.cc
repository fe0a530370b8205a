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

namespace {

// Whether `pointer` is `at` or points under it ("/a/b" under "/a"; "/ab" is not).
bool at_or_under(std::string_view pointer, std::string_view at) {
  return pointer.substr(0, at.size()) == at && (pointer.size() == at.size() || pointer[at.size()] == '/');
}

// `over` laid over `base` as a JSON Merge Patch (RFC 7396) does: objects member by member, a null member
// removes the base's, anything else replaces.
void lay_over(boost::json::value& base, const boost::json::value& over) {
  if (!over.is_object()) {
    base = over;
    return;
  }
  if (!base.is_object()) base = boost::json::object();
  for (const auto& m : over.as_object()) {
    if (m.value().is_null()) {
      base.as_object().erase(m.key());
    } else if (boost::json::value* b = base.as_object().if_contains(m.key())) {
      lay_over(*b, m.value());
    } else {
      base.as_object()[m.key()] = boost::json::value();
      lay_over(base.as_object()[m.key()], m.value());  // its own nulls dropped too
    }
  }
}

}  // namespace

Document Document::load(const std::filesystem::path& file, Extends extends) {
  if (extends == Extends::kKeep) return parse(read_file(file), file.string());
  std::vector<std::filesystem::path> chain;
  return load_following(file, chain);
}

Document Document::load_following(const std::filesystem::path& file, std::vector<std::filesystem::path>& chain) {
  Document d = parse(read_file(file), file.string());
  const boost::json::object* root = d.root().if_object();
  const boost::json::value* extends = root != nullptr ? root->if_contains("extends") : nullptr;
  if (extends == nullptr) return d;
  const std::string at = d.location("/extends");
  if (!extends->is_string()) throw_error(Errc::kConfig, at + ": 'extends' must be the name of the file this one builds on, got " + boost::json::serialize(*extends));
  std::filesystem::path base_file(std::string(extends->as_string()));
  if (base_file.is_relative()) base_file = (file.parent_path() / base_file).lexically_normal();
  chain.push_back(std::filesystem::weakly_canonical(file));
  const std::filesystem::path canonical = std::filesystem::weakly_canonical(base_file);
  if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) {
    std::string cycle;
    for (const std::filesystem::path& f : chain) cycle += f.filename().string() + " -> ";
    throw_error(Errc::kConfig, at + ": 'extends' comes back to a file it started from: " + cycle + canonical.filename().string());
  }
  if (!std::filesystem::is_regular_file(base_file)) throw_error(Errc::kConfig, at + ": 'extends': no such file '" + base_file.string() + "'");
  Document base = load_following(base_file, chain);
  chain.pop_back();
  boost::json::value merged = base.root();
  boost::json::value own = d.root();
  own.as_object().erase("extends");
  if (!merged.is_object()) throw_error(Errc::kConfig, at + ": 'extends': '" + base_file.string() + "' holds " + boost::json::serialize(merged).substr(0, 40) + ", not an object");
  lay_over(merged, own);
  d.root_ = std::move(merged);
  d.base_ = std::make_shared<const Document>(std::move(base));
  return d;
}

Document Document::part(std::string_view pointer) const {
  boost::system::error_code ec;
  const boost::json::value* v = root_.find_pointer(pointer, ec);
  if (v == nullptr) throw_error(Errc::kConfig, location("") + ": no value at '" + std::string(pointer) + "'");
  if (base_ != nullptr || !overrides_.empty()) throw_error(Errc::kInternal, source_ + ": a part of a document built from several sources");
  Document d = *this;
  d.prefix_ = prefix_ + std::string(pointer);
  d.root_ = *v;
  return d;
}

bool Document::inherited(std::string_view pointer) const {
  if (base_ == nullptr || locate(text_, prefix_ + std::string(pointer))) return false;
  for (const auto& [at, origin] : overrides_)  // a --set value is the command line's, taken as this file's
    if (at_or_under(pointer, at)) return false;
  boost::system::error_code ec;
  return root_.find_pointer(pointer, ec) != nullptr;
}

std::filesystem::path Document::folder_of(std::string_view pointer) const {
  return inherited(pointer) ? base_->folder_of(pointer) : std::filesystem::path(source_).parent_path();
}

std::string Document::location(std::string_view pointer) const {
  for (const auto& [at, origin] : overrides_)
    if (at_or_under(pointer, at)) return origin;
  // A value holding set values (a component whose config a --set changed): they are named too, as the error
  // may be theirs.
  std::string within;
  if (!pointer.empty())
    for (const auto& [at, origin] : overrides_)
      if (at.size() > pointer.size() && at_or_under(at, pointer))
        within += (within.empty() ? " (with " : ", ") + origin;
  if (!within.empty()) within += ")";
  std::optional<size_t> offset = locate(text_, prefix_ + std::string(pointer));
  if (!offset && base_ != nullptr) return base_->location(pointer) + within;
  if (!offset) return source_ + within;
  const Position p = position_of(text_, *offset);
  return source_ + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + within;
}

void Document::set(std::string_view path, boost::json::value value, const std::string& origin) {
  // A dotted path, or a JSON pointer (RFC 6901) for members whose names hold dots: /data/source/with/data.mask.
  const bool as_pointer = !path.empty() && path[0] == '/';
  const char separator = as_pointer ? '/' : '.';
  std::vector<std::string> tokens;
  for (size_t start = as_pointer ? 1 : 0;;) {
    const size_t end = path.find(separator, start);
    std::string token(path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (as_pointer)
      for (size_t at = 0; (at = token.find('~', at)) != std::string::npos; ++at)  // ~1 is '/', ~0 is '~'
        if (at + 1 < token.size() && (token[at + 1] == '0' || token[at + 1] == '1')) token.replace(at, 2, token[at + 1] == '1' ? "/" : "~");
    tokens.push_back(std::move(token));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  boost::json::value* at = &root_;
  std::string pointer, walked;  // the pointer, and the path so far as given (for errors)
  for (const std::string& token : tokens) {
    if (token.empty())
      throw_error(Errc::kInvalidArgument, origin + ": '" + std::string(path) + "' has an empty part (a dotted path like trainer.epochs, or a JSON pointer "
                                                                                  "like /data/source/with/data.mask)");
    if (at->is_null()) *at = boost::json::object();  // a member just added (or null): an object to go on into
    if (boost::json::array* list = at->if_array()) {
      size_t index = 0;
      const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
      if (ec != std::errc() || end != token.data() + token.size())
        throw_error(Errc::kInvalidArgument, origin + ": '" + walked + "' is a list: give an element's index, e.g. " + walked + separator + "0");
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
    walked += (walked.empty() && !as_pointer ? std::string() : std::string(1, separator)) + token;
  }
  *at = std::move(value);
  // Earlier settings at or under this value are gone with it.
  const auto replaced = [&](const std::pair<std::string, std::string>& o) { return at_or_under(o.first, pointer); };
  overrides_.erase(std::remove_if(overrides_.begin(), overrides_.end(), replaced), overrides_.end());
  overrides_.emplace_back(pointer, origin);
}

}  // namespace fuse::json
