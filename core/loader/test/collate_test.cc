#include "fuse/loader/collate.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace fuse::loader {
namespace {

using fuse::testing::error_of;
using fuse::testing::sample;
using fuse::testing::values;

TEST(Collate, StacksTensorsAndScalars) {
  const NDict batch = collate({sample(R"({"data": {"sample_id": "a", "x": [1.0, 2.0], "label": 1, "w": 0.5, "ok": true}})"),
                               sample(R"({"data": {"sample_id": "b", "x": [3.0, 4.0], "label": 0, "w": 1.5, "ok": false}})")});
  const Tensor& x = batch.get<Tensor>("data.x");
  EXPECT_EQ(x.shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(values<float>(x), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(values<int64_t>(batch.get<Tensor>("data.label")), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(values<double>(batch.get<Tensor>("data.w")), (std::vector<double>{0.5, 1.5}));
  EXPECT_EQ(values<uint8_t>(batch.get<Tensor>("data.ok")), (std::vector<uint8_t>{1, 0}));
  const List& ids = batch.get<List>("data.sample_id");
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[1].as<std::string>(), "b");
}

TEST(Collate, IntsAndDoublesMixedStackAsDoubles) {
  const NDict batch = collate({sample(R"({"data": {"sample_id": "a", "t": 2}})"), sample(R"({"data": {"sample_id": "b", "t": 2.5}})")});
  EXPECT_EQ(batch.get<Tensor>("data.t").description(), "float64[2]");
  EXPECT_EQ(values<double>(batch.get<Tensor>("data.t")), (std::vector<double>{2.0, 2.5}));
}

TEST(Collate, MixedShapesNameTheShapesAndSamples) {
  const std::vector<NDict> s = {sample(R"({"data": {"sample_id": "a", "x": [1.0, 2.0]}})"),
                                sample(R"({"data": {"sample_id": "b", "x": [3.0, 4.0, 5.0]}})")};
  EXPECT_EQ(error_of([&] { collate(s); }),
            "collate: key 'data.x' has different shapes: [2] in 'a', [3] in 'b'; resize or crop them in the pipeline, or pad "
            "them (collate pad)");
}

TEST(Collate, PadsToTheLargestShapeWithAMask) {
  CollateOptions o;
  o.pad = true;
  const NDict batch = collate({sample(R"({"x": [[1.0, 2.0]]})"), sample(R"({"x": [[3.0], [4.0]]})")}, o);
  const Tensor& x = batch.get<Tensor>("x");
  EXPECT_EQ(x.shape(), (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(values<float>(x), (std::vector<float>{1, 2, 0, 0, 3, 0, 4, 0}));
  EXPECT_EQ(values<uint8_t>(batch.get<Tensor>("x_mask")), (std::vector<uint8_t>{1, 1, 0, 0, 1, 0, 1, 0}));
}

TEST(Collate, MismatchedSamplesAreErrors) {
  EXPECT_EQ(error_of([] { collate({sample(R"({"data": {"sample_id": "a", "x": 1}})"), sample(R"({"data": {"sample_id": "b"}})")}); }),
            "collate: key 'data.x' is in sample 'a' but not in sample 'b'");
  EXPECT_EQ(error_of([] { collate({sample(R"({"data": {"sample_id": "a"}})"), sample(R"({"data": {"sample_id": "b", "y": 1}})")}); }),
            "collate: key 'data.y' is in sample 'b' but not in sample 'a'");
  EXPECT_EQ(error_of([] { collate({sample(R"({"x": [1.0]})"), sample(R"({"x": [[1.0]]})")}); }),
            "collate: key 'x' has shape [1, 1] in sample '#1' but [1] in sample '#0': tensors of different ranks cannot be batched");
  EXPECT_EQ(error_of([] { collate({sample(R"({"x": [1.0]})"), sample(R"({"x": [1]})")}); }),
            "collate: key 'x' is int64[1] in sample '#1' but float32[1] in sample '#0'");
}

TEST(Collate, SkippedKeysStayOut) {
  CollateOptions o;
  o.skip = {"meta"};
  const NDict batch = collate({sample(R"({"x": 1, "meta": [1.0]})"), sample(R"({"x": 2, "meta": [1.0, 2.0]})")}, o);
  EXPECT_FALSE(batch.has("meta"));
  EXPECT_EQ(values<int64_t>(batch.get<Tensor>("x")), (std::vector<int64_t>{1, 2}));
}

TEST(Collate, MixedValueTypesBecomeAList) {
  const NDict batch = collate({sample(R"({"v": 1})"), sample(R"({"v": "two"})")});
  const List& v = batch.get<List>("v");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].as<int64_t>(), 1);
  EXPECT_EQ(v[1].as<std::string>(), "two");
}

}  // namespace
}  // namespace fuse::loader
