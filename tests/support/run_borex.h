// Runs the borex executable built with the tests (BOREX_CLI_PATH) and captures its output.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace borex::testing {

struct CommandResult {
  int status = -1;  // exit status; -1 when killed by a signal
  std::string out, err;
};

// Runs `borex ARGS` through the shell (ARGS may use shell quoting).
inline CommandResult RunBorex(const std::string& args) {
  static int counter = 0;
  const std::filesystem::path err_path =
      std::filesystem::temp_directory_path() /
      ("borex_cli_err_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  const std::string command = std::string(BOREX_CLI_PATH) + " " + args + " 2>" + err_path.string();
  CommandResult run;
  FILE* pipe = popen(command.c_str(), "r");
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe)) run.out += buffer.data();
  const int raw = pclose(pipe);
  run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::ifstream err(err_path);
  run.err.assign(std::istreambuf_iterator<char>(err), {});
  std::filesystem::remove(err_path);
  return run;
}

// Expects `borex ARGS` to fail with `status` and one error line mentioning `needle`, and to
// leave nothing in `dir` but the files whose names start with "input_".
inline void ExpectCleanFailure(const std::string& args, int status, const std::string& needle,
                               const std::filesystem::path& dir) {
  const CommandResult run = RunBorex(args);
  EXPECT_EQ(run.status, status) << args << "\n" << run.err;
  const auto error_line = run.err.find("borex: error: ");
  ASSERT_NE(error_line, std::string::npos) << run.err;
  const std::string line = run.err.substr(error_line);
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
  EXPECT_NE(line.find(needle), std::string::npos) << line;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(name.rfind("input_", 0) == 0) << "unexpected output " << name;
  }
}

}  // namespace borex::testing
