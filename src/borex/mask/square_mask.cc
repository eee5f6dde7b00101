#include "borex/mask/square_mask.h"

#include <algorithm>
#include <cmath>

#include "borex/core/error.h"

namespace borex::mask {
namespace {

// Covered indices of one axis as the half-open range [first, end), clipped to [0, size).
// Clamping in double before the cast keeps huge or far-away squares from overflowing int.
void CoveredRange(double center, double side, int size, int& first, int& end) {
  const double lower = std::ceil(center - side / 2);
  const double upper = std::ceil(center + side / 2);
  first = static_cast<int>(std::clamp(lower, 0.0, static_cast<double>(size)));
  end = static_cast<int>(std::clamp(upper, 0.0, static_cast<double>(size)));
  if (end < first) end = first;
}

}  // namespace

PixelBox SquareBox(double center_row, double center_col, double side, int image_rows,
                   int image_cols) {
  BOREX_CHECK(std::isfinite(center_row) && std::isfinite(center_col) && std::isfinite(side));
  BOREX_CHECK_GE(side, 0.0);
  BOREX_CHECK_GE(image_rows, 0);
  BOREX_CHECK_GE(image_cols, 0);
  int row_end, col_end;
  PixelBox box;
  CoveredRange(center_row, side, image_rows, box.row0, row_end);
  CoveredRange(center_col, side, image_cols, box.col0, col_end);
  box.rows = row_end - box.row0;
  box.cols = col_end - box.col0;
  return box;
}

void OccludeBox(const cv::Mat& image, const PixelBox& box, bool keep_only_box, const cv::Mat& fill,
                cv::Mat& out) {
  BOREX_CHECK(fill.size() == image.size() && fill.type() == image.type());
  // A box from elsewhere may stick out of the image: only its part inside counts.
  const cv::Rect inside =
      box.empty() ? cv::Rect() : box.rect() & cv::Rect(0, 0, image.cols, image.rows);
  image.copyTo(out);  // reuses out's buffer when it fits; a no-op when out is image
  const auto take = [&](const cv::Rect& rect) {
    if (!rect.empty()) fill(rect).copyTo(out(rect));
  };
  if (!keep_only_box) {
    take(inside);
    return;
  }
  if (inside.empty()) {
    fill.copyTo(out);
    return;
  }
  // m̄: the bands above and below the box, then left and right of it.
  const int right = inside.x + inside.width, bottom = inside.y + inside.height;
  take(cv::Rect(0, 0, out.cols, inside.y));
  take(cv::Rect(0, bottom, out.cols, out.rows - bottom));
  take(cv::Rect(0, inside.y, inside.x, inside.height));
  take(cv::Rect(right, inside.y, out.cols - right, inside.height));
}

void OccludeCuboid(const cv::Mat& clip, int frame_rows, const Cuboid& cuboid, bool keep_only_cuboid,
                   const cv::Mat& fill, cv::Mat& out) {
  BOREX_CHECK_GT(frame_rows, 0);
  BOREX_CHECK_EQ(clip.rows % frame_rows, 0);
  BOREX_CHECK(fill.size() == clip.size() && fill.type() == clip.type());
  clip.copyTo(out);
  for (int frame = 0; frame < clip.rows / frame_rows; ++frame) {
    const cv::Range rows(frame * frame_rows, (frame + 1) * frame_rows);
    cv::Mat band = out.rowRange(rows);
    if (cuboid.covers(frame))
      OccludeBox(band, cuboid.square, keep_only_cuboid, fill.rowRange(rows), band);  // in place
    else if (keep_only_cuboid)
      fill.rowRange(rows).copyTo(band);
  }
}

}  // namespace borex::mask
