#include "label_regions.h"

#include <algorithm>
#include <exception>
#include <set>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"

namespace fuse::apps {

LabelRegions parse_regions(const std::string& text, std::vector<std::string>* names) {
  LabelRegions regions;
  for (std::string_view part : split(text, ';')) {
    const std::string region = "region " + std::to_string(regions.size() + 1) + " ('" + std::string(part) + "')";
    if (const size_t eq = part.find('='); eq != std::string_view::npos) {
      const std::string name(trim(part.substr(0, eq)));
      if (names == nullptr) throw Error(Errc::kInvalidArgument, region + ": regions are not named here; give their labels only, e.g. 1,2,3;2,3;3");
      if (name.empty()) throw Error(Errc::kInvalidArgument, region + ": the name before '=' is empty; e.g. whole tumour=1,2,3");
      if (std::find(names->begin(), names->end(), name) != names->end())
        throw Error(Errc::kInvalidArgument, region + ": the name '" + name + "' is given to an earlier region too; each region's name is its own");
      names->push_back(name);
      part = part.substr(eq + 1);
    } else if (names != nullptr) {
      names->emplace_back();
    }
    std::vector<int64_t> labels;
    for (const std::string_view label : split(part, ',')) {
      const std::string l(trim(label));
      size_t used = 0;
      long long v = -1;
      try {
        v = std::stoll(l, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (l.empty() || used != l.size() || v < 1)
        throw Error(Errc::kInvalidArgument, region + ": '" + l + "' is not a label of 1 or more; give each region's labels with ',' and ';' between "
                                                "regions, e.g. 1,2,3;2,3;3");
      labels.push_back(v);
    }
    regions.push_back(std::move(labels));
  }
  return regions;
}

std::vector<int64_t> region_class_order(const LabelRegions& regions, const std::string& option) {
  std::vector<int64_t> order;
  for (size_t r = 0; r < regions.size(); ++r) {
    std::set<int64_t> own(regions[r].begin(), regions[r].end());
    for (size_t later = r + 1; later < regions.size(); ++later)
      for (int64_t l : regions[later]) own.erase(l);
    if (own.size() != 1) {
      std::vector<std::string> labels;
      for (int64_t l : own) labels.push_back(std::to_string(l));
      throw Error(Errc::kInvalidArgument, "region " + std::to_string(r + 1) + " has " +
                                              (own.empty() ? std::string("no label of its own") : "labels " + join(labels, ", ") + " of its own") +
                                              " (held by no later region), so the label its voxels get is not clear: give each region's with " + option +
                                              " (nnU-Net's regions_class_order, e.g. 1,2,3)");
    }
    order.push_back(*own.begin());
  }
  return order;
}

}  // namespace fuse::apps
