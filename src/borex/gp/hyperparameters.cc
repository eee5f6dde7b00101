#include "borex/gp/hyperparameters.h"

#include <Eigen/Cholesky>
#include <cmath>
#include <limits>

#include "borex/core/error.h"

namespace borex::gp {
namespace {

// −g'(d)/d for the Matérn profiles g, so that ∂k/∂log ℓ_j = σf² · (−g'(d)/d) · (Δ_j/ℓ_j)².
// Finite at d = 0 for ν = 3/2 and 5/2; for ν = 1/2 the product with (Δ_j/ℓ_j)² <= d² still
// vanishes as d → 0, so d = 0 contributes 0.
double ProfileSlopeOverDistance(MaternNu nu, double d) {
  switch (nu) {
    case MaternNu::kOneHalf:
      return d > 0 ? std::exp(-d) / d : 0.0;
    case MaternNu::kThreeHalves:
      return 3.0 * std::exp(-std::sqrt(3.0) * d);
    case MaternNu::kFiveHalves:
      return 5.0 / 3.0 * (1.0 + std::sqrt(5.0) * d) * std::exp(-std::sqrt(5.0) * d);
  }
  throw Error("unknown Matérn smoothness");
}

// Largest step of the search in log length scale (a factor e per iteration).
constexpr double kMaximumLogStep = 1.0;
// Armijo sufficient-increase constant of the backtracking line search.
constexpr double kArmijo = 1e-4;
// Converged when the projected gradient is this small (LML units per log length scale).
constexpr double kGradientTolerance = 1e-6;

// base^(k / steps) for k = first..last.
std::vector<double> PowerGrid(double base, int steps, int first, int last) {
  std::vector<double> grid;
  for (int k = first; k <= last; ++k)
    grid.push_back(std::pow(base, k / static_cast<double>(steps)));
  return grid;
}

}  // namespace

double LogMarginalLikelihood(const MaternKernel& kernel, const Eigen::MatrixXd& points,
                             const Eigen::VectorXd& values, double noise_variance,
                             Eigen::VectorXd* gradient) {
  const Eigen::Index n = points.cols(), dim = points.rows();
  BOREX_CHECK_EQ(dim, kernel.dimension());
  BOREX_CHECK_EQ(values.size(), n);
  Eigen::MatrixXd covariance(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j <= i; ++j)
      covariance(i, j) = covariance(j, i) = kernel(points.col(i), points.col(j));
  covariance.diagonal().array() += noise_variance;
  const Eigen::LLT<Eigen::MatrixXd> llt(covariance);
  if (llt.info() != Eigen::Success) {
    if (gradient != nullptr) gradient->setZero(dim);
    return -std::numeric_limits<double>::infinity();
  }
  const Eigen::VectorXd alpha = llt.solve(values);
  const double log_likelihood = -0.5 * values.dot(alpha) -
                                llt.matrixLLT().diagonal().array().log().sum() -
                                0.5 * static_cast<double>(n) * std::log(2.0 * M_PI);
  if (gradient != nullptr) {
    // W = ααᵀ − K⁻¹; ½ tr(W ∂K) = Σ_{i<j} W_ij ∂K_ij (both symmetric; ∂K_ii = 0).
    const Eigen::MatrixXd weights =
        alpha * alpha.transpose() - llt.solve(Eigen::MatrixXd::Identity(n, n));
    const Eigen::ArrayXd inverse_scales = kernel.length_scales().array().inverse();
    gradient->setZero(dim);
    Eigen::ArrayXd scaled(dim);
    for (Eigen::Index i = 0; i < n; ++i)
      for (Eigen::Index j = 0; j < i; ++j) {
        scaled = (points.col(i) - points.col(j)).array() * inverse_scales;
        const double d = std::sqrt(scaled.square().sum());
        const double factor =
            weights(i, j) * kernel.signal_variance() * ProfileSlopeOverDistance(kernel.nu(), d);
        gradient->array() += factor * scaled.square();
      }
  }
  return log_likelihood;
}

MaternKernel FitLengthScales(const MaternKernel& initial, const Eigen::MatrixXd& points,
                             const Eigen::VectorXd& values, double noise_variance,
                             double lower_bound, double upper_bound, int max_evaluations) {
  const Eigen::Index dim = initial.dimension();
  return FitLengthScales(initial, points, values, noise_variance,
                         Eigen::VectorXd::Constant(dim, lower_bound),
                         Eigen::VectorXd::Constant(dim, upper_bound), max_evaluations);
}

MaternKernel FitLengthScales(const MaternKernel& initial, const Eigen::MatrixXd& points,
                             const Eigen::VectorXd& values, double noise_variance,
                             const Eigen::VectorXd& lower_bounds,
                             const Eigen::VectorXd& upper_bounds, int max_evaluations) {
  const Eigen::Index dim = initial.dimension();
  BOREX_CHECK_EQ(lower_bounds.size(), dim);
  BOREX_CHECK_EQ(upper_bounds.size(), dim);
  if (!(lower_bounds.array() > 0).all() || !(upper_bounds.array() >= lower_bounds.array()).all() ||
      !upper_bounds.allFinite())
    throw Error(internal::Concat("length-scale bounds must satisfy 0 < lower <= upper, got [",
                                 lower_bounds.transpose(), "] and [", upper_bounds.transpose(),
                                 "]"));
  BOREX_CHECK_GE(max_evaluations, 1);

  // Everything in θ = log ℓ, as scikit-learn optimises; the box stays a box.
  const Eigen::ArrayXd lower = lower_bounds.array().log(), upper = upper_bounds.array().log();
  const auto project = [&](const Eigen::VectorXd& theta) -> Eigen::VectorXd {
    return theta.array().max(lower).min(upper).matrix();
  };
  const auto make = [&](const Eigen::VectorXd& theta) {
    return MaternKernel(initial.nu(), theta.array().exp().matrix(), initial.signal_variance());
  };
  int evaluations = 0;
  const auto evaluate = [&](const Eigen::VectorXd& theta, Eigen::VectorXd* gradient) {
    ++evaluations;
    return LogMarginalLikelihood(make(theta), points, values, noise_variance, gradient);
  };

  Eigen::VectorXd theta = project(initial.length_scales().array().log().matrix());
  Eigen::VectorXd gradient;
  double value = evaluate(theta, &gradient);
  if (!std::isfinite(value)) return make(theta);

  // Projected quasi-Newton ascent: BFGS on the free variables (those not held at a bound by a
  // gradient pointing outwards), a step capped at kMaximumLogStep, and a projected backtracking
  // line search. Cheap and adequate in the 2-4 dimensions we fit.
  Eigen::MatrixXd inverse_hessian = Eigen::MatrixXd::Identity(dim, dim);  // of −LML
  bool just_reset = true;
  while (evaluations < max_evaluations) {
    Eigen::VectorXd free_mask = Eigen::VectorXd::Ones(dim);
    for (Eigen::Index j = 0; j < dim; ++j)
      if ((theta[j] <= lower[j] && gradient[j] < 0) || (theta[j] >= upper[j] && gradient[j] > 0))
        free_mask[j] = 0;
    const Eigen::VectorXd free_gradient = gradient.cwiseProduct(free_mask);
    if (free_gradient.lpNorm<Eigen::Infinity>() < kGradientTolerance) break;

    Eigen::VectorXd direction = (inverse_hessian * free_gradient).cwiseProduct(free_mask);
    if (direction.dot(free_gradient) <= 0) {  // not an ascent direction: fall back to gradient
      inverse_hessian.setIdentity();
      direction = free_gradient;
    }
    const double longest = direction.lpNorm<Eigen::Infinity>();
    if (longest > kMaximumLogStep) direction *= kMaximumLogStep / longest;

    bool accepted = false;
    Eigen::VectorXd next, next_gradient;
    double next_value = value;
    for (double t = 1.0; t > 1e-8 && evaluations < max_evaluations; t *= 0.5) {
      next = project(theta + t * direction);
      const Eigen::VectorXd step = next - theta;
      if (step.lpNorm<Eigen::Infinity>() < 1e-12) break;
      next_value = evaluate(next, &next_gradient);
      if (std::isfinite(next_value) && next_value >= value + kArmijo * gradient.dot(step)) {
        accepted = next_value > value;
        break;
      }
    }
    if (!accepted) {
      if (just_reset) break;  // even the plain gradient step finds no increase: converged
      inverse_hessian.setIdentity();
      just_reset = true;
      continue;
    }
    // BFGS update of the inverse Hessian of −LML with s = Δθ, y = −Δgradient.
    const Eigen::VectorXd s = next - theta;
    const Eigen::VectorXd y = gradient - next_gradient;
    const double sy = s.dot(y);
    if (sy > 1e-12 * s.norm() * y.norm()) {
      const double rho = 1.0 / sy;
      const Eigen::MatrixXd identity = Eigen::MatrixXd::Identity(dim, dim);
      inverse_hessian = (identity - rho * s * y.transpose()) * inverse_hessian *
                            (identity - rho * y * s.transpose()) +
                        rho * s * s.transpose();
    }
    theta = next;
    value = next_value;
    gradient = next_gradient;
    just_reset = false;
  }
  return make(theta);
}

MaternKernel FitKernelOnGrid(const CandidateGp& gp, const std::vector<double>& signal_variances,
                             const std::vector<double>& length_scale_factors) {
  BOREX_CHECK(!signal_variances.empty());
  BOREX_CHECK(!length_scale_factors.empty());
  MaternKernel best = gp.kernel();
  double best_likelihood = -std::numeric_limits<double>::infinity();
  for (double signal_variance : signal_variances)
    for (double factor : length_scale_factors) {
      MaternKernel kernel(gp.kernel().nu(), gp.kernel().length_scales() * factor, signal_variance);
      const double likelihood = gp.WithKernelOnly(kernel).LogMarginalLikelihood();
      if (likelihood > best_likelihood) {
        best_likelihood = likelihood;
        best = std::move(kernel);
      }
    }
  return best;
}

std::vector<double> CoefficientSdGrid() { return PowerGrid(10, 2, 0, 4); }

std::vector<double> NoiseVarianceGrid() { return PowerGrid(10, 4, -8, 0); }

std::vector<double> NoiseFactorGrid() { return PowerGrid(10, 2, -4, 4); }

std::vector<double> SignalVarianceGrid() { return PowerGrid(10, 4, -16, 4); }

std::vector<double> LengthScaleFactorGrid() { return PowerGrid(2, 2, -2, 4); }

}  // namespace borex::gp
