// The square masks of BOREx (paper §2, Algorithms 1 and 2): m is 0 on a square of side r centred
// at pixel λ (those pixels are hidden) and 1 elsewhere; its flip m̄ = 1 − m keeps only the
// square. For video (§3.2) the square extends over consecutive frames: a cuboid. What hidden
// pixels become is a fill image (mask/infill.h makes it: black, the model's mean colour, a blur,
// noise or an inpainting).
#pragma once

#include <opencv2/core.hpp>

namespace borex::mask {

// A rectangle of pixels: rows [row0, row0 + rows), columns [col0, col0 + cols).
struct PixelBox {
  int row0 = 0, col0 = 0, rows = 0, cols = 0;

  bool empty() const { return rows <= 0 || cols <= 0; }
  int area() const { return empty() ? 0 : rows * cols; }
  cv::Rect rect() const { return cv::Rect(col0, row0, cols, rows); }
};

// The pixels covered by the square of side `side` centred on (center_row, center_col), in
// pixel-centre coordinates (pixel (i, j) has its centre at (i, j)), clipped to the image.
// Precisely: pixel i is covered iff  c − side/2 <= i < c + side/2  (half-open, the same rule in
// both axes), i.e. rows ceil(c − side/2) ... ceil(c + side/2) − 1. Consequences:
//  * an integer side s covers exactly s rows and s columns at ANY centre (before clipping);
//  * at an integer centre c, odd s covers c − (s−1)/2 ... c + (s−1)/2 (symmetric) and even s
//    covers c − s/2 ... c + s/2 − 1 (one more pixel above/left than below/right);
//  * a non-integer side covers floor(side) or ceil(side) pixels depending on the centre.
// A square partly outside the image is clipped; one entirely outside gives an empty box.
// Requires side >= 0 and finite coordinates.
PixelBox SquareBox(double center_row, double center_col, double side, int image_rows,
                   int image_cols);

// out = the image with the box's pixels taken from `fill` (an image of the same size and type,
// any type) (keep_only_box = false: i ⊙ m, the square hidden) or with everything outside the box
// taken from `fill` (keep_only_box = true: i ⊙ m̄, only the square visible). `out` is reused when
// it already has the image's size and type, and may be the image itself (in-place occlusion).
// Cost: one image copy plus copies of rectangles.
void OccludeBox(const cv::Mat& image, const PixelBox& box, bool keep_only_box, const cv::Mat& fill,
                cv::Mat& out);

// BOREx's video masks (paper §3.2): a square of side r hidden in each of t consecutive frames
// n, ..., n + t − 1 of a clip, "the mask of side r and depth t applied at pixel (x, y) of frame
// n". Frames past the clip's end are clipped, as squares are at the image's border. An image is
// the clip of one frame with the cuboid {square, 0, 1}.
struct Cuboid {
  PixelBox square;  // in frame coordinates
  int frame0 = 0;   // n
  int frames = 1;   // t

  bool covers(int frame) const { return frame >= frame0 && frame < frame0 + frames; }
};

// out = the stacked clip (clip_frames · frame_rows rows, see model::ModelInfo) with the cuboid
// taken from `fill` (same size and type) (keep_only_cuboid = false: i ⊙ m) or with everything
// but the cuboid taken from it (true: i ⊙ m̄). For a one-frame clip this is exactly OccludeBox.
// `out` may be `clip`. Given a zero CV_8UC1 clip and a fill of 255, out is the hidden region.
void OccludeCuboid(const cv::Mat& clip, int frame_rows, const Cuboid& cuboid, bool keep_only_cuboid,
                   const cv::Mat& fill, cv::Mat& out);

}  // namespace borex::mask
