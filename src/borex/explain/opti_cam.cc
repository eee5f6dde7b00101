#include "borex/explain/opti_cam.h"

#include "borex/core/adam.h"
#include "borex/core/enum_names.h"
#include "borex/core/error.h"
#include "borex/explain/grad_cam.h"

namespace borex::explain {

namespace {
const EnumNames<CamNormalization> kCamNormalizations{{CamNormalization::kMax, "max"},
                                                     {CamNormalization::kMinMax, "minmax"}};
}  // namespace

CamNormalization ParseCamNormalization(const std::string& name) {
  return kCamNormalizations.Parse(name, "--opticam-normalization");
}

std::string CamNormalizationName(CamNormalization normalization) {
  return kCamNormalizations.Name(normalization);
}

void OptiCamOptions::Check() const {
  if (iterations < 1) throw OptionError("--opticam-iterations", "must be at least 1");
  if (!(learning_rate > 0)) throw OptionError("--opticam-lr", "must be positive");
}

nlohmann::json OptiCamOptions::ToJson() const {
  return {{"target_layer", target_layer},
          {"iterations", iterations},
          {"learning_rate", learning_rate},
          {"normalization", CamNormalizationName(normalization)}};
}

OptiCamObjective::OptiCamObjective(model::Classifier& classifier, const cv::Mat& image, int label,
                                   const model::LayerGradients& layer,
                                   CamNormalization normalization, const cv::Mat& fill)
    : classifier_(classifier),
      image_(image.isContinuous() ? image : image.clone()),
      fill_(fill),
      label_(label),
      normalization_(normalization),
      features_(layer.activations.cwiseMax(0.0f)),
      upsampler_(layer.depth, cv::Size(layer.cols, layer.rows), classifier.info().clip_frames(),
                 cv::Size(image.cols, image.rows / classifier.info().clip_frames())) {
  BOREX_CHECK(fill.size() == image.size() && fill.type() == CV_32FC3);
}

Eigen::VectorXf OptiCamObjective::Combined(const Eigen::VectorXf& u,
                                           Eigen::VectorXf* weights) const {
  BOREX_CHECK_EQ(u.size(), features_.rows());
  *weights = Weights(u);
  return upsampler_.Apply(features_.transpose() * *weights);
}

Eigen::VectorXf OptiCamObjective::Weights(const Eigen::VectorXf& u) {
  const Eigen::ArrayXf e = (u.array() - u.maxCoeff()).exp();
  return (e / e.sum()).matrix();
}

OptiCamObjective::Normalised OptiCamObjective::Normalise(const Eigen::VectorXf& combined) const {
  Normalised n;
  const float high = combined.maxCoeff(&n.max_at);
  const float low =
      normalization_ == CamNormalization::kMinMax ? combined.minCoeff(&n.min_at) : 0.0f;
  n.range = high - low;
  n.keep = Eigen::VectorXf::Zero(combined.size());
  if (n.range > 0) n.keep = (combined.array() - low) / n.range;
  return n;
}

cv::Mat OptiCamObjective::Map(const Eigen::VectorXf& u) const {
  Eigen::VectorXf weights;
  return VectorToMap(Normalise(Combined(u, &weights)).keep, image_.rows, image_.cols);
}

double OptiCamObjective::Evaluate(const Eigen::VectorXf& u, Eigen::VectorXf* gradient) {
  Eigen::VectorXf weights;
  const Normalised n = Normalise(Combined(u, &weights));
  const cv::Mat masked = SoftMasked(image_, fill_, n.keep);
  if (gradient == nullptr)
    return model::ClassScores(classifier_.Logits({masked}), label_, model::ScoreKind::kLogit)[0];
  const model::InputGradients result =
      classifier_.ScoreInputGradients({masked}, label_, model::ScoreKind::kLogit);
  const Eigen::VectorXf d_keep = KeepGradient(result.gradients[0], image_, fill_);
  // keep_i = (S_i − low)/range: ∂/∂S_i directly, plus through the max (and the min).
  Eigen::VectorXf d_combined = Eigen::VectorXf::Zero(n.keep.size());
  if (n.range > 0) {
    d_combined = d_keep / n.range;
    d_combined[n.max_at] -= d_keep.dot(n.keep) / n.range;
    if (normalization_ == CamNormalization::kMinMax)
      d_combined[n.min_at] -= (d_keep.sum() - d_keep.dot(n.keep)) / n.range;
  }
  const Eigen::VectorXf d_weights = features_ * upsampler_.Adjoint(d_combined);
  // Softmax Jacobian: ∂w_k/∂u_j = w_k (δ_kj − w_j).
  *gradient = weights.cwiseProduct((d_weights.array() - weights.dot(d_weights)).matrix());
  return result.scores[0];
}

OptiCamResult ComputeOptiCam(model::Classifier& classifier, const cv::Mat& image, int label,
                             const OptiCamOptions& options, const cv::Mat& fill) {
  options.Check();
  const model::LayerGradients activations = classifier.TargetLayerGradients(
      image, label, ResolveTargetLayer(classifier, options.target_layer));
  OptiCamObjective objective(classifier, image, label, activations, options.normalization, fill);
  Eigen::VectorXf u = Eigen::VectorXf::Constant(objective.channels(), 0.5f);
  Adam adam(objective.channels(), options.learning_rate);
  Eigen::VectorXf gradient;
  for (int step = 0; step < options.iterations; ++step) {
    objective.Evaluate(u, &gradient);
    adam.Step(u, -gradient);  // ascent on y_c
  }
  OptiCamResult result;
  result.map = objective.Map(u);
  result.weights = OptiCamObjective::Weights(u);
  result.logit = objective.Evaluate(u, nullptr);
  return result;
}

}  // namespace borex::explain
