// BOREx: GP-based refinement of a saliency map (Kikuchi et al., ACCV 2022, Algorithm 2), and the
// baseline it extends (Mokuwe et al., Algorithm 1), as a stepper: construct, Step() until done(),
// then Finish(). Callers drive it, observe every step (trace, progress) and may stop early.
// A step is a round of options.acquisition_batch observations and one forward pass. The GP is
// over the squares' (row, col, side) (the paper's) or, for an image by default, over a pixel
// field that the squares and the prior's level sets observe (gp::FieldGp; RefineOptions's
// GpDomain).
//
//   refine::Refiner refiner(classifier, image, label, prior, options);
//   while (!refiner.done()) refiner.Step();
//   refine::RefineResult result = refiner.Finish();
//
// RefineTogether drives several refiners (several images) with one forward pass per round for
// all of them.
#pragma once

#include <Eigen/Core>
#include <functional>
#include <memory>
#include <opencv2/core.hpp>
#include <vector>

#include "borex/explain/rise.h"
#include "borex/model/classifier.h"
#include "borex/refine/refine_options.h"

namespace borex::refine {

// One BO iteration (Algorithm 2, lines 5-9), everything needed to audit or replay it.
struct StepRecord {
  int iteration = 0;
  double row = 0, col = 0, side = 0;  // the mask: centre (pixel) and side (pixels)
  double frame = 0, depth = 1;        // video: first frame n and frames t of the cuboid
  // > 0: the mask was the prior's top fraction of pixels (a level set, --gp-over pixels), not a
  // square (row, col and side are then 0).
  double prior_fraction = 0;
  // > 0: the mask was the posterior mean's top fraction of pixels when it was chosen (a level set
  // of the map so far, RefineOptions::posterior_level_sets).
  double posterior_fraction = 0;
  double gp_row = 0, gp_col = 0, gp_side = 0;  // the point entered into the GP (after jitter;
                                               // video: jitter moves row, col and side only)
  double score_masked = 0;                     // M(i⊙m, l): the square hidden
  double score_reference = 0;                  // M(i⊙m̄, l) (flip) or M(i, l) (Algorithm 1)
  double observation = 0;                      // s, after squashing
  double prior_at_point = 0;  // scaled prior at the GP point (the residual is s minus this)
  double acquisition = 0;     // u(λ, r) of the chosen candidate (first step: at the prior's max)
  Eigen::VectorXd length_scales;  // kernel length scales used after this observation
};

struct RefineResult {
  cv::Mat map;  // i_sal at the working (model input) resolution, CV_32FC1
  int iterations = 0;
  long model_calls = 0;      // images this refinement had scored
  double model_seconds = 0;  // its share of the forward passes' time
  double total_seconds = 0;  // model_seconds plus the time in the refiner's own code
  double prior_scale = 0;    // factor applied to i0 (0 without a prior)
  // Fitted prior mean: the final map's coefficients of m = a·ī0 + b (a = 0 without a prior).
  double prior_coefficient = 0, prior_offset = 0;
  double signal_variance = 0;  // the final map's GP σf² (fitted or the option's)
  // The final map's prior std of a (fitted with fit_prior_coefficient_sd, or the option's; 0
  // without a fitted prior mean).
  double prior_coefficient_sd = 0;
  // average_hyperparameters: the posterior weight of the most likely grid point (σf², σn² and a's
  // prior std above are its values; 1: the average is that point's map).
  double hyperparameter_weight = 1;
  // The most likely grid point's deviation floor c (RefineOptions::deviation_floors; 1: the
  // stationary kernel).
  double deviation_floor = 1;
  double noise_variance = 0;  // the final map's σn² (fitted with --gp-over pixels, or the option's)
  // The most likely grid point's factor of σn² for the RISE prior's masks
  // (RefineOptions::fit_rise_observation_noise; 1 when not fitted).
  double rise_noise_factor = 1;
  // The final map's length scales over the search's (fitted, RefineOptions::fit_length_scale).
  double length_scale_factor = 1;
  double base_score = 0;  // M(i, l)
  std::vector<double> side_pixels;
  std::vector<int> depth_frames;  // video: the cuboids' depths t ({1} for an image)
  int frames = 1;                 // frames of the clip (1 for an image)
  long candidates = 0;            // size of the GP's candidate set
  // The RISE prior's samples the field conditioned on (RefineOptions::rise_observations; 0: none).
  int rise_observations = 0;
  std::vector<StepRecord> steps;
};

// What a RISE (or PN-RISE) prior was made of, for RefineOptions::rise_observations: its masks and
// logits, and the model's logits of the unmasked image, M(i). Empty: none.
struct PriorSamples {
  explain::RiseSamples rise;
  Eigen::VectorXf unmasked_logits;
  bool empty() const { return rise.masks.empty(); }
};

// Video (paper §3.2): when the classifier is a video model, `image` is the stacked clip of
// model::ModelInfo, the masks are cuboids (mask::Cuboid), the GP is over (row, col, n, r, t) and
// the map (stacked like the clip) is (1/(p·k)) Σ_r Σ_t μ(λ, r, t)/(r²·t).
class Refiner {
 public:
  // `image`: CV_32FC3 RGB in [0,1] at the model's input size. `prior`: CV_32FC1 of the same size,
  // or empty for none (also ignored when options.use_prior is false). `prior_samples`: what
  // `prior` was computed from, if RISE (read in the constructor, not kept).
  Refiner(model::Classifier& classifier, const cv::Mat& image, int label, const cv::Mat& prior,
          RefineOptions options, const PriorSamples& prior_samples = {});
  ~Refiner();

  bool done() const;
  // One round: up to options.acquisition_batch observations chosen by GP-BUCB, their masked
  // images scored in one forward pass. Returns the round's records (also kept for Finish).
  std::vector<StepRecord> Step();
  // Step in two halves, for callers that score several refiners' images in one forward pass:
  // the images to score, in order; then their logits (one row each, in that order) and the
  // seconds of the forward pass charged to this refiner.
  std::vector<cv::Mat> ProposeRound();
  std::vector<StepRecord> ObserveRound(const Eigen::MatrixXf& logits, double model_seconds);
  RefineResult Finish();

  // The posterior mean μ(λ, r) at every pixel for the i-th mask side (prior included); video:
  // μ(λ, r, t) at every voxel for the j-th depth too, stacked.
  cv::Mat PosteriorMeanForSide(int side_index, int depth_index = 0) const;

  // GP points: 3 (row, col, side) for an image, 5 (row, col, n, side, t) for a clip.
  int dimensions() const;
  // Candidates: the GP's candidate set size (its memory, checked against
  // options.max_gp_megabytes in the constructor, grows with it: GpBytes in refine_options.h over
  // the squares; the cells' weights and the observations' cross-covariances in the field).
  long num_candidates() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Runs all iterations, calling `on_step` after each (may be empty).
RefineResult RunRefinement(model::Classifier& classifier, const cv::Mat& image, int label,
                           const cv::Mat& prior, const RefineOptions& options,
                           const std::function<void(const StepRecord&)>& on_step = {},
                           const PriorSamples& prior_samples = {});

// Runs every refiner to done(): each round proposes every unfinished refiner's images and scores
// them together, in forward passes of at most max_batch images. A refiner's maps are those it
// gives alone whenever the model's scores of an image do not depend on the rest of its batch.
void RefineTogether(model::Classifier& classifier, const std::vector<Refiner*>& refiners,
                    int max_batch);

// i_sal from the per-side posterior means μ(·, r_i) (Algorithm 2 line 12, or the code's box
// average): exposed for tests of the weighting.
cv::Mat AggregateSides(const std::vector<cv::Mat>& means, const std::vector<double>& sides,
                       Aggregation aggregation, bool weighted_average);

// The video form (§3.2): means[j·|sides| + i] = μ(·, r_i, t_j), stacked clips of `frames`
// frames; pointwise (1/(p·k)) Σ_i Σ_j μ/(r_i²·t_j) (weighted) or the plain mean; box: each μ
// averaged over the cuboids that cover a voxel (the square box in its frame, and first frames
// n − t + 1 ... n inside the clip), then the plain mean.
cv::Mat AggregateCuboids(const std::vector<cv::Mat>& means, const std::vector<double>& sides,
                         const std::vector<int>& depths, int frames, Aggregation aggregation,
                         bool weighted_average);

// The mean over the window of first frames n − depth + 1 ... n (those >= 0) of a stacked map:
// each voxel's average over the cuboids of `depth` frames that cover it.
cv::Mat TrailingFrameAverage(const cv::Mat& map, int frames, int depth);

// The code's box average: each pixel gets the mean of `map` over the (2⌊side/2⌋+1)-wide box
// centred on it, counting only pixels inside the image.
cv::Mat BoxAverage(const cv::Mat& map, double side);
// The sum of `map` over the same box (pixels outside the image count as 0).
cv::Mat BoxSum(const cv::Mat& map, double side);

}  // namespace borex::refine
