// The c10d side of Communicator, shared with the gradient reducer. Internal to the trainer.
#ifndef FUSE_TRAIN_SRC_COMMUNICATOR_IMPL_H_
#define FUSE_TRAIN_SRC_COMMUNICATOR_IMPL_H_

#include <torch/version.h>
#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/distributed/c10d/Backend.hpp>
#else
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#endif
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>

#include <functional>
#include <string>

#include "fuse/train/communicator.h"

namespace fuse::train {

// The collectives: LibTorch 1.x's ProcessGroupGloo/NCCL are ProcessGroups; LibTorch 2 made them Backends
// (a ProcessGroup now dispatches to one), with the same collective calls.
#if TORCH_VERSION_MAJOR >= 2
using Collectives = c10d::Backend;
#else
using Collectives = c10d::ProcessGroup;
#endif

struct Communicator::Impl {
  launch::World world;
  std::string backend;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<Collectives> group;
  torch::Device device{torch::kCPU};  // where collective tensors live (NCCL needs CUDA ones)
  int64_t barriers = 0;  // store barriers so far (their keys)

  // Runs `f`, turning c10d's failures into an Error that names this rank and `what`.
  void guarded(const std::string& what, const std::function<void()>& f) const;
  // Waits for `work`, failures as in guarded().
  void wait(const c10::intrusive_ptr<c10d::Work>& work, const std::string& what) const;
};

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SRC_COMMUNICATOR_IMPL_H_
