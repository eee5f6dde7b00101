// Exact GP regression over a fixed candidate set, updated incrementally (Rasmussen & Williams,
// Algorithm 2.1, eqs. 2.25-2.26). Zero prior mean: callers subtract their own prior mean from the
// observations (BOREx models f(λ, r) − i0(λ)).
//
// State after n observations X, y: the Cholesky factor L of K(X,X) + σn²I, z = L⁻¹y and
// V = L⁻¹K(X, C) over the candidates C. Then mean(C) = Vᵀz and var(C) = k(c,c) − colsum(V²).
// AddObservation grows L by one row and V by one row and updates mean and variance by one rank,
// O(n·|C|) per observation instead of a refit and full re-prediction.
#pragma once

#include <Eigen/Core>
#include <vector>

#include "borex/gp/kernel.h"

namespace borex::gp {

class CandidateGp {
 public:
  // candidates: dim x n, one point per column. noise_variance: σn² (the code's alpha = 0.01).
  CandidateGp(MaternKernel kernel, Eigen::MatrixXf candidates, double noise_variance);

  // Adds (x, y); x need not be a candidate.
  void AddObservation(const Eigen::VectorXd& x, double y);

  // Refits from scratch with the stored observations (after re-fitting hyperparameters).
  void SetKernel(MaternKernel kernel);

  const Eigen::VectorXf& candidate_mean() const { return mean_; }
  const Eigen::VectorXf& candidate_variance() const { return variance_; }

  // Posterior mean at arbitrary points (dim x m): K(points, X)·α with α = (K + σn²I)⁻¹y.
  void PredictMean(const Eigen::Ref<const Eigen::MatrixXf>& points,
                   Eigen::Ref<Eigen::VectorXf> out) const;
  double PredictVariance(const Eigen::VectorXd& x) const;

  // log p(y | X) = −½ yᵀα − Σ log L_ii − (n/2) log 2π (R&W eq. 2.30).
  double LogMarginalLikelihood() const;

  int num_observations() const { return static_cast<int>(values_.size()); }
  const Eigen::MatrixXd& observed_points() const { return points_; }
  const Eigen::VectorXd& observed_values() const { return values_; }
  const MaternKernel& kernel() const { return kernel_; }
  double noise_variance() const { return noise_variance_; }

 private:
  Eigen::VectorXd Alpha() const;

  MaternKernel kernel_;
  Eigen::MatrixXf candidates_;
  double noise_variance_;
  Eigen::MatrixXd points_;  // dim x n
  Eigen::VectorXd values_;
  Eigen::MatrixXd cholesky_;  // n x n lower triangular (capacity grows geometrically)
  Eigen::VectorXd z_;
  std::vector<Eigen::VectorXf> v_rows_;  // rows of V, one per observation
  Eigen::VectorXf mean_, variance_;
};

}  // namespace borex::gp
