// Differentiable soft masks for the optimising explainers (Opti-CAM, FIDO).
//
// Upsampling a coarse map (a layer's h x w grid, or d stacked grids of a 3D layer) to the image
// (video: the clip) as an explicit sparse linear operator U, so that the optimisers of Opti-CAM
// and FIDO can backpropagate through it with its adjoint Uᵀ. U is the interpolation of
// UpsampleClipMap (PyTorch's bilinear / trilinear, align_corners=False), built axis by axis: it
// is separable, U = U_time ⊗ U_rows ⊗ U_cols, with at most 8 taps per output pixel.
#pragma once

#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <opencv2/core.hpp>

namespace borex::explain {

class MapUpsampler {
 public:
  // From `depth` stacked grids of grid_size to `frames` stacked frames of frame_size.
  MapUpsampler(int depth, const cv::Size& grid_size, int frames, const cv::Size& frame_size);

  // U·grid: the grid (row-major, d·h·w values) upsampled, row-major over the clip's pixels.
  Eigen::VectorXf Apply(const Eigen::VectorXf& grid) const;
  // Uᵀ·pixels: the gradient with respect to the grid of a loss whose gradient with respect to
  // the upsampled map is `pixels`.
  Eigen::VectorXf Adjoint(const Eigen::VectorXf& pixels) const;

  int grid_values() const { return static_cast<int>(matrix_.cols()); }
  int pixels() const { return static_cast<int>(matrix_.rows()); }

 private:
  Eigen::SparseMatrix<float, Eigen::RowMajor> matrix_;
};

// The masked image keep·image + (1 − keep)·fill (keep: one value per pixel, row-major; fill: the
// in-fill image, CV_32FC3 like the image) and, for the gradient g of a score with respect to
// that masked image (CV_32FC3), the score's gradient with respect to keep: Σ_rgb g·(image − fill).
cv::Mat SoftMasked(const cv::Mat& image, const cv::Mat& fill, const Eigen::VectorXf& keep);
Eigen::VectorXf KeepGradient(const cv::Mat& gradient, const cv::Mat& image, const cv::Mat& fill);

// A row-major CV_32FC1 matrix (continuous) as a vector, and back.
Eigen::VectorXf MapToVector(const cv::Mat& map);
cv::Mat VectorToMap(const Eigen::VectorXf& values, int rows, int cols);

}  // namespace borex::explain
