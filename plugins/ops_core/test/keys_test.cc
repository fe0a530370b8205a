#include <gtest/gtest.h>

#include "test_support.h"

namespace fuse::testing {
namespace {

NDict base() { return sample(R"({"data": {"image": [1.0, 2.0], "label": 1, "meta": {"id": "a", "site": 3}}, "tmp": 0})"); }

TEST(Copy, SharesTensorDataAndCopiesSubtrees) {
  NDict out = run_op("fuse.ops.copy", R"({"from": ["data.image", "data.meta"], "to": ["orig.image", "orig.meta"]})", base());
  EXPECT_TRUE(out.get<Tensor>("orig.image").shares_buffer_with(out.get<Tensor>("data.image")));
  EXPECT_EQ(out.get<std::string>("orig.meta.id"), "a");
  EXPECT_EQ(out.get<int64_t>("orig.meta.site"), 3);
  EXPECT_TRUE(out.has("data.meta.id"));
}

TEST(Copy, ListsMustPairUp) {
  EXPECT_EQ(error_of([] { built_plugins().create_op("fuse.ops.copy", json_object(R"({"from": ["a", "b"], "to": ["c"]})")); }),
            "op 'fuse.ops.copy' (plugin 'fuse.ops_core'): create failed: 'from' has 2 keys but 'to' has 1; they pair up "
            "one to one");
}

TEST(Rename, MovesValues) {
  NDict out = run_op("fuse.ops.rename", R"({"from": ["data.label"], "to": ["target.cls"]})", base());
  EXPECT_FALSE(out.has("data.label"));
  EXPECT_EQ(out.get<int64_t>("target.cls"), 1);
}

TEST(Delete, RemovesKeysAndReportsMissingOnes) {
  NDict out = run_op("fuse.ops.delete", R"({"keys": ["tmp", "data.meta"]})", base());
  EXPECT_EQ(out.keys(), (std::vector<std::string>{"data.image", "data.label"}));
  EXPECT_EQ(error_of([] { run_op("fuse.ops.delete", R"({"keys": ["nope"]})", base()); }),
            "op 'fuse.ops.delete' (plugin 'fuse.ops_core'): key 'nope' missing; present: data, data.image, data.label, "
            "data.meta, data.meta.id, data.meta.site, tmp");
  NDict same = run_op("fuse.ops.delete", R"({"keys": ["nope"], "missing_ok": true})", base());
  EXPECT_EQ(same.keys().size(), 5u);
}

TEST(Keep, KeepsOnlyTheListedKeys) {
  NDict out = run_op("fuse.ops.keep", R"({"keys": ["data.image", "data.meta.id"]})", base());
  EXPECT_EQ(out.keys(), (std::vector<std::string>{"data.image", "data.meta.id"}));
}

TEST(Set, SetsAnyValueAndOptionallyOnlyWhenMissing) {
  NDict out = run_op("fuse.ops.set", R"({"key": "data.weights", "value": [0.2, 0.8]})", base());
  EXPECT_EQ(out.get<List>("data.weights").size(), 2u);
  EXPECT_EQ(out.get<double>("data.weights.1"), 0.8);
  out = run_op("fuse.ops.set", R"({"key": "data.label", "value": 9, "if_missing": true})", base());
  EXPECT_EQ(out.get<int64_t>("data.label"), 1);
  out = run_op("fuse.ops.set", R"({"key": "data.label", "value": {"cls": 9}})", base());
  EXPECT_EQ(out.get<int64_t>("data.label.cls"), 9);
}

}  // namespace
}  // namespace fuse::testing
