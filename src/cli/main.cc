// borex: explain what image classifiers look at, and refine saliency maps with BOREx.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "borex/core/error.h"
#include "borex/core/memory.h"
#include "commands.h"

int main(int argc, char** argv) {
  borex::ReuseFreedMemory();  // a forward pass must not page-fault its activations in each time
  CLI::App app{
      "borex: saliency maps for image classifiers, refined by Bayesian optimisation "
      "(BOREx, Kikuchi et al., ACCV 2022)",
      "borex"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags (-v, -q) may follow the subcommand
  app.set_version_flag("--version", std::string("borex ") + BOREX_VERSION);
  bool verbose = false, quiet = false;
  CLI::Option* verbose_flag =
      app.add_flag("-v,--verbose", verbose, "Log every step")->configurable(false);
  app.add_flag("-q,--quiet", quiet, "Log only errors")->excludes(verbose_flag);
  app.footer(
      "Exit status: 0 success, 1 other error, 2 bad command line or option value, 3 a check of "
      "'evaluate --fail-below/--fail-above' failed, 4 unreadable "
      "or malformed input, 5 model error, 6 output not writable.\nRun 'borex COMMAND --help' "
      "for a command's options and an example.");

  const std::vector<std::pair<std::string, borex::cli::Action>> commands = {
      {"explain", borex::cli::AddExplainCommand(app)},
      {"refine", borex::cli::AddRefineCommand(app)},
      {"evaluate", borex::cli::AddEvaluateCommand(app)},
      {"batch", borex::cli::AddBatchCommand(app)},
      {"report", borex::cli::AddReportCommand(app)},
      {"compare", borex::cli::AddCompareCommand(app)}};

  auto logger = spdlog::stderr_color_mt("borex");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%^[%l]%$ %v");
  // A first word that names no command: CLI11 would say only that a subcommand is required.
  if (argc > 1 && argv[1][0] != '-' &&
      std::none_of(commands.begin(), commands.end(),
                   [&](const auto& command) { return command.first == argv[1]; })) {
    std::string names;
    for (const auto& command : commands) names += (names.empty() ? "" : ", ") + command.first;
    std::cerr << "borex: error: '" << argv[1] << "' is not a command (one of " << names
              << "; see borex --help)\n";
    return static_cast<int>(borex::ExitCode::kUsage);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success))
      return app.exit(e);  // --help, --version
    // One line, like every other error (CLI11's own adds a second "Run with --help" line).
    std::cerr << "borex: error: " << e.what() << " (see borex --help)\n";
    return static_cast<int>(borex::ExitCode::kUsage);
  }
  spdlog::set_level(verbose ? spdlog::level::debug
                    : quiet ? spdlog::level::err
                            : spdlog::level::info);
  try {
    for (const auto& [name, action] : commands)
      if (app.got_subcommand(name)) return action();
  } catch (const borex::Error& e) {
    std::cerr << "borex: error: " << e.what() << "\n";
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cerr << "borex: error: " << e.what() << "\n";
    return static_cast<int>(borex::ExitCode::kError);
  }
  return static_cast<int>(borex::ExitCode::kError);
}
