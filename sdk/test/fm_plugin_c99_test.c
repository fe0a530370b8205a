/* Compiled as C99 with -pedantic -Werror: the ABI header must not need C++ or compiler extensions. */
#include "fuse_sdk/fm_plugin.h"

#include <stdio.h>

static fm_error* forward(void* instance, fm_dict* sample, const fm_call_v1* call) {
  (void)instance;
  (void)sample;
  (void)call;
  return NULL;
}

static fm_error* create(const fm_dict* config, void** instance) {
  (void)config;
  *instance = NULL;
  return NULL;
}

static void destroy(void* instance) { (void)instance; }

static const fm_op_v1 op = {{sizeof(fm_op_v1), FM_KIND_OP, "c99.op", "1.0.0", create, destroy}, forward};

int main(void) {
  const fm_component_v1* base = &op.base;
  fm_plugin_v1 plugin;
  plugin.struct_size = sizeof(fm_plugin_v1);
  plugin.abi_major = FM_ABI_VERSION_MAJOR;
  plugin.abi_minor = FM_ABI_VERSION_MINOR;
  plugin.component_count = 1;
  plugin.components = &base;
  /* The common header is the first member of every kind-specific descriptor. */
  if ((const void*)plugin.components[0] != (const void*)&op) return 1;
  if (plugin.components[0]->struct_size != sizeof(fm_op_v1)) return 1;
  if (sizeof(fm_api_v1) <= sizeof(uint32_t) * 3) return 1;
  printf("fm_plugin.h compiles as C99; sizeof(fm_api_v1) = %u\n", (unsigned)sizeof(fm_api_v1));
  return 0;
}
