#include "borex/explain/soft_mask.h"

#include <vector>

#include "borex/core/error.h"
#include "borex/explain/grad_cam.h"
#include "borex/mask/infill.h"

namespace borex::explain {
namespace {

// The 1-D interpolation matrix (out x in) of one axis, read off UpsampleClipMap by upsampling
// unit impulses: the same arithmetic as the forward map, by construction.
Eigen::MatrixXf AxisMatrix(int in, int out, bool time_axis) {
  Eigen::MatrixXf matrix(out, in);
  for (int i = 0; i < in; ++i) {
    // A column of `in` values: `in` frames of 1x1 pixel (time), or one frame of `in` rows.
    cv::Mat impulse = cv::Mat::zeros(in, 1, CV_32FC1);
    impulse.at<float>(i, 0) = 1.0f;
    const cv::Mat column = time_axis ? UpsampleClipMap(impulse, in, out, cv::Size(1, 1))
                                     : UpsampleClipMap(impulse, 1, 1, cv::Size(1, out));
    for (int o = 0; o < out; ++o) matrix(o, i) = column.at<float>(o, 0);
  }
  return matrix;
}

}  // namespace

MapUpsampler::MapUpsampler(int depth, const cv::Size& grid_size, int frames,
                           const cv::Size& frame_size) {
  BOREX_CHECK(depth > 0 && frames > 0 && grid_size.area() > 0 && frame_size.area() > 0);
  const Eigen::MatrixXf time = AxisMatrix(depth, frames, true);
  const Eigen::MatrixXf rows = AxisMatrix(grid_size.height, frame_size.height, false);
  const Eigen::MatrixXf cols = AxisMatrix(grid_size.width, frame_size.width, false);
  const int h = grid_size.height, w = grid_size.width;
  const int out_rows = frame_size.height, out_cols = frame_size.width;
  std::vector<Eigen::Triplet<float>> taps;
  taps.reserve(static_cast<size_t>(frames) * out_rows * out_cols * 8);
  for (int t = 0; t < frames; ++t)
    for (int r = 0; r < out_rows; ++r)
      for (int c = 0; c < out_cols; ++c) {
        const long pixel = (static_cast<long>(t) * out_rows + r) * out_cols + c;
        for (int d = 0; d < depth; ++d) {
          if (time(t, d) == 0.0f) continue;
          for (int i = 0; i < h; ++i) {
            if (rows(r, i) == 0.0f) continue;
            for (int j = 0; j < w; ++j) {
              const float weight = time(t, d) * rows(r, i) * cols(c, j);
              if (weight != 0.0f)
                taps.emplace_back(pixel, (static_cast<long>(d) * h + i) * w + j, weight);
            }
          }
        }
      }
  matrix_.resize(static_cast<long>(frames) * out_rows * out_cols, static_cast<long>(depth) * h * w);
  matrix_.setFromTriplets(taps.begin(), taps.end());
}

Eigen::VectorXf MapUpsampler::Apply(const Eigen::VectorXf& grid) const {
  BOREX_CHECK_EQ(grid.size(), matrix_.cols());
  return matrix_ * grid;
}

Eigen::VectorXf MapUpsampler::Adjoint(const Eigen::VectorXf& pixels) const {
  BOREX_CHECK_EQ(pixels.size(), matrix_.rows());
  return matrix_.transpose() * pixels;
}

cv::Mat SoftMasked(const cv::Mat& image, const cv::Mat& fill, const Eigen::VectorXf& keep) {
  BOREX_CHECK_EQ(keep.size(), static_cast<long>(image.total()));
  // A header on the vector's memory: the blend reads it as the row-major keep map.
  const cv::Mat keep_map(image.rows, image.cols, CV_32FC1, const_cast<float*>(keep.data()));
  cv::Mat out;
  mask::Blend(image, fill, keep_map, out);
  return out;
}

Eigen::VectorXf KeepGradient(const cv::Mat& gradient, const cv::Mat& image, const cv::Mat& fill) {
  BOREX_CHECK(gradient.type() == CV_32FC3 && gradient.size() == image.size());
  Eigen::VectorXf result(static_cast<long>(image.total()));
  long i = 0;
  for (int r = 0; r < image.rows; ++r) {
    const auto* g = gradient.ptr<cv::Vec3f>(r);
    const auto* x = image.ptr<cv::Vec3f>(r);
    const auto* f = fill.ptr<cv::Vec3f>(r);
    for (int c = 0; c < image.cols; ++c, ++i) result[i] = g[c].dot(x[c] - f[c]);
  }
  return result;
}

Eigen::VectorXf MapToVector(const cv::Mat& map) {
  BOREX_CHECK(map.type() == CV_32FC1);
  const cv::Mat continuous = map.isContinuous() ? map : map.clone();
  return Eigen::Map<const Eigen::VectorXf>(continuous.ptr<float>(),
                                           static_cast<long>(continuous.total()));
}

cv::Mat VectorToMap(const Eigen::VectorXf& values, int rows, int cols) {
  BOREX_CHECK_EQ(values.size(), static_cast<long>(rows) * cols);
  cv::Mat map(rows, cols, CV_32FC1);
  Eigen::Map<Eigen::VectorXf>(map.ptr<float>(), values.size()) = values;
  return map;
}

}  // namespace borex::explain
