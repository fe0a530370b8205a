// Where a picture goes when resized to fit a box with its aspect ratio kept (FuseMedML's OpResizeAndPad2D, a
// letterbox): fuse.image2d.resize_and_pad places it so, and fuse.io.write_image takes it back out the same way.
// Included as "letterbox/letterbox.h".
#ifndef FUSE_PLUGINS_SHARED_LETTERBOX_LETTERBOX_H_
#define FUSE_PLUGINS_SHARED_LETTERBOX_LETTERBOX_H_

#include <algorithm>
#include <cmath>

namespace fuse::letterbox {

struct Place {
  int x = 0, y = 0, width = 0, height = 0;  // the resized picture inside the box
};

// A `width` x `height` picture scaled by the largest factor that fits `box_width` x `box_height`, then centred in
// the box (else at its top left).
inline Place place(int width, int height, int box_width, int box_height, bool centred) {
  const double scale = std::min(static_cast<double>(box_width) / width, static_cast<double>(box_height) / height);
  Place p;
  p.width = std::clamp(static_cast<int>(std::lround(width * scale)), 1, box_width);
  p.height = std::clamp(static_cast<int>(std::lround(height * scale)), 1, box_height);
  if (centred) p.x = (box_width - p.width) / 2, p.y = (box_height - p.height) / 2;
  return p;
}

}  // namespace fuse::letterbox

#endif  // FUSE_PLUGINS_SHARED_LETTERBOX_LETTERBOX_H_
