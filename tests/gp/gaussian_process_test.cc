#include "borex/gp/gaussian_process.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <random>
#include <tuple>

#include "borex/core/error.h"
#include "borex/core/threads.h"

namespace borex::gp {
namespace {

// The dense closed form (R&W eqs. 2.25-2.26, 2.30) in double precision via LDLT, independent of
// the incremental Cholesky.
struct DenseGp {
  DenseGp(const MaternKernel& kernel_in, const Eigen::MatrixXd& x_in, const Eigen::VectorXd& y,
          double noise)
      : kernel(kernel_in), x(x_in) {
    const Eigen::Index n = x.cols();
    Eigen::MatrixXd k(n, n);
    for (Eigen::Index i = 0; i < n; ++i)
      for (Eigen::Index j = 0; j < n; ++j) k(i, j) = kernel(x.col(i), x.col(j));
    k.diagonal().array() += noise;
    ldlt.compute(k);
    alpha = ldlt.solve(y);
    log_likelihood = -0.5 * y.dot(alpha) - 0.5 * ldlt.vectorD().array().log().sum() -
                     0.5 * static_cast<double>(n) * std::log(2 * M_PI);
  }
  Eigen::VectorXd Cross(const Eigen::VectorXd& p) const {
    Eigen::VectorXd k(x.cols());
    for (Eigen::Index i = 0; i < x.cols(); ++i) k[i] = kernel(x.col(i), p);
    return k;
  }
  double Mean(const Eigen::VectorXd& p) const { return Cross(p).dot(alpha); }
  double Variance(const Eigen::VectorXd& p) const {
    const Eigen::VectorXd k = Cross(p);
    return kernel(p, p) - k.dot(ldlt.solve(k));
  }
  MaternKernel kernel;
  Eigen::MatrixXd x;
  Eigen::LDLT<Eigen::MatrixXd> ldlt;
  Eigen::VectorXd alpha;
  double log_likelihood;
};

constexpr double kNoise = 0.01;

// ~1e-4 relative to the scale of the quantity (values here are O(0.1..1)).
void ExpectClose(double actual, double expected, const std::string& what) {
  EXPECT_NEAR(actual, expected, 1e-4 * std::max(1.0, std::abs(expected))) << what;
}

struct Problem {
  Eigen::MatrixXf candidates;  // 3 x m, random rows/cols in [0, 64), sizes in {10, 20, 30}
  Eigen::MatrixXd points;      // 3 x n observations, not on the candidates
  Eigen::VectorXd values;
};

Problem RandomProblem(uint64_t seed, int observations, int candidates = 600) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> position(0, 64), value(-0.5, 0.5), jitter(-0.5, 0.5);
  const double sizes[] = {10, 20, 30};
  Problem p;
  p.candidates.resize(3, candidates);
  for (int j = 0; j < candidates; ++j)
    p.candidates.col(j) << static_cast<float>(std::floor(position(engine))),
        static_cast<float>(std::floor(position(engine))), static_cast<float>(sizes[engine() % 3]);
  p.points.resize(3, observations);
  p.values.resize(observations);
  for (int i = 0; i < observations; ++i) {
    p.points.col(i) << position(engine), position(engine), sizes[engine() % 3] + jitter(engine);
    p.values[i] = value(engine);
  }
  return p;
}

MaternKernel TestKernel(MaternNu nu = MaternNu::kThreeHalves) {
  return MaternKernel(nu, Eigen::Vector3d(12, 12, 20), 1.0);
}

// Posterior of `gp` at every candidate against the dense solve and, if given, another GP.
void ExpectPosteriorEquals(const CandidateGp& gp, const DenseGp& dense, const Problem& p,
                           const std::string& context) {
  for (Eigen::Index j = 0; j < p.candidates.cols(); ++j) {
    const Eigen::VectorXd c = p.candidates.col(j).cast<double>();
    ExpectClose(gp.candidate_mean()[j], dense.Mean(c), context + " mean j=" + std::to_string(j));
    ExpectClose(gp.candidate_variance()[j], dense.Variance(c),
                context + " variance j=" + std::to_string(j));
  }
}

class GaussianProcessSeedTest : public ::testing::TestWithParam<std::tuple<uint64_t, MaternNu>> {};

TEST_P(GaussianProcessSeedTest, IncrementalPosteriorEqualsBatchFitAndDenseSolveAfterEveryStep) {
  const auto [seed, nu] = GetParam();
  const Problem p = RandomProblem(seed, 30);
  CandidateGp gp(TestKernel(nu), p.candidates, kNoise);
  for (Eigen::Index n = 1; n <= p.points.cols(); ++n) {
    gp.AddObservation(p.points.col(n - 1), p.values[n - 1]);
    ASSERT_EQ(gp.num_observations(), n);
    const std::string context = "n=" + std::to_string(n);
    const DenseGp dense(TestKernel(nu), p.points.leftCols(n), p.values.head(n), kNoise);
    ExpectPosteriorEquals(gp, dense, p, context);
    CandidateGp fresh(TestKernel(nu), p.candidates, kNoise);
    fresh.SetObservations(p.points.leftCols(n), p.values.head(n));
    EXPECT_LT((gp.candidate_mean() - fresh.candidate_mean()).cwiseAbs().maxCoeff(), 1e-5)
        << context;
    EXPECT_LT((gp.candidate_variance() - fresh.candidate_variance()).cwiseAbs().maxCoeff(), 1e-5)
        << context;
    EXPECT_NEAR(gp.LogMarginalLikelihood(), dense.log_likelihood,
                1e-8 * std::max(1.0, std::abs(dense.log_likelihood)))
        << context;
    EXPECT_NEAR(fresh.LogMarginalLikelihood(), gp.LogMarginalLikelihood(), 1e-10) << context;
  }
  EXPECT_EQ(gp.num_floored_pivots(), 0);
  EXPECT_EQ(gp.observed_points(), p.points);
  EXPECT_EQ(gp.observed_values(), p.values);
}

TEST_P(GaussianProcessSeedTest, SetKernelRefitEqualsAFreshFitWithThatKernel) {
  const auto [seed, nu] = GetParam();
  const Problem p = RandomProblem(seed, 20);
  CandidateGp incremental(TestKernel(nu), p.candidates, kNoise);
  for (Eigen::Index i = 0; i < 20; ++i) incremental.AddObservation(p.points.col(i), p.values[i]);
  CandidateGp refit(MaternKernel(MaternNu::kFiveHalves, Eigen::Vector3d(5, 30, 2), 2.0),
                    p.candidates, kNoise, /*max_observations=*/25);
  for (Eigen::Index i = 0; i < 20; ++i) refit.AddObservation(p.points.col(i), p.values[i]);
  // Before the refit the two models differ (so the comparison below can fail).
  EXPECT_GT((incremental.candidate_mean() - refit.candidate_mean()).cwiseAbs().maxCoeff(), 1e-2);
  refit.SetKernel(TestKernel(nu));
  EXPECT_EQ(refit.num_observations(), 20);
  EXPECT_EQ(refit.kernel().length_scales(), TestKernel(nu).length_scales());
  EXPECT_LT((incremental.candidate_mean() - refit.candidate_mean()).cwiseAbs().maxCoeff(), 1e-5);
  EXPECT_LT((incremental.candidate_variance() - refit.candidate_variance()).cwiseAbs().maxCoeff(),
            1e-5);
  ExpectPosteriorEquals(refit, DenseGp(TestKernel(nu), p.points, p.values, kNoise), p, "refit");
  // And it keeps updating incrementally afterwards.
  const Problem more = RandomProblem(seed + 100, 5);
  Eigen::MatrixXd all_points(3, 25);
  all_points << p.points, more.points;
  Eigen::VectorXd all_values(25);
  all_values << p.values, more.values;
  for (Eigen::Index i = 0; i < 5; ++i) refit.AddObservation(more.points.col(i), more.values[i]);
  ExpectPosteriorEquals(refit, DenseGp(TestKernel(nu), all_points, all_values, kNoise), p,
                        "after refit");
}

// --hyperopt's fit often returns the current length scales (held at a bound): SetKernel then
// skips the rebuild. What a refit would recompute from the observations (L, z, hence the
// likelihood and PredictMean) is bit for bit the refit's; the candidates' posterior, left as the
// incremental updates made it, equals the refit's blocked solve to float rounding.
TEST_P(GaussianProcessSeedTest, SetKernelWithTheSameKernelEqualsARefitWithIt) {
  const auto [seed, nu] = GetParam();
  const Problem p = RandomProblem(seed, 20);
  CandidateGp skipped(TestKernel(nu), p.candidates, kNoise);
  CandidateGp refit(TestKernel(nu), p.candidates, kNoise);
  for (Eigen::Index i = 0; i < 20; ++i) {
    skipped.AddObservation(p.points.col(i), p.values[i]);
    skipped.SetKernel(TestKernel(nu));
    refit.AddObservation(p.points.col(i), p.values[i]);
    refit.SetObservations(refit.observed_points(), refit.observed_values());  // the old SetKernel
    EXPECT_EQ(skipped.LogMarginalLikelihood(), refit.LogMarginalLikelihood()) << i;
    EXPECT_LT((skipped.candidate_mean() - refit.candidate_mean()).cwiseAbs().maxCoeff(), 1e-5);
    EXPECT_LT((skipped.candidate_variance() - refit.candidate_variance()).cwiseAbs().maxCoeff(),
              1e-5);
  }
  Eigen::VectorXf skipped_mean(p.candidates.cols()), refit_mean(p.candidates.cols());
  skipped.PredictMean(p.candidates, skipped_mean);
  refit.PredictMean(p.candidates, refit_mean);
  EXPECT_EQ(skipped_mean, refit_mean);
  ExpectPosteriorEquals(skipped, DenseGp(TestKernel(nu), p.points, p.values, kNoise), p, "kept");
}

TEST_P(GaussianProcessSeedTest, PredictionsAwayFromTheCandidatesEqualTheDenseSolve) {
  const auto [seed, nu] = GetParam();
  const Problem p = RandomProblem(seed, 25);
  CandidateGp gp(TestKernel(nu), p.candidates, kNoise);
  for (Eigen::Index i = 0; i < 25; ++i) gp.AddObservation(p.points.col(i), p.values[i]);
  const DenseGp dense(TestKernel(nu), p.points, p.values, kNoise);
  // More points than one PredictMean chunk (4096), so the chunking is exercised.
  std::mt19937_64 engine(seed + 7);
  std::uniform_real_distribution<float> position(-8.0f, 72.0f), size(5.0f, 35.0f);
  Eigen::MatrixXf queries(3, 9000);
  for (Eigen::Index j = 0; j < queries.cols(); ++j)
    queries.col(j) << position(engine), position(engine), size(engine);
  Eigen::VectorXf predicted(queries.cols());
  gp.PredictMean(queries, predicted);
  for (Eigen::Index j = 0; j < queries.cols(); j += 37) {
    const Eigen::VectorXd q = queries.col(j).cast<double>();
    ExpectClose(predicted[j], dense.Mean(q), "mean j=" + std::to_string(j));
    EXPECT_NEAR(gp.PredictVariance(q), dense.Variance(q), 1e-8) << j;
  }
  ExpectClose(predicted[queries.cols() - 1],
              dense.Mean(queries.col(queries.cols() - 1).cast<double>()), "last point");
  // At the candidates, PredictMean agrees with the incrementally maintained mean.
  Eigen::VectorXf at_candidates(p.candidates.cols());
  gp.PredictMean(p.candidates, at_candidates);
  EXPECT_LT((at_candidates - gp.candidate_mean()).cwiseAbs().maxCoeff(), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Seeds, GaussianProcessSeedTest,
                         ::testing::Combine(::testing::Values(1u, 2u, 3u, 99u),
                                            ::testing::Values(MaternNu::kOneHalf,
                                                              MaternNu::kThreeHalves,
                                                              MaternNu::kFiveHalves)));

TEST(GaussianProcessTest, LogMarginalLikelihoodMatchesTheDenseFormula) {
  const Problem p = RandomProblem(11, 12);
  const MaternKernel kernel(MaternNu::kFiveHalves, Eigen::Vector3d(7, 15, 9), 0.8);
  CandidateGp gp(kernel, p.candidates, 0.05);
  EXPECT_EQ(gp.LogMarginalLikelihood(), 0.0);  // no data: log p(∅) = 0
  for (Eigen::Index i = 0; i < 12; ++i) gp.AddObservation(p.points.col(i), p.values[i]);
  // −½ yᵀK⁻¹y − ½ log|K| − n/2 log 2π with K from a full-pivot LU.
  Eigen::MatrixXd k(12, 12);
  for (int i = 0; i < 12; ++i)
    for (int j = 0; j < 12; ++j) k(i, j) = kernel(p.points.col(i), p.points.col(j));
  k.diagonal().array() += 0.05;
  const Eigen::FullPivLU<Eigen::MatrixXd> lu(k);
  const double expected = -0.5 * p.values.dot(lu.solve(p.values)) -
                          0.5 * std::log(lu.determinant()) - 6.0 * std::log(2 * M_PI);
  EXPECT_NEAR(gp.LogMarginalLikelihood(), expected, 1e-9 * std::abs(expected));
}

TEST(GaussianProcessTest, DuplicateObservationsEqualTheDenseSolve) {
  Problem p = RandomProblem(5, 12);
  // Points 3, 7 and 11 repeat point 0 with other values (noise makes this well posed).
  for (int i : {3, 7, 11}) p.points.col(i) = p.points.col(0);
  CandidateGp gp(TestKernel(), p.candidates, kNoise);
  for (Eigen::Index i = 0; i < 12; ++i) gp.AddObservation(p.points.col(i), p.values[i]);
  EXPECT_EQ(gp.num_floored_pivots(), 0);
  ExpectPosteriorEquals(gp, DenseGp(TestKernel(), p.points, p.values, kNoise), p, "duplicates");
}

TEST(GaussianProcessTest, DuplicatesWithTinyNoiseStayFiniteThroughThePivotFloor) {
  const Problem p = RandomProblem(6, 3);
  for (double noise : {1e-9, 1e-14}) {
    CandidateGp gp(TestKernel(), p.candidates, noise);
    // Without the floor, d² = k + σn² − lᵀl rounds to ~0 or below and sqrt gives NaN/∞.
    for (int i = 0; i < 6; ++i) gp.AddObservation(p.points.col(0), 0.3 + 0.01 * (i % 2));
    gp.AddObservation(p.points.col(1), -0.2);
    EXPECT_GT(gp.num_floored_pivots(), 0) << noise;
    EXPECT_TRUE(gp.candidate_mean().allFinite()) << noise;
    EXPECT_TRUE(gp.candidate_variance().allFinite()) << noise;
    EXPECT_GE(gp.candidate_variance().minCoeff(), 0.0f);
    EXPECT_LE(gp.candidate_variance().maxCoeff(), 1.0f);
    EXPECT_TRUE(std::isfinite(gp.LogMarginalLikelihood()));
    // The repeated point's mean is near its observed values, not blown up.
    Eigen::VectorXf at_point(1);
    gp.PredictMean(p.points.col(0).cast<float>(), at_point);
    EXPECT_NEAR(at_point[0], 0.305, 0.02) << noise;
    EXPECT_LT(gp.candidate_mean().cwiseAbs().maxCoeff(), 2.0f);
    gp.SetKernel(TestKernel(MaternNu::kFiveHalves));
    EXPECT_GT(gp.num_floored_pivots(), 0);
    EXPECT_TRUE(gp.candidate_mean().allFinite() && gp.candidate_variance().allFinite());
  }
}

TEST(GaussianProcessTest, ThePivotFloorIsRelativeToTheSignalVariance) {
  // A point observed twice leaves d² = σn²(2σf² + σn²)/(σf² + σn²) ≈ 2σn² for its second pivot;
  // the floor is 1e-6·σf², so whether it applies depends on σf² as well as σn².
  const Problem p = RandomProblem(7, 1, 20);
  const auto floored = [&](double signal_variance, double noise) {
    CandidateGp gp(
        MaternKernel(MaternNu::kFiveHalves, Eigen::Vector3d(12, 12, 20), signal_variance),
        p.candidates, noise);
    gp.AddObservation(p.points.col(0), 0.3);
    gp.AddObservation(p.points.col(0), 0.4);
    return gp.num_floored_pivots();
  };
  EXPECT_EQ(floored(100.0, 1e-5), 1);  // 2e-5 < 1e-4
  EXPECT_EQ(floored(1e-4, 1e-9), 0);   // 2e-9 ≥ 1e-10
}

TEST(GaussianProcessTest, NoObservationsIsThePrior) {
  const Problem p = RandomProblem(5, 1);
  CandidateGp gp(MaternKernel(MaternNu::kOneHalf, Eigen::Vector3d(1, 2, 3), 0.7), p.candidates);
  EXPECT_EQ(gp.noise_variance(), 0.01);  // the authors' alpha
  EXPECT_EQ(gp.num_observations(), 0);
  EXPECT_EQ(gp.candidate_mean().cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_EQ(gp.candidate_variance().minCoeff(), 0.7f);
  EXPECT_EQ(gp.candidate_variance().maxCoeff(), 0.7f);
  EXPECT_NEAR(gp.PredictVariance(Eigen::Vector3d(1, 2, 3)), 0.7, 1e-15);
  Eigen::VectorXf mean(p.candidates.cols());
  gp.PredictMean(p.candidates, mean);
  EXPECT_EQ(mean.cwiseAbs().maxCoeff(), 0.0f);
}

TEST(GaussianProcessTest, ObservingReducesVarianceMostNearThePoint) {
  const Problem p = RandomProblem(8, 1);
  CandidateGp gp(TestKernel(), p.candidates, kNoise);
  const Eigen::VectorXf before = gp.candidate_variance();
  gp.AddObservation(p.points.col(0), 0.4);
  EXPECT_TRUE((gp.candidate_variance().array() <= before.array()).all());
  Eigen::Index nearest = 0, highest_mean = 0;
  (p.candidates.cast<double>().colwise() - p.points.col(0))
      .cwiseQuotient(Eigen::Vector3d(12, 12, 20).replicate(1, p.candidates.cols()))
      .colwise()
      .squaredNorm()
      .minCoeff(&nearest);
  gp.candidate_mean().maxCoeff(&highest_mean);
  EXPECT_EQ(highest_mean, nearest);
  // One observation: μ = k·y/(σf² + σn²), var = σf² − k²/(σf² + σn²).
  const double k = TestKernel()(p.points.col(0), p.candidates.col(nearest).cast<double>());
  EXPECT_NEAR(gp.candidate_mean()[nearest], k * 0.4 / 1.01, 1e-6);
  EXPECT_NEAR(gp.candidate_variance()[nearest], 1.0 - k * k / 1.01, 1e-6);
}

TEST(GaussianProcessTest, RejectsInvalidInput) {
  const Problem p = RandomProblem(5, 1);
  EXPECT_THROW(CandidateGp(TestKernel(), p.candidates, 0.0), OptionError);
  EXPECT_THROW(CandidateGp(TestKernel(), p.candidates, -1.0), OptionError);
  EXPECT_THROW(CandidateGp(TestKernel(), Eigen::MatrixXf::Zero(2, 4), kNoise), Error);
  CandidateGp gp(TestKernel(), p.candidates, kNoise);
  EXPECT_THROW(gp.AddObservation(Eigen::Vector2d(1, 2), 0.0), Error);
  EXPECT_THROW(gp.AddObservation(Eigen::Vector3d(1, 2, NAN), 0.0), Error);
  EXPECT_THROW(gp.AddObservation(Eigen::Vector3d(1, 2, 3), NAN), Error);
  EXPECT_EQ(gp.num_observations(), 0);
  EXPECT_THROW(gp.SetKernel(MaternKernel(MaternNu::kOneHalf, Eigen::Vector2d(1, 1))), Error);
}

// Universal kriging (R&W §2.7) in closed form, dense and in double: K = K(X,X) + σn²I,
// A = B⁻¹ + HᵀK⁻¹H, β̄ = A⁻¹(HᵀK⁻¹y + B⁻¹b), mean = hᵀβ̄ + kᵀK⁻¹(y − Hβ̄),
// var = k(x,x) − kᵀK⁻¹k + rᵀA⁻¹r with r = h − HᵀK⁻¹k, and log N(y; Hb, K + HBHᵀ) from its own
// LDLT (not through Woodbury).
struct DenseKriging {
  DenseKriging(const MaternKernel& kernel, const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
               const Eigen::MatrixXd& h, const Eigen::VectorXd& b, const Eigen::VectorXd& var_b,
               double noise)
      : gp(kernel, x, y, noise), h_(h) {
    const Eigen::MatrixXd k_inv_h = gp.ldlt.solve(h);
    a = Eigen::MatrixXd(var_b.cwiseInverse().asDiagonal()) + h.transpose() * k_inv_h;
    beta = a.ldlt().solve(h.transpose() * gp.ldlt.solve(y) + var_b.cwiseInverse().cwiseProduct(b));
    residual_alpha = gp.ldlt.solve(y - h * beta);
    Eigen::MatrixXd covariance =
        gp.ldlt.reconstructedMatrix() + h * var_b.asDiagonal() * h.transpose();
    const Eigen::LDLT<Eigen::MatrixXd> full(covariance);
    const Eigen::VectorXd e = y - h * b;
    log_likelihood = -0.5 * e.dot(full.solve(e)) - 0.5 * full.vectorD().array().log().sum() -
                     0.5 * static_cast<double>(y.size()) * std::log(2 * M_PI);
  }
  double KrigingMean(const Eigen::VectorXd& p) const { return gp.Cross(p).dot(residual_alpha); }
  double Mean(const Eigen::VectorXd& p, const Eigen::VectorXd& hp) const {
    return hp.dot(beta) + KrigingMean(p);
  }
  double Variance(const Eigen::VectorXd& p, const Eigen::VectorXd& hp) const {
    const Eigen::VectorXd k = gp.Cross(p);
    const Eigen::VectorXd r = hp - h_.transpose() * gp.ldlt.solve(k);
    return gp.Variance(p) + r.dot(a.ldlt().solve(r));
  }
  DenseGp gp;
  Eigen::MatrixXd h_, a;
  Eigen::VectorXd beta, residual_alpha;
  double log_likelihood;
};

// Basis (f(x), 1) with f smooth in the position, as a prior map averaged over a mask would be.
Eigen::Vector2d Basis(const Eigen::VectorXd& x) {
  return Eigen::Vector2d(std::sin(x[0] / 9.0) * std::cos(x[1] / 13.0) + 0.02 * x[2], 1.0);
}

Eigen::MatrixXf CandidateBasis(const Eigen::MatrixXf& candidates) {
  Eigen::MatrixXf basis(candidates.cols(), 2);
  for (Eigen::Index j = 0; j < candidates.cols(); ++j)
    basis.row(j) = Basis(candidates.col(j).cast<double>()).transpose().cast<float>();
  return basis;
}

TEST(UniversalKrigingTest, IncrementalStateEqualsTheDenseClosedFormAfterEveryStep) {
  const Problem p = RandomProblem(21, 25, 300);
  const Eigen::Vector2d prior_mean(1.0, 0.0), prior_variance(100.0, 1.0);
  CandidateGp gp(TestKernel(), p.candidates, kNoise);
  gp.SetMeanBasis(CandidateBasis(p.candidates), prior_mean, prior_variance);
  // No observation: the prior mean function, and σf² plus hᵀBh.
  for (Eigen::Index j = 0; j < 5; ++j) {
    const Eigen::Vector2d h = Basis(p.candidates.col(j).cast<double>());
    ExpectClose(gp.candidate_mean()[j], h.dot(prior_mean), "prior mean");
    ExpectClose(gp.candidate_variance()[j], 1.0 + h.cwiseProduct(h).dot(prior_variance),
                "prior variance");
  }
  Eigen::MatrixXd basis(p.points.cols(), 2);
  for (Eigen::Index i = 0; i < p.points.cols(); ++i)
    basis.row(i) = Basis(p.points.col(i)).transpose();
  // Observations that follow 3·f + 0.4 plus the random values: a clear mean function.
  const Eigen::VectorXd values = 3.0 * basis.col(0) + 0.4 * basis.col(1) + 0.3 * p.values;
  for (Eigen::Index n = 1; n <= p.points.cols(); ++n) {
    gp.AddObservation(p.points.col(n - 1), values[n - 1], basis.row(n - 1).transpose());
    const std::string context = "n=" + std::to_string(n);
    const DenseKriging dense(TestKernel(), p.points.leftCols(n), values.head(n), basis.topRows(n),
                             prior_mean, prior_variance, kNoise);
    const Eigen::VectorXd beta = gp.MeanCoefficients();
    ExpectClose(beta[0], dense.beta[0], context + " a");
    ExpectClose(beta[1], dense.beta[1], context + " b");
    ExpectClose(gp.LogMarginalLikelihood(), dense.log_likelihood, context + " likelihood");
    for (Eigen::Index j = 0; j < p.candidates.cols(); j += 7) {
      const Eigen::VectorXd c = p.candidates.col(j).cast<double>();
      ExpectClose(gp.candidate_mean()[j], dense.Mean(c, Basis(c)), context + " mean");
      ExpectClose(gp.candidate_variance()[j], dense.Variance(c, Basis(c)), context + " variance");
      ExpectClose(gp.PredictVariance(c, Basis(c)), dense.Variance(c, Basis(c)),
                  context + " PredictVariance");
    }
  }
  // The coefficients are found; β's uncertainty is what lifts the variance above the
  // zero-mean GP's.
  EXPECT_NEAR(gp.MeanCoefficients()[0], 3.0, 0.5);
  // PredictMean: the kriging part only, K(x, X)K⁻¹(y − Hβ̄).
  Eigen::VectorXf kriging(p.candidates.cols());
  gp.PredictMean(p.candidates, kriging);
  const DenseKriging dense(TestKernel(), p.points, values, basis, prior_mean, prior_variance,
                           kNoise);
  for (Eigen::Index j = 0; j < p.candidates.cols(); j += 11)
    ExpectClose(kriging[j], dense.KrigingMean(p.candidates.col(j).cast<double>()), "kriging");
  // A refit from scratch (SetObservations) and a kernel-only copy hold the same state.
  CandidateGp fresh(TestKernel(), p.candidates, kNoise);
  fresh.SetMeanBasis(CandidateBasis(p.candidates), prior_mean, prior_variance);
  fresh.SetObservations(p.points, values, basis);
  const CandidateGp copy = gp.WithKernelOnly(TestKernel());
  EXPECT_EQ(copy.candidates().cols(), 0);
  for (const CandidateGp* other : {static_cast<const CandidateGp*>(&fresh), &copy}) {
    ExpectClose(other->MeanCoefficients()[0], dense.beta[0], "refit a");
    ExpectClose(other->LogMarginalLikelihood(), dense.log_likelihood, "refit likelihood");
  }
  for (Eigen::Index j = 0; j < p.candidates.cols(); j += 7) {
    const Eigen::VectorXd c = p.candidates.col(j).cast<double>();
    ExpectClose(fresh.candidate_mean()[j], dense.Mean(c, Basis(c)), "refit mean");
    ExpectClose(fresh.candidate_variance()[j], dense.Variance(c, Basis(c)), "refit variance");
  }
}

TEST(UniversalKrigingTest, ConstantBasisIsOrdinaryKrigingAndTheObservationsSetTheLevel) {
  const Problem p = RandomProblem(4, 20, 100);
  CandidateGp gp(TestKernel(), p.candidates, kNoise);
  gp.SetMeanBasis(Eigen::MatrixXf::Ones(p.candidates.cols(), 1), Eigen::VectorXd::Zero(1),
                  Eigen::VectorXd::Constant(1, 1e6));
  for (Eigen::Index i = 0; i < p.points.cols(); ++i)
    gp.AddObservation(p.points.col(i), 5.0, Eigen::VectorXd::Ones(1));
  // Every observation equal: the constant is the level (up to the GP's own share).
  EXPECT_NEAR(gp.MeanCoefficients()[0], 5.0, 0.05);
  EXPECT_NEAR(gp.candidate_mean()[0], 5.0, 0.05);
}

// The bound a ≥ 0 (SetMeanBasis's nonnegative_coefficient): observations that follow −3·f + 0.4
// make the unbounded a negative; then β̄ = (0, b̃) and the mean are those of the dense model
// without the regressor f (the constant alone, with its own prior), after every step where the
// unbounded a < 0; elsewhere, and with a positive a, the unbounded solution bit for bit. The
// variance keeps the unbounded β's uncertainty, a kernel-only copy keeps the bound, and pending
// points leave a bounded mean as it is.
TEST(UniversalKrigingTest, NonnegativeBoundEqualsTheDenseSolveWithoutThatRegressorWhenActive) {
  const Problem p = RandomProblem(23, 25, 300);
  const Eigen::Vector2d prior_mean(1.0, 0.0), prior_variance(100.0, 1.0);
  Eigen::MatrixXd basis(p.points.cols(), 2);
  for (Eigen::Index i = 0; i < p.points.cols(); ++i)
    basis.row(i) = Basis(p.points.col(i)).transpose();
  for (const double sign : {-1.0, 1.0}) {
    const Eigen::VectorXd values = sign * 3.0 * basis.col(0) + 0.4 * basis.col(1) + 0.3 * p.values;
    CandidateGp bounded(TestKernel(), p.candidates, kNoise);
    CandidateGp unbounded(TestKernel(), p.candidates, kNoise);
    bounded.SetMeanBasis(CandidateBasis(p.candidates), prior_mean, prior_variance, 0);
    unbounded.SetMeanBasis(CandidateBasis(p.candidates), prior_mean, prior_variance);
    int active_steps = 0;
    for (Eigen::Index n = 1; n <= p.points.cols(); ++n) {
      bounded.AddObservation(p.points.col(n - 1), values[n - 1], basis.row(n - 1).transpose());
      unbounded.AddObservation(p.points.col(n - 1), values[n - 1], basis.row(n - 1).transpose());
      const std::string context = "sign=" + std::to_string(sign) + " n=" + std::to_string(n);
      const DenseKriging full(TestKernel(), p.points.leftCols(n), values.head(n), basis.topRows(n),
                              prior_mean, prior_variance, kNoise);
      const Eigen::VectorXd beta = bounded.MeanCoefficients();
      if (full.beta[0] >= 0) {
        EXPECT_EQ(beta, unbounded.MeanCoefficients()) << context;
        EXPECT_EQ(bounded.candidate_mean(), unbounded.candidate_mean()) << context;
        continue;
      }
      ++active_steps;
      const DenseKriging reduced(TestKernel(), p.points.leftCols(n), values.head(n),
                                 basis.topRows(n).rightCols(1), prior_mean.tail(1),
                                 prior_variance.tail(1), kNoise);
      EXPECT_EQ(beta[0], 0.0) << context;
      ExpectClose(beta[1], reduced.beta[0], context + " b");
      for (Eigen::Index j = 0; j < p.candidates.cols(); j += 7) {
        const Eigen::VectorXd c = p.candidates.col(j).cast<double>();
        ExpectClose(bounded.candidate_mean()[j], reduced.Mean(c, Basis(c).tail(1)),
                    context + " mean");
        ExpectClose(bounded.candidate_variance()[j], full.Variance(c, Basis(c)),
                    context + " variance");
      }
    }
    if (sign > 0) {
      EXPECT_EQ(active_steps, 0);
      continue;
    }
    EXPECT_GT(active_steps, 20);  // the regressor is clearly inverted after a few observations
    const DenseKriging reduced(TestKernel(), p.points, values, basis.rightCols(1),
                               prior_mean.tail(1), prior_variance.tail(1), kNoise);
    Eigen::VectorXf kriging(p.candidates.cols());
    bounded.PredictMean(p.candidates, kriging);
    for (Eigen::Index j = 0; j < p.candidates.cols(); j += 11)
      ExpectClose(kriging[j], reduced.KrigingMean(p.candidates.col(j).cast<double>()),
                  "bounded kriging");
    EXPECT_EQ(bounded.WithKernelOnly(TestKernel()).MeanCoefficients()[0], 0.0);
    const Eigen::VectorXf mean_before = bounded.candidate_mean();
    const Problem more = RandomProblem(24, 4, 1);
    for (Eigen::Index i = 0; i < more.points.cols(); ++i)
      bounded.AddPending(more.points.col(i), Basis(more.points.col(i)));
    EXPECT_EQ(bounded.MeanCoefficients()[0], 0.0);
    EXPECT_LT((bounded.candidate_mean() - mean_before).cwiseAbs().maxCoeff(), 1e-5);
  }
}

// GP-BUCB: 12 observations, then 5 pending points, then their values. The variance with the
// pending points equals the dense solve with them added (whatever their values); the mean stays;
// resolving gives the state of 17 real observations.
void ExpectPendingMatchesDenseAndResolvedMatchesSequential(bool with_basis) {
  const Problem p = RandomProblem(31, 17, 300);
  const Eigen::Vector2d prior_mean(1.0, 0.0), prior_variance(100.0, 1.0);
  Eigen::MatrixXd basis(p.points.cols(), 2);
  for (Eigen::Index i = 0; i < p.points.cols(); ++i)
    basis.row(i) = Basis(p.points.col(i)).transpose();
  const auto make = [&] {
    CandidateGp gp(TestKernel(), p.candidates, kNoise);
    if (with_basis) gp.SetMeanBasis(CandidateBasis(p.candidates), prior_mean, prior_variance);
    return gp;
  };
  const auto h = [&](Eigen::Index i) {
    return with_basis ? Eigen::VectorXd(basis.row(i).transpose()) : Eigen::VectorXd();
  };
  const auto candidate_h = [&](const Eigen::VectorXd& c) {
    return with_basis ? Eigen::VectorXd(Basis(c)) : Eigen::VectorXd::Zero(2);
  };
  CandidateGp batched = make(), sequential = make();
  for (Eigen::Index i = 0; i < 12; ++i) {
    batched.AddObservation(p.points.col(i), p.values[i], h(i));
    sequential.AddObservation(p.points.col(i), p.values[i], h(i));
  }
  const Eigen::VectorXf mean_before = batched.candidate_mean();
  for (Eigen::Index i = 12; i < 17; ++i) batched.AddPending(p.points.col(i), h(i));
  EXPECT_EQ(batched.num_pending(), 5);
  EXPECT_LT((batched.candidate_mean() - mean_before).cwiseAbs().maxCoeff(), 1e-5);
  // Any values give the same variance: compare with the dense solve at zeros.
  const Eigen::MatrixXd h_all = with_basis ? basis : Eigen::MatrixXd::Zero(17, 2);
  const Eigen::Vector2d var_b = with_basis ? prior_variance : Eigen::Vector2d(1e-12, 1e-12);
  const DenseKriging dense_pending(TestKernel(), p.points, Eigen::VectorXd::Zero(17), h_all,
                                   prior_mean, var_b, kNoise);
  for (Eigen::Index j = 0; j < p.candidates.cols(); j += 5) {
    const Eigen::VectorXd c = p.candidates.col(j).cast<double>();
    ExpectClose(batched.candidate_variance()[j], dense_pending.Variance(c, candidate_h(c)),
                "pending variance j=" + std::to_string(j));
  }
  EXPECT_THROW(batched.AddObservation(p.points.col(0), 0.1, h(0)), Error);

  batched.ResolvePending(p.values.segment(12, 5));
  for (Eigen::Index i = 12; i < 17; ++i)
    sequential.AddObservation(p.points.col(i), p.values[i], h(i));
  EXPECT_EQ(batched.num_pending(), 0);
  EXPECT_EQ(batched.observed_values(), sequential.observed_values());
  EXPECT_LT((batched.candidate_mean() - sequential.candidate_mean()).cwiseAbs().maxCoeff(), 1e-5);
  EXPECT_LT((batched.candidate_variance() - sequential.candidate_variance()).cwiseAbs().maxCoeff(),
            1e-5);
  EXPECT_NEAR(batched.LogMarginalLikelihood(), sequential.LogMarginalLikelihood(), 1e-9);
  const DenseKriging dense(TestKernel(), p.points, p.values, h_all, prior_mean, var_b, kNoise);
  for (Eigen::Index j = 0; j < p.candidates.cols(); j += 5) {
    const Eigen::VectorXd c = p.candidates.col(j).cast<double>();
    ExpectClose(batched.candidate_mean()[j], dense.Mean(c, candidate_h(c)),
                "resolved mean j=" + std::to_string(j));
  }
}

TEST(GpBucbTest, PendingPointsUpdateTheVarianceExactlyAndResolveToTheSequentialState) {
  ExpectPendingMatchesDenseAndResolvedMatchesSequential(/*with_basis=*/false);
}

TEST(GpBucbTest, PendingPointsWithAMeanBasisKeepTheMeanAndResolveToTheSequentialState) {
  ExpectPendingMatchesDenseAndResolvedMatchesSequential(/*with_basis=*/true);
}

// The per-candidate updates run in fixed chunks of 4096 on ComputeThreads() threads: any thread
// count gives the same bits, and the chunks' seams (4095 | 4096, 8191 | 8192, the short last
// chunk) hold the dense closed form like every other candidate.
TEST(GaussianProcessThreadsTest, AnyThreadCountGivesTheSameBitsAndTheDenseSolveAtTheSeams) {
  const Problem p = RandomProblem(5, 20, 2 * 4096 + 37);
  const Eigen::Vector2d prior_mean(1.0, 0.0), prior_variance(100.0, 1.0);
  Eigen::MatrixXd basis(p.points.cols(), 2);
  for (Eigen::Index i = 0; i < p.points.cols(); ++i)
    basis.row(i) = Basis(p.points.col(i)).transpose();
  const auto run = [&](int threads) {
    SetComputeThreads(threads);
    CandidateGp gp(TestKernel(), p.candidates, kNoise);
    gp.SetMeanBasis(CandidateBasis(p.candidates), prior_mean, prior_variance);
    for (Eigen::Index i = 0; i < p.points.cols(); ++i)
      gp.AddObservation(p.points.col(i), p.values[i], basis.row(i).transpose());
    return gp;
  };
  const CandidateGp one = run(1);
  const DenseKriging dense(TestKernel(), p.points, p.values, basis, prior_mean, prior_variance,
                           kNoise);
  Eigen::VectorXf kriging_one(p.candidates.cols());
  one.PredictMean(p.candidates, kriging_one);
  for (const Eigen::Index j : {Eigen::Index{0}, Eigen::Index{4095}, Eigen::Index{4096},
                               Eigen::Index{8191}, Eigen::Index{8192}, p.candidates.cols() - 1}) {
    const Eigen::VectorXd c = p.candidates.col(j).cast<double>();
    const std::string context = "j=" + std::to_string(j);
    ExpectClose(one.candidate_mean()[j], dense.Mean(c, Basis(c)), context + " mean");
    ExpectClose(one.candidate_variance()[j], dense.Variance(c, Basis(c)), context + " variance");
    ExpectClose(kriging_one[j], dense.KrigingMean(c), context + " kriging");
  }
  for (const int threads : {2, 3}) {
    const CandidateGp many = run(threads);
    Eigen::VectorXf kriging_many(p.candidates.cols());
    many.PredictMean(p.candidates, kriging_many);
    EXPECT_EQ(many.candidate_mean(), one.candidate_mean()) << threads << " threads";
    EXPECT_EQ(many.candidate_variance(), one.candidate_variance()) << threads << " threads";
    EXPECT_EQ(kriging_many, kriging_one) << threads << " threads";
  }
  SetComputeThreads(0);
}

}  // namespace
}  // namespace borex::gp
