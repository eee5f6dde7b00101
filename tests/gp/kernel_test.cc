#include "borex/gp/kernel.h"

#include <gtest/gtest.h>

#include <cmath>

#include "borex/core/error.h"

namespace borex::gp {
namespace {

Eigen::VectorXd Vec(std::initializer_list<double> values) {
  Eigen::VectorXd v(static_cast<Eigen::Index>(values.size()));
  Eigen::Index i = 0;
  for (double value : values) v[i++] = value;
  return v;
}

TEST(MaternKernelTest, ValuesMatchClosedForms) {
  for (double d : {0.0, 0.1, 0.5, 1.0, 2.0, 4.5}) {
    const Eigen::VectorXd a = Vec({0, 0}), b = Vec({d, 0});  // unit length scales: distance d
    const double s3 = std::sqrt(3.0) * d, s5 = std::sqrt(5.0) * d;
    EXPECT_NEAR(MaternKernel(MaternNu::kOneHalf, Vec({1, 1}), 2.0)(a, b), 2.0 * std::exp(-d),
                1e-12);
    EXPECT_NEAR(MaternKernel(MaternNu::kThreeHalves, Vec({1, 1}), 2.0)(a, b),
                2.0 * (1 + s3) * std::exp(-s3), 1e-12);
    EXPECT_NEAR(MaternKernel(MaternNu::kFiveHalves, Vec({1, 1}), 2.0)(a, b),
                2.0 * (1 + s5 + s5 * s5 / 3) * std::exp(-s5), 1e-12);
  }
}

TEST(MaternKernelTest, LengthScalesScaleTheirOwnDimension) {
  const MaternKernel kernel(MaternNu::kThreeHalves, Vec({2.0, 5.0, 10.0}));
  // Δ = (2, 0, 0) with ℓ0 = 2 is distance 1; so is (0, 5, 0) and (0, 0, 10).
  const double at_one = MaternKernel::Profile(MaternNu::kThreeHalves, 1.0);
  EXPECT_NEAR(kernel(Vec({0, 0, 0}), Vec({2, 0, 0})), at_one, 1e-12);
  EXPECT_NEAR(kernel(Vec({0, 0, 0}), Vec({0, 5, 0})), at_one, 1e-12);
  EXPECT_NEAR(kernel(Vec({0, 0, 0}), Vec({0, 0, 10})), at_one, 1e-12);
  // Combined: sqrt(1 + 1) = √2.
  EXPECT_NEAR(kernel(Vec({0, 0, 0}), Vec({2, 5, 0})),
              MaternKernel::Profile(MaternNu::kThreeHalves, std::sqrt(2.0)), 1e-12);
}

TEST(MaternKernelTest, ColumnEqualsPointwiseEvaluation) {
  for (MaternNu nu : {MaternNu::kOneHalf, MaternNu::kThreeHalves, MaternNu::kFiveHalves}) {
    const MaternKernel kernel(nu, Vec({3.0, 4.0, 7.0}), 1.5);
    Eigen::MatrixXf points = Eigen::MatrixXf::Random(3, 257) * 20.0f;
    const Eigen::VectorXd x = Vec({1.5, -2.0, 4.0});
    Eigen::VectorXf column(points.cols());
    kernel.Column(x, points, column);
    for (Eigen::Index j = 0; j < points.cols(); ++j)
      EXPECT_NEAR(column[j], kernel(x, points.col(j).cast<double>()), 2e-6) << MaternName(nu);
  }
}

TEST(MaternKernelTest, DecreasesWithDistanceAndPeaksAtTheVariance) {
  for (MaternNu nu : {MaternNu::kOneHalf, MaternNu::kThreeHalves, MaternNu::kFiveHalves}) {
    double previous = MaternKernel::Profile(nu, 0.0);
    EXPECT_DOUBLE_EQ(previous, 1.0);
    for (double d = 0.25; d < 10; d += 0.25) {
      const double value = MaternKernel::Profile(nu, d);
      EXPECT_LT(value, previous);
      EXPECT_GT(value, 0.0);
      previous = value;
    }
  }
}

TEST(MaternKernelTest, ParsesNamesAndRejectsBadParameters) {
  EXPECT_EQ(ParseMaternNu("matern52"), MaternNu::kFiveHalves);
  EXPECT_EQ(MaternName(ParseMaternNu("matern12")), "matern12");
  EXPECT_THROW(ParseMaternNu("rbf"), OptionError);
  EXPECT_THROW(MaternKernel(MaternNu::kOneHalf, Vec({1.0, 0.0})), OptionError);
  EXPECT_THROW(MaternKernel(MaternNu::kOneHalf, Vec({1.0}), -1.0), Error);
}

}  // namespace
}  // namespace borex::gp
