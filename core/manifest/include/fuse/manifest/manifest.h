// The plugin package manifest (fm-plugin.json): what the host knows about a plugin without running its code.
// The format is documented in sdk/README.md. Every error names the file, line and column.
#ifndef FUSE_MANIFEST_MANIFEST_H_
#define FUSE_MANIFEST_MANIFEST_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <dlpack/dlpack.h>

#include "fuse/json/document.h"

namespace fuse {

enum class ComponentKind { kOp = 1, kModel = 2, kLoss = 3, kMetric = 4 };  // = FM_KIND_*
const char* kind_name(ComponentKind kind);
std::optional<ComponentKind> parse_kind(std::string_view name);

// The types a config value may have.
// kPath: a string naming a file; a relative one is taken from the folder of the config that gives it.
enum class FieldType { kInt, kDouble, kBool, kString, kPath, kKey, kIntList, kDoubleList, kStringList, kKeyList, kObject, kAny };
const char* field_type_name(FieldType type);

struct ConfigField {
  std::string name;
  FieldType type = FieldType::kAny;
  bool required = true;             // no "default" given
  boost::json::value default_value;  // null when there is none, or when null is the default (an optional value)
  std::optional<double> min, max;    // inclusive bounds of numbers (each element of a list)
  std::vector<boost::json::value> choices;  // "enum": the allowed values
  std::string description;
};

// A key a component reads or writes, with what the value must look like.
struct KeySpec {
  std::string key;  // a dotted key; "$field": the key(s) held by that config field; "${field}_meta": those
                    // keys with a suffix
  std::string field, suffix;  // of a "$field" or "${field}suffix" reference (field empty for a plain key)
  std::string type = "any";          // tensor, int, double, bool, string, list, dict or any
  std::vector<DLDataType> dtypes;    // allowed tensor dtypes (empty: any)
  std::vector<int32_t> ndims;        // allowed tensor ranks (empty: any)
  std::vector<int64_t> shape;        // exact tensor shape, -1 for any size (empty: any)
  std::vector<int64_t> values;       // allowed integer values (of an int, or of each element of a tensor)
  bool optional = false;             // a write the component may skip, or a read it can do without
};

// An op whose config values may be fitted to the training data ("fit": {"of": "keys", "set": {"mean": "mean"}}):
// the host computes each statistic over the values of the keys in config field `of`, in the training samples as
// the static steps before the op leave them, and sets the config field to it (a step marked "fit").
struct FitSpec {
  std::string of;                                        // a key or key[] config field
  std::vector<std::pair<std::string, std::string>> set;  // config field -> statistic (is_fit_statistic, fit_statistic_fills)
  // Fitted to a trained model's outputs (breslow_*), not to the data; a manifest never mixes the two.
  bool on_predictions() const;
};

// A model's int config field that the host may take from the data when a config leaves it out
// ("sizes": {"in_channels": {"of": "inputs", "index": 0, "dim": 1}}): the size of dimension `dim` (negative:
// from the end; the batch is dimension 0) of the `index`-th key in config field `of`, in a training batch; with
// `flatten`, the product of the sizes from `dim` on (an MLP's in_features: [batch, 2, 3] gives 6, [batch] 1);
// with `spatial`, an int[] field: the sizes from `dim` on, last first (x, y[, z], the order of sizes in configs: a
// ViT's image_size from [batch, channels, z, y, x]).
struct SizeSpec {
  std::string field;  // an int (int[] when spatial) config field whose default is null
  std::string of;     // a key or key[] config field
  size_t index = 0;   // which of its keys
  int64_t dim = 0;
  bool flatten = false;
  bool spatial = false;
};

struct ComponentManifest {
  ComponentKind kind = ComponentKind::kOp;
  std::string id;
  std::string version;
  std::string description;
  std::vector<ConfigField> config;
  std::vector<KeySpec> reads;
  std::vector<KeySpec> writes;
  std::optional<boost::json::object> example;  // a valid config, used by `fuse plugins check`
  std::optional<FitSpec> fit;                  // ops only; manifest_version 2
  std::vector<SizeSpec> sizes;                 // models only; manifest_version 3
  std::string pointer;                         // where it sits in the manifest, e.g. "/components/2"

  const ConfigField* field(std::string_view name) const;
};

struct LibraryEntry {
  std::string platform;  // e.g. "linux-x86_64"
  std::string path;      // relative to the manifest's folder
  std::string sha256;
};

struct PluginManifest {
  std::filesystem::path file;  // the fm-plugin.json it was read from
  std::string id;
  std::string version;
  std::string description;
  uint32_t abi_major = 0;
  uint32_t abi_minor = 0;
  std::vector<LibraryEntry> libraries;
  std::string requires_torch;  // "" when the plugin does not use LibTorch
  bool requires_cuda = false;
  std::vector<ComponentManifest> components;

  std::filesystem::path dir() const { return file.parent_path(); }
  // The entry for this host's platform, or nullptr.
  const LibraryEntry* host_library() const;
  const ComponentManifest* component(std::string_view id) const;
};

// "linux-x86_64": the platform key of this host (fuse_add_plugin writes the same).
std::string host_platform();

// The statistics a FitSpec may set: mean, std, min, max, median, or pN, the N-th percentile (0 <= N <= 100,
// e.g. p99.5), each a number; or categories, the distinct values (strings, ints or bools), sorted; or, of a
// trained model's predictions (is_prediction_statistic), breslow_times and breslow_hazard. kFitStatistics
// names them for messages.
bool is_fit_statistic(std::string_view name);
inline constexpr const char* kFitStatistics =
    "mean, std, min, max, median, pN (a percentile, e.g. p99.5), categories, or of a trained model's risk scores breslow_times and breslow_hazard";

// Statistics of a trained model's predictions on the training samples rather than of the data: the distinct
// event times and the Breslow baseline cumulative hazard at each (of a Cox model's risk scores, with a time
// and an event key). A postprocess step marked "fit": {"time": KEY, "event": KEY} gets them after training.
bool is_prediction_statistic(std::string_view name);
// Whether any of `set`'s statistics (config field -> statistic) is one of those.
bool sets_prediction_statistic(const std::vector<std::pair<std::string, std::string>>& set);

// Whether a config field of type `field` can receive `statistic`: a number goes into a double field; the
// categories into an object field (category -> index, e.g. a lookup table) or an any field (their list); the
// Breslow times and hazards into a double[] field.
// fit_field_needs() says what `statistic` needs, for messages.
bool fit_statistic_fills(FieldType field, std::string_view statistic);
const char* fit_field_needs(std::string_view statistic);

// Parses and validates a manifest; errors are Error(kConfig) "<file>:<line>:<col>: <message>".
PluginManifest parse_manifest(const json::Document& document);
PluginManifest load_manifest(const std::filesystem::path& file);

}  // namespace fuse

#endif  // FUSE_MANIFEST_MANIFEST_H_
