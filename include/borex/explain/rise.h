// RISE (Petsiuk et al., BMVC 2018) and PN-RISE (Hatakeyama et al.), as Monte Carlo estimates of
// BOREx paper eqs. 5 and 6:
//   S(λ)    ≈ (1/N) Σ_n m_n(λ) M(i⊙m_n, l) / p                     (eq. 5)
//   S^PN(λ) ≈ (1/N) Σ_n (m_n(λ) − p) M(i⊙m_n, l) / (p(1 − p))      (eq. 6)
// with p = p1, the keep-probability of the masks' grid cells. For a video model (the paper's
// "naively extended RISE", §1 and RQ3) λ ranges over the clip's voxels and the masks are random
// 3D grids (mask/rise_masks.h).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <vector>

#include "borex/mask/infill.h"
#include "borex/model/classifier.h"

namespace borex::explain {

struct RiseOptions {
  int masks = 4000;                // N; Petsiuk et al. use 4000 for ResNet-50
  int grid = 7;                    // s: cells per side of the random binary grid
  int grid_frames = 4;             // s_t: cells along time for a video model's clips
  double keep_prob = 0.5;          // p1 = P[cell kept]
  bool positive_negative = false;  // PN-RISE (eq. 6) instead of RISE (eq. 5)
  int batch_size = 32;             // images per forward pass
  model::ScoreKind score = model::ScoreKind::kProbability;
  // What hidden pixels become (noise: from seed). The model's mean colour, as RISE's authors'
  // code and the BOREx authors' prior do: both multiply the *normalised* image by the masks, so a
  // hidden pixel is an input of zero (docs/algorithm.md, third round). The BOREx paper's tables
  // were reproduced with black (scripts/scene_benchmark.sh keeps it for them).
  mask::Infill infill = mask::Infill::kMean;
  uint64_t seed = 0;

  // The authors' deliberately cheap RISE prior for BOREx: 100 masks, s = 8, p1 = 0.3.
  static RiseOptions CheapPrior();
  void Check() const;
  // The options by name, but grid_frames and positive_negative (callers add the former for a
  // clip; the method's name says the latter).
  nlohmann::json ToJson() const;
};

// The one place where RISE-style masking happens (RISE, PN-RISE and the undesirable maps): draws
// the options.masks random masks of `options` (grid, keep_prob, grid_frames, seed; for a video
// model, 3D masks of the stacked clip), fills the hidden pixels of `image` (m·i + (1 − m)·fill,
// fill from options.infill) and calls `visit` once per batch of options.batch_size with the
// masks and the model's logits of the masked images. OptionError for invalid options.
using MaskBatchVisitor =
    std::function<void(const std::vector<cv::Mat>& masks, const Eigen::MatrixXf& logits)>;
void ForEachMaskBatch(model::Classifier& classifier, const cv::Mat& image,
                      const RiseOptions& options, const MaskBatchVisitor& visit);

// One image's masking for the several-image form: the image and its options (masks, seed, ...).
struct MaskJob {
  cv::Mat image;
  RiseOptions options;
};
// ForEachMaskBatch for several images at once: every job's masks, job after job, go through the
// model in forward passes of `batch_size` images (a pass may hold several jobs' masks), and
// visit(job, masks, logits) is called for each job's part of each pass, in order. Each job sees
// the masks and logits it would alone, whenever the model scores an image independently of its
// batch.
using JobMaskBatchVisitor = std::function<void(size_t job, const std::vector<cv::Mat>& masks,
                                               const Eigen::MatrixXf& logits)>;
void ForEachMaskBatch(model::Classifier& classifier, const std::vector<MaskJob>& jobs,
                      int batch_size, const JobMaskBatchVisitor& visit);

// The Monte Carlo samples behind a RISE or PN-RISE map: its masks (CV_32FC1 in [0, 1], 1 = kept,
// in the order drawn) and the model's logits of each masked image (one row each). BOREx can
// condition on them (refine::RefineOptions::rise_observations).
struct RiseSamples {
  std::vector<cv::Mat> masks;
  Eigen::MatrixXf logits;
};

// The map at the image's resolution; `image` is CV_32FC3 RGB in [0,1] at the model's input size
// (for a video model, the stacked clip; the map is then stacked too). With `samples`, also the
// first `sample_limit` of the masks and logits the map was made of (images of the map's size: keep
// them only as long as needed).
cv::Mat ComputeRise(model::Classifier& classifier, const cv::Mat& image, int label,
                    const RiseOptions& options, RiseSamples* samples = nullptr,
                    int sample_limit = std::numeric_limits<int>::max());
// ComputeRise for several images (labels[i] for jobs[i]), their masks scored together in
// forward passes of jobs' first options.batch_size; with `samples`, (*samples)[i] for jobs[i].
std::vector<cv::Mat> ComputeRiseAll(model::Classifier& classifier, const std::vector<MaskJob>& jobs,
                                    const std::vector<int>& labels,
                                    std::vector<RiseSamples>* samples = nullptr,
                                    int sample_limit = std::numeric_limits<int>::max());

}  // namespace borex::explain
