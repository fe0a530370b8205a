// Curves of several runs on one chart (fuse runs --curves): a validation value per epoch, one line per run.
// C linkage, like the slice grid and the histograms, so that `fuse` opens this library only when it draws.
#ifndef FUSE_REPORT_CURVES_H_
#define FUSE_REPORT_CURVES_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fuse_curve {
  const double* x;  // ascending
  const double* y;  // NaN: no value there (the line breaks)
  size_t count;
  const char* label;
} fuse_curve;

/* One line per curve in its own colour, the axes spanning every finite point, a legend in the upper left corner
 * (the first 8 labels). Returns 0, or 1 with a message in `error`. */
int fuse_write_curves(const fuse_curve* curves, size_t count, const char* title, const char* x_label, const char* y_label, const char* path, char* error,
                      unsigned long error_size);

#ifdef __cplusplus
}
#endif

#endif  // FUSE_REPORT_CURVES_H_
