/*
 * fuse_predict.h - prediction from exported bundles, for applications (C99; libfuse_predict).
 *
 * What `fuse infer` does, as a library: open one bundle (`fuse export RUN --out BUNDLE`) or several (an
 * ensemble), then predict sample after sample with the bundle's inference steps, model(s), test-time
 * augmentation, sliding windows, postprocess and write steps. Samples are fm_dict values of the plugin ABI
 * (fuse_sdk/fm_plugin.h), built and read through the table fm_predict_api() returns.
 *
 * Errors are fm_error values (NULL means success) owned by the caller: read them with the table's
 * error_message and free them with its error_free. Nothing here throws or aborts on bad input.
 *
 * Threads: a predictor predicts one sample or batch at a time (calls from several threads wait for each other); open
 * one predictor per thread to predict in parallel.
 */
#ifndef FUSE_PREDICT_FUSE_PREDICT_H_
#define FUSE_PREDICT_FUSE_PREDICT_H_

#include "fuse_sdk/fm_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(FUSE_PREDICT_BUILDING)
#define FM_PREDICT_API __declspec(dllexport)
#elif defined(_WIN32)
#define FM_PREDICT_API __declspec(dllimport)
#else
#define FM_PREDICT_API __attribute__((visibility("default")))
#endif

/* An open set of bundles. */
typedef struct fm_predictor fm_predictor;

/* Search only options->plugin_paths for plugins, not the default folders as well. */
#define FM_PREDICT_ONLY_GIVEN_PLUGIN_PATHS 1u

typedef struct fm_predictor_options {
  uint32_t struct_size; /* sizeof(fm_predictor_options) */
  uint32_t flags;       /* FM_PREDICT_* */
  /* "cpu" (also when NULL), "cuda" or "cuda:N": where the models run. */
  const char* device;
  /* Folders searched for plugins before the default ones: the folder <this library's folder>/fuse/plugins,
   * $XDG_DATA_HOME/fuse/plugins (or ~/.local/share/fuse/plugins), and those of FUSE_PLUGIN_PATH. */
  const char* const* plugin_paths;
  size_t plugin_path_count;
} fm_predictor_options;

/* The host's table (never NULL): dict_new, dict_set_*, dict_get_*, dict_free, error_message, error_free... */
FM_PREDICT_API const fm_api_v1* fm_predict_api(void);

/* Opens `bundle_count` bundle folders (a folder of bundles, as `fuse export` writes for a cross-validation,
 * counts as its bundles); more than one makes an ensemble (each output the mean of the models', each model's
 * kept under "<key>_m<i>", class scores also voted under "<key>_vote"; each model with its own bundle's
 * inference steps and postprocess). `options` may be NULL.
 * On success *out is a predictor to free with fm_predictor_free. A missing bundle, a plugin that is not
 * installed or of another version, or an unknown device is an error that names it. */
FM_PREDICT_API fm_error* fm_predictor_open(const char* const* bundles, size_t bundle_count, const fm_predictor_options* options,
                                           fm_predictor** out);
FM_PREDICT_API void fm_predictor_free(fm_predictor* predictor);

/* The key the inference steps read the input's path from (e.g. "data.image_path"), and the key of the
 * output's path that the write steps read; valid until the predictor is freed. */
FM_PREDICT_API const char* fm_predictor_input_key(const fm_predictor* predictor);
FM_PREDICT_API const char* fm_predictor_output_key(const fm_predictor* predictor);

/* Predicts `sample` (left unchanged; tensors in it are shared, not copied). On success *out is a new dict,
 * owned by the caller (free it with the table's dict_free): the sample after the inference steps, with the
 * model's outputs (e.g. "model.probs", "model.seg") and whatever the write steps wrote. */
FM_PREDICT_API fm_error* fm_predictor_predict(fm_predictor* predictor, const fm_dict* sample, fm_dict** out);

/* Predicts `count` samples (left unchanged) as fm_predictor_predict would each, running the model(s) on them
 * together where their model inputs share shape and type (fewer, larger calls: about twice the throughput for
 * small inputs on a CPU); inputs of other shapes, sliding windows and slices go one at a time. On success out[i]
 * is sample i's result, owned by the caller. On an error every out[i] is NULL and the message names the index
 * of the sample that failed. */
FM_PREDICT_API fm_error* fm_predictor_predict_batch(fm_predictor* predictor, const fm_dict* const* samples, size_t count, fm_dict** out);

/* What `fuse infer --input INPUT [--output OUTPUT]` predicts: a sample with `input` under the input key,
 * `output` (unless NULL) under the output key and "data.sample_id" the input's file name up to its first '.'.
 * A bundle trained on a folder with paired files (a case's other sequences: nnU-Net's _0001 beside _0000) gets
 * the input's paired files the same way. */
FM_PREDICT_API fm_error* fm_predictor_predict_file(fm_predictor* predictor, const char* input, const char* output,
                                                   fm_dict** out);

#ifdef __cplusplus
}
#endif

#endif /* FUSE_PREDICT_FUSE_PREDICT_H_ */
