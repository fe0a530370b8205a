// Running a metric of metrics_core on a batch written as JSON.
#ifndef FUSE_PLUGINS_METRICS_CORE_TEST_METRIC_TEST_UTIL_H_
#define FUSE_PLUGINS_METRICS_CORE_TEST_METRIC_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "test_support.h"

namespace fuse::testing {

// Creates metric `id` with `config`, updates it with `batch` and computes.
NDict compute_metric(const std::string& id, const std::string& config, const NDict& batch);
// Label maps of one shape under "p" (prediction) and "y" (target).
NDict label_maps(const std::vector<int64_t>& pred, const std::vector<int64_t>& target, const std::vector<int64_t>& shape);
double metric_value(const std::string& id, const std::string& config, const std::string& batch, const std::string& key);

}  // namespace fuse::testing

#endif  // FUSE_PLUGINS_METRICS_CORE_TEST_METRIC_TEST_UTIL_H_
