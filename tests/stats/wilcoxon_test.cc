#include "borex/stats/wilcoxon.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "borex/core/error.h"

namespace borex::stats {
namespace {

std::vector<double> Generate(int count, const std::function<double(int)>& value) {
  std::vector<double> values;
  for (int i = 0; i < count; ++i) values.push_back(value(i));
  return values;
}

// +-(i+1)/8 with a fixed sign pattern: distinct magnitudes, no ties.
double SignedEighth(int i) { return 100 + ((i * 7) % 5 < 3 ? 1 : -1) * (i + 1) / 8.0; }

constexpr Alternative kAlternatives[] = {Alternative::kTwoSided, Alternative::kGreater,
                                         Alternative::kLess};

struct Case {
  std::string name;
  std::vector<double> a, b;
  int n, zeros;
  PValueMethod method;
  double statistic[3];  // two-sided, greater, less
  double p_value[3];
};

// Expected values: scipy.stats.wilcoxon(a, b, alternative=ALT) with its defaults in scipy 1.17.1
// (method='auto', zero_method='wilcox', correction=False). scipy 1.17.1 itself cannot be installed
// on the development machine (no PyPI), so they were computed with Debian 12's python3-scipy
// 1.10.1, whose exact and normal branches are unchanged in 1.17.1, calling explicitly the branch
// that scipy 1.17.1's 'auto' picks for the case (see wilcoxon.h), with a, b as in the case:
//   exact:  /usr/bin/python3 -c "from scipy.stats import wilcoxon; a = ...; b = ...;
//           print(wilcoxon(a, b, alternative=ALT, method='exact'))"
//   approx: the same with method='approx', correction=False
//   permutation (scipy 1.17.1 calls stats.permutation_test with stats.PermutationMethod()):
//           /usr/bin/python3 -c "import numpy as np; from scipy.stats import permutation_test,
//           rankdata; a = ...; b = ...; d = np.asarray(a, float) - np.asarray(b, float);
//           rp = lambda d: rankdata(abs(d[d != 0]))[d[d != 0] > 0].sum();
//           print(permutation_test((d,), rp, permutation_type='samples', vectorized=False,
//           n_resamples=9999, alternative=ALT).pvalue, rp(d), rp(-d))"
//   (statistic: min(rp(d), rp(-d)) two-sided, rp(d) one-sided)
// The doc_* cases are the examples of scipy 1.17.1's wilcoxon docstring (doctested there), and
// agree with it: (24.0, 0.041259765625), (96.0, 0.0206298828125), (5.0, 0.5625), (6.0, 0.5).
std::vector<Case> Cases() {
  using M = PValueMethod;
  return {
      // Small n without ties: exact.
      {"exact9",
       {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30},
       {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29},
       9,
       0,
       M::kExact,
       {5.0, 40.0, 40.0},
       {0.0390625, 0.01953125, 0.986328125}},
      {"doc15",
       {6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75},
       std::vector<double>(15, 0.0),
       15,
       0,
       M::kExact,
       {24.0, 96.0, 96.0},
       {0.041259765625, 0.0206298828125, 0.982330322265625}},
      // 0.05 - 0.0 and friends differ in the last bits: no ties after the subtraction.
      {"doc_xy4",
       {0.5, 0.825, 0.375, 0.5},
       {0.525, 0.775, 0.325, 0.55},
       4,
       0,
       M::kExact,
       {5.0, 5.0, 5.0},
       {1.0, 0.5625, 0.5625}},
      // Small n with ties: the complete permutation test.
      {"doc_d4",
       {-0.025, 0.05, 0.05, -0.05},
       {0, 0, 0, 0},
       4,
       0,
       M::kPermutation,
       {4.0, 6.0, 6.0},
       {1.0, 0.5, 0.6875}},
      {"ties10",
       {3, 5, 2, 8, 7, 6, 6, 9, 5, 1},
       {1, 4, 4, 5, 5, 3, 7, 6, 2, 2},
       10,
       0,
       M::kPermutation,
       {9.0, 46.0, 46.0},
       {0.064453125, 0.0322265625, 0.9765625}},
      // Zero differences (dropped), with and without ties among the others.
      {"zeros10",
       {4, 5, 2, 8, 7, 6, 6, 9, 5, 1},
       {1, 5, 4, 5, 5, 6, 7, 6, 2, 2},
       8,
       2,
       M::kPermutation,
       {6.5, 29.5, 29.5},
       {0.125, 0.0625, 0.9609375}},
      {"zeros12",
       {1.5, -0.25, 1, 3.0, 1, -2.5, 5.5, 1.75, 2.5, 1, 3.75, 6.25},
       std::vector<double>(12, 1.0),
       9,
       3,
       M::kPermutation,
       {10.0, 35.0, 35.0},
       {0.1640625, 0.08203125, 0.935546875}},
      // Ties or zeros with 13 < N <= 50: normal approximation with the tie correction.
      {"ties20",
       Generate(20, [](int i) { return (i * 7) % 11; }),
       Generate(20, [](int i) { return (i * 3) % 7 + 0.5; }),
       20,
       0,
       M::kNormal,
       {67.5, 142.5, 142.5},
       {0.1603870777449351, 0.08019353887246755, 0.9198064611275325}},
      {"zeros30",
       Generate(30, [](int i) { return i % 7; }),
       Generate(30, [](int i) { return (i * 5) % 9; }),
       26,
       4,
       M::kNormal,
       {123.0, 123.0, 123.0},
       {0.18120161721016637, 0.9093991913949169, 0.09060080860508318}},
      // Large n.
      {"large80",
       Generate(80, [](int i) { return (i * 37) % 101 + 3; }),
       Generate(80, [](int i) { return (i * 53) % 97; }),
       79,
       1,
       M::kNormal,
       {1339.5, 1820.5, 1820.5},
       {0.23984669906673006, 0.11992334953336503, 0.880076650466635}},
      // The exact/normal threshold: N = 50 exact, N = 51 normal, and zeros count in N.
      {"exact50",
       Generate(50, SignedEighth),
       std::vector<double>(50, 100.0),
       50,
       0,
       M::kExact,
       {530.0, 745.0, 745.0},
       {0.3044806608698192, 0.1522403304349096, 0.8500226964061302}},
      {"approx51",
       Generate(51, SignedEighth),
       std::vector<double>(51, 100.0),
       51,
       0,
       M::kNormal,
       {530.0, 796.0, 796.0},
       {0.21251812213554644, 0.10625906106777322, 0.8937409389322268}},
      {"approx52z",
       Generate(52, [](int i) { return i < 50 ? SignedEighth(i) : 7.0; }),
       Generate(52, [](int i) { return i < 50 ? 100.0 : 7.0; }),
       50,
       2,
       M::kNormal,
       {530.0, 745.0, 745.0},
       {0.29939695803744193, 0.14969847901872096, 0.850301520981279}},
      // The permutation/normal threshold with ties or zeros: N = 13 permutation, N = 14 normal.
      {"perm13",
       Generate(13, [](int i) { return (i * 5) % 7; }),
       Generate(13, [](int i) { return (i * 3) % 5; }),
       12,
       1,
       M::kPermutation,
       {15.0, 63.0, 63.0},
       {0.06103515625, 0.030517578125, 0.97705078125}},
      {"approx14",
       Generate(14, [](int i) { return (i * 5) % 7; }),
       Generate(14, [](int i) { return (i * 3) % 5; }),
       13,
       1,
       M::kNormal,
       {23.0, 68.0, 68.0},
       {0.11261813803029844, 0.05630906901514922, 0.9436909309848508}},
      // All positive: the smallest exact p-value, 1 / 2^n.
      {"allpos10",
       Generate(10, [](int i) { return i + 2; }),
       std::vector<double>(10, 1.0),
       10,
       0,
       M::kExact,
       {0.0, 55.0, 55.0},
       {0.001953125, 0.0009765625, 1.0}},
  };
}

TEST(WilcoxonTest, MatchesScipy) {
  for (const Case& c : Cases()) {
    for (int k = 0; k < 3; ++k) {
      const Alternative alternative = kAlternatives[k];
      SCOPED_TRACE(c.name + " " + AlternativeName(alternative));
      const WilcoxonResult result = WilcoxonSignedRank(c.a, c.b, alternative);
      EXPECT_EQ(result.n, c.n);
      EXPECT_EQ(result.zeros, c.zeros);
      EXPECT_EQ(PValueMethodName(result.method), std::string(PValueMethodName(c.method)));
      EXPECT_EQ(result.exact, c.method != PValueMethod::kNormal);
      EXPECT_EQ(result.statistic, c.statistic[k]);
      const double tolerance = result.exact ? 1e-12 : 1e-9;
      EXPECT_NEAR(result.p_value, c.p_value[k], tolerance * c.p_value[k]);
    }
  }
}

TEST(WilcoxonTest, AllPositiveGivesOneOverTwoToTheN) {
  for (int n = 1; n <= 50; ++n) {
    const std::vector<double> a = Generate(n, [](int i) { return i + 1.5; });
    const std::vector<double> b(n, 0.0);
    const WilcoxonResult greater = WilcoxonSignedRank(a, b, Alternative::kGreater);
    ASSERT_TRUE(greater.exact) << n;
    EXPECT_EQ(greater.p_value, std::ldexp(1.0, -n)) << n;
    EXPECT_EQ(greater.statistic, n * (n + 1) / 2.0) << n;
    EXPECT_EQ(WilcoxonSignedRank(a, b, Alternative::kLess).p_value, 1.0) << n;
    EXPECT_EQ(WilcoxonSignedRank(a, b, Alternative::kTwoSided).p_value,
              std::min(1.0, std::ldexp(1.0, 1 - n)))
        << n;
    // Swapping the samples swaps the one-sided alternatives.
    EXPECT_EQ(WilcoxonSignedRank(b, a, Alternative::kLess).p_value, greater.p_value) << n;
  }
}

// Independent of the implementation: every one of the 2^n sign assignments of the nonzero |d|
// (with average ranks for ties, computed naively here) is equally likely under the null.
struct BruteForce {
  double less, greater, two_sided, r_plus;
};

BruteForce EnumerateSigns(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> magnitude, sign;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = a[i] - b[i];
    if (d == 0) continue;
    magnitude.push_back(std::fabs(d));
    sign.push_back(d > 0 ? 1 : -1);
  }
  const size_t n = magnitude.size();
  std::vector<double> rank(n);
  for (size_t i = 0; i < n; ++i) {
    int below = 0, equal = 0;
    for (size_t j = 0; j < n; ++j) {
      below += magnitude[j] < magnitude[i];
      equal += magnitude[j] == magnitude[i];
    }
    rank[i] = below + 1 + (equal - 1) / 2.0;
  }
  BruteForce result{};
  for (size_t i = 0; i < n; ++i)
    if (sign[i] > 0) result.r_plus += rank[i];
  long at_most = 0, at_least = 0;
  const long total = 1L << n;
  for (long mask = 0; mask < total; ++mask) {
    double r_plus = 0;
    for (size_t i = 0; i < n; ++i)
      if (mask & (1L << i)) r_plus += rank[i];
    at_most += r_plus <= result.r_plus;
    at_least += r_plus >= result.r_plus;
  }
  result.less = static_cast<double>(at_most) / total;
  result.greater = static_cast<double>(at_least) / total;
  result.two_sided = std::min(1.0, 2 * std::min(result.less, result.greater));
  return result;
}

void ExpectMatchesBruteForce(const std::vector<double>& a, const std::vector<double>& b,
                             const std::string& name) {
  SCOPED_TRACE(name);
  const BruteForce expected = EnumerateSigns(a, b);
  const WilcoxonResult less = WilcoxonSignedRank(a, b, Alternative::kLess);
  ASSERT_TRUE(less.exact);
  EXPECT_NEAR(less.p_value, expected.less, 1e-12 * expected.less);
  EXPECT_EQ(less.statistic, expected.r_plus);
  const WilcoxonResult greater = WilcoxonSignedRank(a, b, Alternative::kGreater);
  EXPECT_NEAR(greater.p_value, expected.greater, 1e-12 * expected.greater);
  const WilcoxonResult two_sided = WilcoxonSignedRank(a, b, Alternative::kTwoSided);
  EXPECT_NEAR(two_sided.p_value, expected.two_sided, 1e-12 * expected.two_sided);
}

TEST(WilcoxonTest, ExactAndPermutationPValuesMatchEnumeration) {
  for (const Case& c : Cases())
    if (c.a.size() <= 12) ExpectMatchesBruteForce(c.a, c.b, c.name);
  // Random small integer data: many ties and zeros (permutation) or none (exact).
  std::mt19937 rng(20240611);
  for (int trial = 0; trial < 300; ++trial) {
    const int n = 1 + trial % 12;
    const int range = trial % 3 == 0 ? 1000000 : 4;  // wide range: almost never a tie
    std::uniform_int_distribution<int> value(0, range);
    std::vector<double> a(n), b(n);
    for (int i = 0; i < n; ++i) {
      a[i] = value(rng);
      b[i] = value(rng);
    }
    bool any_nonzero = false;
    for (int i = 0; i < n; ++i) any_nonzero = any_nonzero || a[i] != b[i];
    if (any_nonzero) ExpectMatchesBruteForce(a, b, "trial " + std::to_string(trial));
  }
}

TEST(WilcoxonTest, RejectsBadInput) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW(WilcoxonSignedRank({1, 2, 3}, {1, 2}, Alternative::kTwoSided), Error);
  EXPECT_THROW(WilcoxonSignedRank({1, nan, 3}, {0, 0, 0}, Alternative::kTwoSided), Error);
  EXPECT_THROW(WilcoxonSignedRank({1, 2, 3}, {0, inf, 0}, Alternative::kGreater), Error);
  EXPECT_THROW(WilcoxonSignedRank({1e308, 2}, {-1e308, 0}, Alternative::kGreater), Error);
  EXPECT_THROW(WilcoxonSignedRank({}, {}, Alternative::kTwoSided), Error);
  try {
    WilcoxonSignedRank({1, 2, 3}, {1, 2, 3}, Alternative::kTwoSided);
    FAIL() << "no error for all-zero differences";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("all 3 paired differences are zero"), std::string::npos)
        << e.what();
    EXPECT_EQ(e.code(), ExitCode::kInputError);
  }
  // One nonzero difference is enough.
  const WilcoxonResult one = WilcoxonSignedRank({1, 2, 3}, {1, 2, 4}, Alternative::kLess);
  EXPECT_EQ(one.n, 1);
  EXPECT_EQ(one.zeros, 2);
  EXPECT_EQ(one.p_value, 0.5);
}

TEST(WilcoxonTest, ParseAlternative) {
  EXPECT_EQ(ParseAlternative("two-sided", "--alternative"), Alternative::kTwoSided);
  EXPECT_EQ(ParseAlternative("greater", "--alternative"), Alternative::kGreater);
  EXPECT_EQ(ParseAlternative("less", "--alternative"), Alternative::kLess);
  try {
    ParseAlternative("bigger", "--alternative");
    FAIL() << "no error";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    EXPECT_NE(std::string(e.what()).find(
                  "--alternative: 'bigger' is not one of two-sided, greater, less"),
              std::string::npos)
        << e.what();
  }
  for (const Alternative alternative : kAlternatives)
    EXPECT_EQ(ParseAlternative(AlternativeName(alternative), "x"), alternative);
}

TEST(WilcoxonTest, Mean) {
  EXPECT_EQ(Mean({3}), 3);
  EXPECT_DOUBLE_EQ(Mean({0.1, 0.2, 0.6}), 0.3);
  EXPECT_THROW(Mean({}), Error);
}

TEST(WilcoxonTest, Median) {
  EXPECT_EQ(Median({3}), 3);
  EXPECT_EQ(Median({5, 1, 3}), 3);
  EXPECT_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_EQ(Median({-1, 10, 10, 0, 7, 7}), 7);
  EXPECT_THROW(Median({}), Error);
}

TEST(WilcoxonTest, NormalCdfMatchesScipyNdtr) {
  // /usr/bin/python3 -c "from scipy.special import ndtr; print(repr(float(ndtr(X))))"
  const std::pair<double, double> values[] = {
      {-10.0, 7.61985302416047e-24}, {-1.959963984540054, 0.025},
      {-0.5, 0.3085375387259869},    {0.0, 0.5},
      {0.3, 0.6179114221889526},     {1.0, 0.8413447460685429},
      {3.0, 0.9986501019683699},     {8.5, 1.0}};
  for (const auto& [x, expected] : values)
    EXPECT_NEAR(NormalCdf(x), expected, 1e-14 * expected) << x;
}

}  // namespace
}  // namespace borex::stats
