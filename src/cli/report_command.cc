#include <iostream>

#include "borex/app/report.h"
#include "commands.h"
#include "common_options.h"

namespace borex::cli {

Action AddReportCommand(CLI::App& app) {
  auto options = std::make_shared<app::ReportOptions>();
  CLI::App* command = app.add_subcommand(
      "report", "Merge a batch's shards and summarise each method's metrics and speed");
  command->footer(
      "Reads DIR/METHOD.csv and DIR/shard-K-of-N/METHOD.csv of every DIR, merges the rows of\n"
      "each method by image id into FIRST_DIR/METHOD.csv (rows for the same image must agree\n"
      "except for model_calls and seconds), and prints the mean of every metric, the\n"
      "pointing-game accuracy, the model calls per image and the images per minute. Then each\n"
      "borex:X against X: Wilcoxon signed-rank tests on insertion, deletion, F-measure and the\n"
      "pointing game, one-sided each way (is the refinement better? is it worse?), on all images\n"
      "and on those with one item of the label and with several (the CSVs' label_items).\n\n"
      "With --html, FIRST_DIR/report.html shows every method's maps and curves per image (the\n"
      "curves when the batch ran with --save-curves); it opens from disk, no server needed.\n\n"
      "Examples:\n  borex report out/test --markdown out/test/summary.md\n"
      "  borex report out/test --html --sample 100 --seed 1");
  command->add_option("DIR", options->dirs, "Batch output directories")->required();
  command->add_option("--json", options->json_path, "Write the summary as JSON");
  command->add_option("--markdown", options->markdown_path, "Write the summary as Markdown");
  command->add_flag("!--no-merge", options->merge, "Only summarise; do not write merged CSVs");
  const std::string html = "HTML page";
  CLI::Option* html_flag =
      command
          ->add_flag("--html", options->html,
                     "Write FIRST_DIR/report.html: the summary, each borex:X against X, and per "
                     "image its maps over it, metrics and curves (pictures in report_files/)")
          ->group(html);
  for (CLI::Option* option :
       {command->add_option("--limit", options->html_options.limit,
                            "--html: the first N images by id (0: all)"),
        command->add_option("--sample", options->html_options.sample,
                            "--html: instead N images drawn at random (--seed), shown by id"),
        command->add_option("--seed", options->html_options.seed, "--html: seed of --sample")
            ->check(NonNegative()),
        command->add_option("--page-size", options->html_options.page_size,
                            "--html: rows the page shows at a time (its script pages, sorts, "
                            "filters)")})
    option->capture_default_str()->needs(html_flag)->group(html);
  return [options]() {
    const nlohmann::json summary = app::RunReport(*options);
    std::cout << app::ReportMarkdown(summary);
    if (summary.contains("html"))
      std::cout << "report: " << summary["html"]["path"].get<std::string>() << " ("
                << summary["html"]["images_shown"] << " of " << summary["html"]["images"]
                << " images)\n";
    return 0;
  };
}

}  // namespace borex::cli
