#include "borex/acquisition/ucb.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "borex/core/error.h"

namespace borex::acquisition {
namespace {

TEST(UcbTest, MatchesABruteForceLoop) {
  std::mt19937 engine(3);
  std::uniform_real_distribution<float> mean_value(-1.0f, 1.0f), variance_value(0.0f, 1.0f);
  for (int trial = 0; trial < 20; ++trial) {
    Eigen::VectorXf mean(777), variance(777);
    for (Eigen::Index i = 0; i < 777; ++i) {
      mean[i] = mean_value(engine);
      variance[i] = variance_value(engine);
    }
    for (double kappa : {0.0, 0.5, 10.0})
      for (bool absolute : {false, true}) {
        Eigen::Index expected = 0;
        double best = -1e30;
        for (Eigen::Index i = 0; i < mean.size(); ++i) {
          const double mu = absolute ? std::abs(mean[i]) : mean[i];
          const double u = mu + kappa * std::sqrt(static_cast<double>(variance[i]));
          if (u > best) best = u, expected = i;
        }
        double value = 0;
        EXPECT_EQ(ArgmaxUcb(mean, variance, kappa, &value, absolute), expected)
            << "kappa " << kappa << " absolute " << absolute;
        EXPECT_NEAR(value, best, 1e-5);
      }
  }
}

TEST(UcbTest, KappaZeroPicksTheLargestMean) {
  Eigen::VectorXf mean(5), variance(5);
  mean << 0.1f, 0.3f, 0.9f, -2.0f, 0.2f;
  variance << 5.0f, 4.0f, 0.0f, 9.0f, 1.0f;
  EXPECT_EQ(ArgmaxUcb(mean, variance, 0.0), 2);
  EXPECT_EQ(ArgmaxUcb(mean, variance, 10.0), 3);  // −2 + 10·3 = 28
}

TEST(UcbTest, TiesGoToTheLowestIndex) {
  Eigen::VectorXf mean(4), variance(4);
  mean << 0.1f, 0.7f, 0.7f, 0.7f;
  variance.setZero();
  EXPECT_EQ(ArgmaxUcb(mean, variance, 1.0), 1);
  EXPECT_EQ(ArgmaxUcb(Eigen::VectorXf::Constant(6, 0.5f), Eigen::VectorXf::Constant(6, 0.25f), 2.0),
            0);
  // Same u from different (μ, σ): 0.5 + 1·0.5 = 1 = 0 + 1·1.
  mean << 0.0f, 0.5f, 1.0f, 0.0f;
  variance << 0.0f, 0.25f, 0.0f, 1.0f;
  double value = 0;
  EXPECT_EQ(ArgmaxUcb(mean, variance, 1.0, &value), 1);
  EXPECT_EQ(value, 1.0);
}

TEST(UcbTest, AbsoluteMeanVariantUsesTheMagnitude) {
  Eigen::VectorXf mean(3), variance(3);
  mean << 0.5f, -0.9f, 0.2f;
  variance << 0.0f, 0.0f, 0.04f;
  EXPECT_EQ(ArgmaxUcb(mean, variance, 1.0, nullptr, false), 0);
  EXPECT_EQ(ArgmaxUcb(mean, variance, 1.0, nullptr, true), 1);
  UcbOptions options;
  EXPECT_EQ(options.kappa, 10.0);  // the authors' exec_borex.py
  EXPECT_FALSE(options.absolute_mean);
  options.kappa = 1.0;
  EXPECT_EQ(ArgmaxUcb(mean, variance, options), 0);
  options.absolute_mean = true;
  double value = 0;
  EXPECT_EQ(ArgmaxUcb(mean, variance, options, &value), 1);
  EXPECT_NEAR(value, 0.9, 1e-7);
  options.kappa = 10.0;  // 0.2 + 10·0.2 = 2.2 beats |−0.9|
  EXPECT_EQ(ArgmaxUcb(mean, variance, options), 2);
}

TEST(UcbTest, SkipsNanAndRejectsBadInput) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Eigen::VectorXf mean(3), variance(3);
  mean << nan, 0.2f, 0.1f;
  variance << 1.0f, 0.0f, 0.0f;
  EXPECT_EQ(ArgmaxUcb(mean, variance, 1.0), 1);
  EXPECT_THROW(ArgmaxUcb(Eigen::VectorXf::Constant(3, nan), variance, 1.0), Error);
  EXPECT_THROW(ArgmaxUcb(mean, Eigen::VectorXf::Zero(2), 1.0), Error);
  EXPECT_THROW(ArgmaxUcb(Eigen::VectorXf(), Eigen::VectorXf(), 1.0), Error);
  EXPECT_THROW(ArgmaxUcb(mean, variance, -1.0), OptionError);
  EXPECT_THROW((UcbOptions{std::numeric_limits<double>::infinity(), false}.Check()), OptionError);
  EXPECT_THROW((UcbOptions{-0.5, true}.Check()), OptionError);
  EXPECT_NO_THROW(UcbOptions{}.Check());
}

}  // namespace
}  // namespace borex::acquisition
