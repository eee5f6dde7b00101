// Options of BOREx (Kikuchi et al., ACCV 2022, Algorithm 2) and of its baseline, Algorithm 1
// (Mokuwe et al.). The defaults are the kriging preset, chosen on the validation split
// (docs/algorithm.md); each field notes the paper's value and, where the paper is silent, that of
// the authors' Python code (SoftwareFoundationGroupAtKyotoU/BOREx, exec_borex.py): Paper() and
// Code() below.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "borex/gp/kernel.h"
#include "borex/mask/infill.h"
#include "borex/mask/segments.h"
#include "borex/model/classifier.h"

namespace borex::refine {

// Algorithm 1 observes s = M(i) − M(i⊙m), starts from μ = 0 and averages plainly over sizes;
// Algorithm 2 (BOREx) observes s = M(i⊙m̄) − M(i⊙m), starts from the prior and weights by 1/r².
enum class Algorithm { kBorex, kMokuwe };
Algorithm ParseAlgorithm(const std::string& name);  // "borex" | "mokuwe"
std::string AlgorithmName(Algorithm algorithm);

// How μ(λ, r) over sizes becomes one map.
//  kPointwise: the paper's i_sal(λ) = (1/p) Σ_r μ(λ, r)/r² (Algorithm 2, line 12).
//  kBox: the authors' code (normalize=True): μ(·, r) averaged over each mask's own box
//        (count_include_pad=False), then the plain mean over sizes; replaces the 1/r² weights.
enum class Aggregation { kPointwise, kBox };
Aggregation ParseAggregation(const std::string& name);  // "pointwise" | "box"
std::string AggregationName(Aggregation aggregation);

// How the prior enters the GP's mean.
//  kFixed: the paper's μ(λ, r) = i0(λ) + GP residual, i0 scaled so that mean |i0| = prior_mean_abs.
//  kFitted: universal kriging (R&W §2.7): m(λ, r) = a·ī0(λ, r) + b, where ī0(λ, r) is the scaled
//           prior averaged over the mask's square (what the mask hides), with a ~ N(1,
//           prior_coefficient_sd²) and b ~ N(0, prior_offset_sd²) estimated together with the
//           GP from the observations. A prior that agrees with them keeps its weight; one that
//           does not loses it. Without a prior, m = b (ordinary kriging).
enum class PriorMean { kFixed, kFitted };
PriorMean ParsePriorMean(const std::string& name);  // "fixed" | "fitted"
std::string PriorMeanName(PriorMean prior_mean);

// The fitted mean's regressor ī0(λ, r) for a mask.
//  kMaskAverage: the mean of i0 over the mask's square (a mask over uniform saliency scores the
//                same at every size).
//  kMaskMass: the sum of i0 over the square in units of the smallest square's area (a mask
//             scores by how much of the prior's mass it covers, as when it hides a whole object).
enum class PriorBasis { kMaskAverage, kMaskMass };
PriorBasis ParsePriorBasis(const std::string& name);  // "average" | "mass"
std::string PriorBasisName(PriorBasis basis);

// What the GP is over.
//  kAuto: kPixels for an image, kMasks for a clip (the field is images only); the default.
//  kMasks: the paper's: a square's observation as a function of its (row, col, side), the map an
//          aggregation of the posterior mean over the sides.
//  kPixels: a saliency field over the image's cells (gp::FieldGp), each mask's observation a
//           linear functional of it (the additive model of RISE), so that masks of any shape
//           (the prior's level sets, prior_level_sets) observe one posterior, whose mean is the
//           map. Images only; the prior enters as the fitted mean a·i0 + b.
enum class GpDomain { kAuto, kMasks, kPixels };
GpDomain ParseGpDomain(const std::string& name);  // "auto" | "masks" | "pixels"
std::string GpDomainName(GpDomain domain);
mask::SegmentForm ParseSegmentForm(const std::string& name);  // "blend" | "raise"
std::string SegmentFormName(mask::SegmentForm form);

// Whether the pixel field also conditions on the RISE prior's own masks and scores (the samples
// behind the prior, explain::RiseSamples), in the form without the flip, y = M(i) − M(i⊙m).
//  kOff: never.
//  kRegions: where the prior's top 5% of pixels falls into two or more 8-connected regions that
//            each hold a tenth of them (SalientRegions): where the prior marks several places,
//            which RISE's average of single masks cannot weigh against each other (hiding one of
//            several items barely moves the score), while the masks that hide several at once
//            can. Where it marks one, the masks add little to their own average, and on the
//            second classifier they cost single-item scenes (docs/algorithm.md, thirteenth round).
//  kAll: for every image, the gate left out: every mask's score is evidence the prior already
//        paid for (docs/algorithm.md, twenty-second round).
enum class RiseObservations { kOff, kRegions, kAll };
RiseObservations ParseRiseObservations(const std::string& name);  // "off" | "regions" | "all"
std::string RiseObservationsName(RiseObservations use);

// A mask side: a fraction of the shorter side of the working image (value <= 1) or pixels.
struct MaskSize {
  double value = 0;
  bool pixels = false;
  double SidePixels(int shorter_side) const { return pixels ? value : value * shorter_side; }
};
// Parses "0.27,0.4,60px,90": values <= 1 are fractions, larger ones or a "px" suffix pixels.
std::vector<MaskSize> ParseMaskSizes(const std::string& list);
std::string MaskSizesString(const std::vector<MaskSize>& sizes);

// Defaults: the preset "kriging" (docs/algorithm.md says why each differs from the paper, with
// its validation numbers). Paper() and Code() keep the published method and the authors' code
// reachable exactly.
struct RefineOptions {
  // The preset these options started from ("kriging", "paper", "code"); recorded in the JSON
  // summary and the trace, changes nothing by itself.
  std::string preset = "kriging";
  Algorithm algorithm = Algorithm::kBorex;
  int iterations = 50;  // N, the number of observations (paper and code: 50)
  // Mask sides L. Default: the code's boxes of 60, 90, 120, 150 px at 224 x 224.
  std::vector<MaskSize> mask_sizes = {{60.0 / 224}, {90.0 / 224}, {120.0 / 224}, {150.0 / 224}};
  // Candidate centres every `stride` pixels (the code uses every pixel: stride 1).
  int stride = 2;
  gp::MaternNu kernel = gp::MaternNu::kThreeHalves;  // the code's Matérn ν = 3/2
  // Length scales in working-image pixels for (row, col) and for the mask side; 0: the code's
  // (12, 12) and 10 half-width = 20 side pixels at 224, scaled to the shorter side.
  double length_scale_position = 0;
  double length_scale_size = 0;
  // σn²; 0: the domain's: 0.3 over pixels (the additive model's misfit; docs/algorithm.md,
  // seventh round), 0.01 over masks (the code's alpha).
  double noise_variance = 0;
  double signal_variance = 1.0;  // the code's (fixed) kernel amplitude
  double kappa = 10.0;           // UCB exploration weight: u = μ + κσ (the code's ratio = 10)
  model::ScoreKind score = model::ScoreKind::kProbability;  // paper and code: probabilities
  double prior_mean_abs = 0.1;  // prior scaled so mean |i0| = this (the code's magnification)
  PriorMean prior_mean = PriorMean::kFitted;  // paper: kFixed
  PriorBasis prior_basis = PriorBasis::kMaskAverage;
  double prior_coefficient_sd = 10.0;  // kFitted: a's prior std (a = 10: mean |a·i0| = 1)
  double prior_offset_sd = 1.0;        // kFitted: b's prior std (observations lie in [−1, 1])
  // kFitted: keep a ≥ 0. A prior claims that its high values matter; the observations can
  // confirm it (a > 0) or void it (a = 0), while a < 0 puts the prior's inverse into the map. It
  // arises when the model barely sees the class (its observations are noise around 0). Off: on
  // the test split it did not beat the unbounded a image by image (docs/results.md, sixth round).
  bool nonnegative_prior_coefficient = false;
  // The final map's GP signal variance σf² by maximum marginal likelihood (a grid of 10^(k/4),
  // k = −16..4, with σn² fixed) instead of signal_variance; the search itself keeps
  // signal_variance. Paper and code: off.
  bool fit_signal_variance = true;
  // The final map's length scales: the search's times the factor among 2^(k/2), k = −2..4, of
  // maximum marginal likelihood (jointly with σf² when fit_signal_variance). Paper and code: off.
  bool fit_length_scale = false;
  // Default: the pixel field for an image (docs/algorithm.md, seventh round), the squares'
  // (row, col, n, side, t) for a clip (its field, kPixels, lost Grad-CAM++'s insertion to them:
  // twenty-sixth round). Paper and code: masks.
  GpDomain gp_domain = GpDomain::kAuto;
  // kPixels: the final map's σn² by maximum marginal likelihood too (jointly with σf², over
  // 10^(k/4), k = −8..0): under the additive model the residual is the model's misfit (a
  // probability saturates when several items show), not measurement noise, and its size varies
  // from image to image. The search keeps noise_variance.
  bool fit_noise_variance = false;
  // kPixels, kFitted: the final map's prior_coefficient_sd among 10^(k/2), k = 0..4 (1 .. 100)
  // by marginal likelihood too, jointly with σf², so that each image's evidence says how far a
  // may stray from 1; the search keeps prior_coefficient_sd (docs/algorithm.md, twentieth and
  // twenty-first rounds). Inactive over masks. Paper and code: off.
  bool fit_prior_coefficient_sd = true;
  // kPixels: the final map averaged over the grid points of the fits above, each point's
  // posterior mean weighted by its marginal likelihood (Bayesian model averaging, a uniform prior
  // over the grid), instead of the most likely point's: where the evidence cannot tell the points
  // apart the map does not flip between them (docs/algorithm.md, twenty-first round). Inactive
  // over masks. Paper and code: off.
  bool average_hyperparameters = true;
  // kPixels with a prior: the final map's fits also under a deviation whose prior std follows the
  // prior, d(x)² = c + (1 − c)·q(x) for each floor c here (q: the prior's rank quantile over the
  // cells), besides the stationary kernel (c = 1): where the prior puts little mass the deviation
  // from a·i0 is smaller a priori. Chosen or averaged with the other fits by marginal likelihood.
  // Empty: the stationary kernel only (docs/algorithm.md, twenty-fourth round).
  std::vector<double> deviation_floors;
  // The field's masks besides the squares, the prior's level sets: for each q, its top fraction
  // q of pixels hidden (and, with the flip, only those kept). They test the prior's ranking
  // itself, and hide every item the prior marks at once. Empty: squares only. The mask-space GP
  // has squares only and does not use them.
  std::vector<double> prior_level_sets = {0.05, 0.1, 0.2, 0.4};
  // The field's masks from the observations: once new observations have arrived (each round of
  // acquisition_batch), the posterior mean's top fractions of pixels (hidden, and with the flip
  // only kept), which test the refined map's own ranking as the prior's sets test the prior's.
  // Empty: none. Default since the ninth round (docs/algorithm.md), with level_set_segments.
  std::vector<double> posterior_level_sets = {0.05, 0.1, 0.2, 0.4};
  // Felzenszwalb's k of the image's segments (mask/segments.h) that the field's level sets are
  // made of: whole segments ranked by the map's mean over them, so that a set follows the image's
  // edges rather than the smooth map's contours: an observation then tests whole objects, where a
  // set of pixels cuts one at the prior's contour. 0: level sets of pixels. k = 300 is the
  // segmentation's usual default (OpenCV's); chosen on validation among 100, 300 and 1000.
  double level_set_segments = 300;
  // The field's final map moved towards its own mean over each of those segments by this weight
  // w (mask::SegmentBlend, in map_segment_form), so that the map's ranking takes an object more
  // nearly whole where the image's edges bound it. 0: the posterior mean as it is. Needs
  // level_set_segments > 0. Off: in the eleventh round (docs/algorithm.md) both forms traded
  // deletion for insertion and F-measure; raise, which lifts an object's weaker pixels towards its
  // mean and leaves the rest of the map, its maximum included, as it was, lost less of it.
  double map_segment_weight = 0;
  mask::SegmentForm map_segment_form = mask::SegmentForm::kRaise;
  // The pixel field's use of a RISE prior's samples, when the caller gives them (Refiner's
  // `rise_samples`; refine and batch do for a computed RISE or PN-RISE prior): observations at no
  // model call, which the prior already paid for. Default since the thirteenth round; paper and
  // code: off.
  RiseObservations rise_observations = RiseObservations::kRegions;
  // The most of those samples the field reads, the first drawn (0: all). Each is one more
  // observation, and the field's cost grows with their square: 100, the masks of the default
  // prior the setting was chosen with; a larger prior's other masks still shape i0.
  int rise_observation_limit = 100;
  // The final map's noise variance of those samples' observations: σn² times the factor among
  // 10^(k/2), k = −4..4, by marginal likelihood with the other hyperparameters (averaged with
  // average_hyperparameters). σn² is the flips' misfit of the additive model; a RISE mask (70% of
  // the image hidden, no flip) may fit it better or worse, and each image's evidence says how far
  // to trust them. The search reads them at σn². Paper and code: off (no samples are read).
  bool fit_rise_observation_noise = false;
  // The paper's ablations (Table 2); Algorithm 1 (mokuwe) has all three off.
  bool flip = true;              // observe M(i⊙m̄) − M(i⊙m) (false: M(i) − M(i⊙m))
  bool weighted_average = true;  // 1/r² weights (false: plain mean over sizes)
  bool use_prior = true;         // μ starts at i0 (false: at 0)
  Aggregation aggregation = Aggregation::kBox;  // paper: kPointwise
  // The code's squashing s ← 2(σ(g·s) − 0.5) = tanh(g·s/2); 0 = off (paper). The code's
  // experiment script uses g = 10.
  double squash = 0;
  bool hyperopt = false;  // re-fit length scales by maximum marginal likelihood every step (code)
  // --hyperopt's acceptance tolerance δ in nats: after each fit the current length scales are
  // kept unless the fitted ones raise the log marginal likelihood of the current data by more
  // than δ, which spares the O(n²·|C|) rebuild of the candidates' cross-covariances. δ > 0 is an
  // approximation, not the authors' method: the scales kept are up to δ nats short of the
  // optimum found. 0: take every fit (the code, and the same scales at every step as a refit
  // every step). Either way a fit that returns the current scales bit for bit (e.g. held at a
  // bound) costs no rebuild, exactly (CandidateGp::SetKernel).
  double hyperopt_tolerance = 0;
  // Std (pixels) of the Gaussian jitter added to each chosen (row, col, side) before it enters
  // the GP data; the mask itself is applied at the chosen point. 0 = off (paper); code: 1.
  double jitter = 0;
  // What a mask's hidden pixels become in the observations: the model's mean colour, an input
  // of zero after its normalisation (the authors' code; docs/algorithm.md, second round: on
  // validation it was the one change that left no cell worse than the prior). Paper: black.
  mask::Infill infill = mask::Infill::kMean;
  uint64_t seed = 0;
  // Observations chosen per round (GP-BUCB, Desautels et al. 2014): Q UCB maxima, each added to
  // the GP as a pending point (the variance updated exactly, the mean kept) before the next is
  // chosen, then one forward pass of their masked images. 1: one observation per model call, as
  // the paper and the code (bit for bit the sequential search). `iterations` still counts
  // observations. Default 4 (docs/results.md, issue 12): on validation, Q <= 8 was within noise
  // of Q = 1 for both priors and Q = 16 was not; 4 keeps 13 rounds of 50 observations and fills
  // a pass with 8 images. Paper and code: 1.
  int acquisition_batch = 4;

  // Video (paper §3.2): cuboid masks of side r in t consecutive frames from frame n, and a GP
  // over (row, col, n, r, t). The paper gives neither its depth set T nor the temporal length
  // scales; these defaults are ours, relative to the clip's T frames, chosen on validation
  // clips (docs/results.md, RQ3): the depths were the best of {T/4, T/2}, {T/2, T} and
  // {T/4, T/2, T}; then the length scales of a clip (twice the image's in space, T/2 in time)
  // beat the image's with T/8 and T/4.
  std::vector<int> mask_frames;   // depths t in frames; empty: T/2 and T (8 and 16 at T = 16)
  int frame_step = 1;             // candidate first frames n every frame_step frames
  double length_scale_frame = 0;  // frames, for n; 0: T/2 (8 at T = 16)
  double length_scale_depth = 0;  // frames, for t; 0: T/2 (8 at T = 16)
  // The GP's memory, (iterations + dims + 3) floats per candidate, may not exceed this: a larger
  // candidate set is refused before anything is allocated (raise --stride or --mask-frame-step).
  double max_gp_megabytes = 1536;

  // The presets (--preset): the defaults; Algorithm 2 as published, with the authors' code
  // where the paper is silent (the defaults before the kriging preset); and the authors' code's
  // settings (stride 1, box average, squash 10, hyperopt, mean in-fill, jitter 1).
  static RefineOptions Kriging();
  static RefineOptions Paper();
  static RefineOptions Code();
  // Algorithm 1 as published (the paper's settings, Algorithm1()).
  static RefineOptions Mokuwe();
  // By name: "kriging" | "paper" | "code" | "mokuwe" (OptionError("--preset") otherwise).
  static RefineOptions FromPreset(const std::string& name);
  // These options as Algorithm 1: no flip, plain mean over sizes, no prior, the fixed (zero)
  // prior mean, pointwise aggregation, no signal-variance fit; the rest (iterations, masks,
  // kernel, ...) kept. Batch's `mokuwe` method runs the batch's options this way.
  RefineOptions Algorithm1() const;

  // Every option by name (as given: defaults not yet resolved for an image size, but the GP's
  // domain, noise variance and level sets as they act on an image or a clip); the video options
  // only for a video.
  nlohmann::json ToJson(bool video = false) const;
  // OptionError naming the flag for any setting out of range, and for `algorithm` mokuwe
  // combined with a part of Algorithm 2 (the refiner runs exactly what the fields say).
  void CheckSettings() const;
  // CheckSettings() and the checks against the working image: sizes of one frame (the image)
  // and the clip's frames (1 for an image).
  void Check(int image_rows, int image_cols, int clip_frames = 1) const;
  // Mask sides in pixels of a working image of the given size.
  std::vector<double> SidePixels(int image_rows, int image_cols) const;
  // Mask depths in frames (1 for an image), sorted, without repeats.
  std::vector<int> DepthFrames(int clip_frames) const;
  // The length scales in use (the defaults resolved for the working image's size).
  // (A clip: twice the image defaults, and T/2 frames for n and t.)
  double PositionLengthScale(int image_rows, int image_cols, int clip_frames = 1) const;
  double SizeLengthScale(int image_rows, int image_cols, int clip_frames = 1) const;
  double FrameLengthScale(int clip_frames) const;
  // The GP's domain (kAuto resolved) and noise variance (0 resolved) for an image (1 frame) or
  // a clip.
  GpDomain Domain(int clip_frames = 1) const;
  // How many of a RISE prior's samples a refinement with these options reads (Refiner's
  // `prior_samples`), the first drawn: none without a prior, the pixel field or
  // rise_observations; INT_MAX for all of them (rise_observation_limit 0). Callers keep that many
  // only (they are the prior's masks, one image each).
  int RiseSamplesRead(int clip_frames = 1) const;
  double NoiseVariance(int clip_frames = 1) const;
  double DepthLengthScale(int clip_frames) const;
  // --hyperopt bounds per dimension (row, col, side): the code's [1, 20] at 224, scaled likewise,
  // doubled for the side (the code's size unit is the half-width). Video: (row, col, n, side, t),
  // with [0.5, T] frames for n and t.
  std::pair<Eigen::VectorXd, Eigen::VectorXd> LengthScaleBounds(int image_rows, int image_cols,
                                                                int clip_frames = 1) const;
};

// Bytes the GP needs for `candidates` candidates of `dims` coordinates over `iterations`
// observations: V (iterations rows), the candidates, and their mean, variance and prior; with a
// fitted mean of `basis_columns` regressors also the basis Hc and W = VᵀZh (p columns each) and
// the combined mean and variance.
double GpBytes(long candidates, int dims, int iterations, int basis_columns = 0);

// Parses "--mask-frames 2,4,8": positive frame counts.
std::vector<int> ParseMaskFrames(const std::string& list);

}  // namespace borex::refine
