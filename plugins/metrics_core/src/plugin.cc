// The plugin's one exported symbol; the metrics register themselves in the other files.
#include "fuse_sdk/plugin.hpp"

FUSE_PLUGIN("fuse.metrics_core", "0.1.0")
