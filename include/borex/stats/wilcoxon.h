// The Wilcoxon signed-rank test on paired samples, as scipy.stats.wilcoxon(a, b) computes it with
// its defaults in scipy 1.17.1 (zero_method='wilcox', correction=False, method='auto'; the rules
// below are those of scipy 1.15 to 1.17):
//   - d = a - b; zero differences are dropped (n = the nonzero ones); |d| is ranked with average
//     ranks for ties; r+ (r-) is the rank sum of the positive (negative) differences.
//   - statistic: min(r+, r-) for the two-sided test, r+ for 'greater' and 'less'.
//   - p-value ('auto'), where N is the number of pairs INCLUDING the zero differences:
//       N > 50                                  -> normal approximation;
//       N <= 50, no tied |d| and no zeros        -> exact null distribution of r+ (every sign
//                                                  assignment of the ranks 1..n equally likely);
//       N <= 13, with ties or zeros             -> exact permutation test: every sign flip of
//                                                  the observed d (scipy's PermutationMethod(),
//                                                  which enumerates all 2^N flips);
//       13 < N <= 50, with ties or zeros        -> normal approximation.
//   - exact and permutation p-values: 'greater' P(R+ >= r+), 'less' P(R+ <= r+), two-sided
//     min(1, 2 min(both)).
//   - normal approximation without continuity correction: z = (r+ - n(n+1)/4) / se with
//     se^2 = (n(n+1)(2n+1) - sum(t^3 - t) / 2) / 24 over the tie groups t of the nonzero |d|;
//     'greater' Phi(-z), 'less' Phi(z), two-sided 2 Phi(-|z|).
#pragma once

#include <string>
#include <vector>

namespace borex::stats {

// The alternative hypothesis about d = a - b: 'greater' means a tends to be greater than b.
enum class Alternative { kTwoSided, kGreater, kLess };

// "two-sided" | "greater" | "less"; anything else throws OptionError(option, ...).
Alternative ParseAlternative(const std::string& name, const std::string& option);
std::string AlternativeName(Alternative alternative);

// How the p-value was obtained (see the rules above).
enum class PValueMethod { kExact, kPermutation, kNormal };
// "exact", "permutation" or "approx".
const char* PValueMethodName(PValueMethod method);

struct WilcoxonResult {
  int n = 0;      // pairs after dropping the zero differences
  int zeros = 0;  // zero differences dropped
  double statistic = 0;
  double r_plus = 0;  // rank sum of the positive differences (r- = n(n+1)/2 - r+)
  double p_value = 1;
  bool exact = false;  // exact null distribution or complete permutation test (not normal)
  PValueMethod method = PValueMethod::kNormal;
};

// Tests d = a - b. Throws borex::Error when the lengths differ, a value (or a difference) is not
// finite, or every difference is zero.
WilcoxonResult WilcoxonSignedRank(const std::vector<double>& a, const std::vector<double>& b,
                                  Alternative alternative);

// The median (the mean of the two middle values for an even count), as numpy.median. Throws
// borex::Error for an empty vector.
double Median(std::vector<double> values);

// The arithmetic mean. Throws borex::Error for an empty vector.
double Mean(const std::vector<double>& values);

// The standard normal distribution function Phi(x), computed as scipy.special.ndtr.
double NormalCdf(double x);

}  // namespace borex::stats
