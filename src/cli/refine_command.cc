#include <unistd.h>

#include <iostream>

#include "borex/core/error.h"
#include "commands.h"
#include "common_options.h"

namespace borex::cli {

Action AddRefineCommand(CLI::App& app) {
  struct Flags {
    app::RefineJobOptions job;
    CommonFlags common;
    std::string algorithm = "borex", mask_sizes, kernel = "matern32", length_scale, score = "prob",
                aggregation = "pointwise", occlude = "black", prior_occlude = "black";
    bool no_flip = false, simple_average = false, no_prior = false, progress = false;
  };
  auto flags = std::make_shared<Flags>();
  flags->job.prior.rise = explain::RiseOptions::CheapPrior();
  auto& o = flags->job.refine;
  flags->mask_sizes = refine::MaskSizesString(o.mask_sizes);

  CLI::App* command = app.add_subcommand(
      "refine", "Refine a saliency map with BOREx (Gaussian-process Bayesian optimisation)");
  command->footer(
      "Defaults follow the BOREx paper (Kikuchi et al., ACCV 2022, Algorithm 2); where it is\n"
      "silent, the authors' code (exec_borex.py). Options marked [code] reproduce that code.\n\n"
      "Example:\n  borex refine --model models/fashion_scenes_resnet.pt "
      "--image examples/scene_multi.png --prior-method rise --out out/scene_borex "
      "--trace out/scene_trace.json");
  AddCommonFlags(*command, flags->job.common, flags->common);

  const std::string prior = "Prior i0";
  command
      ->add_option("--prior", flags->job.prior_path,
                   "Initial map: .npy (float32/64, HxW) or a grayscale image")
      ->group(prior);
  command
      ->add_option("--prior-method", flags->job.prior_method,
                   "Compute the prior: rise | pn-rise | gradcam | gradcam++ | none")
      ->capture_default_str()
      ->group(prior);
  AddRiseFlags(*command, flags->job.prior.rise, prior);
  command
      ->add_option("--prior-occlude", flags->prior_occlude,
                   "RISE prior: hidden pixels become black | mean")
      ->capture_default_str()
      ->group(prior);
  command
      ->add_option("--target-layer", flags->job.prior.cam.target_layer,
                   "Grad-CAM prior: submodule path (default: the model's metadata)")
      ->group(prior);
  command
      ->add_option("--prior-scale", o.prior_mean_abs,
                   "Scale the prior so that mean |i0| equals this [code: 0.1]")
      ->capture_default_str()
      ->group(prior);

  const std::string bo = "Bayesian optimisation";
  command->add_option("--iterations", o.iterations, "Number of observations N")
      ->capture_default_str()
      ->group(bo);
  command
      ->add_option("--mask-sizes", flags->mask_sizes,
                   "Mask sides: fractions of the shorter side (<= 1) or pixels (> 1 or 60px) "
                   "[code: 60,90,120,150 px at 224]")
      ->capture_default_str()
      ->group(bo);
  command->add_option("--stride", o.stride, "Candidate centres every STRIDE pixels [code: 1]")
      ->capture_default_str()
      ->group(bo);
  command->add_option("--kernel", flags->kernel, "matern12 | matern32 | matern52 [code: 32]")
      ->capture_default_str()
      ->group(bo);
  command
      ->add_option("--length-scale", flags->length_scale,
                   "POS[,SIZE] kernel length scales in pixels (default: the code's 12 and 20 "
                   "at 224, scaled to the input)")
      ->group(bo);
  command->add_option("--noise", o.noise_variance, "Observation noise variance [code: 0.01]")
      ->capture_default_str()
      ->group(bo);
  command->add_option("--kappa", o.kappa, "UCB exploration weight: u = mu + kappa*sigma [code: 10]")
      ->capture_default_str()
      ->group(bo);
  command->add_option("--score", flags->score, "Observed score: prob (softmax) or logit")
      ->capture_default_str()
      ->group(bo);
  command->add_option("--seed", o.seed, "Seed for every random choice (jitter, RISE prior)")
      ->capture_default_str()
      ->group(bo);

  const std::string variants = "Algorithm, ablations and the authors' code";
  command
      ->add_option("--algorithm", flags->algorithm,
                   "borex (Algorithm 2) | mokuwe (Algorithm 1: no flip, plain mean, no prior)")
      ->capture_default_str()
      ->group(variants);
  command->add_flag("--no-flip", flags->no_flip, "Observe M(i) - M(i*m) instead of the flip")
      ->group(variants);
  command
      ->add_flag("--simple-average", flags->simple_average,
                 "Plain mean over mask sizes instead of 1/r^2 weights")
      ->group(variants);
  command->add_flag("--no-prior", flags->no_prior, "Start the GP mean at 0 (no i0)")
      ->group(variants);
  command
      ->add_option("--aggregation", flags->aggregation,
                   "pointwise (paper: mu/r^2) | box (code: mean over each mask's box)")
      ->capture_default_str()
      ->group(variants);
  command
      ->add_option("--squash", o.squash,
                   "Squash s to 2(sigmoid(G*s)-0.5); 0 = off (paper) [code: 10]")
      ->capture_default_str()
      ->group(variants);
  command
      ->add_flag("--hyperopt", o.hyperopt,
                 "Re-fit length scales by maximum marginal likelihood every step [code]")
      ->group(variants);
  command
      ->add_option("--occlude", flags->occlude,
                   "Hidden pixels become black (paper) | mean (the model's mean colour) [code]")
      ->capture_default_str()
      ->group(variants);
  command
      ->add_option("--jitter", o.jitter,
                   "Std (px) of Gaussian jitter on chosen points; 0 = off (paper) [code: 1]")
      ->capture_default_str()
      ->group(variants);

  command->add_option("--trace", flags->job.trace_path, "Write every BO step as JSON to PATH")
      ->group("Model and image");
  command->add_flag("--progress", flags->progress, "Show a progress line on the terminal");

  return [flags]() {
    auto& job = flags->job;
    flags->common.Apply(job.common);
    auto& o = job.refine;
    o.algorithm = refine::ParseAlgorithm(flags->algorithm);
    o.mask_sizes = refine::ParseMaskSizes(flags->mask_sizes);
    o.kernel = gp::ParseMaternNu(flags->kernel);
    if (!flags->length_scale.empty()) {
      const auto comma = flags->length_scale.find(',');
      try {
        o.length_scale_position = std::stod(flags->length_scale.substr(0, comma));
        o.length_scale_size = comma == std::string::npos
                                  ? o.length_scale_position
                                  : std::stod(flags->length_scale.substr(comma + 1));
      } catch (const std::exception&) {
        throw OptionError("--length-scale", "'" + flags->length_scale + "' is not POS[,SIZE]");
      }
      if (!(o.length_scale_position > 0 && o.length_scale_size > 0))
        throw OptionError("--length-scale", "values must be positive");
    }
    o.score = model::ParseScoreKind(flags->score);
    o.aggregation = refine::ParseAggregation(flags->aggregation);
    o.occlusion = mask::ParseOcclusion(flags->occlude);
    if (flags->no_flip) o.flip = false;
    if (flags->simple_average) o.weighted_average = false;
    if (flags->no_prior) o.use_prior = false;
    job.prior.rise.seed = o.seed;
    job.prior.rise.score = o.score;
    job.prior.rise.occlusion = mask::ParseOcclusion(flags->prior_occlude);
    const bool show_progress = flags->progress && isatty(STDERR_FILENO);
    const nlohmann::json summary = app::RunRefineJob(job, [&](int done, int total) {
      if (show_progress) std::cerr << "\rrefine: " << done << "/" << total << std::flush;
    });
    if (show_progress) std::cerr << "\n";
    std::cout << "refine: label " << summary["label"] << " (confidence "
              << summary["confidence"].get<double>() << "), " << summary["iterations"]
              << " iterations, " << summary["model_calls"] << " model calls, "
              << summary["timing"]["total_seconds"].get<double>() << " s -> "
              << job.common.out_prefix << ".{npy,png,_overlay.png,json}\n";
    return 0;
  };
}

}  // namespace borex::cli
