// Every bad plugin the host can meet: each gets a message that says what is wrong and where, and the host
// carries on (other plugins stay usable).
#include <fstream>

#include <gtest/gtest.h>

#include "fuse/hash/sha256.h"
#include "package_fixture.h"
#include "test_support.h"

namespace fuse::testing {
namespace {

namespace fs = std::filesystem;

std::string load_error(const Registry& r, std::string_view component) {
  return error_of([&] { r.create_op(component); });
}

// The probe op must still work after another package failed.
void expect_probe_works(const Registry& r) {
  Op op = r.create_op("probe.op");
  NDict s;
  op.forward(s);
}

TEST_F(PackageTest, GoodPackageLoadsLazily) {
  package("probe", test_library("probe_abi_1_0"), probe_manifest(1, 0));
  Registry r = registry();
  ASSERT_EQ(r.packages().size(), 1u);
  EXPECT_EQ(r.status(r.packages()[0]), "available");
  expect_probe_works(r);
  EXPECT_EQ(r.status(r.packages()[0]), "loaded");
  EXPECT_EQ(r.library(r.packages()[0]), r.library(r.packages()[0]));  // opened once
}

TEST_F(PackageTest, ManifestThatIsNotJson) {
  fs::path dir = package("broken", {}, "{\n  \"id\": \"x\"\n  \"version\": 1\n}");
  package("probe", test_library("probe_abi_1_0"), probe_manifest(1, 0));
  Registry r = registry();
  ASSERT_EQ(r.packages().size(), 2u);
  EXPECT_EQ(r.packages()[0].error, (dir / "fm-plugin.json").string() + ":3:3: invalid JSON: syntax error");
  EXPECT_EQ(r.status(r.packages()[0]), "invalid manifest: " + r.packages()[0].error);
  expect_probe_works(r);
}

TEST_F(PackageTest, ManifestMissingAField) {
  fs::path dir = package("nofield", {}, R"({"id": "x.y", "abi": {"major": 1, "minor": 0}})");
  Registry r = registry();
  EXPECT_EQ(r.packages()[0].error, (dir / "fm-plugin.json").string() + ":1:1: missing field 'version' in the manifest");
}

TEST_F(PackageTest, ManifestWithAnUnknownKind) {
  std::string manifest = probe_manifest(1, 0);
  manifest.replace(manifest.find("\"op\""), 4, "\"operation\"");
  fs::path dir = package("kind", test_library("probe_abi_1_0"), manifest);
  Registry r = registry();
  EXPECT_EQ(r.packages()[0].error, (dir / "fm-plugin.json").string() +
                                       ":3:27: component 'probe.op' has unknown kind 'operation' (expected op, model, "
                                       "loss or metric)");
  EXPECT_EQ(load_error(r, "probe.op"),
            "unknown component 'probe.op' (0 components found in: " + root_.string() + ")");
}

TEST_F(PackageTest, AbiMajorThatDiffers) {
  fs::path dir = package("major", test_library("probe_abi_2_0"), probe_manifest(2, 0));
  Registry r = registry();
  const std::string problem =
      "it was built for ABI 2.0 but this host speaks ABI 1.0 (the major versions must match): rebuild it against "
      "FuseSDK 1.x";
  EXPECT_EQ(r.status(r.packages()[0]), "incompatible: " + problem);
  EXPECT_EQ(load_error(r, "probe.op"),
            "plugin 'test.probe' (" + (dir / "fm-plugin.json").string() + "): cannot be loaded: " + problem);
}

TEST_F(PackageTest, AbiMajorThatDiffersFromItsManifest) {
  // The manifest claims 1.0 but the library was built for 2.0: caught when the library says so.
  fs::path dir = package("liar", test_library("probe_abi_2_0"), probe_manifest(1, 0));
  Registry r = registry();
  EXPECT_EQ(r.status(r.packages()[0]), "available");
  EXPECT_EQ(load_error(r, "probe.op"),
            "plugin 'test.probe' (" + (dir / "fm-plugin.json").string() +
                "): the library cannot be loaded: it was built for ABI 2.0 but this host speaks ABI 1.0 (the major "
                "versions must match): rebuild it against FuseSDK 1.x");
}

TEST_F(PackageTest, AbiMinorNewerThanTheHost) {
  fs::path dir = package("minor", test_library("probe_abi_1_9"), probe_manifest(1, 9));
  Registry r = registry();
  const std::string problem =
      "it was built for ABI 1.9, newer than this host's ABI 1.0: update fuse, or rebuild the plugin against an "
      "older FuseSDK";
  EXPECT_EQ(r.status(r.packages()[0]), "incompatible: " + problem);
  EXPECT_EQ(load_error(r, "probe.op"),
            "plugin 'test.probe' (" + (dir / "fm-plugin.json").string() + "): cannot be loaded: " + problem);
}

TEST_F(PackageTest, Sha256Mismatch) {
  std::string manifest = probe_manifest(1, 0);
  manifest.replace(manifest.find("@SHA256@"), 8, std::string(64, '0'));
  fs::path dir = package("hash", test_library("probe_abi_1_0"), manifest);
  Registry r = registry();
  const std::string lib = (dir / "libprobe_abi_1_0.so").string();
  EXPECT_EQ(load_error(r, "probe.op"),
            "plugin 'test.probe' (" + (dir / "fm-plugin.json").string() + "): sha256 mismatch for '" + lib +
                "': the manifest says " + std::string(64, '0') + ", the file has " + sha256_file_hex(lib) +
                "; the library changed after its manifest was written: rebuild the plugin (fuse_add_plugin writes "
                "both)");
}

TEST_F(PackageTest, LibraryFileMissing) {
  fs::path dir = package("missing", test_library("probe_abi_1_0"), probe_manifest(1, 0));
  fs::remove(dir / "libprobe_abi_1_0.so");
  Registry r = registry();
  EXPECT_EQ(load_error(r, "probe.op"),
            "plugin 'test.probe' (" + (dir / "fm-plugin.json").string() + "): library file '" +
                (dir / "libprobe_abi_1_0.so").string() +
                "' not found; rebuild the plugin or fix 'path' in the manifest");
}

TEST_F(PackageTest, LibraryWithoutTheEntrySymbol) {
  fs::path dir = package("noentry", test_library("no_entry"), probe_manifest(1, 0));
  Registry r = registry();
  EXPECT_EQ(load_error(r, "probe.op"),
            "plugin 'test.probe' (" + (dir / "fm-plugin.json").string() + "): '" + (dir / "libno_entry.so").string() +
                "' has no entry symbol 'fm_plugin_entry_v1': is it a FuseMedML++ plugin? (C++: FUSE_PLUGIN(...); C: "
                "an FM_PLUGIN_EXPORT function of that name)");
}

TEST_F(PackageTest, LibraryThatIsNotALibrary) {
  fs::path dir = package("garbage", {}, "");
  std::ofstream(dir / "libgarbage.so") << "this is not an ELF file";
  std::string manifest = probe_manifest(1, 0);
  manifest.replace(manifest.find("@LIB@"), 5, "libgarbage.so");
  manifest.replace(manifest.find("@SHA256@"), 8, sha256_file_hex(dir / "libgarbage.so"));
  std::ofstream(dir / "fm-plugin.json") << manifest;
  Registry r = registry();
  const std::string lib = (dir / "libgarbage.so").string();
  EXPECT_EQ(load_error(r, "probe.op"), "plugin 'test.probe' (" + (dir / "fm-plugin.json").string() +
                                           "): cannot open '" + lib + "': " + lib + ": file too short");
}

TEST_F(PackageTest, RegisteredComponentsDifferFromTheManifest) {
  const std::string manifest = R"({"id": "test.kit", "version": "1.0.0", "abi": {"major": 1, "minor": 0},
  "libraries": [{"platform": "linux-x86_64", "path": "@LIB@", "sha256": "@SHA256@"}],
  "components": [
    {"kind": "op", "id": "test.throws", "version": "1.0.0"},
    {"kind": "op", "id": "test.returns_error", "version": "2.0.0"},
    {"kind": "op", "id": "test.ghost", "version": "1.0.0"}]})";
  fs::path dir = package("kit", test_library("testkit"), manifest);
  Registry r = registry();
  EXPECT_EQ(load_error(r, "test.throws"),
            "plugin 'test.kit' (" + (dir / "fm-plugin.json").string() +
                "): the library's components do not match the manifest: component 'test.returns_error' is op 1.0.0 in "
                "the library but op 2.0.0 in the manifest; registered but not in the manifest: test.bad_dtype (op "
                "1.0.0), test.bad_shape (op 1.0.0), test.binary_label (op 1.0.0), test.counter (op 1.0.0), "
                "test.create_fails (op 1.0.0), test.echo (op 1.0.0), test.fail_on (op 1.0.0), test.fill (op 1.0.0), "
                "test.forgets_write (op 1.0.0), test.linear (model 1.0.0), test.mean (metric 1.0.0), test.mse (loss "
                "1.0.0), test.path (op 1.0.0); in the manifest but not registered: test.ghost (op 1.0.0)");
}

TEST_F(PackageTest, SameComponentInTwoPlugins) {
  fs::path a = package("a", test_library("probe_abi_1_0"), probe_manifest(1, 0));
  std::string other = probe_manifest(1, 0);
  other.replace(other.find("test.probe"), 10, "test.other");
  fs::path b = package("b", test_library("probe_abi_1_0"), other);
  Registry r = registry();
  EXPECT_EQ(load_error(r, "probe.op"),
            "component 'probe.op' is provided by two plugins: 'test.probe' (" + (a / "fm-plugin.json").string() +
                ") and 'test.other' (" + (b / "fm-plugin.json").string() +
                "); remove one of them or change FUSE_PLUGIN_PATH");
  EXPECT_EQ(r.status(r.packages()[0]), "conflict: component 'probe.op' is also in another plugin");
}

TEST_F(PackageTest, UnknownComponentGetsASuggestion) {
  package("probe", test_library("probe_abi_1_0"), probe_manifest(1, 0));
  Registry r = registry();
  EXPECT_EQ(load_error(r, "probe.opp"),
            "unknown component 'probe.opp'; did you mean 'probe.op'? (1 components found in: " + root_.string() + ")");
}

// ---- components that misbehave: the message carries the plugin id, the component id and the text ----

class KitTest : public PackageTest {
 protected:
  void SetUp() override {
    PackageTest::SetUp();
    fs::copy(fs::path(FUSE_TEST_PLUGIN_ROOT) / "testkit", root_ / "testkit");
  }
};

TEST_F(KitTest, ThrowingComponent) {
  Registry r = registry();
  Op op = r.create_op("test.throws");
  NDict s;
  try {
    op.forward(s);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kInternal);
    EXPECT_STREQ(e.what(), "op 'test.throws' (plugin 'test.kit'): boom");
  }
}

TEST_F(KitTest, ComponentReturningAnError) {
  Registry r = registry();
  Op op = r.create_op("test.returns_error");
  NDict s;
  try {
    op.forward(s);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kIo);
    EXPECT_STREQ(e.what(), "op 'test.returns_error' (plugin 'test.kit'): disk on fire");
  }
  // The instance and the host are still usable.
  EXPECT_THROW(op.forward(s), Error);
  Op echo = r.create_op("test.echo");
  echo.forward(s);
  EXPECT_TRUE(s.has("call.seed"));
}

TEST_F(KitTest, CreateThatFails) {
  Registry r = registry();
  EXPECT_EQ(error_of([&] { r.create_op("test.create_fails", json_object(R"({"n": 3})")); }),
            "op 'test.create_fails' (plugin 'test.kit'): create failed: n must be at most 2 for this op");
}

TEST_F(KitTest, ConfigValuesOfTheWrongTypeRangeOrName) {
  Registry r = registry();
  EXPECT_EQ(error_of([&] { r.create_op("test.create_fails", json_object(R"({"n": "three"})")); }),
            "component 'test.create_fails': config 'n' must be an integer, got string \"three\"");
  EXPECT_EQ(error_of([&] { r.create_op("test.create_fails", json_object(R"({"m": 1})")); }),
            "component 'test.create_fails': unknown config key 'm' (known: n)");
  EXPECT_EQ(error_of([&] { r.create_op("fuse.missing.op"); }).rfind("unknown component 'fuse.missing.op'", 0), 0u);
  EXPECT_EQ(error_of([&] { r.create_op("test.linear"); }), "component 'test.linear' is a model, not an op");
}

TEST_F(KitTest, OutputWithADtypeTheManifestDoesNotAllow) {
  Registry r = registry();
  Op op = r.create_op("test.bad_dtype");
  NDict s;
  EXPECT_EQ(error_of([&] { op.forward(s); }),
            "op 'test.bad_dtype' (plugin 'test.kit'): output 'out' has dtype int64; the manifest allows float32");
}

TEST_F(KitTest, OutputWithAShapeTheManifestDoesNotAllow) {
  Registry r = registry();
  Op op = r.create_op("test.bad_shape");
  NDict s;
  EXPECT_EQ(error_of([&] { op.forward(s); }),
            "op 'test.bad_shape' (plugin 'test.kit'): output 'out' has shape [2, 3]; the manifest promises [3, *]");
}

TEST_F(KitTest, DeclaredWriteThatNeverHappens) {
  Registry r = registry();
  Op op = r.create_op("test.forgets_write");
  NDict s;
  EXPECT_EQ(error_of([&] { op.forward(s); }),
            "op 'test.forgets_write' (plugin 'test.kit'): its manifest says it writes 'promised' but it did not");
}

TEST_F(KitTest, ValuesOutsideTheAllowedSetAreReportedByTheHost) {
  Registry r = registry();
  Op op = r.create_op("test.binary_label");
  NDict s = sample(R"({"label": [0, 1, 1, 2, 0]})");
  EXPECT_EQ(error_of([&] { op.forward(s); }),
            "op 'test.binary_label' (plugin 'test.kit'): key 'label': value 2 at index 3 is not allowed (allowed: 0, 1)");
  s.set("label", 3);
  EXPECT_EQ(error_of([&] { op.forward(s); }),
            "op 'test.binary_label' (plugin 'test.kit'): key 'label': value 3 at index 0 is not allowed (allowed: 0, 1)");
  s.set("label", 1);
  op.forward(s);
}

TEST_F(KitTest, MissingInputIsReportedByTheHostBeforeTheCall) {
  Registry r = registry();
  Model m = r.create_model("test.linear");
  NDict s;
  s.set("z", 1);
  EXPECT_EQ(error_of([&] { m.forward(s); }), "model 'test.linear' (plugin 'test.kit'): key 'x' missing; present: z");
}

}  // namespace
}  // namespace fuse::testing
