// The tests' way to run a GPU op as the host's batch pipeline runs it: the listed keys of a host batch to the
// device, the op with one seed per sample, and the keys back to host memory.
#ifndef FUSE_PLUGINS_CUDA_AUGMENT_TEST_GPU_BATCH_H_
#define FUSE_PLUGINS_CUDA_AUGMENT_TEST_GPU_BATCH_H_

#include <string>
#include <vector>

#include "test_support.h"

namespace fuse::testing {

inline void run_gpu_batch_step(NDict& batch, const std::vector<std::string>& keys, const std::string& id, const std::string& config,
                               const std::vector<uint64_t>& seeds) {
  std::string transfer = R"({"keys": [)";
  for (size_t i = 0; i < keys.size(); ++i) transfer += (i ? ", \"" : "\"") + keys[i] + "\"";
  transfer += "]}";
  built_plugins().create_op("fuse.cuda.to_device", json_object(transfer)).forward(batch);
  CallContext context{true, 1, 1, -1};
  context.sample_seeds = &seeds;
  built_plugins().create_op(id, json_object(config)).forward(batch, context);
  built_plugins().create_op("fuse.cuda.to_host", json_object(transfer)).forward(batch);
}

}  // namespace fuse::testing

#endif  // FUSE_PLUGINS_CUDA_AUGMENT_TEST_GPU_BATCH_H_
