// Output paths named by a sample: "out/{data.sample_id}.png" with each {key} replaced by the sample's string or
// int there (the writing ops' "path").
#ifndef FUSE_SDK_PATH_PATTERN_HPP_
#define FUSE_SDK_PATH_PATTERN_HPP_

#include <string>

#include "fuse_sdk/dict.hpp"
#include "fuse_sdk/error.hpp"

namespace fuse::sdk {

inline std::string expand_path(const std::string& pattern, const DictView& sample) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{') {
      out += pattern[i];
      continue;
    }
    const size_t close = pattern.find('}', i);
    if (close == std::string::npos) fail(FM_ERR_INVALID_ARGUMENT, "'path' opens '{' without closing it: " + pattern);
    const std::string key = pattern.substr(i + 1, close - i - 1);
    switch (sample.type(key)) {
      case FM_VALUE_STRING: out += sample.get_string(key); break;
      case FM_VALUE_INT: out += std::to_string(sample.get_int(key)); break;
      default: fail(FM_ERR_KEY_NOT_FOUND, "'path' uses key '" + key + "', which the sample does not have as a string or int");
    }
    i = close;
  }
  return out;
}

}  // namespace fuse::sdk

#endif  // FUSE_SDK_PATH_PATTERN_HPP_
