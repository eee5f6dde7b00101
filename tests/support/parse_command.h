// A command's flags (src/cli/commands.h) registered on a fresh CLI11 app and parsed in process,
// for tests of what each flag sets.
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace borex::testing {

// The app owns what the flags' Job() reads (which flags were given): it lives as long as they.
template <typename Flags>
struct ParsedCommand {
  CLI::App app;
  std::shared_ptr<Flags> flags;
};

// `add` registers the command's flags (e.g. cli::AddRefineCommandFlags); the command line after
// the command's name is `arguments` (the required ones) followed by `flags`. CLI11's errors
// (CLI::ParseError) are thrown as they are.
template <typename Flags>
std::unique_ptr<ParsedCommand<Flags>> ParseCommand(std::shared_ptr<Flags> (*add)(CLI::App&),
                                                   std::vector<std::string> arguments,
                                                   const std::vector<std::string>& flags) {
  auto parsed = std::make_unique<ParsedCommand<Flags>>();
  parsed->flags = add(parsed->app);
  arguments.insert(arguments.end(), flags.begin(), flags.end());
  std::reverse(arguments.begin(), arguments.end());  // CLI11 takes the last argument first
  parsed->app.parse(arguments);
  return parsed;
}

}  // namespace borex::testing
