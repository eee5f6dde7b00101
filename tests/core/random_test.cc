#include "borex/core/random.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "borex/core/error.h"

namespace borex {
namespace {

// Statistical tests use fixed seeds, so they are deterministic; tolerances are 5 standard
// errors, so a correct implementation with another seed would still pass with probability
// > 0.9999, while a wrong formula (a bias of a few standard errors) fails.

TEST(RandomTest, EngineIsTheStandardMt19937_64) {
  // The C++ standard fixes this: the 10000th output of a default-seeded mt19937_64.
  Random random(5489);
  uint64_t bits = 0;
  for (int i = 0; i < 10000; ++i) bits = random.NextBits();
  EXPECT_EQ(bits, 9981545732273789042ULL);
}

TEST(RandomTest, UniformDoubleIsTopBitsOfRawOutput) {
  Random random(42);
  std::mt19937_64 engine(42);
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(random.UniformDouble(), static_cast<double>(engine() >> 11) / 9007199254740992.0);
}

TEST(RandomTest, UniformDoubleInUnitIntervalWithUniformMoments) {
  Random random(1);
  const int n = 200000;
  double sum = 0, sum_squares = 0;
  for (int i = 0; i < n; ++i) {
    const double u = random.UniformDouble();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum_squares += u * u;
  }
  const double mean = sum / n, variance = sum_squares / n - mean * mean;
  EXPECT_NEAR(mean, 0.5, 5 * std::sqrt(1.0 / 12 / n));
  // Var of u^2 is 4/45, so the second moment's standard error is sqrt(4/45/n).
  EXPECT_NEAR(variance, 1.0 / 12, 5 * std::sqrt(4.0 / 45 / n));
}

TEST(RandomTest, UniformIntCoversRangeEvenly) {
  Random random(2);
  const int n = 70000, k = 7;
  std::vector<int> counts(k, 0);
  for (int i = 0; i < n; ++i) {
    const int value = random.UniformInt(k);
    ASSERT_GE(value, 0);
    ASSERT_LT(value, k);
    ++counts[value];
  }
  const double expected = static_cast<double>(n) / k;
  const double sd = std::sqrt(n * (1.0 / k) * (1 - 1.0 / k));
  for (int value = 0; value < k; ++value) EXPECT_NEAR(counts[value], expected, 5 * sd) << value;
  EXPECT_EQ(random.UniformInt(1), 0);
}

TEST(RandomTest, UniformIntRejectsEmptyRange) {
  Random random(3);
  EXPECT_THROW(random.UniformInt(0), Error);
  EXPECT_THROW(random.UniformInt(-4), Error);
}

TEST(RandomTest, NormalHasMeanZeroVarianceOneAndGaussianShape) {
  Random random(4);
  const int n = 200000;
  double sum = 0, sum_squares = 0;
  int within_one_sd = 0;
  for (int i = 0; i < n; ++i) {
    const double z = random.Normal();
    ASSERT_TRUE(std::isfinite(z));
    sum += z;
    sum_squares += z * z;
    within_one_sd += std::abs(z) < 1.0;
  }
  const double mean = sum / n, variance = sum_squares / n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 5 / std::sqrt(n));
  EXPECT_NEAR(variance, 1.0, 5 * std::sqrt(2.0 / n));  // Var(z^2) = 2
  // P(|z| < 1) = 0.682689 for a standard normal; a uniform of variance 1 would give 0.577.
  const double p = 0.682689492;
  EXPECT_NEAR(static_cast<double>(within_one_sd) / n, p, 5 * std::sqrt(p * (1 - p) / n));
}

TEST(RandomTest, ConsecutiveNormalsAreUncorrelated) {
  // Box-Muller gives two normals per pair of uniforms, r·cos θ and r·sin θ; they are independent,
  // so the sample correlation of consecutive draws is about 0 (standard error 1/sqrt(n)).
  Random random(6);
  const int n = 100000;
  double product = 0, squares = 0;
  for (int i = 0; i < n; ++i) {
    const double first = random.Normal(), second = random.Normal();
    product += first * second;
    squares += (first * first + second * second) / 2;
  }
  EXPECT_NEAR(product / squares, 0.0, 5 / std::sqrt(n));
}

TEST(RandomTest, BernoulliFrequencyMatchesProbability) {
  Random random(5);
  const int n = 100000;
  int ones = 0;
  for (int i = 0; i < n; ++i) ones += random.Bernoulli(0.3);
  EXPECT_NEAR(static_cast<double>(ones) / n, 0.3, 5 * std::sqrt(0.3 * 0.7 / n));
  for (int i = 0; i < 1000; ++i) {
    ASSERT_FALSE(random.Bernoulli(0.0));
    ASSERT_TRUE(random.Bernoulli(1.0));
  }
}

TEST(RandomTest, SameSeedSameSequenceDifferentSeedDifferentSequence) {
  Random a(123), b(123), c(124);
  bool any_difference = false;
  for (int i = 0; i < 100; ++i) {
    const double from_a = a.Normal();
    EXPECT_EQ(from_a, b.Normal());
    any_difference |= from_a != c.Normal();
  }
  EXPECT_TRUE(any_difference);
}

}  // namespace
}  // namespace borex
