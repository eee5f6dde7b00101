#include "borex/explain/undesirable.h"

#include <vector>

#include "borex/core/error.h"

namespace borex::explain {
namespace {

// numerator / denominator where the denominator is positive, 0 elsewhere.
cv::Mat SafeRatio(const cv::Mat& numerator, const cv::Mat& denominator) {
  cv::Mat ratio = cv::Mat::zeros(numerator.size(), CV_32FC1);
  cv::divide(numerator, denominator, ratio);
  ratio.setTo(0, denominator <= 0);
  return ratio;
}

}  // namespace

UndesirableMaps ComputeUndesirable(model::Classifier& classifier, const cv::Mat& image, int label,
                                   const RiseOptions& options) {
  options.Check();
  BOREX_CHECK(image.type() == CV_32FC3 && !image.empty());

  // The unmasked image: s_c(I) and the weights p_j (p_c = 0: the sum runs over j ≠ c).
  const Eigen::MatrixXf logits = classifier.Logits({image});
  if (label < 0 || label >= logits.cols())
    throw Error("undesirable: label " + std::to_string(label) + " is not a class of the model");
  const float base_score = model::ClassScores(logits, label, options.score)[0];
  Eigen::VectorXf weights = model::Softmax(logits).row(0).transpose();
  weights[label] = 0;

  cv::Mat hinder_sum = cv::Mat::zeros(image.size(), CV_32FC1);  // Σ a_i (1 − M_i)
  cv::Mat hidden_sum = cv::Mat::zeros(image.size(), CV_32FC1);  // Σ (1 − M_i)
  cv::Mat others_sum = cv::Mat::zeros(image.size(), CV_32FC1);  // Σ w_i M_i
  cv::Mat shown_sum = cv::Mat::zeros(image.size(), CV_32FC1);   // Σ M_i
  double weight_total = 0;                                      // Σ w_i
  ForEachMaskBatch(classifier, image, options,
                   [&](const std::vector<cv::Mat>& masks, const Eigen::MatrixXf& batch_logits) {
                     const Eigen::VectorXf target =
                         model::ClassScores(batch_logits, label, options.score);
                     // w_i = Σ_{j≠c} p_j s_j(I ⊙ M_i)
                     Eigen::VectorXf others = Eigen::VectorXf::Zero(batch_logits.rows());
                     for (int j = 0; j < static_cast<int>(weights.size()); ++j)
                       if (weights[j] != 0)
                         others += weights[j] * model::ClassScores(batch_logits, j, options.score);
                     for (size_t n = 0; n < masks.size(); ++n) {
                       const auto i = static_cast<Eigen::Index>(n);
                       const cv::Mat hidden = cv::Scalar::all(1.0) - masks[n];
                       cv::scaleAdd(hidden, target[i] - base_score, hinder_sum, hinder_sum);
                       hidden_sum += hidden;
                       cv::scaleAdd(masks[n], others[i], others_sum, others_sum);
                       shown_sum += masks[n];
                       weight_total += others[i];
                     }
                   });
  UndesirableMaps maps;
  maps.hinder = SafeRatio(hinder_sum, hidden_sum);
  maps.others = SafeRatio(others_sum, shown_sum);
  maps.others -= weight_total / options.masks;
  maps.others.setTo(0, shown_sum <= 0);
  return maps;
}

}  // namespace borex::explain
