// Checking a component's config against the schema in its manifest.
#ifndef FUSE_MANIFEST_CONFIG_SCHEMA_H_
#define FUSE_MANIFEST_CONFIG_SCHEMA_H_

#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "fuse/manifest/manifest.h"

namespace fuse {

// Checks `config` (types, ranges, allowed values; unknown keys are rejected with a "did you mean") and returns
// it with every default filled in. Errors are ConfigError whose pointer locates the value inside `config`.
boost::json::object resolve_config(const ComponentManifest& component, const boost::json::object& config);

// The keys named by `specs` under a resolved config ("$field" replaced by the field's key or keys), each with
// the spec it came from.
std::vector<std::pair<std::string, const KeySpec*>> resolve_keys(const std::vector<KeySpec>& specs,
                                                                 const boost::json::object& resolved);

// True when `key` is a usable dotted key: non-empty segments of printable characters without spaces.
bool is_valid_key(std::string_view key);

}  // namespace fuse

#endif  // FUSE_MANIFEST_CONFIG_SCHEMA_H_
