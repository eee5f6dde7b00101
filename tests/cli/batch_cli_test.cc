// `borex batch` and `borex report` as a user runs them: a batch killed with SIGKILL mid-run and
// started again ends with exactly the rows of an uninterrupted run; bad input gets one line.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "borex/io/csv.h"
#include "support/run_borex.h"
#include "support/temp_dir.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using borex::testing::RunBorex;

const std::string kSource = BOREX_SOURCE_DIR;
const std::string kTiny = kSource + "/tests/data/voc_tiny";

class BatchCliTest : public borex::testing::TempDirTest {
 protected:
  std::vector<std::string> BatchArgs(const std::string& out) const {
    return {"batch",
            "--model",
            kSource + "/models/fashion_scenes_resnet.pt",
            "--voc-root",
            kTiny,
            "--split",
            "test",
            "--methods",
            "rise,borex:rise",
            "--masks",
            "16",
            "--iterations",
            "25",
            "--step",
            "4096",
            "--threads",
            "1",
            "--no-progress",
            "--save-curves",
            "--out",
            out};
  }
  std::string Joined(const std::vector<std::string>& args) const {
    std::string text;
    for (const std::string& arg : args) text += " '" + arg + "'";
    return text;
  }
  // Rows without the seconds column, sorted.
  static std::vector<std::vector<std::string>> Values(const std::string& path) {
    auto rows = borex::io::ReadCsv(path).rows;
    for (auto& row : rows) row.pop_back();
    std::sort(rows.begin(), rows.end());
    return rows;
  }
  // File name -> contents of every file in DIR, hidden ones (temporaries) included.
  static std::map<std::string, std::string> Files(const std::string& dir) {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
      std::ifstream in(entry.path());
      files[entry.path().filename().string()] = {std::istreambuf_iterator<char>(in), {}};
    }
    return files;
  }
  static size_t Lines(const std::string& path) {
    std::ifstream in(path);
    return std::count(std::istreambuf_iterator<char>(in), {}, '\n');
  }
};

TEST_F(BatchCliTest, KilledBatchResumesToTheSameRows) {
  ASSERT_EQ(RunBorex(Joined(BatchArgs(Path("whole")))).status, 0);

  // Start the same batch, kill it with SIGKILL once the first rows are written.
  std::vector<std::string> args = BatchArgs(Path("killed"));
  args.insert(args.begin(), BOREX_CLI_PATH);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (Lines(Path("killed/borex:rise.csv")) < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the batch finished before it could be killed";
  const size_t rows_before = Lines(Path("killed/borex:rise.csv")) - 1;
  EXPECT_LT(rows_before, 6u);

  const auto resumed = RunBorex(Joined(BatchArgs(Path("killed"))));
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  for (const std::string method : {"rise", "borex:rise"}) {
    const auto rows = Values(Path("killed/" + method + ".csv"));
    std::set<std::string> ids;
    for (const auto& row : rows) ids.insert(row[0]);
    EXPECT_EQ(ids.size(), 6u) << method;
    EXPECT_EQ(rows, Values(Path("whole/" + method + ".csv"))) << method;
    // One curves file per row, none lost or left half-written, equal to the whole run's.
    const auto curves = Files(Path("killed/curves/" + method));
    EXPECT_EQ(curves.size(), 6u) << method;
    for (const std::string& id : ids) EXPECT_EQ(curves.count(id + ".csv"), 1u) << id;
    EXPECT_EQ(curves, Files(Path("whole/curves/" + method))) << method;
  }
}

TEST_F(BatchCliTest, BadInputGetsOneLine) {
  struct Case {
    std::string args;
    int status;
    std::string needle;
  };
  std::ofstream(Path("map.txt")) << "0 trouser\n1 unicorn\n";
  const std::string base = "batch --model " + kSource +
                           "/models/fashion_scenes_resnet.pt --split test --no-progress --out " +
                           Path("out");
  const std::vector<Case> cases = {
      {base + " --voc-root " + Path("absent"), 4, "no such dataset directory"},
      {base + " --voc-root " + kTiny + " --shard 3/2", 2, "--shard"},
      {base + " --voc-root " + kTiny + " --methods rise,lime", 2, "lime"},
      {base + " --voc-root " + kTiny + " --label-map " + Path("map.txt"), 4,
       "line 2: 'unicorn' is not a dataset class"},
      {base + " --voc-root " + kTiny + " --infill bogus", 2, "--substrate: 'bogus' is not one of"},
      {base + " --voc-root " + kTiny + " --rise-infill bogus", 2, "--rise-infill"},
      {base + " --voc-root " + kTiny + " --occlude bogus", 2, "--bo-infill"},
      {base + " --voc-root " + kTiny + " --algorithm mokuwe", 2, "--algorithm: a batch chooses"},
      {base + " --voc-root " + kTiny + " --length-scale 12abc", 2, "--length-scale: '12abc'"},
      {base + " --voc-root " + kTiny + " --length-scale 12,20,30", 2, "--length-scale"},
      {base + " --voc-root " + kTiny + " --iterations 12abc", 2, "--iterations"},
      // The pixel field's options for clips, whose GP is over the squares.
      {base + " --video-root " + Path("absent") + " --average-hyperparameters", 2,
       "--average-hyperparameters: needs the pixel field (for a clip, --gp-over pixels)"},
      {"report " + Path("nothing_here"), 4, "no such batch output directory"},
      {"report " + Path("nothing_here") + " --sample 3", 2, "--sample"},
      {"report " + Path("nothing_here") + " --html --limit -1", 2, "--limit"}};
  for (const Case& c : cases) {
    const auto run = RunBorex(c.args);
    EXPECT_EQ(run.status, c.status) << c.args << "\n" << run.err;
    const auto error = run.err.find("borex: error: ");
    ASSERT_NE(error, std::string::npos) << run.err;
    EXPECT_NE(run.err.find(c.needle, error), std::string::npos) << run.err;
  }
}

// Bug: a mistyped --model left OUT/settings.json, the CSV headers and maps/ behind, and the
// corrected rerun then refused to resume ("/model differs").
TEST_F(BatchCliTest, AModelThatDoesNotLoadLeavesNoOutput) {
  std::vector<std::string> args = BatchArgs(Path("out"));
  args[2] = kSource + "/models/typo.pt";
  const auto failed = RunBorex(Joined(args));
  EXPECT_EQ(failed.status, 4) << failed.err;
  EXPECT_NE(failed.err.find("typo.pt"), std::string::npos) << failed.err;
  EXPECT_FALSE(fs::exists(Path("out")));
  args = BatchArgs(Path("out"));
  args.insert(args.end(), {"--limit", "1"});
  const auto fixed = RunBorex(Joined(args));
  EXPECT_EQ(fixed.status, 0) << fixed.err;
}

// The refined maps whose fitted prior coefficient is negative are counted, one line per method,
// by the batch (resumed rows included) and by the report.
TEST_F(BatchCliTest, CountsTheMapsThatHoldTheirPriorUpsideDown) {
  std::vector<std::string> args = BatchArgs(Path("out"));
  args.insert(args.end(), {"--limit", "3"});
  ASSERT_EQ(RunBorex(Joined(args)).status, 0);
  const std::string csv = Path("out/borex:rise.csv");
  borex::io::CsvTable table = borex::io::ReadCsv(csv);
  const int a = table.RequireColumn("prior_coefficient");
  table.rows[0][a] = "-0.5";
  long negative = 0;
  for (const auto& row : table.rows) negative += std::stod(row[a]) < 0;
  {
    std::ofstream out(csv, std::ios::trunc);
    out << borex::io::CsvLine(table.header);
    for (const auto& row : table.rows) out << borex::io::CsvLine(row);
  }
  const std::string line =
      "borex:rise: " + std::to_string(negative) + " of 3 refined maps hold their prior upside down";
  const auto resumed = RunBorex(Joined(args));
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_NE(resumed.out.find(line), std::string::npos) << resumed.out;
  const auto report = RunBorex("report " + Path("out"));
  ASSERT_EQ(report.status, 0) << report.err;
  EXPECT_NE(report.out.find(line), std::string::npos) << report.out;
}

TEST_F(BatchCliTest, HelpExplainsMethodsAndOutputs) {
  const auto run = RunBorex("batch --help");
  EXPECT_EQ(run.status, 0);
  for (const char* needle :
       {"borex:PRIOR", "OUT/METHOD.csv", "--shard", "--label-map", "resum", "--step", "--substrate",
        "--infill", "--rise-infill", "--refine-infill", "--bo-infill", "--allow-unmatched",
        "--save-curves", "prior_coefficient", "prior_coefficient_sd", "hyperparameter_weight"})
    EXPECT_NE(run.out.find(needle), std::string::npos) << needle;
}

}  // namespace
