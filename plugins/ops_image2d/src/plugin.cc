// The plugin's one exported symbol; the components register themselves in the other files.
#include "fuse_sdk/plugin.hpp"

FUSE_PLUGIN("fuse.ops_image2d", "0.1.0")
