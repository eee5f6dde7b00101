// `borex compare`: pairs two per-method CSVs of `borex batch` (A and B) by image_id and tests one
// metric with the Wilcoxon signed-rank test on the paired differences A - B (stats/wilcoxon.h:
// scipy.stats.wilcoxon's defaults). Filters such as "rise.csv:insertion<0.6" restrict the test
// to the images whose row in another CSV satisfies a bound (the paper's "no-prior" rows).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "borex/stats/wilcoxon.h"

namespace borex::app {

// "PATH:METRIC<VALUE" or "PATH:METRIC>VALUE" (strict bounds). PATH may contain ':'.
struct CompareFilter {
  std::string path, metric;
  char op = '<';
  double value = 0;
  std::string text;  // as given
};
// Throws OptionError(option, ...) when `text` is malformed.
CompareFilter ParseCompareFilter(const std::string& text, const std::string& option = "--where");

struct CompareOptions {
  std::string a_path, b_path;
  std::string metric;  // a column of both CSVs, e.g. insertion
  stats::Alternative alternative = stats::Alternative::kTwoSided;
  std::vector<std::string> where;  // filters, see ParseCompareFilter
  bool intersect = false;          // pair the common ids when the id sets differ (else an error)
  std::string json_path;           // the result as JSON (optional)
  // A check for CI: the result's check_failed is set when p < fail_at, i.e. when the test finds
  // what `alternative` asks (0: no check). In (0, 1).
  double fail_at = 0;
};

struct CompareResult {
  std::string a, b, metric;
  stats::Alternative alternative = stats::Alternative::kTwoSided;
  std::vector<std::string> where;
  int n = 0;          // pairs used (after filtering, before dropping zero differences)
  int n_nonzero = 0;  // pairs with a nonzero difference: the test's sample size
  double statistic = 0, p_value = 1;
  bool exact = false;
  stats::PValueMethod method = stats::PValueMethod::kNormal;
  double r_plus = 0;  // rank sum of the pairs where A > B
  double median_a = 0, median_b = 0, mean_a = 0, mean_b = 0;
  double fail_at = 0;         // CompareOptions::fail_at
  bool check_failed = false;  // fail_at > 0 and p_value < fail_at

  // Keys: a, b, metric, alternative, where, n, n_nonzero, statistic, p_value, method
  // ("exact" | "permutation" | "approx"), exact, median_a, median_b, mean_a, mean_b, and with a
  // check fail_at and check_failed.
  nlohmann::json ToJson() const;
  // One line such as "A > B at p = 3.2e-05" or "no evidence that A > B at the 5% level
  // (p = 0.31)"; A and B stand for the two files.
  std::string Verdict(double alpha = 0.05) const;
};

// Reads, pairs, filters and tests; writes options.json_path (atomically) when set. Throws
// InputError for unreadable or inconsistent CSVs (naming the file, and the image and column where
// it applies) and OptionError for bad filters or a fail_at outside (0, 1), before reading a file.
CompareResult RunCompare(const CompareOptions& options);

// A refinement borex:X[:VARIANT...] against its prior X on one metric, on all images or on a
// subset: the one-sided tests for "better" and for "worse" (issue 11: a refinement should be
// better than its prior, and must not be worse).
struct RefinementComparison {
  std::string refined, prior;
  std::string subset;  // "all", "one item" or "several items" (the prior's CSV's label_items)
  std::string metric;  // insertion, deletion, f_measure or pointing_hit
  bool higher_is_better = true;
  std::optional<CompareResult> better, worse;  // both absent when not tested
  std::string not_tested;                      // why, when absent (e.g. every pair equal)
  // "better (p = 0.031)" or "worse (p = …)" at the 5% level, "no difference at the 5% level",
  // or "not tested".
  std::string Verdict() const;
  // Keys: refined, prior, subset, metric, higher_is_better, verdict, and better and worse
  // (CompareResult::ToJson) or not_tested.
  nlohmann::json ToJson() const;
};

// Each borex:X[:VARIANT...] among `methods` (name, CSV path) whose X is among them too, against
// X on insertion, deletion, f_measure and pointing_hit, on all images and, when the prior's CSV
// counts the label's items (a batch's label_items), on the images with one item and on those
// with several (a subset without an image is left out). Throws InputError when a CSV cannot be
// read; a test that cannot be run (no values, all pairs equal) is recorded as not tested.
std::vector<RefinementComparison> CompareRefinements(
    const std::vector<std::pair<std::string, std::string>>& methods);

}  // namespace borex::app
