/* A C plugin whose declared ABI version comes from the build (TEST_ABI_MAJOR/MINOR), to test the host's
 * refusal of other majors and newer minors. */
#include "fuse_sdk/fm_plugin.h"

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

static const fm_op_v1 op = {{sizeof(fm_op_v1), FM_KIND_OP, "probe.op", "1.0.0", create, destroy}, forward};
static const fm_component_v1* const components[] = {&op.base};
static const fm_plugin_v1 plugin = {sizeof(fm_plugin_v1), TEST_ABI_MAJOR, TEST_ABI_MINOR, "test.probe", "1.0.0", NULL,
                                    NULL, 1, components};

FM_PLUGIN_EXPORT const fm_plugin_v1* fm_plugin_entry_v1(void) { return &plugin; }
