#include "fuse_sdk/plugin.hpp"

FUSE_PLUGIN("fuse.cuda_augment", "0.1.0")
