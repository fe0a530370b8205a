/* A plugin in plain C99 (no C++ runtime), to prove the ABI is C: an op and a metric written against
 * fm_plugin.h alone. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuse_sdk/fm_plugin.h"

static const fm_api_v1* api = NULL;

static fm_error* init(fm_get_api_fn get_api) {
  api = (const fm_api_v1*)get_api(FM_ABI_VERSION_MAJOR, FM_ABI_VERSION_MINOR);
  return NULL;
}

static char* copy_string(const char* s, size_t n) {
  char* out = (char*)malloc(n + 1);
  if (out != NULL) {
    memcpy(out, s, n);
    out[n] = '\0';
  }
  return out;
}

/* Reads config["<list_key>"] (a list of strings) into a malloc'ed array of malloc'ed strings. */
static fm_error* read_keys(const fm_dict* config, const char* list_key, char*** keys, size_t* count) {
  size_t n = 0, i;
  char path[64];
  fm_error* err = api->dict_list_length(config, list_key, &n);
  if (err != NULL) return err;
  *keys = (char**)calloc(n == 0 ? 1 : n, sizeof(char*));
  if (*keys == NULL) return api->error_new(FM_ERR_OUT_OF_MEMORY, "out of memory");
  *count = n;
  for (i = 0; i < n; ++i) {
    const char* s = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "%s.%u", list_key, (unsigned)i);
    err = api->dict_get_string(config, path, &s, &len);
    if (err != NULL) return err;
    (*keys)[i] = copy_string(s, len);
    if ((*keys)[i] == NULL) return api->error_new(FM_ERR_OUT_OF_MEMORY, "out of memory");
  }
  return NULL;
}

static void free_keys(char** keys, size_t count) {
  size_t i;
  if (keys == NULL) return;
  for (i = 0; i < count; ++i) free(keys[i]);
  free(keys);
}

static int64_t element_count(const DLTensor* t) {
  int64_t n = 1;
  int32_t i;
  for (i = 0; i < t->ndim; ++i) n *= t->shape[i];
  return n;
}

/* ------------------------------------------------------------------ op: fuse.c.scale_shift (x * scale + shift) */

typedef struct {
  char** keys;
  size_t count;
  double scale;
  double shift;
} scale_shift;

static void scale_shift_destroy(void* instance) {
  scale_shift* s = (scale_shift*)instance;
  if (s == NULL) return;
  free_keys(s->keys, s->count);
  free(s);
}

static fm_error* scale_shift_create(const fm_dict* config, void** instance) {
  fm_error* err;
  scale_shift* s = (scale_shift*)calloc(1, sizeof(scale_shift));
  if (s == NULL) return api->error_new(FM_ERR_OUT_OF_MEMORY, "out of memory");
  err = read_keys(config, "keys", &s->keys, &s->count);
  if (err == NULL) err = api->dict_get_double(config, "scale", &s->scale);
  if (err == NULL) err = api->dict_get_double(config, "shift", &s->shift);
  if (err != NULL) {
    scale_shift_destroy(s);
    return err;
  }
  *instance = s;
  return NULL;
}

static fm_error* scale_shift_forward(void* instance, fm_dict* sample, const fm_call_v1* call) {
  const scale_shift* s = (const scale_shift*)instance;
  size_t k;
  (void)call;
  for (k = 0; k < s->count; ++k) {
    DLTensor* t = NULL;
    int64_t i, n;
    char message[256];
    fm_error* err = api->dict_get_tensor_mut(sample, s->keys[k], &t);
    if (err != NULL) return err;
    n = element_count(t);
    if (t->dtype.code == kDLFloat && t->dtype.bits == 32 && t->dtype.lanes == 1) {
      float* x = (float*)((char*)t->data + t->byte_offset);
      for (i = 0; i < n; ++i) x[i] = (float)(x[i] * s->scale + s->shift);
    } else if (t->dtype.code == kDLFloat && t->dtype.bits == 64 && t->dtype.lanes == 1) {
      double* x = (double*)((char*)t->data + t->byte_offset);
      for (i = 0; i < n; ++i) x[i] = x[i] * s->scale + s->shift;
    } else {
      snprintf(message, sizeof(message), "key '%s': scale_shift needs a float32 or float64 tensor", s->keys[k]);
      return api->error_new(FM_ERR_TYPE, message);
    }
  }
  return NULL;
}

static const fm_op_v1 scale_shift_op = {
    {sizeof(fm_op_v1), FM_KIND_OP, "fuse.c.scale_shift", "1.0.0", scale_shift_create, scale_shift_destroy},
    scale_shift_forward};

/* ------------------------------------------------------ metric: fuse.c.mean_abs_error (streaming, mergeable) */

typedef struct {
  char* pred;
  char* target;
  double sum; /* of |pred - target| */
  int64_t count;
} mae;

static void mae_destroy(void* instance) {
  mae* m = (mae*)instance;
  if (m == NULL) return;
  free(m->pred);
  free(m->target);
  free(m);
}

static fm_error* mae_create(const fm_dict* config, void** instance) {
  const char* s = NULL;
  size_t n = 0;
  fm_error* err;
  mae* m = (mae*)calloc(1, sizeof(mae));
  if (m == NULL) return api->error_new(FM_ERR_OUT_OF_MEMORY, "out of memory");
  err = api->dict_get_string(config, "pred", &s, &n);
  if (err == NULL) m->pred = copy_string(s, n);
  if (err == NULL) err = api->dict_get_string(config, "target", &s, &n);
  if (err == NULL) m->target = copy_string(s, n);
  if (err == NULL && (m->pred == NULL || m->target == NULL)) err = api->error_new(FM_ERR_OUT_OF_MEMORY, "out of memory");
  if (err != NULL) {
    mae_destroy(m);
    return err;
  }
  *instance = m;
  return NULL;
}

static fm_error* mae_reset(void* instance) {
  mae* m = (mae*)instance;
  m->sum = 0;
  m->count = 0;
  return NULL;
}

/* Reads element i of a float32 or float64 tensor as double. */
static double element(const DLTensor* t, int64_t i) {
  const char* base = (const char*)t->data + t->byte_offset;
  return t->dtype.bits == 32 ? (double)((const float*)base)[i] : ((const double*)base)[i];
}

static int is_float(const DLTensor* t) {
  return t->dtype.code == kDLFloat && (t->dtype.bits == 32 || t->dtype.bits == 64) && t->dtype.lanes == 1;
}

static fm_error* mae_update(void* instance, const fm_dict* batch) {
  mae* m = (mae*)instance;
  const DLTensor* p = NULL;
  const DLTensor* t = NULL;
  int64_t i, n;
  char message[256];
  fm_error* err = api->dict_get_tensor(batch, m->pred, &p);
  if (err == NULL) err = api->dict_get_tensor(batch, m->target, &t);
  if (err != NULL) return err;
  if (!is_float(p) || !is_float(t)) {
    snprintf(message, sizeof(message), "'%s' and '%s' must be float32 or float64 tensors", m->pred, m->target);
    return api->error_new(FM_ERR_TYPE, message);
  }
  n = element_count(p);
  if (element_count(t) != n) {
    snprintf(message, sizeof(message), "'%s' has %lld elements but '%s' has %lld", m->pred, (long long)n, m->target,
             (long long)element_count(t));
    return api->error_new(FM_ERR_SHAPE, message);
  }
  for (i = 0; i < n; ++i) m->sum += fabs(element(p, i) - element(t, i));
  m->count += n;
  return NULL;
}

static fm_error* mae_merge(void* instance, const void* other) {
  mae* m = (mae*)instance;
  const mae* o = (const mae*)other;
  m->sum += o->sum;
  m->count += o->count;
  return NULL;
}

static fm_error* mae_compute(void* instance, fm_dict* result) {
  const mae* m = (const mae*)instance;
  fm_error* err;
  if (m->count == 0) return api->error_new(FM_ERR_NUMERIC, "mean absolute error of no samples: update it first");
  err = api->dict_set_double(result, "mae", m->sum / (double)m->count);
  if (err == NULL) err = api->dict_set_int(result, "count", m->count);
  return err;
}

static fm_error* mae_save(void* instance, fm_write_fn write, void* user) {
  const mae* m = (const mae*)instance;
  fm_error* err = write(user, &m->sum, sizeof(m->sum));
  if (err == NULL) err = write(user, &m->count, sizeof(m->count));
  return err;
}

static fm_error* mae_load(void* instance, const void* data, size_t size) {
  mae* m = (mae*)instance;
  if (size != sizeof(m->sum) + sizeof(m->count))
    return api->error_new(FM_ERR_INVALID_ARGUMENT, "mean_abs_error state must be 16 bytes");
  memcpy(&m->sum, data, sizeof(m->sum));
  memcpy(&m->count, (const char*)data + sizeof(m->sum), sizeof(m->count));
  return NULL;
}

static const fm_metric_v1 mae_metric = {
    {sizeof(fm_metric_v1), FM_KIND_METRIC, "fuse.c.mean_abs_error", "1.0.0", mae_create, mae_destroy},
    mae_reset,
    mae_update,
    mae_merge,
    mae_compute,
    mae_save,
    mae_load,
    NULL /* compute_weighted: this metric keeps only sums */};

/* ---------------------------------------------------------------------------------------------- the plugin */

static const fm_component_v1* const components[] = {&scale_shift_op.base, &mae_metric.base};

static const fm_plugin_v1 plugin = {sizeof(fm_plugin_v1),
                                    FM_ABI_VERSION_MAJOR,
                                    FM_ABI_VERSION_MINOR,
                                    "fuse.ops_c",
                                    "0.1.0",
                                    init,
                                    NULL,
                                    sizeof(components) / sizeof(components[0]),
                                    components};

FM_PLUGIN_EXPORT const fm_plugin_v1* fm_plugin_entry_v1(void) { return &plugin; }
