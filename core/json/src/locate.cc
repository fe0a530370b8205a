// Finding where a JSON pointer's value starts in a text. Boost.JSON's SAX parser reports values but not their
// offsets, so the text is fed one byte at a time: when a value begins, the byte being fed is its offset. This
// only runs when an error is reported, on files written by hand, so the cost does not matter.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>

#include "fuse/json/document.h"

namespace fuse::json {
namespace {

class LocateHandler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  explicit LocateHandler(std::string_view target) : target_(target) {}

  // What kind of value the target is: the event that reports it fires at or after its first byte.
  enum class Kind { kContainer, kString, kToken };

  size_t offset = 0;  // of the byte being fed, set by the caller
  std::optional<size_t> found;  // the offset of the event that began the target value
  Kind found_kind = Kind::kContainer;

  bool on_document_begin(boost::json::error_code&) { return true; }
  bool on_document_end(boost::json::error_code&) { return true; }
  bool on_object_begin(boost::json::error_code& ec) { return begin_value(Kind::kContainer, ec) && push(false); }
  bool on_object_end(std::size_t, boost::json::error_code&) { return pop(); }
  bool on_array_begin(boost::json::error_code& ec) { return begin_value(Kind::kContainer, ec) && push(true); }
  bool on_array_end(std::size_t, boost::json::error_code&) { return pop(); }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    key_.append(s.data(), s.size());
    path_.push_back(escape_token(key_));
    key_.clear();
    return true;
  }
  bool on_string_part(boost::json::string_view, std::size_t, boost::json::error_code& ec) {
    return scalar_part(Kind::kString, ec);
  }
  bool on_string(boost::json::string_view, std::size_t, boost::json::error_code& ec) {
    return scalar_end(Kind::kString, ec);
  }
  bool on_number_part(boost::json::string_view, boost::json::error_code& ec) { return scalar_part(Kind::kToken, ec); }
  bool on_int64(int64_t, boost::json::string_view, boost::json::error_code& ec) { return scalar_end(Kind::kToken, ec); }
  bool on_uint64(uint64_t, boost::json::string_view, boost::json::error_code& ec) {
    return scalar_end(Kind::kToken, ec);
  }
  bool on_double(double, boost::json::string_view, boost::json::error_code& ec) { return scalar_end(Kind::kToken, ec); }
  bool on_bool(bool, boost::json::error_code& ec) { return scalar_end(Kind::kToken, ec); }
  bool on_null(boost::json::error_code& ec) { return scalar_end(Kind::kToken, ec); }
  bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }

 private:
  struct Frame {
    bool array;
    size_t count;
  };

  // A value starts: give array elements their index, then compare with the target.
  bool begin_value(Kind kind, boost::json::error_code& ec) {
    if (!frames_.empty() && frames_.back().array) path_.push_back(std::to_string(frames_.back().count));
    std::string pointer;
    for (const std::string& token : path_) pointer += "/" + token;
    if (pointer == target_) {
      found = offset;
      found_kind = kind;
      ec = boost::json::error::exception;  // any error stops the parser: we have the answer
      return false;
    }
    return true;
  }
  // A value ended: drop its path token (key or index).
  bool end_value() {
    if (!frames_.empty()) {
      if (frames_.back().array) ++frames_.back().count;
      path_.pop_back();
    }
    return true;
  }
  bool push(bool array) {
    frames_.push_back(Frame{array, 0});
    return true;
  }
  bool pop() {
    frames_.pop_back();
    return end_value();
  }
  bool scalar_part(Kind kind, boost::json::error_code& ec) {
    if (in_scalar_) return true;
    in_scalar_ = true;
    return begin_value(kind, ec);
  }
  bool scalar_end(Kind kind, boost::json::error_code& ec) {
    if (!in_scalar_ && !begin_value(kind, ec)) return false;
    in_scalar_ = false;
    return end_value();
  }

  std::string target_;
  std::vector<Frame> frames_;
  std::vector<std::string> path_;
  std::string key_;
  bool in_scalar_ = false;
};

// Moves an event offset back to the first byte of the value it reported.
size_t value_start(std::string_view text, size_t event, LocateHandler::Kind kind) {
  size_t pos = std::min(event, text.size() - 1);
  switch (kind) {
    case LocateHandler::Kind::kContainer:
      return pos;
    case LocateHandler::Kind::kString:
      // Back to the opening quote (the first part is reported at or after the first character).
      while (pos > 0 && !(text[pos] == '"' && text[pos - 1] != '\\' && pos != event)) --pos;
      return pos;
    case LocateHandler::Kind::kToken:
      // Numbers and literals: back over the token's characters.
      while (pos > 0 && (std::isalnum(static_cast<unsigned char>(text[pos - 1])) || text[pos - 1] == '-' ||
                         text[pos - 1] == '+' || text[pos - 1] == '.'))
        --pos;
      return pos;
  }
  return pos;
}

}  // namespace

std::optional<size_t> locate(std::string_view text, std::string_view pointer) {
  boost::json::parse_options options;
  options.allow_comments = true;
  options.allow_trailing_commas = true;
  boost::json::basic_parser<LocateHandler> parser(options, pointer);
  LocateHandler& h = parser.handler();
  boost::json::error_code ec;
  for (size_t i = 0; i < text.size(); ++i) {
    h.offset = i;
    parser.write_some(true, text.data() + i, 1, ec);
    if (h.found) return value_start(text, *h.found, h.found_kind);
    if (ec) return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace fuse::json
