/* predict_from_c BUNDLE INPUT: predicts INPUT with the C API alone and prints each small model output as
 * "<key> <value> <value> ..." (or the error's message on standard error, exit 1). */
#include <stdio.h>
#include <string.h>

#include "fuse_predict/fuse_predict.h"

static const fm_api_v1* api;

static int fail(fm_error* error) {
  fprintf(stderr, "error %d: %s\n", (int)api->error_code(error), api->error_message(error));
  api->error_free(error);
  return 1;
}

static int32_t print_output(void* user, const char* key, fm_value_type type) {
  const fm_dict* result = (const fm_dict*)user;
  const DLTensor* t = NULL;
  int64_t i, n = 1;
  int32_t d;
  if (type != FM_VALUE_TENSOR || strncmp(key, "model.", 6) != 0) return 0;
  if (api->dict_get_tensor(result, key, &t) != NULL) return 1;
  if (t->dtype.code != kDLFloat || t->dtype.bits != 32) return 0;
  for (d = 0; d < t->ndim; ++d) n *= t->shape[d];
  printf("%s", key);
  /* Small outputs come back contiguous (strides NULL or row-major). */
  for (i = 0; i < n; ++i) printf(" %.9g", (double)((const float*)((const char*)t->data + t->byte_offset))[i]);
  printf("\n");
  return 0;
}

int main(int argc, char** argv) {
  fm_predictor* predictor = NULL;
  fm_dict* result = NULL;
  fm_error* error;
  const char* bundle;
  if (argc != 3) {
    fprintf(stderr, "usage: predict_from_c BUNDLE INPUT\n");
    return 2;
  }
  api = fm_predict_api();
  bundle = argv[1];
  error = fm_predictor_open(&bundle, 1, NULL, &predictor);
  if (error != NULL) return fail(error);
  error = fm_predictor_predict_file(predictor, argv[2], NULL, &result);
  if (error != NULL) {
    fm_predictor_free(predictor);
    return fail(error);
  }
  error = api->dict_keys(result, "model", FM_KEYS_LEAVES, print_output, result);
  api->dict_free(result);
  fm_predictor_free(predictor);
  return error != NULL ? fail(error) : 0;
}
