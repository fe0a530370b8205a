#include "metric_test_util.h"

namespace fuse::testing {

NDict compute_metric(const std::string& id, const std::string& config, const NDict& batch) {
  Metric m = built_plugins().create_metric(id, json_object(config));
  m.update(batch);
  return m.compute();
}

double metric_value(const std::string& id, const std::string& config, const std::string& batch, const std::string& key) {
  return compute_metric(id, config, sample64(batch)).get<double>(key);
}

}  // namespace fuse::testing
