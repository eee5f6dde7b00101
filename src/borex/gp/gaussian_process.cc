#include "borex/gp/gaussian_process.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <vector>

#include "borex/core/error.h"
#include "borex/core/threads.h"

namespace borex::gp {
namespace {

// The new pivot d² = k(x,x) + σn² − lᵀl is a Schur complement of K + σn²I, so it is >= σn² in
// exact arithmetic. Rounding can still make it tiny or negative when σn² is tiny and x repeats an
// earlier point, and V is stored in float, so a pivot d below ~1e-3 σf would amplify float
// rounding in v = (k(x,C) − lᵀV)/d. We floor d² at this fraction of σf², which is the same as
// adding the missing amount as extra noise (jitter) to that one observation; the likelihood and
// the posterior are then those of the jittered model. Never active for σn² >= 1e-6 σf².
constexpr double kMinimumPivotFraction = 1e-6;

// Points per chunk in PredictMean: the kernel column of one chunk stays in L1/L2 cache while
// the observations are accumulated into it.
constexpr Eigen::Index kPredictChunk = 4096;

// Rows of V reserved at the first observation when the caller gave no hint.
constexpr Eigen::Index kInitialRows = 16;

// Candidates per chunk of the per-candidate updates. The chunks are fixed, not one per thread,
// so every candidate goes through the same arithmetic (Eigen's packet or scalar path) whatever
// the thread count: the maps do not depend on --threads.
constexpr Eigen::Index kCandidateChunk = 4096;

// Calls chunk(begin, length) for [0, size) in pieces of `piece`, on ComputeThreads() OpenMP
// threads (the model's: it is idle while the GP works).
template <typename Chunk>
void ForEachChunk(Eigen::Index size, Eigen::Index piece, const Chunk& chunk) {
  const Eigen::Index count = (size + piece - 1) / piece;
#pragma omp parallel for schedule(static) num_threads(ComputeThreads()) if (count > 1)
  for (Eigen::Index i = 0; i < count; ++i) chunk(i * piece, std::min(piece, size - i * piece));
}

}  // namespace

CandidateGp::CandidateGp(MaternKernel kernel, Eigen::MatrixXf candidates, double noise_variance,
                         int max_observations)
    : kernel_(std::move(kernel)),
      candidates_(std::move(candidates)),
      noise_variance_(noise_variance),
      points_(kernel_.dimension(), 0) {
  BOREX_CHECK_EQ(candidates_.rows(), kernel_.dimension());
  BOREX_CHECK(candidates_.allFinite());
  BOREX_CHECK_GE(max_observations, 0);
  if (!(noise_variance_ > 0) || !std::isfinite(noise_variance_))
    throw OptionError("--noise", internal::Concat("must be positive, got ", noise_variance_));
  mean_ = Eigen::VectorXf::Zero(candidates_.cols());
  variance_ =
      Eigen::VectorXf::Constant(candidates_.cols(), static_cast<float>(kernel_.signal_variance()));
  if (max_observations > 0) ReserveRows(max_observations);
}

void CandidateGp::ReserveRows(Eigen::Index rows) {
  if (v_.rows() >= rows) return;
  const Eigen::Index capacity = std::max({rows, 2 * v_.rows(), kInitialRows});
  v_.conservativeResize(capacity, candidates_.cols());
}

void CandidateGp::GrowCholesky(const Eigen::VectorXd& x, double y, const Eigen::VectorXd& basis,
                               Eigen::VectorXd* l, double* pivot, bool pending) {
  const Eigen::Index n = num_observations();
  // l = L⁻¹ k(X, x), d² = k(x,x) + σn² − lᵀl (R&W Algorithm 2.1, one row at a time).
  l->resize(n);
  for (Eigen::Index i = 0; i < n; ++i) (*l)[i] = kernel_(points_.col(i), x);
  if (n > 0) cholesky_.triangularView<Eigen::Lower>().solveInPlace(*l);
  if (pending) {
    // The predictive mean: with it as the value, z's new entry is zh_new·β̄ (0 without a basis),
    // which is exactly what keeps mean(C) and β̄ as they are.
    y = l->dot(z_);
    if (num_basis() > 0) {
      const Eigen::VectorXd beta = MeanCoefficients();
      y += basis.dot(beta) - l->dot(zh_ * beta);
    }
  }
  double pivot_squared = kernel_(x, x) + noise_variance_ - l->squaredNorm();
  const double minimum = kMinimumPivotFraction * kernel_.signal_variance();
  if (!(pivot_squared >= minimum)) {
    pivot_squared = minimum;
    ++num_floored_pivots_;
  }
  *pivot = std::sqrt(pivot_squared);

  Eigen::MatrixXd grown = Eigen::MatrixXd::Zero(n + 1, n + 1);  // O(n²), negligible next to V
  grown.topLeftCorner(n, n) = cholesky_;
  grown.block(n, 0, 1, n) = l->transpose();
  grown(n, n) = *pivot;
  cholesky_ = std::move(grown);
  points_.conservativeResize(Eigen::NoChange, n + 1);
  points_.col(n) = x;
  values_.conservativeResize(n + 1);
  values_[n] = y;
  const double z_new = (y - l->dot(z_)) / *pivot;
  z_.conservativeResize(n + 1);
  z_[n] = z_new;
  if (num_basis() > 0) {
    BOREX_CHECK_EQ(basis.size(), num_basis());
    BOREX_CHECK(basis.allFinite());
    observed_basis_.conservativeResize(n + 1, num_basis());
    observed_basis_.row(n) = basis.transpose();
    // The new row of L⁻¹H, as for z: (hᵀ − lᵀZh)/d.
    const Eigen::RowVectorXd zh_new = (basis.transpose() - l->transpose() * zh_) / *pivot;
    zh_.conservativeResize(n + 1, num_basis());
    zh_.row(n) = zh_new;
  } else {
    BOREX_CHECK_EQ(basis.size(), 0);
  }
}

void CandidateGp::SetMeanBasis(Eigen::MatrixXf candidate_basis, Eigen::VectorXd prior_mean,
                               Eigen::VectorXd prior_variance, int nonnegative_coefficient) {
  BOREX_CHECK_EQ(num_observations(), 0);
  BOREX_CHECK(nonnegative_coefficient >= -1 && nonnegative_coefficient < prior_mean.size());
  BOREX_CHECK_EQ(candidate_basis.rows(), candidates_.cols());
  BOREX_CHECK_EQ(candidate_basis.cols(), prior_mean.size());
  BOREX_CHECK_EQ(prior_variance.size(), prior_mean.size());
  BOREX_CHECK(candidate_basis.allFinite() && prior_mean.allFinite());
  BOREX_CHECK((prior_variance.array() > 0).all() && prior_variance.allFinite());
  const Eigen::Index p = prior_mean.size();
  candidate_basis_ = std::move(candidate_basis);
  basis_prior_mean_ = std::move(prior_mean);
  basis_prior_precision_ = prior_variance.cwiseInverse();
  nonnegative_coefficient_ = nonnegative_coefficient;
  observed_basis_.resize(0, p);
  zh_.resize(0, p);
  w_ = Eigen::MatrixXf::Zero(candidates_.cols(), p);
  UpdateMeanFunction();
}

Eigen::MatrixXd CandidateGp::CoefficientPrecisionMatrix() const {
  Eigen::MatrixXd a = zh_.transpose() * zh_;
  a.diagonal() += basis_prior_precision_;
  return a;
}

Eigen::LLT<Eigen::MatrixXd> CandidateGp::CoefficientPrecision() const {
  return Eigen::LLT<Eigen::MatrixXd>(CoefficientPrecisionMatrix());
}

Eigen::VectorXd CandidateGp::MeanCoefficients() const {
  if (num_basis() == 0) return Eigen::VectorXd();
  const Eigen::VectorXd c =
      zh_.transpose() * z_ + basis_prior_precision_.cwiseProduct(basis_prior_mean_);
  const Eigen::MatrixXd a = CoefficientPrecisionMatrix();
  Eigen::VectorXd beta = a.llt().solve(c);
  const int bounded = nonnegative_coefficient_;
  if (bounded < 0 || beta[bounded] >= 0) return beta;
  // The bound is active: β_j = 0 and the free coefficients minimise the quadratic on their own,
  // A_ff β_f = c_f.
  std::vector<Eigen::Index> free;
  for (Eigen::Index i = 0; i < beta.size(); ++i)
    if (i != bounded) free.push_back(i);
  const Eigen::MatrixXd a_free = a(free, free);
  const Eigen::VectorXd c_free = c(free);
  const Eigen::VectorXd beta_free = a_free.llt().solve(c_free);
  beta.setZero();
  beta(free) = beta_free;
  return beta;
}

void CandidateGp::UpdateMeanFunction() {
  if (num_basis() == 0) return;
  const Eigen::VectorXf beta = MeanCoefficients().cast<float>();
  const Eigen::MatrixXf a_inverse = CoefficientPrecision()
                                        .solve(Eigen::MatrixXd::Identity(num_basis(), num_basis()))
                                        .cast<float>();
  total_mean_.resize(mean_.size());
  total_variance_.resize(variance_.size());
  ForEachChunk(mean_.size(), kCandidateChunk, [&](Eigen::Index begin, Eigen::Index length) {
    const Eigen::MatrixXf r =  // R = Hc − VᵀZh
        candidate_basis_.middleRows(begin, length) - w_.middleRows(begin, length);
    total_mean_.segment(begin, length) = mean_.segment(begin, length) + r * beta;
    total_variance_.segment(begin, length) =
        variance_.segment(begin, length) +
        ((r * a_inverse).array() * r.array()).rowwise().sum().matrix();
  });
}

void CandidateGp::AddObservation(const Eigen::VectorXd& x, double y, const Eigen::VectorXd& basis) {
  BOREX_CHECK_EQ(num_pending_, 0);
  BOREX_CHECK(std::isfinite(y));
  Append(x, y, basis, /*pending=*/false);
}

void CandidateGp::AddPending(const Eigen::VectorXd& x, const Eigen::VectorXd& basis) {
  Append(x, 0.0, basis, /*pending=*/true);
  ++num_pending_;
}

void CandidateGp::ResolvePending(const Eigen::VectorXd& values) {
  BOREX_CHECK_EQ(values.size(), num_pending_);
  BOREX_CHECK(values.allFinite());
  const Eigen::Index n = num_observations(), first = n - num_pending_;
  // z = L⁻¹y: only the pending rows' entries change, in order (each depends on those before).
  Eigen::VectorXd delta(num_pending_);
  for (Eigen::Index i = first; i < n; ++i) {
    values_[i] = values[i - first];
    const double z_new = (values_[i] - cholesky_.row(i).head(i).dot(z_.head(i))) / cholesky_(i, i);
    delta[i - first] = z_new - z_[i];
    z_[i] = z_new;
  }
  mean_.noalias() += v_.middleRows(first, num_pending_).transpose() * delta.cast<float>();
  num_pending_ = 0;
  UpdateMeanFunction();
}

void CandidateGp::Append(const Eigen::VectorXd& x, double y, const Eigen::VectorXd& basis,
                         bool pending) {
  BOREX_CHECK_EQ(x.size(), kernel_.dimension());
  BOREX_CHECK(x.allFinite());
  const Eigen::Index n = num_observations();
  Eigen::VectorXd l;
  double pivot = 0;
  GrowCholesky(x, y, basis, &l, &pivot, pending);

  // New row of V: v = (k(x, C) − Vᵀl)/d, one GEMV over the stored rows; then the rank-one
  // updates mean += z_new·v and var −= v∘v. Each candidate's entries depend on it alone.
  ReserveRows(n + 1);
  const Eigen::VectorXf l_float = l.cast<float>();
  const auto inverse_pivot = static_cast<float>(1.0 / pivot);
  const auto z_new = static_cast<float>(z_[n]);
  const Eigen::RowVectorXf zh_new =
      num_basis() > 0 ? Eigen::RowVectorXf(zh_.row(n).cast<float>()) : Eigen::RowVectorXf();
  ForEachChunk(candidates_.cols(), kCandidateChunk, [&](Eigen::Index begin, Eigen::Index length) {
    Eigen::Map<Eigen::VectorXf> v(v_.row(n).data() + begin, length);
    kernel_.Column(x, candidates_.middleCols(begin, length), v);
    if (n > 0) v.noalias() -= v_.block(0, begin, n, length).transpose() * l_float;
    v *= inverse_pivot;
    mean_.segment(begin, length) += z_new * v;
    auto variance = variance_.segment(begin, length);
    variance = (variance.array() - v.array().square()).max(0.0f);
    if (num_basis() > 0) w_.middleRows(begin, length).noalias() += v * zh_new;
  });
  UpdateMeanFunction();
}

// By value: callers may pass observed_points() and observed_values() themselves.
void CandidateGp::SetObservations(Eigen::MatrixXd points, Eigen::VectorXd values,
                                  Eigen::MatrixXd basis) {
  BOREX_CHECK_EQ(points.rows(), kernel_.dimension());
  BOREX_CHECK_EQ(points.cols(), values.size());
  BOREX_CHECK(points.allFinite() && values.allFinite());
  BOREX_CHECK_EQ(num_pending_, 0);
  if (num_basis() > 0) {
    BOREX_CHECK_EQ(basis.rows(), values.size());
    BOREX_CHECK_EQ(basis.cols(), num_basis());
  }
  points_.resize(kernel_.dimension(), 0);
  values_.resize(0);
  cholesky_.resize(0, 0);
  z_.resize(0);
  observed_basis_.resize(0, num_basis());
  zh_.resize(0, num_basis());
  num_floored_pivots_ = 0;

  // L, z and Zh in double, row by row (O(n³), with the same pivot floor as AddObservation).
  Eigen::VectorXd l;
  double pivot = 0;
  for (Eigen::Index i = 0; i < values.size(); ++i)
    GrowCholesky(points.col(i), values[i],
                 num_basis() > 0 ? Eigen::VectorXd(basis.row(i).transpose()) : Eigen::VectorXd(),
                 &l, &pivot);

  // V = L⁻¹ K(X, C): kernel rows, then one blocked (GEMM-based) triangular solve in float.
  const Eigen::Index n = num_observations();
  ReserveRows(n);
  auto v = v_.topRows(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    Eigen::Map<Eigen::VectorXf> row(v_.row(i).data(), candidates_.cols());
    kernel_.Column(points_.col(i), candidates_, row);
  }
  const Eigen::MatrixXf cholesky = cholesky_.cast<float>();
  if (n > 0) cholesky.triangularView<Eigen::Lower>().solveInPlace(v);

  mean_.setZero();
  if (n > 0) mean_.noalias() = v.transpose() * z_.cast<float>();
  // Row by row: V is row-major, so this streams memory instead of striding down columns.
  variance_.setConstant(static_cast<float>(kernel_.signal_variance()));
  for (Eigen::Index i = 0; i < n; ++i) variance_.array() -= v.row(i).transpose().array().square();
  variance_ = variance_.array().max(0.0f);
  if (num_basis() > 0) {
    w_.setZero();
    if (n > 0) w_.noalias() = v.transpose() * zh_.cast<float>();
    UpdateMeanFunction();
  }
}

void CandidateGp::SetKernel(MaternKernel kernel) {
  BOREX_CHECK_EQ(kernel.dimension(), kernel_.dimension());
  BOREX_CHECK_EQ(num_pending_, 0);
  if (kernel.nu() == kernel_.nu() && kernel.signal_variance() == kernel_.signal_variance() &&
      kernel.length_scales() == kernel_.length_scales())
    return;
  kernel_ = std::move(kernel);
  SetObservations(points_, values_, observed_basis_);
}

CandidateGp CandidateGp::WithKernelOnly(MaternKernel kernel) const {
  BOREX_CHECK_EQ(num_pending_, 0);
  CandidateGp gp(std::move(kernel), Eigen::MatrixXf(kernel_.dimension(), 0), noise_variance_);
  if (num_basis() > 0)
    gp.SetMeanBasis(Eigen::MatrixXf(0, num_basis()), basis_prior_mean_,
                    basis_prior_precision_.cwiseInverse(), nonnegative_coefficient_);
  gp.SetObservations(points_, values_, observed_basis_);
  return gp;
}

void CandidateGp::PredictMean(const Eigen::Ref<const Eigen::MatrixXf>& points,
                              Eigen::Ref<Eigen::VectorXf> out) const {
  BOREX_CHECK_EQ(points.rows(), kernel_.dimension());
  BOREX_CHECK_EQ(out.size(), points.cols());
  Eigen::VectorXd alpha = z_;  // α = L⁻ᵀ(z − Zhβ̄) = (K + σn²I)⁻¹(y − Hβ̄)
  if (num_basis() > 0 && alpha.size() > 0) alpha -= zh_ * MeanCoefficients();
  if (alpha.size() > 0) cholesky_.triangularView<Eigen::Lower>().transpose().solveInPlace(alpha);
  ForEachChunk(points.cols(), kPredictChunk, [&](Eigen::Index begin, Eigen::Index length) {
    Eigen::VectorXf column(length);
    auto chunk = out.segment(begin, length);
    chunk.setZero();
    for (Eigen::Index i = 0; i < alpha.size(); ++i) {
      kernel_.Column(points_.col(i), points.middleCols(begin, length), column);
      chunk += static_cast<float>(alpha[i]) * column;
    }
  });
}

double CandidateGp::PredictVariance(const Eigen::VectorXd& x, const Eigen::VectorXd& basis) const {
  BOREX_CHECK_EQ(x.size(), kernel_.dimension());
  BOREX_CHECK_EQ(basis.size(), num_basis());
  const Eigen::Index n = num_observations();
  Eigen::VectorXd l(n);
  for (Eigen::Index i = 0; i < n; ++i) l[i] = kernel_(points_.col(i), x);
  if (n > 0) cholesky_.triangularView<Eigen::Lower>().solveInPlace(l);
  double variance = kernel_(x, x) - l.squaredNorm();
  if (num_basis() > 0) {
    const Eigen::VectorXd r = basis - zh_.transpose() * l;
    variance += r.dot(CoefficientPrecision().solve(r));
  }
  return std::max(0.0, variance);
}

double CandidateGp::LogMarginalLikelihood() const {
  BOREX_CHECK_EQ(num_pending_, 0);
  const double n = static_cast<double>(num_observations());
  if (num_basis() == 0)
    return -0.5 * z_.squaredNorm() - cholesky_.diagonal().array().log().sum() -
           0.5 * n * std::log(2.0 * M_PI);
  const double log_det_k = 2.0 * cholesky_.diagonal().array().log().sum();
  // e = L⁻¹(y − Hb); (K + HBHᵀ)⁻¹ = K⁻¹ − K⁻¹H A⁻¹ HᵀK⁻¹ and |K + HBHᵀ| = |K|·|B|·|A|.
  const Eigen::VectorXd e = z_ - zh_ * basis_prior_mean_;
  const Eigen::VectorXd q = zh_.transpose() * e;
  const Eigen::LLT<Eigen::MatrixXd> a = CoefficientPrecision();
  const double quadratic = e.squaredNorm() - q.dot(a.solve(q));
  const double log_det_a = 2.0 * Eigen::MatrixXd(a.matrixL()).diagonal().array().log().sum();
  const double log_det_b = -basis_prior_precision_.array().log().sum();
  return -0.5 * quadratic - 0.5 * (log_det_k + log_det_b + log_det_a) -
         0.5 * n * std::log(2.0 * M_PI);
}

}  // namespace borex::gp
