#include "fuse/ndict/ndict.h"

#include <gtest/gtest.h>

namespace fuse {
namespace {

TEST(Value, ConstructorsPickTheNaturalType) {
  EXPECT_EQ(Value().type(), ValueType::kNull);
  EXPECT_EQ(Value(nullptr).type(), ValueType::kNull);
  EXPECT_EQ(Value(3).type(), ValueType::kInt);
  EXPECT_EQ(Value(int64_t{3}).type(), ValueType::kInt);
  EXPECT_EQ(Value(3u).type(), ValueType::kInt);
  EXPECT_EQ(Value(2.5).type(), ValueType::kDouble);
  EXPECT_EQ(Value(2.5f).type(), ValueType::kDouble);
  EXPECT_EQ(Value(true).type(), ValueType::kBool);
  EXPECT_EQ(Value("text").type(), ValueType::kString);  // not bool
  EXPECT_EQ(Value(List{1, 2}).type(), ValueType::kList);
  EXPECT_EQ(Value(NDict()).type(), ValueType::kDict);
}

TEST(Value, AsChecksTheType) {
  Value v("x");
  EXPECT_EQ(v.as<std::string>(), "x");
  try {
    v.as<int64_t>();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kType);
    EXPECT_STREQ(e.what(), "expected int, found string");
  }
  EXPECT_EQ(Value(4).as_number(), 4.0);
  EXPECT_THROW(Value("4").as_number(), Error);
}

TEST(Value, Summary) {
  EXPECT_EQ(Value(1.0).summary(), "1.0");
  EXPECT_EQ(Value(0.1).summary(), "0.1");
  EXPECT_EQ(Value(-3).summary(), "-3");
  EXPECT_EQ(Value(false).summary(), "false");
  EXPECT_EQ(Value(List{1, "a", 2.5}).summary(), "[1, \"a\", 2.5]");
  EXPECT_EQ(Value(List{List{1}}).summary(), "list[1]");
  EXPECT_EQ(Value(std::string(70, 'x')).summary(), "\"" + std::string(60, 'x') + "...\" (70 chars)");
  EXPECT_EQ(Value(Tensor::zeros({2}, sdk::kInt64)).summary(), "int64[2]");
}

TEST(Value, EqualityComparesTensorContents) {
  Tensor a = Tensor::from_vector<float>({1, 2}, {2});
  Tensor b = Tensor::from_vector<float>({1, 2}, {2});
  Tensor c = Tensor::from_vector<float>({1, 3}, {2});
  EXPECT_EQ(Value(a), Value(b));
  EXPECT_NE(Value(a), Value(c));
  EXPECT_NE(Value(a), Value(a.reshape({1, 2})));
  EXPECT_NE(Value(1), Value(1.0));
}

}  // namespace
}  // namespace fuse
