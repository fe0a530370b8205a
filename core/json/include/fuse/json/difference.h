// Where two JSON values first differ, as a dotted path: e.g. whether a run's recorded configuration is the one an
// experiment file gives now. Objects compare by key whatever their order; numbers by value (1 equals 1.0).
#ifndef FUSE_JSON_DIFFERENCE_H_
#define FUSE_JSON_DIFFERENCE_H_

#include <string>

#include <boost/json/value.hpp>

namespace fuse::json {

struct Difference {
  bool same = true;
  std::string path;  // dotted, array items by index; "" for the values themselves
  // The values that differ there, inside the values compared (null: absent on that side).
  const boost::json::value* a = nullptr;
  const boost::json::value* b = nullptr;
};
// The first place where `a` and `b` differ ("data.static.3.spacing", under the prefix `path`): keys in sorted
// order, array items in order; a key or item only one side has is a difference there.
Difference first_difference(const boost::json::value& a, const boost::json::value& b, const std::string& path = "");

}  // namespace fuse::json

#endif  // FUSE_JSON_DIFFERENCE_H_
