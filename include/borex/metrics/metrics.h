// Metrics of a saliency map (BOREx paper section 4; RISE's insertion and deletion; Opti-CAM's
// Average Drop and Average Gain; the pointing game). Every function takes the image and the map
// at the model's working resolution; the map must be CV_32F, the image's size, and finite.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "borex/mask/infill.h"
#include "borex/model/classifier.h"

namespace borex::metrics {

struct MetricOptions {
  int step = 0;  // pixels revealed or removed per step; 0: the image's width (RISE: 224 at 224²);
                 // a clip (video model): its width times its frames
  // What hidden pixels become in insertion and deletion (the substrate; mask/infill.h).
  mask::Infill infill = mask::Infill::kBlack;
  std::uint64_t seed = 0;      // draws the noise in-fill
  int batch_size = 64;         // images per forward pass
  int pointing_tolerance = 0;  // pixels: a hit when the maximum is this close to the region
  double hide_percent = 10;    // hide-top: the top percent of pixels hidden, in (0, 100]
  void Check() const;          // throws OptionError naming --step / --batch-size / ...
};

// Pixel indices (row * cols + col) by decreasing saliency; ties keep index order.
std::vector<int> RankPixels(const cv::Mat& saliency);

// Scores M(i^(k), l) at k = 0, step, 2 step, ..., all pixels (the last k is always the total).
struct Curve {
  std::vector<double> scores;
  std::vector<double> fractions;  // k / all pixels at each score: 0, ..., 1
  double auc = 0;  // trapezoidal area over the fraction of pixels, in [0, 1] for probabilities
  double sum = 0;  // the paper's raw Σ_k M(i^(k), l)
};
// Insertion: only the top-k pixels visible, the rest in-filled (options.infill). Deletion: the
// top-k pixels in-filled. Scores are softmax probabilities; batched by options.batch_size.
// Insertion at k = 0 with inpaint (nothing visible) is the model's mean colour. Cost: one
// masked image copy per step; inpaint also inpaints every frame at every step (the fill depends
// on which pixels are hidden then), which at 224 x 224 and 224 steps is hundreds of
// cv::inpaint calls per curve.
Curve InsertionCurve(model::Classifier& classifier, const cv::Mat& image,
                     const std::vector<int>& order, int label, const MetricOptions& options);
Curve DeletionCurve(model::Classifier& classifier, const cv::Mat& image,
                    const std::vector<int>& order, int label, const MetricOptions& options);

// F-measure of the top-k pixels against a region (CV_8U, nonzero inside) at the same k as the
// curves (k = step, 2 step, ..., all pixels). `mean`/`sum` use the harmonic mean 2PR/(P+R);
// `product_*` the authors' code's precision × recall.
struct FMeasure {
  double mean = 0, sum = 0, product_mean = 0, product_sum = 0;
};
FMeasure FMeasureCurve(const std::vector<int>& order, const cv::Mat& region, int step);

// Pointing game: is the map's maximum (first in row-major order) in the region, or within
// `tolerance` pixels of it. For a stacked clip of `frames` frames the tolerance stays inside
// the maximum's frame.
bool PointingHit(const cv::Mat& saliency, const cv::Mat& region, int tolerance, int frames = 1);

// Opti-CAM's Average Drop and Average Gain terms for one image, in percent: the map min-max
// scaled to [0, 1] multiplies the image; p = M(i, l), o = M(i ⊙ map, l);
// drop = 100 [p − o]+ / p, gain = 100 [o − p]+ / (1 − p).
struct DropGain {
  double drop = 0, gain = 0, score = 0, masked_score = 0;
};
DropGain AverageDropGain(model::Classifier& classifier, const cv::Mat& image,
                         const cv::Mat& saliency, int label);

// Hide-top, the quantitative check of Kang et al. 2019 (explain/undesirable.h) as we read it:
// the change of the label's softmax probability when the map's top k pixels (in `order`) are
// replaced by the substrate, change = M(i with the top k hidden, l) − M(i, l), with
// k = round(options.hide_percent / 100 · pixels), at least 1 (a clip: of its voxels). For a
// hinder map (pixels that hinder the label) the change should be positive; for a saliency map of
// the label's evidence, negative. Two forward passes.
struct HideTop {
  double change = 0, score = 0, hidden_score = 0;
  int pixels = 0;  // k
};
HideTop HideTopChange(model::Classifier& classifier, const cv::Mat& image,
                      const std::vector<int>& order, int label, const MetricOptions& options);

// Every metric of one map. F-measure and pointing game need a region; without one they are empty.
struct Evaluation {
  int label = 0;
  Curve insertion, deletion;
  std::optional<FMeasure> f_measure;
  std::optional<bool> pointing_hit;
  DropGain drop_gain;
  HideTop hide_top;
  double hide_percent = 10;  // options.hide_percent
  long model_calls = 0;      // forward passes the evaluation made
  int step = 0;              // the k increment used (options.step, or the image's width for 0)
  mask::Infill infill = mask::Infill::kBlack;

  // The metric columns of `borex batch` CSVs, in order: insertion, deletion, insertion_sum,
  // deletion_sum, f_measure, f_measure_sum, pointing_hit, average_drop, average_gain, hide_top.
  static const std::vector<std::string>& CsvColumns();
  // Values for CsvColumns(): numbers with full precision, pointing_hit as 1/0, "" when empty.
  std::vector<std::string> CsvValues() const;
  // The `borex evaluate` JSON: insertion, deletion (AUCs), insertion_sum, deletion_sum,
  // f_measure, f_measure_sum, f_measure_product, f_measure_product_sum, pointing_hit (null when
  // empty), average_drop, average_gain, score, masked_score, hide_top (the change),
  // hide_top_score (the score with the pixels hidden), hide_top_pixels (k), hide_percent, label,
  // model_calls, infill and curves {insertion, deletion, step}.
  nlohmann::json ToJson() const;
  // The value of a numeric metric by its JSON key (for --fail-below/--fail-above; pointing_hit
  // as 1/0); nullopt when empty; throws OptionError naming `option` for any other key.
  std::optional<double> Value(const std::string& key, const std::string& option) const;
};
Evaluation Evaluate(model::Classifier& classifier, const cv::Mat& image, const cv::Mat& saliency,
                    int label, const cv::Mat& region, const MetricOptions& options);

// One map to evaluate: its image, map, label, region (may be empty) and the noise in-fill's seed.
struct EvaluationInput {
  cv::Mat image, saliency;
  int label = 0;
  cv::Mat region;
  std::uint64_t seed = 0;
};
// Evaluate for several maps (of one image or of many) at once: every map is checked first, then
// all their images go through the model as one stream in forward passes of options.batch_size,
// and no image is scored twice: the image itself serves insertion's last point, deletion's first,
// Average Drop/Gain and hide-top, and the fully in-filled image insertion's first point and
// deletion's last. 2S + 2 images per map for curves of S + 1 points (Evaluate used to score
// 2S + 6). Each result equals InsertionCurve, DeletionCurve, AverageDropGain and HideTopChange
// run one by one whenever the model scores an image independently of its batch.
std::vector<Evaluation> EvaluateAll(model::Classifier& classifier,
                                    const std::vector<EvaluationInput>& inputs,
                                    const MetricOptions& options);

}  // namespace borex::metrics
