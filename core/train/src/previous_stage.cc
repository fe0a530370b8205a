#include "fuse/train/previous_stage.h"

#include <map>

#include "fuse/base/error.h"

namespace fuse::train {

namespace fs = std::filesystem;

void attach_previous_stage(std::vector<data::Sample>& samples, const std::string& key, const fs::path& folder) {
  if (!fs::is_directory(folder))
    throw Error(Errc::kIo, "--previous-stage '" + folder.string() + "' is neither bundles nor a folder of segmentations");
  std::map<std::string, fs::path> by_id;  // file name without extensions -> file
  for (const fs::directory_entry& e : fs::directory_iterator(folder))
    if (e.is_regular_file()) by_id.emplace(data::file_stem(e.path().filename().string()), e.path());
  for (data::Sample& s : samples) {
    const auto it = by_id.find(s.id);
    if (it == by_id.end())
      throw Error(Errc::kIo, "input '" + s.id + "' (" + s.origin + "): no segmentation by the previous stage in '" + folder.string() + "' (a file '" + s.id +
                                 ".*', as `fuse infer --out` names them): predict this input with the first stage's bundles (--previous-stage BUNDLES)");
    s.values.set(key, it->second.string());
  }
}

}  // namespace fuse::train
