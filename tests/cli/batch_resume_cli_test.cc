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

class BatchResumeCliTest : public borex::testing::TempDirTest {};

TEST_F(BatchResumeCliTest, KilledAtTwentyRandomMomentsResumesToTheUninterruptedOutputs) {
  constexpr int kKills = 20;
  constexpr size_t kImages = 6;
  const auto whole_start = Clock::now();
  const auto whole = RunBorex(Joined(BatchArgs(Path("whole"))));
  const double whole_seconds = SecondsSince(whole_start);
  ASSERT_EQ(whole.status, 0) << whole.err;
  // The same batch with nothing left to do: the cost of starting (loading the model) and ending.
  const auto idle_start = Clock::now();
  const auto idle = RunBorex(Joined(BatchArgs(Path("whole"))));
  const double idle_seconds = SecondsSince(idle_start);
  ASSERT_EQ(idle.status, 0) << idle.err;
  ASSERT_EQ(RowCount(Path("whole")), kImages * kMethods.size());

  // 20 moments spread at random over the work (the uninterrupted run past its start); each run is
  // killed that far into the work counting what earlier runs finished, so the kills walk through
  // the batch (a killed run's unfinished row is lost, so later ones may land after the end).
  const size_t total_rows = kImages * kMethods.size();
  const double work_seconds = std::max(whole_seconds - idle_seconds, 0.5);
  std::mt19937 rng(20240611);
  std::uniform_real_distribution<double> moment(0, work_seconds);
  std::vector<double> moments(kKills);
  for (double& t : moments) t = moment(rng);
  std::sort(moments.begin(), moments.end());
  const std::vector<std::string> args = BatchArgs(Path("killed"));
  const std::string log = Path("killed.log");
  int mid_work = 0, progressed = 0;
  std::ostringstream trace;  // per run: its delay and the rows after it
  trace.precision(2);
  for (int i = 0; i < kKills; ++i) {
    const size_t rows_before = fs::exists(Path("killed")) ? RowCount(Path("killed")) : 0;
    const double done = work_seconds * rows_before / total_rows;
    const double seconds = idle_seconds + std::max(moments[i] - done, 0.0);
    const pid_t pid = Spawn(args, log);
    ASSERT_GT(pid, 0) << std::strerror(errno);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status))
      ASSERT_EQ(WEXITSTATUS(status), 0) << "kill " << i << ":\n" << ReadFile(log);
    const size_t rows_after = RowCount(Path("killed"));
    EXPECT_GE(rows_after, rows_before) << "kill " << i;
    if (rows_after > rows_before) ++progressed;
    trace << " " << std::fixed << seconds << "s:" << rows_after;
    // Mid-work: killed with rows still to write (the delay is past the time it takes to start).
    if (WIFSIGNALED(status) && rows_after < total_rows) ++mid_work;
  }
  const auto resumed = RunBorex(Joined(args));
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  std::cout << "uninterrupted " << whole_seconds << " s, idle " << idle_seconds << " s; "
            << mid_work << " of " << kKills << " kills mid-work, " << progressed
            << " runs added rows; delay:rows" << trace.str() << "\n";
  EXPECT_GE(mid_work, kKills / 2 + 1);
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
