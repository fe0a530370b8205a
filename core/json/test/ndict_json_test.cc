#include "fuse/json/ndict_json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace fuse::json {
namespace {

NDict from(const char* text, bool tensors = false) {
  return ndict_from_json(boost::json::parse(text).as_object(), FromJsonOptions{tensors});
}

TEST(NDictJson, ScalarsListsAndNesting) {
  NDict d = from(R"({"data": {"label": 1, "id": "x", "w": 0.5, "ok": true, "none": null, "paths": ["a", "b"]},
                     "model.out": 3})");
  EXPECT_EQ(d.get<int64_t>("data.label"), 1);
  EXPECT_EQ(d.get<std::string>("data.id"), "x");
  EXPECT_EQ(d.get<double>("data.w"), 0.5);
  EXPECT_TRUE(d.get<bool>("data.ok"));
  EXPECT_TRUE(d.at("data.none").is_null());
  EXPECT_EQ(d.get<List>("data.paths").size(), 2u);
  EXPECT_EQ(d.get<int64_t>("model.out"), 3);  // dotted JSON keys nest
}

TEST(NDictJson, NumericArraysBecomeTensorsOnlyWhenAsked) {
  NDict lists = from(R"({"x": [[1, 2], [3, 4]]})");
  EXPECT_TRUE(lists.at("x").is<List>());
  NDict d = from(R"({"x": [[1, 2], [3, 4]], "y": [0.5, 1], "ragged": [[1], [2, 3]], "mixed": [1, "a"]})", true);
  const Tensor& x = d.get<Tensor>("x");
  EXPECT_EQ(x.description(), "int64[2, 2]");
  EXPECT_EQ(x.data<int64_t>()[3], 4);
  const Tensor& y = d.get<Tensor>("y");
  EXPECT_EQ(y.description(), "float32[2]");
  EXPECT_EQ(y.data<float>()[0], 0.5f);
  EXPECT_TRUE(d.at("ragged").is<List>());
  EXPECT_TRUE(d.at("mixed").is<List>());
}

TEST(NDictJson, ExplicitTensorsRoundTrip) {
  NDict d = from(R"({"t": {"$tensor": {"dtype": "float32", "shape": [2, 2], "data": [0.1, 2, 3, 4]}}})");
  const Tensor& t = d.get<Tensor>("t");
  EXPECT_EQ(t.description(), "float32[2, 2]");
  EXPECT_EQ(boost::json::serialize(to_json(d)),
            R"({"t":{"$tensor":{"dtype":"float32","shape":[2,2],"data":[1E-1,2E0,3E0,4E0]}}})");
  NDict back = ndict_from_json(to_json(d));
  EXPECT_EQ(back, d);
}

TEST(NDictJson, TensorErrorsNameThePointer) {
  try {
    from(R"({"a": {"b": {"$tensor": {"dtype": "float33", "data": [1]}}}})");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "at '/a/b/$tensor': $tensor has unknown dtype 'float33'");
  }
  try {
    from(R"({"t": {"$tensor": {"dtype": "int32", "shape": [3], "data": [1, 2]}}})");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "at '/t/$tensor': $tensor 'shape' [3] does not match 2 data values");
  }
  try {
    from(R"({"a": 1, "a.b": 2})");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "at '/a.b': cannot set 'a.b': 'a' holds int, not a dict");
  }
}

}  // namespace
}  // namespace fuse::json
