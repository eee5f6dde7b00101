#include <unistd.h>

#include <iostream>

#include "borex/core/error.h"
#include "borex/model/open_classifier.h"
#include "commands.h"
#include "common_options.h"

namespace borex::cli {

std::shared_ptr<RefineCommandFlags> AddRefineCommandFlags(CLI::App& command) {
  auto flags = std::make_shared<RefineCommandFlags>();
  AddCommonFlags(command, flags->job.common, flags->model, flags->render);
  const std::string prior = "Prior i0";
  CLI::Option* prior_file =
      command
          .add_option("--prior", flags->job.prior_path,
                      "Initial map: .npy (float32/64, HxW; video: TxHxW) or a grayscale image")
          ->group(prior);
  CLI::Option* prior_method =
      command
          .add_option(
              "--prior-method", flags->job.prior_method,
              "Compute the prior: rise | pn-rise | gradcam | gradcam++ | opticam | fido-ssr | "
              "fido-sdr | none (not undesirable: it gives two maps)")
          ->capture_default_str()
          ->excludes(prior_file)
          ->group(prior);
  AddRiseFlags(command, flags->job.prior.rise, prior);
  AddMethodInfillOption(command, "--prior-infill,--prior-occlude", flags->prior_infill,
                        "RISE, Opti-CAM, FIDO prior: what hidden pixels become", prior);
  command
      .add_option("--target-layer", flags->job.prior.cam.target_layer,
                  "Grad-CAM / Opti-CAM prior: submodule path (default: the model's metadata)")
      ->group(prior);
  AddOptimisingMethodFlags(command, flags->job.prior, flags->opticam_normalization, "Prior: ");
  AddRefineFlags(command, flags->refine, "--bo-infill,--infill,--occlude");
  command.get_option("--no-prior")->excludes(prior_file)->excludes(prior_method);

  command.add_option("--trace", flags->job.trace_path, "Write every BO step as JSON to PATH")
      ->group("Model and image");
  command.add_flag("--progress", flags->progress, "Show a progress line on the terminal");

  return flags;
}

app::RefineJobOptions RefineCommandFlags::Job() const {
  app::RefineJobOptions job = this->job;
  job.refine = refine.Parse(job.common.video());
  // A prior file is refused by the job itself (RefineJobOptions::Check); a prior method has a
  // default, so only the command line knows it was asked for.
  if (!job.refine.use_prior && refine.command->count("--prior-method") > 0)
    throw OptionError("--prior-method",
                      "Algorithm 1 (--algorithm or --preset mokuwe) uses no prior");
  // Like explain's --rise-infill: refused where the prior hides no pixels, rather than ignored.
  if (!prior_infill.empty() && (!job.prior_path.empty() || job.prior_method == "none" ||
                                !explain::HidesPixels(explain::ParseSingleMapMethod(
                                    job.prior_method, "--prior-method", "none"))))
    throw OptionError("--prior-infill",
                      "the prior hides no pixels (a file, none, or a CAM): "
                      "--prior-infill does not apply");
  job.prior.opticam.normalization = explain::ParseCamNormalization(opticam_normalization);
  ApplyMethodInfill(prior_infill, "--prior-infill", job.prior);
  render.Apply(job.common);
  return job;
}

Action AddRefineCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "refine", "Refine a saliency map with BOREx (Gaussian-process Bayesian optimisation)");
  command->footer(
      "BOREx (Kikuchi et al., ACCV 2022, Algorithm 2). The defaults are the kriging preset\n"
      "(docs/algorithm.md); --preset paper is the paper's method exactly and --preset code the\n"
      "authors' code (exec_borex.py); options marked [code] are that code's settings.\n\n"
      "Many images: use `borex batch`. It loads the model once (about 1 s of every refine run\n"
      "goes to starting the process and loading LibTorch and the model, docs/benchmarks.md),\n"
      "refines several images together (--images-in-flight) and scores every map.\n\n"
      "Example:\n  borex refine --model models/fashion_scenes_resnet.pt "
      "--image examples/scene_multi.png --prior-method rise --out out/scene_borex "
      "--trace out/scene_trace.json\n\n"
      "Video (a video model; cuboid masks, paper section 3.2):\n  borex refine --model "
      "models/fashion_video_r2plus1d.pt --video examples/clip_moving --prior-method rise "
      "--out out/clip_borex");
  const std::shared_ptr<RefineCommandFlags> flags = AddRefineCommandFlags(*command);
  return [flags]() {
    const app::RefineJobOptions job = flags->Job();
    const model::ModelOptions model_options = flags->model.Options();
    job.Check();  // every flag before the model is loaded
    const std::unique_ptr<model::Classifier> classifier = model::OpenClassifier(model_options);
    const bool show_progress = flags->progress && isatty(STDERR_FILENO);
    const app::RefineJobResult result =
        app::RunRefineJob(*classifier, job, [&](int done, int total) {
          if (show_progress) std::cerr << "\rrefine: " << done << "/" << total << std::flush;
        });
    if (show_progress) std::cerr << "\n";
    std::cout << "refine: label " << result.label << " (confidence " << result.confidence << "), "
              << result.refinement.iterations << " iterations, " << result.model_calls
              << " model calls, " << result.total_seconds << " s -> " << OutputList(result.outputs)
              << "\n";
    return 0;
  };
}

}  // namespace borex::cli
