#include "borex/refine/refine_options.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "borex/core/error.h"

namespace borex::refine {

namespace {

// One table per two-valued enum: its names in enum order, and the flag named in errors.
template <typename Enum>
struct EnumNames {
  const char* option;
  const char* names[2];
  Enum values[2];

  Enum Parse(const std::string& name) const {
    for (int i = 0; i < 2; ++i)
      if (name == names[i]) return values[i];
    throw OptionError(option, "'" + name + "' is not one of " + names[0] + ", " + names[1]);
  }
  std::string Name(Enum value) const { return value == values[0] ? names[0] : names[1]; }
};

constexpr EnumNames<Algorithm> kAlgorithms{
    "--algorithm", {"borex", "mokuwe"}, {Algorithm::kBorex, Algorithm::kMokuwe}};
constexpr EnumNames<Aggregation> kAggregations{
    "--aggregation", {"pointwise", "box"}, {Aggregation::kPointwise, Aggregation::kBox}};
constexpr EnumNames<PriorMean> kPriorMeans{
    "--prior-mean", {"fixed", "fitted"}, {PriorMean::kFixed, PriorMean::kFitted}};
constexpr EnumNames<PriorBasis> kPriorBases{
    "--prior-basis", {"average", "mass"}, {PriorBasis::kMaskAverage, PriorBasis::kMaskMass}};

}  // namespace

Algorithm ParseAlgorithm(const std::string& name) { return kAlgorithms.Parse(name); }
std::string AlgorithmName(Algorithm algorithm) { return kAlgorithms.Name(algorithm); }
Aggregation ParseAggregation(const std::string& name) { return kAggregations.Parse(name); }
std::string AggregationName(Aggregation aggregation) { return kAggregations.Name(aggregation); }
PriorMean ParsePriorMean(const std::string& name) { return kPriorMeans.Parse(name); }
std::string PriorMeanName(PriorMean prior_mean) { return kPriorMeans.Name(prior_mean); }
PriorBasis ParsePriorBasis(const std::string& name) { return kPriorBases.Parse(name); }
std::string PriorBasisName(PriorBasis basis) { return kPriorBases.Name(basis); }

RefineOptions RefineOptions::Kriging() { return RefineOptions(); }

RefineOptions RefineOptions::Paper() {
  RefineOptions o;
  o.preset = "paper";
  o.prior_mean = PriorMean::kFixed;
  o.fit_signal_variance = false;
  o.kappa = 10.0;
  o.aggregation = Aggregation::kPointwise;
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

RefineOptions RefineOptions::FromPreset(const std::string& name) {
  if (name == "kriging") return Kriging();
  if (name == "paper") return Paper();
  if (name == "code") return Code();
  throw OptionError("--preset", "'" + name + "' is not one of kriging, paper, code");
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
    size_t used = 0;
    try {
      size.value = std::stod(number, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != number.size() || !std::isfinite(size.value) || size.value <= 0)
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

void RefineOptions::ApplyAlgorithm() {
  if (algorithm == Algorithm::kMokuwe) {
    flip = false;
    weighted_average = false;
    use_prior = false;
    prior_mean = PriorMean::kFixed;
    fit_signal_variance = false;
    aggregation = Aggregation::kPointwise;  // with weighted_average false: the plain mean of μ
  }
}

std::vector<double> RefineOptions::SidePixels(int image_rows, int image_cols) const {
  std::vector<double> sides;
  for (const MaskSize& size : mask_sizes)
    sides.push_back(std::max(1.0, std::round(size.SidePixels(std::min(image_rows, image_cols)))));
  return sides;
}

// The code's length scales (12, 12) px and 10 half-width units (= 20 px of side) at 224 x 224;
// twice those for a clip, which measured better on validation clips (docs/results.md, RQ3).
double RefineOptions::PositionLengthScale(int image_rows, int image_cols, int clip_frames) const {
  const double scale = clip_frames > 1 ? 2.0 : 1.0;
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

double GpBytes(long candidates, int dims, int iterations) {
  return 4.0 * static_cast<double>(candidates) * (iterations + dims + 3);
}

std::vector<int> ParseMaskFrames(const std::string& list) {
  std::vector<int> frames;
  std::stringstream stream(list);
  for (std::string item; std::getline(stream, item, ',');) {
    size_t used = 0;
    int value = 0;
    try {
      value = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || value <= 0)
      throw OptionError("--mask-frames", "'" + item + "' is not a positive number of frames");
    frames.push_back(value);
  }
  if (frames.empty()) throw OptionError("--mask-frames", "needs at least one depth");
  return frames;
}

void RefineOptions::Check(int image_rows, int image_cols, int clip_frames) const {
  if (iterations <= 0)
    throw OptionError("--iterations", "must be at least 1, got " + std::to_string(iterations));
  if (mask_sizes.empty()) throw OptionError("--mask-sizes", "needs at least one size");
  for (const MaskSize& size : mask_sizes) {
    const double side = size.SidePixels(std::min(image_rows, image_cols));
    if (side > std::min(image_rows, image_cols))
      throw OptionError("--mask-sizes",
                        MaskSizesString({size}) + " gives a " + std::to_string(std::lround(side)) +
                            " px square, larger than the " + std::to_string(image_cols) + "x" +
                            std::to_string(image_rows) + " working image");
  }
  if (stride <= 0) throw OptionError("--stride", "must be at least 1");
  if (length_scale_position < 0 || length_scale_size < 0)
    throw OptionError("--length-scale", "must be positive (or 0 for the default)");
  if (!(noise_variance > 0)) throw OptionError("--noise", "must be positive");
  if (!(kappa >= 0) || !std::isfinite(kappa)) throw OptionError("--kappa", "must be >= 0");
  if (!(squash >= 0)) throw OptionError("--squash", "must be >= 0 (0 = off)");
  if (!(jitter >= 0)) throw OptionError("--jitter", "must be >= 0 (0 = off)");
  if (!(prior_mean_abs > 0)) throw OptionError("--prior-scale", "must be positive");
  if (!(prior_coefficient_sd > 0 && prior_offset_sd > 0) || !std::isfinite(prior_coefficient_sd) ||
      !std::isfinite(prior_offset_sd))
    throw OptionError("--prior-mean", "the coefficients' prior std must be positive");
  if (!(max_gp_megabytes > 0)) throw OptionError("--max-gp-memory", "must be positive");
  if (clip_frames > 1) {
    for (int depth : mask_frames)
      if (depth <= 0 || depth > clip_frames)
        throw OptionError("--mask-frames", std::to_string(depth) + " frames is not in 1.." +
                                               std::to_string(clip_frames) +
                                               " (the clip's frames)");
    if (frame_step <= 0) throw OptionError("--mask-frame-step", "must be at least 1");
    if (length_scale_frame < 0 || length_scale_depth < 0)
      throw OptionError("--length-scale-frames", "must be positive (or 0 for the default)");
  }
}

nlohmann::json RefineOptions::ToJson(bool video) const {
  nlohmann::json json = {{"preset", preset},
                         {"algorithm", AlgorithmName(algorithm)},
                         {"iterations", iterations},
                         {"mask_sizes", MaskSizesString(mask_sizes)},
                         {"stride", stride},
                         {"kernel", gp::MaternName(kernel)},
                         {"length_scale_position", length_scale_position},
                         {"length_scale_size", length_scale_size},
                         {"noise_variance", noise_variance},
                         {"signal_variance", signal_variance},
                         {"kappa", kappa},
                         {"score", model::ScoreKindName(score)},
                         {"prior_mean_abs", prior_mean_abs},
                         {"prior_mean", PriorMeanName(prior_mean)},
                         {"prior_basis", PriorBasisName(prior_basis)},
                         {"prior_coefficient_sd", prior_coefficient_sd},
                         {"prior_offset_sd", prior_offset_sd},
                         {"fit_signal_variance", fit_signal_variance},
                         {"flip", flip},
                         {"weighted_average", weighted_average},
                         {"use_prior", use_prior},
                         {"aggregation", AggregationName(aggregation)},
                         {"squash", squash},
                         {"hyperopt", hyperopt},
                         {"jitter", jitter},
                         {"infill", mask::InfillName(infill)},
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
