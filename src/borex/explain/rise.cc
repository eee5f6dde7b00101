#include "borex/explain/rise.h"

#include <algorithm>

#include "borex/core/error.h"
#include "borex/mask/infill.h"
#include "borex/mask/rise_masks.h"

namespace borex::explain {

RiseOptions RiseOptions::CheapPrior() {
  RiseOptions options;
  options.masks = 100;
  options.grid = 8;
  options.keep_prob = 0.3;
  return options;
}

void RiseOptions::Check() const {
  if (masks <= 0) throw OptionError("--masks", "must be positive, got " + std::to_string(masks));
  if (grid <= 0) throw OptionError("--grid", "must be positive, got " + std::to_string(grid));
  if (!(keep_prob > 0 && keep_prob < 1))
    throw OptionError("--keep-prob", "must be in (0, 1), got " + std::to_string(keep_prob));
  if (grid_frames <= 0)
    throw OptionError("--grid-frames", "must be positive, got " + std::to_string(grid_frames));
  if (batch_size <= 0)
    throw OptionError("--batch-size", "must be positive, got " + std::to_string(batch_size));
}

void ForEachMaskBatch(model::Classifier& classifier, const cv::Mat& image,
                      const RiseOptions& options, const MaskBatchVisitor& visit) {
  ForEachMaskBatch(classifier, {{image, options}}, options.batch_size,
                   [&](size_t, const std::vector<cv::Mat>& masks, const Eigen::MatrixXf& logits) {
                     visit(masks, logits);
                   });
}

void ForEachMaskBatch(model::Classifier& classifier, const std::vector<MaskJob>& jobs,
                      int batch_size, const JobMaskBatchVisitor& visit) {
  const int frames = classifier.info().clip_frames();
  // Every job's generator and in-fill, checked before the first pass.
  std::vector<mask::RiseMaskGenerator> generators;
  std::vector<mask::Infiller> infillers;
  for (const MaskJob& job : jobs) {
    job.options.Check();
    BOREX_CHECK_EQ(job.image.rows % frames, 0);
    mask::RiseMaskOptions mask_options;
    mask_options.grid = job.options.grid;
    mask_options.keep_prob = job.options.keep_prob;
    mask_options.grid_frames = job.options.grid_frames;
    generators.emplace_back(mask_options, job.image.rows / frames, job.image.cols, job.options.seed,
                            frames);
    infillers.emplace_back(job.image, job.options.infill, classifier.info().mean,
                           job.image.rows / frames, job.options.seed);
  }
  // After the jobs' own checks, which name --batch-size (a batch's passes take its jobs' size).
  BOREX_CHECK_GT(batch_size, 0);
  size_t job = 0;
  int done = 0;  // masks of `job` drawn so far
  std::vector<cv::Mat> masks, masked;
  std::vector<size_t> owners;
  while (job < jobs.size()) {
    masks.clear();
    masked.clear();
    owners.clear();
    for (; job < jobs.size() && static_cast<int>(masked.size()) < batch_size;) {
      cv::Mat mask = generators[job].Next();
      cv::Mat out;
      infillers[job].Apply(mask, out);  // i ⊙ m with soft masks: m·i + (1 − m)·fill
      masks.push_back(std::move(mask));
      masked.push_back(std::move(out));
      owners.push_back(job);
      if (++done == jobs[job].options.masks) {
        ++job;
        done = 0;
      }
    }
    const Eigen::MatrixXf logits = classifier.Logits(masked);
    for (size_t first = 0; first < owners.size();) {
      size_t last = first;
      while (last < owners.size() && owners[last] == owners[first]) ++last;
      visit(owners[first],
            std::vector<cv::Mat>(masks.begin() + static_cast<std::ptrdiff_t>(first),
                                 masks.begin() + static_cast<std::ptrdiff_t>(last)),
            logits.middleRows(static_cast<Eigen::Index>(first),
                              static_cast<Eigen::Index>(last - first)));
      first = last;
    }
  }
}

cv::Mat ComputeRise(model::Classifier& classifier, const cv::Mat& image, int label,
                    const RiseOptions& options, RiseSamples* samples, int sample_limit) {
  std::vector<RiseSamples> all;
  cv::Mat map = ComputeRiseAll(classifier, {{image, options}}, {label}, samples ? &all : nullptr,
                               sample_limit)
                    .front();
  if (samples) *samples = std::move(all.front());
  return map;
}

std::vector<cv::Mat> ComputeRiseAll(model::Classifier& classifier, const std::vector<MaskJob>& jobs,
                                    const std::vector<int>& labels,
                                    std::vector<RiseSamples>* samples, int sample_limit) {
  BOREX_CHECK_EQ(jobs.size(), labels.size());
  if (jobs.empty()) return {};
  std::vector<cv::Mat> saliency;
  saliency.reserve(jobs.size());
  for (const MaskJob& job : jobs) saliency.push_back(cv::Mat::zeros(job.image.size(), CV_32FC1));
  if (samples) samples->assign(jobs.size(), RiseSamples());
  ForEachMaskBatch(classifier, jobs, jobs.front().options.batch_size,
                   [&](size_t j, const std::vector<cv::Mat>& masks, const Eigen::MatrixXf& logits) {
                     if (samples) {
                       RiseSamples& kept = (*samples)[j];
                       const auto before = static_cast<Eigen::Index>(kept.masks.size());
                       const Eigen::Index count =
                           std::clamp<Eigen::Index>(sample_limit - before, 0, logits.rows());
                       for (Eigen::Index n = 0; n < count; ++n)
                         kept.masks.push_back(masks[static_cast<size_t>(n)].clone());
                       kept.logits.conservativeResize(before + count, logits.cols());
                       kept.logits.bottomRows(count) = logits.topRows(count);
                     }
                     const RiseOptions& options = jobs[j].options;
                     const double p = options.keep_prob;
                     const Eigen::VectorXf scores =
                         model::ClassScores(logits, labels[j], options.score);
                     for (size_t n = 0; n < masks.size(); ++n) {
                       const float score = scores[static_cast<Eigen::Index>(n)];
                       if (options.positive_negative)
                         cv::scaleAdd(masks[n] - p, score, saliency[j], saliency[j]);  // (m − p)·M
                       else
                         cv::scaleAdd(masks[n], score, saliency[j], saliency[j]);  // m·M
                     }
                   });
  for (size_t j = 0; j < jobs.size(); ++j) {
    const RiseOptions& options = jobs[j].options;
    const double p = options.keep_prob;
    saliency[j] =
        saliency[j] / (options.positive_negative ? options.masks * p * (1 - p) : options.masks * p);
  }
  return saliency;
}

nlohmann::json RiseOptions::ToJson() const {
  return {{"masks", masks},
          {"grid", grid},
          {"keep_prob", keep_prob},
          {"batch_size", batch_size},
          {"seed", seed},
          {"score", model::ScoreKindName(score)},
          {"infill", mask::InfillName(infill)}};
}

}  // namespace borex::explain
