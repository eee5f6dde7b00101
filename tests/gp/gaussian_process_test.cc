#include "borex/gp/gaussian_process.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <random>

#include "borex/gp/hyperparameters.h"

namespace borex::gp {
namespace {

// The dense closed form (R&W eqs. 2.25-2.26) in double precision.
struct DenseGp {
  DenseGp(const MaternKernel& kernel, const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
          double noise)
      : kernel(kernel), x(x) {
    const Eigen::Index n = x.cols();
    Eigen::MatrixXd k(n, n);
    for (Eigen::Index i = 0; i < n; ++i)
      for (Eigen::Index j = 0; j < n; ++j) k(i, j) = kernel(x.col(i), x.col(j));
    k.diagonal().array() += noise;
    inverse = k.fullPivLu().inverse();
    alpha = inverse * y;
    log_likelihood = -0.5 * y.dot(alpha) - 0.5 * std::log(k.determinant()) -
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
    return kernel(p, p) - k.dot(inverse * k);
  }
  MaternKernel kernel;
  Eigen::MatrixXd x, inverse;
  Eigen::VectorXd alpha;
  double log_likelihood;
};

struct Problem {
  Eigen::MatrixXf candidates;
  Eigen::MatrixXd points;
  Eigen::VectorXd values;
};

Problem RandomProblem(uint64_t seed, int observations) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> position(0, 64), value(-0.5, 0.5);
  const double sides[] = {10, 20, 30};
  Problem p;
  p.candidates.resize(3, 16 * 16 * 3);
  Eigen::Index j = 0;
  for (double side : sides)
    for (int r = 0; r < 16; ++r)
      for (int c = 0; c < 16; ++c)
        p.candidates.col(j++) << 4.0f * r, 4.0f * c, static_cast<float>(side);
  p.points.resize(3, observations);
  p.values.resize(observations);
  for (int i = 0; i < observations; ++i) {
    p.points.col(i) << position(engine), position(engine), sides[engine() % 3];
    p.values[i] = value(engine);
  }
  return p;
}

MaternKernel TestKernel() {
  Eigen::VectorXd scales(3);
  scales << 12, 12, 20;
  return MaternKernel(MaternNu::kThreeHalves, scales);
}

class GaussianProcessSeedTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(GaussianProcessSeedTest, IncrementalPosteriorEqualsDenseSolveAfterEveryObservation) {
  const Problem p = RandomProblem(GetParam(), 30);
  CandidateGp gp(TestKernel(), p.candidates, 0.01);
  for (Eigen::Index n = 1; n <= p.points.cols(); ++n) {
    gp.AddObservation(p.points.col(n - 1), p.values[n - 1]);
    if (n % 5 != 0 && n != 1) continue;
    const DenseGp dense(TestKernel(), p.points.leftCols(n), p.values.head(n), 0.01);
    for (Eigen::Index j = 0; j < p.candidates.cols(); j += 7) {
      const Eigen::VectorXd c = p.candidates.col(j).cast<double>();
      EXPECT_NEAR(gp.candidate_mean()[j], dense.Mean(c), 1e-4) << "n=" << n << " j=" << j;
      EXPECT_NEAR(gp.candidate_variance()[j], dense.Variance(c), 1e-4) << "n=" << n;
    }
    EXPECT_NEAR(gp.LogMarginalLikelihood(), dense.log_likelihood,
                1e-6 * std::abs(dense.log_likelihood) + 1e-6);
  }
}

TEST_P(GaussianProcessSeedTest, IncrementalStateEqualsAFreshFitAndARefit) {
  const Problem p = RandomProblem(GetParam(), 20);
  CandidateGp incremental(TestKernel(), p.candidates, 0.01);
  for (Eigen::Index i = 0; i < 20; ++i) incremental.AddObservation(p.points.col(i), p.values[i]);
  CandidateGp refit(MaternKernel(MaternNu::kFiveHalves, Eigen::Vector3d(5, 5, 5)), p.candidates,
                    0.01);
  for (Eigen::Index i = 0; i < 20; ++i) refit.AddObservation(p.points.col(i), p.values[i]);
  refit.SetKernel(TestKernel());
  EXPECT_LT((incremental.candidate_mean() - refit.candidate_mean()).cwiseAbs().maxCoeff(), 1e-5);
  EXPECT_LT((incremental.candidate_variance() - refit.candidate_variance()).cwiseAbs().maxCoeff(),
            1e-5);
  EXPECT_EQ(refit.num_observations(), 20);
}

TEST_P(GaussianProcessSeedTest, PredictionsAwayFromTheCandidatesEqualTheDenseSolve) {
  const Problem p = RandomProblem(GetParam(), 15);
  CandidateGp gp(TestKernel(), p.candidates, 0.01);
  for (Eigen::Index i = 0; i < 15; ++i) gp.AddObservation(p.points.col(i), p.values[i]);
  const DenseGp dense(TestKernel(), p.points, p.values, 0.01);
  Eigen::MatrixXf queries = (Eigen::MatrixXf::Random(3, 50).array() + 1.0f) * 32.0f;
  Eigen::VectorXf predicted(50);
  gp.PredictMean(queries, predicted);
  for (Eigen::Index j = 0; j < 50; ++j) {
    const Eigen::VectorXd q = queries.col(j).cast<double>();
    EXPECT_NEAR(predicted[j], dense.Mean(q), 1e-4);
    EXPECT_NEAR(gp.PredictVariance(q), dense.Variance(q), 1e-6);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, GaussianProcessSeedTest, ::testing::Values(1u, 2u, 3u, 99u));

TEST(GaussianProcessTest, DuplicateObservationsStayFinite) {
  const Problem p = RandomProblem(5, 3);
  CandidateGp gp(TestKernel(), p.candidates, 1e-12 + 0.01);
  for (int i = 0; i < 5; ++i) gp.AddObservation(p.points.col(0), 0.3);
  EXPECT_TRUE(gp.candidate_mean().allFinite());
  EXPECT_TRUE(gp.candidate_variance().allFinite());
  EXPECT_GE(gp.candidate_variance().minCoeff(), 0.0f);
}

TEST(GaussianProcessTest, NoObservationsIsThePrior) {
  const Problem p = RandomProblem(5, 1);
  CandidateGp gp(TestKernel(), p.candidates, 0.01);
  EXPECT_EQ(gp.candidate_mean().cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_EQ(gp.candidate_variance().minCoeff(), 1.0f);
}

}  // namespace
}  // namespace borex::gp
