#include <iostream>

#include "borex/core/error.h"
#include "borex/model/open_classifier.h"
#include "commands.h"
#include "common_options.h"

namespace borex::cli {

std::shared_ptr<ExplainCommandFlags> AddExplainCommandFlags(CLI::App& command) {
  auto flags = std::make_shared<ExplainCommandFlags>();
  flags->command = &command;
  AddCommonFlags(command, flags->job.common, flags->model, flags->render);
  command
      .add_option("--method", flags->method,
                  "rise | pn-rise | gradcam | gradcam++ | opticam | fido-ssr | fido-sdr | "
                  "undesirable")
      ->capture_default_str();
  const std::string rise_group =
      "RISE / PN-RISE / undesirable (Petsiuk et al.; defaults: full quality)";
  AddRiseFlags(command, flags->job.explain.rise, rise_group);
  command
      .add_option("--seed", flags->job.explain.rise.seed,
                  "Seed of RISE's masks, FIDO's samples, the noise in-fill")
      ->check(NonNegative())
      ->capture_default_str()
      ->group(rise_group);
  command.add_option("--score", flags->score, "Score observed: prob (softmax), logit or log-odds")
      ->capture_default_str()
      ->group(rise_group);
  AddMethodInfillOption(
      command, "--rise-infill,--infill,--occlude", flags->infill,
      "RISE, Opti-CAM, FIDO: what hidden pixels become (FIDO, Opti-CAM: not inpaint)", rise_group);
  command
      .add_option("--target-layer", flags->job.explain.cam.target_layer,
                  "CAMs: submodule path such as layer4 (default: the model's metadata)")
      ->group("Grad-CAM / Grad-CAM++ / Opti-CAM");
  AddOptimisingMethodFlags(command, flags->job.explain, flags->opticam_normalization, "");
  return flags;
}

app::ExplainJobOptions ExplainCommandFlags::Job() const {
  app::ExplainJobOptions job = this->job;
  job.explain.method = explain::ParseMethod(method, "--method");
  if (!explain::HidesPixels(job.explain.method) && command->count("--rise-infill") > 0)
    throw OptionError("--rise-infill", method + " hides no pixels: --rise-infill does not apply");
  job.explain.rise.score = model::ParseScoreKind(score);
  job.explain.opticam.normalization = explain::ParseCamNormalization(opticam_normalization);
  ApplyMethodInfill(infill, "--rise-infill", job.explain);
  render.Apply(job.common);
  return job;
}

Action AddExplainCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "explain",
      "Compute a saliency map with RISE, PN-RISE, Grad-CAM, Grad-CAM++, Opti-CAM or FIDO alone, "
      "or the undesirable pixels of a class");
  command->footer(
      "--method undesirable (black-box, from the RISE masks; Kang et al. 2019) writes two signed\n"
      "maps instead of one: PREFIX_hinder.npy/.png (> 0 where hiding a pixel raises the label's\n"
      "score) and PREFIX_others.npy/.png (evidence for the other classes, weighted by their\n"
      "probabilities); check a hinder map with `borex evaluate` (hide_top > 0).\n\n"
      "Examples:\n  borex explain --model models/fashion_scenes_resnet.pt "
      "--image examples/scene_single.png --method gradcam++ --out out/scene_gradcampp\n"
      "  borex explain --model models/fashion_scenes_resnet.pt "
      "--image examples/scene_single.png --method undesirable --out out/scene_undesirable");
  const std::shared_ptr<ExplainCommandFlags> flags = AddExplainCommandFlags(*command);
  return [flags]() {
    const app::ExplainJobOptions job = flags->Job();
    const model::ModelOptions model_options = flags->model.Options();
    job.common.Check();  // every flag before the model is loaded
    const std::unique_ptr<model::Classifier> classifier = model::OpenClassifier(model_options);
    const app::ImageJobResult result = app::RunExplainJob(*classifier, job);
    std::cout << "explain " << explain::MethodName(job.explain.method) << ": label " << result.label
              << ", " << result.model_calls << " model calls, " << result.total_seconds << " s -> "
              << OutputList(result.outputs) << "\n";
    return 0;
  };
}

}  // namespace borex::cli
