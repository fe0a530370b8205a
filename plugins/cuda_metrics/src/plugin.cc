// The plugin's one exported symbol; the components register themselves in metrics.cc.
#include "fuse_sdk/plugin.hpp"

FUSE_PLUGIN("fuse.cuda_metrics", "0.1.0")
