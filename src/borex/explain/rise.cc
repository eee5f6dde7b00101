#include "borex/explain/rise.h"

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
  options.Check();
  mask::RiseMaskOptions mask_options;
  mask_options.grid = options.grid;
  mask_options.keep_prob = options.keep_prob;
  mask_options.grid_frames = options.grid_frames;
  const int frames = classifier.info().clip_frames();
  BOREX_CHECK_EQ(image.rows % frames, 0);
  mask::RiseMaskGenerator generator(mask_options, image.rows / frames, image.cols, options.seed,
                                    frames);
  const mask::Infiller infiller(image, options.infill, classifier.info().mean, image.rows / frames,
                                options.seed);

  std::vector<cv::Mat> masks, masked;
  for (int done = 0; done < options.masks;) {
    const int batch = std::min(options.batch_size, options.masks - done);
    masks.clear();
    masked.clear();
    for (int n = 0; n < batch; ++n) {
      cv::Mat mask = generator.Next();
      cv::Mat out;
      infiller.Apply(mask, out);  // i ⊙ m with soft masks: m·i + (1 − m)·fill
      masks.push_back(std::move(mask));
      masked.push_back(std::move(out));
    }
    visit(masks, classifier.Logits(masked));
    done += batch;
  }
}

cv::Mat ComputeRise(model::Classifier& classifier, const cv::Mat& image, int label,
                    const RiseOptions& options) {
  const double p = options.keep_prob;
  cv::Mat saliency = cv::Mat::zeros(image.size(), CV_32FC1);
  ForEachMaskBatch(classifier, image, options,
                   [&](const std::vector<cv::Mat>& masks, const Eigen::MatrixXf& logits) {
                     const Eigen::VectorXf scores =
                         model::ClassScores(logits, label, options.score);
                     for (size_t n = 0; n < masks.size(); ++n) {
                       const float score = scores[static_cast<Eigen::Index>(n)];
                       if (options.positive_negative)
                         cv::scaleAdd(masks[n] - p, score, saliency, saliency);  // (m − p)·M
                       else
                         cv::scaleAdd(masks[n], score, saliency, saliency);  // m·M
                     }
                   });
  const double normaliser =
      options.positive_negative ? options.masks * p * (1 - p) : options.masks * p;
  return saliency / normaliser;
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
