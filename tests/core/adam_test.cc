#include "borex/core/adam.h"

#include <gtest/gtest.h>

#include <cmath>

namespace borex {
namespace {

TEST(AdamTest, FirstStepMovesEachParameterByTheLearningRateAgainstTheGradientSign) {
  // t = 1: m̂ = g, v̂ = g², so the step is lr · g / (|g| + ε).
  Adam adam(3, 0.1);
  Eigen::VectorXf x(3), g(3);
  x << 1, 2, 3;
  g << 4, -0.5, 0;
  adam.Step(x, g);
  EXPECT_NEAR(x[0], 1 - 0.1, 1e-6);
  EXPECT_NEAR(x[1], 2 + 0.1, 1e-6);
  EXPECT_FLOAT_EQ(x[2], 3);  // no gradient, no move
}

TEST(AdamTest, EpsilonIsAddedToTheRootOfTheSecondMoment) {
  // A gradient as small as ε = 1e-8: the first step is lr · g / (|g| + ε) = lr / 2. With ε under
  // the root it would be lr · g / sqrt(g² + ε), about lr · 1e-4.
  Adam adam(1, 0.1);
  Eigen::VectorXf x = Eigen::VectorXf::Zero(1), g(1);
  g << 1e-8f;
  adam.Step(x, g);
  EXPECT_NEAR(x[0], -0.05, 1e-6);
}

TEST(AdamTest, SecondStepMatchesTheBiasCorrectedFormula) {
  // g1 = 1, g2 = 3: m2 = 0.9·0.1 + 0.1·3 = 0.39, v2 = 0.999·0.001 + 0.001·9 = 0.009999;
  // step2 = lr · (m2 / 0.19) / (sqrt(v2 / 0.001999) + ε).
  Adam adam(1, 0.01);
  Eigen::VectorXf x = Eigen::VectorXf::Zero(1), g(1);
  g << 1;
  adam.Step(x, g);
  g << 3;
  adam.Step(x, g);
  const double step2 = 0.01 * (0.39 / 0.19) / (std::sqrt(0.009999 / 0.001999) + 1e-8);
  EXPECT_NEAR(x[0], -0.01 - step2, 1e-7);
}

TEST(AdamTest, MinimisesAQuadratic) {
  Adam adam(2, 0.05);
  Eigen::VectorXf x(2), target(2);
  x << 3, -2;
  target << 0.5, 1;
  for (int i = 0; i < 2000; ++i) adam.Step(x, 2 * (x - target));
  EXPECT_NEAR(x[0], 0.5, 1e-3);
  EXPECT_NEAR(x[1], 1.0, 1e-3);
}

}  // namespace
}  // namespace borex
