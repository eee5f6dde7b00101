// A GP over a saliency field on a grid of cells, observed through masks: each observation is a
// linear functional of the field, y = ⟨w, f⟩ + ε, with w the mask's weights over the cells
// (the additive model of RISE: a masked image's score is the sum of what its visible pixels
// contribute). Any mask shape is an observation of the same field, so squares and the prior's
// own level sets inform one posterior, and the posterior mean of f is a map at once, with no
// aggregation over mask sizes (docs/algorithm.md, seventh round).
//
// f = Σ_k β_k e_k + g: a mean over basis fields, whose coefficients get a Gaussian prior and are
// estimated with the GP (universal kriging, R&W §2.7; an observation's basis values are h_k =
// ⟨w, e_k⟩, and an intercept can be a basis value of its own), and a zero-mean deviation g with a
// separable Matérn covariance over cell distance, k(x, x') = s·g(|Δrow|/ℓ)·g(|Δcol|/ℓ). s is
// σf² divided by the candidates' mean ⟨w, K w⟩, so that σf² is the prior variance of a typical
// candidate's observation, the scale the mask-space GP's σf² has.
//
// The observations are candidates: masks given at construction, and any appended later (masks
// that depend on the data, such as the posterior mean's own level sets). The Cholesky factor of
// the observations' covariance and L⁻¹ times their cross-covariances with every candidate grow by
// one row per observation, O(n·|C|); the final map reads other σf², σn² and prior variances
// from FitsUnder, without refactoring over the candidates.
#pragma once

#include <Eigen/Core>
#include <vector>

#include "borex/gp/kernel.h"

namespace borex::gp {

// Candidates whose weights are w = a·(r ⊗ c) + b over the cells: a square's share of each cell
// is its rows' share times its columns'. Row i, column j of the block is candidate
// first + i·(col_factors rows) + j. With them, ⟨w, u⟩ for every candidate of the block is
// a·R U Cᵀ + b·Σu and ⟨w, K w⟩ has a closed form, without reading the dense weights.
struct OuterProductBlock {
  Eigen::Index first = 0;
  Eigen::MatrixXd row_factors;   // r per block row: (block rows) x (field rows)
  Eigen::MatrixXd col_factors;   // c per block column: (block columns) x (field columns)
  double scale = 1, offset = 0;  // a, b
  Eigen::Index size() const { return row_factors.rows() * col_factors.rows(); }
};

// ⟨w, u⟩ for every candidate of a block (in its order), u a field of rows x cols cells in
// row-major order: a·R U Cᵀ + b·Σu, without the dense weights.
Eigen::VectorXd BlockTimes(const OuterProductBlock& block, const Eigen::VectorXd& u, int rows,
                           int cols);

// The resolved observations' posterior under given σf², σn² and diag(B): what the final map reads.
struct FieldFit {
  double log_likelihood = 0;     // log p(y), as FieldGp::LogMarginalLikelihood
  Eigen::VectorXd coefficients;  // β̄
  Eigen::MatrixXd deviation;     // E[g | y] per cell (rows x cols), as FieldGp::DeviationField
};

// Bayesian model averaging over fits of the same observations (a uniform prior over them): β̄
// and the deviation averaged with weights p(y | fit) / Σ p(y | ·), log_likelihood the mixture's
// log mean p(y). `top_weight`, when given, gets the most likely fit's weight.
FieldFit AverageFits(const std::vector<FieldFit>& fits, double* top_weight = nullptr);

class FieldGp {
 public:
  // rows x cols cells; candidate_weights: (|C| or |C| − the blocks' candidates) x (rows·cols),
  // w per candidate in row-major cell order; candidate_basis: |C| x p, h per candidate; the
  // coefficients' prior β ~ N(b, diag(B)). `blocks`: candidates among the first whose weights
  // are outer products (in order, from candidate 0 on, adjacent). candidate_weights may hold
  // their rows (checked against the blocks, then dropped) or only the rows after them (a clip's
  // blocks are too many to write out). `frames` > 1: a clip's field, its frames' cells stacked
  // as the rows (rows / frames each), under the kernel k_t(|Δframe|/ℓ_t)·k(|Δrow|/ℓ)·k(|Δcol|/ℓ)
  // with ℓ_t = frame_length_scale frames: the rows' kernel K_t ⊗ K_r.
  FieldGp(int rows, int cols, MaternNu nu, double length_scale_cells, double signal_variance,
          double noise_variance, Eigen::MatrixXf candidate_weights,
          const Eigen::MatrixXf& candidate_basis, Eigen::VectorXd prior_mean,
          Eigen::VectorXd prior_variance, std::vector<OuterProductBlock> blocks = {},
          int frames = 1, double frame_length_scale = 1);

  // More candidates (weights and basis rows as the constructor's); returns the first one's index.
  // The kernel's scale stays the constructor's candidates' (it is a unit, not a fit).
  Eigen::Index AddCandidates(const Eigen::MatrixXf& weights, const Eigen::MatrixXf& basis);
  Eigen::Index num_candidates() const { return blocks_end_ + weights_.rows(); }

  void AddObservation(Eigen::Index candidate, double value);
  // GP-BUCB's pending point: the variance counts it, the mean does not (a pending value equal to
  // its own predictive mean changes neither the mean nor β̄).
  void AddPending(Eigen::Index candidate);
  // The pending points' values, in the order they were added.
  void ResolvePending(const Eigen::VectorXd& values);

  Eigen::VectorXd prior_variance() const { return prior_precision_.cwiseInverse(); }
  double signal_variance() const { return signal_variance_; }
  double noise_variance() const { return noise_variance_; }

  // Posterior mean and variance of every candidate's observation without noise, ⟨w, f⟩: the
  // mean function's part and β's uncertainty included.
  const Eigen::VectorXd& candidate_mean() const { return mean_; }
  const Eigen::VectorXd& candidate_variance() const { return variance_; }
  // β̄, the coefficients' posterior mean.
  const Eigen::VectorXd& MeanCoefficients() const { return beta_; }
  // E[g | y] at every cell (rows x cols): the field's deviation from Σ β̄_k e_k.
  Eigen::MatrixXd DeviationField() const;
  // log p(y) of the resolved observations, y ~ N(Hb, s·G + σn²I + H diag(B) Hᵀ), under these
  // σf² and σn² (and diag(B), when given).
  double LogMarginalLikelihood(double signal_variance, double noise_variance) const;
  double LogMarginalLikelihood(double signal_variance, double noise_variance,
                               const Eigen::VectorXd& prior_variance) const;
  // The posterior under σf², σn² and each of `prior_variances`, the GP left as it is: one
  // Cholesky factor of s·G + σn²I for all of them (the coefficients' prior enters through the
  // matrix determinant lemma and Woodbury's identity, p x p per diag(B)).
  std::vector<FieldFit> FitsUnder(double signal_variance, double noise_variance,
                                  const std::vector<Eigen::VectorXd>& prior_variances) const;
  // The same with a noise variance per resolved observation, in the order they were added
  // (observations of different kinds may fit the additive model unequally well).
  std::vector<FieldFit> FitsUnder(double signal_variance, const Eigen::VectorXd& noise_variances,
                                  const std::vector<Eigen::VectorXd>& prior_variances) const;
  // The observed masks under the deviation's covariance D K D, D = diag(amplitude) over the cells
  // (row-major): a non-stationary GP whose deviation may be larger in some cells than in others.
  // Computed once for FitsUnder under any σf², σn² and prior variances, O(n·N·(rows + cols) +
  // n²·N).
  struct ObservedKernel {
    Eigen::MatrixXd gram;     // ⟨w_i, D K D w_j⟩ over the observed masks (n x n), unscaled
    Eigen::MatrixXd columns;  // D K D w_i (N x n)
    // s under it: the stationary one's times Σ⟨w, K w⟩ / Σ⟨w, D K D w⟩ over the observed masks,
    // so that σf² keeps the observations' mean prior variance.
    double scale_ratio = 1;
  };
  ObservedKernel ObservedUnder(const Eigen::VectorXd& amplitude) const;
  // FitsUnder with the deviation's covariance D K D (D = I: the stationary fits above).
  std::vector<FieldFit> FitsUnder(double signal_variance, const Eigen::VectorXd& noise_variances,
                                  const std::vector<Eigen::VectorXd>& prior_variances,
                                  const ObservedKernel& kernel) const;

  // K w for one weight field (row-major cells): the separable kernel, unscaled.
  Eigen::VectorXd KernelTimes(const Eigen::VectorXd& weights) const;
  // The scale s = σf² / mean ⟨w, K w⟩ over the constructor's candidates.
  double kernel_scale() const { return signal_variance_ / mean_prior_quadratic_; }
  int num_observations() const { return static_cast<int>(observed_.size()); }
  int num_pending() const { return static_cast<int>(pending_.size()); }

 private:
  // One candidate's weights w over the cells: a block's from its factors, the rest stored.
  Eigen::VectorXd CandidateWeights(Eigen::Index candidate) const;
  // ⟨w, K w⟩ of one candidate, unscaled.
  double PriorQuadratic(Eigen::Index candidate) const;
  // ⟨w_c, u⟩ for every candidate c, u a field (row-major cells): the blocks' in closed form, the
  // rest from the dense weights.
  Eigen::VectorXd CandidatesTimes(const Eigen::VectorXd& u) const;
  // Appends a candidate's K w column and cross-covariances (unscaled).
  void AddColumn(Eigen::Index candidate);
  // The factor of Σ = s·G + σn²I, and V, ZH and R below, extended by one more column, the last
  // of columns_: O(n·|C|).
  void ExtendFactor();
  // Mean, variance, β̄ and α from the factor.
  void Posterior();
  // FitsUnder's work: the observations' covariance scale·G + diag(σn²), with G and the K w
  // columns (N x n) of the observed masks given.
  std::vector<FieldFit> Fits(double scale, const Eigen::VectorXd& noise_variances,
                             const Eigen::MatrixXd& gram,
                             const Eigen::Ref<const Eigen::MatrixXd>& kernel_columns,
                             const std::vector<Eigen::VectorXd>& prior_variances) const;

  int rows_, cols_;
  double signal_variance_, noise_variance_;
  Eigen::MatrixXd row_kernel_, col_kernel_;  // K_r (a clip: K_t ⊗ K_r), K_c over cell distance
  // The candidates after the blocks, one row each: (|C| − blocks_end_) x N. (The blocks' dense
  // rows, 4,096 x 1,024 at 224 px, are not kept: appending candidates would copy them.)
  Eigen::MatrixXf weights_;
  std::vector<OuterProductBlock> blocks_;
  Eigen::Index blocks_end_ = 0;  // the candidates before it are the blocks'
  Eigen::MatrixXd basis_;        // |C| x p
  Eigen::VectorXd prior_mean_, prior_precision_;
  Eigen::VectorXd prior_quadratic_;  // ⟨w_c, K w_c⟩ per candidate, unscaled
  double mean_prior_quadratic_ = 1;
  // Per column (observed first, then pending): the candidate, K w (N) and ⟨w_c, K w⟩ (|C|).
  std::vector<Eigen::Index> columns_;
  Eigen::MatrixXd kernel_columns_;  // N x (n + pending)
  Eigen::MatrixXd cross_;           // |C| x (n + pending)
  std::vector<Eigen::Index> observed_, pending_;
  std::vector<double> values_;
  // Σ = L Lᵀ over the columns; V = L⁻¹ s·Cᵀ (n + pending) x |C| with C = cross_; ZH = L⁻¹ H of
  // the columns; ‖V's columns‖²; R = H − Vᵀ ZH per candidate. Extended column by column.
  Eigen::MatrixXd lower_, v_, zh_, r_;
  Eigen::VectorXd v_squared_;
  Eigen::VectorXd mean_, variance_, beta_, alpha_;  // alpha_: (s·G + σn²I)⁻¹(y − Hβ̄)
};

}  // namespace borex::gp
