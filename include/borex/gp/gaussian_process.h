// Exact GP regression over a fixed candidate set, updated incrementally (Rasmussen & Williams,
// "Gaussian Processes for Machine Learning", Algorithm 2.1 and eqs. 2.25-2.26). Zero prior mean
// by default: callers may subtract their own fixed prior mean from the observations (the paper's
// BOREx models f(λ, r) − i0(λ)). Or, with SetMeanBasis, a mean function h(x)ᵀβ whose
// coefficients are estimated with the GP (universal kriging, R&W §2.7).
//
// State after n observations X, y: the Cholesky factor L of K(X,X) + σn²I (double), z = L⁻¹y and
// V = L⁻¹K(X, C) over the candidates C (float, one row per observation). Then
//   mean(C) = Vᵀz,  var(C) = σf² − colsum(V∘V).
// AddObservation grows L and V by one row and updates mean and variance by one rank, O(n·|C|) per
// observation, instead of the authors' refit and full re-prediction (scikit-learn) per step.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "borex/gp/kernel.h"

namespace borex::gp {

class CandidateGp {
 public:
  // candidates: dim x n, one point per column. noise_variance: σn² > 0 (the authors' alpha).
  // max_observations: rows of V to reserve up front (0: grow by doubling); only a capacity hint.
  CandidateGp(MaternKernel kernel, Eigen::MatrixXf candidates, double noise_variance = 0.01,
              int max_observations = 0);

  // Universal kriging (R&W §2.7, eqs. 2.41-2.42 with a Gaussian prior on β, integrated out): the
  // prior mean is m(x) = h(x)ᵀβ over p basis functions, β ~ N(b, diag(B)). candidate_basis:
  // |C| x p, h at every candidate. Call before the first observation; AddObservation and
  // SetObservations then take h at each observed point. Keeps, besides L, z and V:
  //   Zh = L⁻¹H (n x p) and W = VᵀZh (|C| x p), so that with A = B⁻¹ + ZhᵀZh,
  //   β̄ = A⁻¹(Zhᵀz + B⁻¹b), mean(C) = Hcβ̄ + Vᵀ(z − Zhβ̄), var(C) = var₀(C) + diag(R A⁻¹ Rᵀ),
  //   R = Hc − W: one more rank-one update of W per observation, O(|C|·p).
  //
  // nonnegative_coefficient (an index into β, or −1 for none): that coefficient is kept ≥ 0,
  // β̄ being then the minimiser of the same quadratic under that bound (the mode of the posterior
  // with the bound as part of the prior): when the unconstrained β̄_j < 0, β̄_j = 0 and the other
  // coefficients solve their own block of A (exact for one bound: the quadratic is convex). The
  // mean, PredictMean and the pending values use this β̄; the variance's diag(R A⁻¹ Rᵀ) and the
  // likelihood stay those of the unbounded Gaussian β. A pending point leaves a bounded β̄ as it
  // is too: the unconstrained β̄_j moves by −μ(A'⁻¹)_jj ≤ 0 (μ ≥ 0 the bound's KKT multiplier).
  void SetMeanBasis(Eigen::MatrixXf candidate_basis, Eigen::VectorXd prior_mean,
                    Eigen::VectorXd prior_variance, int nonnegative_coefficient = -1);

  // Adds (x, y) and updates the posterior at every candidate; x need not be a candidate.
  // basis: h(x) (p values) when a mean basis is set, else empty.
  // Duplicate points are allowed: see kMinimumPivotFraction in gaussian_process.cc.
  void AddObservation(const Eigen::VectorXd& x, double y,
                      const Eigen::VectorXd& basis = Eigen::VectorXd());

  // GP-BUCB (Desautels, Krause & Burdick, JMLR 2014): a point whose observation is pending. The
  // posterior variance does not depend on the observed values, so the variance at every
  // candidate is updated exactly as AddObservation would; the pending value is taken to be its
  // own posterior predictive mean, which leaves the posterior mean (and β̄) unchanged up to float
  // rounding. Pending points stay the last rows until ResolvePending; AddObservation,
  // SetObservations, SetKernel, WithKernelOnly and LogMarginalLikelihood refuse them.
  void AddPending(const Eigen::VectorXd& x, const Eigen::VectorXd& basis = Eigen::VectorXd());
  // The pending points' observed values, in the order they were added: the state becomes that of
  // AddObservation with these values at those points (L, V and Zh are already right; only z, the
  // mean and β̄ change), up to float rounding.
  void ResolvePending(const Eigen::VectorXd& values);
  int num_pending() const { return num_pending_; }

  // Replaces all observations (points: dim x n; basis: n x p, h at each point, when a mean basis
  // is set) and refits from scratch: L in double row by row, then V = L⁻¹K(X, C) as one blocked
  // triangular solve rather than n memory-bound rank-one updates. Same posterior as n
  // AddObservation calls, up to float rounding.
  void SetObservations(Eigen::MatrixXd points, Eigen::VectorXd values,
                       Eigen::MatrixXd basis = Eigen::MatrixXd());

  // Replaces the kernel and refits with the stored observations (after re-fitting
  // hyperparameters), O(n³ + n²·|C|). A kernel equal to the current one (the same ν and σf² and
  // every length scale bit for bit) is the same model: nothing is recomputed. L, z, Zh and hence
  // the likelihood, β̄ and PredictMean are then bit for bit those of a refit (it would rebuild
  // them row by row with the same arithmetic); the candidates' mean and variance stay those of
  // the incremental updates, equal to a refit's up to float rounding.
  void SetKernel(MaternKernel kernel);

  // The same observations, mean basis and noise under another kernel, without candidates: for
  // likelihoods and PredictMean at arbitrary points, O(n³) instead of O(n²·|C|).
  CandidateGp WithKernelOnly(MaternKernel kernel) const;

  // Posterior mean and variance (of f, without σn²) at every candidate, the mean function's
  // part and β's uncertainty included.
  const Eigen::VectorXf& candidate_mean() const { return num_basis() ? total_mean_ : mean_; }
  const Eigen::VectorXf& candidate_variance() const {
    return num_basis() ? total_variance_ : variance_;
  }

  // The kriging part of the posterior mean at arbitrary points (dim x m): out = K(points, X)·α,
  // α = L⁻ᵀ(z − Zhβ̄) = K⁻¹(y − Hβ̄) (R&W eqs. 2.25 and 2.41), in cache-sized chunks of points.
  // Without a mean basis this is the whole posterior mean; with one, add h(x)ᵀβ̄.
  void PredictMean(const Eigen::Ref<const Eigen::MatrixXf>& points,
                   Eigen::Ref<Eigen::VectorXf> out) const;
  // Posterior variance of f at x: k(x,x) − |L⁻¹k(X,x)|² (R&W eq. 2.26), plus rᵀA⁻¹r with
  // r = h(x) − Zhᵀl for a mean basis (eq. 2.42; basis: h(x)); clamped at 0.
  double PredictVariance(const Eigen::VectorXd& x,
                         const Eigen::VectorXd& basis = Eigen::VectorXd()) const;

  // log p(y | X) = −½ zᵀz − Σ log L_ii − (n/2) log 2π (R&W eq. 2.30, Algorithm 2.1). With a mean
  // basis, of y ~ N(Hb, K + H diag(B) Hᵀ) (R&W eq. 2.43's model), by Woodbury and the
  // determinant lemma on Zh.
  double LogMarginalLikelihood() const;

  // β̄, the posterior mean of the mean function's coefficients (p values; empty without a basis).
  Eigen::VectorXd MeanCoefficients() const;
  int num_basis() const { return static_cast<int>(basis_prior_mean_.size()); }

  int num_observations() const { return static_cast<int>(values_.size()); }
  // How many observations needed the pivot floor (near-duplicates with tiny noise).
  int num_floored_pivots() const { return num_floored_pivots_; }
  const Eigen::MatrixXd& observed_points() const { return points_; }  // dim x n
  const Eigen::VectorXd& observed_values() const { return values_; }
  const Eigen::MatrixXd& observed_basis() const { return observed_basis_; }  // n x p
  const Eigen::MatrixXf& candidates() const { return candidates_; }
  const MaternKernel& kernel() const { return kernel_; }
  double noise_variance() const { return noise_variance_; }

 private:
  using RowMajorMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  // Appends (x, y, h) to L, z, Zh, points_, values_ and the observed basis; returns
  // l = L⁻¹k(X, x) (old L) and the pivot d. pending: y is ignored and replaced by the posterior
  // predictive mean at x, hᵀβ̄ + lᵀ(z − Zhβ̄).
  void GrowCholesky(const Eigen::VectorXd& x, double y, const Eigen::VectorXd& basis,
                    Eigen::VectorXd* l, double* pivot, bool pending = false);
  // GrowCholesky, then the new row of V and the rank-one updates of the posterior.
  void Append(const Eigen::VectorXd& x, double y, const Eigen::VectorXd& basis, bool pending);
  void ReserveRows(Eigen::Index rows);
  // A = B⁻¹ + ZhᵀZh (p x p), and factored.
  Eigen::MatrixXd CoefficientPrecisionMatrix() const;
  Eigen::LLT<Eigen::MatrixXd> CoefficientPrecision() const;
  // total_mean_ and total_variance_ from mean_, variance_, W and β̄.
  void UpdateMeanFunction();

  MaternKernel kernel_;
  Eigen::MatrixXf candidates_;  // dim x |C|
  double noise_variance_;
  Eigen::MatrixXd points_;           // dim x n
  Eigen::VectorXd values_;           // y
  Eigen::MatrixXd cholesky_;         // L, n x n lower triangular
  Eigen::VectorXd z_;                // L⁻¹y
  RowMajorMatrixXf v_;               // V in its first n rows (capacity rows x |C|)
  Eigen::VectorXf mean_, variance_;  // Vᵀz and σf² − colsum(V∘V): the zero-mean GP's
  int num_floored_pivots_ = 0;
  int num_pending_ = 0;  // the last rows of L, z, V: GP-BUCB's pending points
  // Mean basis (p = 0 without one).
  Eigen::VectorXd basis_prior_mean_, basis_prior_precision_;  // b and B⁻¹ (diagonal)
  int nonnegative_coefficient_ = -1;                          // β's index kept ≥ 0, or −1
  Eigen::MatrixXf candidate_basis_;                           // Hc, |C| x p
  Eigen::MatrixXd observed_basis_;                            // H, n x p
  Eigen::MatrixXd zh_;                                        // L⁻¹H, n x p
  Eigen::MatrixXf w_;                                         // VᵀZh, |C| x p
  Eigen::VectorXf total_mean_, total_variance_;
};

}  // namespace borex::gp
