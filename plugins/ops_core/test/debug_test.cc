#include <gtest/gtest.h>

#include <sstream>

#include <spdlog/sinks/ostream_sink.h>

#include "fuse/base/spdlog_logger.h"
#include "test_support.h"

namespace fuse::testing {
namespace {

// What the op logs while `body` runs.
template <class Body>
std::string logged(Body&& body) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_pattern("%v");
  logger().sinks().push_back(sink);
  body();
  logger().sinks().pop_back();
  return out.str();
}

TEST(Print, LogsEachKeysTypeAndChangesNothing) {
  const NDict in = sample(R"({"data": {"sample_id": "case_01", "image": [[1.5, -2.0], [0.25, 3.0]], "label": 1, "ok": true,
                              "site": "a"}, "tmp": [1, 2, 3]})");
  NDict out;
  const std::string text = logged([&] { out = run_op("fuse.ops.print", R"({"label": "after read"})", in); });
  EXPECT_EQ(text,
            "[fuse.ops_core] sample 'case_01' (after read):\n"
            "  data.sample_id: \"case_01\"\n"
            "  data.image: float32[2, 2] in [-2, 3]\n"
            "  data.label: int 1\n"
            "  data.ok: bool true\n"
            "  data.site: \"a\"\n"
            "  tmp: int64[3] in [1, 3]\n");
  EXPECT_EQ(out, in);
  // Chosen keys only; a missing one says so.
  EXPECT_EQ(logged([&] { run_op("fuse.ops.print", R"({"keys": ["data.label", "data.mask"]})", in); }),
            "[fuse.ops_core] sample 'case_01':\n  data.label: int 1\n  data.mask: missing\n");
}

TEST(Print, OnlyTheFirstSamples) {
  Op op = built_plugins().create_op("fuse.ops.print", json_object(R"({"keys": ["x"], "first": 2})"));
  std::string text = logged([&] {
    for (int64_t i = 0; i < 4; ++i) {
      NDict s = sample(R"({"x": 1})");
      op.forward(s, CallContext{true, 0, 0, i});
    }
  });
  EXPECT_EQ(text, "[fuse.ops_core] sample #0:\n  x: int 1\n[fuse.ops_core] sample #1:\n  x: int 1\n");
}

}  // namespace
}  // namespace fuse::testing
