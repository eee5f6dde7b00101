#include "borex/gp/hyperparameters.h"

#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <random>

#include "borex/gp/gaussian_process.h"

namespace borex::gp {
namespace {

struct Sample {
  Eigen::MatrixXd points;
  Eigen::VectorXd values;
};

// Values drawn from a GP with known length scales (L·z with L the Cholesky factor of K).
Sample DrawFromGp(const MaternKernel& kernel, int n, uint64_t seed, double noise) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> position(0, 60);
  std::normal_distribution<double> normal;
  Sample s;
  s.points.resize(3, n);
  for (int i = 0; i < n; ++i)
    s.points.col(i) << position(engine), position(engine), position(engine) / 2;
  Eigen::MatrixXd k(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) k(i, j) = kernel(s.points.col(i), s.points.col(j));
  k.diagonal().array() += noise;
  Eigen::VectorXd z(n);
  for (int i = 0; i < n; ++i) z[i] = normal(engine);
  s.values = Eigen::LLT<Eigen::MatrixXd>(k).matrixL() * z;
  return s;
}

TEST(HyperparametersTest, AnalyticGradientMatchesFiniteDifferences) {
  for (MaternNu nu : {MaternNu::kOneHalf, MaternNu::kThreeHalves, MaternNu::kFiveHalves}) {
    const MaternKernel truth(nu, Eigen::Vector3d(8, 12, 5));
    const Sample s = DrawFromGp(truth, 25, 3, 0.01);
    const Eigen::Vector3d log_scales(std::log(6.0), std::log(15.0), std::log(4.0));
    Eigen::VectorXd gradient;
    LogMarginalLikelihood(MaternKernel(nu, log_scales.array().exp().matrix()), s.points, s.values,
                          0.01, &gradient);
    for (int j = 0; j < 3; ++j) {
      const double h = 1e-5;
      Eigen::Vector3d up = log_scales, down = log_scales;
      up[j] += h;
      down[j] -= h;
      const double numeric = (LogMarginalLikelihood(MaternKernel(nu, up.array().exp().matrix()),
                                                    s.points, s.values, 0.01) -
                              LogMarginalLikelihood(MaternKernel(nu, down.array().exp().matrix()),
                                                    s.points, s.values, 0.01)) /
                             (2 * h);
      EXPECT_NEAR(gradient[j], numeric, 1e-4 * std::max(1.0, std::abs(numeric)))
          << MaternName(nu) << j;
    }
  }
}

TEST(HyperparametersTest, LikelihoodEqualsTheGpsOwn) {
  const MaternKernel kernel(MaternNu::kThreeHalves, Eigen::Vector3d(8, 12, 5));
  const Sample s = DrawFromGp(kernel, 20, 4, 0.01);
  CandidateGp gp(kernel, Eigen::MatrixXf::Zero(3, 1), 0.01);
  for (int i = 0; i < 20; ++i) gp.AddObservation(s.points.col(i), s.values[i]);
  EXPECT_NEAR(LogMarginalLikelihood(kernel, s.points, s.values, 0.01), gp.LogMarginalLikelihood(),
              1e-8);
}

TEST(HyperparametersTest, FitIsAtLeastAsGoodAsStartTruthAndAGridSearch) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    const MaternKernel truth(MaternNu::kThreeHalves, Eigen::Vector3d(6, 14, 9));
    const Sample s = DrawFromGp(truth, 40, seed, 0.01);
    const MaternKernel start(MaternNu::kThreeHalves, Eigen::Vector3d(12, 12, 10));
    const MaternKernel fitted =
        FitLengthScales(start, s.points, s.values, 0.01, Eigen::Vector3d::Constant(1.0),
                        Eigen::Vector3d::Constant(20.0));
    const double fitted_value = LogMarginalLikelihood(fitted, s.points, s.values, 0.01);
    EXPECT_GE(fitted_value, LogMarginalLikelihood(start, s.points, s.values, 0.01));
    EXPECT_GE(fitted_value + 1e-3, LogMarginalLikelihood(truth, s.points, s.values, 0.01));
    double grid_best = -1e300;
    for (double a : {1.0, 3.0, 6.0, 10.0, 15.0, 20.0})
      for (double b : {1.0, 3.0, 6.0, 10.0, 15.0, 20.0})
        for (double c : {1.0, 3.0, 6.0, 10.0, 15.0, 20.0})
          grid_best = std::max(
              grid_best,
              LogMarginalLikelihood(MaternKernel(MaternNu::kThreeHalves, Eigen::Vector3d(a, b, c)),
                                    s.points, s.values, 0.01));
    EXPECT_GE(fitted_value + 1e-3, grid_best) << "seed " << seed;
    EXPECT_TRUE((fitted.length_scales().array() >= 1.0 - 1e-9).all());
    EXPECT_TRUE((fitted.length_scales().array() <= 20.0 + 1e-9).all());
  }
}

}  // namespace
}  // namespace borex::gp
