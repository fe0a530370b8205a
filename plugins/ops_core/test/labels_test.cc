#include <gtest/gtest.h>

#include "test_support.h"

namespace fuse::testing {
namespace {

TEST(OneHot, IntLabelAndLabelTensor) {
  NDict out = run_op("fuse.ops.one_hot", R"({"key": "y", "num_classes": 3})", sample(R"({"y": 2})"));
  EXPECT_EQ(out.get<Tensor>("y").description(), "float32[3]");
  EXPECT_EQ(values<float>(out.get<Tensor>("y")), (std::vector<float>{0, 0, 1}));
  out = run_op("fuse.ops.one_hot", R"({"key": "y", "out": "z", "num_classes": 2, "dtype": "int64"})", sample(R"({"y": [1, 0, 1]})"));
  EXPECT_EQ(out.get<Tensor>("z").description(), "int64[3, 2]");
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("z")), (std::vector<int64_t>{0, 1, 1, 0, 0, 1}));
  EXPECT_TRUE(out.has("y"));
}

TEST(OneHot, ChannelFirstForSegmentationMaps) {
  NDict out = run_op("fuse.ops.one_hot", R"({"key": "m", "num_classes": 3, "axis": "first"})", sample(R"({"m": [[0, 2], [1, 0]]})"));
  EXPECT_EQ(out.get<Tensor>("m").description(), "float32[3, 2, 2]");
  EXPECT_EQ(values<float>(out.get<Tensor>("m")), (std::vector<float>{1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0}));
}

TEST(OneHot, BadLabelsAreNamed) {
  EXPECT_EQ(error_of([] { run_op("fuse.ops.one_hot", R"({"key": "y", "num_classes": 3})", sample(R"({"y": [0, 3]})")); }),
            "op 'fuse.ops.one_hot' (plugin 'fuse.ops_core'): key 'y': label 3 is outside [0, 3)");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.one_hot", R"({"key": "y", "num_classes": 3})", sample(R"({"y": [0.5]})")); }),
            "op 'fuse.ops.one_hot' (plugin 'fuse.ops_core'): key 'y': labels must be integers, got a float32 tensor "
            "(cast it first)");
}

TEST(OneHot, EncodesCategoriesInTheirOrder) {
  const char* sites = R"({"key": "site", "out": "x", "categories": ["north", "south", "east"]})";
  EXPECT_EQ(values<float>(run_op("fuse.ops.one_hot", sites, sample(R"({"site": "east"})")).get<Tensor>("x")), (std::vector<float>{0, 0, 1}));
  EXPECT_EQ(values<float>(run_op("fuse.ops.one_hot", sites, sample(R"({"site": "north"})")).get<Tensor>("x")), (std::vector<float>{1, 0, 0}));
  // Ints and bools as categories; a label map whose values are not 0..n-1 (BraTS: 0, 1, 2, 4).
  EXPECT_EQ(values<float>(run_op("fuse.ops.one_hot", R"({"key": "g", "categories": [3, 5]})", sample(R"({"g": 5})")).get<Tensor>("g")),
            (std::vector<float>{0, 1}));
  EXPECT_EQ(values<float>(run_op("fuse.ops.one_hot", R"({"key": "b", "categories": [false, true]})", sample(R"({"b": false})")).get<Tensor>("b")),
            (std::vector<float>{1, 0}));
  const NDict map = run_op("fuse.ops.one_hot", R"({"key": "m", "categories": [0, 1, 2, 4], "axis": "first", "dtype": "uint8"})",
                           sample(R"({"m": [4, 0, 2]})"));
  EXPECT_EQ(map.get<Tensor>("m").description(), "uint8[4, 3]");
  EXPECT_EQ(values<uint8_t>(map.get<Tensor>("m")), (std::vector<uint8_t>{0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0}));
}

TEST(OneHot, UnknownValuesAndEmptyCellsAsZeros) {
  const char* sites = R"({"key": "site", "categories": ["north", "south"], "unknown": "zeros"})";
  EXPECT_EQ(values<float>(run_op("fuse.ops.one_hot", sites, sample(R"({"site": "west"})")).get<Tensor>("site")), (std::vector<float>{0, 0}));
  EXPECT_EQ(values<float>(run_op("fuse.ops.one_hot", sites, sample(R"({"site": null})")).get<Tensor>("site")), (std::vector<float>{0, 0}));
  EXPECT_EQ(values<float>(run_op("fuse.ops.one_hot", R"({"key": "y", "num_classes": 2, "unknown": "zeros"})", sample(R"({"y": [1, 7]})")).get<Tensor>("y")),
            (std::vector<float>{0, 1, 0, 0}));
}

TEST(OneHot, BadCategoriesAreNamed) {
  const std::string op = "op 'fuse.ops.one_hot' (plugin 'fuse.ops_core'): ", create = op + "create failed: ";
  EXPECT_EQ(error_of([] { run_op("fuse.ops.one_hot", R"({"key": "site", "categories": ["north", "south"]})", sample(R"({"site": "west"})")); }),
            op + "key 'site': \"west\" is not one of the categories (\"north\", \"south\"); set 'unknown': \"zeros\" to encode such a value as all zeros");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.one_hot", R"({"key": "m", "categories": [0, 1, 2, 4]})", sample(R"({"m": [0, 3]})")); }),
            op + "key 'm': 3 is not one of the categories (0, 1, 2, 4); set 'unknown': \"zeros\" to encode such a value as all zeros");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.one_hot", R"({"key": "site", "categories": ["north"]})", sample(R"({"site": null})")); }),
            op + "key 'site' is empty (null) in this sample: set 'unknown': \"zeros\" to encode it as all zeros, or fill it first");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.one_hot", R"({"key": "site", "categories": [1, 2]})", sample(R"({"site": "north"})")); }),
            op + "key 'site': the value is a string (north), but the categories are ints");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.one_hot", R"({"key": "site", "num_classes": 2})", sample(R"({"site": "north"})")); }),
            op + "key 'site': a string needs 'categories' (the values, in channel order) or \"fit\": true");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.one_hot", R"({"key": "y"})", sample(R"({"y": 1})")); }),
            create + "set 'num_classes' (labels 0..n-1) or 'categories' (the values, in channel order), or mark the step \"fit\": true to take the "
                 "training samples' categories");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.one_hot", R"({"key": "y", "num_classes": 2, "categories": [0, 1]})", sample(R"({"y": 1})")); }),
            create + "'num_classes' and 'categories' are both set: give one (with categories, the classes are their count)");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.one_hot", R"({"key": "y", "categories": []})", sample(R"({"y": 1})")); }),
            create + "'categories' is empty: list the values to encode, in channel order");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.one_hot", R"({"key": "y", "categories": ["a", 1]})", sample(R"({"y": 1})")); }),
            create + "'categories' must list strings, ints or bools, all of one kind; item 1 is an int after a string");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.one_hot", R"({"key": "y", "categories": [0.5]})", sample(R"({"y": 1})")); }),
            create + "'categories' must list strings, ints or bools, all of one kind; item 0 is a double");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.one_hot", R"({"key": "y", "categories": ["a", "b", "a"]})", sample(R"({"y": 1})")); }),
            create + "'categories' holds \"a\" twice");
}

// BraTS's regions in nnU-Net's order: whole tumour -> 1, tumour core -> 2, enhancing -> 3; an inner region
// overwrites an outer one, and a region without its outer one still gives its label.
TEST(RegionsToLabels, LaterRegionsOverwriteEarlierOnes) {
  // [batch 1, 3 regions, 5 voxels]
  const NDict in = sample(R"({"p": [[[0.9, 0.9, 0.9, 0.2, 0.5], [0.1, 0.8, 0.7, 0.1, 0.1], [0.0, 0.1, 0.6, 0.9, 0.1]]]})");
  NDict out = run_op("fuse.ops.regions_to_labels", R"({"key": "p", "out": "seg"})", in);
  EXPECT_EQ(out.get<Tensor>("seg").description(), "int64[1, 5]");
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("seg")), (std::vector<int64_t>{1, 2, 3, 3, 0}));  // 0.5 is not above the threshold
  out = run_op("fuse.ops.regions_to_labels", R"({"key": "p", "out": "seg", "labels": [2, 1, 4], "threshold": 0.45})", in);
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("seg")), (std::vector<int64_t>{2, 1, 4, 4, 2}));
  // One sample [regions, voxels]: axis 0.
  out = run_op("fuse.ops.regions_to_labels", R"({"key": "p", "axis": 0})", sample(R"({"p": [[0.9, 0.1], [0.7, 0.2]]})"));
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("p")), (std::vector<int64_t>{2, 0}));
}

TEST(RegionsToLabels, BadLabelsAreNamed) {
  EXPECT_EQ(error_of([] { run_op("fuse.ops.regions_to_labels", R"({"key": "p", "labels": [1, 2]})", sample(R"({"p": [[[0.9], [0.1], [0.3]]]})")); }),
            "op 'fuse.ops.regions_to_labels' (plugin 'fuse.ops_core'): key 'p' has 3 regions along axis 1 ([1, 3, 1]) but 'labels' gives 2 "
            "(one label per region)");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.regions_to_labels", R"({"key": "p", "axis": 2})", sample(R"({"p": [[0.9, 0.1]]})")); }),
            "op 'fuse.ops.regions_to_labels' (plugin 'fuse.ops_core'): key 'p': axis 2 is out of range for 2 dimensions");
}

TEST(Argmax, AlongAnAxisWithFirstMaximumOnTies) {
  NDict out = run_op("fuse.ops.argmax", R"({"key": "s", "out": "c"})", sample(R"({"s": [[0.1, 0.7, 0.2], [0.5, 0.5, 0.0]]})"));
  EXPECT_EQ(out.get<Tensor>("c").description(), "int64[2]");
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("c")), (std::vector<int64_t>{1, 0}));
  out = run_op("fuse.ops.argmax", R"({"key": "s", "axis": 0})", sample(R"({"s": [[1, 5], [3, 2]]})"));
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("s")), (std::vector<int64_t>{1, 0}));
  out = run_op("fuse.ops.argmax", R"({"key": "s", "as_int": true})", sample(R"({"s": [0.0, 1.0, 0.0]})"));
  EXPECT_EQ(out.get<int64_t>("s"), 1);
}

TEST(Lookup, MapsValuesThroughTheTable) {
  NDict out = run_op("fuse.ops.lookup", R"({"key": "d", "out": "y", "table": {"benign": 0, "malignant": 1}})",
                     sample(R"({"d": "malignant"})"));
  EXPECT_EQ(out.get<int64_t>("y"), 1);
  out = run_op("fuse.ops.lookup", R"({"key": "site", "table": {"1": "oslo", "2": "bergen"}})", sample(R"({"site": 2})"));
  EXPECT_EQ(out.get<std::string>("site"), "bergen");
  out = run_op("fuse.ops.lookup", R"({"key": "d", "table": {"a": 0}, "default": -1})", sample(R"({"d": "zzz"})"));
  EXPECT_EQ(out.get<int64_t>("d"), -1);
}

TEST(Lookup, MissingValueListsTheTable) {
  EXPECT_EQ(error_of([] { run_op("fuse.ops.lookup", R"({"key": "d", "table": {"benign": 0, "malignant": 1}})", sample(R"({"d": "unknown"})")); }),
            "op 'fuse.ops.lookup' (plugin 'fuse.ops_core'): key 'd': value 'unknown' is not in the lookup table (it "
            "has: benign, malignant); add it or set 'default'");
}

TEST(Lookup, EmptyCellsAndAMissingTable) {
  EXPECT_EQ(run_op("fuse.ops.lookup", R"({"key": "d", "table": {"a": 0}, "default": -1})", sample(R"({"d": null})")).get<int64_t>("d"), -1);
  EXPECT_EQ(error_of([] { run_op("fuse.ops.lookup", R"({"key": "d", "table": {"a": 0}})", sample(R"({"d": null})")); }),
            "op 'fuse.ops.lookup' (plugin 'fuse.ops_core'): key 'd' is empty (null) in this sample: set 'default' to map it");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.lookup", R"({"key": "d"})", sample(R"({"d": "a"})")); }),
            "op 'fuse.ops.lookup' (plugin 'fuse.ops_core'): create failed: 'table' is not set: give it (e.g. {\"benign\": 0, \"malignant\": 1}), or mark the step "
            "\"fit\": true to number the training samples' values 0, 1, ... in sorted order");
}

// ChestX-ray14's label cells: a 0/1 int per listed label; "No Finding" lists none.
TEST(SplitLabels, ATextCellBecomesAZeroOneKeyPerLabel) {
  const std::string config = R"({"key": "f", "labels": ["Effusion", "Edema", "Mass"], "out": ["e", "d", "m"], "none": ["No Finding"]})";
  NDict out = run_op("fuse.ops.split_labels", config, sample(R"({"f": "Mass|Effusion"})"));
  EXPECT_EQ(out.get<int64_t>("e"), 1);
  EXPECT_EQ(out.get<int64_t>("d"), 0);
  EXPECT_EQ(out.get<int64_t>("m"), 1);
  out = run_op("fuse.ops.split_labels", config, sample(R"({"f": "No Finding"})"));
  EXPECT_EQ(out.get<int64_t>("e") + out.get<int64_t>("d") + out.get<int64_t>("m"), 0);
  // Spaces around a label and empty pieces are left out; another separator.
  out = run_op("fuse.ops.split_labels", R"({"key": "f", "labels": ["a b", "c"], "out": ["x", "y"], "separator": "; "})",
               sample(R"({"f": " a b ; ; c"})"));
  EXPECT_EQ(out.get<int64_t>("x"), 1);
  EXPECT_EQ(out.get<int64_t>("y"), 1);
  out = run_op("fuse.ops.split_labels", R"({"key": "f", "labels": ["Edema"], "out": ["d"], "unknown": "ignore"})", sample(R"({"f": "Hernia|Edema"})"));
  EXPECT_EQ(out.get<int64_t>("d"), 1);
}

TEST(SplitLabels, RefusesUnknownLabelsEmptyCellsAndBadConfigs) {
  const std::string prefix = "op 'fuse.ops.split_labels' (plugin 'fuse.ops_core'): ";
  const std::string config = R"({"key": "f", "labels": ["Effusion", "Edema"], "out": ["e", "d"]})";
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.split_labels", config, sample(R"({"f": "Edema|Hernia"})")); }),
            prefix + "key 'f': label 'Hernia' (in 'Edema|Hernia') is not among 'labels' (Effusion, Edema); add it, list it in 'none', or set "
                     "'unknown': \"ignore\"");
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.split_labels", config, sample(R"({"f": null})")); }),
            prefix + "key 'f' is empty (null) in this sample: a sample without labels needs a value listed in 'none' (e.g. \"No Finding\")");
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.split_labels", config, sample(R"({"f": 3})")); }),
            prefix + "key 'f': split_labels needs text, got an int");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.split_labels", R"({"key": "f", "labels": ["a", "b"], "out": ["x"]})", sample(R"({"f": "a"})")); }),
            prefix + "create failed: 'labels' and 'out' pair each label with its key, so they must be as long (2 and 1)");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.split_labels", R"({"key": "f", "labels": ["a", "a"], "out": ["x", "y"]})", sample(R"({"f": "a"})")); }),
            prefix + "create failed: 'labels' holds \"a\" twice");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.split_labels", R"({"key": "f", "labels": [], "out": []})", sample(R"({"f": "a"})")); }),
            prefix + "create failed: 'labels' is empty: list the labels to find, e.g. [\"Effusion\", \"Edema\"]");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.split_labels", R"({"key": "f", "labels": ["a"], "out": ["x"], "separator": ""})", sample(R"({"f": "a"})")); }),
            prefix + "create failed: 'separator' is empty: give the text between two labels, e.g. \"|\"");
}

TEST(ReplaceValues, RemapsElementsKeepingTheDtype) {
  NDict in;
  in.set("m", Value(Tensor::from_vector<uint8_t>({0, 255, 128, 255, 7}, {5})));
  NDict out = run_op("fuse.ops.replace_values", R"({"keys": ["m"], "from": [255, 128, 300], "to": [1, 2, 0]})", in);
  EXPECT_EQ(values<uint8_t>(out.get<Tensor>("m")), (std::vector<uint8_t>{0, 1, 2, 1, 7}));  // 300 fits no uint8: matches nothing
  out = run_op("fuse.ops.replace_values", R"({"keys": ["f"], "from": [0.5], "to": [-1]})", sample(R"({"f": [0.5, 0.25]})"));
  EXPECT_EQ(values<float>(out.get<Tensor>("f")), (std::vector<float>{-1.0f, 0.25f}));
  // Pairs apply to the input, not one after the other: 1 -> 2 and 2 -> 1 swap.
  out = run_op("fuse.ops.replace_values", R"({"keys": ["l"], "from": [1, 2], "to": [2, 1]})", sample(R"({"l": [1, 2, 3]})"));
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("l")), (std::vector<int64_t>{2, 1, 3}));
}

// A table's numbers: CheXpert's -1 (uncertain) as 1 (U-Ones); ints stay ints, doubles doubles.
TEST(ReplaceValues, NumbersAreOneElement) {
  const std::string config = R"({"keys": ["a", "b", "c"], "from": [-1], "to": [1]})";
  NDict out = run_op("fuse.ops.replace_values", config, sample(R"({"a": -1, "b": -1.0, "c": 0})"));
  EXPECT_EQ(out.at("a"), Value(int64_t{1}));
  EXPECT_EQ(out.at("b"), Value(1.0));
  EXPECT_EQ(out.at("c"), Value(int64_t{0}));
  EXPECT_EQ(error_of([] { run_op("fuse.ops.replace_values", R"({"keys": ["a"], "from": [-1], "to": [0.5]})", sample(R"({"a": -1})")); }),
            "op 'fuse.ops.replace_values' (plugin 'fuse.ops_core'): key 'a': 0.5 cannot be stored in its int");
}

TEST(ReplaceValues, BadPairsAreNamed) {
  EXPECT_EQ(error_of([] { run_op("fuse.ops.replace_values", R"({"keys": ["m"], "from": [1, 2], "to": [0]})", sample(R"({"m": [1]})")); }),
            "op 'fuse.ops.replace_values' (plugin 'fuse.ops_core'): create failed: 'from' and 'to' pair values, so they must be as long (2 and 1)");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.replace_values", R"({"keys": ["m"], "from": [1, 1], "to": [0, 2]})", sample(R"({"m": [1]})")); }),
            "op 'fuse.ops.replace_values' (plugin 'fuse.ops_core'): create failed: 'from' holds 1 twice");
  NDict bytes;
  bytes.set("m", Value(Tensor::from_vector<uint8_t>({1}, {1})));
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.replace_values", R"({"keys": ["m"], "from": [1], "to": [0.5]})", bytes); }),
            "op 'fuse.ops.replace_values' (plugin 'fuse.ops_core'): key 'm': 0.5 cannot be stored in its dtype uint8");
}

}  // namespace
}  // namespace fuse::testing
