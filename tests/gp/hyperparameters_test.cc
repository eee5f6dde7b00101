#include "borex/gp/hyperparameters.h"

#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <cmath>
#include <random>

#include "borex/core/error.h"
#include "borex/gp/gaussian_process.h"

namespace borex::gp {
namespace {

constexpr MaternNu kAllNu[] = {MaternNu::kOneHalf, MaternNu::kThreeHalves, MaternNu::kFiveHalves};
constexpr double kNoise = 0.01;

struct Sample {
  Eigen::MatrixXd points;  // 3 x n
  Eigen::VectorXd values;
};

// Values drawn from the GP prior with a known kernel, plus noise: y = chol(K + σn²I)·ξ.
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
  Eigen::VectorXd xi(n);
  for (int i = 0; i < n; ++i) xi[i] = normal(engine);
  s.values = Eigen::LLT<Eigen::MatrixXd>(k).matrixL() * xi;
  return s;
}

MaternKernel WithScales(MaternNu nu, const Eigen::Vector3d& scales) {
  return MaternKernel(nu, scales, 1.0);
}

double Lml(const MaternKernel& kernel, const Sample& s) {
  return LogMarginalLikelihood(kernel, s.points, s.values, kNoise);
}

TEST(HyperparametersTest, AnalyticGradientMatchesFiniteDifferences) {
  for (MaternNu nu : kAllNu)
    for (uint64_t seed : {3u, 4u}) {
      const Sample s = DrawFromGp(WithScales(nu, {8, 12, 5}), 25, seed, kNoise);
      const Eigen::Vector3d log_scales(std::log(6.0), std::log(15.0), std::log(4.0));
      Eigen::VectorXd gradient;
      LogMarginalLikelihood(WithScales(nu, log_scales.array().exp()), s.points, s.values, kNoise,
                            &gradient);
      ASSERT_EQ(gradient.size(), 3);
      for (int j = 0; j < 3; ++j) {
        const double h = 1e-5;
        Eigen::Vector3d up = log_scales, down = log_scales;
        up[j] += h;
        down[j] -= h;
        const double numeric = (Lml(WithScales(nu, up.array().exp()), s) -
                                Lml(WithScales(nu, down.array().exp()), s)) /
                               (2 * h);
        EXPECT_NEAR(gradient[j], numeric, 1e-5 * std::max(1.0, std::abs(numeric)))
            << MaternName(nu) << " dim " << j;
        EXPECT_GT(std::abs(numeric), 1e-3) << "a flat direction would make this check vacuous";
      }
    }
}

TEST(HyperparametersTest, LikelihoodEqualsTheGpsOwn) {
  for (MaternNu nu : kAllNu) {
    const MaternKernel kernel = WithScales(nu, {8, 12, 5});
    const Sample s = DrawFromGp(kernel, 20, 4, kNoise);
    CandidateGp gp(kernel, Eigen::MatrixXf::Zero(3, 1), kNoise);
    for (int i = 0; i < 20; ++i) gp.AddObservation(s.points.col(i), s.values[i]);
    EXPECT_NEAR(Lml(kernel, s), gp.LogMarginalLikelihood(), 1e-8) << MaternName(nu);
  }
}

// Best LML over a 6³ grid on [1, 20]³.
double GridBest(MaternNu nu, const Sample& s) {
  const double grid[] = {1.0, 3.0, 6.0, 10.0, 15.0, 20.0};
  double best = -1e300;
  for (double a : grid)
    for (double b : grid)
      for (double c : grid) best = std::max(best, Lml(WithScales(nu, {a, b, c}), s));
  return best;
}

TEST(HyperparametersTest, FitBeatsStartTruthAndAGridSearchWithinBounds) {
  for (MaternNu nu : kAllNu)
    for (uint64_t seed : {1u, 2u, 3u}) {
      const MaternKernel truth = WithScales(nu, {6, 14, 9});
      const Sample s = DrawFromGp(truth, 40, seed, kNoise);
      const MaternKernel start = WithScales(nu, {12, 12, 10});
      const MaternKernel fitted = FitLengthScales(start, s.points, s.values, kNoise, 1.0, 20.0);
      EXPECT_EQ(fitted.nu(), nu);
      EXPECT_EQ(fitted.signal_variance(), 1.0);
      const double fitted_value = Lml(fitted, s);
      const std::string context = MaternName(nu) + " seed " + std::to_string(seed);
      EXPECT_GT(fitted_value, Lml(start, s)) << context;
      EXPECT_GE(fitted_value + 1e-6, Lml(truth, s)) << context;
      EXPECT_GE(fitted_value + 1e-3, GridBest(nu, s)) << context;
      EXPECT_TRUE((fitted.length_scales().array() >= 1.0).all()) << context;
      EXPECT_TRUE((fitted.length_scales().array() <= 20.0).all()) << context;
      // First-order optimality: each coordinate is stationary or held at a bound by its gradient.
      Eigen::VectorXd gradient;
      LogMarginalLikelihood(fitted, s.points, s.values, kNoise, &gradient);
      for (int j = 0; j < 3; ++j) {
        const double scale = fitted.length_scales()[j];
        const bool held_low = scale <= 1.0 + 1e-9 && gradient[j] < 0;
        const bool held_high = scale >= 20.0 - 1e-9 && gradient[j] > 0;
        EXPECT_TRUE(held_low || held_high || std::abs(gradient[j]) < 1e-3)
            << context << " dim " << j << " ℓ=" << scale << " gradient " << gradient[j];
      }
    }
}

// The BFGS curvature update is what makes the fit quasi-Newton: on these problems it reaches its
// optimum within 6-14 likelihood evaluations; with the update's gradient difference negated (the
// curvature condition then fails and the steps fall back towards plain gradient ascent) four of
// the nine need 28-64, which only the golden maps used to notice.
TEST(HyperparametersTest, TheQuasiNewtonFitConvergesWithinTwentyEvaluations) {
  for (MaternNu nu : kAllNu)
    for (uint64_t seed : {1u, 2u, 3u}) {
      const Sample s = DrawFromGp(WithScales(nu, {6, 14, 9}), 40, seed, kNoise);
      const MaternKernel start = WithScales(nu, {12, 12, 10});
      const double optimum = Lml(FitLengthScales(start, s.points, s.values, kNoise, 1.0, 20.0), s);
      const double within_twenty =
          Lml(FitLengthScales(start, s.points, s.values, kNoise, 1.0, 20.0, 20), s);
      EXPECT_GT(within_twenty, optimum - 1e-4) << MaternName(nu) << " seed " << seed;
    }
}

TEST(HyperparametersTest, RecoversTheTrueLengthScalesFromEnoughData) {
  const MaternKernel truth = WithScales(MaternNu::kThreeHalves, {5, 15, 8});
  const Sample s = DrawFromGp(truth, 150, 21, kNoise);
  const MaternKernel fitted = FitLengthScales(WithScales(MaternNu::kThreeHalves, {12, 12, 10}),
                                              s.points, s.values, kNoise, 1.0, 20.0);
  for (int j = 0; j < 3; ++j) {
    const double ratio = fitted.length_scales()[j] / truth.length_scales()[j];
    EXPECT_GT(ratio, 0.6) << j << ": " << fitted.length_scales().transpose();
    EXPECT_LT(ratio, 1.6) << j << ": " << fitted.length_scales().transpose();
  }
}

TEST(HyperparametersTest, PerDimensionBoundsHoldAndTheStartIsClamped) {
  const MaternKernel truth = WithScales(MaternNu::kThreeHalves, {6, 14, 9});
  const Sample s = DrawFromGp(truth, 40, 5, kNoise);
  const Eigen::Vector3d lower(10, 1, 2), upper(20, 4, 40);  // the truth is outside dims 0 and 1
  const MaternKernel start = WithScales(MaternNu::kThreeHalves, {50, 0.5, 9});  // outside too
  const MaternKernel fitted = FitLengthScales(start, s.points, s.values, kNoise, lower, upper);
  EXPECT_TRUE((fitted.length_scales().array() >= lower.array()).all())
      << fitted.length_scales().transpose();
  EXPECT_TRUE((fitted.length_scales().array() <= upper.array()).all())
      << fitted.length_scales().transpose();
  // The truth's ℓ1 = 14 lies far above the box [1, 4], so ℓ1 ends on its upper bound; every
  // coordinate satisfies first-order optimality; and no grid point in the box does better.
  EXPECT_NEAR(fitted.length_scales()[1], 4.0, 1e-9);
  Eigen::VectorXd gradient;
  LogMarginalLikelihood(fitted, s.points, s.values, kNoise, &gradient);
  for (int j = 0; j < 3; ++j) {
    const double scale = fitted.length_scales()[j];
    EXPECT_TRUE((scale <= lower[j] + 1e-9 && gradient[j] < 0) ||
                (scale >= upper[j] - 1e-9 && gradient[j] > 0) || std::abs(gradient[j]) < 1e-3)
        << "dim " << j << " ℓ=" << scale << " gradient " << gradient[j];
  }
  double grid_best = -1e300;
  for (double a : {10.0, 12.0, 14.0, 17.0, 20.0})
    for (double b : {1.0, 2.0, 3.0, 4.0})
      for (double c : {2.0, 5.0, 9.0, 15.0, 25.0, 40.0})
        grid_best = std::max(grid_best, Lml(WithScales(MaternNu::kThreeHalves, {a, b, c}), s));
  EXPECT_GE(Lml(fitted, s) + 1e-3, grid_best);
  // One evaluation: the start, clamped into the box.
  const MaternKernel clamped = FitLengthScales(start, s.points, s.values, kNoise, lower, upper, 1);
  EXPECT_NEAR(clamped.length_scales()[0], 20.0, 1e-9);
  EXPECT_NEAR(clamped.length_scales()[1], 1.0, 1e-9);
  EXPECT_NEAR(clamped.length_scales()[2], 9.0, 1e-9);
  EXPECT_THROW(FitLengthScales(start, s.points, s.values, kNoise, 5.0, 2.0), Error);
  EXPECT_THROW(FitLengthScales(start, s.points, s.values, kNoise, 0.0, 2.0), Error);
}

// The (σf², length-scale factor) pair of the highest likelihood, found by refitting a GP per pair
// (the fit's independent check).
std::pair<double, double> RefittedGridMaximum(const MaternKernel& kernel,
                                              const Eigen::MatrixXd& points,
                                              const Eigen::VectorXd& values,
                                              const std::vector<double>& variances,
                                              const std::vector<double>& factors) {
  std::pair<double, double> best;
  double best_likelihood = -1e300;
  for (double variance : variances)
    for (double factor : factors) {
      CandidateGp probe(MaternKernel(kernel.nu(), kernel.length_scales() * factor, variance),
                        Eigen::MatrixXf(3, 0), 1e-4);
      probe.SetObservations(points, values);
      if (probe.LogMarginalLikelihood() > best_likelihood) {
        best_likelihood = probe.LogMarginalLikelihood();
        best = {variance, factor};
      }
    }
  return best;
}

TEST(HyperparametersTest, SignalVarianceFitIsTheGridsLikelihoodMaximum) {
  // Data drawn at amplitude 0.05: the fit must pick the grid value of the highest likelihood.
  std::mt19937_64 engine(3);
  std::uniform_real_distribution<double> position(0, 40), unit(-1, 1);
  Eigen::MatrixXd points(3, 30);
  Eigen::VectorXd values(30);
  for (int i = 0; i < 30; ++i) {
    points.col(i) << position(engine), position(engine), 10;
    values[i] = 0.05 * std::sin(points(0, i) / 6.0) + 0.01 * unit(engine);
  }
  const MaternKernel kernel(MaternNu::kThreeHalves, Eigen::Vector3d(8, 8, 10), 1.0);
  CandidateGp gp(kernel, Eigen::MatrixXf(3, 0), 1e-4);
  gp.SetObservations(points, values);
  const std::vector<double> grid = SignalVarianceGrid();
  ASSERT_EQ(grid.size(), 21u);
  EXPECT_DOUBLE_EQ(grid.front(), 1e-4);
  EXPECT_DOUBLE_EQ(grid.back(), 10.0);
  const MaternKernel fitted_kernel = FitKernelOnGrid(gp, grid);
  const double fitted = fitted_kernel.signal_variance();
  EXPECT_EQ(fitted, RefittedGridMaximum(kernel, points, values, grid, {1.0}).first);
  EXPECT_EQ(fitted_kernel.length_scales(), kernel.length_scales());  // factor grid {1}
  // Amplitude 0.05: σf² near 0.0025, far below the default 1.
  EXPECT_LT(fitted, 0.05);
  EXPECT_GT(fitted, 1e-4);
}

TEST(HyperparametersTest, KernelGridFitFindsTheDatasLengthScale) {
  // A smooth function (correlation length ~24) sampled densely: fitted from length scales of 6,
  // the joint grid must pick the (σf², factor) pair of the highest likelihood, and that pair
  // must lengthen the scales.
  std::mt19937_64 engine(5);
  std::uniform_real_distribution<double> position(0, 100), unit(-1, 1);
  Eigen::MatrixXd points(3, 40);
  Eigen::VectorXd values(40);
  for (int i = 0; i < 40; ++i) {
    points.col(i) << position(engine), position(engine), 10;
    values[i] = std::sin(points(0, i) / 24.0) * std::cos(points(1, i) / 24.0) + 0.01 * unit(engine);
  }
  const MaternKernel kernel(MaternNu::kThreeHalves, Eigen::Vector3d(6, 6, 6), 1.0);
  CandidateGp gp(kernel, Eigen::MatrixXf(3, 0), 1e-4);
  gp.SetObservations(points, values);
  const std::vector<double> variances = SignalVarianceGrid(), factors = LengthScaleFactorGrid();
  ASSERT_EQ(factors.size(), 7u);
  EXPECT_DOUBLE_EQ(factors.front(), 0.5);
  EXPECT_DOUBLE_EQ(factors.back(), 4.0);
  const auto [best_variance, best_factor] =
      RefittedGridMaximum(kernel, points, values, variances, factors);
  const MaternKernel fitted = FitKernelOnGrid(gp, variances, factors);
  EXPECT_EQ(fitted.signal_variance(), best_variance);
  EXPECT_DOUBLE_EQ(fitted.length_scales()[0], 6 * best_factor);
  EXPECT_DOUBLE_EQ(fitted.length_scales()[2], 6 * best_factor);
  EXPECT_GT(best_factor, 1.0);
  EXPECT_EQ(fitted.nu(), kernel.nu());
}

TEST(HyperparametersTest, CoefficientSdGridSpansOneToAHundredInHalfDecades) {
  const std::vector<double> grid = CoefficientSdGrid();
  ASSERT_EQ(grid.size(), 5u);
  EXPECT_DOUBLE_EQ(grid[0], 1.0);
  EXPECT_DOUBLE_EQ(grid[1], std::sqrt(10.0));
  EXPECT_DOUBLE_EQ(grid[2], 10.0);
  EXPECT_DOUBLE_EQ(grid[4], 100.0);
}

TEST(HyperparametersTest, NoiseFactorGridSpansAHundredthToAHundredInHalfDecades) {
  const std::vector<double> grid = NoiseFactorGrid();
  ASSERT_EQ(grid.size(), 9u);
  EXPECT_DOUBLE_EQ(grid[0], 0.01);
  EXPECT_DOUBLE_EQ(grid[3], 1 / std::sqrt(10.0));
  EXPECT_DOUBLE_EQ(grid[4], 1.0);
  EXPECT_DOUBLE_EQ(grid[8], 100.0);
}

TEST(HyperparametersTest, NoiseVarianceGridSpansAHundredthToOneInQuarterDecades) {
  const std::vector<double> grid = NoiseVarianceGrid();
  ASSERT_EQ(grid.size(), 9u);
  EXPECT_DOUBLE_EQ(grid[0], 0.01);
  EXPECT_DOUBLE_EQ(grid[2], 0.1 / std::sqrt(10.0));
  EXPECT_DOUBLE_EQ(grid[4], 0.1);
  EXPECT_DOUBLE_EQ(grid[8], 1.0);
}

}  // namespace
}  // namespace borex::gp
