// fuse.cuda.gpu_segmentation: on a GPU, every result equals its CPU twin fuse.metrics.segmentation's (random
// multi-class 3D and 2D maps, anisotropic spacing, empty classes, regions, an ignore label); everywhere, bad input is an error naming the
// key and a machine without a GPU says why.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "require_gpu.h"
#include "test_support.h"

namespace fuse {
namespace {

using testing::built_plugins;
using testing::error_of;
using testing::json_object;

// Blobs of classes 1 and 2 (class 3 never appears) with noise, per sample, as int64 and uint8.
NDict label_maps(const std::vector<int64_t>& shape, unsigned seed) {
  std::mt19937 gen(seed);
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  std::vector<int64_t> pred(static_cast<size_t>(n)), target(static_cast<size_t>(n));
  const int64_t x = shape.back();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t cls = (i % x) * 3 / x;  // stripes along x: 0, 1, 2
    target[static_cast<size_t>(i)] = cls;
    pred[static_cast<size_t>(i)] = gen() % 5 == 0 ? static_cast<int64_t>(gen() % 3) : cls;
  }
  std::vector<uint8_t> target8(target.begin(), target.end());
  NDict b;
  b.set("p", Value(Tensor::from_vector<int64_t>(pred, shape)));
  b.set("y", Value(Tensor::from_vector<uint8_t>(target8, shape)));
  return b;
}

NDict compute(const std::string& id, const std::string& config, const NDict& batch) {
  Metric m = built_plugins().create_metric(id, json_object(config));
  m.update(batch);
  return m.compute();
}

// Equal to the last bit, NaN equal to NaN.
void expect_same(const std::vector<double>& gpu, const std::vector<double>& cpu, const std::string& what) {
  ASSERT_EQ(gpu.size(), cpu.size()) << what;
  for (size_t i = 0; i < gpu.size(); ++i) {
    if (std::isnan(cpu[i])) EXPECT_TRUE(std::isnan(gpu[i])) << what << "[" << i << "]";
    else EXPECT_EQ(gpu[i], cpu[i]) << what << "[" << i << "]";
  }
}

TEST(GpuSegmentation, EqualsTheCpuTwin) {
  FUSE_REQUIRE_GPU();
  const std::vector<std::pair<std::vector<int64_t>, std::string>> cases = {
      {{2, 9, 17, 23}, R"("num_classes": 4, "spacing": [2.5, 0.7, 1.1])"},            // 3D, anisotropic
      {{3, 31, 40}, R"("num_classes": 4, "spacing": [1.0, 0.5], "empty_distance": "nan")"},  // 2D
      {{2, 1, 6, 5, 7}, R"("num_classes": 4, "include_background": true)"},            // a channel axis of 1
      {{2, 9, 17, 23}, R"("regions": [[1, 2], 2, [3, 1]], "spacing": [2.5, 0.7, 1.1])"},  // regions: unions of labels
      {{2, 9, 17, 23}, R"("num_classes": 2, "ignore_label": 2, "spacing": [2.5, 0.7, 1.1])"},  // the target's stripe of 2 not annotated
  };
  for (const auto& [shape, extra] : cases) {
    const std::string config = R"({"pred": "p", "target": "y", )" + extra + "}";
    const NDict batch = label_maps(shape, 3);
    const NDict gpu = compute("fuse.cuda.gpu_segmentation", config, batch), cpu = compute("fuse.metrics.segmentation", config, batch);
    for (const char* m : {"dice", "iou", "hd", "hd95", "asd", "nsd"}) {
      expect_same(testing::values<double>(gpu.get<Tensor>(m)), testing::values<double>(cpu.get<Tensor>(m)), m);
      expect_same({gpu.get<double>(std::string("mean_") + m)}, {cpu.get<double>(std::string("mean_") + m)}, std::string("mean_") + m);
    }
    EXPECT_EQ(testing::values<int64_t>(gpu.get<Tensor>("classes")), testing::values<int64_t>(cpu.get<Tensor>("classes")));
  }
}

TEST(GpuSegmentation, ALargeVolumeEqualsTheCpuTwin) {
  FUSE_REQUIRE_GPU();
  const NDict batch = label_maps({1, 64, 96, 80}, 5);
  const std::string config = R"({"pred": "p", "target": "y", "num_classes": 3, "spacing": [0.8, 0.8, 2.0]})";
  const NDict gpu = compute("fuse.cuda.gpu_segmentation", config, batch), cpu = compute("fuse.metrics.segmentation", config, batch);
  for (const char* m : {"hd", "hd95", "asd", "nsd"}) expect_same(testing::values<double>(gpu.get<Tensor>(m)), testing::values<double>(cpu.get<Tensor>(m)), m);
}

TEST(GpuSegmentation, BadInputIsAnErrorNamingTheMetricAndTheKey) {
  const std::string config = R"({"pred": "p", "target": "y", "num_classes": 2})";
  NDict b;
  b.set("p", Value(Tensor::zeros({1, 4, 4}, sdk::kInt64)));
  b.set("y", Value(Tensor::zeros({1, 4, 5}, sdk::kInt64)));
  EXPECT_EQ(error_of([&] { compute("fuse.cuda.gpu_segmentation", config, b); }),
            "metric 'fuse.cuda.gpu_segmentation' (plugin 'fuse.cuda_metrics'): 'p' has shape [1, 4, 4] but 'y' has [1, 4, 5]");
  b.set("y", Value(Tensor::zeros({1, 4, 4}, sdk::kInt16)));
  EXPECT_EQ(error_of([&] { compute("fuse.cuda.gpu_segmentation", config, b); }),
            "metric 'fuse.cuda.gpu_segmentation' (plugin 'fuse.cuda_metrics'): key 'y': dtype int16 is not a label map (uint8, int32, int64, "
            "float32 or float64)");
  b.set("y", Value(Tensor::zeros({1, 4, 4}, sdk::kInt64)));
  EXPECT_EQ(error_of([&] { compute("fuse.cuda.gpu_segmentation", R"({"pred": "p", "target": "y", "num_classes": 2, "spacing": [1.0]})", b); }),
            "metric 'fuse.cuda.gpu_segmentation' (plugin 'fuse.cuda_metrics'): the spacing has 1 values for 2 spatial axes");
}

TEST(GpuSegmentation, WithoutAGpuUpdateSaysWhyAndNamesTheCpuTwin) {
  const std::string why = cuda::no_gpu();
  if (why.empty()) GTEST_SKIP() << "this machine has a GPU";
  EXPECT_EQ(error_of([&] { compute("fuse.cuda.gpu_segmentation", R"({"pred": "p", "target": "y", "num_classes": 3})", label_maps({1, 5, 6}, 1)); }),
            "metric 'fuse.cuda.gpu_segmentation' (plugin 'fuse.cuda_metrics'): no usable CUDA device (" + why +
                "); the CPU twin is fuse.metrics.segmentation");
}

}  // namespace
}  // namespace fuse
