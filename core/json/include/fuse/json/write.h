// Writing JSON text for people: numbers in their shortest form (0.1, not 1E-1) and optional indentation.
// Boost.JSON's serializer is exact but prints doubles in exponent form and has no pretty printing.
#ifndef FUSE_JSON_WRITE_H_
#define FUSE_JSON_WRITE_H_

#include <string>

#include <boost/json/value.hpp>

namespace fuse::json {

struct WriteOptions {
  int indent = 0;  // spaces per level; 0 writes one line
};

// JSON text; doubles keep a decimal point (1.0) so they read back as doubles; NaN and infinities are written as
// null, since JSON has no such numbers.
std::string to_text(const boost::json::value& value, const WriteOptions& options = {});

// The shortest decimal text of a number, without a forced decimal point: 0, 2.5, 1e-08.
std::string format_number(double value);

}  // namespace fuse::json

#endif  // FUSE_JSON_WRITE_H_
