#include "fuse/data/dataset.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <thread>
#include <unordered_map>

#include "fuse/base/error.h"
#include "fuse/base/log.h"
#include "fuse/data/sample_difference.h"
#include "fuse/hash/sha256.h"
#include "fuse/data/seeds.h"

namespace fuse::data {

namespace {

std::string describe_steps(const Pipeline& p) {
  std::string s;
  for (const Step& step : p.steps()) s += (step.changes_count() ? step.kind() : step.op) + " " + step.where + "\n";
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

// Calls work(worker, k) for k in [0, count) on `threads` threads, each with a worker of its own made by
// make_worker(), while `bar` shows how many are done; the first error stops the others and is rethrown.
template <class MakeWorker, class Work>
void run_parallel(size_t count, size_t threads, Progress& bar, MakeWorker make_worker, Work work) {
  std::atomic<size_t> next{0}, done{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::exception_ptr failure;
  auto loop = [&] {
    auto w = make_worker();
    while (!failed) {
      const size_t k = next++;
      if (k >= count) return;
      try {
        work(w, k);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!failure) failure = std::current_exception();
        failed = true;
        return;
      }
      ++done;
    }
  };
  // The bar is redrawn every 100 ms until the work ends (which wakes it at once).
  std::mutex finished_mutex;
  std::condition_variable finished_cv;
  bool finished = false;
  std::thread reporter([&] {
    std::unique_lock<std::mutex> lock(finished_mutex);
    while (!finished_cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return finished; })) bar.update(done);
  });
  std::vector<std::thread> pool;
  for (size_t t = 1; t < std::max<size_t>(1, threads); ++t) pool.emplace_back(loop);
  loop();
  for (std::thread& t : pool) t.join();
  {
    std::lock_guard<std::mutex> lock(finished_mutex);
    finished = true;
  }
  finished_cv.notify_one();
  reporter.join();
  if (failure) std::rethrow_exception(failure);
  bar.update(count);
}

// Every byte of a value, unambiguously (types and lengths prefixed): what a source digest is computed over.
void append_exact(std::string& out, const Value& v) {
  switch (v.type()) {
    case ValueType::kNull: out += 'n'; break;
    case ValueType::kInt: out += 'i' + std::to_string(v.as<int64_t>()) + ';'; break;
    case ValueType::kBool: out += v.as<bool>() ? "b1" : "b0"; break;
    case ValueType::kDouble: {
      char hex[40];
      std::snprintf(hex, sizeof hex, "d%a;", v.as<double>());
      out += hex;
      break;
    }
    case ValueType::kString: out += 's' + std::to_string(v.as<std::string>().size()) + ':' + v.as<std::string>(); break;
    case ValueType::kTensor: {
      const Tensor t = v.as<Tensor>().is_contiguous() ? v.as<Tensor>() : v.as<Tensor>().clone();
      out += 't' + v.summary() + ':';
      out.append(static_cast<const char*>(t.raw_data()), t.nbytes());
      break;
    }
    case ValueType::kList:
      out += 'l' + std::to_string(v.as<List>().size()) + '[';
      for (const Value& e : v.as<List>()) append_exact(out, e);
      out += ']';
      break;
    case ValueType::kDict:
      out += '{';
      for (const NDict::Entry& e : v.as<NDict>().entries()) {
        out += std::to_string(e.key.size()) + ':' + e.key;
        append_exact(out, e.value);
      }
      out += '}';
      break;
  }
}

// A sample's cache key: its id, then a digest of its source values (a separator no id has: ids come from
// tables and files).
std::string entry_key(const Sample& s) {
  std::string exact;
  append_exact(exact, Value(s.values));
  return s.id + "\x1f" + sha256_hex(exact).substr(0, 32);
}

// The cache entry that records which samples the static pipeline made of a source sample.
std::string parts_entry(const Sample& source) { return std::string("\x1f") + "parts of " + entry_key(source); }

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
  if (changes_count()) index_parts();
}

std::string Dataset::why(const Sample& s, const Error& e) const { return "sample '" + s.id + "' (" + s.origin + "): " + e.what(); }

void Dataset::index_parts() {
  sources_ = std::move(spec_.samples);
  spec_.samples.clear();
  std::vector<std::vector<std::string>> ids(sources_.size());
  Progress bar("index", sources_.size(), spec_.index_progress);
  run_parallel(sources_.size(), spec_.index_threads, bar, [this] { return worker(); }, [&](Worker& w, size_t i) {
    if (cache_)
      if (std::optional<NDict> record = cache_->get(parts_entry(sources_[i]))) {
        for (const Value& id : record->get<List>("ids")) ids[i].push_back(id.as<std::string>());
        return;
      }
    try {
      for (const NDict& part : w.static_parts(i)) ids[i].push_back(part.get<std::string>(spec_.id_key));
    } catch (const Error& e) {
      if (spec_.on_error == OnError::kFail) throw Error(e.code(), why(sources_[i], e));
      skip(why(sources_[i], e));
    }
  });
  std::unordered_map<std::string, size_t> seen;
  size_t dropped = 0;
  for (size_t i = 0; i < sources_.size(); ++i) {
    dropped += ids[i].empty();
    for (std::string& id : ids[i]) {
      if (auto [it, fresh] = seen.emplace(id, i); !fresh)
        throw Error(Errc::kInvalidArgument, "the static pipeline makes two samples with the id '" + id + "' (from '" + sources_[it->second].id + "' and '" +
                                                sources_[i].id + "'); ids under '" + spec_.id_key + "' must be unique (an op overwrites them?)");
      spec_.samples.push_back(Sample{std::move(id), sources_[i].origin, sources_[i].values});
      source_index_.push_back(i);
    }
  }
  log::info("static pipeline: " + std::to_string(spec_.samples.size()) + " samples from " + std::to_string(sources_.size()) + " source samples (" +
            std::to_string(dropped) + " left no sample)");
}

Dataset::Worker Dataset::worker() { return Worker(*this); }

std::string Dataset::cache_key(size_t index) const { return entry_key(spec_.samples.at(index)); }

Dataset::Worker::Worker(Dataset& d)
    : dataset_(&d), static_(d.static_template_.clone()), dynamic_(d.dynamic_template_.clone()), batch_(d.batch_template_.clone()) {}

void Dataset::skip(const std::string& why) {
  ++skipped_;
  std::lock_guard<std::mutex> lock(reasons_mutex_);
  if (reasons_.size() < 20) reasons_.push_back(why);
  log::warn("skipped: " + why);
}

std::vector<std::string> Dataset::skip_reasons() const {
  std::lock_guard<std::mutex> lock(reasons_mutex_);
  return reasons_;
}

const std::vector<NDict>& Dataset::Worker::static_parts(size_t source) {
  if (parts_ && parts_->first == source) return parts_->second;
  Dataset& d = *dataset_;
  const Sample& s = d.sources_.at(source);
  parts_.reset();
  std::vector<NDict> parts = run_source(source);
  List ids;
  for (const NDict& part : parts) {
    const Value* id = part.find(d.spec_.id_key);
    if (id == nullptr || !id->is<std::string>())
      throw Error(Errc::kKeyNotFound, "the static pipeline's output has no id under '" + d.spec_.id_key + "' (an op removed or changed it)");
    ids.emplace_back(id->as<std::string>());
  }
  if (d.cache_) {
    for (const NDict& part : parts) d.cache_->put(entry_key(Sample{part.get<std::string>(d.spec_.id_key), s.origin, s.values}), part);
    NDict record;
    record.set("ids", std::move(ids));
    d.cache_->put(parts_entry(s), record);  // after the parts: a record always finds its parts
  }
  parts_.emplace(source, std::move(parts));
  return parts_->second;
}

const char* on_error_name(OnError policy) {
  switch (policy) {
    case OnError::kFail: return "fail";
    case OnError::kSkip: return "skip";
    case OnError::kRetry: return "retry";
  }
  return "?";
}

std::vector<NDict> Dataset::Worker::run_source(size_t source) {
  const Dataset& d = *dataset_;
  const Sample& s = d.sources_.at(source);
  NDict sample = s.values;
  sample.set(d.spec_.id_key, s.id);
  return static_.run_all(std::move(sample), d.spec_.seed, -1, static_cast<int64_t>(source), false, d.spec_.id_key);
}

NDict Dataset::Worker::part_of(const std::vector<NDict>& parts, size_t index) const {
  const Dataset& d = *dataset_;
  for (const NDict& part : parts)
    if (part.get<std::string>(d.spec_.id_key) == d.spec_.samples[index].id) return part;
  throw Error(Errc::kInternal, "the static pipeline no longer makes this sample from '" + d.sources_[d.source_index_[index]].id +
                                   "' (it did when the dataset was made): is one of its ops random, or did a file change?");
}

NDict Dataset::Worker::make_static(size_t index) {
  Dataset& d = *dataset_;
  const Sample& s = d.spec_.samples.at(index);
  if (d.cache_)
    if (std::optional<NDict> hit = d.cache_->get(entry_key(s))) return *hit;
  if (d.changes_count()) return part_of(static_parts(d.source_index_[index]), index);  // static_parts stores every part
  NDict sample = fresh_static(index);
  if (d.cache_) d.cache_->put(entry_key(s), sample);
  return sample;
}

NDict Dataset::Worker::fresh_static(size_t index) {
  const Dataset& d = *dataset_;
  const Sample& s = d.spec_.samples.at(index);
  if (d.changes_count()) return part_of(run_source(d.source_index_[index]), index);
  NDict sample = s.values;
  sample.set(d.spec_.id_key, s.id);
  static_.run(sample, d.spec_.seed, -1, static_cast<int64_t>(index), false);
  return sample;
}

std::optional<NDict> Dataset::Worker::get_static(size_t index) {
  Dataset& d = *dataset_;
  if (d.spec_.on_error != OnError::kFail) {  // only then can a failure be remembered (no lock per sample otherwise)
    std::lock_guard<std::mutex> lock(d.failed_mutex_);
    if (d.failed_static_.count(index)) return std::nullopt;  // failed before: counted and logged then
  }
  try {
    return make_static(index);
  } catch (const Error& e) {
    const std::string why = d.why(d.spec_.samples.at(index), e);
    if (d.spec_.on_error == OnError::kFail) throw Error(e.code(), why);
    {
      std::lock_guard<std::mutex> lock(d.failed_mutex_);
      if (!d.failed_static_.insert(index).second) return std::nullopt;  // another thread was first
    }
    d.skip(why);
    return std::nullopt;
  }
}

std::optional<NDict> Dataset::Worker::get_one(size_t index, int64_t epoch, bool training, uint32_t repeat) {
  std::optional<NDict> sample = get_static(index);
  if (!sample || epoch < 0 || dynamic_.empty()) return sample;
  Dataset& d = *dataset_;
  try {
    dynamic_.run(*sample, repeat_seed(d.spec_.seed, repeat), epoch, static_cast<int64_t>(index), training);
    return sample;
  } catch (const Error& e) {
    const Sample& s = d.spec_.samples[index];
    const std::string why = "sample '" + s.id + "' (" + s.origin + "), epoch " + std::to_string(epoch) + ": " + e.what();
    if (d.spec_.on_error == OnError::kFail) throw Error(e.code(), why);
    d.skip(why);
    return std::nullopt;
  }
}

std::optional<NDict> Dataset::Worker::get(size_t index, int64_t epoch, bool training, uint32_t repeat) {
  std::optional<NDict> sample = get_one(index, epoch, training, repeat);
  const Dataset& d = *dataset_;
  if (sample || d.spec_.on_error != OnError::kRetry || !training || epoch < 0 || d.size() < 2) return sample;
  // Another sample in its place, drawn from (seed, epoch, index, attempt) alone: the same whatever the number
  // of workers.
  for (size_t attempt = 1; attempt <= kReplacements; ++attempt) {
    const uint64_t h = call_seed(repeat_seed(d.spec_.seed, repeat) ^ 0x7265706c61636500ull, epoch, static_cast<int64_t>(index), static_cast<int64_t>(attempt));
    size_t other = static_cast<size_t>(h % (d.size() - 1));
    if (other >= index) ++other;  // any sample but this one
    if ((sample = get_one(other, epoch, training, repeat))) {
      log::warn("sample '" + d.spec_.samples[index].id + "' failed; sample '" + d.spec_.samples[other].id + "' takes its place in epoch " +
                std::to_string(epoch) + " (on_error: retry)");
      return sample;
    }
  }
  throw Error(Errc::kInvalidArgument, "sample '" + d.spec_.samples[index].id + "' failed in epoch " + std::to_string(epoch) + ", and so did the " +
                                          std::to_string(kReplacements) + " samples drawn to replace it (on_error: retry); the warnings above say why");
}

void Dataset::Worker::run_batch(NDict& batch, int64_t epoch, int64_t batch_index, const std::vector<int64_t>& indices, bool training,
                                const std::vector<uint32_t>& repeats) {
  if (batch_.empty()) return;
  const Dataset& d = *dataset_;
  try {
    batch_.run_batch(batch, d.spec_.seed, epoch, batch_index, indices, static_cast<int64_t>(d.spec_.dynamic_steps.size()), training, repeats);
  } catch (const Error& e) {
    std::string samples;
    for (size_t k = 0; k < indices.size() && k < 3; ++k)
      samples += (k ? ", '" : "'") + d.spec_.samples[static_cast<size_t>(indices[k])].id + "'";
    if (indices.size() > 3) samples += ", ...";
    throw Error(e.code(), "batch " + std::to_string(batch_index) + " of epoch " + std::to_string(epoch) + " (samples " + samples + "): " + e.what());
  }
}

Dataset::AuditReport Dataset::audit_cache(size_t threads, bool progress) {
  AuditReport report;
  if (!cache_) return report;
  // Which samples: the first, and each other one with probability `share`, drawn from (seed, index).
  std::vector<size_t> chosen;
  const CacheAudit& a = spec_.cache_audit;
  for (size_t i = 0; i < size(); ++i) {
    const double u = static_cast<double>(mix64(spec_.seed ^ 0x6175646974000000ull ^ mix64(i)) >> 11) * 0x1.0p-53;
    if ((i == 0 && a.first) || u < a.share) chosen.push_back(i);
  }
  std::vector<std::optional<std::string>> found(chosen.size());
  std::vector<char> audited(chosen.size(), 0);
  Progress bar("audit", chosen.size(), progress);
  run_parallel(chosen.size(), threads, bar, [this] { return worker(); }, [&](Worker& w, size_t k) {
    const Sample& s = spec_.samples[chosen[k]];
    std::optional<NDict> cached = cache_->get(entry_key(s));
    if (!cached) return;
    try {
      found[k] = sample_difference(*cached, w.fresh_static(chosen[k]));
    } catch (const Error& e) {
      if (spec_.on_error == OnError::kFail) throw Error(e.code(), "cache audit: " + why(s, e));
      return;
    }
    audited[k] = 1;
  });
  for (size_t k = 0; k < chosen.size(); ++k) {
    report.audited += static_cast<size_t>(audited[k]);
    if (found[k]) report.differences.push_back("sample '" + spec_.samples[chosen[k]].id + "' (" + spec_.samples[chosen[k]].origin + "): " + *found[k]);
  }
  return report;
}

void Dataset::for_each_static(size_t threads, bool progress, const std::string& what, const std::function<void(size_t, const NDict&)>& visit) {
  Progress bar(what, size(), progress);
  run_parallel(size(), threads, bar, [this] { return worker(); }, [&](Worker& w, size_t i) {
    if (std::optional<NDict> sample = w.get_static(i)) visit(i, *sample);
  });
}

void Dataset::build_cache(size_t threads, bool progress, size_t part, size_t parts) {
  if (!cache_) throw Error(Errc::kConfig, "the dataset has no cache folder to build");
  if (parts == 0 || part >= parts) throw Error(Errc::kInvalidArgument, "cache build: part " + std::to_string(part) + " of " + std::to_string(parts) + " does not exist");
  const size_t mine = (size() + parts - 1 - part) / parts;  // samples part, part + parts, ...
  Progress bar("cache", mine, progress);
  run_parallel(mine, threads, bar, [this] { return worker(); }, [&](Worker& w, size_t k) { w.get_static(part + k * parts); });
}

}  // namespace fuse::data
