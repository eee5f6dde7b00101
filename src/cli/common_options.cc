#include "common_options.h"

#include <tuple>

#include "borex/core/error.h"
#include "borex/core/parse.h"

namespace borex::cli {
namespace {

// "0.485,0.456,0.406" -> three floats; `option` names the flag in errors.
cv::Vec3f ParseTriple(const std::string& text, const std::string& option) {
  const auto v = ParseNumberList(text, option, 3, 3, "three comma-separated numbers R,G,B");
  return {static_cast<float>(v[0]), static_cast<float>(v[1]), static_cast<float>(v[2])};
}

// "224,224" (H,W) -> cv::Size(W, H).
cv::Size ParseSize(const std::string& text, const std::string& option) {
  const std::string form = "H,W (two positive integers)";
  const auto v = ParseNumberList(text, option, 2, 2, form);
  if (v[0] < 1 || v[1] < 1 || v[0] != static_cast<int>(v[0]) || v[1] != static_cast<int>(v[1]))
    throw OptionError(option, "'" + text + "' is not " + form);
  return {static_cast<int>(v[1]), static_cast<int>(v[0])};
}

// "A[,B]": one positive number (used for both) or two.
std::pair<double, double> ParsePositivePair(const std::string& text, const std::string& option,
                                            const std::string& form) {
  const auto v = ParseNumberList(text, option, 1, 2, form);
  const double first = v[0], second = v.size() == 2 ? v[1] : v[0];
  if (!(first > 0 && second > 0)) throw OptionError(option, "values must be positive");
  return {first, second};
}

void AddRenderFlags(CLI::App& command, RenderFlags& flags) {
  flags.command = &command;
  const std::string group = "Heat maps and overlays (PREFIX.png, PREFIX_overlay.png, video)";
  command
      .add_option("--colormap", flags.colormap,
                  "Colours of the map:\n"
                  "jet        blue (low) to red (high), as pytorch-grad-cam and the BOREx authors "
                  "(default)\n"
                  "turbo      JET's order, perceptually smoother\n"
                  "viridis    dark blue to yellow, perceptually uniform\n"
                  "diverging  blue, white, red (default of explain --method undesirable)")
      ->group(group);
  command
      .add_option("--normalize", flags.normalize,
                  "Which values the colours span:\n"
                  "minmax      the map's minimum to its maximum (default)\n"
                  "percentile  as minmax after clipping the highest --outlier-percent % of values\n"
                  "signed      -m to m, m = max |value|: zero in the middle (default of explain "
                  "--method undesirable)")
      ->group(group);
  command
      .add_option("--outlier-percent", flags.options.outlier_percent,
                  "--normalize percentile: percent of the highest values clipped, in [0, 100)")
      ->capture_default_str()
      ->group(group);
  command
      .add_option("--overlay-alpha", flags.options.alpha,
                  "Overlay opacity in [0, 1]: (1 - alpha) * image + alpha * colour (diverging: "
                  "towards red or blue at alpha times the distance from the scale's middle)")
      ->capture_default_str()
      ->group(group);
  command
      .add_flag("--colorbar", flags.options.colorbar,
                "Add a legend strip (colour scale and values) to the heat map and the overlay")
      ->group(group);
}

}  // namespace

CLI::Validator NonNegative() {
  return CLI::Validator(
      [](const std::string& value) {
        return value.rfind('-', 0) == 0 ? "must not be negative, got " + value : std::string();
      },
      "");
}

std::string OutputList(const std::vector<std::string>& outputs) {
  std::string list;
  for (const std::string& path : outputs) list += (list.empty() ? "" : ", ") + path;
  return list;
}

model::ModelOptions ModelFlags::Options() const {
  model::ModelOptions model = this->model;
  if (!mean.empty()) model.mean = ParseTriple(mean, "--mean");
  if (!std.empty()) model.std = ParseTriple(std, "--std");
  if (!input_size.empty()) model.input_size = ParseSize(input_size, "--input-size");
  if (frames) model.frames = frames;
  if (frame_stride) model.frame_stride = frame_stride;
  if (!video_layout.empty()) model.layout = model::ParseVideoLayout(video_layout, "--video-layout");
  model.Check();
  return model;
}

void RenderFlags::Apply(app::ImageJobOptions& job) const {
  const auto given = [this](const char* name) { return command->count(name) > 0; };
  for (io::RenderOptions* render : {&job.render, &job.signed_render}) {
    if (given("--colormap")) render->colormap = io::ParseColormap(colormap);
    if (given("--normalize")) render->normalize = io::ParseNormalization(normalize);
    if (given("--outlier-percent")) render->outlier_percent = options.outlier_percent;
    if (given("--overlay-alpha")) render->alpha = options.alpha;
    if (given("--colorbar")) render->colorbar = options.colorbar;
  }
}

void AddCommonFlags(CLI::App& command, app::ImageJobOptions& job, ModelFlags& flags,
                    RenderFlags& render) {
  AddModelFlags(command, flags);
  const std::string group = "Model and image";
  auto* image =
      command
          .add_option("--image", job.image_path, "Image to explain (PNG, JPEG, any OpenCV format)")
          ->group(group);
  const std::string video = "Video (models with frames in their metadata, or --frames)";
  command
      .add_option("--video", job.video_path,
                  "Clip to explain: a video file (MP4, AVI, any format OpenCV reads) or a folder "
                  "of numbered frames")
      ->excludes(image)
      ->group(video);
  command
      .add_option("--start-frame", job.start_frame,
                  "First frame of the clip to sample (then every --frame-stride-th)")
      ->capture_default_str()
      ->group(video);
  command
      .add_option(
          "--fps", job.fps,
          "Frame rate of PREFIX.mp4, 0.01 to 1000 (default 0: 8 divided by the frame stride)")
      ->capture_default_str()
      ->group(video);
  command.add_flag("--frame-pngs", job.frame_pngs, "Also write PREFIX_f000.png ... per frame")
      ->group(video);
  command
      .add_option("--label", job.label,
                  "Class to explain: an index or a class name (default: the model's top-1)")
      ->group(group);
  command
      .add_option("--out", job.out_prefix,
                  "Output prefix: writes PREFIX.npy, PREFIX.png, PREFIX_overlay.png, "
                  "PREFIX.json")
      ->required()
      ->group(group);
  AddRenderFlags(command, render);
}

void AddModelFlags(CLI::App& command, ModelFlags& flags) {
  model::ModelOptions& model = flags.model;
  const std::string group = "Model and image";
  command
      .add_option("--model", model.path,
                  "Classifier file: TorchScript (.pt, scripted or traced; every method) or ONNX "
                  "(.onnx, run by OpenCV's DNN module; black-box methods only: rise, pn-rise, "
                  "undesirable, BOREx, the metrics). docs/models.md")
      ->required()
      ->group(group);
  command.add_option("--device", model.device, "cpu or cuda (cuda: TorchScript models only)")
      ->capture_default_str()
      ->group(group);
  command
      .add_option("--threads", model.threads,
                  "CPU threads for the model and the GP (default 0: all cores; at most 16 per "
                  "hardware thread)")
      ->capture_default_str()
      ->group(group);
  const std::string pre = "Preprocessing (for models without borex metadata; flags win)";
  command
      .add_option("--mean", flags.mean,
                  "R,G,B mean subtracted from [0,1] pixels (default: metadata, else ImageNet)")
      ->group(pre);
  command
      .add_option("--std", flags.std, "R,G,B standard deviation (default: metadata, else ImageNet)")
      ->group(pre);
  command
      .add_option("--input-size", flags.input_size,
                  "H,W the model expects (default: metadata, else the image's own size)")
      ->group(pre);
  command
      .add_option("--classes", model.classes_file,
                  "File with one class name per line (default: metadata)")
      ->group(pre);
  command
      .add_option("--frames", flags.frames,
                  "Video: frames T per clip the model takes (default: metadata; makes a model "
                  "without video metadata a video model)")
      ->group(pre);
  command
      .add_option("--frame-stride", flags.frame_stride,
                  "Video: sample every S-th frame of the clip (default: metadata, else 1)")
      ->group(pre);
  command
      .add_option("--video-layout", flags.video_layout,
                  "Video: the model's input layout NCTHW ([N,3,T,H,W]) | NTCHW ([N,T,3,H,W]) "
                  "(default: metadata, else NCTHW)")
      ->group(pre);
}

void AddOptimisingMethodFlags(CLI::App& command, explain::ExplainOptions& options,
                              std::string& opticam_normalization, const std::string& group_prefix) {
  const std::string opticam =
      group_prefix + "Opti-CAM (Torres et al.; defaults: the authors' code)";
  command
      .add_option("--opticam-iterations", options.opticam.iterations,
                  "Adam steps on the channel weights")
      ->capture_default_str()
      ->group(opticam);
  command.add_option("--opticam-lr", options.opticam.learning_rate, "Adam learning rate")
      ->capture_default_str()
      ->group(opticam);
  command
      .add_option("--opticam-normalization", opticam_normalization,
                  "Map to [0,1]: max (S/max S) | minmax (the authors' code)")
      ->capture_default_str()
      ->group(opticam);
  const std::string fido = group_prefix + "FIDO (Chang et al.; defaults: the authors' code)";
  explain::FidoOptions& f = options.fido;
  command.add_option("--fido-iterations", f.iterations, "Adam steps on the mask logits")
      ->capture_default_str()
      ->group(fido);
  command.add_option("--fido-lr", f.learning_rate, "Adam learning rate (decays linearly to 0)")
      ->capture_default_str()
      ->group(fido);
  command.add_option("--fido-samples", f.samples, "Concrete mask samples per step (one batch)")
      ->capture_default_str()
      ->group(fido);
  command.add_option("--fido-sparsity", f.sparsity, "Weight of the mask-area term, per pixel")
      ->capture_default_str()
      ->group(fido);
  command
      .add_option("--fido-smoothness", f.smoothness,
                  "Weight of the squared-difference (TV) term between grid cells")
      ->capture_default_str()
      ->group(fido);
  command.add_option("--fido-temperature", f.temperature, "Concrete relaxation temperature")
      ->capture_default_str()
      ->group(fido);
  command
      .add_option("--fido-annealing", f.annealing,
                  "Steps over which the regularisers are phased in (0: at once)")
      ->capture_default_str()
      ->group(fido);
  command.add_option("--fido-cell", f.cell, "Mask grid cell side in pixels")
      ->capture_default_str()
      ->group(fido);
}

void AddRiseFlags(CLI::App& command, explain::RiseOptions& rise, const std::string& group) {
  command.add_option("--masks", rise.masks, "RISE: number of random masks N")
      ->capture_default_str()
      ->group(group);
  command.add_option("--grid", rise.grid, "RISE: cells per side s of the random grid")
      ->capture_default_str()
      ->group(group);
  command.add_option("--keep-prob", rise.keep_prob, "RISE: probability p1 that a cell is kept")
      ->capture_default_str()
      ->group(group);
  command
      .add_option("--grid-frames", rise.grid_frames,
                  "RISE on video: cells of the random grid along time")
      ->capture_default_str()
      ->group(group);
  command.add_option("--batch-size", rise.batch_size, "Images per forward pass")
      ->capture_default_str()
      ->group(group);
}

void AddInfillOption(CLI::App& command, const std::string& names, std::string& value,
                     const std::string& what, const std::string& group) {
  command
      .add_option(names, value,
                  what +
                      ":\n"
                      "black    RGB 0 (the BOREx paper)\n"
                      "mean     the model's mean colour, 0 once normalised (the RISE and BOREx "
                      "authors' code)\n"
                      "blur     the image blurred, Gaussian 11x11 sigma 5, per frame (RISE)\n"
                      "noise    uniform RGB noise in [0,1] per pixel, drawn once from the seed\n"
                      "inpaint  OpenCV Telea inpainting from the visible pixels, per frame "
                      "(slow: one inpainting per masked image)")
      ->capture_default_str()
      ->group(group);
}

void AddMethodInfillOption(CLI::App& command, const std::string& names, std::string& value,
                           const std::string& what, const std::string& group) {
  const explain::ExplainOptions defaults;
  AddInfillOption(command, names, value,
                  what + " (default: " + mask::InfillName(defaults.rise.infill) +
                      " for RISE, PN-RISE and undesirable, " +
                      mask::InfillName(defaults.optimising_infill) + " for Opti-CAM and FIDO)",
                  group);
}

void ApplyMethodInfill(const std::string& value, const std::string& flag,
                       explain::ExplainOptions& options) {
  if (!value.empty()) options.SetInfill(mask::ParseInfill(value, flag));
  options.infill_flag = flag;
}

void AddMetricFlags(CLI::App& command, metrics::MetricOptions& options, std::string& infill) {
  const std::string group = "Metrics";
  command
      .add_option("--step", options.step,
                  "Insertion/deletion/F-measure: pixels revealed or removed per step (0: the "
                  "image's width, as RISE's 224 at 224x224)")
      ->capture_default_str()
      ->group(group);
  AddInfillOption(command, "--substrate,--infill", infill,
                  "What hidden pixels become in insertion and deletion (--infill: older name)",
                  group);
  command
      .add_option("--hide-percent", options.hide_percent,
                  "hide_top: the top percent of the map's pixels hidden (substrate), in (0, 100]")
      ->capture_default_str()
      ->group(group);
  command
      .add_option("--pointing-tolerance", options.pointing_tolerance,
                  "Pointing game: a hit when the maximum lies within this many pixels of the "
                  "region (TorchRay uses 15 at 224)")
      ->capture_default_str()
      ->group(group);
}

refine::RefineOptions RefineFlags::Parse(bool clip) const {
  refine::RefineOptions o = refine::RefineOptions::FromPreset(preset);
  BOREX_CHECK(command != nullptr);  // set by AddRefineFlags
  const auto given = [this](const std::string& name) { return command->count(name) > 0; };
  // --algorithm mokuwe is the preset's options as Algorithm 1; flags given after may still
  // contradict it, which RefineOptions::CheckSettings refuses.
  if (given("--algorithm")) {
    const refine::Algorithm chosen = refine::ParseAlgorithm(algorithm);
    if (chosen == refine::Algorithm::kMokuwe) o = o.Algorithm1();
    o.algorithm = chosen;
  }
  // Flags bound to `options`: copied when given.
  using Copy = void (*)(refine::RefineOptions&, const refine::RefineOptions&);
  static const std::pair<const char*, Copy> kBound[] = {
      {"--prior-scale", [](auto& o, auto& f) { o.prior_mean_abs = f.prior_mean_abs; }},
      {"--iterations", [](auto& o, auto& f) { o.iterations = f.iterations; }},
      {"--stride", [](auto& o, auto& f) { o.stride = f.stride; }},
      {"--noise", [](auto& o, auto& f) { o.noise_variance = f.noise_variance; }},
      {"--kappa", [](auto& o, auto& f) { o.kappa = f.kappa; }},
      {"--seed", [](auto& o, auto& f) { o.seed = f.seed; }},
      {"--mask-frame-step", [](auto& o, auto& f) { o.frame_step = f.frame_step; }},
      {"--max-gp-memory", [](auto& o, auto& f) { o.max_gp_megabytes = f.max_gp_megabytes; }},
      {"--squash", [](auto& o, auto& f) { o.squash = f.squash; }},
      {"--hyperopt", [](auto& o, auto& f) { o.hyperopt = f.hyperopt; }},
      {"--hyperopt-tolerance",
       [](auto& o, auto& f) { o.hyperopt_tolerance = f.hyperopt_tolerance; }},
      {"--fit-signal-variance",
       [](auto& o, auto& f) { o.fit_signal_variance = f.fit_signal_variance; }},
      {"--fit-length-scale", [](auto& o, auto& f) { o.fit_length_scale = f.fit_length_scale; }},
      {"--fit-noise-variance",
       [](auto& o, auto& f) { o.fit_noise_variance = f.fit_noise_variance; }},
      {"--fit-rise-observation-noise",
       [](auto& o, auto& f) { o.fit_rise_observation_noise = f.fit_rise_observation_noise; }},
      {"--prior-coefficient-sd",
       [](auto& o, auto& f) { o.prior_coefficient_sd = f.prior_coefficient_sd; }},
      {"--fit-prior-coefficient-sd",
       [](auto& o, auto& f) { o.fit_prior_coefficient_sd = f.fit_prior_coefficient_sd; }},
      {"--average-hyperparameters",
       [](auto& o, auto& f) { o.average_hyperparameters = f.average_hyperparameters; }},
      {"--nonnegative-prior-coefficient",
       [](auto& o, auto& f) { o.nonnegative_prior_coefficient = f.nonnegative_prior_coefficient; }},
      {"--jitter", [](auto& o, auto& f) { o.jitter = f.jitter; }},
      {"--acquisition-batch", [](auto& o, auto& f) { o.acquisition_batch = f.acquisition_batch; }},
      {"--level-set-segments",
       [](auto& o, auto& f) { o.level_set_segments = f.level_set_segments; }},
      {"--map-segments", [](auto& o, auto& f) { o.map_segment_weight = f.map_segment_weight; }},
      {"--rise-observation-limit",
       [](auto& o, auto& f) { o.rise_observation_limit = f.rise_observation_limit; }},
  };
  for (const auto& [name, copy] : kBound)
    if (given(name)) copy(o, options);
  if (given("--mask-sizes")) o.mask_sizes = refine::ParseMaskSizes(mask_sizes);
  if (given("--kernel")) o.kernel = gp::ParseMaternNu(kernel);
  if (!length_scale.empty())
    std::tie(o.length_scale_position, o.length_scale_size) =
        ParsePositivePair(length_scale, "--length-scale", "POS[,SIZE] (one or two numbers)");
  if (!mask_frames.empty()) o.mask_frames = refine::ParseMaskFrames(mask_frames);
  if (!length_scale_frames.empty())
    std::tie(o.length_scale_frame, o.length_scale_depth) = ParsePositivePair(
        length_scale_frames, "--length-scale-frames", "FRAME[,DEPTH] (one or two numbers)");
  if (given("--score")) o.score = model::ParseScoreKind(score);
  if (given("--aggregation")) o.aggregation = refine::ParseAggregation(aggregation);
  if (given("--prior-mean")) o.prior_mean = refine::ParsePriorMean(prior_mean);
  if (given("--prior-basis")) o.prior_basis = refine::ParsePriorBasis(prior_basis);
  if (given("--gp-over")) o.gp_domain = refine::ParseGpDomain(gp_over);
  if (given("--rise-observations"))
    o.rise_observations = refine::ParseRiseObservations(rise_observations);
  if (given("--map-segments-form")) o.map_segment_form = refine::ParseSegmentForm(map_segment_form);
  // The pixel field's own options, given by name where the GP is the squares' (--gp-over masks,
  // or auto for a clip), are refused rather than left silently inactive.
  const bool squares = o.Domain(/*clip_frames=*/clip ? 2 : 1) == refine::GpDomain::kMasks;
  const auto refuse = [clip](const char* option, const std::string& why) {
    throw OptionError(option,
                      std::string("needs the pixel field (") +
                          (clip ? "for a clip, --gp-over pixels" : "--gp-over pixels or auto") +
                          "): " + why);
  };
  for (const char* option : {"--level-set-segments", "--map-segments"})
    if (given(option) && squares) refuse(option, "the squares' GP has squares only");
  // On by default and inactive over the squares' GP; asked for there by name, they are refused.
  for (const auto& [asked, option] :
       {std::pair{o.fit_prior_coefficient_sd, "--fit-prior-coefficient-sd"},
        std::pair{o.average_hyperparameters, "--average-hyperparameters"},
        std::pair{o.fit_rise_observation_noise, "--fit-rise-observation-noise"}})
    if (asked && given(option) && squares)
      refuse(option, "the squares' GP fits the final map's variances only");
  // The pixel field's lists of numbers, or none.
  for (const auto& [value, option, numbers, form] :
       {std::tuple{&prior_level_sets, "--prior-level-sets", &o.prior_level_sets,
                   "fractions in (0, 1), e.g. 0.05,0.1,0.2,0.4, or none"},
        std::tuple{&posterior_level_sets, "--posterior-level-sets", &o.posterior_level_sets,
                   "fractions in (0, 1), e.g. 0.05,0.1,0.2,0.4, or none"},
        std::tuple{&deviation_floors, "--deviation-floors", &o.deviation_floors,
                   "floors in (0, 1], e.g. 0.3,0.1, or none"}}) {
    if (value->empty()) continue;
    if (squares) refuse(option, "the squares' GP has no pixel field");
    if (*value == "none")
      numbers->clear();
    else
      *numbers = ParseNumberList(*value, option, 1, 64, form);
  }
  if (given(infill_option)) o.infill = mask::ParseInfill(infill, infill_option);
  if (no_flip) o.flip = false;
  if (simple_average) o.weighted_average = false;
  if (no_prior) o.use_prior = false;
  return o;
}

void AddRefineFlags(CLI::App& command, RefineFlags& flags, const std::string& infill_names) {
  flags.command = &command;
  flags.mask_sizes = refine::MaskSizesString(flags.options.mask_sizes);
  flags.aggregation = refine::AggregationName(flags.options.aggregation);
  flags.prior_mean = refine::PriorMeanName(flags.options.prior_mean);
  flags.prior_basis = refine::PriorBasisName(flags.options.prior_basis);
  flags.gp_over = refine::GpDomainName(flags.options.gp_domain);
  flags.rise_observations = refine::RiseObservationsName(flags.options.rise_observations);
  flags.map_segment_form = refine::SegmentFormName(flags.options.map_segment_form);
  command
      .add_option("--preset", flags.preset,
                  "Starting settings; flags given override them. kriging: the defaults (the "
                  "prior as the GP's fitted mean, docs/algorithm.md) | paper: Algorithm 2 as "
                  "published (fixed prior mean, 1/r^2 average, kappa 10) | code: the authors' "
                  "code (paper + stride 1, box, squash 10, hyperopt, mean in-fill, jitter 1) | "
                  "mokuwe: Algorithm 1 as published (refine only; batch: --methods mokuwe)")
      ->capture_default_str()
      ->group("Preset");
  const std::string prior = "Prior i0";
  command
      .add_option("--prior-scale", flags.options.prior_mean_abs,
                  "Scale the prior so that mean |i0| equals this [code: 0.1]")
      ->capture_default_str()
      ->group(prior);
  command
      .add_option("--prior-mean", flags.prior_mean,
                  "fitted: GP mean a*i0 + b, a and b estimated with the GP (universal kriging) | "
                  "fixed: GP mean i0 (paper)")
      ->capture_default_str()
      ->group(prior);
  command
      .add_option("--prior-basis", flags.prior_basis,
                  "Fitted mean's regressor for a mask: average (i0's mean over the square) | "
                  "mass (i0's sum over it, in smallest-square units)")
      ->capture_default_str()
      ->group(prior);
  command
      .add_option("--prior-coefficient-sd", flags.options.prior_coefficient_sd,
                  "Fitted mean: the prior standard deviation of the prior's coefficient a, "
                  "a ~ N(1, SD^2) (a = 1 keeps i0 at --prior-scale; small SD holds a near 1: 3 "
                  "raised F-measure and the pointing game and lowered Grad-CAM++'s insertion, "
                  "docs/algorithm.md, nineteenth round)")
      ->capture_default_str()
      ->group(prior);
  command
      .add_flag("--fit-prior-coefficient-sd,!--no-fit-prior-coefficient-sd",
                flags.options.fit_prior_coefficient_sd,
                "With the pixel field (default on; the paper's and code's presets: off): the final "
                "map's --prior-coefficient-sd by marginal likelihood, with the signal variance, "
                "among 1, 3.2, 10, 32, 100 (the search keeps --prior-coefficient-sd; "
                "docs/algorithm.md, twentieth and twenty-first rounds)")
      ->group(prior);
  command
      .add_flag("--average-hyperparameters,!--no-average-hyperparameters",
                flags.options.average_hyperparameters,
                "With the pixel field (default on; the paper's and code's presets: off): the "
                "final map averaged over the fitted grids (signal variance, and noise variance "
                "and a's prior std where fitted), each point's map weighted by its marginal "
                "likelihood, instead of the most likely point's (docs/algorithm.md, "
                "twenty-first round)")
      ->group(prior);
  command
      .add_flag("--nonnegative-prior-coefficient,!--no-nonnegative-prior-coefficient",
                flags.options.nonnegative_prior_coefficient,
                "Fitted mean: keep the prior's coefficient a >= 0, so the map never holds the "
                "prior inverted (default off: no gain on the test split, docs/results.md)")
      ->group(prior);
  command
      .add_flag("--fit-signal-variance,!--no-fit-signal-variance",
                flags.options.fit_signal_variance,
                "Final map: GP signal variance by maximum marginal likelihood (default on; "
                "paper and code: off)")
      ->group(prior);
  command
      .add_flag("--fit-length-scale,!--no-fit-length-scale", flags.options.fit_length_scale,
                "Final map: GP length scales times the factor (0.5 to 4) of maximum marginal "
                "likelihood (default off; paper and code: off)")
      ->group(prior);

  const std::string bo = "Bayesian optimisation";
  command.add_option("--iterations", flags.options.iterations, "Number of observations N")
      ->capture_default_str()
      ->group(bo);
  command
      .add_option("--mask-sizes", flags.mask_sizes,
                  "Mask sides: fractions of the shorter side (<= 1) or pixels (> 1 or 60px) "
                  "[code: 60,90,120,150 px at 224]")
      ->capture_default_str()
      ->group(bo);
  command
      .add_option("--stride", flags.options.stride,
                  "Candidate centres every STRIDE pixels [code: 1]")
      ->capture_default_str()
      ->group(bo);
  command.add_option("--kernel", flags.kernel, "matern12 | matern32 | matern52 [code: 32]")
      ->capture_default_str()
      ->group(bo);
  command
      .add_option("--length-scale", flags.length_scale,
                  "POS[,SIZE] kernel length scales in pixels (default: the code's 12 and 20 "
                  "at 224, scaled to the input; twice that for a clip's squares' GP)")
      ->group(bo);
  command
      .add_option("--noise", flags.options.noise_variance,
                  "Observation noise variance; 0: the GP's default, 0.3 for the pixel field "
                  "(the additive model's misfit), 0.01 over masks [code: 0.01]")
      ->capture_default_str()
      ->group(bo);
  command
      .add_option("--kappa", flags.options.kappa,
                  "UCB exploration weight: u = mu + kappa*sigma [code: 10]")
      ->capture_default_str()
      ->group(bo);
  command
      .add_option("--score", flags.score,
                  "Observed score: prob (softmax), logit or log-odds (batch: the RISE prior's too)")
      ->capture_default_str()
      ->group(bo);
  command
      .add_option("--seed", flags.options.seed, "Seed for every random choice (jitter, RISE prior)")
      ->check(NonNegative())
      ->capture_default_str()
      ->group(bo);

  const std::string video = "Video: cuboid masks (paper section 3.2)";
  command
      .add_option("--mask-frames", flags.mask_frames,
                  "Cuboid depths t in frames, e.g. 2,4,8 (default: T/2 and T, the clip's frames)")
      ->group(video);
  command
      .add_option("--mask-frame-step", flags.options.frame_step,
                  "Candidate first frames every K frames")
      ->capture_default_str()
      ->group(video);
  command
      .add_option("--length-scale-frames", flags.length_scale_frames,
                  "FRAME[,DEPTH] kernel length scales in frames for the first frame n and the "
                  "depth t (default: T/2 and T/2)")
      ->group(video);

  command
      .add_option("--acquisition-batch", flags.options.acquisition_batch,
                  "Observations chosen per model call (GP-BUCB): Q UCB maxima, each a pending "
                  "point that lowers the variance around it, then one forward pass of their 2Q "
                  "masked images. 1 = sequential (paper, code); --iterations counts observations")
      ->capture_default_str()
      ->group(bo);
  command
      .add_option("--gp-over", flags.gp_over,
                  "auto: pixels for an image, masks for a clip | masks: the GP over the "
                  "squares' (row, col, side) (paper, code) | pixels: a saliency field over the "
                  "image's cells, each mask's score a sum over it, so that masks of any shape "
                  "(the prior's level sets) observe it and its mean is the map; a clip's field "
                  "is over its frames' cells, the cuboids' scores sums over them "
                  "(docs/algorithm.md, seventh and twenty-sixth rounds)")
      ->capture_default_str()
      ->group(bo);
  command
      .add_flag("--fit-rise-observation-noise,!--no-fit-rise-observation-noise",
                flags.options.fit_rise_observation_noise,
                "With the pixel field and the RISE prior's masks as observations "
                "(--rise-observations): the final map's noise variance of those masks, the noise "
                "variance times 0.01, 0.032, ..., 100, by marginal likelihood with the other "
                "hyperparameters (averaged with --average-hyperparameters): how far they fit the "
                "additive model is each image's evidence (default off: the evidence trusts them "
                "more, which lowered insertion and F-measure on every classifier; "
                "docs/algorithm.md, thirtieth round)")
      ->group(bo);
  command
      .add_flag("--fit-noise-variance,!--no-fit-noise-variance", flags.options.fit_noise_variance,
                "With the pixel field: the final map's noise variance by maximum marginal "
                "likelihood, with the signal variance (the additive model's misfit)")
      ->group(bo);
  command
      .add_option("--deviation-floors", flags.deviation_floors,
                  "With the pixel field and a prior: the final map's fits also under a deviation "
                  "whose prior std follows the prior's rank q over the cells, d^2 = c + (1 - c) q, "
                  "for each floor c listed, besides the stationary one (c = 1); weighed with the "
                  "other fits by marginal likelihood. none: stationary only (docs/algorithm.md, "
                  "twenty-fourth round)")
      ->group(bo);
  command
      .add_option("--rise-observations", flags.rise_observations,
                  "With the pixel field and a computed RISE or PN-RISE prior: the prior's own "
                  "masks and scores as observations too, at no model call. regions: where the "
                  "prior's top 5% of pixels forms several regions (several items) | all: for "
                  "every image | off [paper, code: off] (docs/algorithm.md, thirteenth and "
                  "twenty-second rounds)")
      ->capture_default_str()
      ->group(bo);
  command
      .add_option("--rise-observation-limit", flags.options.rise_observation_limit,
                  "The most of those masks the field reads, the first drawn; 0: all. The "
                  "refinement's time grows with their square; the others still make the prior's "
                  "map (docs/algorithm.md, fourteenth round)")
      ->capture_default_str()
      ->group(bo);
  command
      .add_option("--prior-level-sets", flags.prior_level_sets,
                  "The pixel field's masks besides the squares: the prior's top fractions of "
                  "pixels, or none [default: 0.05,0.1,0.2,0.4; paper, code: none]")
      ->group(bo);
  command
      .add_option("--posterior-level-sets", flags.posterior_level_sets,
                  "The pixel field's masks from the observations: after each round of them, the "
                  "refined map's top fractions of pixels so far, or none [default: "
                  "0.05,0.1,0.2,0.4; paper, "
                  "code: none]")
      ->group(bo);
  command
      .add_option("--level-set-segments", flags.options.level_set_segments,
                  "The pixel field's level sets made of the image's segments (Felzenszwalb's "
                  "graph segmentation with this k; larger: larger segments): whole segments "
                  "ranked by the map's mean over them. 0: of pixels [paper, code: 0]")
      ->capture_default_str()
      ->group(bo);
  command
      .add_option("--map-segments", flags.options.map_segment_weight,
                  "The pixel field's final map moved towards its mean over each of those "
                  "segments by W in [0, 1] (--map-segments-form); 0: off (docs/algorithm.md, "
                  "eleventh round: a trade of deletion for insertion, not a default)")
      ->capture_default_str()
      ->group(bo);
  command
      .add_option("--map-segments-form", flags.map_segment_form,
                  "blend: (1 - W) * map + W * segment mean | raise: map + W * max(0, segment "
                  "mean - map), only pixels below their segment's mean, upwards")
      ->capture_default_str()
      ->group(bo);
  command
      .add_option("--max-gp-memory", flags.options.max_gp_megabytes,
                  "Refuse candidate sets whose GP would need more than this many MB")
      ->capture_default_str()
      ->group(bo);

  const std::string variants = "Algorithm, ablations and the authors' code";
  command
      .add_option("--algorithm", flags.algorithm,
                  "borex (Algorithm 2) | mokuwe (Algorithm 1: no flip, plain mean, no prior)")
      ->capture_default_str()
      ->group(variants);
  command.add_flag("--no-flip", flags.no_flip, "Observe M(i) - M(i*m) instead of the flip")
      ->group(variants);
  command
      .add_flag("--simple-average", flags.simple_average,
                "Plain mean over mask sizes instead of 1/r^2 weights")
      ->group(variants);
  command.add_flag("--no-prior", flags.no_prior, "Start the GP mean at 0 (no i0)")->group(variants);
  command
      .add_option("--aggregation", flags.aggregation,
                  "pointwise (paper: mu/r^2) | box (code: mean over each mask's box)")
      ->capture_default_str()
      ->group(variants);
  command
      .add_option("--squash", flags.options.squash,
                  "Squash s to 2(sigmoid(G*s)-0.5); 0 = off (paper) [code: 10]")
      ->capture_default_str()
      ->group(variants);
  command
      .add_flag("--hyperopt", flags.options.hyperopt,
                "Re-fit length scales by maximum marginal likelihood every step [code]")
      ->group(variants);
  command
      .add_option("--hyperopt-tolerance", flags.options.hyperopt_tolerance,
                  "--hyperopt: keep the current length scales unless a fit raises the log "
                  "marginal likelihood by more than this many nats (skips the rebuild over the "
                  "candidates; approximate for > 0); 0 = take every fit (code)")
      ->capture_default_str()
      ->group(variants);
  flags.infill_option = infill_names.substr(0, infill_names.find(','));
  flags.infill = mask::InfillName(flags.options.infill);
  AddInfillOption(
      command, infill_names, flags.infill,
      "BO observations: what the masks' hidden pixels become [paper: black; code: mean] (other "
      "names: older spellings)",
      variants);
  command
      .add_option("--jitter", flags.options.jitter,
                  "Std (px) of Gaussian jitter on chosen points; 0 = off (paper) [code: 1]")
      ->capture_default_str()
      ->group(variants);
}

}  // namespace borex::cli
