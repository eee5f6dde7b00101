#include "borex/gp/kernel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>

#include "borex/core/error.h"

namespace borex::gp {
namespace {

constexpr MaternNu kAllNu[] = {MaternNu::kOneHalf, MaternNu::kThreeHalves, MaternNu::kFiveHalves};

Eigen::VectorXd Vec(std::initializer_list<double> values) {
  Eigen::VectorXd v(static_cast<Eigen::Index>(values.size()));
  Eigen::Index i = 0;
  for (double value : values) v[i++] = value;
  return v;
}

// The closed forms of R&W eqs. 4.16-4.17 (and exp(−d) for ν = 1/2), written out independently.
double ClosedForm(MaternNu nu, double d) {
  switch (nu) {
    case MaternNu::kOneHalf:
      return std::exp(-d);
    case MaternNu::kThreeHalves:
      return (1 + std::sqrt(3.0) * d) * std::exp(-std::sqrt(3.0) * d);
    case MaternNu::kFiveHalves:
      return (1 + std::sqrt(5.0) * d + 5.0 * d * d / 3.0) * std::exp(-std::sqrt(5.0) * d);
  }
  return NAN;
}

TEST(MaternKernelTest, ValuesMatchClosedFormsIncludingZeroDistance) {
  for (MaternNu nu : kAllNu)
    for (double d : {0.0, 0.1, 0.5, 1.0, 2.0, 4.5, 12.0}) {
      // Unit length scales, a distance split over two axes: (0.6d, 0.8d) has norm d.
      const MaternKernel kernel(nu, Vec({1, 1}), 2.5);
      const double value = kernel(Vec({0, 0}), Vec({0.6 * d, 0.8 * d}));
      EXPECT_NEAR(value, 2.5 * ClosedForm(nu, d), 1e-12 * 2.5) << MaternName(nu) << " d=" << d;
      EXPECT_NEAR(MaternKernel::Profile(nu, d), ClosedForm(nu, d), 1e-15) << MaternName(nu);
    }
  for (MaternNu nu : kAllNu) {
    const MaternKernel kernel(nu, Vec({3, 7, 0.5}), 1.7);
    const Eigen::VectorXd x = Vec({4, -2, 9});
    EXPECT_EQ(kernel(x, x), 1.7) << "k(x, x) = σf²";
  }
}

TEST(MaternKernelTest, OneHalfIsExactlyExpOfMinusDistance) {
  const MaternKernel kernel(MaternNu::kOneHalf, Vec({1.0}));
  for (double d : {0.0, 0.3, 1.0, 7.25}) {
    EXPECT_DOUBLE_EQ(MaternKernel::Profile(MaternNu::kOneHalf, d), std::exp(-d));
    EXPECT_DOUBLE_EQ(kernel(Vec({d}), Vec({0.0})), std::exp(-d));
  }
}

TEST(MaternKernelTest, LengthScalesScaleOnlyTheirOwnDimension) {
  for (MaternNu nu : kAllNu) {
    const MaternKernel kernel(nu, Vec({2.0, 5.0, 10.0}));
    const MaternKernel longer_first(nu, Vec({4.0, 5.0, 10.0}));
    const Eigen::VectorXd origin = Vec({0, 0, 0});
    // Δ = (2,0,0) with ℓ0 = 2, (0,5,0) and (0,0,10) are each at scaled distance 1.
    const double at_one = MaternKernel::Profile(nu, 1.0);
    EXPECT_NEAR(kernel(origin, Vec({2, 0, 0})), at_one, 1e-12);
    EXPECT_NEAR(kernel(origin, Vec({0, 5, 0})), at_one, 1e-12);
    EXPECT_NEAR(kernel(origin, Vec({0, 0, 10})), at_one, 1e-12);
    EXPECT_NEAR(kernel(origin, Vec({2, 5, 0})), MaternKernel::Profile(nu, std::sqrt(2.0)), 1e-12);
    // Doubling ℓ0 halves the scaled distance along axis 0 and leaves the others alone.
    EXPECT_NEAR(longer_first(origin, Vec({2, 0, 0})), MaternKernel::Profile(nu, 0.5), 1e-12);
    EXPECT_GT(longer_first(origin, Vec({2, 0, 0})), kernel(origin, Vec({2, 0, 0})));
    EXPECT_EQ(longer_first(origin, Vec({0, 5, 0})), kernel(origin, Vec({0, 5, 0})));
    EXPECT_EQ(longer_first(origin, Vec({0, 0, 10})), kernel(origin, Vec({0, 0, 10})));
    // Scaling Δ0 and ℓ0 together changes nothing.
    EXPECT_NEAR(longer_first(origin, Vec({4, 1, 3})), kernel(origin, Vec({2, 1, 3})), 1e-12);
  }
}

TEST(MaternKernelTest, ColumnEqualsPointwiseEvaluation) {
  std::srand(7);
  for (MaternNu nu : kAllNu) {
    const MaternKernel kernel(nu, Vec({3.0, 4.0, 7.0}), 1.5);
    const Eigen::MatrixXf points = Eigen::MatrixXf::Random(3, 1031) * 20.0f;
    const Eigen::VectorXd x = Vec({1.5, -2.0, 4.0});
    Eigen::VectorXf column(points.cols());
    kernel.Column(x, points, column);
    for (Eigen::Index j = 0; j < points.cols(); ++j)
      EXPECT_NEAR(column[j], kernel(x, points.col(j).cast<double>()), 2e-6) << MaternName(nu);
    // A block of the matrix (outer stride) and an output segment work the same.
    Eigen::VectorXf part = Eigen::VectorXf::Constant(120, NAN);
    kernel.Column(x, points.middleCols(500, 100), part.segment(10, 100));
    EXPECT_LT((part.segment(10, 100) - column.segment(500, 100)).cwiseAbs().maxCoeff(), 1e-6f);
    EXPECT_TRUE(std::isnan(part[0]) && std::isnan(part[119])) << "wrote outside its output";
  }
}

TEST(MaternKernelTest, DecreasesMonotonicallyToZeroAndSmootherIsFlatterNearZero) {
  for (MaternNu nu : kAllNu) {
    double previous = MaternKernel::Profile(nu, 0.0);
    EXPECT_EQ(previous, 1.0);
    for (double d = 0.05; d < 20; d += 0.05) {
      const double value = MaternKernel::Profile(nu, d);
      EXPECT_LT(value, previous) << MaternName(nu) << " d=" << d;
      EXPECT_GT(value, 0.0);
      previous = value;
    }
    EXPECT_LT(MaternKernel::Profile(nu, 40.0), 1e-12);
  }
  // Near 0: 1 − g(d) is O(d) for ν = 1/2 and O(d²) for ν = 3/2, 5/2 (R&W §4.2.1), with the
  // coefficients 1, 3/2 and 5/6.
  const double d = 1e-3;
  EXPECT_NEAR((1 - MaternKernel::Profile(MaternNu::kOneHalf, d)) / d, 1.0, 1e-3);
  EXPECT_NEAR((1 - MaternKernel::Profile(MaternNu::kThreeHalves, d)) / (d * d), 1.5, 1e-2);
  EXPECT_NEAR((1 - MaternKernel::Profile(MaternNu::kFiveHalves, d)) / (d * d), 5.0 / 6.0, 1e-2);
}

TEST(MaternKernelTest, ParsesNamesAndRejectsBadParameters) {
  for (MaternNu nu : kAllNu) EXPECT_EQ(ParseMaternNu(MaternName(nu)), nu);
  EXPECT_EQ(ParseMaternNu("matern12"), MaternNu::kOneHalf);
  EXPECT_EQ(ParseMaternNu("matern32"), MaternNu::kThreeHalves);
  EXPECT_EQ(ParseMaternNu("matern52"), MaternNu::kFiveHalves);
  EXPECT_THROW(ParseMaternNu("rbf"), OptionError);
  EXPECT_THROW(ParseMaternNu("Matern32"), OptionError);
  try {
    ParseMaternNu("matern72");
    FAIL() << "no exception";
  } catch (const OptionError& error) {
    EXPECT_NE(std::string(error.what()).find("--kernel"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("matern72"), std::string::npos) << error.what();
  }
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW(MaternKernel(MaternNu::kOneHalf, Vec({1.0, 0.0})), OptionError);
  EXPECT_THROW(MaternKernel(MaternNu::kOneHalf, Vec({1.0, -2.0})), OptionError);
  EXPECT_THROW(MaternKernel(MaternNu::kOneHalf, Vec({1.0, NAN})), OptionError);
  EXPECT_THROW(MaternKernel(MaternNu::kOneHalf, Vec({inf})), OptionError);
  EXPECT_THROW(MaternKernel(MaternNu::kOneHalf, Eigen::VectorXd()), OptionError);
  EXPECT_THROW(MaternKernel(MaternNu::kOneHalf, Vec({1.0}), 0.0), Error);
  EXPECT_THROW(MaternKernel(MaternNu::kOneHalf, Vec({1.0}), -1.0), Error);
  EXPECT_THROW(MaternKernel(MaternNu::kOneHalf, Vec({1.0}), NAN), Error);
  EXPECT_NO_THROW(MaternKernel(MaternNu::kOneHalf, Vec({1e-3, 1e3}), 1e-4));
}

}  // namespace
}  // namespace borex::gp
