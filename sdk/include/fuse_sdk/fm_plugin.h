/*
 * fm_plugin.h - the FuseMedML++ plugin ABI, version 1.
 *
 * Only C crosses the boundary between the host (the `fuse` runtime) and a plugin library:
 * plain structs, function-pointer tables and opaque handles. The header compiles as C99 with -pedantic.
 *
 * Rules that keep the ABI stable:
 *  - A plugin library exports exactly one symbol, `fm_plugin_entry_v1`, which returns an fm_plugin_v1.
 *  - Every struct starts with `struct_size` (its size as the writer compiled it). Structs and tables only
 *    grow at the end; a reader checks `struct_size` before touching a field added after 1.0.
 *  - The host refuses a plugin whose ABI major differs from its own, or whose minor is newer.
 *  - Errors are values (fm_error*, NULL means success) created through the host's table. No C++ exception,
 *    STL type or framework type crosses the boundary.
 *  - Tensors cross as DLPack: a borrowed `DLTensor*` for inputs, an owned `DLManagedTensor*` (freed with its
 *    own deleter) for outputs.
 *
 * Thread contract: the host never calls one component instance from two threads at once; to work in parallel
 * it creates more instances. Different instances (of the same or different components) may be called
 * concurrently, so a plugin's shared state must be thread-safe. Host functions in fm_api_v1 may be called from
 * any thread, but a given fm_dict may only be used by the thread that received it, during that call.
 *
 * Lifetime: the host never unloads a plugin library while anything it produced is alive (an instance, or a
 * tensor whose deleter lives in the library). Errors are allocated by the host, so they outlive the plugin.
 */
#ifndef FUSE_SDK_FM_PLUGIN_H_
#define FUSE_SDK_FM_PLUGIN_H_

#include <stddef.h>
#include <stdint.h>

#include <dlpack/dlpack.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------- versions */

#define FM_ABI_VERSION_MAJOR 1
#define FM_ABI_VERSION_MINOR 0

/* The name of the one symbol a plugin library exports. */
#define FM_PLUGIN_ENTRY_SYMBOL "fm_plugin_entry_v1"

#if defined(_WIN32)
#define FM_PLUGIN_EXPORT __declspec(dllexport)
#else
#define FM_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* ------------------------------------------------------------------------------------------ error values */

/* An error: an opaque value created by the host (fm_api_v1.error_new) and owned by whoever holds it.
 * A function that returns a non-NULL fm_error* hands ownership to its caller, who frees it with
 * fm_api_v1.error_free (the host does this for errors returned by plugin functions). */
typedef struct fm_error fm_error;

/* Error codes (int32_t so the width is fixed). */
typedef int32_t fm_error_code;
#define FM_ERR_INVALID_ARGUMENT 1 /* a config value or an input that is not acceptable */
#define FM_ERR_KEY_NOT_FOUND 2    /* a key that a component reads is missing */
#define FM_ERR_TYPE 3             /* a value of the wrong type (or tensor of the wrong dtype) */
#define FM_ERR_SHAPE 4            /* a tensor of the wrong shape */
#define FM_ERR_IO 5               /* a file could not be read or written */
#define FM_ERR_UNSUPPORTED 6      /* a valid request this component does not support (device, dtype...) */
#define FM_ERR_OUT_OF_MEMORY 7
#define FM_ERR_INTERNAL 8 /* a bug, or an exception of unknown type caught at the boundary */
#define FM_ERR_NUMERIC 9  /* NaN/inf or another numerical failure */

/* ---------------------------------------------------------------------------------------------- values */

/* A nested dictionary with dotted keys ("data.image", "model.logits.cls"), owned by the host. Walking a list
 * takes an index as the key segment ("data.paths.2"). A plugin only sees handles it is given or creates with
 * fm_api_v1.dict_new; it must not keep a handle it was given after the call that gave it returns. */
typedef struct fm_dict fm_dict;

/* The type of the value under a key. */
typedef int32_t fm_value_type;
#define FM_VALUE_MISSING 0 /* no value under this key */
#define FM_VALUE_NULL 1
#define FM_VALUE_TENSOR 2
#define FM_VALUE_INT 3 /* int64_t */
#define FM_VALUE_DOUBLE 4
#define FM_VALUE_BOOL 5
#define FM_VALUE_STRING 6 /* UTF-8 */
#define FM_VALUE_LIST 7
#define FM_VALUE_DICT 8

/* Flags of fm_api_v1.dict_keys. */
#define FM_KEYS_CHILDREN 0u /* the direct children of the prefix, as full dotted keys */
#define FM_KEYS_LEAVES 1u   /* every leaf below the prefix, flattened to full dotted keys (lists are leaves) */

/* Called once per key; return non-zero to stop early. `key` is valid during the call only. */
typedef int32_t (*fm_key_visitor)(void* user, const char* key, fm_value_type type);

/* A sink for serialized bytes (component state). Returns NULL or an error that aborts the write. */
typedef fm_error* (*fm_write_fn)(void* user, const void* data, size_t size);

/* Log levels of fm_api_v1.log. */
#define FM_LOG_DEBUG 0
#define FM_LOG_INFO 1
#define FM_LOG_WARNING 2
#define FM_LOG_ERROR 3

/* -------------------------------------------------------------------------------- the host's function table
 *
 * Thread: every function may be called from any thread; an fm_dict handle only from the thread that received it,
 * during that call (dicts from dict_new: by one thread at a time).
 * Ownership: strings passed in are copied; pointers handed out are borrowed unless the comment says "owns".
 * Strings are NUL-terminated UTF-8 unless a length is given. Keys are dotted paths.
 * Functions that return fm_error* return NULL on success; a non-NULL error is owned by the caller.
 */
typedef struct fm_api_v1 {
  uint32_t struct_size;
  uint32_t abi_major; /* the host's ABI version */
  uint32_t abi_minor;

  /* -- errors -- */
  /* A new error with a copy of `message`; the caller owns it. Never returns NULL. */
  fm_error* (*error_new)(fm_error_code code, const char* message);
  fm_error_code (*error_code)(const fm_error* error);
  /* The message, valid until the error is freed. */
  const char* (*error_message)(const fm_error* error);
  void (*error_free)(fm_error* error);

  /* -- logging: writes a message (copied) to the host's log, tagged with the calling plugin. -- */
  void (*log)(int32_t level, const char* message);

  /* -- reading a dict (the dict stays owned by the host) -- */
  /* The type of the value under `key`, or FM_VALUE_MISSING. */
  fm_value_type (*dict_type)(const fm_dict* dict, const char* key);
  fm_error* (*dict_get_int)(const fm_dict* dict, const char* key, int64_t* out);
  /* Also reads an int value, converted. */
  fm_error* (*dict_get_double)(const fm_dict* dict, const char* key, double* out);
  fm_error* (*dict_get_bool)(const fm_dict* dict, const char* key, int32_t* out);
  /* *out points to the host's copy, valid until the value under `key` changes or the dict is freed. */
  fm_error* (*dict_get_string)(const fm_dict* dict, const char* key, const char** out, size_t* length);
  /* A borrowed, read-only view, valid until the value under `key` changes or the dict is freed. */
  fm_error* (*dict_get_tensor)(const fm_dict* dict, const char* key, const DLTensor** out);
  /* A view whose data the caller may write in place. If the buffer is shared with another value (or is
   * read-only, as in a memory-mapped cache) the host first replaces it with a private copy. */
  fm_error* (*dict_get_tensor_mut)(fm_dict* dict, const char* key, DLTensor** out);
  /* A new reference to the tensor under `key` (no copy); the caller owns *out and frees it with its deleter. */
  fm_error* (*dict_ref_tensor)(const fm_dict* dict, const char* key, DLManagedTensor** out);
  fm_error* (*dict_list_length)(const fm_dict* dict, const char* key, size_t* out);
  /* Visits keys below `prefix` ("" for the root) in insertion order; see FM_KEYS_*. */
  fm_error* (*dict_keys)(const fm_dict* dict, const char* prefix, uint32_t flags, fm_key_visitor visit,
                         void* user);

  /* -- writing a dict: setting a key creates the missing dicts on its path and replaces any value there -- */
  fm_error* (*dict_set_null)(fm_dict* dict, const char* key);
  fm_error* (*dict_set_int)(fm_dict* dict, const char* key, int64_t value);
  fm_error* (*dict_set_double)(fm_dict* dict, const char* key, double value);
  fm_error* (*dict_set_bool)(fm_dict* dict, const char* key, int32_t value);
  /* Copies `length` bytes. */
  fm_error* (*dict_set_string)(fm_dict* dict, const char* key, const char* value, size_t length);
  /* Takes ownership of `tensor`, also when it returns an error (the host then calls its deleter). */
  fm_error* (*dict_set_tensor)(fm_dict* dict, const char* key, DLManagedTensor* tensor);
  /* A list of `length` null values, to be filled through "key.<index>". */
  fm_error* (*dict_set_list)(fm_dict* dict, const char* key, size_t length);
  /* An empty dict. */
  fm_error* (*dict_set_dict)(fm_dict* dict, const char* key);
  /* Copies the value (a whole subtree for a dict) under `src_key` of `src` to `dst_key` of `dst`. Tensors are
   * shared, not copied: a later dict_get_tensor_mut on either side copies first. `src` may equal `dst`. */
  fm_error* (*dict_copy)(fm_dict* dst, const char* dst_key, const fm_dict* src, const char* src_key);
  /* Moves a value to another key of the same dict (a rename). */
  fm_error* (*dict_move)(fm_dict* dict, const char* dst_key, const char* src_key);
  /* Removes `key`; FM_ERR_KEY_NOT_FOUND if it is missing. */
  fm_error* (*dict_remove)(fm_dict* dict, const char* key);

  /* -- tensors and dicts the plugin creates -- */
  /* A new contiguous tensor allocated by the host (64-byte aligned, contents undefined). The caller owns *out:
   * it hands it to dict_set_tensor or frees it with its deleter. Only kDLCPU is allocated by host v1.0. */
  fm_error* (*tensor_alloc)(int32_t ndim, const int64_t* shape, DLDataType dtype, DLDevice device,
                            DLManagedTensor** out);
  /* A new empty dict owned by the caller, freed with dict_free. */
  fm_dict* (*dict_new)(void);
  void (*dict_free)(fm_dict* dict);
} fm_api_v1;

/* Returns the host's table for ABI `major`.`minor` (a table whose struct_size covers every field of that
 * minor), or NULL when the host does not provide it. The host only loads plugins whose declared ABI it
 * provides, so a plugin asking for the version it declares always gets a table. */
typedef const void* (*fm_get_api_fn)(uint32_t major, uint32_t minor);

/* ---------------------------------------------------------------------------------------------- calls */

#define FM_CALL_TRAINING 1u /* training (random augmentation, dropout...), as opposed to evaluation */
/* A model's forward: the host will ask backward for the gradients of the inputs as well (the inputs come from
 * another trainable component), so the model must keep what computing them needs. */
#define FM_CALL_INPUT_GRADS 2u
/* A model's forward: the model may compute in reduced precision where that is safe (autocast on CUDA);
 * its outputs keep their usual dtypes. */
#define FM_CALL_MIXED_PRECISION 4u

/* Per-call context given by the host; borrowed for the duration of the call. */
typedef struct fm_call_v1 {
  uint32_t struct_size;
  uint32_t flags; /* FM_CALL_* */
  /* The seed of this call's random draws: a pure function of (run seed, epoch, sample index, op position),
   * so results do not depend on threads or timing. A component must take all its randomness from it. */
  uint64_t seed;
  int64_t epoch;        /* -1 when not known */
  int64_t sample_index; /* -1 for a batch or when not known */
  /* A batch op's call (the data's batch pipeline): one seed per sample of the batch, in batch order, each the
   * seed this op would get were it the next op of the sample's dynamic pipeline; so a batch op (e.g. on the GPU)
   * can draw exactly what its per-sample twin draws. 0 and NULL otherwise. These two fields grew the struct
   * after its first release: read them only when struct_size covers them (sdk::Call does). */
  size_t sample_count;
  const uint64_t* sample_seeds;
} fm_call_v1;

/* ---------------------------------------------------------------------------------------------- components */

typedef int32_t fm_component_kind;
#define FM_KIND_OP 1
#define FM_KIND_MODEL 2
#define FM_KIND_LOSS 3
#define FM_KIND_METRIC 4

/* The part every component descriptor starts with. Descriptors are static data of the plugin (owned by it, alive
 * while it is loaded).
 * Thread: create may run on several threads at once (for different instances); every other function is never
 * called concurrently on one instance. All dicts given to a function are borrowed for that call only. */
typedef struct fm_component_v1 {
  uint32_t struct_size; /* sizeof the whole kind-specific struct (fm_op_v1, ...) */
  fm_component_kind kind;
  const char* id;      /* e.g. "fuse.ops.zscore"; equal to the manifest's */
  const char* version; /* e.g. "1.0.0"; equal to the manifest's */
  /* Creates an instance from its config: a dict the host has checked against the manifest's schema, with
   * defaults filled in. `config` is borrowed for the call only. */
  fm_error* (*create)(const fm_dict* config, void** instance);
  /* Frees an instance. Never called concurrently with another call on the same instance. */
  void (*destroy)(void* instance);
} fm_component_v1;

/* An op: transforms a sample (or a batch) in place, reading and writing the keys its config names.
 * forward: `sample` is borrowed and may be changed; values it sets are owned by the dict. */
typedef struct fm_op_v1 {
  fm_component_v1 base;
  fm_error* (*forward)(void* instance, fm_dict* sample, const fm_call_v1* call);
} fm_op_v1;

/* A trainable parameter, a view owned by the model instance. value and grad are dense and have the same layout:
 * strides NULL (row-major) or given (e.g. channels-last convolution weights). */
typedef struct fm_param_v1 {
  uint32_t struct_size;
  uint32_t trainable; /* 0 for buffers such as batch-norm statistics */
  const char* name;   /* e.g. "layer1.0.conv1.weight" */
  DLTensor* value;    /* the host's optimiser updates it in place */
  DLTensor* grad;     /* the gradient accumulated by backward; NULL when not trainable */
} fm_param_v1;

/* A model: forward writes outputs; backward takes gradients of the outputs and returns gradients of the inputs.
 * Views returned by `parameters` are owned by the instance and stay valid until the next parameters, to_device,
 * state_load or destroy. state_save writes through `write` (borrowed); state_load reads `data` (borrowed). */
typedef struct fm_model_v1 {
  fm_component_v1 base;
  fm_error* (*forward)(void* instance, fm_dict* batch, const fm_call_v1* call);
  /* `output_grads` holds d(loss)/d(output) under its output keys (at least one); the model accumulates
   * parameter gradients and, when that forward had FM_CALL_INPUT_GRADS, writes d(loss)/d(input) under its
   * input keys in `input_grads`. A model whose forward ran several times before a backward (shared weights)
   * receives one backward per forward, in reverse order (the last forward first). */
  fm_error* (*backward)(void* instance, const fm_dict* output_grads, fm_dict* input_grads,
                        const fm_call_v1* call);
  fm_error* (*parameters)(void* instance, size_t* count, const fm_param_v1** params);
  /* Sets every parameter gradient to zero. */
  fm_error* (*zero_grad)(void* instance);
  fm_error* (*set_training)(void* instance, int32_t training);
  fm_error* (*to_device)(void* instance, DLDevice device);
  fm_error* (*state_save)(void* instance, fm_write_fn write, void* user);
  fm_error* (*state_load)(void* instance, const void* data, size_t size);
} fm_model_v1;

/* A loss: its value on a batch and, when `grads` is not NULL, d(value)/d(prediction) written under each
 * prediction key it reads. `batch` is read-only; `grads` (borrowed) receives tensors it then owns. */
typedef struct fm_loss_v1 {
  fm_component_v1 base;
  fm_error* (*forward)(void* instance, const fm_dict* batch, fm_dict* grads, double* value,
                       const fm_call_v1* call);
} fm_loss_v1;

/* A metric: accumulates batches, merges with another instance of the same component (threads, processes)
 * and computes its result into a dict. state_save/state_load move the accumulated state across processes.
 * merge: `other` is borrowed and not changed; the host does not call `other` concurrently during the merge. */
typedef struct fm_metric_v1 {
  fm_component_v1 base;
  fm_error* (*reset)(void* instance);
  fm_error* (*update)(void* instance, const fm_dict* batch);
  /* Adds `other`'s accumulated state to `instance`; `other` is an instance of the same component. */
  fm_error* (*merge)(void* instance, const void* other);
  fm_error* (*compute)(void* instance, fm_dict* result);
  fm_error* (*state_save)(void* instance, fm_write_fn write, void* user);
  fm_error* (*state_load)(void* instance, const void* data, size_t size);
  /* Replicate weights; NULL when the metric cannot reweight its rows. Computes the result as if each row given to
   * update (in update order; after a merge, this instance's rows then the other's) appeared counts[i] times
   * (0-255). The host uses it for bootstrap replicates, sub-groups and folds (0/1) and the jackknife, without
   * copying rows. `row_count` is the number of rows seen. `inputs` (may be NULL) holds values that are not per
   * row, such as a threshold another metric chose for this replicate (under "results.<metric>.<key>"); they
   * replace the values seen by update. Returns FM_ERR_NUMERIC when the result is undefined for these counts
   * (e.g. a replicate with one class only); the host skips and counts such replicates.
   * Thread: the host calls compute once first; compute_weighted may then run concurrently on one instance and
   * must not change what compute would return. */
  fm_error* (*compute_weighted)(void* instance, const fm_dict* inputs, const uint8_t* counts, size_t row_count,
                                fm_dict* result);
} fm_metric_v1;

/* ---------------------------------------------------------------------------------------------- the plugin */

typedef struct fm_plugin_v1 {
  uint32_t struct_size;
  uint32_t abi_major; /* FM_ABI_VERSION_MAJOR as the plugin was built */
  uint32_t abi_minor; /* FM_ABI_VERSION_MINOR as the plugin was built */
  const char* id;      /* equal to the manifest's id */
  const char* version; /* equal to the manifest's version */
  /* Called once, after the host checked the ABI and before any component is created. NULL when not needed. */
  fm_error* (*init)(fm_get_api_fn get_api);
  /* Called once before the library is unloaded, after every instance was destroyed. May be NULL. */
  void (*shutdown)(void);
  size_t component_count;
  /* Each entry points to the kind-specific descriptor (fm_op_v1, fm_model_v1, ...), whose first member is an
   * fm_component_v1. */
  const fm_component_v1* const* components;
} fm_plugin_v1;

/* The one exported symbol. Returns static data; called once by the host, before init. */
typedef const fm_plugin_v1* (*fm_plugin_entry_v1_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* FUSE_SDK_FM_PLUGIN_H_ */
