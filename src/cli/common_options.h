// Flags shared by every image command (model, image, label, preprocessing, device, output).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "borex/app/image_job.h"
#include "borex/metrics/metrics.h"
#include "borex/model/open_classifier.h"

namespace borex::cli {

// The model's flags: the path, device and threads bound directly, the preprocessing values raw
// until Options() converts them once CLI11 has parsed them.
struct ModelFlags {
  model::ModelOptions model;
  std::string mean, std, input_size, video_layout;
  std::optional<int> frames, frame_stride;  // not given: the metadata's
  // The model options with every flag applied and checked (OptionError for malformed values).
  model::ModelOptions Options() const;
};

// --model, --device, --threads and the preprocessing flags (--mean, --std, --input-size,
// --classes, and for video models --frames, --frame-stride, --video-layout), in the groups
// "Model and image" and "Preprocessing".
void AddModelFlags(CLI::App& command, ModelFlags& flags);
// How maps are drawn: --colormap, --normalize, --outlier-percent, --overlay-alpha, --colorbar.
// The numbers bind to `options`; Apply() parses the names after parsing.
struct RenderFlags {
  io::RenderOptions options;
  std::string colormap, normalize;
  const CLI::App* command = nullptr;  // set by AddCommonFlags: which flags were given
  // Sets the job's saliency and signed renderings: each flag given overrides that field of both
  // (a flag not given keeps each one's default). OptionError for an unknown name.
  void Apply(app::ImageJobOptions& job) const;
};

// The model flags plus --image (or --video with --start-frame, --fps, --frame-pngs), --label,
// --out and the rendering flags.
void AddCommonFlags(CLI::App& command, app::ImageJobOptions& job, ModelFlags& flags,
                    RenderFlags& render);
// The BOREx flags shared by `refine` and `batch`: numeric flags bind to `options`, the others
// are parsed by Parse().
// --preset chooses the starting options; each flag given on the command line then overrides
// its field, and flags not given keep the preset's value.
struct RefineFlags {
  refine::RefineOptions options;
  std::string preset = options.preset, algorithm = "borex", mask_sizes, kernel = "matern32",
              length_scale, score = "prob", aggregation, prior_mean, prior_basis, infill,
              mask_frames, length_scale_frames, gp_over, prior_level_sets, posterior_level_sets,
              map_segment_form, rise_observations, deviation_floors;
  std::string infill_option = "--bo-infill";  // the in-fill flag's name, for errors
  bool no_flip = false, simple_average = false, no_prior = false;
  const CLI::App* command = nullptr;  // set by AddRefineFlags: which flags were given
  // The preset's options with every given flag applied (throws OptionError for malformed values,
  // and for the pixel field's options given where the GP is the squares': --gp-over masks, or
  // auto for a clip, `clip`).
  refine::RefineOptions Parse(bool clip = false) const;
};
// --prior-scale, the "Bayesian optimisation" flags and the ablation / authors'-code variants;
// `infill_names` names the BO observations' in-fill flag (CLI11 names: --bo-infill first, then
// the command's older aliases).
void AddRefineFlags(CLI::App& command, RefineFlags& flags, const std::string& infill_names);

// An in-fill flag (CLI11 `names`, the first one named in errors) bound to `value`, its help
// "WHAT:" and one line per mode; parsed by mask::ParseInfill after parsing.
void AddInfillOption(CLI::App& command, const std::string& names, std::string& value,
                     const std::string& what, const std::string& group);

// The explanation methods' in-fill flag: AddInfillOption with each method's own default
// (explain::ExplainOptions) named in the help, `value` left empty; ApplyMethodInfill then gives
// every method the flag's in-fill when it was given and records `flag` for errors.
void AddMethodInfillOption(CLI::App& command, const std::string& names, std::string& value,
                           const std::string& what, const std::string& group);
void ApplyMethodInfill(const std::string& value, const std::string& flag,
                       explain::ExplainOptions& options);

// --step, --substrate (alias --infill), --hide-percent and --pointing-tolerance of the metrics; the
// substrate name is parsed by mask::ParseInfill after parsing.
void AddMetricFlags(CLI::App& command, metrics::MetricOptions& options, std::string& infill);

void AddRiseFlags(CLI::App& command, explain::RiseOptions& rise, const std::string& group);

// The Opti-CAM and FIDO flags (--opticam-*, --fido-*), in two groups whose names start with
// `group_prefix` ("" for explain, "Prior: " for refine); the normalisation name is parsed by
// explain::ParseCamNormalization after parsing.
void AddOptimisingMethodFlags(CLI::App& command, explain::ExplainOptions& options,
                              std::string& opticam_normalization, const std::string& group_prefix);

// A check for options bound to unsigned integers (the seeds), which CLI11 would read "-1" into
// as 2^64 − 1: a negative value is refused with the option's name.
CLI::Validator NonNegative();

// The files a job wrote, comma-separated, for the command's closing line.
std::string OutputList(const std::vector<std::string>& outputs);

}  // namespace borex::cli
