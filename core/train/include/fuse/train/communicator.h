// The ranks of a distributed run talking to each other: LibTorch's c10d process groups (Gloo for CPU tensors,
// NCCL for CUDA ones where LibTorch has it) behind a small interface that moves bytes and numbers, so that the
// trainer agrees on checkpoints, metrics and errors without knowing c10d. A failed collective (a rank died, the
// network broke, the timeout passed) is an Error naming this rank and the step, never a hang or a crash.
#ifndef FUSE_TRAIN_COMMUNICATOR_H_
#define FUSE_TRAIN_COMMUNICATOR_H_

#include <dlpack/dlpack.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fuse/launch/world.h"

namespace fuse::train {

class Communicator {
 public:
  // Joins the other ranks: rank 0 serves the rendezvous at world.master_addr:master_port. `timeout` bounds the
  // wait for every rank to join and each collective afterwards. GLOO_SOCKET_IFNAME picks the network interface
  // on machines with several.
  static std::unique_ptr<Communicator> connect(const launch::World& world, DLDevice device, std::chrono::milliseconds timeout);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  const launch::World& world() const;
  int rank() const { return world().rank; }
  int size() const { return world().size; }
  const std::string& backend() const;  // "gloo" or "nccl"

  // `what` names the step in errors ("the validation metrics of epoch 3"). A barrier may be given a longer
  // timeout than the collectives' (waiting for the others to build their part of the cache).
  void barrier(const std::string& what, std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  // Every rank's bytes, in rank order (sizes may differ).
  std::vector<std::string> all_gather(const std::string& bytes, const std::string& what);
  // `root`'s bytes on every rank.
  std::string broadcast(const std::string& bytes, int root, const std::string& what);
  // Element-wise sums over the ranks (same length on each).
  std::vector<double> all_sum(const std::vector<double>& values, const std::string& what);
  // Runs `check` on rank 0 and gives its verdict to all: when it throws an Error, every rank throws that Error.
  // For the checks only rank 0 can make (its files) that must stop every rank alike.
  void agree(const std::function<void()>& check, const std::string& what);

  struct Impl;  // c10d's process group, for the gradient reducer
  Impl& impl() { return *impl_; }

 private:
  explicit Communicator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fuse::train

#endif  // FUSE_TRAIN_COMMUNICATOR_H_
