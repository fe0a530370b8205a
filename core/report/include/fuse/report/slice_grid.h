// A PNG grid of 2D slices through volumes (fuse data show, fuse show-results): one tile per sample, the mask's
// classes tinted over the image (red, green, blue, ...) and a prediction's outlined (yellow, cyan, pink, ...),
// pixels stretched to the voxel spacing, each tile captioned. Exposed with C linkage too, so that `fuse` can
// open this library only when it draws.
#ifndef FUSE_REPORT_SLICE_GRID_H_
#define FUSE_REPORT_SLICE_GRID_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One volume, x fastest: image[(z * size[1] + y) * size[0] + x]. */
typedef struct fuse_volume_view {
  const float* image;
  const uint8_t* mask; /* same layout, the class (> 0) where labelled, each tinted in its own colour; may be NULL */
  int64_t size[3];     /* x, y, z */
  double spacing[3];   /* mm */
  const char* caption; /* one line, or several separated by "\n" */
  const uint8_t* prediction; /* same layout, the predicted class (> 0), outlined in a colour per class; may be NULL */
  const float* color;        /* a colour picture: its R, G and B planes one after the other, each laid out as `image`,
                                drawn in colour instead of `image`; may be NULL */
} fuse_volume_view;

/* plane: "axial" (x-y slices along z), "coronal" (x-z along y) or "sagittal" (y-z along x); slice < 0 takes the
 * slice with the largest mask area (else the largest predicted area, else the middle one). Returns 0, or 1 with a message in `error`. */
int fuse_write_slice_grid(const fuse_volume_view* volumes, size_t count, const char* plane, int64_t slice, int columns,
                          const char* path, char* error, unsigned long error_size);

#ifdef __cplusplus
}
#endif

#endif  // FUSE_REPORT_SLICE_GRID_H_
