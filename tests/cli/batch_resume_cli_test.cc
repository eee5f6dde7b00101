// `borex batch` under fire: killed with SIGKILL at 20 random moments and resumed each time, or
// stopped by a full disk and resumed once space is freed, it ends with exactly the outputs of an
// uninterrupted run (the same rows, none twice, byte-identical maps, no stray files).
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "borex/io/csv.h"
#include "support/run_borex.h"
#include "support/temp_dir.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using borex::testing::RunBorex;
using Clock = std::chrono::steady_clock;
using Rows = std::vector<std::vector<std::string>>;

const std::string kSource = BOREX_SOURCE_DIR;
const std::string kModel = kSource + "/models/fashion_scenes_resnet.pt";
const std::string kTiny = kSource + "/tests/data/voc_tiny";
const std::vector<std::string> kMethods = {"rise", "borex:rise"};

std::vector<std::string> BatchArgs(const std::string& out, int limit = 0) {
  std::vector<std::string> args = {"batch", "--model", kModel, "--voc-root", kTiny, "--out", out};
  args.push_back("--limit=" + std::to_string(limit));
  std::istringstream flags(
      "--split test --methods rise,borex:rise --masks 16 --iterations 25 --step 4096 --threads 1 "
      "--no-progress");
  for (std::string flag; flags >> flag;) args.push_back(flag);
  return args;
}

std::string Joined(const std::vector<std::string>& args) {
  std::string text;
  for (const std::string& arg : args) text += " '" + arg + "'";
  return text;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Starts `borex ARGS` with stdout and stderr appended to `log`; returns its pid.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> command = args;
  command.insert(command.begin(), BOREX_CLI_PATH);
  std::vector<char*> argv;
  for (std::string& arg : command) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return error == 0 ? pid : -1;
}

// Every regular file under `dir` (hidden ones included) by path relative to `dir`.
std::set<std::string> FileNames(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) names.insert(fs::relative(entry.path(), dir).string());
  return names;
}

// A CSV's complete rows without the seconds column, sorted; duplicates kept.
Rows Values(const std::string& path) {
  Rows rows = borex::io::ReadCsv(path).rows;
  for (auto& row : rows) row.pop_back();
  std::sort(rows.begin(), rows.end());
  return rows;
}

size_t RowCount(const std::string& dir) {
  size_t rows = 0;
  for (const std::string& method : kMethods)
    if (fs::exists(dir + "/" + method + ".csv") && fs::file_size(dir + "/" + method + ".csv") > 0)
      rows += borex::io::ReadCsv(dir + "/" + method + ".csv").rows.size();
  return rows;
}

// Expects `out` to hold exactly what the uninterrupted run `whole` left: the same files, each CSV
// with the same rows (but their time) and none twice, byte-identical maps and settings, and a
// batch.json whose counts add up to `images` images per method.
void ExpectSameOutputs(const std::string& whole, const std::string& out, size_t images) {
  EXPECT_EQ(FileNames(out), FileNames(whole));
  for (const std::string& method : kMethods) {
    const Rows rows = Values(out + "/" + method + ".csv");
    std::set<std::string> ids;
    for (const auto& row : rows) ids.insert(row[0]);
    EXPECT_EQ(ids.size(), rows.size()) << method << ": a row written twice";
    EXPECT_EQ(rows.size(), images) << method;
    EXPECT_EQ(rows, Values(whole + "/" + method + ".csv")) << method;
  }
  for (const std::string& name : FileNames(whole))
    if (name.rfind("maps/", 0) == 0 || name == "settings.json")
      EXPECT_TRUE(ReadFile(out + "/" + name) == ReadFile(whole + "/" + name)) << name;

  const auto summary = nlohmann::json::parse(ReadFile(out + "/batch.json"));
  EXPECT_EQ(summary["images_in_shard"], images);
  EXPECT_TRUE(summary["skipped"].empty()) << summary["skipped"];
  long written = 0;
  for (const std::string& method : kMethods) {
    EXPECT_EQ(summary["methods"][method]["rows_total"], images) << method;
    written += summary["methods"][method]["rows_written"].get<long>();
  }
  EXPECT_EQ(summary["rows_resumed"].get<long>() + written,
            static_cast<long>(images * kMethods.size()));
  // Every run that finished left one whole JSON line, the last one this batch.json's.
  const std::string runs = ReadFile(out + "/batch_runs.jsonl");
  ASSERT_FALSE(runs.empty());
  EXPECT_EQ(runs.back(), '\n');
  std::istringstream lines(runs);
  nlohmann::json last;
  for (std::string line; std::getline(lines, line);) {
    ASSERT_TRUE(nlohmann::json::accept(line)) << "torn line in batch_runs.jsonl: " << line;
    last = nlohmann::json::parse(line);
  }
  EXPECT_EQ(last["rows_resumed"], summary["rows_resumed"]);
}

// Bytes `pid` has read so far (/proc/PID/io's rchar), or -1.
long long BytesRead(pid_t pid) {
  std::ifstream io("/proc/" + std::to_string(pid) + "/io");
  long long value = 0;
  for (std::string key; io >> key >> value;)
    if (key == "rchar:") return value;
  return -1;
}

// Waits until the batch `pid` has read the model (its work starts then): true; or until it has
// exited: false, with its wait status in *status.
bool WaitForModel(pid_t pid, int* status) {
  static const auto model_bytes = static_cast<long long>(fs::file_size(kModel));
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < deadline) {
    if (::waitpid(pid, status, WNOHANG) == pid) return false;
    if (BytesRead(pid) >= model_bytes) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

class BatchResumeCliTest : public borex::testing::TempDirTest {};

TEST_F(BatchResumeCliTest, KilledAtTwentyRandomMomentsResumesToTheUninterruptedOutputs) {
  constexpr int kKills = 20;
  constexpr size_t kImages = 6, kRows = kImages * 2;  // 2 methods
  if (BytesRead(::getpid()) < 0) GTEST_SKIP() << "no /proc/PID/io to tell when work starts";
  // The uninterrupted run, timed: when it had read the model, and when each row appeared.
  const auto whole_start = Clock::now();
  const pid_t whole = Spawn(BatchArgs(Path("whole")), Path("whole.log"));
  ASSERT_GT(whole, 0) << std::strerror(errno);
  int status = 0;
  ASSERT_TRUE(WaitForModel(whole, &status)) << ReadFile(Path("whole.log"));
  const double loaded = SecondsSince(whole_start);
  std::vector<double> row_seconds(kRows + 1, 0);  // work seconds until N rows were written
  for (size_t rows = 0; ::waitpid(whole, &status, WNOHANG) == 0;) {
    for (const size_t now = RowCount(Path("whole")); rows < now;)
      row_seconds[++rows] = SecondsSince(whole_start) - loaded;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadFile(Path("whole.log"));
  ASSERT_EQ(RowCount(Path("whole")), kRows);
  for (size_t rows = 1; rows <= kRows; ++rows)  // rows written between two polls
    row_seconds[rows] = std::max(row_seconds[rows], row_seconds[rows - 1]);
  const double work_seconds = SecondsSince(whole_start) - loaded;

  // 20 moments spread at random over the uninterrupted run's work; each run is killed that far
  // into its own work (once it has read the model) counting what earlier runs finished, so the
  // kills walk through the batch. A killed run's unfinished row is lost, so the walk may lag.
  std::mt19937 rng(20240611);
  std::uniform_real_distribution<double> moment(0, work_seconds);
  std::vector<double> moments(kKills);
  for (double& t : moments) t = moment(rng);
  std::sort(moments.begin(), moments.end());
  const std::vector<std::string> args = BatchArgs(Path("killed"));
  int mid_work = 0, progressed = 0;
  std::ostringstream trace;  // per run: its delay past loading the model, and the rows after it
  trace.precision(2);
  for (int i = 0; i < kKills; ++i) {
    const size_t rows_before = fs::exists(Path("killed")) ? RowCount(Path("killed")) : 0;
    const double delay = std::max(moments[i] - row_seconds[rows_before], 0.0);
    const pid_t pid = Spawn(args, Path("killed.log"));
    ASSERT_GT(pid, 0) << std::strerror(errno);
    bool working = WaitForModel(pid, &status);
    if (working) {
      std::this_thread::sleep_for(std::chrono::duration<double>(delay));
      ::kill(pid, SIGKILL);
      ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    }
    if (!WIFSIGNALED(status))
      ASSERT_EQ(WEXITSTATUS(status), 0) << "run " << i << ":\n" << ReadFile(Path("killed.log"));
    const size_t rows_after = RowCount(Path("killed"));
    EXPECT_GE(rows_after, rows_before) << "run " << i;
    progressed += rows_after > rows_before;
    // Mid-work: killed past loading the model, with rows still to write.
    mid_work += working && WIFSIGNALED(status) && rows_after < kRows;
    trace << " " << std::fixed << delay << "s:" << rows_after;
  }
  const auto resumed = RunBorex(Joined(args));
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  std::cout << "uninterrupted: model read after " << loaded << " s, then " << work_seconds << " s; "
            << mid_work << " of " << kKills << " kills mid-work, " << progressed
            << " runs added rows; delay:rows" << trace.str() << "\n";
  EXPECT_GE(mid_work, kKills * 3 / 4);
  ExpectSameOutputs(Path("whole"), Path("killed"), kImages);
}

// A kill between writing a file and renaming it onto its name leaves the temporary file; the
// next run of the batch (which holds the directory's lock) removes it.
TEST_F(BatchResumeCliTest, ResumeRemovesTheTemporaryFilesOfAKilledRun) {
  const std::string out = Path("out");
  const auto first = RunBorex(Joined(BatchArgs(out, 1)));
  ASSERT_EQ(first.status, 0) << first.err;
  const std::set<std::string> finished = FileNames(out);
  fs::copy_file(out + "/maps/rise/test_000000.npy",
                out + "/maps/rise/.test_000000.npy.tmp.999999.0.npy");
  std::ofstream(out + "/.batch.json.tmp.999999.3.json") << "{";
  std::ofstream(out + "/.notes.txt") << "not ours";  // hidden, but no temporary name: kept
  const auto resumed = RunBorex(Joined(BatchArgs(out, 1)));
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  std::set<std::string> expected = finished;
  expected.insert(".notes.txt");
  EXPECT_EQ(FileNames(out), expected);
}

// With borex:rise listed first, rise's map is computed for it; a kill before rise's own map and row
// are written must not change any row: a map's model calls are its own method's row's, never the
// refinement's (which counts 2 per iteration, as documented).
TEST_F(BatchResumeCliTest, RowsDoNotDependOnTheMethodOrderOrWhatAKilledRunFinished) {
  auto args = [&](const std::string& out) {
    std::vector<std::string> args = BatchArgs(out, 2);
    *(std::find(args.begin(), args.end(), "--methods") + 1) = "borex:rise,rise";
    return Joined(args);
  };
  const auto whole = RunBorex(args(Path("whole")));
  ASSERT_EQ(whole.status, 0) << whole.err;
  fs::copy(Path("whole"), Path("killed"), fs::copy_options::recursive);
  // As a kill after test_000001's borex:rise row, before its rise map and row, leaves it.
  std::string rise = ReadFile(Path("killed/rise.csv"));
  rise.erase(rise.rfind('\n', rise.size() - 2) + 1);
  std::ofstream(Path("killed/rise.csv"), std::ios::trunc) << rise;
  fs::remove(Path("killed/maps/rise/test_000001.npy"));
  const auto resumed = RunBorex(args(Path("killed")));
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  for (const std::string& method : kMethods)
    EXPECT_EQ(Values(Path("killed/" + method + ".csv")), Values(Path("whole/" + method + ".csv")))
        << method;
  const int calls = borex::io::ReadCsv(Path("whole/rise.csv")).RequireColumn("model_calls");
  for (const auto& row : Values(Path("whole/borex:rise.csv"))) EXPECT_EQ(row[calls], "50");
  for (const auto& row : Values(Path("whole/rise.csv"))) EXPECT_EQ(row[calls], "16");
}

// A tmpfs of a given size mounted on a directory for the test's lifetime (needs CAP_SYS_ADMIN).
class Tmpfs {
 public:
  Tmpfs(const std::string& dir, size_t pages) : dir_(dir) {
    fs::create_directories(dir);
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, Size(pages).c_str()) == 0)
      mounted_ = true;
    else
      error_ = std::strerror(errno);
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  bool Resize(size_t pages) {
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, Size(pages).c_str()) == 0;
  }
  size_t UsedPages() const {
    struct statvfs info {};
    ::statvfs(dir_.c_str(), &info);
    return (info.f_blocks - info.f_bfree) * info.f_frsize / kPage;
  }
  static constexpr size_t kPage = 4096;

 private:
  static std::string Size(size_t pages) { return "size=" + std::to_string(pages * kPage); }
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

TEST_F(BatchResumeCliTest, FullDiskStopsWithOneLineAndResumesOnceSpaceIsFreed) {
  constexpr size_t kImages = 3, kRoomy = 16384;  // pages: 64 MiB
  Tmpfs reference(Path("reference"), kRoomy);
  if (!reference.mounted())
    GTEST_SKIP() << "cannot mount a tmpfs (" << reference.error() << "): needs root";
  // The uninterrupted run, on a tmpfs too, to count the pages its outputs take.
  const std::string whole = Path("reference/out");
  const auto run = RunBorex(Joined(BatchArgs(whole, kImages)));
  ASSERT_EQ(run.status, 0) << run.err;
  const size_t needed = reference.UsedPages();
  ASSERT_GT(needed, 10u);

  // Disks that fill at the first CSV's header, amid the maps, at batch.json, at batch_runs.jsonl.
  for (const size_t pages : {size_t{1}, needed / 2, needed - 2, needed - 1}) {
    SCOPED_TRACE("a disk of " + std::to_string(pages) + " of the " + std::to_string(needed) +
                 " pages needed");
    const std::string dir = Path("disk" + std::to_string(pages));
    Tmpfs disk(dir, pages);
    ASSERT_TRUE(disk.mounted()) << disk.error();
    const std::string out = dir + "/out";
    const auto full = RunBorex(Joined(BatchArgs(out, kImages)));
    EXPECT_EQ(full.status, 6) << full.err;
    // One line, naming a file under OUT and the cause; no second message, no abort.
    std::istringstream lines(full.err);
    std::vector<std::string> errors;
    for (std::string line; std::getline(lines, line);)
      if (line.find("rror") != std::string::npos || line.find("terminate") != std::string::npos)
        errors.push_back(line);
    ASSERT_EQ(errors.size(), 1u) << full.err;
    EXPECT_EQ(errors[0].rfind("borex: error: " + out + "/", 0), 0u) << errors[0];
    const size_t named = std::string("borex: error: ").size();
    const fs::path file = errors[0].substr(named, errors[0].find(": ", named) - named);
    EXPECT_NE(file.filename().string()[0], '.') << "names a temporary file: " << errors[0];
    EXPECT_NE(errors[0].find("No space left on device"), std::string::npos) << errors[0];
    // What it left is sound: no temporary files, only finished maps and rows of the reference.
    for (const std::string& name : FileNames(out)) {
      const std::string base = fs::path(name).filename().string();
      EXPECT_TRUE(base[0] != '.' || base == ".batch.lock") << "left behind: " << name;
      if (name.rfind("maps/", 0) == 0)
        EXPECT_TRUE(ReadFile(out + "/" + name) == ReadFile(whole + "/" + name)) << name;
    }
    for (const std::string& method : kMethods) {
      const std::string csv = out + "/" + method + ".csv";
      if (!fs::exists(csv) || fs::file_size(csv) == 0) continue;
      const Rows all = Values(whole + "/" + method + ".csv");
      for (const auto& row : Values(csv))
        EXPECT_NE(std::find(all.begin(), all.end(), row), all.end()) << method << ": " << row[0];
    }

    ASSERT_TRUE(disk.Resize(kRoomy)) << std::strerror(errno);
    const auto resumed = RunBorex(Joined(BatchArgs(out, kImages)));
    ASSERT_EQ(resumed.status, 0) << resumed.err;
    ExpectSameOutputs(whole, out, kImages);
  }
}

}  // namespace
