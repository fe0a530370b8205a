#include "fuse/loader/loader.h"

#include "fuse/base/error.h"

namespace fuse::loader {

Loader::Loader(data::Dataset& dataset, const Sampler& sampler, LoaderOptions options)
    : dataset_(dataset), sampler_(sampler), options_(std::move(options)) {
  options_.workers = std::max<size_t>(1, options_.workers);
  options_.prefetch = std::max<size_t>(1, options_.prefetch);
  options_.collate.id_key = dataset.spec().id_key;
  for (size_t w = 0; w < options_.workers; ++w) workers_.push_back(dataset_.worker());
}

Loader::~Loader() { stop(); }

void Loader::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  taken_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void Loader::start(int64_t epoch) {
  stop();
  std::lock_guard<std::mutex> lock(mutex_);
  epoch_ = epoch;
  batches_ = sampler_.batches(epoch);
  next_to_make_ = next_to_give_ = 0;
  ready_.clear();
  failed_.clear();
  stopping_ = false;
  for (size_t w = 0; w < options_.workers; ++w) threads_.emplace_back(&Loader::work, this, w);
}

void Loader::work(size_t worker) {
  data::Dataset::Worker& maker = workers_[worker];
  while (true) {
    size_t b;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      taken_.wait(lock, [&] { return stopping_ || next_to_make_ >= batches_.size() || next_to_make_ < next_to_give_ + options_.prefetch; });
      if (stopping_ || next_to_make_ >= batches_.size()) return;
      b = next_to_make_++;
    }
    try {
      std::vector<NDict> samples;
      std::vector<int64_t> kept;  // the indices of the samples in the batch (some may have been skipped)
      std::vector<uint32_t> repeats;
      for (const Pick& pick : batches_[b])
        if (std::optional<NDict> s = maker.get(pick.sample, epoch_, options_.training, pick.repeat)) {
          samples.push_back(std::move(*s));
          kept.push_back(static_cast<int64_t>(pick.sample));
          repeats.push_back(pick.repeat);
        }
      NDict batch = collate(samples, options_.collate);
      if (!samples.empty()) maker.run_batch(batch, epoch_, static_cast<int64_t>(b), kept, options_.training, repeats);
      std::lock_guard<std::mutex> lock(mutex_);
      ready_[b] = std::move(batch);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      failed_[b] = std::current_exception();
    }
    made_.notify_all();
  }
}

bool Loader::next(NDict& batch) {
  while (true) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (next_to_give_ >= batches_.size()) return false;
    const size_t b = next_to_give_;
    made_.wait(lock, [&] { return ready_.count(b) || failed_.count(b); });
    if (auto f = failed_.find(b); f != failed_.end()) {
      std::exception_ptr e = f->second;
      lock.unlock();
      stop();
      std::rethrow_exception(e);
    }
    batch = std::move(ready_[b]);
    ready_.erase(b);
    ++next_to_give_;
    lock.unlock();
    taken_.notify_all();
    if (!batch.empty()) return true;  // a batch whose samples were all skipped is passed over
  }
}

}  // namespace fuse::loader
