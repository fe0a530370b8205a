#include "fuse/data/dataset.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "fuse/base/error.h"
#include "fuse/base/log.h"

namespace fuse::data {

namespace {

std::string describe_steps(const Pipeline& p) {
  std::string s;
  for (const Step& step : p.steps()) s += step.op + " " + step.where + "\n";
  return s;
}

// One line on stderr, redrawn in place at most ten times a second on a terminal; elsewhere (logs) only the
// final state is written.
class Progress {
 public:
  Progress(std::string what, size_t total, bool enabled)
      : what_(std::move(what)), total_(total), enabled_(enabled), terminal_(isatty(STDERR_FILENO) != 0) {}
  void update(size_t done) {
    if (!enabled_ || finished_ || (!terminal_ && done < total_)) return;
    const auto now = std::chrono::steady_clock::now();
    if (done < total_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const int width = 30, filled = total_ ? static_cast<int>(width * done / total_) : width;
    std::fprintf(stderr, "%s%s [%s%s] %zu/%zu %.1f s", terminal_ ? "\r" : "", what_.c_str(), std::string(static_cast<size_t>(filled), '#').c_str(),
                 std::string(static_cast<size_t>(width - filled), '.').c_str(), done, total_, seconds);
    if (done >= total_) std::fprintf(stderr, "\n"), finished_ = true;
    std::fflush(stderr);
  }

 private:
  std::string what_;
  size_t total_;
  bool enabled_, terminal_, finished_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
};

}  // namespace

Dataset::Dataset(const Registry& registry, DatasetSpec spec)
    : registry_(registry),
      spec_(std::move(spec)),
      static_template_(registry, spec_.static_steps, "static pipeline"),
      dynamic_template_(registry, spec_.dynamic_steps, "dynamic pipeline"),
      batch_template_(registry, spec_.batch_steps, "batch pipeline"),
      static_hash_(static_template_.hash()) {
  if (spec_.cache_dir)
    cache_ = std::make_unique<cache::Cache>(*spec_.cache_dir, static_hash_, describe_steps(static_template_), spec_.cache_memory_bytes);
}

Dataset::Worker Dataset::worker() { return Worker(*this); }

Dataset::Worker::Worker(Dataset& d)
    : dataset_(&d), static_(d.static_template_.clone()), dynamic_(d.dynamic_template_.clone()), batch_(d.batch_template_.clone()) {}

void Dataset::skip(const std::string& why) {
  ++skipped_;
  std::lock_guard<std::mutex> lock(reasons_mutex_);
  if (reasons_.size() < 20) reasons_.push_back(why);
  logger().warn("skipped: {}", why);
}

std::vector<std::string> Dataset::skip_reasons() const {
  std::lock_guard<std::mutex> lock(reasons_mutex_);
  return reasons_;
}

std::optional<NDict> Dataset::Worker::get_static(size_t index) {
  Dataset& d = *dataset_;
  const Sample& s = d.spec_.samples.at(index);
  try {
    if (d.cache_)
      if (std::optional<NDict> hit = d.cache_->get(s.id)) return hit;
    NDict sample = s.values;
    sample.set(d.spec_.id_key, s.id);
    static_.run(sample, d.spec_.seed, -1, static_cast<int64_t>(index), false);
    if (d.cache_) d.cache_->put(s.id, sample);
    return sample;
  } catch (const Error& e) {
    const std::string why = "sample '" + s.id + "' (" + s.origin + "): " + e.what();
    if (d.spec_.on_error == OnError::kSkip) {
      d.skip(why);
      return std::nullopt;
    }
    throw Error(e.code(), why);
  }
}

std::optional<NDict> Dataset::Worker::get(size_t index, int64_t epoch, bool training) {
  std::optional<NDict> sample = get_static(index);
  if (!sample || epoch < 0 || dynamic_.empty()) return sample;
  Dataset& d = *dataset_;
  try {
    dynamic_.run(*sample, d.spec_.seed, epoch, static_cast<int64_t>(index), training);
    return sample;
  } catch (const Error& e) {
    const Sample& s = d.spec_.samples[index];
    const std::string why = "sample '" + s.id + "' (" + s.origin + "), epoch " + std::to_string(epoch) + ": " + e.what();
    if (d.spec_.on_error == OnError::kSkip) {
      d.skip(why);
      return std::nullopt;
    }
    throw Error(e.code(), why);
  }
}

void Dataset::Worker::run_batch(NDict& batch, int64_t epoch, int64_t batch_index, const std::vector<int64_t>& indices, bool training) {
  if (batch_.empty()) return;
  const Dataset& d = *dataset_;
  try {
    batch_.run_batch(batch, d.spec_.seed, epoch, batch_index, indices, static_cast<int64_t>(d.spec_.dynamic_steps.size()), training);
  } catch (const Error& e) {
    std::string samples;
    for (size_t k = 0; k < indices.size() && k < 3; ++k)
      samples += (k ? ", '" : "'") + d.spec_.samples[static_cast<size_t>(indices[k])].id + "'";
    if (indices.size() > 3) samples += ", ...";
    throw Error(e.code(), "batch " + std::to_string(batch_index) + " of epoch " + std::to_string(epoch) + " (samples " + samples + "): " + e.what());
  }
}

void Dataset::build_cache(size_t threads, bool progress, size_t part, size_t parts) {
  if (!cache_) throw Error(Errc::kConfig, "the dataset has no cache folder to build");
  if (parts == 0 || part >= parts) throw Error(Errc::kInvalidArgument, "cache build: part " + std::to_string(part) + " of " + std::to_string(parts) + " does not exist");
  threads = std::max<size_t>(1, threads);
  const size_t mine = (size() + parts - 1 - part) / parts;  // samples part, part + parts, ...
  std::atomic<size_t> next{0}, done{0};
  std::mutex error_mutex;
  std::optional<Error> failure;
  Progress bar("cache", mine, progress);
  auto work = [&] {
    Worker w = worker();
    while (true) {
      const size_t k = next++;
      if (k >= mine) return;
      const size_t i = part + k * parts;
      {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (failure) return;
      }
      try {
        w.get_static(i);
      } catch (const Error& e) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!failure) failure = e;
        return;
      }
      ++done;
    }
  };
  std::atomic<bool> finished{false};
  std::thread reporter([&] {
    while (!finished) {
      bar.update(done);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  finished = true;
  reporter.join();
  if (failure) throw *failure;
  bar.update(mine);
}

}  // namespace fuse::data
