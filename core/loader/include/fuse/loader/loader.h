// The loader: worker threads make batches (samples through the dataset's pipelines, then collate) ahead of the
// consumer, at most `prefetch` batches ahead, and hand them over in the sampler's order. What a batch holds
// depends only on (seed, epoch, sampler), never on the number of workers or their timing.
#ifndef FUSE_LOADER_LOADER_H_
#define FUSE_LOADER_LOADER_H_

#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "fuse/data/dataset.h"
#include "fuse/loader/collate.h"
#include "fuse/loader/sampler.h"

namespace fuse::loader {

struct LoaderOptions {
  size_t workers = 2;
  size_t prefetch = 4;    // batches made ahead of the consumer
  bool training = true;   // passed to the ops (random augmentation on or off)
  CollateOptions collate;
};

class Loader {
 public:
  Loader(data::Dataset& dataset, const Sampler& sampler, LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Starts an epoch (stopping one still running).
  void start(int64_t epoch);
  // The next batch of the epoch; false when it is over. A worker's error is rethrown here. Samples skipped by
  // the dataset's on_error policy leave their batch smaller (an empty batch is passed over).
  bool next(NDict& batch);
  size_t batches_in_epoch() const { return batches_.size(); }

 private:
  void stop();
  void work(size_t worker);

  data::Dataset& dataset_;
  const Sampler& sampler_;
  LoaderOptions options_;
  std::vector<data::Dataset::Worker> workers_;
  std::vector<std::thread> threads_;
  Batches batches_;
  int64_t epoch_ = 0;

  std::mutex mutex_;
  std::condition_variable made_, taken_;
  size_t next_to_make_ = 0;  // the next batch a worker may start
  size_t next_to_give_ = 0;  // the next batch the consumer gets
  bool stopping_ = false;
  std::map<size_t, NDict> ready_;
  std::map<size_t, std::exception_ptr> failed_;
};

}  // namespace fuse::loader

#endif  // FUSE_LOADER_LOADER_H_
