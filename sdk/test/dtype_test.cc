#include "fuse_sdk/dtype.hpp"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace fuse::sdk {
namespace {

TEST(DType, NamesRoundTrip) {
  for (const char* name : {"uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"}) {
    auto parsed = parse_dtype(name);
    ASSERT_TRUE(parsed.has_value()) << name;
    EXPECT_EQ(dtype_name(*parsed), name);
  }
  EXPECT_EQ(dtype_name(*parse_dtype("double")), "float64");
  EXPECT_EQ(dtype_name(*parse_dtype("bool")), "uint8");
  EXPECT_FALSE(parse_dtype("float33").has_value());
  EXPECT_EQ(dtype_name(make_dtype(kDLComplex, 64)), "complex64");
}

TEST(DType, OfCppTypes) {
  EXPECT_TRUE(dtype_eq(dtype_of<float>(), kFloat32));
  EXPECT_TRUE(dtype_eq(dtype_of<double>(), kFloat64));
  EXPECT_TRUE(dtype_eq(dtype_of<int64_t>(), kInt64));
  EXPECT_TRUE(dtype_eq(dtype_of<uint8_t>(), kUInt8));
  EXPECT_TRUE(dtype_eq(dtype_of<bool>(), kBool));
  EXPECT_FALSE(dtype_eq(kInt32, kFloat32));
  EXPECT_EQ(dtype_size(kFloat64), 8);
  EXPECT_EQ(dtype_size(kBFloat16), 2);
}

TEST(DType, DispatchCallsTheMatchingType) {
  std::string seen;
  auto record = [&](auto tag) { seen = dtype_name(dtype_of<decltype(tag)>()); };
  EXPECT_TRUE(dispatch_dtype(kInt16, record));
  EXPECT_EQ(seen, "int16");
  EXPECT_TRUE(dispatch_dtype(kFloat64, record));
  EXPECT_EQ(seen, "float64");
  seen.clear();
  EXPECT_FALSE(dispatch_dtype(kFloat16, record));
  EXPECT_EQ(seen, "");
  EXPECT_FALSE(dispatch_floating(kInt64, record));
  EXPECT_TRUE(dispatch_floating(kFloat32, record));
  EXPECT_EQ(seen, "float32");
}

}  // namespace
}  // namespace fuse::sdk
