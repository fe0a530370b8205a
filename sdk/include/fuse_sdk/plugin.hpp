// The header-only C++ layer for plugin authors: include this one header.
//   fuse::sdk::Dict / DictView   - the sample, batch or config a call receives (fm_dict handles)
//   fuse::sdk::Tensor / views    - DLPack tensors: borrowed inputs, host-allocated outputs
//   fuse::sdk::Error, fail()     - throw inside the plugin; the boundary turns it into an fm_error
//   converted(), reshaped()      - dtype conversion, reshaping without a copy
//   fuse::sdk::Random            - seeded draws, the same on every platform
//   FUSE_OP / FUSE_MODEL / FUSE_LOSS / FUSE_METRIC, FUSE_PLUGIN - registration
#ifndef FUSE_SDK_PLUGIN_HPP_
#define FUSE_SDK_PLUGIN_HPP_

#include "fuse_sdk/api.hpp"
#include "fuse_sdk/component.hpp"
#include "fuse_sdk/dict.hpp"
#include "fuse_sdk/dltensor.hpp"
#include "fuse_sdk/dtype.hpp"
#include "fuse_sdk/error.hpp"
#include "fuse_sdk/fm_plugin.h"
#include "fuse_sdk/random.hpp"
#include "fuse_sdk/tensor.hpp"
#include "fuse_sdk/tensor_ops.hpp"

#endif  // FUSE_SDK_PLUGIN_HPP_
