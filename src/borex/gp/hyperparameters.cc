#include "borex/gp/hyperparameters.h"

#include <Eigen/Cholesky>
#include <cmath>

#include "borex/core/error.h"

namespace borex::gp {
namespace {

// −g'(d)/d, so that ∂k/∂log ℓ_j = σf² · h(d) · (Δ_j/ℓ_j)².
double ProfileSlope(MaternNu nu, double d) {
  switch (nu) {
    case MaternNu::kOneHalf:
      return d > 0 ? std::exp(-d) / d : 0.0;
    case MaternNu::kThreeHalves:
      return 3.0 * std::exp(-std::sqrt(3.0) * d);
    case MaternNu::kFiveHalves:
      return 5.0 / 3.0 * (1.0 + std::sqrt(5.0) * d) * std::exp(-std::sqrt(5.0) * d);
  }
  return 0;
}

}  // namespace

double LogMarginalLikelihood(const MaternKernel& kernel, const Eigen::MatrixXd& points,
                             const Eigen::VectorXd& values, double noise_variance,
                             Eigen::VectorXd* gradient) {
  const Eigen::Index n = points.cols(), dim = points.rows();
  Eigen::MatrixXd covariance(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j <= i; ++j)
      covariance(i, j) = covariance(j, i) = kernel(points.col(i), points.col(j));
  covariance.diagonal().array() += noise_variance;
  const Eigen::LLT<Eigen::MatrixXd> llt(covariance);
  if (llt.info() != Eigen::Success) return -std::numeric_limits<double>::infinity();
  const Eigen::VectorXd alpha = llt.solve(values);
  const Eigen::MatrixXd L = llt.matrixL();
  const double log_likelihood = -0.5 * values.dot(alpha) - L.diagonal().array().log().sum() -
                                0.5 * static_cast<double>(n) * std::log(2.0 * M_PI);
  if (gradient != nullptr) {
    const Eigen::MatrixXd inner =
        alpha * alpha.transpose() - llt.solve(Eigen::MatrixXd::Identity(n, n));
    gradient->setZero(dim);
    const Eigen::ArrayXd inverse_scales = kernel.length_scales().array().inverse();
    for (Eigen::Index i = 0; i < n; ++i)
      for (Eigen::Index j = 0; j < n; ++j) {
        const Eigen::ArrayXd scaled = (points.col(i) - points.col(j)).array() * inverse_scales;
        const double d = std::sqrt(scaled.square().sum());
        const double slope = kernel.signal_variance() * ProfileSlope(kernel.nu(), d);
        *gradient += (0.5 * inner(i, j) * slope * scaled.square()).matrix();
      }
  }
  return log_likelihood;
}

MaternKernel FitLengthScales(const MaternKernel& initial, const Eigen::MatrixXd& points,
                             const Eigen::VectorXd& values, double noise_variance, double lower,
                             double upper, int max_evaluations) {
  BOREX_CHECK(lower > 0 && upper >= lower);
  const double log_lower = std::log(lower), log_upper = std::log(upper);
  const auto make = [&](const Eigen::VectorXd& log_scales) {
    return MaternKernel(initial.nu(), log_scales.array().exp().matrix(), initial.signal_variance());
  };
  Eigen::VectorXd current =
      initial.length_scales().array().log().max(log_lower).min(log_upper).matrix();
  Eigen::VectorXd gradient;
  double best = LogMarginalLikelihood(make(current), points, values, noise_variance, &gradient);
  int evaluations = 1;
  double step = 1.0;
  while (evaluations < max_evaluations && step > 1e-6) {
    const Eigen::VectorXd candidate =
        (current + step * gradient.normalized()).array().max(log_lower).min(log_upper).matrix();
    if ((candidate - current).norm() < 1e-9) break;  // pinned at the bounds
    Eigen::VectorXd candidate_gradient;
    const double value =
        LogMarginalLikelihood(make(candidate), points, values, noise_variance, &candidate_gradient);
    ++evaluations;
    if (value > best) {
      current = candidate;
      best = value;
      gradient = candidate_gradient;
      step *= 1.5;
    } else {
      step *= 0.3;
    }
  }
  return make(current);
}

}  // namespace borex::gp
