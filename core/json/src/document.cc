#include "fuse/json/document.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

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
  std::optional<size_t> offset = locate(text_, pointer);
  if (!offset) return source_;
  const Position p = position_of(text_, *offset);
  return source_ + ":" + std::to_string(p.line) + ":" + std::to_string(p.column);
}

}  // namespace fuse::json
