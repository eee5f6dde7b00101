#include "borex/explain/grad_cam.h"

#include <opencv2/imgproc.hpp>

#include "borex/core/error.h"

namespace borex::explain {

cv::Mat CamFromGradients(const model::LayerGradients& layer, CamVariant variant) {
  const Eigen::MatrixXf& activations = layer.activations;  // K x (h*w)
  const Eigen::MatrixXf& gradients = layer.gradients;
  Eigen::VectorXf weights(layer.channels);
  if (variant == CamVariant::kGradCam) {
    weights = gradients.rowwise().mean();
  } else {
    const Eigen::ArrayXXf g = gradients.array();
    const Eigen::ArrayXXf g2 = g.square();
    const Eigen::ArrayXXf g3 = g2 * g;
    const Eigen::ArrayXf activation_sums = activations.array().rowwise().sum();
    const Eigen::ArrayXXf denominators =
        2.0f * g2 + g3.colwise() * activation_sums;  // 2g² + Σ_ab A_ab · g³
    const Eigen::ArrayXXf alphas = (denominators != 0.0f).select(g2 / denominators, 0.0f);
    weights = (alphas * g.max(0.0f)).rowwise().sum().matrix();
  }
  const Eigen::RowVectorXf combined = (weights.transpose() * activations).cwiseMax(0.0f);
  const int rows = layer.depth * layer.rows;  // d frames stacked
  cv::Mat map(rows, layer.cols, CV_32FC1);
  Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      map.ptr<float>(), rows, layer.cols) =
      Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
          combined.data(), rows, layer.cols);
  return map;
}

cv::Mat UpsampleClipMap(const cv::Mat& map, int depth, int frames, const cv::Size& frame_size) {
  BOREX_CHECK(map.type() == CV_32FC1);
  BOREX_CHECK_GT(depth, 0);
  BOREX_CHECK_GT(frames, 0);
  BOREX_CHECK_EQ(map.rows % depth, 0);
  const int layer_rows = map.rows / depth;
  std::vector<cv::Mat> spatial(depth);
  for (int d = 0; d < depth; ++d)
    cv::resize(map.rowRange(d * layer_rows, (d + 1) * layer_rows), spatial[d], frame_size, 0, 0,
               cv::INTER_LINEAR);
  if (depth == 1 && frames == 1) return spatial[0];
  cv::Mat out(frames * frame_size.height, frame_size.width, CV_32FC1);
  const double scale = static_cast<double>(depth) / frames;
  for (int t = 0; t < frames; ++t) {
    // Source coordinate of frame t's centre, clamped at the first and last layer frames.
    const double x = std::max(0.0, (t + 0.5) * scale - 0.5);
    const int low = std::min(static_cast<int>(x), depth - 1), high = std::min(low + 1, depth - 1);
    const double w = x - low;
    cv::Mat band = out.rowRange(t * frame_size.height, (t + 1) * frame_size.height);
    cv::addWeighted(spatial[low], 1.0 - w, spatial[high], w, 0.0, band);
  }
  return out;
}

std::string ResolveTargetLayer(const model::Classifier& classifier, const std::string& layer) {
  std::string resolved = layer.empty() ? classifier.info().target_layer : layer;
  if (resolved.empty())
    throw OptionError("--target-layer", "required: the model's metadata names no target layer");
  return resolved;
}

cv::Mat ComputeGradCam(model::Classifier& classifier, const cv::Mat& image, int label,
                       const GradCamOptions& options) {
  const model::LayerGradients gradients = classifier.TargetLayerGradients(
      image, label, ResolveTargetLayer(classifier, options.target_layer));
  const int frames = classifier.info().clip_frames();
  BOREX_CHECK_EQ(image.rows % frames, 0);
  cv::Mat upsampled = UpsampleClipMap(CamFromGradients(gradients, options.variant), gradients.depth,
                                      frames, cv::Size(image.cols, image.rows / frames));
  double max_value = 0;
  cv::minMaxLoc(upsampled, nullptr, &max_value);
  if (max_value > 0) upsampled /= max_value;
  return upsampled;
}

}  // namespace borex::explain
