// The persistent cache of static-pipeline outputs. Entries are addressed by the pipeline's hash (every op's id,
// version, config and library hash) and the sample id, so a changed pipeline never serves stale samples.
// Files are written atomically and checked on every read; a corrupt or cut-short entry is reported, removed and
// rebuilt. Reads map the files, so every thread and process shares one copy through the page cache.
#ifndef FUSE_CACHE_CACHE_H_
#define FUSE_CACHE_CACHE_H_

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fuse/ndict/ndict.h"

namespace fuse::cache {

class Cache {
 public:
  // The entries of one pipeline under `dir`. `description` (the pipeline's steps, for people) is written
  // beside them. With `memory_bytes` > 0, recently used samples also stay in memory, up to that many bytes of
  // tensor data.
  Cache(std::filesystem::path dir, std::string pipeline_hash, std::string description, size_t memory_bytes = 0);

  // The cached sample, or nullopt when it is not there or was corrupt (then it is reported and removed, and
  // the caller rebuilds it). Thread-safe.
  std::optional<NDict> get(const std::string& sample_id);
  // Stores a sample (atomically; concurrent writers of one entry are safe). Thread-safe.
  void put(const std::string& sample_id, const NDict& sample);

  std::filesystem::path entry_path(const std::string& sample_id) const;
  const std::filesystem::path& folder() const { return folder_; }
  size_t corrupt_found() const { return corrupt_; }

 private:
  void remember(const std::string& id, const NDict& sample);
  std::filesystem::path folder_;
  size_t memory_limit_;
  std::mutex mutex_;  // guards the memory tier
  std::list<std::pair<std::string, NDict>> recent_;
  std::unordered_map<std::string, std::list<std::pair<std::string, NDict>>::iterator> index_;
  size_t memory_bytes_ = 0;
  std::atomic<size_t> corrupt_{0};
};

// ---- administration (fuse cache info | verify | clear) ----

struct PipelineEntries {
  std::string hash;
  std::string description;
  size_t entries = 0;
  size_t bytes = 0;
  size_t partial = 0;  // temporary files left by writers that died
};

std::vector<PipelineEntries> cache_info(const std::filesystem::path& dir);
// Every entry's problem ("path: why"); with `fix`, corrupt entries and stale temporary files are removed.
std::vector<std::string> verify_cache(const std::filesystem::path& dir, bool fix);
// Removes every cache file under `dir` (entries, descriptions, temporaries); returns how many.
size_t clear_cache(const std::filesystem::path& dir);

}  // namespace fuse::cache

#endif  // FUSE_CACHE_CACHE_H_
