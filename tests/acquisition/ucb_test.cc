#include "borex/acquisition/ucb.h"

#include <gtest/gtest.h>

#include <cmath>

namespace borex::acquisition {
namespace {

TEST(UcbTest, MatchesBruteForce) {
  for (int seed = 0; seed < 5; ++seed) {
    std::srand(seed);
    const Eigen::VectorXf mean = Eigen::VectorXf::Random(500);
    const Eigen::VectorXf variance = Eigen::VectorXf::Random(500).cwiseAbs();
    for (double kappa : {0.0, 0.5, 10.0}) {
      Eigen::Index expected = 0;
      double best = -1e30;
      for (Eigen::Index i = 0; i < 500; ++i) {
        const double u = mean[i] + kappa * std::sqrt(variance[i]);
        if (u > best) best = u, expected = i;
      }
      double value = 0;
      EXPECT_EQ(ArgmaxUcb(mean, variance, kappa, &value), expected);
      EXPECT_NEAR(value, best, 1e-5);
    }
  }
}

TEST(UcbTest, KappaZeroPicksTheLargestMeanAndTiesTheLowestIndex) {
  Eigen::VectorXf mean(4), variance(4);
  mean << 0.1f, 0.7f, 0.7f, -2.0f;
  variance << 5.0f, 0.0f, 0.0f, 9.0f;
  EXPECT_EQ(ArgmaxUcb(mean, variance, 0.0), 1);
  EXPECT_EQ(ArgmaxUcb(mean, variance, 10.0), 3);  // -2 + 30 = 28
}

TEST(UcbTest, AbsoluteMeanVariantUsesTheMagnitude) {
  Eigen::VectorXf mean(3), variance = Eigen::VectorXf::Zero(3);
  mean << 0.5f, -0.9f, 0.2f;
  EXPECT_EQ(ArgmaxUcb(mean, variance, 1.0, nullptr, false), 0);
  EXPECT_EQ(ArgmaxUcb(mean, variance, 1.0, nullptr, true), 1);
}

}  // namespace
}  // namespace borex::acquisition
