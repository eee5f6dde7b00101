#include <cstdio>
#include <iostream>

#include "borex/app/evaluate_job.h"
#include "borex/core/error.h"
#include "commands.h"
#include "common_options.h"

namespace borex::cli {
namespace {

std::string Format(const nlohmann::json& value) {
  if (value.is_null()) return "-";
  if (value.is_boolean()) return value.get<bool>() ? "hit" : "miss";
  char text[32];
  std::snprintf(text, sizeof text, "%.4f", value.get<double>());
  return text;
}

}  // namespace

Action AddEvaluateCommand(CLI::App& app) {
  struct Flags {
    app::EvaluateJobOptions job;
    ModelFlags model;
    std::string substrate = "black";
    std::vector<std::string> fail_below, fail_above;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* command = app.add_subcommand("evaluate",
                                         "Score a saliency map: insertion, deletion, F-measure, "
                                         "pointing game, Average Drop/Gain");
  command->footer(
      "Metrics (pixels ranked by saliency, ties by index; scores are softmax probabilities):\n"
      "  insertion, deletion  area under the curve of M(i^(k), l) as the top-k pixels are\n"
      "                       revealed on the substrate / replaced by it, k = 0, step, ..., all\n"
      "                       (normalised to [0, 1]; *_sum: the paper's raw sum over k)\n"
      "  f_measure            harmonic mean of precision and recall of the top-k pixels against\n"
      "                       the label's boxes in --annotation, mean over k (_sum: the sum;\n"
      "                       f_measure_product: precision x recall, the authors' code)\n"
      "  pointing_hit         the map's maximum lies in a box of the label\n"
      "  average_drop/gain    Opti-CAM: 100 [p - o]+ / p and 100 [o - p]+ / (1 - p), o the score\n"
      "                       of the image multiplied by the min-max scaled map\n"
      "Exit status 3 when a --fail-below/--fail-above check fails (metrics still printed and\n"
      "written).\n\n"
      "Example:\n  borex evaluate --model models/fashion_scenes_resnet.pt --image "
      "examples/scene_single.png --saliency out/scene_borex.npy --annotation "
      "examples/scene_single.xml --json out/eval.json --fail-below insertion=0.5");
  AddModelFlags(*command, flags->job.model, flags->model);
  const std::string group = "Model and image";
  command->add_option("--image", flags->job.image_path, "The image the map explains")
      ->required()
      ->group(group);
  command
      ->add_option("--saliency", flags->job.saliency_path,
                   "The map: .npy (HxW) or a grayscale image, at the image's or the model's size")
      ->required()
      ->group(group);
  command
      ->add_option("--label", flags->job.label,
                   "Class the map explains: index or name (default: the model's top-1)")
      ->group(group);
  command
      ->add_option("--annotation", flags->job.annotation_path,
                   "PascalVOC XML: boxes for F-measure and the pointing game")
      ->group(group);
  command->add_option("--json", flags->job.json_path, "Write every metric and curve as JSON")
      ->group(group);
  AddMetricFlags(*command, flags->job.metrics, flags->substrate);
  command->add_option("--batch-size", flags->job.metrics.batch_size, "Images per forward pass")
      ->capture_default_str()
      ->group("Metrics");
  const std::string checks = "Checks (for CI)";
  command
      ->add_option("--fail-below", flags->fail_below,
                   "METRIC=VALUE: exit 3 when the metric is below VALUE (repeatable)")
      ->take_all()
      ->group(checks);
  command
      ->add_option("--fail-above", flags->fail_above,
                   "METRIC=VALUE: exit 3 when the metric is above VALUE (repeatable)")
      ->take_all()
      ->group(checks);

  return [flags]() {
    auto& job = flags->job;
    flags->model.Apply(job.model);
    job.metrics.substrate = metrics::ParseSubstrate(flags->substrate, "--substrate");
    for (const std::string& text : flags->fail_below)
      job.fail_below.push_back(app::ParseThreshold(text, "--fail-below"));
    for (const std::string& text : flags->fail_above)
      job.fail_above.push_back(app::ParseThreshold(text, "--fail-above"));
    const nlohmann::json result = app::RunEvaluateJob(job);
    std::cout << "evaluate: label " << result["label"] << " ("
              << (result["class_name"].is_string() ? result["class_name"].get<std::string>() : "?")
              << ")\n";
    for (const char* key : {"insertion", "deletion", "insertion_sum", "deletion_sum", "f_measure",
                            "f_measure_sum", "pointing_hit", "average_drop", "average_gain"}) {
      std::cout << "  " << key << std::string(16 - std::string(key).size(), ' ')
                << Format(result[key]) << "\n";
    }
    std::cout << "  model_calls     " << result["model_calls"] << "\n";
    for (const auto& threshold : result["thresholds"])
      if (!threshold["passed"].get<bool>())
        std::cerr << "borex: check failed: " << threshold["metric"].get<std::string>() << " = "
                  << threshold["value"].get<double>()
                  << (threshold["kind"] == "fail_below" ? " < " : " > ")
                  << threshold["bound"].get<double>() << "\n";
    return app::ThresholdsPassed(result) ? 0 : static_cast<int>(ExitCode::kThreshold);
  };
}

}  // namespace borex::cli
