// A dataset (FuseMedML's DatasetDefault): samples from a source, a static pipeline whose output is cached, and
// a dynamic pipeline run every epoch with per-sample randomness. When the static pipeline splits or drops
// samples, the dataset's samples are what comes out of it (a source sample's parts, in order, with ids
// "<id>#<k>"), found once when the dataset is made and remembered in the cache.
#ifndef FUSE_DATA_DATASET_H_
#define FUSE_DATA_DATASET_H_

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "fuse/cache/cache.h"
#include "fuse/data/pipeline.h"
#include "fuse/data/sample_source.h"

namespace fuse::data {

// What a failing sample does: stop the run; leave it out (of its batch, or of validation); or, in training, put
// another sample in its place (drawn from the seed, epoch and sample: the batch keeps its size).
enum class OnError { kFail, kSkip, kRetry };
const char* on_error_name(OnError policy);  // "fail", "skip", "retry"

// Which cached samples audit_cache() recomputes: the first one (FuseMedML's audit_first_sample) and a share
// of the others, drawn from the seed.
struct CacheAudit {
  bool first = true;
  double share = 0;
};

struct DatasetSpec {
  std::vector<Sample> samples;
  std::vector<Step> static_steps;
  std::vector<Step> dynamic_steps;
  // Ops on each collated batch (e.g. GPU augmentation): op i draws, per sample, what it would as op
  // dynamic_steps.size() + i of the sample's dynamic pipeline.
  std::vector<Step> batch_steps;
  std::optional<std::filesystem::path> cache_dir;  // none: the static pipeline runs every time
  size_t cache_memory_bytes = 0;
  CacheAudit cache_audit;
  OnError on_error = OnError::kFail;
  uint64_t seed = 0;
  std::string id_key = "data.sample_id";  // where each sample carries its id
  // A static pipeline that splits or drops samples is run over every source sample when the dataset is made
  // (outputs go to the cache), on this many threads, with a progress bar on stderr when `index_progress`.
  size_t index_threads = 1;
  bool index_progress = false;
};

class Dataset {
 public:
  Dataset(const Registry& registry, DatasetSpec spec);

  size_t size() const { return spec_.samples.size(); }
  // Sample `index`: its id, and its source sample's values and origin.
  const Sample& sample(size_t index) const { return spec_.samples[index]; }
  // The source samples (the same as the samples unless the static pipeline splits or drops them).
  size_t sources() const { return changes_count() ? sources_.size() : size(); }
  bool changes_count() const { return static_template_.changes_count(); }
  const DatasetSpec& spec() const { return spec_; }
  // The static pipeline's hash: what the cache is keyed by.
  const std::string& static_hash() const { return static_hash_; }
  cache::Cache* cache() { return cache_.get(); }

  // What one thread uses to make samples: its own op instances (ops are not shared between threads).
  class Worker {
   public:
    // Sample `index` after the static pipeline (from the cache when there) and, when epoch >= 0, the dynamic
    // one. Errors name the sample and the step; with OnError::kSkip a failing sample gives nullopt and is
    // counted; with OnError::kRetry, in training, up to `kReplacements` other samples are tried in its place
    // (drawn from the seed, epoch and index), and outside training it is skipped. `repeat` > 0 (the sample's
    // repeat-th pick in the epoch) gives the dynamic pipeline other draws.
    std::optional<NDict> get(size_t index, int64_t epoch, bool training, uint32_t repeat = 0);
    // Only the static part (what the cache stores). A static failure that is skipped is remembered: the
    // sample is not run again.
    std::optional<NDict> get_static(size_t index);
    static constexpr size_t kReplacements = 10;
    // The batch pipeline on batch `batch_index` of `epoch`, made of the samples `indices` (batch order) with
    // their `repeats` (empty: all 0). Errors name the batch, its first samples and the step (always fatal: a
    // batch is not skipped).
    void run_batch(NDict& batch, int64_t epoch, int64_t batch_index, const std::vector<int64_t>& indices, bool training,
                   const std::vector<uint32_t>& repeats = {});
    bool has_batch_pipeline() const { return !batch_.empty(); }

   private:
    friend class Dataset;
    explicit Worker(Dataset& d);
    // What the static pipeline makes of source sample `source` (stored in the cache, and kept until another
    // source is asked for). Errors are the pipeline's.
    const std::vector<NDict>& static_parts(size_t source);
    NDict make_static(size_t index);
    // The static pipeline's output for sample `index`, computed now (the cache neither read nor written).
    NDict fresh_static(size_t index);
    // What the static pipeline makes of source sample `source` now, and sample `index` among such parts.
    std::vector<NDict> run_source(size_t source);
    NDict part_of(const std::vector<NDict>& parts, size_t index) const;
    // get() without replacement.
    std::optional<NDict> get_one(size_t index, int64_t epoch, bool training, uint32_t repeat);
    Dataset* dataset_;
    Pipeline static_, dynamic_, batch_;
    std::optional<std::pair<size_t, std::vector<NDict>>> parts_;
  };
  Worker worker();

  // The name of sample `index`'s cache entry: its id and a digest of its source values, so that an edited
  // table row (a corrected label, another path) is made again instead of served from the old entry.
  std::string cache_key(size_t index) const;

  // Calls visit(index, sample) with every sample's static output (from the cache where it is there), on
  // `threads` threads (visit must be safe to call from several at once), with a progress bar named `what` on
  // stderr when `progress`. Samples whose static pipeline fails are left out under OnError::kSkip and kRetry.
  void for_each_static(size_t threads, bool progress, const std::string& what, const std::function<void(size_t, const NDict&)>& visit);

  // Fills the cache with every sample's static output, on `threads` threads, with a progress bar on stderr
  // when `progress`. Entries already there (and sound) are kept. With `parts` > 1, only the samples i with
  // i % parts == part: the processes of a distributed run build one part each.
  void build_cache(size_t threads, bool progress, size_t part = 0, size_t parts = 1);

  // FuseMedML's cache audit: recomputes the static output of the cached samples spec().cache_audit names and
  // compares it with their entries. The cache is keyed by the pipeline's ops, configs and plugins, not by the
  // files it reads: a difference means an input was rewritten in place (or a static op is not deterministic),
  // and the cache serves stale samples. Samples not in the cache yet, or whose static pipeline fails, are not
  // audited. Nothing is written.
  struct AuditReport {
    size_t audited = 0;
    std::vector<std::string> differences;  // per differing sample: "sample 'id' (origin): 'key': ... before, ... now"
  };
  AuditReport audit_cache(size_t threads, bool progress);

  // Samples that failed and were left out or replaced so far, and why (the first few).
  size_t skipped() const { return skipped_; }
  std::vector<std::string> skip_reasons() const;

 private:
  void skip(const std::string& why);
  // The samples of a static pipeline that splits or drops them (from the cache's record of each source sample,
  // or by running it).
  void index_parts();
  std::string why(const Sample& s, const Error& e) const;
  const Registry& registry_;
  DatasetSpec spec_;
  std::vector<Sample> sources_;       // when the static pipeline changes the count
  std::vector<size_t> source_index_;  // each sample's source sample
  Pipeline static_template_, dynamic_template_, batch_template_;
  std::string static_hash_;
  std::unique_ptr<cache::Cache> cache_;
  std::atomic<size_t> skipped_{0};
  std::mutex failed_mutex_;
  std::unordered_set<size_t> failed_static_;  // samples whose static pipeline failed and was skipped
  mutable std::mutex reasons_mutex_;
  std::vector<std::string> reasons_;
};

}  // namespace fuse::data

#endif  // FUSE_DATA_DATASET_H_
