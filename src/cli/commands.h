// The borex subcommands: each registers its flags on a CLI11 subcommand, fills the library's
// options struct, and calls one library function.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace borex::cli {

// A subcommand's action, run after parsing; returns the process exit status.
using Action = std::function<int()>;

Action AddExplainCommand(CLI::App& app);
Action AddRefineCommand(CLI::App& app);
Action AddEvaluateCommand(CLI::App& app);
Action AddBatchCommand(CLI::App& app);
Action AddReportCommand(CLI::App& app);
Action AddCompareCommand(CLI::App& app);

}  // namespace borex::cli
