// The plugin's one exported symbol; the components register themselves in the other files.
#include "fuse_sdk/plugin.hpp"

FUSE_PLUGIN("fuse.io_medical", "0.3.0")
