// `borex compare` end to end: the printed block, the JSON, and clean failures.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "support/run_borex.h"
#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using borex::testing::CommandResult;
using borex::testing::RunBorex;

class CompareCliTest : public borex::testing::TempDirTest {
 protected:
  // A batch CSV whose insertion of image i is insertion(i), for i in [first, last).
  template <typename F>
  std::string WriteCsv(const std::string& name, int first, int last, F insertion) const {
    std::string path = Path(name);
    std::ofstream out(path);
    out << "image_id,label,insertion,deletion,insertion_sum,deletion_sum,f_measure,f_measure_sum,"
           "pointing_hit,average_drop,average_gain,model_calls,seconds\n";
    for (int i = first; i < last; ++i)
      out << "2008_" << 1000 + i << "," << i % 5 << "," << insertion(i) << ",0.1,,,,,,,," << 100 + i
          << ",0.25\n";
    return path;
  }

  // The command fails with `status`, one error line containing `needle`, and writes no JSON.
  void ExpectCleanFailure(const std::string& args, int status, const std::string& needle) {
    const CommandResult run = RunBorex(args + " --json " + Path("out.json"));
    EXPECT_EQ(run.status, status) << args << "\n" << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    EXPECT_EQ(run.err.rfind("borex: error: ", 0), 0u) << run.err;
    EXPECT_NE(run.err.find(needle), std::string::npos) << run.err;
    EXPECT_FALSE(fs::exists(Path("out.json")));
  }
};

TEST_F(CompareCliTest, PrintsTheTestAndWritesJson) {
  // 60 pairs: normal approximation. A beats B by 0.05 on 50 images, loses by 0.01 on 10.
  const std::string a = WriteCsv("borex:rise.csv", 0, 60, [](int i) { return 0.5 + 0.004 * i; });
  const std::string b =
      WriteCsv("rise.csv", 0, 60, [](int i) { return (i % 6 == 0 ? 0.51 : 0.45) + 0.004 * i; });
  const CommandResult run =
      RunBorex("compare '" + a + "' " + b + " --metric insertion --alternative greater --json " +
               Path("result.json"));
  ASSERT_EQ(run.status, 0) << run.err;
  for (const char* text : {"compare insertion", "greater", "pairs:     60", "median:", "mean:",
                           "statistic:", "p-value:", "normal approximation", "A > B at p = "})
    EXPECT_NE(run.out.find(text), std::string::npos) << text << "\n" << run.out;
  std::ifstream file(Path("result.json"));
  const nlohmann::json json = nlohmann::json::parse(file);
  for (const char* key : {"n", "n_nonzero", "statistic", "p_value", "median_a", "median_b",
                          "mean_a", "mean_b", "metric", "alternative", "method", "a", "b"})
    EXPECT_TRUE(json.contains(key)) << key;
  EXPECT_EQ(json["n"], 60);
  EXPECT_EQ(json["method"], "approx");
  EXPECT_EQ(json["alternative"], "greater");
  EXPECT_LT(json["p_value"].get<double>(), 1e-3);
  EXPECT_GT(json["median_a"].get<double>(), json["median_b"].get<double>());

  // A filter on B's own insertion: the 35 images where B is below 0.6. --where may come before
  // the positionals.
  const CommandResult filtered = RunBorex("compare --where '" + b + ":insertion<0.6' '" + a + "' " +
                                          b + " --metric insertion --alternative greater");
  ASSERT_EQ(filtered.status, 0) << filtered.err;
  EXPECT_NE(filtered.out.find("where:"), std::string::npos) << filtered.out;
  EXPECT_NE(filtered.out.find("pairs:     35"), std::string::npos) << filtered.out;
}

TEST_F(CompareCliTest, FailAtExitsThreeWhenTheTestFindsWhatItAsks) {
  // A is lower than B on every one of 20 images, by distinct amounts: "A < B" at the exact
  // p = 1/2^20, "A > B" at p = 1.
  const std::string a = WriteCsv("new.csv", 0, 20, [](int i) { return 0.4 + 0.011 * i; });
  const std::string b = WriteCsv("old.csv", 0, 20, [](int i) { return 0.5 + 0.01 * i; });
  const std::string args = "compare " + a + " " + b + " --metric insertion";
  const CommandResult worse =
      RunBorex(args + " --fail-at 0.05 --alternative less --json " + Path("r.json"));
  EXPECT_EQ(worse.status, 3) << worse.err;
  EXPECT_NE(worse.out.find("A < B at p = 9.5e-07"), std::string::npos) << worse.out;
  EXPECT_EQ(worse.err, "borex: check failed: insertion: p = 9.5e-07 < --fail-at 0.05 (less)\n");
  std::ifstream file(Path("r.json"));
  EXPECT_EQ(nlohmann::json::parse(file)["check_failed"], true);
  const CommandResult better = RunBorex(args + " --fail-at 0.05 --alternative greater");
  EXPECT_EQ(better.status, 0) << better.err;
  EXPECT_TRUE(better.err.empty()) << better.err;
  ExpectCleanFailure(args + " --alternative less --fail-at 1.5", 2,
                     "--fail-at: 1.5 is not a significance level in (0, 1)");
}

TEST_F(CompareCliTest, MismatchedIdsFailWithExitFour) {
  const std::string a = WriteCsv("a.csv", 0, 20, [](int i) { return 0.5 + 0.01 * i; });
  const std::string b = WriteCsv("b.csv", 2, 22, [](int i) { return 0.4 + 0.01 * i; });
  ExpectCleanFailure("compare " + a + " " + b + " --metric insertion", 4,
                     "2 only in " + a + " (e.g. '2008_1000')");
  const CommandResult run = RunBorex("compare " + a + " " + b + " --metric insertion --intersect");
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.out.find("pairs:     18"), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("comparing the 18 in common"), std::string::npos) << run.err;
}

TEST_F(CompareCliTest, BadOptions) {
  const std::string a = WriteCsv("a.csv", 0, 10, [](int i) { return 0.5 + 0.01 * i; });
  const std::string b = WriteCsv("b.csv", 0, 10, [](int i) { return 0.4 + 0.02 * i; });
  // An unknown metric is a column missing from the files: exit 4, naming the file.
  ExpectCleanFailure("compare " + a + " " + b + " --metric insertoin", 4,
                     a + ": no column 'insertoin'");
  ExpectCleanFailure("compare " + a + " " + b + " --metric insertion --alternative bigger", 2,
                     "--alternative: 'bigger' is not one of two-sided, greater, less");
  ExpectCleanFailure("compare " + a + " " + b + " --metric insertion --where 'insertion<0.5'", 2,
                     "--where");
  EXPECT_EQ(RunBorex("compare " + a + " " + b).status, 2);  // --metric is required
  ExpectCleanFailure("compare " + a + " " + Path("none.csv") + " --metric insertion", 4,
                     "none.csv");
}

TEST_F(CompareCliTest, HelpExplainsTheTestAndGivesTheExample) {
  const CommandResult run = RunBorex("compare --help");
  EXPECT_EQ(run.status, 0);
  for (const char* text :
       {"Wilcoxon signed-rank", "image_id", "--metric", "--alternative", "--where", "--intersect",
        "--json", "--fail-at", "exit 3 when p < ALPHA",
        "borex compare out/borex:rise.csv out/rise.csv --metric insertion --alternative greater"})
    EXPECT_NE(run.out.find(text), std::string::npos) << text;
}

}  // namespace
