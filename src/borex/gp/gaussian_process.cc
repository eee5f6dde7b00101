#include "borex/gp/gaussian_process.h"

#include <Eigen/Cholesky>
#include <cmath>

#include "borex/core/error.h"

namespace borex::gp {
namespace {

// A duplicate (or near-duplicate) observation makes the new pivot d² vanish; a tiny jitter
// relative to the prior variance keeps the factor positive definite, as scikit-learn's alpha does.
constexpr double kMinimumPivotRelative = 1e-10;

}  // namespace

CandidateGp::CandidateGp(MaternKernel kernel, Eigen::MatrixXf candidates, double noise_variance)
    : kernel_(std::move(kernel)),
      candidates_(std::move(candidates)),
      noise_variance_(noise_variance),
      points_(kernel_.dimension(), 0) {
  BOREX_CHECK_EQ(candidates_.rows(), kernel_.dimension());
  BOREX_CHECK(noise_variance_ > 0);
  mean_ = Eigen::VectorXf::Zero(candidates_.cols());
  variance_ =
      Eigen::VectorXf::Constant(candidates_.cols(), static_cast<float>(kernel_.signal_variance()));
}

void CandidateGp::AddObservation(const Eigen::VectorXd& x, double y) {
  BOREX_CHECK_EQ(x.size(), kernel_.dimension());
  const Eigen::Index n = num_observations();
  // New row of L: l = L⁻¹ k(X, x), d = sqrt(k(x,x) + σn² − lᵀl).
  Eigen::VectorXd k_x(n);
  for (Eigen::Index i = 0; i < n; ++i) k_x[i] = kernel_(points_.col(i), x);
  Eigen::VectorXd l = k_x;
  if (n > 0) cholesky_.topLeftCorner(n, n).triangularView<Eigen::Lower>().solveInPlace(l);
  const double prior_variance = kernel_.signal_variance() + noise_variance_;
  const double pivot_squared =
      std::max(prior_variance - l.squaredNorm(), kMinimumPivotRelative * prior_variance);
  const double d = std::sqrt(pivot_squared);

  Eigen::MatrixXd grown = Eigen::MatrixXd::Zero(n + 1, n + 1);
  grown.topLeftCorner(n, n) = cholesky_;
  grown.block(n, 0, 1, n) = l.transpose();
  grown(n, n) = d;
  cholesky_ = std::move(grown);
  points_.conservativeResize(Eigen::NoChange, n + 1);
  points_.col(n) = x;
  values_.conservativeResize(n + 1);
  values_[n] = y;
  const double z_new = (y - (n > 0 ? l.dot(z_) : 0.0)) / d;
  z_.conservativeResize(n + 1);
  z_[n] = z_new;

  // New row of V: v = (k(x, C) − lᵀV)/d; rank-one updates of the mean and variance.
  Eigen::VectorXf v(candidates_.cols());
  kernel_.Column(x, candidates_, v);
  for (Eigen::Index i = 0; i < n; ++i) v -= static_cast<float>(l[i]) * v_rows_[i];
  v /= static_cast<float>(d);
  mean_ += static_cast<float>(z_new) * v;
  variance_ = (variance_.array() - v.array().square()).max(0.0f);
  v_rows_.push_back(std::move(v));
}

void CandidateGp::SetKernel(MaternKernel kernel) {
  BOREX_CHECK_EQ(kernel.dimension(), kernel_.dimension());
  const Eigen::MatrixXd points = points_;
  const Eigen::VectorXd values = values_;
  *this = CandidateGp(std::move(kernel), std::move(candidates_), noise_variance_);
  for (Eigen::Index i = 0; i < values.size(); ++i) AddObservation(points.col(i), values[i]);
}

Eigen::VectorXd CandidateGp::Alpha() const {
  const Eigen::Index n = num_observations();
  Eigen::VectorXd alpha = z_;
  cholesky_.topLeftCorner(n, n).triangularView<Eigen::Lower>().transpose().solveInPlace(alpha);
  return alpha;
}

void CandidateGp::PredictMean(const Eigen::Ref<const Eigen::MatrixXf>& points,
                              Eigen::Ref<Eigen::VectorXf> out) const {
  BOREX_CHECK_EQ(out.size(), points.cols());
  out.setZero();
  const Eigen::VectorXd alpha = Alpha();
  Eigen::VectorXf column(points.cols());
  for (Eigen::Index i = 0; i < alpha.size(); ++i) {
    kernel_.Column(points_.col(i), points, column);
    out += static_cast<float>(alpha[i]) * column;
  }
}

double CandidateGp::PredictVariance(const Eigen::VectorXd& x) const {
  const Eigen::Index n = num_observations();
  Eigen::VectorXd k_x(n);
  for (Eigen::Index i = 0; i < n; ++i) k_x[i] = kernel_(points_.col(i), x);
  if (n > 0) cholesky_.triangularView<Eigen::Lower>().solveInPlace(k_x);
  return std::max(0.0, kernel_.signal_variance() - k_x.squaredNorm());
}

double CandidateGp::LogMarginalLikelihood() const {
  const double n = static_cast<double>(num_observations());
  return -0.5 * z_.squaredNorm() - cholesky_.diagonal().array().log().sum() -
         0.5 * n * std::log(2.0 * M_PI);
}

}  // namespace borex::gp
