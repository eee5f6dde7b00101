#include "borex/gp/field_gp.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <limits>

#include "borex/core/error.h"

namespace borex::gp {
namespace {

using RowMajorMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Eigen::MatrixXd DistanceKernel(int size, MaternNu nu, double length_scale) {
  Eigen::MatrixXd kernel(size, size);
  for (int i = 0; i < size; ++i)
    for (int j = 0; j < size; ++j)
      kernel(i, j) = MaternKernel::Profile(nu, std::abs(i - j) / length_scale);
  return kernel;
}

// The rows' kernel of `frames` stacked frames of rows / frames cell rows each: K_t ⊗ K_r.
Eigen::MatrixXd RowKernel(int rows, int frames, MaternNu nu, double length_scale,
                          double frame_length_scale) {
  BOREX_CHECK(frames > 0 && rows % frames == 0);
  Eigen::MatrixXd within = DistanceKernel(rows / frames, nu, length_scale);
  if (frames == 1) return within;
  const Eigen::MatrixXd across = DistanceKernel(frames, nu, frame_length_scale);
  Eigen::MatrixXd kernel(rows, rows);
  const int block = rows / frames;
  for (int n = 0; n < frames; ++n)
    for (int m = 0; m < frames; ++m)
      kernel.block(Eigen::Index{n} * block, Eigen::Index{m} * block, block, block) =
          across(n, m) * within;
  return kernel;
}

}  // namespace

Eigen::VectorXd BlockTimes(const OuterProductBlock& block, const Eigen::VectorXd& u, int rows,
                           int cols) {
  BOREX_CHECK_EQ(u.size(), Eigen::Index{rows} * cols);
  const Eigen::Map<const RowMajorMatrixXd> field(u.data(), rows, cols);
  const RowMajorMatrixXd products =
      block.scale * (block.row_factors * field * block.col_factors.transpose()).array() +
      block.offset * u.sum();
  return Eigen::Map<const Eigen::VectorXd>(products.data(), products.size());
}

FieldGp::FieldGp(int rows, int cols, MaternNu nu, double length_scale_cells, double signal_variance,
                 double noise_variance, Eigen::MatrixXf candidate_weights,
                 const Eigen::MatrixXf& candidate_basis, Eigen::VectorXd prior_mean,
                 Eigen::VectorXd prior_variance, std::vector<OuterProductBlock> blocks, int frames,
                 double frame_length_scale)
    : rows_(rows),
      cols_(cols),
      signal_variance_(signal_variance),
      noise_variance_(noise_variance),
      row_kernel_(RowKernel(rows, frames, nu, length_scale_cells, frame_length_scale)),
      col_kernel_(DistanceKernel(cols, nu, length_scale_cells)),
      weights_(std::move(candidate_weights)),
      blocks_(std::move(blocks)),
      basis_(candidate_basis.cast<double>()),
      prior_mean_(std::move(prior_mean)),
      prior_precision_(prior_variance.cwiseInverse()) {
  BOREX_CHECK_GT(rows, 0);
  BOREX_CHECK_GT(cols, 0);
  BOREX_CHECK(length_scale_cells > 0 && frame_length_scale > 0 && signal_variance > 0 &&
              noise_variance > 0);
  BOREX_CHECK_EQ(weights_.cols(), static_cast<Eigen::Index>(rows) * cols);
  const Eigen::Index candidates = basis_.rows();
  BOREX_CHECK_GT(candidates, 0);
  BOREX_CHECK_EQ(prior_mean_.size(), basis_.cols());
  BOREX_CHECK_EQ(prior_precision_.size(), basis_.cols());
  BOREX_CHECK((prior_variance.array() > 0).all());
  prior_quadratic_.resize(candidates);
  // A block's ⟨w, K w⟩ = a²(rᵀK_r r)(cᵀK_c c) + 2ab(rᵀK_r 1)(cᵀK_c 1) + b²(1ᵀK_r 1)(1ᵀK_c 1).
  const Eigen::VectorXd row_sums = row_kernel_.rowwise().sum(),
                        col_sums = col_kernel_.rowwise().sum();
  for (const OuterProductBlock& block : blocks_) {
    BOREX_CHECK_EQ(block.first, blocks_end_);
    BOREX_CHECK_GT(block.size(), 0);
    BOREX_CHECK_EQ(block.row_factors.cols(), rows_);
    BOREX_CHECK_EQ(block.col_factors.cols(), cols_);
    blocks_end_ += block.size();
    BOREX_CHECK_LE(blocks_end_, candidates);
  }
  // The blocks' dense rows, where given: their first and last candidates against them (a layout
  // check), then dropped.
  const bool dense_blocks = weights_.rows() == candidates && blocks_end_ > 0;
  BOREX_CHECK(dense_blocks || weights_.rows() == candidates - blocks_end_);
  for (const OuterProductBlock& block : blocks_) {
    const auto quadratic = [](const Eigen::MatrixXd& factors, const Eigen::MatrixXd& kernel) {
      return Eigen::VectorXd((factors * kernel).cwiseProduct(factors).rowwise().sum());
    };
    const Eigen::VectorXd row_quadratic = quadratic(block.row_factors, row_kernel_),
                          col_quadratic = quadratic(block.col_factors, col_kernel_);
    const Eigen::VectorXd row_linear = block.row_factors * row_sums,
                          col_linear = block.col_factors * col_sums;
    const double a = block.scale, b = block.offset;
    if (dense_blocks)
      for (const Eigen::Index i : {Eigen::Index{0}, block.row_factors.rows() - 1})
        for (const Eigen::Index j : {Eigen::Index{0}, block.col_factors.rows() - 1}) {
          const Eigen::Index candidate = block.first + i * block.col_factors.rows() + j;
          BOREX_CHECK_LT(
              (CandidateWeights(candidate) - weights_.row(candidate).transpose().cast<double>())
                  .cwiseAbs()
                  .maxCoeff(),
              1e-6);
        }
    for (Eigen::Index i = 0; i < block.row_factors.rows(); ++i)
      for (Eigen::Index j = 0; j < block.col_factors.rows(); ++j)
        prior_quadratic_[block.first + i * block.col_factors.rows() + j] =
            a * a * row_quadratic[i] * col_quadratic[j] +
            2 * a * b * row_linear[i] * col_linear[j] + b * b * row_sums.sum() * col_sums.sum();
  }
  if (dense_blocks) weights_ = weights_.bottomRows(candidates - blocks_end_).eval();
  for (Eigen::Index c = blocks_end_; c < candidates; ++c) prior_quadratic_[c] = PriorQuadratic(c);
  mean_prior_quadratic_ = prior_quadratic_.mean();
  BOREX_CHECK_GT(mean_prior_quadratic_, 0);
  kernel_columns_.resize(weights_.cols(), 0);
  cross_.resize(candidates, 0);
  // No column yet: an empty factor, V and ZH without rows, R = H. Each column extends them.
  lower_.resize(0, 0);
  v_.resize(0, candidates);
  zh_.resize(0, basis_.cols());
  v_squared_.setZero(candidates);
  r_ = basis_;
  Posterior();
}

Eigen::Index FieldGp::AddCandidates(const Eigen::MatrixXf& weights, const Eigen::MatrixXf& basis) {
  BOREX_CHECK_EQ(weights.cols(), weights_.cols());
  BOREX_CHECK_EQ(basis.cols(), basis_.cols());
  BOREX_CHECK_EQ(basis.rows(), weights.rows());
  const Eigen::Index first = num_candidates(), count = weights.rows();
  weights_.conservativeResize(weights_.rows() + count, Eigen::NoChange);
  weights_.bottomRows(count) = weights;
  basis_.conservativeResize(first + count, Eigen::NoChange);
  basis_.bottomRows(count) = basis.cast<double>();
  prior_quadratic_.conservativeResize(first + count);
  cross_.conservativeResize(first + count, Eigen::NoChange);
  for (Eigen::Index c = first; c < first + count; ++c) prior_quadratic_[c] = PriorQuadratic(c);
  cross_.bottomRows(count) = (weights * kernel_columns_.cast<float>()).cast<double>();
  // The new candidates' columns of V and their rows of R, against the factor as it stands.
  const Eigen::MatrixXd v = lower_.triangularView<Eigen::Lower>().solve(
      kernel_scale() * cross_.bottomRows(count).transpose());
  v_.conservativeResize(Eigen::NoChange, first + count);
  v_.rightCols(count) = v;
  v_squared_.conservativeResize(first + count);
  v_squared_.tail(count) = v.colwise().squaredNorm().transpose();
  r_.conservativeResize(first + count, Eigen::NoChange);
  r_.bottomRows(count) = basis_.bottomRows(count) - v.transpose() * zh_;
  Posterior();
  return first;
}

Eigen::VectorXd FieldGp::CandidateWeights(Eigen::Index candidate) const {
  if (candidate >= blocks_end_)
    return weights_.row(candidate - blocks_end_).cast<double>().transpose();
  const auto block = std::find_if(blocks_.begin(), blocks_.end(), [&](const OuterProductBlock& b) {
    return candidate < b.first + b.size();
  });
  const Eigen::Index i = (candidate - block->first) / block->col_factors.rows(),
                     j = (candidate - block->first) % block->col_factors.rows();
  Eigen::VectorXd w(Eigen::Index{rows_} * cols_);
  for (int r = 0; r < rows_; ++r)
    w.segment(Eigen::Index{r} * cols_, cols_) =
        block->scale * block->row_factors(i, r) * block->col_factors.row(j).transpose().array() +
        block->offset;
  return w;
}

double FieldGp::PriorQuadratic(Eigen::Index candidate) const {
  const Eigen::VectorXd w = CandidateWeights(candidate);
  return w.dot(KernelTimes(w));
}

Eigen::VectorXd FieldGp::CandidatesTimes(const Eigen::VectorXd& u) const {
  Eigen::VectorXd out(num_candidates());
  for (const OuterProductBlock& block : blocks_)
    out.segment(block.first, block.size()) = BlockTimes(block, u, rows_, cols_);
  out.tail(weights_.rows()) = (weights_ * u.cast<float>()).cast<double>();
  return out;
}

Eigen::VectorXd FieldGp::KernelTimes(const Eigen::VectorXd& weights) const {
  BOREX_CHECK_EQ(weights.size(), static_cast<Eigen::Index>(rows_) * cols_);
  // Row-major cells: the vector read as a rows x cols matrix W gives K_r W K_c.
  const Eigen::Map<const RowMajorMatrixXd> w(weights.data(), rows_, cols_);
  const RowMajorMatrixXd out = row_kernel_ * w * col_kernel_;
  return Eigen::Map<const Eigen::VectorXd>(out.data(), out.size());
}

void FieldGp::AddColumn(Eigen::Index candidate) {
  BOREX_CHECK(candidate >= 0 && candidate < num_candidates());
  const Eigen::Index column = kernel_columns_.cols();
  kernel_columns_.conservativeResize(Eigen::NoChange, column + 1);
  cross_.conservativeResize(Eigen::NoChange, column + 1);
  kernel_columns_.col(column) = KernelTimes(CandidateWeights(candidate));
  cross_.col(column) = CandidatesTimes(kernel_columns_.col(column));
  columns_.push_back(candidate);
  ExtendFactor();
}

void FieldGp::AddObservation(Eigen::Index candidate, double value) {
  BOREX_CHECK(pending_.empty());
  BOREX_CHECK(std::isfinite(value));
  AddColumn(candidate);
  observed_.push_back(candidate);
  values_.push_back(value);
  Posterior();
}

void FieldGp::AddPending(Eigen::Index candidate) {
  AddColumn(candidate);
  pending_.push_back(candidate);
  Posterior();
}

void FieldGp::ResolvePending(const Eigen::VectorXd& values) {
  BOREX_CHECK_EQ(values.size(), static_cast<Eigen::Index>(pending_.size()));
  for (size_t i = 0; i < pending_.size(); ++i) {
    BOREX_CHECK(std::isfinite(values[static_cast<Eigen::Index>(i)]));
    observed_.push_back(pending_[i]);
    values_.push_back(values[static_cast<Eigen::Index>(i)]);
  }
  pending_.clear();
  Posterior();  // the columns keep their order: the factor stands
}

void FieldGp::ExtendFactor() {
  // The new column j against the earlier ones: L⁻¹ Σ_{<j, j} is V's column for its candidate.
  const auto m = static_cast<Eigen::Index>(columns_.size()) - 1;
  const Eigen::Index candidate = columns_.back();
  const double scale = kernel_scale();
  const Eigen::VectorXd l = v_.col(candidate);
  const double pivot = scale * cross_(candidate, m) + noise_variance_ - l.squaredNorm();
  BOREX_CHECK_GT(pivot, 0);
  const double d = std::sqrt(pivot);
  lower_.conservativeResize(m + 1, m + 1);
  lower_.row(m).head(m) = l.transpose();
  lower_.col(m).setZero();
  lower_(m, m) = d;
  v_.conservativeResize(m + 1, Eigen::NoChange);
  v_.row(m) = (scale * cross_.col(m).transpose() - l.transpose() * v_.topRows(m)) / d;
  zh_.conservativeResize(m + 1, Eigen::NoChange);
  zh_.row(m) = (basis_.row(candidate) - l.transpose() * zh_.topRows(m)) / d;
  v_squared_ += v_.row(m).transpose().cwiseAbs2();
  r_ -= v_.row(m).transpose() * zh_.row(m);
}

void FieldGp::Posterior() {
  const auto n = static_cast<Eigen::Index>(observed_.size());
  const Eigen::MatrixXd prior_precision = prior_precision_.asDiagonal();
  // Variance, pending points included (it does not depend on the values): R&W eqs. 2.26, 2.42.
  const Eigen::MatrixXd a_all = prior_precision + zh_.transpose() * zh_;
  const Eigen::MatrixXd r_solved = a_all.llt().solve(r_.transpose());
  variance_ = (kernel_scale() * prior_quadratic_ - v_squared_ +
               (r_.transpose().array() * r_solved.array()).colwise().sum().transpose().matrix())
                  .cwiseMax(0.0);

  // Mean and β̄ from the resolved observations: the leading block of the same factor.
  const auto lower_n = lower_.topLeftCorner(n, n).triangularView<Eigen::Lower>();
  const Eigen::VectorXd y = Eigen::Map<const Eigen::VectorXd>(values_.data(), n);
  const Eigen::VectorXd z = lower_n.solve(y);
  const auto zh = zh_.topRows(n);
  const Eigen::MatrixXd a = prior_precision + zh.transpose() * zh;
  beta_ = a.llt().solve(zh.transpose() * z + prior_precision * prior_mean_);
  const Eigen::VectorXd u = z - zh * beta_;
  alpha_ = lower_n.transpose().solve(u);
  // s·C_n α = (L_n⁻¹ s·C_nᵀ)ᵀ u: V's leading rows.
  mean_ = basis_ * beta_ + v_.topRows(n).transpose() * u;
}

Eigen::MatrixXd FieldGp::DeviationField() const {
  const auto n = static_cast<Eigen::Index>(observed_.size());
  const Eigen::VectorXd field = kernel_scale() * kernel_columns_.leftCols(n) * alpha_;
  return Eigen::Map<const RowMajorMatrixXd>(field.data(), rows_, cols_);
}

double FieldGp::LogMarginalLikelihood(double signal_variance, double noise_variance) const {
  return LogMarginalLikelihood(signal_variance, noise_variance, prior_variance());
}

double FieldGp::LogMarginalLikelihood(double signal_variance, double noise_variance,
                                      const Eigen::VectorXd& prior_variance) const {
  return FitsUnder(signal_variance, noise_variance, {prior_variance}).front().log_likelihood;
}

std::vector<FieldFit> FieldGp::FitsUnder(
    double signal_variance, double noise_variance,
    const std::vector<Eigen::VectorXd>& prior_variances) const {
  return FitsUnder(
      signal_variance,
      Eigen::VectorXd::Constant(static_cast<Eigen::Index>(observed_.size()), noise_variance),
      prior_variances);
}

std::vector<FieldFit> FieldGp::FitsUnder(
    double signal_variance, const Eigen::VectorXd& noise_variances,
    const std::vector<Eigen::VectorXd>& prior_variances) const {
  const auto n = static_cast<Eigen::Index>(observed_.size());
  Eigen::MatrixXd gram(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    gram.row(i) = cross_.row(observed_[static_cast<size_t>(i)]).head(n);
  return Fits(signal_variance / mean_prior_quadratic_, noise_variances, gram,
              kernel_columns_.leftCols(n), prior_variances);
}

FieldGp::ObservedKernel FieldGp::ObservedUnder(const Eigen::VectorXd& amplitude) const {
  BOREX_CHECK_EQ(amplitude.size(), Eigen::Index{rows_} * cols_);
  BOREX_CHECK((amplitude.array() > 0).all() && amplitude.allFinite());
  const auto n = static_cast<Eigen::Index>(observed_.size());
  ObservedKernel kernel;
  Eigen::MatrixXd weights(amplitude.size(), n);
  kernel.columns.resize(amplitude.size(), n);
  for (Eigen::Index i = 0; i < n; ++i) {
    weights.col(i) = CandidateWeights(observed_[static_cast<size_t>(i)]);
    kernel.columns.col(i) =
        amplitude.cwiseProduct(KernelTimes(amplitude.cwiseProduct(weights.col(i))));
  }
  kernel.gram = weights.transpose() * kernel.columns;
  double stationary = 0;
  for (const Eigen::Index candidate : observed_) stationary += prior_quadratic_[candidate];
  kernel.scale_ratio = n > 0 ? stationary / kernel.gram.trace() : 1.0;
  BOREX_CHECK(std::isfinite(kernel.scale_ratio) && kernel.scale_ratio > 0);
  return kernel;
}

std::vector<FieldFit> FieldGp::FitsUnder(double signal_variance,
                                         const Eigen::VectorXd& noise_variances,
                                         const std::vector<Eigen::VectorXd>& prior_variances,
                                         const ObservedKernel& kernel) const {
  const auto n = static_cast<Eigen::Index>(observed_.size());
  BOREX_CHECK(kernel.gram.rows() == n && kernel.columns.cols() == n);
  return Fits(kernel.scale_ratio * signal_variance / mean_prior_quadratic_, noise_variances,
              kernel.gram, kernel.columns, prior_variances);
}

std::vector<FieldFit> FieldGp::Fits(double scale, const Eigen::VectorXd& noise_variances,
                                    const Eigen::MatrixXd& gram,
                                    const Eigen::Ref<const Eigen::MatrixXd>& kernel_columns,
                                    const std::vector<Eigen::VectorXd>& prior_variances) const {
  const auto n = static_cast<Eigen::Index>(observed_.size());
  Eigen::MatrixXd covariance = scale * gram;
  Eigen::MatrixXd basis(n, basis_.cols());
  for (Eigen::Index i = 0; i < n; ++i) basis.row(i) = basis_.row(observed_[static_cast<size_t>(i)]);
  BOREX_CHECK_EQ(noise_variances.size(), n);
  covariance.diagonal() += noise_variances;
  const Eigen::LLT<Eigen::MatrixXd> llt(covariance);
  std::vector<FieldFit> fits(prior_variances.size());
  if (llt.info() != Eigen::Success) {
    for (FieldFit& fit : fits) fit.log_likelihood = -std::numeric_limits<double>::infinity();
    return fits;
  }
  // With Σ = s·G + diag(σn²) = L Lᵀ, Z = L⁻¹H, z = L⁻¹y and A = B⁻¹ + ZᵀZ (R&W §2.7):
  // β̄ = A⁻¹(Zᵀz + B⁻¹b), α = L⁻ᵀ(z − Zβ̄); under y ~ N(Hb, Σ + HBHᵀ), with r = z − Zb,
  // log|Σ + HBHᵀ| = log|Σ| + log|B| + log|A| and the quadratic form is rᵀr − (Zᵀr)ᵀA⁻¹(Zᵀr).
  const auto lower = llt.matrixL();
  const Eigen::VectorXd z = lower.solve(Eigen::Map<const Eigen::VectorXd>(values_.data(), n));
  const Eigen::MatrixXd zh = lower.solve(basis);
  const Eigen::MatrixXd zh_gram = zh.transpose() * zh;
  const Eigen::VectorXd residual = z - zh * prior_mean_;
  const Eigen::VectorXd projected = zh.transpose() * residual;
  const double log_det_sigma = 2 * llt.matrixLLT().diagonal().array().log().sum();
  for (size_t k = 0; k < prior_variances.size(); ++k) {
    const Eigen::VectorXd& prior_variance = prior_variances[k];
    BOREX_CHECK_EQ(prior_variance.size(), prior_precision_.size());
    BOREX_CHECK((prior_variance.array() > 0).all() && prior_variance.allFinite());
    const Eigen::VectorXd precision = prior_variance.cwiseInverse();
    Eigen::MatrixXd a = zh_gram;
    a.diagonal() += precision;
    const Eigen::LLT<Eigen::MatrixXd> a_llt(a);
    FieldFit& fit = fits[k];
    fit.log_likelihood = -0.5 * (residual.squaredNorm() - projected.dot(a_llt.solve(projected))) -
                         0.5 * (log_det_sigma + prior_variance.array().log().sum() +
                                2 * a_llt.matrixLLT().diagonal().array().log().sum()) -
                         0.5 * static_cast<double>(n) * std::log(2.0 * M_PI);
    fit.coefficients = a_llt.solve(zh.transpose() * z + precision.cwiseProduct(prior_mean_));
    const Eigen::VectorXd alpha = lower.transpose().solve(z - zh * fit.coefficients);
    const Eigen::VectorXd field = scale * kernel_columns * alpha;
    fit.deviation = Eigen::Map<const RowMajorMatrixXd>(field.data(), rows_, cols_);
  }
  return fits;
}

FieldFit AverageFits(const std::vector<FieldFit>& fits, double* top_weight) {
  BOREX_CHECK(!fits.empty());
  const auto best = std::max_element(fits.begin(), fits.end(), [](auto& x, auto& y) {
    return x.log_likelihood < y.log_likelihood;
  });
  BOREX_CHECK(std::isfinite(best->log_likelihood));
  FieldFit average;
  average.coefficients.setZero(best->coefficients.size());
  average.deviation.setZero(best->deviation.rows(), best->deviation.cols());
  double total = 0;  // Σ p(y | fit) / p(y | best), so that the largest term is 1
  for (const FieldFit& fit : fits) {
    // A fit without a likelihood (Fits: its covariance is not positive definite) weighs 0 and
    // has no coefficients or deviation to add.
    if (!std::isfinite(fit.log_likelihood)) continue;
    const double weight = std::exp(fit.log_likelihood - best->log_likelihood);
    total += weight;
    average.coefficients += weight * fit.coefficients;
    average.deviation += weight * fit.deviation;
  }
  average.coefficients /= total;
  average.deviation /= total;
  average.log_likelihood =
      best->log_likelihood + std::log(total / static_cast<double>(fits.size()));
  if (top_weight) *top_weight = 1 / total;
  return average;
}

}  // namespace borex::gp
