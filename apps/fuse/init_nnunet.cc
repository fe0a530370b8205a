// fuse init on nnU-Net's raw data set (v2): dataset.json names the channels, the labels and the file ending;
// imagesTr holds <case>_<XXXX><ending> per channel, labelsTr <case><ending>. The experiment reads the folder as
// it is (a folder source whose paired files are the other channels and the labels), so `fuse infer BUNDLE
// --folder imagesTs` finds each test case's channels the same way.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/json/document.h"
#include "init.h"

namespace fuse::cli {

namespace fs = std::filesystem;
namespace bj = boost::json;

namespace {

fs::path dataset_json(const std::string& path) { return fs::is_directory(path) ? fs::path(path) / "dataset.json" : fs::path(path); }

// A channel's name as a column name: letters, digits, '_' and '-' kept, the rest '_' ("T2 FLAIR" -> "T2_FLAIR").
std::string column_of(const std::string& name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ? c : '_';
  return out;
}

// "_0003" + ending: channel c's suffix.
std::string channel_suffix(size_t c, const std::string& ending) {
  const std::string number = std::to_string(c);
  return "_" + std::string(number.size() < 4 ? 4 - number.size() : 0, '0') + number + ending;
}

}  // namespace

bool is_nnunet_dataset(const std::string& path) {
  const fs::path file = dataset_json(path);
  if (file.filename() != "dataset.json" || !fs::is_regular_file(file) || !fs::is_directory(file.parent_path() / "imagesTr")) return false;
  try {
    const json::Document d = json::Document::load(file);
    const bj::value& root = d.root();
    return root.is_object() && root.as_object().contains("channel_names") && root.as_object().contains("file_ending");
  } catch (const Error&) {
    return false;  // not readable as one: the data list's reader says why
  }
}

ChannelNorm channel_norm(const std::string& channel_name) {
  const std::string name = lowercase(channel_name);
  if (name == "ct") return ChannelNorm::kCt;
  if (name == "nonorm") return ChannelNorm::kNone;
  if (name == "rescale_to_0_1") return ChannelNorm::kMinMax;
  if (name == "rgb_to_0_1") return ChannelNorm::kRgb;
  return ChannelNorm::kZscore;
}

NnunetDataset read_nnunet_dataset(const std::string& path) {
  const fs::path file = dataset_json(path);
  const json::Document d = json::Document::load(file);
  const bj::object& root = d.root().as_object();
  NnunetDataset n;
  n.folder = file.parent_path();
  const bj::value& ending = root.at("file_ending");
  if (!ending.is_string() || ending.as_string().empty())
    throw Error(Errc::kConfig, d.location("/file_ending") + ": 'file_ending' is the images' extension, e.g. \".nii.gz\"");
  n.ending = std::string(ending.as_string());
  // Channels by their number ("0", "1", ...), which must run from 0 without a gap.
  const bj::value& names = root.at("channel_names");
  if (!names.is_object() || names.as_object().empty())
    throw Error(Errc::kConfig, d.location("/channel_names") + ": 'channel_names' maps each channel's number to its name, e.g. {\"0\": \"T2\"}");
  std::set<std::string> taken = {"mask"};
  for (size_t c = 0; c < names.as_object().size(); ++c) {
    const bj::value* name = names.as_object().if_contains(std::to_string(c));
    if (name == nullptr || !name->is_string())
      throw Error(Errc::kConfig, d.location("/channel_names") + ": no channel " + std::to_string(c) + " (channels are numbered 0, 1, ... without a gap)");
    n.norms.push_back(channel_norm(std::string(name->as_string())));
    std::string column = column_of(std::string(name->as_string()));
    if (column.empty() || !taken.insert(column).second) column = "channel_" + std::to_string(c);  // a name used twice keeps its number
    n.channels.push_back(column);
  }
  // Labels: name -> value, or with region-based labels (a name -> several values, as BraTS's) each name but the
  // background's a region, turned back into labels by 'regions_class_order'.
  if (const bj::value* labels = root.if_contains("labels"); labels != nullptr && labels->is_object()) {
    bool regions = false;
    for (const auto& [name, value] : labels->as_object()) regions = regions || (value.is_array() && value.as_array().size() > 1);
    for (const auto& [name, value] : labels->as_object()) {
      const std::string at = d.location("/labels/" + json::escape_token(name));
      std::vector<int64_t> values;
      if (value.is_int64()) values.push_back(value.as_int64());
      else if (value.is_array())
        for (const bj::value& v : value.as_array()) values.push_back(v.is_int64() ? v.as_int64() : -1);
      if (values.empty() || std::any_of(values.begin(), values.end(), [](int64_t v) { return v < 0; }))
        throw Error(Errc::kConfig, at + ": label '" + std::string(name) + "' must be a label value (0, 1, ...) or, for a region, a list of them");
      if (name == "ignore") {  // nnU-Net's sparse annotation: voxels of this label are not annotated
        if (values.size() != 1 || values[0] == 0)
          throw Error(Errc::kConfig, at + ": the 'ignore' label marks voxels not annotated: one label value, the largest (e.g. 3 after 0, 1, 2)");
        n.ignore = values[0];
        continue;
      }
      if (!regions) {
        n.labels[values.front()] = std::string(name);
        continue;
      }
      if (values == std::vector<int64_t>{0}) continue;  // the background: no region
      if (std::count(values.begin(), values.end(), 0))
        throw Error(Errc::kConfig, at + ": region '" + std::string(name) + "' holds label 0, the background; a region is made of labels 1, 2, ...");
      n.regions.regions.push_back({std::string(name), values});
    }
    if (n.ignore) {  // nnU-Net's rule: the ignore label is the largest
      int64_t largest = 0;
      std::string of;
      for (const auto& [value, name] : n.labels)
        if (value > largest) largest = value, of = name;
      for (const LabelRegion& r : n.regions.regions)
        for (int64_t l : r.labels)
          if (l > largest) largest = l, of = r.name;
      if (largest >= *n.ignore)
        throw Error(Errc::kConfig, d.location("/labels/ignore") + ": the 'ignore' label (" + std::to_string(*n.ignore) + ") must be the largest label, but '" + of +
                                       "' holds " + std::to_string(largest) + " (nnU-Net's rule)");
    }
    if (regions) {
      std::string region_names;
      for (const LabelRegion& r : n.regions.regions) region_names += (region_names.empty() ? "" : ", ") + r.name;
      const bj::value* order = root.if_contains("regions_class_order");
      if (order == nullptr || !order->is_array())
        throw Error(Errc::kConfig, d.location("/labels") + ": region-based labels (" + region_names + ") need 'regions_class_order': the label each region's "
                                                           "voxels get, inner regions last (e.g. [1, 2, 3] for BraTS's whole tumour, tumour core, "
                                                           "enhancing tumour)");
      for (const bj::value& v : order->as_array()) {
        if (!v.is_int64() || v.as_int64() < 1)
          throw Error(Errc::kConfig, d.location("/regions_class_order") + ": 'regions_class_order' lists labels 1, 2, ... (one per region)");
        n.regions.order.push_back(v.as_int64());
      }
      if (n.regions.order.size() != n.regions.regions.size())
        throw Error(Errc::kConfig, d.location("/regions_class_order") + ": 'regions_class_order' has " + std::to_string(n.regions.order.size()) +
                                       " labels for " + std::to_string(n.regions.regions.size()) + " regions (" + region_names + "): one per region, in their order");
    }
  }
  // The cases: imagesTr/<case>_0000<ending>, in name order.
  const std::string first = channel_suffix(0, n.ending);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(n.folder / "imagesTr")) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.size() > first.size() && name.compare(name.size() - first.size(), first.size(), first) == 0) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  n.images.resize(n.channels.size());
  for (const fs::path& f : files) {
    const std::string name = f.filename().string();
    n.ids.push_back(name.substr(0, name.size() - first.size()));
    for (size_t c = 0; c < n.channels.size(); ++c) {
      const fs::path channel = n.folder / "imagesTr" / (n.ids.back() + channel_suffix(c, n.ending));
      if (!fs::exists(channel))
        throw Error(Errc::kIo, "case '" + n.ids.back() + "' of " + file.string() + ": no file '" + channel.string() + "' for channel " + std::to_string(c) + " (" +
                                   n.channels[c] + ")");
      n.images[c].push_back(channel.string());
    }
    const fs::path label = n.folder / "labelsTr" / (n.ids.back() + n.ending);
    if (!fs::exists(label)) throw Error(Errc::kIo, "case '" + n.ids.back() + "' of " + file.string() + ": no label map '" + label.string() + "'");
    n.masks.push_back(label.string());
  }
  if (files.empty()) throw Error(Errc::kIo, file.string() + ": no case in '" + (n.folder / "imagesTr").string() + "' (files named <case>" + first + ")");
  if (const bj::value* count = root.if_contains("numTraining"); count != nullptr && count->is_int64() && count->as_int64() != static_cast<int64_t>(files.size()))
    throw Error(Errc::kInvalidArgument, d.location("/numTraining") + ": 'numTraining' is " + std::to_string(count->as_int64()) + " but imagesTr holds " +
                                            std::to_string(files.size()) + " cases");
  return n;
}

std::string nnunet_source(const NnunetDataset& n, const fs::path& experiment) {
  const std::string all = "{*}";
  std::string with;
  for (size_t c = 1; c < n.channels.size(); ++c) with += json_string(data_key(n.channels[c])) + ": " + json_string(all + channel_suffix(c, n.ending)) + ", ";
  with += "\"data.mask\": " + json_string("../labelsTr/" + all + n.ending);
  return "{\"folder\": " + json_string(table_path(n.folder / "imagesTr", experiment)) + ", \"pattern\": " + json_string("*" + channel_suffix(0, n.ending)) +
         ", \"key\": " + json_string(data_key(n.channels[0])) + ", \"id\": \"{*}\",\n               \"with\": {" + with + "}}";
}

}  // namespace fuse::cli
