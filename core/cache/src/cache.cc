#include "fuse/cache/cache.h"

#include <signal.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include "fuse/base/error.h"
#include "fuse/base/log.h"
#include "fuse/cache/entry_file.h"
#include "fuse/hash/sha256.h"

namespace fuse::cache {

namespace fs = std::filesystem;

namespace {

constexpr const char* kExtension = ".fmc";
constexpr const char* kDescription = "pipeline.txt";

// An entry's key as messages show it: up to a '\x1f' that starts a digest (the dataset keys samples by
// "<id>\x1f<digest of its source row>", and its records by "\x1fparts of <id>\x1f<digest>").
std::string shown(const std::string& key) {
  const size_t start = !key.empty() && key[0] == '\x1f' ? 1 : 0;
  return key.substr(start, key.find('\x1f', start) - start);
}

size_t tensor_bytes(const NDict& d) {
  size_t n = 0;
  for (const auto& [key, v] : d.flatten())
    if (v->is<Tensor>()) n += v->as<Tensor>().nbytes();
  return n;
}

// "<entry>.fmc.tmp.<pid>.<n>": the writer's pid, if the name is one of ours.
std::optional<long> writer_pid(const fs::path& p) {
  const std::string name = p.filename().string();
  const size_t at = name.find(std::string(kExtension) + ".tmp.");
  if (at == std::string::npos) return std::nullopt;
  try {
    return std::stol(name.substr(at + std::strlen(kExtension) + 5));
  } catch (...) {
    return std::nullopt;
  }
}

bool alive(long pid) { return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM; }

}  // namespace

Cache::Cache(fs::path dir, std::string pipeline_hash, std::string description, size_t memory_bytes)
    : folder_(dir / pipeline_hash.substr(0, 16)), memory_limit_(memory_bytes) {
  std::error_code ec;
  fs::create_directories(folder_, ec);
  if (ec) throw Error(Errc::kIo, "cannot create cache folder '" + folder_.string() + "': " + ec.message());
  const fs::path about = folder_ / kDescription;
  if (!fs::exists(about, ec)) std::ofstream(about) << "pipeline " << pipeline_hash << "\n" << description;
}

fs::path Cache::entry_path(const std::string& id) const {
  const std::string h = sha256_hex(id).substr(0, 32);
  return folder_ / h.substr(0, 2) / (h + kExtension);
}

std::optional<NDict> Cache::get(const std::string& id) {
  if (memory_limit_ > 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = index_.find(id);
    if (it != index_.end()) {
      recent_.splice(recent_.begin(), recent_, it->second);
      return it->second->second;
    }
  }
  const fs::path path = entry_path(id);
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  try {
    NDict sample = read_entry(path);
    remember(id, sample);
    return sample;
  } catch (const Error& e) {
    if (e.code() != Errc::kNumeric) throw;
    ++corrupt_;
    log::warn("sample '" + shown(id) + "': " + e.what() + "; it will be rebuilt");
    fs::remove(path, ec);
    return std::nullopt;
  }
}

void Cache::put(const std::string& id, const NDict& sample) {
  write_entry(entry_path(id), sample);
  remember(id, sample);
}

void Cache::remember(const std::string& id, const NDict& sample) {
  if (memory_limit_ == 0) return;
  const size_t bytes = tensor_bytes(sample);
  if (bytes > memory_limit_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (index_.count(id)) return;
  recent_.emplace_front(id, sample);
  index_[id] = recent_.begin();
  memory_bytes_ += bytes;
  while (memory_bytes_ > memory_limit_) {  // least recently used out first
    memory_bytes_ -= tensor_bytes(recent_.back().second);
    index_.erase(recent_.back().first);
    recent_.pop_back();
  }
}

std::vector<PipelineEntries> cache_info(const fs::path& dir) {
  std::vector<PipelineEntries> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(Errc::kIo, "'" + dir.string() + "' is not a cache folder");
  for (const fs::directory_entry& p : fs::directory_iterator(dir, ec)) {
    if (!p.is_directory()) continue;
    PipelineEntries info;
    info.hash = p.path().filename().string();
    std::ifstream about(p.path() / kDescription);
    info.description.assign(std::istreambuf_iterator<char>(about), {});
    for (const fs::directory_entry& f : fs::recursive_directory_iterator(p.path(), ec)) {
      if (!f.is_regular_file()) continue;
      if (writer_pid(f.path())) ++info.partial;
      else if (f.path().extension() == kExtension) ++info.entries, info.bytes += f.file_size();
    }
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.hash < b.hash; });
  return out;
}

std::vector<std::string> verify_cache(const fs::path& dir, bool fix) {
  std::vector<std::string> problems;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(Errc::kIo, "'" + dir.string() + "' is not a cache folder");
  for (const fs::directory_entry& f : fs::recursive_directory_iterator(dir, ec)) {
    if (!f.is_regular_file()) continue;
    if (std::optional<long> pid = writer_pid(f.path())) {
      if (alive(*pid)) continue;  // still being written
      problems.push_back(f.path().string() + ": left by a writer that died (process " + std::to_string(*pid) + ")");
      if (fix) fs::remove(f.path(), ec);
    } else if (f.path().extension() == kExtension) {
      const std::string why = check_entry(f.path());
      if (why.empty()) continue;
      problems.push_back(why);
      if (fix) fs::remove(f.path(), ec);
    }
  }
  return problems;
}

size_t clear_cache(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(Errc::kIo, "'" + dir.string() + "' is not a cache folder");
  size_t removed = 0;
  for (const fs::directory_entry& p : fs::directory_iterator(dir, ec)) {
    // Only folders that look like ours: a description file inside.
    if (!p.is_directory() || !fs::exists(p.path() / kDescription, ec)) continue;
    removed += static_cast<size_t>(fs::remove_all(p.path(), ec));
  }
  return removed;
}

}  // namespace fuse::cache
