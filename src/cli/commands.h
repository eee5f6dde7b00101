// The borex subcommands: each registers its flags on a CLI11 subcommand, fills the library's
// options struct, and calls one library function.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "borex/app/batch.h"
#include "borex/app/evaluate_job.h"
#include "borex/app/image_job.h"
#include "common_options.h"

namespace borex::cli {

// A subcommand's action, run after parsing; returns the process exit status.
using Action = std::function<int()>;

Action AddExplainCommand(CLI::App& app);
Action AddRefineCommand(CLI::App& app);
Action AddEvaluateCommand(CLI::App& app);
Action AddBatchCommand(CLI::App& app);
Action AddReportCommand(CLI::App& app);
Action AddCompareCommand(CLI::App& app);

// The flags of the image commands and of batch apart from running them: the executable and the
// Python module (src/python/borex_module.cc) register the same definitions, so that both take the
// same option names, defaults and checks. Add*CommandFlags registers a command's flags on
// `command` and returns the values CLI11 writes into; once `command` has parsed, Job() (batch:
// Options()) gives the job's options, converted (OptionError naming the flag for a malformed
// value) but not yet checked, and model.Options() the model's.
struct ExplainCommandFlags {
  app::ExplainJobOptions job;
  ModelFlags model;
  RenderFlags render;
  std::string method = "rise", score = "prob", infill, opticam_normalization = "max";
  const CLI::App* command = nullptr;  // which flags were given
  app::ExplainJobOptions Job() const;
};
std::shared_ptr<ExplainCommandFlags> AddExplainCommandFlags(CLI::App& command);

struct RefineCommandFlags {
  app::RefineJobOptions job;
  ModelFlags model;
  RenderFlags render;
  RefineFlags refine;
  std::string prior_infill, opticam_normalization = "max";
  bool progress = false;
  app::RefineJobOptions Job() const;
};
std::shared_ptr<RefineCommandFlags> AddRefineCommandFlags(CLI::App& command);

struct EvaluateCommandFlags {
  app::EvaluateJobOptions job;
  ModelFlags model;
  std::string infill = "black";
  std::vector<std::string> fail_below, fail_above;
  app::EvaluateJobOptions Job() const;
};
std::shared_ptr<EvaluateCommandFlags> AddEvaluateCommandFlags(CLI::App& command);

struct BatchCommandFlags {
  app::BatchOptions options;
  ModelFlags model;
  RefineFlags refine;
  std::string shard, infill = "black", rise_infill;
  bool quiet_progress = false;
  app::BatchOptions Options() const;
};
std::shared_ptr<BatchCommandFlags> AddBatchCommandFlags(CLI::App& command);

}  // namespace borex::cli
