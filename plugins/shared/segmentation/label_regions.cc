#include "label_regions.h"

namespace fuse::segmentation {

using sdk::fail;

namespace {

// "a string", "an int": a value type with its article.
std::string a_type(fm_value_type t) {
  const std::string name = sdk::value_type_name(t);
  return (std::string("aeiou").find(name[0]) == std::string::npos ? "a " : "an ") + name;
}

}  // namespace

Regions read_regions(const sdk::DictView& config, const std::string& key) {
  Regions regions;
  const fm_value_type type = config.type(key);
  if (type == FM_VALUE_MISSING || type == FM_VALUE_NULL) return regions;
  const std::string example = " (e.g. [[1, 2, 3], [2, 3], 3])";
  if (type != FM_VALUE_LIST)
    fail(FM_ERR_INVALID_ARGUMENT, "'" + key + "' must be a list of regions, each a label or a list of labels" + example + ", got " + a_type(type));
  const size_t n = config.list_length(key);
  if (n == 0) fail(FM_ERR_INVALID_ARGUMENT, "'" + key + "' is empty: list at least one region, each a label or a list of labels" + example);
  for (size_t r = 0; r < n; ++r) {
    const std::string at = key + "." + std::to_string(r), which = "region " + std::to_string(r + 1) + " of '" + key + "'";
    std::vector<int64_t> labels;
    const fm_value_type t = config.type(at);
    if (t == FM_VALUE_INT) labels.push_back(config.get_int(at));
    else if (t == FM_VALUE_LIST)
      for (size_t i = 0, m = config.list_length(at); i < m; ++i) {
        if (config.type(at + "." + std::to_string(i)) != FM_VALUE_INT)
          fail(FM_ERR_INVALID_ARGUMENT, which + " must list integer labels, got " + a_type(config.type(at + "." + std::to_string(i))));
        labels.push_back(config.get_int(at + "." + std::to_string(i)));
      }
    else
      fail(FM_ERR_INVALID_ARGUMENT, which + " must be a label or a list of labels, got " + a_type(t));
    if (labels.empty()) fail(FM_ERR_INVALID_ARGUMENT, which + " lists no label");
    if (labels.size() > kMaxRegionLabels)
      fail(FM_ERR_INVALID_ARGUMENT, which + " lists " + std::to_string(labels.size()) + " labels; at most " + std::to_string(kMaxRegionLabels));
    for (int64_t l : labels)
      if (l < 1) fail(FM_ERR_INVALID_ARGUMENT, which + " holds label " + std::to_string(l) + "; regions are made of labels 1, 2, ... (the background, 0, is none's)");
    regions.push_back(std::move(labels));
  }
  return regions;
}

std::string regions_text(const Regions& regions) {
  std::string out = "[";
  for (size_t r = 0; r < regions.size(); ++r) {
    out += r ? ", [" : "[";
    for (size_t i = 0; i < regions[r].size(); ++i) out += (i ? ", " : "") + std::to_string(regions[r][i]);
    out += "]";
  }
  return out + "]";
}

}  // namespace fuse::segmentation
