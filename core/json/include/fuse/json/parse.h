// Parsing JSON text with every number read exactly. Boost.JSON 1.81 converts decimal text to a double with a
// fast method that misses the nearest double for about one number in five of those printed with 17 significant
// digits, so a value that fuse writes in its shortest exact form (results, predictions, checkpoints) would read
// back changed in its last bit. Here each number with a fraction or an exponent is read with std::from_chars
// (correctly rounded, independent of the locale).
#ifndef FUSE_JSON_PARSE_H_
#define FUSE_JSON_PARSE_H_

#include <cstddef>
#include <string_view>

#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

namespace fuse::json {

// Parses one whole JSON text (whitespace may follow it, nothing else). On invalid JSON `ec` is set, `*consumed`
// (when given) is the offset where parsing stopped, and the result is null.
boost::json::value parse_exact(std::string_view text, boost::json::error_code& ec, size_t* consumed = nullptr,
                               const boost::json::parse_options& options = {});
// The same, throwing boost::system::system_error on invalid JSON, as boost::json::parse does.
boost::json::value parse_exact(std::string_view text, const boost::json::parse_options& options = {});

}  // namespace fuse::json

#endif  // FUSE_JSON_PARSE_H_
