#include "fuse/ndict/ndict.h"

#include <gtest/gtest.h>

namespace fuse {
namespace {

NDict sample() {
  NDict d;
  d.set("data.image", Tensor::zeros({1, 4, 4}, sdk::kFloat32));
  d.set("data.label", 1);
  d.set("data.id", "case_007");
  d.set("data.paths", List{"a.nii", "b.nii"});
  d.set("meta.spacing", 0.5);
  return d;
}

TEST(NDict, SetCreatesNestingAndGetReadsThroughDots) {
  NDict d = sample();
  EXPECT_TRUE(d.has("data"));
  EXPECT_TRUE(d.has("data.label"));
  EXPECT_FALSE(d.has("data.lab"));
  EXPECT_FALSE(d.has(""));
  EXPECT_FALSE(d.has("data..label"));
  EXPECT_EQ(d.get<int64_t>("data.label"), 1);
  EXPECT_EQ(d.get<std::string>("data.id"), "case_007");
  EXPECT_EQ(d.get<double>("meta.spacing"), 0.5);
  EXPECT_EQ(d.get<Tensor>("data.image").shape(), (std::vector<int64_t>{1, 4, 4}));
  EXPECT_EQ(d.subtree("data").size(), 4u);
  EXPECT_EQ(d.child_keys(), (std::vector<std::string>{"data", "meta"}));
}

TEST(NDict, ListElementsAreAddressedByIndex) {
  NDict d = sample();
  EXPECT_EQ(d.get<std::string>("data.paths.1"), "b.nii");
  EXPECT_FALSE(d.has("data.paths.2"));
  EXPECT_FALSE(d.has("data.paths.x"));
  d.set("data.paths.0", "c.nii");
  EXPECT_EQ(d.get<std::string>("data.paths.0"), "c.nii");
  try {
    d.set("data.paths.5", "z");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kKeyNotFound);
    EXPECT_STREQ(e.what(), "cannot set 'data.paths.5': '5' is not an index of a list of 2");
  }
  // A dict inside a list.
  d.set("items", List{NDict(), NDict()});
  d.set("items.1.score", 0.25);
  EXPECT_EQ(d.get<double>("items.1.score"), 0.25);
}

TEST(NDict, KeysAreFlattenedLeavesInInsertionOrder) {
  NDict d = sample();
  EXPECT_EQ(d.keys(), (std::vector<std::string>{"data.image", "data.label", "data.id", "data.paths", "meta.spacing"}));
  auto flat = d.flatten();
  ASSERT_EQ(flat.size(), 5u);
  EXPECT_EQ(flat[1].first, "data.label");
  EXPECT_EQ(flat[1].second->as<int64_t>(), 1);
}

TEST(NDict, KeysMatchingGlobs) {
  NDict d;
  for (const char* k : {"data.t1.image", "data.t2.image", "data.t1.mask", "data.label", "model.out.cls", "model.x"})
    d.set(k, 1);
  EXPECT_EQ(d.keys_matching("data.*.image"), (std::vector<std::string>{"data.t1.image", "data.t2.image"}));
  EXPECT_EQ(d.keys_matching("model.**"), (std::vector<std::string>{"model.out.cls", "model.x"}));
  EXPECT_EQ(d.keys_matching("data.*"), (std::vector<std::string>{"data.label"}));  // '*' stays in one segment
  EXPECT_EQ(d.keys_matching("data.t?.mask"), (std::vector<std::string>{"data.t1.mask"}));
  EXPECT_EQ(d.keys_matching("**.image"), (std::vector<std::string>{"data.t1.image", "data.t2.image"}));
  EXPECT_TRUE(d.keys_matching("nothing.*").empty());
}

TEST(NDict, SetReplacesValuesAndPopRemoves) {
  NDict d = sample();
  d.set("data.label", "benign");
  EXPECT_EQ(d.get<std::string>("data.label"), "benign");
  EXPECT_EQ(d.keys().size(), 5u);
  std::optional<Value> v = d.pop("data.id");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->as<std::string>(), "case_007");
  EXPECT_FALSE(d.has("data.id"));
  EXPECT_FALSE(d.pop("data.id").has_value());
  EXPECT_TRUE(d.erase("data.paths.0"));
  EXPECT_EQ(d.get<List>("data.paths").size(), 1u);
  EXPECT_TRUE(d.erase("meta"));
  EXPECT_EQ(d.child_keys(), (std::vector<std::string>{"data"}));
}

TEST(NDict, MissingKeyErrorListsPresentKeys) {
  NDict d = sample();
  try {
    d.at("data.imag");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kKeyNotFound);
    EXPECT_STREQ(e.what(),
                 "key 'data.imag' missing; present: data, data.image, data.label, data.id, data.paths, meta, "
                 "meta.spacing");
  }
  NDict empty;
  try {
    empty.at("x");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "key 'x' missing; the dict is empty");
  }
}

TEST(NDict, MissingKeyErrorInABigDictListsTheNearest) {
  NDict d;
  for (int i = 0; i < 10; ++i) d.set("data.feature_" + std::to_string(i), i);
  d.set("data.image", 1);
  try {
    d.at("data.imag");
    FAIL();
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.rfind("key 'data.imag' missing; nearest present: data.image, ", 0), 0u) << msg;
    EXPECT_NE(msg.find("(of 12 keys)"), std::string::npos) << msg;
  }
}

TEST(NDict, TypeErrorsNameTheKey) {
  NDict d = sample();
  try {
    d.get<Tensor>("data.label");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kType);
    EXPECT_STREQ(e.what(), "key 'data.label': expected tensor, found int");
  }
  try {
    d.set("data.label.sub", 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cannot set 'data.label.sub': 'data.label' holds int, not a dict");
  }
  EXPECT_THROW(d.set("a..b", 1), Error);
  EXPECT_THROW(d.set("", 1), Error);
}

TEST(NDict, CopiesAreDeepButShareTensorBuffers) {
  NDict a = sample();
  NDict b = a;
  b.set("data.label", 0);
  EXPECT_EQ(a.get<int64_t>("data.label"), 1);
  EXPECT_TRUE(a.get<Tensor>("data.image").shares_buffer_with(b.get<Tensor>("data.image")));
  b.get<Tensor>("data.image").mutable_data<float>()[0] = 3;
  EXPECT_EQ(a.get<Tensor>("data.image").data<float>()[0], 0.0f);
  EXPECT_NE(a, b);
  NDict c = a;
  EXPECT_EQ(a, c);
}

TEST(NDict, MergeIsADeepUpdate) {
  NDict a = sample();
  NDict b;
  b.set("data.label", 0);
  b.set("data.extra", true);
  b.set("model.out", 2.5);
  a.merge(b);
  EXPECT_EQ(a.get<int64_t>("data.label"), 0);
  EXPECT_TRUE(a.get<bool>("data.extra"));
  EXPECT_EQ(a.get<std::string>("data.id"), "case_007");
  EXPECT_EQ(a.get<double>("model.out"), 2.5);
}

TEST(NDict, PrintsAnIndentedTree) {
  NDict d = sample();
  EXPECT_EQ(d.to_string(),
            "data:\n"
            "  image: float32[1, 4, 4]\n"
            "  label: 1\n"
            "  id: \"case_007\"\n"
            "  paths: [\"a.nii\", \"b.nii\"]\n"
            "meta:\n"
            "  spacing: 0.5\n");
}

}  // namespace
}  // namespace fuse
