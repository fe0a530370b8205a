#include "fuse/manifest/manifest.h"

#include <gtest/gtest.h>

#include "fuse/base/error.h"

namespace fuse {
namespace {

const std::string kHash(64, 'a');

std::string manifest_with(const std::string& components, const std::string& top = "") {
  return R"({
  "id": "test.plugin",
  "version": "1.2.3",
  "abi": {"major": 1, "minor": 0},)" +
         top + R"(
  "libraries": [{"platform": "linux-x86_64", "path": "libtest.so", "sha256": ")" +
         kHash + R"("}],
  "components": [)" +
         components + R"(]
})";
}

const char* kZscore = R"(
    {
      "kind": "op",
      "id": "test.zscore",
      "version": "1.0.0",
      "description": "z-score",
      "config": {
        "keys": {"type": "key[]", "description": "tensors to normalise"},
        "eps": {"type": "double", "default": 1e-8, "min": 0},
        "mean": {"type": "double", "default": null}
      },
      "reads": ["$keys"],
      "writes": [{"key": "$keys", "dtype": ["float32", "float64"], "ndim": [1, 2, 3, 4]}],
      "example": {"keys": ["data.x"]}
    })";

PluginManifest parse(const std::string& text) {
  return parse_manifest(json::Document::parse(text, "/plugins/test/fm-plugin.json"));
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kConfig);
    return e.what();
  }
  return "no error";
}

TEST(Manifest, ParsesAValidManifest) {
  PluginManifest m = parse(manifest_with(kZscore, R"( "requires": {"torch": "1.13", "cuda": false},)"));
  EXPECT_EQ(m.id, "test.plugin");
  EXPECT_EQ(m.version, "1.2.3");
  EXPECT_EQ(m.abi_major, 1u);
  EXPECT_EQ(m.abi_minor, 0u);
  EXPECT_EQ(m.requires_torch, "1.13");
  EXPECT_EQ(m.dir(), "/plugins/test");
  ASSERT_EQ(m.libraries.size(), 1u);
  EXPECT_EQ(m.libraries[0].path, "libtest.so");
  ASSERT_EQ(m.components.size(), 1u);
  const ComponentManifest& c = m.components[0];
  EXPECT_EQ(c.kind, ComponentKind::kOp);
  EXPECT_EQ(c.pointer, "/components/0");
  ASSERT_EQ(c.config.size(), 3u);
  EXPECT_TRUE(c.config[0].required);
  EXPECT_FALSE(c.config[1].required);
  EXPECT_EQ(c.config[1].min, 0.0);
  EXPECT_EQ(c.writes[0].type, "tensor");
  EXPECT_EQ(c.writes[0].dtypes.size(), 2u);
  EXPECT_EQ(c.writes[0].ndims, (std::vector<int32_t>{1, 2, 3, 4}));
  EXPECT_NE(m.component("test.zscore"), nullptr);
  EXPECT_EQ(m.component("test.other"), nullptr);
  EXPECT_EQ(host_platform(), "linux-x86_64");
  EXPECT_NE(m.host_library(), nullptr);
}

TEST(Manifest, NotJsonIsLocated) {
  EXPECT_EQ(error_of("{\n  \"id\": \"x\",\n  oops\n}"), "/plugins/test/fm-plugin.json:3:3: invalid JSON: syntax error");
}

TEST(Manifest, MissingFieldIsNamed) {
  EXPECT_EQ(error_of(R"({"version": "1.0.0"})"), "/plugins/test/fm-plugin.json:1:1: missing field 'id' in the manifest");
  std::string no_version = manifest_with(R"({"kind": "op", "id": "a.b"})");
  EXPECT_EQ(error_of(no_version), "/plugins/test/fm-plugin.json:6:18: missing field 'version' in component 'a.b'");
  EXPECT_EQ(error_of(R"({"id": "x", "version": "1.0.0", "abi": {"major": 1, "minor": 0}, "components": []})"),
            "/plugins/test/fm-plugin.json:1:1: missing field 'libraries' in the manifest (fuse_add_plugin() writes it "
            "at build time)");
}

TEST(Manifest, UnknownKindIsLocatedWithASuggestion) {
  EXPECT_EQ(error_of(manifest_with(R"(
    {"kind": "opp", "id": "a.b", "version": "1.0.0"})")),
            "/plugins/test/fm-plugin.json:7:14: component 'a.b' has unknown kind 'opp'; did you mean 'op'? (expected "
            "op, model, loss or metric)");
}

TEST(Manifest, UnknownFieldsAreRejectedWithASuggestion) {
  EXPECT_EQ(error_of(manifest_with("", R"( "descripton": "typo",)")),
            "/plugins/test/fm-plugin.json:4:50: unknown field 'descripton' in the manifest; did you mean "
            "'description'? (allowed: manifest_version, id, version, description, abi, requires, libraries, "
            "components)");
  EXPECT_NE(error_of(manifest_with(R"({"kind": "op", "id": "a.b", "version": "1.0.0",
      "config": {"k": {"type": "int", "defualt": 1}}})"))
                .find("unknown field 'defualt' in config field 'k'; did you mean 'default'?"),
            std::string::npos);
}

TEST(Manifest, BadValuesAreLocated) {
  EXPECT_NE(error_of(manifest_with(R"({"kind": "op", "id": "A", "version": "1.0.0"})")).find("component id 'A' must be lower-case"),
            std::string::npos);
  EXPECT_NE(error_of(manifest_with(R"({"kind": "op", "id": "a", "version": "1.0"})")).find("version '1.0' is not MAJOR.MINOR.PATCH"),
            std::string::npos);
  EXPECT_NE(error_of(manifest_with(R"({"kind": "op", "id": "a", "version": "1.0.0", "config": {"k": {"type": "integer"}}})"))
                .find("config field 'k' has unknown type 'integer' (allowed: int, double"),
            std::string::npos);
  EXPECT_NE(error_of(manifest_with(R"({"kind": "op", "id": "a", "version": "1.0.0", "writes": [{"key": "x", "dtype": ["float33"]}]})"))
                .find("unknown dtype \"float33\""),
            std::string::npos);
  EXPECT_NE(error_of(manifest_with(R"({"kind": "op", "id": "a", "version": "1.0.0", "reads": ["$nokey"]})"))
                .find("key '$nokey' refers to config field 'nokey', which the component does not have"),
            std::string::npos);
  EXPECT_NE(error_of(manifest_with(R"({"kind": "op", "id": "a", "version": "1.0.0", "config": {"k": {"type": "key"}}, "writes": ["${k_meta"]})"))
                .find("key '${k_meta' opens '${' without closing it; write \"${field}_suffix\""),
            std::string::npos);
  EXPECT_NE(error_of(manifest_with(R"({"kind": "op", "id": "a", "version": "1.0.0", "config": {"k": {"type": "key"}}, "writes": ["${k}..m"]})"))
                .find("key '${k}..m': the suffix '..m' would not make a dotted key"),
            std::string::npos);
  EXPECT_NE(error_of(manifest_with(R"({"kind": "op", "id": "a", "version": "1.0.0"}, {"kind": "op", "id": "a", "version": "1.0.0"})"))
                .find("component id 'a' appears twice in the manifest"),
            std::string::npos);
  std::string bad_hash = manifest_with("");
  bad_hash.replace(bad_hash.find(kHash), 64, "XYZ");
  EXPECT_NE(error_of(bad_hash).find("'sha256' must be 64 lower-case hex digits"), std::string::npos);
  EXPECT_NE(error_of(manifest_with("", R"( "manifest_version": 7,)")).find("manifest_version 7 is newer than this host reads (3)"),
            std::string::npos);
}

// A zscore op with a fit block (manifest_version 2).
std::string fit_manifest(const std::string& fit, const std::string& version = R"( "manifest_version": 2,)") {
  return manifest_with(R"({"kind": "op", "id": "z", "version": "1.0.0",
      "config": {"keys": {"type": "key[]"}, "mean": {"type": "double", "default": null}, "std": {"type": "double", "default": null},
                 "eps": {"type": "int", "default": 0}},
      "fit": )" + fit + "}",
                       version);
}

TEST(Manifest, ReadsWhatAnOpFits) {
  const PluginManifest m = parse(fit_manifest(R"({"of": "keys", "set": {"mean": "mean", "std": "std"}})"));
  ASSERT_TRUE(m.components[0].fit.has_value());
  EXPECT_EQ(m.components[0].fit->of, "keys");
  const std::vector<std::pair<std::string, std::string>> set = {{"mean", "mean"}, {"std", "std"}};
  EXPECT_EQ(m.components[0].fit->set, set);
  EXPECT_FALSE(parse(manifest_with(kZscore)).components[0].fit.has_value());
}

TEST(Manifest, ReadsAnOpThatFitsCategories) {
  const PluginManifest m = parse(manifest_with(R"({"kind": "op", "id": "c", "version": "1.0.0",
      "config": {"k": {"type": "key"}, "table": {"type": "object", "default": null}, "list": {"type": "any", "default": null}},
      "fit": {"of": "k", "set": {"table": "categories", "list": "categories"}}})",
                                               R"( "manifest_version": 2,)"));
  const std::vector<std::pair<std::string, std::string>> set = {{"table", "categories"}, {"list", "categories"}};
  EXPECT_EQ(m.components[0].fit->set, set);
  EXPECT_TRUE(fit_statistic_fills(FieldType::kDouble, "p99.5"));
  EXPECT_FALSE(fit_statistic_fills(FieldType::kDouble, "categories"));
  EXPECT_FALSE(fit_statistic_fills(FieldType::kObject, "mean"));
  EXPECT_FALSE(fit_statistic_fills(FieldType::kStringList, "categories"));
}

TEST(Manifest, FitStatistics) {
  for (const char* name : {"mean", "std", "min", "max", "median", "p0", "p0.5", "p50", "p99.5", "p100", "categories", "breslow_times", "breslow_hazard"})
    EXPECT_TRUE(is_fit_statistic(name)) << name;
  EXPECT_TRUE(is_prediction_statistic("breslow_hazard"));
  EXPECT_FALSE(is_prediction_statistic("mean"));
  EXPECT_TRUE(fit_statistic_fills(FieldType::kDoubleList, "breslow_times"));
  EXPECT_FALSE(fit_statistic_fills(FieldType::kDouble, "breslow_times"));
  for (const char* name : {"", "p", "p100.5", "p-1", "p.5", "p5.", "p1.2.3", "P50", "mode", "p5x"}) EXPECT_FALSE(is_fit_statistic(name)) << name;
}

TEST(Manifest, RefusesABadFit) {
  EXPECT_EQ(error_of(fit_manifest(R"({"of": "keys", "set": {"mean": "mean"}})", "")),
            "/plugins/test/fm-plugin.json:9:14: component 'z': 'fit' needs \"manifest_version\": 2 (hosts before it do not read 'fit')");
  EXPECT_NE(error_of(fit_manifest(R"({"of": "mean", "set": {"mean": "mean"}})"))
                .find("component 'z': fit 'of' must name a key or key[] config field (the keys whose values are measured), got 'mean'"),
            std::string::npos);
  EXPECT_NE(error_of(fit_manifest(R"({"of": "keys", "set": {"eps": "std"}})"))
                .find("component 'z': fit 'set': 'eps' must be a double config field of the component, to receive the std"),
            std::string::npos);
  EXPECT_NE(error_of(fit_manifest(R"({"of": "keys", "set": {"mean": "categories"}})"))
                .find("component 'z': fit 'set': 'mean' must be an object (category -> index) or any (their list) config field of the component, to receive the categories"),
            std::string::npos);
  EXPECT_NE(error_of(fit_manifest(R"({"of": "keys", "set": {"mean": "mode"}})"))
                .find("component 'z': fit 'set': 'mean' must be one of the statistics mean, std, min, max, median, pN (a percentile, e.g. p99.5), categories, or of "
                      "a trained model's risk scores breslow_times and breslow_hazard, got \"mode\""),
            std::string::npos);
  EXPECT_NE(error_of(manifest_with(R"({"kind": "op", "id": "c", "version": "1.0.0",
      "config": {"k": {"type": "key"}, "m": {"type": "double"}, "t": {"type": "object"}}, "fit": {"of": "k", "set": {"m": "mean", "t": "categories"}}})",
                                   R"( "manifest_version": 2,)"))
                .find("component 'c': fit 'set' mixes categories with numbers; a key's values are either counted or measured"),
            std::string::npos);
  EXPECT_NE(error_of(manifest_with(R"({"kind": "op", "id": "c", "version": "1.0.0",
      "config": {"k": {"type": "key"}, "m": {"type": "double"}, "t": {"type": "double[]"}}, "fit": {"of": "k", "set": {"m": "mean", "t": "breslow_times"}}})",
                                   R"( "manifest_version": 2,)"))
                .find("component 'c': fit 'set' mixes statistics of the data with those of a trained model's predictions (breslow_*); they are fitted at "
                      "different times"),
            std::string::npos);
  EXPECT_NE(error_of(fit_manifest(R"({"of": "keys", "set": {"mean": "breslow_hazard"}})"))
                .find("component 'z': fit 'set': 'mean' must be a double[] config field of the component, to receive the breslow_hazard"),
            std::string::npos);
  EXPECT_NE(error_of(fit_manifest(R"({"of": "keys", "set": {}})")).find("component 'z': fit 'set' names no config field to fit"), std::string::npos);
  EXPECT_NE(error_of(fit_manifest(R"({"of": "keys", "set": {"mean": "mean"}, "per": "key"})")).find("'per'"), std::string::npos);
  EXPECT_NE(error_of(manifest_with(R"({"kind": "loss", "id": "l", "version": "1.0.0", "config": {"k": {"type": "key"}, "m": {"type": "double"}},
      "fit": {"of": "k", "set": {"m": "mean"}}})",
                                   R"( "manifest_version": 2,)"))
                .find("component 'l': 'fit' is for ops only, which are fitted to data (this is a loss)"),
            std::string::npos);
}

// A model with a "sizes" block (manifest_version 3).
std::string sizes_manifest(const std::string& sizes, const std::string& version = R"( "manifest_version": 3,)", const std::string& kind = "model") {
  return manifest_with(R"({"kind": ")" + kind + R"(", "id": "m", "version": "1.0.0",
      "config": {"inputs": {"type": "key[]", "default": ["data.image"]}, "in": {"type": "int", "default": null}, "out": {"type": "int"},
                 "at": {"type": "int", "default": 3}, "grid": {"type": "int[]", "default": null}},
      "sizes": )" + sizes + "}",
                       version);
}

TEST(Manifest, ReadsTheSizesAModelTakesFromTheData) {
  const PluginManifest m = parse(sizes_manifest(R"({"in": {"of": "inputs", "index": 1, "dim": -1, "flatten": true}})"));
  ASSERT_EQ(m.components[0].sizes.size(), 1u);
  const SizeSpec& s = m.components[0].sizes[0];
  EXPECT_EQ(s.field, "in");
  EXPECT_EQ(s.of, "inputs");
  EXPECT_EQ(s.index, 1u);
  EXPECT_EQ(s.dim, -1);
  EXPECT_TRUE(s.flatten);
  EXPECT_FALSE(parse(sizes_manifest(R"({"in": {"of": "inputs", "dim": 1}})")).components[0].sizes[0].flatten);
  const SizeSpec grid = parse(sizes_manifest(R"({"grid": {"of": "inputs", "dim": 2, "spatial": true}})")).components[0].sizes[0];
  EXPECT_TRUE(grid.spatial);
  EXPECT_EQ(grid.dim, 2);
}

TEST(Manifest, RefusesBadSizes) {
  const auto refused = [](const std::string& text, const std::string& message) {
    const std::string e = error_of(text);
    EXPECT_NE(e.find(message), std::string::npos) << e;
  };
  refused(sizes_manifest(R"({"in": {"of": "inputs", "dim": 1}})", R"( "manifest_version": 2,)"),
          "component 'm': 'sizes' needs \"manifest_version\": 3 (hosts before it do not read 'sizes')");
  refused(sizes_manifest(R"({"in": {"of": "inputs", "dim": 1}})", R"( "manifest_version": 3,)", "loss"),
          "component 'm': 'sizes' is for models, which are sized from their inputs (this is a loss)");
  for (const char* field : {"out", "at", "inputs", "nope", "grid"})
    refused(sizes_manifest(R"({")" + std::string(field) + R"(": {"of": "inputs", "dim": 1}})"),
            "component 'm': sizes: '" + std::string(field) +
                "' must be an int config field whose default is null (the host sets it only where a config leaves it out); a list of sizes is \"spatial\": true");
  refused(sizes_manifest(R"({"in": {"of": "inputs", "dim": 2, "spatial": true}})"),
          "component 'm': sizes: 'in' must be an int[] config field whose default is null (the host sets it only where a config leaves it out)");
  refused(sizes_manifest(R"({"grid": {"of": "inputs", "dim": 2, "spatial": true, "flatten": true}})"),
          "component 'm': sizes 'grid': 'flatten' (one product) and 'spatial' (a size per dimension) exclude each other");
  refused(sizes_manifest(R"({"grid": {"of": "inputs", "dim": 2, "spatial": "yes"}})"), "component 'm': sizes 'grid': 'spatial' must be true or false");
  refused(sizes_manifest(R"({"in": {"of": "out", "dim": 1}})"), "component 'm': sizes 'in': 'of' must name a key or key[] config field (the inputs), got 'out'");
  refused(sizes_manifest(R"({"in": {"of": "inputs", "index": -1, "dim": 1}})"),
          "component 'm': sizes 'in': 'index' must be an integer >= 0 (0 for a key field): which of 'inputs''s keys");
  refused(sizes_manifest(R"({"in": {"of": "inputs"}})"),
          "component 'm': sizes 'in': 'dim' must be an integer: the dimension whose size it takes (0: the batch; -1: the last)");
  refused(sizes_manifest(R"({"in": {"of": "inputs", "dim": 1, "flatten": 1}})"), "component 'm': sizes 'in': 'flatten' must be true or false");
  refused(sizes_manifest(R"({"in": {"of": "inputs", "dim": 1, "axis": 1}})"), "'axis'");
}

TEST(Manifest, ExampleConfigMustValidate) {
  std::string text = manifest_with(R"({"kind": "op", "id": "a", "version": "1.0.0",
      "config": {"n": {"type": "int", "min": 1}}, "example": {"n": 0}})");
  EXPECT_EQ(error_of(text), "/plugins/test/fm-plugin.json:7:68: the example config does not validate: component 'a': "
                            "config 'n' must be >= 1, got 0");
}

TEST(Manifest, LoadReportsAMissingFile) {
  try {
    load_manifest("/nonexistent/fm-plugin.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kIo);
  }
}

}  // namespace
}  // namespace fuse
