#include "borex/explain/fido.h"

#include <algorithm>
#include <cmath>

#include "borex/core/adam.h"
#include "borex/core/error.h"
#include "borex/core/random.h"

namespace borex::explain {
namespace {

// As the authors' concrete_dropout_neuron: logs of p and v guarded by a small ε.
constexpr float kEpsilon = 1e-7f;

Eigen::ArrayXf Sigmoid(const Eigen::ArrayXf& x) { return 1.0f / (1.0f + (-x).exp()); }

}  // namespace

void FidoOptions::Check() const {
  if (iterations < 1) throw OptionError("--fido-iterations", "must be at least 1");
  if (!(learning_rate > 0)) throw OptionError("--fido-lr", "must be positive");
  if (samples < 1) throw OptionError("--fido-samples", "must be at least 1");
  if (!(sparsity >= 0)) throw OptionError("--fido-sparsity", "must not be negative");
  if (!(smoothness >= 0)) throw OptionError("--fido-smoothness", "must not be negative");
  if (!(temperature > 0)) throw OptionError("--fido-temperature", "must be positive");
  if (annealing < 0) throw OptionError("--fido-annealing", "must not be negative");
  if (cell < 1) throw OptionError("--fido-cell", "must be at least 1 pixel");
}

nlohmann::json FidoOptions::ToJson() const {
  return {{"objective", objective == FidoObjective::kSmallestSufficient ? "ssr" : "sdr"},
          {"iterations", iterations},
          {"learning_rate", learning_rate},
          {"samples", samples},
          {"sparsity", sparsity},
          {"smoothness", smoothness},
          {"temperature", temperature},
          {"annealing", annealing},
          {"cell", cell},
          {"seed", seed}};
}

FidoLoss::FidoLoss(model::Classifier& classifier, const cv::Mat& image, int label,
                   const FidoOptions& options, const cv::Mat& fill)
    : classifier_(classifier),
      image_(image.isContinuous() ? image : image.clone()),
      fill_(fill),
      label_(label),
      options_(options),
      depth_(classifier.info().clip_frames()),
      grid_size_((image.cols + options.cell - 1) / options.cell,
                 (image.rows / depth_ + options.cell - 1) / options.cell),
      upsampler_(depth_, grid_size_, depth_, cv::Size(image.cols, image.rows / depth_)) {
  BOREX_CHECK(fill.size() == image.size() && fill.type() == CV_32FC3);
}

double FidoLoss::Evaluate(const Eigen::VectorXf& theta,
                          const std::vector<Eigen::VectorXf>& uniforms, double regulariser_weight,
                          Eigen::VectorXf* gradient) {
  BOREX_CHECK_EQ(theta.size(), grid_values());
  BOREX_CHECK(!uniforms.empty());
  const float tau = static_cast<float>(options_.temperature);
  const Eigen::ArrayXf q = Sigmoid(theta.array());
  const Eigen::ArrayXf p = upsampler_.Apply(q.matrix()).array();
  const Eigen::ArrayXf p_logit = (p + kEpsilon).log() - (1.0f - p + kEpsilon).log();
  std::vector<cv::Mat> images;
  std::vector<Eigen::ArrayXf> drops;
  for (const Eigen::VectorXf& v : uniforms) {
    BOREX_CHECK_EQ(v.size(), pixels());
    const Eigen::ArrayXf noise = (v.array() + kEpsilon).log() - (1.0f - v.array() + kEpsilon).log();
    drops.push_back(Sigmoid((p_logit + noise) / tau));
    images.push_back(SoftMasked(image_, fill_, (1.0f - drops.back()).matrix()));
  }
  // SSR keeps the class (minimise −s), SDR destroys it (minimise s).
  const float sign = options_.objective == FidoObjective::kSmallestSufficient ? -1.0f : 1.0f;
  const float samples = static_cast<float>(uniforms.size());
  const double a = regulariser_weight, lambda = options_.sparsity, mu = options_.smoothness;
  const double area =
      options_.objective == FidoObjective::kSmallestSufficient ? (1.0f - p).sum() : p.sum();
  // TV over horizontally and vertically adjacent cells of each frame's grid.
  const int rows = grid_size_.height, cols = grid_size_.width;
  double tv = 0;
  Eigen::VectorXf d_q = Eigen::VectorXf::Zero(q.size());
  for (int d = 0; d < depth_; ++d)
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        const int i = (d * rows + r) * cols + c;
        for (const int j : {c + 1 < cols ? i + 1 : -1, r + 1 < rows ? i + cols : -1}) {
          if (j < 0) continue;
          const float difference = q[i] - q[j];
          tv += difference * difference;
          d_q[i] += static_cast<float>(2 * a * mu) * difference;
          d_q[j] -= static_cast<float>(2 * a * mu) * difference;
        }
      }
  const double regulariser = a * (lambda * area + mu * tv);
  if (gradient == nullptr) {
    const Eigen::VectorXf scores =
        model::ClassScores(classifier_.Logits(images), label_, model::ScoreKind::kLogOdds);
    return sign * scores.mean() + regulariser;
  }
  const model::InputGradients result =
      classifier_.ScoreInputGradients(images, label_, model::ScoreKind::kLogOdds);
  // ∂z/∂p = −d(1 − d)/τ · (1/(p + ε) + 1/(1 − p + ε)), for z = 1 − d.
  const Eigen::ArrayXf d_logit = 1.0f / (p + kEpsilon) + 1.0f / (1.0f - p + kEpsilon);
  Eigen::ArrayXf d_p = Eigen::ArrayXf::Constant(
      p.size(),
      static_cast<float>(options_.objective == FidoObjective::kSmallestSufficient ? -a * lambda
                                                                                  : a * lambda));
  for (size_t s = 0; s < images.size(); ++s) {
    const Eigen::ArrayXf d_keep =
        KeepGradient(result.gradients[s], image_, fill_).array() * (sign / samples);
    d_p -= d_keep * drops[s] * (1.0f - drops[s]) / tau * d_logit;
  }
  d_q += upsampler_.Adjoint(d_p.matrix());
  *gradient = (d_q.array() * q * (1.0f - q)).matrix();
  return sign * result.scores.mean() + regulariser;
}

cv::Mat FidoLoss::Map(const Eigen::VectorXf& theta) const {
  const Eigen::VectorXf p = upsampler_.Apply(Sigmoid(theta.array()).matrix());
  const Eigen::VectorXf map =
      options_.objective == FidoObjective::kSmallestSufficient ? (1.0f - p.array()).matrix() : p;
  return VectorToMap(map, image_.rows, image_.cols);
}

cv::Mat ComputeFido(model::Classifier& classifier, const cv::Mat& image, int label,
                    const FidoOptions& options, const cv::Mat& fill) {
  options.Check();
  FidoLoss loss(classifier, image, label, options, fill);
  Eigen::VectorXf theta = Eigen::VectorXf::Zero(loss.grid_values());
  Adam adam(loss.grid_values(), options.learning_rate);
  Random random(options.seed);
  std::vector<Eigen::VectorXf> uniforms(options.samples, Eigen::VectorXf(loss.pixels()));
  Eigen::VectorXf gradient;
  for (int step = 0; step < options.iterations; ++step) {
    for (Eigen::VectorXf& v : uniforms)
      for (int i = 0; i < v.size(); ++i) v[i] = static_cast<float>(random.UniformDouble());
    const double weight =
        options.annealing == 0 ? 1.0 : std::min(1.0, static_cast<double>(step) / options.annealing);
    loss.Evaluate(theta, uniforms, weight, &gradient);
    adam.set_learning_rate(options.learning_rate *
                           (1.0 - static_cast<double>(step) / options.iterations));
    adam.Step(theta, gradient);
  }
  return loss.Map(theta);
}

}  // namespace borex::explain
