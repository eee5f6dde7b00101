#include <cstdio>
#include <iostream>

#include "borex/app/evaluate_job.h"
#include "borex/core/error.h"
#include "borex/model/open_classifier.h"
#include "commands.h"
#include "common_options.h"

namespace borex::cli {
namespace {

std::string Format(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4f", value);
  return text;
}

// A table key padded to one column width.
std::string Padded(const std::string& key) {
  return key + std::string(key.size() < 23 ? 23 - key.size() : 1, ' ');
}

}  // namespace

std::shared_ptr<EvaluateCommandFlags> AddEvaluateCommandFlags(CLI::App& command) {
  auto flags = std::make_shared<EvaluateCommandFlags>();
  AddModelFlags(command, flags->model);
  const std::string group = "Model and image";
  auto* image = command.add_option("--image", flags->job.image_path, "The image the map explains")
                    ->group(group);
  command
      .add_option("--video", flags->job.video_path,
                  "Or the clip the map explains (a video model): a video file or a folder of "
                  "frames; the metrics then run over the clip's voxels")
      ->excludes(image)
      ->group(group);
  command
      .add_option("--start-frame", flags->job.start_frame,
                  "Video: the first frame sampled (as given to refine/explain)")
      ->capture_default_str()
      ->group(group);
  command
      .add_option("--saliency", flags->job.saliency_path,
                  "The map: .npy (HxW; video: TxHxW) or a grayscale image, at the image's or "
                  "the model's size")
      ->required()
      ->group(group);
  command
      .add_option("--label", flags->job.label,
                  "Class the map explains: index or name (default: the model's top-1)")
      ->group(group);
  command
      .add_option("--annotation", flags->job.annotation_path,
                  "PascalVOC XML (video: the clip's JSON with per-frame boxes): boxes for "
                  "F-measure and the pointing game")
      ->group(group);
  command.add_option("--json", flags->job.json_path, "Write every metric and curve as JSON")
      ->group(group);
  command
      .add_option("--curves", flags->job.curves_prefix,
                  "Write PREFIX_curves.csv (curve, step, fraction, score) and PREFIX_curves.png "
                  "(both curves plotted, their areas in the legend)")
      ->group(group);
  AddMetricFlags(command, flags->job.metrics, flags->infill);
  command.add_option("--seed", flags->job.metrics.seed, "Seed of the noise in-fill")
      ->check(NonNegative())
      ->capture_default_str()
      ->group("Metrics");
  command.add_option("--batch-size", flags->job.metrics.batch_size, "Images per forward pass")
      ->capture_default_str()
      ->group("Metrics");
  const std::string checks = "Checks (for CI)";
  command
      .add_option("--fail-below", flags->fail_below,
                  "METRIC=VALUE: exit 3 when the metric is below VALUE (repeatable)")
      ->take_all()
      ->group(checks);
  command
      .add_option("--fail-above", flags->fail_above,
                  "METRIC=VALUE: exit 3 when the metric is above VALUE (repeatable)")
      ->take_all()
      ->group(checks);

  return flags;
}

app::EvaluateJobOptions EvaluateCommandFlags::Job() const {
  app::EvaluateJobOptions job = this->job;
  job.metrics.infill = mask::ParseInfill(infill, "--substrate");
  for (const std::string& text : fail_below)
    job.fail_below.push_back(app::ParseThreshold(text, "--fail-below"));
  for (const std::string& text : fail_above)
    job.fail_above.push_back(app::ParseThreshold(text, "--fail-above"));
  return job;
}

Action AddEvaluateCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand("evaluate",
                                         "Score a saliency map: insertion, deletion, F-measure, "
                                         "pointing game, Average Drop/Gain, hide-top");
  command->footer(
      "Metrics (pixels ranked by decreasing saliency, ties by index; k = 0, step, ..., all\n"
      "pixels; M = softmax probability of the label; names as in --json and --fail-*):\n"
      "  insertion          area under M, top-k pixels shown, the rest in-filled (higher: better)\n"
      "  deletion           area under M, top-k pixels in-filled (--substrate) (lower: better)\n"
      "  insertion_sum      the paper's raw sum of M over k (deletion_sum likewise)\n"
      "  f_measure          mean over k >= step of 2PR/(P+R), top-k pixels vs the label's boxes\n"
      "  f_measure_product  mean over k of P x R (the authors' code); *_sum: the sums over k\n"
      "  pointing_hit       1 when the map's maximum is within --pointing-tolerance of a box\n"
      "  average_drop       Opti-CAM: 100 [p - o]+ / p, o = M of the image x min-max scaled map\n"
      "  average_gain       Opti-CAM: 100 [o - p]+ / (1 - p)\n"
      "  hide_top           M with the map's top --hide-percent pixels replaced by the\n"
      "                     substrate, minus M (Kang et al. 2019: positive for a hinder map of\n"
      "                     `explain --method undesirable`, negative for a saliency map)\n"
      "f_measure* and pointing_hit need --annotation. Exit status 3 when a --fail-below or\n"
      "--fail-above check fails (metrics still printed and written, with \"thresholds\").\n\n"
      "Example:\n"
      "  borex evaluate --model models/fashion_scenes_resnet.pt --image examples/scene_single.png "
      "--saliency out/scene_borex.npy --annotation examples/scene_single.xml --json out/eval.json");
  const std::shared_ptr<EvaluateCommandFlags> flags = AddEvaluateCommandFlags(*command);
  return [flags]() {
    const app::EvaluateJobOptions job = flags->Job();
    const model::ModelOptions model_options = flags->model.Options();
    job.Check();  // every flag before the model is loaded
    const std::unique_ptr<model::Classifier> classifier = model::OpenClassifier(model_options);
    const app::EvaluateJobResult job_result = app::RunEvaluateJob(*classifier, job);
    const metrics::Evaluation& evaluation = job_result.evaluation;
    std::cout << "evaluate: label " << job_result.label << " ("
              << (job_result.class_name.empty() ? "?" : job_result.class_name) << ")\n";
    for (const char* key : {"insertion", "deletion", "insertion_sum", "deletion_sum", "f_measure",
                            "f_measure_sum", "f_measure_product", "f_measure_product_sum",
                            "pointing_hit", "average_drop", "average_gain"}) {
      const std::optional<double> value = evaluation.Value(key, "--fail-below");
      const std::string text = !value                               ? "-"
                               : std::string(key) == "pointing_hit" ? (*value > 0 ? "hit" : "miss")
                                                                    : Format(*value);
      std::cout << "  " << Padded(key) << text << "\n";
    }
    char percent[32];
    std::snprintf(percent, sizeof percent, "%g", job.metrics.hide_percent);
    std::cout << "  " << Padded("hide_top (" + std::string(percent) + "%)")
              << Format(*evaluation.Value("hide_top", "--fail-below")) << "\n";
    std::cout << "  " << Padded("model_calls") << evaluation.model_calls << "\n";
    std::cout << "  " << Padded("substrate, step") << mask::InfillName(job.metrics.infill) << ", "
              << job_result.summary["curves"]["step"] << " pixels\n";
    for (const app::ThresholdCheck& threshold : job_result.thresholds)
      if (!threshold.passed)
        std::cerr << "borex: check failed: " << threshold.metric << " = " << threshold.value
                  << (threshold.below ? " < " : " > ") << threshold.bound << "\n";
    return job_result.passed() ? 0 : static_cast<int>(ExitCode::kThreshold);
  };
}

}  // namespace borex::cli
