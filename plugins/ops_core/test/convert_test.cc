#include <gtest/gtest.h>

#include "test_support.h"

namespace fuse::testing {
namespace {

TEST(ToTensor, NumbersAndNestedListsBecomeTensors) {
  NDict s;
  s.set("data.label", 3);
  s.set("data.weight", 0.5);
  s.set("data.flag", true);
  s.set("data.grid", List{List{1, 2, 3}, List{4, 5, 6}});
  s.set("data.mixed", List{1, 2.5});
  NDict out = run_op("fuse.ops.to_tensor", R"({"keys": ["data.label", "data.weight", "data.flag", "data.grid", "data.mixed"]})", s);
  EXPECT_EQ(out.get<Tensor>("data.label").description(), "int64[]");
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("data.label")), std::vector<int64_t>{3});
  EXPECT_EQ(out.get<Tensor>("data.weight").description(), "float32[]");
  EXPECT_EQ(values<float>(out.get<Tensor>("data.weight")), std::vector<float>{0.5f});
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("data.flag")), std::vector<int64_t>{1});
  EXPECT_EQ(out.get<Tensor>("data.grid").description(), "int64[2, 3]");
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("data.grid")), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(values<float>(out.get<Tensor>("data.mixed")), (std::vector<float>{1.0f, 2.5f}));
}

TEST(ToTensor, DtypeIsHonouredForNumbersAndTensors) {
  NDict s = sample(R"({"a": 7, "b": [1, 2]})");
  NDict out = run_op("fuse.ops.to_tensor", R"({"keys": ["a", "b"], "dtype": "float64"})", s);
  EXPECT_EQ(values<double>(out.get<Tensor>("a")), std::vector<double>{7.0});
  EXPECT_EQ(values<double>(out.get<Tensor>("b")), (std::vector<double>{1.0, 2.0}));
}

TEST(ToTensor, BadValuesAreNamed) {
  NDict s;
  s.set("data.name", "x");
  s.set("data.ragged", List{List{1}, List{1, 2}});
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.to_tensor", R"({"keys": ["data.name"]})", s); }),
            "op 'fuse.ops.to_tensor' (plugin 'fuse.ops_core'): key 'data.name': cannot make a tensor from a string");
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.to_tensor", R"({"keys": ["data.ragged"]})", s); }),
            "op 'fuse.ops.to_tensor' (plugin 'fuse.ops_core'): key 'data.ragged.1': nested lists of different lengths "
            "cannot form a tensor");
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.to_tensor", R"({"keys": ["data.nope"]})", s); }),
            "op 'fuse.ops.to_tensor' (plugin 'fuse.ops_core'): key 'data.nope' missing; present: data, data.name, "
            "data.ragged");
}

TEST(Cast, ConvertsElements) {
  NDict s = sample(R"({"x": [1.7, -2.2, 3.0]})");
  NDict out = run_op("fuse.ops.cast", R"({"keys": ["x"], "dtype": "int32"})", s);
  EXPECT_EQ(values<int32_t>(out.get<Tensor>("x")), (std::vector<int32_t>{1, -2, 3}));
  NDict back = run_op("fuse.ops.cast", R"({"keys": ["x"], "dtype": "float64"})", out);
  EXPECT_EQ(values<double>(back.get<Tensor>("x")), (std::vector<double>{1, -2, 3}));
}

TEST(Cast, NanOrOverflowIntoIntegersIsAnError) {
  NDict s = sample(R"({"x": {"$tensor": {"dtype": "float32", "data": [1, 300]}}})");
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.cast", R"({"keys": ["x"], "dtype": "uint8"})", s); }),
            "op 'fuse.ops.cast' (plugin 'fuse.ops_core'): key 'x': element 1 (300.000000) does not fit uint8");
}

TEST(Cast, ConfigIsChecked) {
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.cast", R"({"keys": ["x"], "dtype": "float"})", NDict()); }),
            "component 'fuse.ops.cast': config 'dtype' must be one of \"uint8\", \"int8\", \"int16\", \"int32\", "
            "\"int64\", \"float32\", \"float64\", got string \"float\"; did you mean 'float32'?");
}

}  // namespace
}  // namespace fuse::testing
