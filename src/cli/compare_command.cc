#include <spdlog/fmt/fmt.h>

#include <iostream>

#include "borex/app/compare.h"
#include "borex/core/error.h"
#include "commands.h"

namespace borex::cli {

Action AddCompareCommand(CLI::App& app) {
  struct Flags {
    app::CompareOptions options;
    std::string alternative = "two-sided";
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* command = app.add_subcommand(
      "compare", "Test whether one method beats another on a metric (Wilcoxon signed-rank test)");
  command->footer(
      "Pairs the rows of A and B (per-method CSVs of `borex batch`) by image_id and runs the\n"
      "Wilcoxon signed-rank test on the paired differences A - B of one metric, as\n"
      "scipy.stats.wilcoxon does with its defaults (scipy 1.17): pairs with equal values are\n"
      "dropped; the p-value is exact up to 50 pairs (the null distribution of the rank sum; with\n"
      "tied differences or equal pairs, all sign flips, up to 13 pairs) and otherwise from the\n"
      "normal approximation with the tie correction. --alternative greater asks whether A tends\n"
      "to be greater than B (for deletion, where lower is better, use less).\n\n"
      "A and B must hold the same images with the same labels (else exit 4); --intersect pairs\n"
      "the images they share instead. --where keeps only the images whose row in PATH satisfies\n"
      "the bound (quote it for the shell); repeat it to combine bounds. A batch's CSVs describe\n"
      "each image too: PATH:label_items>1 keeps scenes with several items of the label,\n"
      "PATH:label_rank<2 those whose top class is the label.\n\n"
      "--fail-at ALPHA makes it a check for CI: exit 3 when p < ALPHA, that is when the test\n"
      "finds what --alternative asks (the result is still printed and written). To fail a job\n"
      "when new maps are worse than a baseline's, ask for \"worse\": --alternative less for\n"
      "insertion, F-measure or pointing_hit, greater for deletion.\n\n"
      "Example:\n"
      "  borex compare out/borex:rise.csv out/rise.csv --metric insertion --alternative greater\n"
      "  borex compare out/borex:rise.csv out/rise.csv --metric insertion --alternative greater "
      "\\\n"
      "      --where 'out/rise.csv:insertion<0.6' --json out/no_prior_insertion.json\n"
      "  borex compare new/borex:rise.csv baseline/borex:rise.csv --metric deletion "
      "\\\n"
      "      --alternative greater --fail-at 0.05   # CI: exit 3 if deletion got worse");
  auto& options = flags->options;
  command->add_option("A", options.a_path, "Per-method CSV of the first method")->required();
  command->add_option("B", options.b_path, "Per-method CSV of the second method")->required();
  command
      ->add_option("--metric", options.metric,
                   "Column to compare: insertion, deletion, f_measure, average_drop, ...")
      ->required();
  command
      ->add_option("--alternative", flags->alternative,
                   "two-sided | greater (A > B) | less (A < B)")
      ->capture_default_str();
  command
      ->add_option("--where", options.where,
                   "PATH:METRIC<VALUE or PATH:METRIC>VALUE: only images whose row in PATH "
                   "satisfies it (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)  // one filter per --where: positionals may follow
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  command->add_flag("--intersect", options.intersect,
                    "Pair the images present in both files when their image sets differ");
  command->add_option("--json", options.json_path, "Write the result as JSON to OUT");
  command
      ->add_option("--fail-at", options.fail_at,
                   "ALPHA: exit 3 when p < ALPHA (a check for CI; see below)")
      ->group("Checks (for CI)");

  return [flags]() {
    auto& options = flags->options;
    options.alternative = stats::ParseAlternative(flags->alternative, "--alternative");
    const app::CompareResult result = app::RunCompare(options);
    const char* how = result.method == stats::PValueMethod::kExact         ? "exact"
                      : result.method == stats::PValueMethod::kPermutation ? "exact, all sign flips"
                                                                           : "normal approximation";
    const char* statistic = result.alternative == stats::Alternative::kTwoSided
                                ? "min(R+, R-)"
                                : "R+, the rank sum of the pairs where A > B";
    std::string where;
    for (const std::string& filter : result.where) where += "  where:     " + filter + "\n";
    std::cout << fmt::format(
        "compare {} (Wilcoxon signed-rank test, {})\n"
        "  A: {}\n"
        "  B: {}\n"
        "{}"
        "  pairs:     {} ({} with A = B, left out of the test)\n"
        "  median:    A {:.6g}   B {:.6g}\n"
        "  mean:      A {:.6g}   B {:.6g}\n"
        "  statistic: {:g} ({})\n"
        "  p-value:   {:.2g} ({})\n"
        "  {}\n",
        result.metric, stats::AlternativeName(result.alternative), result.a, result.b, where,
        result.n, result.n - result.n_nonzero, result.median_a, result.median_b, result.mean_a,
        result.mean_b, result.statistic, statistic, result.p_value, how,
        result.Verdict(result.fail_at > 0 ? result.fail_at : 0.05));
    if (!result.check_failed) return 0;
    std::cerr << fmt::format("borex: check failed: {}: p = {:.2g} < --fail-at {:g} ({})\n",
                             result.metric, result.p_value, result.fail_at,
                             stats::AlternativeName(result.alternative));
    return static_cast<int>(ExitCode::kThreshold);
  };
}

}  // namespace borex::cli
