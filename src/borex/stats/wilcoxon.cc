#include "borex/stats/wilcoxon.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

#include "borex/core/enum_names.h"
#include "borex/core/error.h"

namespace borex::stats {
namespace {

// scipy's 'auto' thresholds (scipy/stats/_wilcoxon.py): above kExactMaxPairs pairs the normal
// approximation; with ties or zeros, the permutation test up to kPermutationMaxPairs pairs.
constexpr size_t kExactMaxPairs = 50;
constexpr size_t kPermutationMaxPairs = 13;

// Number of sign assignments of `doubled_ranks` (twice the average ranks, so integers) giving
// each doubled rank sum of the positive ones: index s counts the assignments with sum s.
std::vector<uint64_t> SignedRankSumCounts(const std::vector<int>& doubled_ranks) {
  const int total = std::accumulate(doubled_ranks.begin(), doubled_ranks.end(), 0);
  std::vector<uint64_t> counts(total + 1, 0);
  counts[0] = 1;
  int reached = 0;
  for (const int rank : doubled_ranks) {
    reached += rank;
    for (int sum = reached; sum >= rank; --sum) counts[sum] += counts[sum - rank];
  }
  return counts;
}

}  // namespace

const EnumNames<Alternative> kAlternatives{{Alternative::kTwoSided, "two-sided"},
                                           {Alternative::kGreater, "greater"},
                                           {Alternative::kLess, "less"}};

Alternative ParseAlternative(const std::string& name, const std::string& option) {
  return kAlternatives.Parse(name, option);
}

std::string AlternativeName(Alternative alternative) { return kAlternatives.Name(alternative); }

const char* PValueMethodName(PValueMethod method) {
  switch (method) {
    case PValueMethod::kExact:
      return "exact";
    case PValueMethod::kPermutation:
      return "permutation";
    case PValueMethod::kNormal:
      return "approx";
  }
  return "?";
}

double NormalCdf(double x) {
  // Cephes ndtr, as in scipy.special: erf near zero, erfc in the tails.
  if (std::isnan(x)) return x;
  const double t = x * M_SQRT1_2;
  const double z = std::fabs(t);
  if (z < M_SQRT1_2) return 0.5 + 0.5 * std::erf(t);
  const double y = 0.5 * std::erfc(z);
  return t > 0 ? 1.0 - y : y;
}

double Mean(const std::vector<double>& values) {
  if (values.empty()) throw Error("mean of an empty sample");
  double sum = 0;
  for (const double value : values) sum += value;
  return sum / static_cast<double>(values.size());
}

double Median(std::vector<double> values) {
  if (values.empty()) throw Error("median of an empty sample");
  const size_t middle = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + middle, values.end());
  const double upper = values[middle];
  if (values.size() % 2 == 1) return upper;
  const double lower = *std::max_element(values.begin(), values.begin() + middle);
  return (lower + upper) / 2;
}

WilcoxonResult WilcoxonSignedRank(const std::vector<double>& a, const std::vector<double>& b,
                                  Alternative alternative) {
  if (a.size() != b.size())
    throw Error(internal::Concat("Wilcoxon test: the samples have different lengths (", a.size(),
                                 " vs ", b.size(), ")"),
                ExitCode::kInputError);
  if (a.empty()) throw Error("Wilcoxon test: no pairs", ExitCode::kInputError);
  std::vector<double> nonzero;  // the differences d = a - b that are not zero
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = a[i] - b[i];
    if (!std::isfinite(a[i]) || !std::isfinite(b[i]) || !std::isfinite(d))
      throw Error(internal::Concat("Wilcoxon test: pair ", i + 1, " is not finite (", a[i], ", ",
                                   b[i], ")"),
                  ExitCode::kInputError);
    if (d != 0) nonzero.push_back(d);
  }
  WilcoxonResult result;
  result.n = static_cast<int>(nonzero.size());
  result.zeros = static_cast<int>(a.size() - nonzero.size());
  if (nonzero.empty())
    throw Error(internal::Concat("Wilcoxon test: all ", a.size(),
                                 " paired differences are zero, nothing to test"),
                ExitCode::kInputError);

  // Average ranks of |d|, doubled so that they are integers: a tie group at ordinal ranks
  // first..first+t-1 gets the rank first + (t-1)/2.
  const size_t n = nonzero.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) {
    return std::fabs(nonzero[i]) < std::fabs(nonzero[j]);
  });
  std::vector<int> doubled_ranks(n);
  bool has_ties = false;
  double tie_correction = 0;  // sum of t^3 - t over the tie groups
  for (size_t first = 0; first < n;) {
    size_t end = first + 1;
    while (end < n && std::fabs(nonzero[order[end]]) == std::fabs(nonzero[order[first]])) ++end;
    const double t = static_cast<double>(end - first);
    has_ties = has_ties || end - first > 1;
    tie_correction += t * t * t - t;
    for (size_t k = first; k < end; ++k)
      doubled_ranks[order[k]] = static_cast<int>(2 * (first + 1) + (end - first) - 1);
    first = end;
  }
  long doubled_plus = 0, doubled_minus = 0;
  for (size_t i = 0; i < n; ++i)
    (nonzero[i] > 0 ? doubled_plus : doubled_minus) += doubled_ranks[i];
  const double r_plus = doubled_plus / 2.0, r_minus = doubled_minus / 2.0;
  result.r_plus = r_plus;
  result.statistic = alternative == Alternative::kTwoSided ? std::min(r_plus, r_minus) : r_plus;

  const size_t pairs = a.size();  // scipy decides on the length of d, zeros included
  if (pairs <= kExactMaxPairs && !has_ties && result.zeros == 0)
    result.method = PValueMethod::kExact;
  else if (pairs <= kPermutationMaxPairs)
    result.method = PValueMethod::kPermutation;
  else
    result.method = PValueMethod::kNormal;
  result.exact = result.method != PValueMethod::kNormal;

  if (result.exact) {
    // The exact null distribution of r+ (without ties: the ranks 1..n) and the complete
    // permutation test (every sign flip of the observed d; flipping a zero changes nothing, so
    // the zeros cancel out of the proportions) are the same computation. Counts are below 2^50,
    // so count / 2^n is exactly scipy's sum of probabilities.
    const std::vector<uint64_t> counts = SignedRankSumCounts(doubled_ranks);
    uint64_t at_most = 0, at_least = 0;
    for (size_t sum = 0; sum < counts.size(); ++sum) {
      if (static_cast<long>(sum) <= doubled_plus) at_most += counts[sum];
      if (static_cast<long>(sum) >= doubled_plus) at_least += counts[sum];
    }
    const double p_less = std::ldexp(static_cast<double>(at_most), -static_cast<int>(n));
    const double p_greater = std::ldexp(static_cast<double>(at_least), -static_cast<int>(n));
    switch (alternative) {
      case Alternative::kLess:
        result.p_value = p_less;
        break;
      case Alternative::kGreater:
        result.p_value = p_greater;
        break;
      case Alternative::kTwoSided:
        result.p_value = std::min(1.0, 2 * std::min(p_less, p_greater));
        break;
    }
  } else {
    // The operations in scipy's order, so that the result agrees to the last bits.
    const double count = static_cast<double>(n);
    const double mean = count * (count + 1.) * 0.25;
    double se = count * (count + 1.) * (2. * count + 1.);
    se = std::sqrt((se - tie_correction / 2) / 24);
    const double z = (r_plus - mean) / se;
    switch (alternative) {
      case Alternative::kLess:
        result.p_value = NormalCdf(z);
        break;
      case Alternative::kGreater:
        result.p_value = NormalCdf(-z);
        break;
      case Alternative::kTwoSided:
        result.p_value = 2 * NormalCdf(-std::fabs(z));
        break;
    }
  }
  return result;
}

}  // namespace borex::stats
