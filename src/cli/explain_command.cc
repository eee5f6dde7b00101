#include <iostream>

#include "borex/core/error.h"
#include "commands.h"
#include "common_options.h"

namespace borex::cli {

Action AddExplainCommand(CLI::App& app) {
  struct Flags {
    app::ExplainJobOptions job;
    ModelFlags common;
    std::string method = "rise", score = "prob", infill = "black", opticam_normalization = "max";
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* command = app.add_subcommand(
      "explain",
      "Compute a saliency map with RISE, PN-RISE, Grad-CAM, Grad-CAM++, Opti-CAM or FIDO alone");
  command->footer(
      "Example:\n  borex explain --model models/fashion_scenes_resnet.pt "
      "--image examples/scene_single.png --method gradcam++ --out out/scene_gradcampp");
  AddCommonFlags(*command, flags->job.common, flags->common);
  command
      ->add_option("--method", flags->method,
                   "rise | pn-rise | gradcam | gradcam++ | opticam | fido-ssr | fido-sdr")
      ->capture_default_str();
  const std::string rise_group = "RISE / PN-RISE (Petsiuk et al.; defaults: full quality)";
  AddRiseFlags(*command, flags->job.explain.rise, rise_group);
  command->add_option("--seed", flags->job.explain.rise.seed, "Seed of the random masks")
      ->capture_default_str()
      ->group(rise_group);
  command->add_option("--score", flags->score, "Score observed: prob (softmax) or logit")
      ->capture_default_str()
      ->group(rise_group);
  AddInfillOption(*command, "--infill,--occlude", flags->infill,
                  "RISE, Opti-CAM, FIDO: what hidden pixels become (FIDO, Opti-CAM: not inpaint)",
                  rise_group);
  command
      ->add_option("--target-layer", flags->job.explain.cam.target_layer,
                   "Grad-CAM: submodule path such as layer4 (default: the model's metadata)")
      ->group("Grad-CAM / Grad-CAM++");
  AddOptimisingMethodFlags(*command, flags->job.explain, flags->opticam_normalization, "");
  return [flags, command]() {
    flags->common.Apply(flags->job.common.model);
    flags->job.explain.method = explain::ParseMethod(flags->method, "--method");
    const bool cam = flags->job.explain.method == explain::Method::kGradCam ||
                     flags->job.explain.method == explain::Method::kGradCamPlusPlus;
    if (cam && command->count("--infill") > 0)
      throw OptionError("--infill", flags->method + " hides no pixels: --infill does not apply");
    flags->job.explain.rise.score = model::ParseScoreKind(flags->score);
    flags->job.explain.opticam.normalization =
        explain::ParseCamNormalization(flags->opticam_normalization);
    flags->job.explain.rise.infill = mask::ParseInfill(flags->infill, "--infill");
    const nlohmann::json summary = app::RunExplainJob(flags->job);
    std::cout << "explain " << summary["settings"]["method"].get<std::string>() << ": label "
              << summary["label"] << ", " << summary["model_calls"] << " model calls, "
              << summary["timing"]["total_seconds"].get<double>() << " s -> " << OutputList(summary)
              << "\n";
    return 0;
  };
}

}  // namespace borex::cli
