// Checkpoints: everything a run needs to continue where it stopped, written atomically (a temporary file,
// flushed, renamed) with a checksum, so a process killed while writing leaves the previous checkpoint whole.
#ifndef FUSE_TRAIN_CHECKPOINT_H_
#define FUSE_TRAIN_CHECKPOINT_H_

#include <filesystem>
#include <map>
#include <string>

#include <boost/json/object.hpp>

namespace fuse::train {

struct Checkpoint {
  boost::json::object info;  // epoch, step, best value and epoch, early-stopping count, schedule state...
  std::map<std::string, std::string> model;  // state per component (with trainer.ema: the weight average's)
  std::map<std::string, std::string> trained_model;  // with trainer.ema: the trained weights, to resume from
  std::string optimizer;
};

void write_checkpoint(const std::filesystem::path& file, const Checkpoint& checkpoint);
// A missing, cut-short or corrupt file is an error naming it and what is wrong.
Checkpoint read_checkpoint(const std::filesystem::path& file);

// The file's bytes, and back (`where` names them in errors): what the ranks of a distributed run pass around.
std::string checkpoint_bytes(const Checkpoint& checkpoint);
Checkpoint parse_checkpoint(const std::string& bytes, const std::string& where);
// A checkpoint file's bytes, unchecked (parse_checkpoint checks them).
std::string read_checkpoint_bytes(const std::filesystem::path& file);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_CHECKPOINT_H_
