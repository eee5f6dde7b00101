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
  cv::Mat map(layer.rows, layer.cols, CV_32FC1);
  Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      map.ptr<float>(), layer.rows, layer.cols) =
      Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
          combined.data(), layer.rows, layer.cols);
  return map;
}

cv::Mat ComputeGradCam(model::Classifier& classifier, const cv::Mat& image, int label,
                       const GradCamOptions& options) {
  const std::string layer =
      options.target_layer.empty() ? classifier.info().target_layer : options.target_layer;
  if (layer.empty())
    throw OptionError("--target-layer", "required: the model's metadata names no target layer");
  const cv::Mat cam =
      CamFromGradients(classifier.TargetLayerGradients(image, label, layer), options.variant);
  cv::Mat upsampled;
  cv::resize(cam, upsampled, image.size(), 0, 0, cv::INTER_LINEAR);
  double max_value = 0;
  cv::minMaxLoc(upsampled, nullptr, &max_value);
  if (max_value > 0) upsampled /= max_value;
  return upsampled;
}

}  // namespace borex::explain
