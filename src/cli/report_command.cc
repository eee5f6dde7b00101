#include <iostream>

#include "borex/app/report.h"
#include "commands.h"

namespace borex::cli {

Action AddReportCommand(CLI::App& app) {
  auto options = std::make_shared<app::ReportOptions>();
  CLI::App* command = app.add_subcommand(
      "report", "Merge a batch's shards and summarise each method's metrics and speed");
  command->footer(
      "Reads DIR/METHOD.csv and DIR/shard-K-of-N/METHOD.csv of every DIR, merges the rows of\n"
      "each method by image id into FIRST_DIR/METHOD.csv (rows for the same image must agree\n"
      "except for model_calls and seconds), and prints the mean of every metric, the\n"
      "pointing-game accuracy, the model calls per image and the images per minute.\n\n"
      "Example:\n  borex report out/test --markdown out/test/summary.md");
  command->add_option("DIR", options->dirs, "Batch output directories")->required();
  command->add_option("--json", options->json_path, "Write the summary as JSON");
  command->add_option("--markdown", options->markdown_path, "Write the summary as Markdown");
  command->add_flag("!--no-merge", options->merge, "Only summarise; do not write merged CSVs");
  return [options]() {
    const nlohmann::json summary = app::RunReport(*options);
    std::cout << app::ReportMarkdown(summary);
    return 0;
  };
}

}  // namespace borex::cli
