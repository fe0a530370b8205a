#include "metric_test_util.h"

namespace fuse::testing {

NDict compute_metric(const std::string& id, const std::string& config, const NDict& batch) {
  Metric m = built_plugins().create_metric(id, json_object(config));
  m.update(batch);
  return m.compute();
}

NDict label_maps(const std::vector<int64_t>& pred, const std::vector<int64_t>& target, const std::vector<int64_t>& shape) {
  NDict s;
  s.set("p", Tensor::from_vector<int64_t>(pred, shape));
  s.set("y", Tensor::from_vector<int64_t>(target, shape));
  return s;
}

double metric_value(const std::string& id, const std::string& config, const std::string& batch, const std::string& key) {
  return compute_metric(id, config, sample64(batch)).get<double>(key);
}

}  // namespace fuse::testing
