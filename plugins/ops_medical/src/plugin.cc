// The plugin's one exported symbol; the components register themselves in the other files.
#include "fuse_sdk/plugin.hpp"

FUSE_PLUGIN("fuse.ops_medical", "0.2.0")
