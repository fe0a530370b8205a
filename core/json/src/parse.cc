#include "fuse/json/parse.h"

#include <charconv>
#include <string>
#include <system_error>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

namespace fuse::json {
namespace {

namespace bj = boost::json;

// Builds the value as Boost.JSON's own parser does (a value_stack), but reads doubles from their text.
class ExactHandler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  bj::value_stack stack;

  bool on_document_begin(bj::error_code&) {
    stack.reset();
    return true;
  }
  bool on_document_end(bj::error_code&) { return true; }
  bool on_object_begin(bj::error_code&) { return true; }
  bool on_object_end(std::size_t n, bj::error_code&) {
    stack.push_object(n);
    return true;
  }
  bool on_array_begin(bj::error_code&) { return true; }
  bool on_array_end(std::size_t n, bj::error_code&) {
    stack.push_array(n);
    return true;
  }
  bool on_key_part(bj::string_view s, std::size_t, bj::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_key(bj::string_view s, std::size_t, bj::error_code&) {
    stack.push_key(s);
    return true;
  }
  bool on_string_part(bj::string_view s, std::size_t, bj::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(bj::string_view s, std::size_t, bj::error_code&) {
    stack.push_string(s);
    return true;
  }
  bool on_number_part(bj::string_view s, bj::error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(int64_t i, bj::string_view, bj::error_code&) {
    number_.clear();
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(uint64_t u, bj::string_view, bj::error_code&) {
    number_.clear();
    stack.push_uint64(u);
    return true;
  }
  bool on_double(double d, bj::string_view s, bj::error_code&) {
    number_.append(s.data(), s.size());
    double exact = 0;
    const auto [end, error] = std::from_chars(number_.data(), number_.data() + number_.size(), exact);
    // Out of range (1e400): keep what Boost.JSON made of it.
    stack.push_double(error == std::errc() && end == number_.data() + number_.size() ? exact : d);
    number_.clear();
    return true;
  }
  bool on_bool(bool b, bj::error_code&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(bj::error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(bj::string_view, bj::error_code&) { return true; }
  bool on_comment(bj::string_view, bj::error_code&) { return true; }

 private:
  std::string number_;  // the parts of a number split across writes
};

}  // namespace

bj::value parse_exact(std::string_view text, bj::error_code& ec, size_t* consumed, const bj::parse_options& options) {
  bj::basic_parser<ExactHandler> parser(options);
  size_t n = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && n < text.size()) {
    const size_t rest = text.find_first_not_of(" \t\r\n", n);
    if (rest != std::string_view::npos) {
      n = rest;
      ec = bj::error::extra_data;
    }
  }
  if (consumed != nullptr) *consumed = n;
  if (ec) return nullptr;
  return parser.handler().stack.release();
}

bj::value parse_exact(std::string_view text, const bj::parse_options& options) {
  bj::error_code ec;
  bj::value v = parse_exact(text, ec, nullptr, options);
  if (ec) throw boost::system::system_error(ec);
  return v;
}

}  // namespace fuse::json
