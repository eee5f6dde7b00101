// Exact GP regression over a fixed candidate set, updated incrementally (Rasmussen & Williams,
// "Gaussian Processes for Machine Learning", Algorithm 2.1 and eqs. 2.25-2.26). Zero prior mean:
// callers subtract their own prior mean from the observations (BOREx models f(λ, r) − i0(λ)).
//
// State after n observations X, y: the Cholesky factor L of K(X,X) + σn²I (double), z = L⁻¹y and
// V = L⁻¹K(X, C) over the candidates C (float, one row per observation). Then
//   mean(C) = Vᵀz,  var(C) = σf² − colsum(V∘V).
// AddObservation grows L and V by one row and updates mean and variance by one rank, O(n·|C|) per
// observation, instead of the authors' refit and full re-prediction (scikit-learn) per step.
#pragma once

#include <Eigen/Core>

#include "borex/gp/kernel.h"

namespace borex::gp {

class CandidateGp {
 public:
  // candidates: dim x n, one point per column. noise_variance: σn² > 0 (the authors' alpha).
  // max_observations: rows of V to reserve up front (0: grow by doubling); only a capacity hint.
  CandidateGp(MaternKernel kernel, Eigen::MatrixXf candidates, double noise_variance = 0.01,
              int max_observations = 0);

  // Adds (x, y) and updates the posterior at every candidate; x need not be a candidate.
  // Duplicate points are allowed: see kMinimumPivotFraction in gaussian_process.cc.
  void AddObservation(const Eigen::VectorXd& x, double y);

  // Replaces all observations (points: dim x n) and refits from scratch: L in double row by row,
  // then V = L⁻¹K(X, C) as one blocked triangular solve rather than n memory-bound rank-one
  // updates. Same posterior as n AddObservation calls, up to float rounding.
  void SetObservations(Eigen::MatrixXd points, Eigen::VectorXd values);

  // Replaces the kernel and refits with the stored observations (after re-fitting
  // hyperparameters).
  void SetKernel(MaternKernel kernel);

  // Posterior mean and variance (of f, without σn²) at every candidate.
  const Eigen::VectorXf& candidate_mean() const { return mean_; }
  const Eigen::VectorXf& candidate_variance() const { return variance_; }

  // Posterior mean at arbitrary points (dim x m): out = K(points, X)·α, α = L⁻ᵀz (R&W eq. 2.25),
  // in cache-sized chunks of points.
  void PredictMean(const Eigen::Ref<const Eigen::MatrixXf>& points,
                   Eigen::Ref<Eigen::VectorXf> out) const;
  // Posterior variance of f at x: k(x,x) − |L⁻¹k(X,x)|² (R&W eq. 2.26), clamped at 0.
  double PredictVariance(const Eigen::VectorXd& x) const;

  // log p(y | X) = −½ zᵀz − Σ log L_ii − (n/2) log 2π (R&W eq. 2.30, Algorithm 2.1).
  double LogMarginalLikelihood() const;

  int num_observations() const { return static_cast<int>(values_.size()); }
  // How many observations needed the pivot floor (near-duplicates with tiny noise).
  int num_floored_pivots() const { return num_floored_pivots_; }
  const Eigen::MatrixXd& observed_points() const { return points_; }  // dim x n
  const Eigen::VectorXd& observed_values() const { return values_; }
  const Eigen::MatrixXf& candidates() const { return candidates_; }
  const MaternKernel& kernel() const { return kernel_; }
  double noise_variance() const { return noise_variance_; }

 private:
  using RowMajorMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  // Appends (x, y) to L, z, points_ and values_; returns l = L⁻¹k(X, x) (old L) and the pivot d.
  void GrowCholesky(const Eigen::VectorXd& x, double y, Eigen::VectorXd* l, double* pivot);
  void ReserveRows(Eigen::Index rows);

  MaternKernel kernel_;
  Eigen::MatrixXf candidates_;  // dim x |C|
  double noise_variance_;
  Eigen::MatrixXd points_;    // dim x n
  Eigen::VectorXd values_;    // y
  Eigen::MatrixXd cholesky_;  // L, n x n lower triangular
  Eigen::VectorXd z_;         // L⁻¹y
  RowMajorMatrixXf v_;        // V in its first n rows (capacity rows x |C|)
  Eigen::VectorXf mean_, variance_;
  int num_floored_pivots_ = 0;
};

}  // namespace borex::gp
