// The plain-C plugin, run by the host like any other.
#include <array>
#include <cstdio>
#include <memory>

#include <gtest/gtest.h>

#include "test_support.h"

namespace fuse::testing {
namespace {

TEST(OpsC, ScaleShiftRunsThroughTheHost) {
  NDict out = run_op("fuse.c.scale_shift", R"({"keys": ["x"], "scale": 2, "shift": 1})", sample(R"({"x": [0.5, -1.0]})"));
  EXPECT_EQ(values<float>(out.get<Tensor>("x")), (std::vector<float>{2.0f, -1.0f}));
}

TEST(OpsC, ErrorsFromCCrossTheBoundary) {
  EXPECT_EQ(error_of([] { run_op("fuse.c.scale_shift", R"({"keys": ["x"]})", sample(R"({"x": [1, 2]})")); }),
            "op 'fuse.c.scale_shift' (plugin 'fuse.ops_c'): key 'x': scale_shift needs a float32 or float64 tensor");
}

TEST(OpsC, MetricStreamsMergesAndMovesState) {
  Metric a = built_plugins().create_metric("fuse.c.mean_abs_error", json_object(R"({"pred": "p", "target": "t"})"));
  Metric b = built_plugins().create_metric("fuse.c.mean_abs_error", json_object(R"({"pred": "p", "target": "t"})"));
  a.update(sample(R"({"p": [1.0, 2.0], "t": [0.0, 2.0]})"));  // |1| + |0|
  b.update(sample(R"({"p": [5.0], "t": [2.0]})"));            // |3|
  a.merge(b);
  NDict r = a.compute();
  EXPECT_DOUBLE_EQ(r.get<double>("mae"), 4.0 / 3.0);
  EXPECT_EQ(r.get<int64_t>("count"), 3);
  // State moved to another instance (as between processes) gives the same result.
  Metric c = built_plugins().create_metric("fuse.c.mean_abs_error", json_object(R"({"pred": "p", "target": "t"})"));
  c.load_state(a.save_state());
  EXPECT_DOUBLE_EQ(c.compute().get<double>("mae"), 4.0 / 3.0);
  c.reset();
  EXPECT_EQ(error_of([&] { c.compute(); }),
            "metric 'fuse.c.mean_abs_error' (plugin 'fuse.ops_c'): mean absolute error of no samples: update it first");
}

TEST(OpsC, LibraryNeedsNoCxxRuntime) {
  const std::string lib = (built_plugin_dir() / "ops_c" / "libops_c.so").string();
  const std::string command = std::string(FUSE_READELF) + " -d " + lib;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  ASSERT_TRUE(pipe);
  std::string text;
  std::array<char, 512> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr) text += buffer.data();
  EXPECT_NE(text.find("libc.so"), std::string::npos) << text;
  EXPECT_EQ(text.find("libstdc++"), std::string::npos) << text;
}

}  // namespace
}  // namespace fuse::testing
