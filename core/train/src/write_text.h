// Run-folder files written whole or not at all: a reader (or a run killed mid-write) never sees half a file.
// Internal to the trainer.
#ifndef FUSE_TRAIN_SRC_WRITE_TEXT_H_
#define FUSE_TRAIN_SRC_WRITE_TEXT_H_

#include <filesystem>
#include <string>

namespace fuse::train {

// Writes `text` to a temporary file beside `file`, then renames it over `file`.
void write_text(const std::filesystem::path& file, const std::string& text);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SRC_WRITE_TEXT_H_
