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

Occlusion ParseOcclusion(const std::string& name) {
  if (name == "black") return Occlusion::kBlack;
  if (name == "mean") return Occlusion::kMean;
  throw OptionError("--occlusion", "unknown value \"" + name + "\" (use black or mean)");
}

std::string OcclusionName(Occlusion occlusion) {
  return occlusion == Occlusion::kMean ? "mean" : "black";
}

cv::Vec3f OcclusionFill(Occlusion occlusion, const cv::Vec3f& model_mean) {
  return occlusion == Occlusion::kMean ? model_mean : cv::Vec3f(0, 0, 0);
}

void OccludeBox(const cv::Mat& image, const PixelBox& box, bool keep_only_box,
                const cv::Vec3f& fill, cv::Mat& out) {
  BOREX_CHECK(image.type() == CV_32FC3);
  const cv::Scalar fill_value(fill[0], fill[1], fill[2]);
  // A box from elsewhere may stick out of the image: only its part inside counts.
  const cv::Rect inside =
      box.empty() ? cv::Rect() : box.rect() & cv::Rect(0, 0, image.cols, image.rows);
  image.copyTo(out);  // reuses out's buffer when it fits; a no-op when out is image
  if (!keep_only_box) {
    if (!inside.empty()) out(inside).setTo(fill_value);
    return;
  }
  if (inside.empty()) {
    out.setTo(fill_value);
    return;
  }
  // m̄: fill the bands above and below the box, then left and right of it.
  const int right = inside.x + inside.width, bottom = inside.y + inside.height;
  out.rowRange(0, inside.y).setTo(fill_value);
  out.rowRange(bottom, out.rows).setTo(fill_value);
  out(cv::Rect(0, inside.y, inside.x, inside.height)).setTo(fill_value);
  out(cv::Rect(right, inside.y, out.cols - right, inside.height)).setTo(fill_value);
}

void OccludeCuboid(const cv::Mat& clip, int frame_rows, const Cuboid& cuboid, bool keep_only_cuboid,
                   const cv::Vec3f& fill, cv::Mat& out) {
  BOREX_CHECK(clip.type() == CV_32FC3);
  BOREX_CHECK_GT(frame_rows, 0);
  BOREX_CHECK_EQ(clip.rows % frame_rows, 0);
  clip.copyTo(out);
  for (int frame = 0; frame < clip.rows / frame_rows; ++frame) {
    cv::Mat band = out.rowRange(frame * frame_rows, (frame + 1) * frame_rows);
    if (cuboid.covers(frame))
      OccludeBox(band, cuboid.square, keep_only_cuboid, fill, band);  // in place
    else if (keep_only_cuboid)
      band.setTo(cv::Scalar(fill[0], fill[1], fill[2]));
  }
}

}  // namespace borex::mask
