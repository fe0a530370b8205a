// The --set values a run was started with, kept in its folder (settings.json), so the commands that read the
// run again (show-results, choose-postprocess, choose-ensemble, --resume) apply them without being told.
#ifndef FUSE_TRAIN_RUN_SETTINGS_H_
#define FUSE_TRAIN_RUN_SETTINGS_H_

#include <filesystem>
#include <string>
#include <vector>

namespace fuse::train {

// The settings in `run_dir`/settings.json; none when the folder has no such file (a run of an older fuse).
// A file that is not {"settings": ["path=value", ...]} is an error (kIo) naming it.
std::vector<std::string> recorded_settings(const std::filesystem::path& run_dir);

// The run's recorded settings, then those of `given` that are not among them (given later, they win).
std::vector<std::string> run_settings(const std::filesystem::path& run_dir, const std::vector<std::string>& given);

// Writes `run_dir`/settings.json (the folder must exist).
void write_run_settings(const std::filesystem::path& run_dir, const std::vector<std::string>& settings);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_RUN_SETTINGS_H_
