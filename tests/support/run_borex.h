// Runs the borex executable built with the tests (BOREX_CLI_PATH) and captures its output.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

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

}  // namespace borex::testing
