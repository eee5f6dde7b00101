#include "borex/app/compare.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "borex/core/error.h"
#include "borex/io/json_file.h"
#include "support/temp_dir.h"

namespace borex::app {
namespace {

namespace fs = std::filesystem;

// The differences of the example in scipy's wilcoxon docstring: two-sided (24, 0.041259765625),
// greater (96, 0.0206298828125), both exact.
const std::vector<double> kDifferences = {6,  8,   14, 16, 23, 24,  28, 29,
                                          41, -48, 49, 56, 60, -67, 75};

struct Row {
  std::string id, label, insertion, deletion = "0.25";
};

class CompareTest : public borex::testing::TempDirTest {
 protected:
  // A per-method CSV of `borex batch` with the given rows (other metrics empty).
  std::string WriteCsv(const std::string& name, const std::vector<Row>& rows) const {
    std::string path = Path(name);
    std::ofstream out(path);
    out << "image_id,label,insertion,deletion,insertion_sum,deletion_sum,f_measure,f_measure_sum,"
           "pointing_hit,average_drop,average_gain,model_calls,seconds\n";
    for (const Row& row : rows)
      out << row.id << "," << row.label << "," << row.insertion << "," << row.deletion
          << ",,,,,,,,101,0.5\n";
    return path;
  }

  // A: 100 + d_i for image i (i = 0..14), B: 100; B's rows in reverse order.
  void WriteDocExample() {
    std::vector<Row> a, b;
    for (size_t i = 0; i < kDifferences.size(); ++i) {
      const std::string id = "img" + std::to_string(i);
      a.push_back({id, std::to_string(i % 3), std::to_string(100 + kDifferences[i])});
      b.insert(b.begin(), {id, std::to_string(i % 3), "100"});
    }
    a_ = WriteCsv("a.csv", a);
    b_ = WriteCsv("b.csv", b);
  }

  CompareOptions Options(const std::string& metric = "insertion") const {
    CompareOptions options;
    options.a_path = a_;
    options.b_path = b_;
    options.metric = metric;
    return options;
  }

  // RunCompare must throw E with a message containing every needle, and write no JSON.
  template <typename E>
  void ExpectError(CompareOptions options, const std::vector<std::string>& needles) {
    options.json_path = Path("out.json");
    try {
      RunCompare(options);
      ADD_FAILURE() << "no error";
    } catch (const E& e) {
      const std::string message = e.what();
      for (const std::string& needle : needles)
        EXPECT_NE(message.find(needle), std::string::npos) << "'" << needle << "' in " << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
    EXPECT_FALSE(fs::exists(Path("out.json")));
  }

  std::string a_, b_;
};

TEST_F(CompareTest, PairsByImageIdAndMatchesScipy) {
  WriteDocExample();
  CompareOptions options = Options();
  options.json_path = Path("result.json");
  const CompareResult two_sided = RunCompare(options);
  EXPECT_EQ(two_sided.n, 15);
  EXPECT_EQ(two_sided.n_nonzero, 15);
  EXPECT_EQ(two_sided.statistic, 24.0);
  EXPECT_DOUBLE_EQ(two_sided.p_value, 0.041259765625);
  EXPECT_TRUE(two_sided.exact);
  EXPECT_EQ(two_sided.median_a, 124.0);
  EXPECT_EQ(two_sided.median_b, 100.0);
  EXPECT_DOUBLE_EQ(two_sided.mean_a, 100 + 314.0 / 15);
  EXPECT_EQ(two_sided.mean_b, 100.0);
  EXPECT_EQ(two_sided.Verdict(), "A > B at p = 0.041 (two-sided)");

  const nlohmann::json json = io::ReadJson(Path("result.json"));
  for (const char* key : {"n", "n_nonzero", "statistic", "p_value", "median_a", "median_b",
                          "mean_a", "mean_b", "metric", "alternative", "method", "a", "b"})
    EXPECT_TRUE(json.contains(key)) << key;
  EXPECT_EQ(json["n"], 15);
  EXPECT_EQ(json["statistic"], 24.0);
  EXPECT_EQ(json["method"], "exact");
  EXPECT_EQ(json["alternative"], "two-sided");
  EXPECT_EQ(json["metric"], "insertion");
  EXPECT_EQ(json["a"], a_);
  EXPECT_EQ(json, two_sided.ToJson());

  options.alternative = stats::Alternative::kGreater;
  const CompareResult greater = RunCompare(options);
  EXPECT_EQ(greater.statistic, 96.0);
  EXPECT_DOUBLE_EQ(greater.p_value, 0.0206298828125);
  EXPECT_EQ(greater.Verdict(), "A > B at p = 0.021");
  options.alternative = stats::Alternative::kLess;
  EXPECT_EQ(RunCompare(options).Verdict(), "no evidence that A < B at the 5% level (p = 0.98)");
  // Swapping the files swaps the direction.
  std::swap(options.a_path, options.b_path);
  EXPECT_DOUBLE_EQ(RunCompare(options).p_value, 0.0206298828125);
}

// --fail-at: the check fails exactly when p < fail_at (scipy's example: greater p = 0.0206),
// is recorded in the JSON, and a level outside (0, 1) is refused before any file is read.
TEST_F(CompareTest, FailAtChecksThePValue) {
  WriteDocExample();
  CompareOptions options = Options();
  options.alternative = stats::Alternative::kGreater;
  EXPECT_FALSE(RunCompare(options).check_failed);  // no check
  EXPECT_FALSE(RunCompare(options).ToJson().contains("check_failed"));
  options.fail_at = 0.05;
  options.json_path = Path("check.json");
  const CompareResult failed = RunCompare(options);
  EXPECT_TRUE(failed.check_failed);
  const nlohmann::json json = io::ReadJson(Path("check.json"));
  EXPECT_EQ(json["fail_at"], 0.05);
  EXPECT_EQ(json["check_failed"], true);
  options.fail_at = 0.02;  // just below p
  EXPECT_FALSE(RunCompare(options).check_failed);
  options.fail_at = 0.05;
  options.alternative = stats::Alternative::kLess;  // p = 0.98
  EXPECT_FALSE(RunCompare(options).check_failed);
  for (const double level : {-0.1, 1.0, 2.0}) {
    options.fail_at = level;
    options.a_path = Path("none.csv");  // not read: the level is checked first
    try {
      RunCompare(options);
      ADD_FAILURE() << level;
    } catch (const OptionError& e) {
      EXPECT_NE(std::string(e.what()).find("--fail-at"), std::string::npos) << e.what();
    }
  }
}

// Bug: --json named like B (or a --where file) overwrote it with the result.
TEST_F(CompareTest, JsonThatWouldOverwriteAnInputIsRefused) {
  WriteDocExample();
  CompareOptions options = Options();
  const auto b_bytes = fs::file_size(b_);
  for (const std::string& output : {b_, a_}) {
    options.json_path = output;
    try {
      RunCompare(options);
      ADD_FAILURE() << output;
    } catch (const OptionError& e) {
      EXPECT_EQ(std::string(e.what()), "--json: " + output + " would overwrite " +
                                           (output == b_ ? "B " : "A ") + output +
                                           ": give the output another name");
    }
  }
  options.json_path = Path("w.csv");
  options.where = {Path("w.csv") + ":insertion<1"};
  EXPECT_THROW(RunCompare(options), OptionError);
  EXPECT_EQ(fs::file_size(b_), b_bytes);
  EXPECT_FALSE(fs::exists(Path("w.csv")));
}

TEST_F(CompareTest, ZeroDifferencesAreCountedButDropped) {
  a_ = WriteCsv("a.csv", {{"x", "1", "0.5"}, {"y", "1", "0.7"}, {"z", "2", "0.9"}});
  b_ = WriteCsv("b.csv", {{"x", "1", "0.5"}, {"y", "1", "0.6"}, {"z", "2", "0.4"}});
  const CompareResult result = RunCompare(Options());
  EXPECT_EQ(result.n, 3);
  EXPECT_EQ(result.n_nonzero, 2);
  EXPECT_EQ(result.method, stats::PValueMethod::kPermutation);
  EXPECT_EQ(result.p_value, 0.5);
  EXPECT_EQ(result.Verdict(), "no evidence of a difference at the 5% level (p = 0.5, two-sided)");
}

TEST_F(CompareTest, DuplicatedImageId) {
  a_ = WriteCsv("a.csv", {{"x", "1", "0.5"}, {"y", "1", "0.7"}, {"x", "1", "0.9"}});
  b_ = WriteCsv("b.csv", {{"x", "1", "0.5"}, {"y", "1", "0.6"}});
  ExpectError<InputError>(Options(), {"a.csv", "image_id 'x' appears twice", "lines 2 and 4"});
}

TEST_F(CompareTest, DifferentLabels) {
  a_ = WriteCsv("a.csv", {{"x", "1", "0.5"}, {"y", "1", "0.7"}});
  b_ = WriteCsv("b.csv", {{"x", "1", "0.4"}, {"y", "3", "0.6"}});
  ExpectError<InputError>(Options(),
                          {"a.csv", "image 'y'", "b.csv", "different datasets or label choices?"});
}

TEST_F(CompareTest, NoCommonIds) {
  a_ = WriteCsv("a.csv", {{"x", "1", "0.5"}});
  b_ = WriteCsv("b.csv", {{"y", "1", "0.4"}});
  CompareOptions options = Options();
  options.intersect = true;
  ExpectError<InputError>(options, {"a.csv", "no image_id in common", "different datasets?"});
}

TEST_F(CompareTest, DifferentIdSetsNeedIntersect) {
  a_ =
      WriteCsv("a.csv", {{"w", "0", "0.9"}, {"x", "1", "0.5"}, {"y", "1", "0.7"}, {"z", "2", "1"}});
  b_ =
      WriteCsv("b.csv", {{"v", "0", "0.1"}, {"x", "1", "0.4"}, {"y", "1", "0.6"}, {"z", "2", "0"}});
  ExpectError<InputError>(Options(), {"a.csv", "1 only in", "(e.g. 'w')", "1 only in", "(e.g. 'v')",
                                      "--intersect", "3 in common"});
  CompareOptions options = Options();
  options.intersect = true;
  options.alternative = stats::Alternative::kGreater;
  const CompareResult result = RunCompare(options);
  EXPECT_EQ(result.n, 3);
  EXPECT_EQ(result.median_a, 0.7);
  EXPECT_EQ(result.median_b, 0.4);
  EXPECT_EQ(result.p_value, 0.125);  // all three positive: 1 / 2^3
}

TEST_F(CompareTest, MissingMetricColumn) {
  a_ = WriteCsv("a.csv", {{"x", "1", "0.5"}});
  b_ = WriteCsv("b.csv", {{"x", "1", "0.4"}});
  ExpectError<InputError>(Options("insertoin"), {"a.csv", "no column 'insertoin'"});
  std::ofstream(Path("short.csv")) << "image_id,label\nx,1\n";
  CompareOptions options = Options();
  options.b_path = Path("short.csv");
  ExpectError<InputError>(options, {"short.csv", "no column 'insertion'"});
}

TEST_F(CompareTest, EmptyOrNonNumericValues) {
  a_ = WriteCsv("a.csv", {{"x", "1", "0.5"}, {"y", "1", ""}});
  b_ = WriteCsv("b.csv", {{"x", "1", "0.4"}, {"y", "1", "0.6"}});
  ExpectError<InputError>(Options(), {"a.csv", "image 'y'", "no value in column 'insertion'"});
  b_ = WriteCsv("b2.csv", {{"x", "1", "0.4"}, {"y", "1", "abc"}});
  a_ = WriteCsv("a2.csv", {{"x", "1", "0.5"}, {"y", "1", "0.3"}});
  ExpectError<InputError>(Options(), {"b2.csv", "image 'y'", "column 'insertion'", "'abc'"});
  b_ = WriteCsv("b3.csv", {{"x", "1", "0.4"}, {"y", "1", "nan"}});
  ExpectError<InputError>(Options(), {"b3.csv", "image 'y'", "'nan'"});
  b_ = WriteCsv("b4.csv", {{"x", "1", "0.4"}, {"y", "1", "0.6x"}});
  ExpectError<InputError>(Options(), {"b4.csv", "'0.6x'"});
}

TEST_F(CompareTest, MissingFileAndNothingToTest) {
  a_ = WriteCsv("a.csv", {{"x", "1", "0.5"}, {"y", "1", "0.7"}});
  b_ = Path("none.csv");
  ExpectError<InputError>(Options(), {"none.csv"});
  b_ = WriteCsv("b.csv", {{"y", "1", "0.7"}, {"x", "1", "0.5"}});
  ExpectError<InputError>(Options(), {"a.csv", "all 2 paired values of 'insertion' equal"});
}

TEST_F(CompareTest, ParseCompareFilter) {
  const CompareFilter filter = ParseCompareFilter("out/borex:rise.csv:insertion<0.6");
  EXPECT_EQ(filter.path, "out/borex:rise.csv");
  EXPECT_EQ(filter.metric, "insertion");
  EXPECT_EQ(filter.op, '<');
  EXPECT_EQ(filter.value, 0.6);
  const CompareFilter above = ParseCompareFilter("rise.csv:deletion>-1e-3");
  EXPECT_EQ(above.path, "rise.csv");
  EXPECT_EQ(above.op, '>');
  EXPECT_EQ(above.value, -1e-3);
  for (const char* bad : {"rise.csv", "rise.csv:insertion", "rise.csv:insertion<",
                          "rise.csv:insertion<=0.6", "rise.csv:insertion<abc", ":insertion<0.6",
                          "rise.csv:<0.6", "insertion<0.6", "rise.csv:insertion<0.6>0.2"}) {
    try {
      ParseCompareFilter(bad);
      ADD_FAILURE() << bad;
    } catch (const OptionError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--where: '" + std::string(bad) + "'", 0), 0u)
          << e.what();
      EXPECT_EQ(e.code(), ExitCode::kUsage);
    }
  }
}

TEST_F(CompareTest, FiltersKeepTheIdsSatisfyingThemInTheirFile) {
  // The "no-prior" row of the paper: images where the base method's insertion is below 0.6.
  std::vector<Row> a, b, base;
  for (int i = 0; i < 8; ++i) {
    const std::string id = "img" + std::to_string(i);
    a.push_back({id, "1", std::to_string(0.5 + 0.01 * i)});
    b.push_back({id, "1", "0.5"});
    // Base insertion 0.1 * i: below 0.6 for i < 6. img7 is absent from the base file.
    if (i < 7) base.push_back({id, "1", std::to_string(0.1 * i), std::to_string(1 - 0.1 * i)});
  }
  a_ = WriteCsv("a.csv", a);
  b_ = WriteCsv("b.csv", b);
  const std::string base_path = WriteCsv("borex:base.csv", base);
  CompareOptions options = Options();
  options.where = {base_path + ":insertion<0.6"};
  CompareResult result = RunCompare(options);
  EXPECT_EQ(result.n, 6);  // img0..img5
  EXPECT_EQ(result.n_nonzero, 5);
  EXPECT_DOUBLE_EQ(result.median_a, 0.525);
  EXPECT_EQ(result.ToJson()["where"], nlohmann::json::array({base_path + ":insertion<0.6"}));
  // Filters combine; they may name A or B themselves.
  options.where.push_back(a_ + ":insertion>0.515");
  options.alternative = stats::Alternative::kGreater;
  result = RunCompare(options);
  EXPECT_EQ(result.n, 4);  // img2..img5
  EXPECT_EQ(result.p_value, 1.0 / 16);
  options.where.push_back(base_path + ":deletion>0.9");
  ExpectError<OptionError>(options, {"--where", "none of the 8 paired images satisfies"});
  options.where = {base_path + ":f_measure<0.5"};  // empty in the base file: dropped
  ExpectError<OptionError>(options, {"--where", "none of the 8"});
  options.where = {base_path + ":nope<0.5"};
  ExpectError<InputError>(options, {"borex:base.csv", "no column 'nope'"});
  options.where = {Path("none.csv") + ":insertion<0.5"};
  ExpectError<InputError>(options, {"none.csv"});
  options.where = {"insertion<0.5"};
  ExpectError<OptionError>(options, {"--where", "insertion<0.5"});
}

// Each borex:X against X: on all images only when the prior's CSV does not count items (the
// other metrics are empty: not tested, with the reason); a refinement of an absent prior and a
// plain method are not compared.
TEST_F(CompareTest, RefinementsAreComparedWithTheirPriorsOnEveryMetric) {
  WriteDocExample();
  const std::string orphan = WriteCsv("orphan.csv", {{"img0", "0", "0.5"}});
  const auto comparisons = CompareRefinements(
      {{"borex:rise:box", a_}, {"rise", b_}, {"borex:gradcam", orphan}, {"mokuwe", a_}});
  ASSERT_EQ(comparisons.size(), 4u);
  EXPECT_EQ(comparisons[0].refined, "borex:rise:box");
  EXPECT_EQ(comparisons[0].prior, "rise");
  EXPECT_EQ(comparisons[0].subset, "all");
  EXPECT_EQ(comparisons[0].metric, "insertion");
  ASSERT_TRUE(comparisons[0].better && comparisons[0].worse);
  EXPECT_NEAR(comparisons[0].better->p_value, 0.0206298828125, 1e-12);  // scipy's, greater
  EXPECT_EQ(comparisons[0].Verdict(), "better (p = 0.021)");
  EXPECT_EQ(comparisons[0].ToJson()["verdict"], "better (p = 0.021)");
  EXPECT_EQ(comparisons[1].metric, "deletion");
  EXPECT_FALSE(comparisons[1].higher_is_better);
  EXPECT_FALSE(comparisons[1].better.has_value());  // every pair equal: nothing to test
  EXPECT_EQ(comparisons[1].Verdict(), "not tested");
  EXPECT_NE(comparisons[1].not_tested.find("nothing to test"), std::string::npos);
  EXPECT_NE(comparisons[1].ToJson()["not_tested"].get<std::string>().find("nothing to test"),
            std::string::npos);
  EXPECT_FALSE(comparisons[2].better.has_value());  // f_measure: no values
  EXPECT_EQ(comparisons[3].metric, "pointing_hit");
}

// With the prior's label_items, also the images with one item and those with several; the
// images of the refinement that the prior lacks are left out.
TEST_F(CompareTest, RefinementsAreComparedOnTheSubsetsOfOneItemAndOfSeveral) {
  const std::string header =
      "image_id,label,label_items,insertion,deletion,f_measure,pointing_hit\n";
  std::ofstream(Path("prior.csv")) << header << "a,1,1,0.1,0.5,0.2,1\nb,1,1,0.2,0.5,0.2,1\n"
                                   << "c,1,2,0.3,0.5,0.2,0\nd,1,,0.4,0.5,0.2,0\n";
  std::ofstream(Path("refined.csv")) << header << "a,1,,0.2,0.4,0.3,1\nb,1,,0.3,0.4,0.3,1\n"
                                     << "c,1,,0.1,0.6,0.1,1\nd,1,,0.5,0.4,0.3,1\n";
  const auto comparisons =
      CompareRefinements({{"rise", Path("prior.csv")}, {"borex:rise", Path("refined.csv")}});
  ASSERT_EQ(comparisons.size(), 12u);
  EXPECT_EQ(comparisons[0].better->n, 4);
  EXPECT_EQ(comparisons[4].subset, "one item");
  EXPECT_EQ(comparisons[4].better->n, 2);                    // a, b
  EXPECT_NEAR(comparisons[4].better->p_value, 0.25, 1e-12);  // higher on both: exact 1/4
  EXPECT_EQ(comparisons[8].subset, "several items");
  EXPECT_EQ(comparisons[8].worse->n, 1);  // c, lower
  EXPECT_NEAR(comparisons[8].worse->p_value, 0.5, 1e-12);
  EXPECT_EQ(comparisons[9].metric, "deletion");  // c: higher deletion, worse
  EXPECT_NEAR(comparisons[9].worse->p_value, 0.5, 1e-12);
  EXPECT_FALSE(comparisons[7].better.has_value());           // one item, pointing: every pair equal
  EXPECT_NEAR(comparisons[11].better->p_value, 0.5, 1e-12);  // several, pointing: c hits
}

}  // namespace
}  // namespace borex::app
