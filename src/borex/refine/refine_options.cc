#include "borex/refine/refine_options.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <sstream>

#include "borex/core/enum_names.h"
#include "borex/core/error.h"
#include "borex/core/parse.h"

namespace borex::refine {

namespace {

const EnumNames<Algorithm> kAlgorithms{{Algorithm::kBorex, "borex"},
                                       {Algorithm::kMokuwe, "mokuwe"}};
const EnumNames<Aggregation> kAggregations{{Aggregation::kPointwise, "pointwise"},
                                           {Aggregation::kBox, "box"}};
const EnumNames<PriorMean> kPriorMeans{{PriorMean::kFixed, "fixed"},
                                       {PriorMean::kFitted, "fitted"}};
const EnumNames<PriorBasis> kPriorBases{{PriorBasis::kMaskAverage, "average"},
                                        {PriorBasis::kMaskMass, "mass"}};
const EnumNames<GpDomain> kGpDomains{
    {GpDomain::kAuto, "auto"}, {GpDomain::kMasks, "masks"}, {GpDomain::kPixels, "pixels"}};
const EnumNames<mask::SegmentForm> kSegmentForms{{mask::SegmentForm::kBlend, "blend"},
                                                 {mask::SegmentForm::kRaise, "raise"}};
const EnumNames<RiseObservations> kRiseObservations{{RiseObservations::kOff, "off"},
                                                    {RiseObservations::kRegions, "regions"},
                                                    {RiseObservations::kAll, "all"}};

// A setting that a form of the method does not have: whether it is asked for, what it is, and
// the flag that turns it off.
struct Part {
  bool present;
  const char *what, *flag;
};

// OptionError(option, HEAD + what + " (" + flag + ALSO + ")" + AFTER) for the first part asked
// for.
void RefuseParts(std::initializer_list<Part> parts, const std::string& option,
                 const std::string& head, const std::string& also, const std::string& after) {
  for (const Part& part : parts)
    if (part.present)
      throw OptionError(option, head + part.what + " (" + part.flag + also + ")" + after);
}

// What the pixel field does not have: the mask-space GP's per-point devices and Algorithm 1.
void CheckFieldParts(const RefineOptions& o, const std::string& domain) {
  RefuseParts({{o.algorithm != Algorithm::kBorex, "Algorithm 1", "--algorithm borex"},
               {o.prior_mean != PriorMean::kFitted, "fixed prior mean", "--prior-mean fitted"},
               {o.nonnegative_prior_coefficient, "bounded prior coefficient",
                "--no-nonnegative-prior-coefficient"},
               {o.fit_length_scale, "length-scale fit", "--no-fit-length-scale"},
               {o.hyperopt, "per-step length-scale fit", "no --hyperopt"},
               {o.jitter > 0, "jitter", "--jitter 0"}},
              "--gp-over", domain + " (the pixel field) has no ", "; or --gp-over masks", "");
}

}  // namespace

Algorithm ParseAlgorithm(const std::string& name) { return kAlgorithms.Parse(name, "--algorithm"); }
std::string AlgorithmName(Algorithm algorithm) { return kAlgorithms.Name(algorithm); }
Aggregation ParseAggregation(const std::string& name) {
  return kAggregations.Parse(name, "--aggregation");
}
std::string AggregationName(Aggregation aggregation) { return kAggregations.Name(aggregation); }
PriorMean ParsePriorMean(const std::string& name) {
  return kPriorMeans.Parse(name, "--prior-mean");
}
std::string PriorMeanName(PriorMean prior_mean) { return kPriorMeans.Name(prior_mean); }
PriorBasis ParsePriorBasis(const std::string& name) {
  return kPriorBases.Parse(name, "--prior-basis");
}
std::string PriorBasisName(PriorBasis basis) { return kPriorBases.Name(basis); }
GpDomain ParseGpDomain(const std::string& name) { return kGpDomains.Parse(name, "--gp-over"); }
std::string GpDomainName(GpDomain domain) { return kGpDomains.Name(domain); }
mask::SegmentForm ParseSegmentForm(const std::string& name) {
  return kSegmentForms.Parse(name, "--map-segments-form");
}
std::string SegmentFormName(mask::SegmentForm form) { return kSegmentForms.Name(form); }
RiseObservations ParseRiseObservations(const std::string& name) {
  return kRiseObservations.Parse(name, "--rise-observations");
}
std::string RiseObservationsName(RiseObservations use) { return kRiseObservations.Name(use); }

RefineOptions RefineOptions::Kriging() { return RefineOptions(); }

RefineOptions RefineOptions::Paper() {
  RefineOptions o;
  o.preset = "paper";
  o.prior_mean = PriorMean::kFixed;
  o.fit_signal_variance = false;
  o.fit_length_scale = false;
  o.infill = mask::Infill::kBlack;
  o.kappa = 10.0;
  o.aggregation = Aggregation::kPointwise;
  o.acquisition_batch = 1;
  o.gp_domain = GpDomain::kMasks;
  o.noise_variance = 0.01;
  o.prior_level_sets.clear();
  o.posterior_level_sets.clear();
  o.level_set_segments = 0;
  o.rise_observations = RiseObservations::kOff;
  o.fit_rise_observation_noise = false;
  o.fit_prior_coefficient_sd = false;
  o.average_hyperparameters = false;
  return o;
}

RefineOptions RefineOptions::Code() {
  RefineOptions o = Paper();
  o.preset = "code";
  o.stride = 1;
  o.aggregation = Aggregation::kBox;
  o.squash = 10;
  o.hyperopt = true;
  o.infill = mask::Infill::kMean;
  o.jitter = 1;
  return o;
}

RefineOptions RefineOptions::Mokuwe() {
  RefineOptions o = Paper().Algorithm1();
  o.preset = "mokuwe";
  return o;
}

RefineOptions RefineOptions::Algorithm1() const {
  RefineOptions o = *this;
  o.algorithm = Algorithm::kMokuwe;
  o.flip = false;
  o.weighted_average = false;
  o.use_prior = false;
  o.prior_mean = PriorMean::kFixed;
  o.fit_signal_variance = false;
  o.fit_length_scale = false;
  o.aggregation = Aggregation::kPointwise;  // with weighted_average false: the plain mean of μ
  o.gp_domain = GpDomain::kMasks;           // Algorithm 1 is the squares' GP
  return o;
}

RefineOptions RefineOptions::FromPreset(const std::string& name) {
  using Preset = RefineOptions (*)();
  static const EnumNames<Preset> kPresets{
      {&Kriging, "kriging"}, {&Paper, "paper"}, {&Code, "code"}, {&Mokuwe, "mokuwe"}};
  return kPresets.Parse(name, "--preset")();
}

std::vector<MaskSize> ParseMaskSizes(const std::string& list) {
  std::vector<MaskSize> sizes;
  std::stringstream stream(list);
  for (std::string item; std::getline(stream, item, ',');) {
    MaskSize size;
    std::string number = item;
    if (number.size() > 2 && number.compare(number.size() - 2, 2, "px") == 0) {
      size.pixels = true;
      number.resize(number.size() - 2);
    }
    const std::optional<double> value = ToNumber(number);
    size.value = value.value_or(0);
    if (!value || size.value <= 0)
      throw OptionError("--mask-sizes", "'" + item +
                                            "' is not a positive number (a fraction of "
                                            "the shorter side, or pixels such as 60px)");
    if (size.value > 1) size.pixels = true;
    sizes.push_back(size);
  }
  if (sizes.empty()) throw OptionError("--mask-sizes", "needs at least one size");
  return sizes;
}

std::string MaskSizesString(const std::vector<MaskSize>& sizes) {
  std::ostringstream out;
  for (size_t i = 0; i < sizes.size(); ++i)
    out << (i ? "," : "") << sizes[i].value << (sizes[i].pixels ? "px" : "");
  return out.str();
}

std::vector<double> RefineOptions::SidePixels(int image_rows, int image_cols) const {
  std::vector<double> sides;
  for (const MaskSize& size : mask_sizes)
    sides.push_back(std::max(1.0, std::round(size.SidePixels(std::min(image_rows, image_cols)))));
  return sides;
}

// The code's length scales (12, 12) px and 10 half-width units (= 20 px of side) at 224 x 224;
// twice those for a clip's squares' GP, which measured better on validation clips (docs/results.md,
// RQ3).
double RefineOptions::PositionLengthScale(int image_rows, int image_cols, int clip_frames) const {
  // The pixel field's is a map's smoothness within a frame: a clip's the same as an image's.
  const double scale = clip_frames > 1 && Domain(clip_frames) == GpDomain::kMasks ? 2.0 : 1.0;
  return length_scale_position > 0 ? length_scale_position
                                   : scale * 12.0 * std::min(image_rows, image_cols) / 224.0;
}

double RefineOptions::SizeLengthScale(int image_rows, int image_cols, int clip_frames) const {
  const double scale = clip_frames > 1 ? 2.0 : 1.0;
  return length_scale_size > 0 ? length_scale_size
                               : scale * 20.0 * std::min(image_rows, image_cols) / 224.0;
}

double RefineOptions::FrameLengthScale(int clip_frames) const {
  return length_scale_frame > 0 ? length_scale_frame : clip_frames / 2.0;
}

double RefineOptions::DepthLengthScale(int clip_frames) const {
  return length_scale_depth > 0 ? length_scale_depth : clip_frames / 2.0;
}

std::vector<int> RefineOptions::DepthFrames(int clip_frames) const {
  if (clip_frames <= 1) return {1};
  std::vector<int> depths = mask_frames;
  if (depths.empty()) depths = {std::max(1, clip_frames / 2), clip_frames};
  std::sort(depths.begin(), depths.end());
  depths.erase(std::unique(depths.begin(), depths.end()), depths.end());
  return depths;
}

std::pair<Eigen::VectorXd, Eigen::VectorXd> RefineOptions::LengthScaleBounds(
    int image_rows, int image_cols, int clip_frames) const {
  const double scale = std::min(image_rows, image_cols) / 224.0;
  if (clip_frames <= 1) {
    const Eigen::Vector3d units(1, 1, 2);
    return {1.0 * scale * units, 20.0 * scale * units};
  }
  Eigen::VectorXd lower(5), upper(5);
  lower << scale, scale, 0.5, 2 * scale, 0.5;
  upper << 20 * scale, 20 * scale, clip_frames, 40 * scale, clip_frames;
  return {lower, upper};
}

double GpBytes(long candidates, int dims, int iterations, int basis_columns) {
  const int mean_function = basis_columns > 0 ? 2 * basis_columns + 2 : 0;
  return 4.0 * static_cast<double>(candidates) * (iterations + dims + 3 + mean_function);
}

std::vector<int> ParseMaskFrames(const std::string& list) {
  std::vector<int> frames;
  std::stringstream stream(list);
  for (std::string item; std::getline(stream, item, ',');) {
    const std::optional<long> value = ToInteger(item);
    if (!value || *value <= 0 || *value > 1000000)
      throw OptionError("--mask-frames", "'" + item + "' is not a positive number of frames");
    frames.push_back(static_cast<int>(*value));
  }
  if (frames.empty()) throw OptionError("--mask-frames", "needs at least one depth");
  return frames;
}

void RefineOptions::CheckSettings() const {
  if (algorithm == Algorithm::kMokuwe) {
    // Algorithm 1 has none of Algorithm 2's parts: say which one was asked for, rather than
    // run something that is neither.
    RefuseParts({{flip, "flip", "--no-flip"},
                 {weighted_average, "1/r^2 average", "--simple-average"},
                 {use_prior, "prior", "--no-prior"},
                 {prior_mean == PriorMean::kFitted, "fitted prior mean", "--prior-mean fixed"},
                 {fit_signal_variance, "signal-variance fit", "--no-fit-signal-variance"},
                 {fit_length_scale, "length-scale fit", "--no-fit-length-scale"},
                 {aggregation == Aggregation::kBox, "box aggregation", "--aggregation pointwise"}},
                "--algorithm", "mokuwe (Algorithm 1) has no ", "",
                ": start from RefineOptions::Mokuwe() or Algorithm1() (--preset mokuwe)");
  }
  if (iterations <= 0)
    throw OptionError("--iterations", "must be at least 1, got " + std::to_string(iterations));
  if (mask_sizes.empty()) throw OptionError("--mask-sizes", "needs at least one size");
  if (stride <= 0) throw OptionError("--stride", "must be at least 1");
  if (length_scale_position < 0 || length_scale_size < 0)
    throw OptionError("--length-scale", "must be positive (or 0 for the default)");
  if (!(noise_variance >= 0) || !std::isfinite(noise_variance))
    throw OptionError("--noise", "must be positive (or 0 for the GP's default)");
  if (!(kappa >= 0) || !std::isfinite(kappa)) throw OptionError("--kappa", "must be >= 0");
  if (!(squash >= 0)) throw OptionError("--squash", "must be >= 0 (0 = off)");
  if (!(jitter >= 0)) throw OptionError("--jitter", "must be >= 0 (0 = off)");
  if (!(hyperopt_tolerance >= 0) || !std::isfinite(hyperopt_tolerance))
    throw OptionError("--hyperopt-tolerance", "must be >= 0 and finite (0 = take every fit)");
  if (acquisition_batch < 1)
    throw OptionError("--acquisition-batch",
                      "must be at least 1, got " + std::to_string(acquisition_batch));
  if (!(prior_mean_abs > 0)) throw OptionError("--prior-scale", "must be positive");
  if (!(prior_coefficient_sd > 0) || !std::isfinite(prior_coefficient_sd))
    throw OptionError("--prior-coefficient-sd", "must be positive and finite");
  if (!(prior_offset_sd > 0) || !std::isfinite(prior_offset_sd))
    throw OptionError("prior_offset_sd", "the offset's prior std must be positive and finite");
  if (!(max_gp_megabytes > 0)) throw OptionError("--max-gp-memory", "must be positive");
  if (frame_step <= 0) throw OptionError("--mask-frame-step", "must be at least 1");
  if (length_scale_frame < 0 || length_scale_depth < 0)
    throw OptionError("--length-scale-frames", "must be positive (or 0 for the default)");
  for (const auto& [fractions, option] :
       {std::pair{&prior_level_sets, "--prior-level-sets"},
        std::pair{&posterior_level_sets, "--posterior-level-sets"}})
    for (double fraction : *fractions)
      if (!(fraction > 0 && fraction < 1))
        throw OptionError(option,
                          "each fraction must lie in (0, 1), got " + std::to_string(fraction));
  if (!(level_set_segments >= 0) || !std::isfinite(level_set_segments))
    throw OptionError("--level-set-segments", "must be a positive scale, or 0 for none");
  if (!(map_segment_weight >= 0 && map_segment_weight <= 1))
    throw OptionError("--map-segments", "must lie in [0, 1]");
  for (double floor : deviation_floors)
    if (!(floor > 0 && floor <= 1))
      throw OptionError("--deviation-floors",
                        "each floor must lie in (0, 1], got " + std::to_string(floor));
  if (rise_observation_limit < 0)
    throw OptionError("--rise-observation-limit", "must be a count of masks, or 0 for all");
  if (map_segment_weight > 0 && level_set_segments == 0)
    throw OptionError("--map-segments", "needs the image's segments (--level-set-segments K > 0)");
  if (gp_domain == GpDomain::kMasks && fit_noise_variance)
    throw OptionError("--fit-noise-variance", "needs the pixel field (--gp-over pixels or auto)");
  if (gp_domain == GpDomain::kPixels) CheckFieldParts(*this, "pixels");
}

void RefineOptions::Check(int image_rows, int image_cols, int clip_frames) const {
  CheckSettings();
  // Square centres lie at stride / 2, stride / 2 + stride, ...: at least one on each axis.
  if (stride / 2 >= std::min(image_rows, image_cols))
    throw OptionError("--stride", std::to_string(stride) + " px leaves no square centre in the " +
                                      std::to_string(image_cols) + "x" +
                                      std::to_string(image_rows) + " working image: at most " +
                                      std::to_string(2 * std::min(image_rows, image_cols) - 1));
  for (const MaskSize& size : mask_sizes) {
    const double side = size.SidePixels(std::min(image_rows, image_cols));
    if (side > std::min(image_rows, image_cols))
      throw OptionError("--mask-sizes",
                        MaskSizesString({size}) + " gives a " + std::to_string(std::lround(side)) +
                            " px square, larger than the " + std::to_string(image_cols) + "x" +
                            std::to_string(image_rows) + " working image");
  }
  if (gp_domain == GpDomain::kAuto && Domain(clip_frames) == GpDomain::kPixels)
    CheckFieldParts(*this, "auto");
  if (Domain(clip_frames) != GpDomain::kPixels && fit_noise_variance)
    throw OptionError("--fit-noise-variance",
                      "needs the pixel field (for a clip, --gp-over pixels)");
  if (clip_frames > 1)
    for (int depth : mask_frames)
      if (depth <= 0 || depth > clip_frames)
        throw OptionError("--mask-frames", std::to_string(depth) + " frames is not in 1.." +
                                               std::to_string(clip_frames) +
                                               " (the clip's frames)");
}

GpDomain RefineOptions::Domain(int clip_frames) const {
  if (gp_domain != GpDomain::kAuto) return gp_domain;
  return clip_frames > 1 ? GpDomain::kMasks : GpDomain::kPixels;
}

int RefineOptions::RiseSamplesRead(int clip_frames) const {
  // An image's only: the gate counts an image's regions, and a clip's RISE masks are not read.
  if (!use_prior || rise_observations == RiseObservations::kOff ||
      Domain(clip_frames) != GpDomain::kPixels || clip_frames > 1)
    return 0;
  return rise_observation_limit == 0 ? std::numeric_limits<int>::max() : rise_observation_limit;
}

double RefineOptions::NoiseVariance(int clip_frames) const {
  if (noise_variance > 0) return noise_variance;
  return Domain(clip_frames) == GpDomain::kPixels ? 0.3 : 0.01;
}

nlohmann::json RefineOptions::ToJson(bool video) const {
  // The GP's domain, noise and level sets as they act (auto and 0 resolved, no level sets over
  // masks): a batch's settings then match those of a directory written before they existed.
  const int frames = video ? 2 : 1;
  const GpDomain domain = Domain(frames);
  nlohmann::json json = {
      {"preset", preset},
      {"algorithm", AlgorithmName(algorithm)},
      {"iterations", iterations},
      {"mask_sizes", MaskSizesString(mask_sizes)},
      {"stride", stride},
      {"kernel", gp::MaternName(kernel)},
      {"length_scale_position", length_scale_position},
      {"length_scale_size", length_scale_size},
      {"noise_variance", NoiseVariance(frames)},
      {"signal_variance", signal_variance},
      {"kappa", kappa},
      {"score", model::ScoreKindName(score)},
      {"prior_mean_abs", prior_mean_abs},
      {"prior_mean", PriorMeanName(prior_mean)},
      {"prior_basis", PriorBasisName(prior_basis)},
      {"prior_coefficient_sd", prior_coefficient_sd},
      {"prior_offset_sd", prior_offset_sd},
      {"nonnegative_prior_coefficient", nonnegative_prior_coefficient},
      {"fit_signal_variance", fit_signal_variance},
      {"fit_length_scale", fit_length_scale},
      {"flip", flip},
      {"weighted_average", weighted_average},
      {"use_prior", use_prior},
      {"aggregation", AggregationName(aggregation)},
      {"squash", squash},
      {"hyperopt", hyperopt},
      {"hyperopt_tolerance", hyperopt_tolerance},
      {"jitter", jitter},
      {"infill", mask::InfillName(infill)},
      {"acquisition_batch", acquisition_batch},
      {"gp_over", GpDomainName(domain)},
      {"prior_level_sets", domain == GpDomain::kPixels ? prior_level_sets : std::vector<double>{}},
      {"posterior_level_sets",
       domain == GpDomain::kPixels ? posterior_level_sets : std::vector<double>{}},
      {"level_set_segments", domain == GpDomain::kPixels ? level_set_segments : 0.0},
      {"map_segment_weight", domain == GpDomain::kPixels ? map_segment_weight : 0.0},
      // "none" where the map is not moved (the masks' GP, or W = 0), whatever the form
      {"map_segment_form", domain == GpDomain::kPixels && map_segment_weight > 0
                               ? SegmentFormName(map_segment_form)
                               : "none"},
      // off where no RISE mask can be read (the masks' GP, or a clip)
      {"rise_observations",
       RiseObservationsName(domain == GpDomain::kPixels && !video ? rise_observations
                                                                  : RiseObservations::kOff)},
      // 0 (all, the behaviour before the limit) where no mask is read
      {"rise_observation_limit",
       domain == GpDomain::kPixels && !video && rise_observations != RiseObservations::kOff
           ? rise_observation_limit
           : 0},
      {"fit_noise_variance", fit_noise_variance},
      // false where no RISE mask is read, as a directory written before it existed reads
      {"fit_rise_observation_noise", domain == GpDomain::kPixels && !video &&
                                         rise_observations != RiseObservations::kOff &&
                                         fit_rise_observation_noise},
      // false where inactive (over masks), as a directory written before they existed reads
      {"fit_prior_coefficient_sd", domain == GpDomain::kPixels && fit_prior_coefficient_sd},
      {"average_hyperparameters", domain == GpDomain::kPixels && average_hyperparameters},
      {"deviation_floors", domain == GpDomain::kPixels ? deviation_floors : std::vector<double>{}},
      {"seed", seed}};
  if (video) {
    json["mask_frames"] = mask_frames;
    json["frame_step"] = frame_step;
    json["length_scale_frame"] = length_scale_frame;
    json["length_scale_depth"] = length_scale_depth;
  }
  return json;
}

}  // namespace borex::refine
