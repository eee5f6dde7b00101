#include "borex/metrics/metrics.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "borex/core/error.h"

namespace borex::metrics {
namespace {

// 0: one image row per step, or for a clip one row in every frame (the curve then has as many
// points as for one of its frames).
int EffectiveStep(const MetricOptions& options, const model::Classifier& classifier,
                  const cv::Mat& image) {
  return options.step > 0 ? options.step : image.cols * classifier.info().clip_frames();
}

// k = 0, step, 2 step, ..., n (the last is n even when step does not divide n).
std::vector<int> CurvePoints(int pixels, int step, bool include_zero) {
  std::vector<int> ks;
  if (include_zero) ks.push_back(0);
  for (int k = step; k < pixels; k += step) ks.push_back(k);
  ks.push_back(pixels);
  return ks;
}

// The in-fill of hidden pixels for the metrics (options.infill, noise from options.seed).
mask::Infiller MetricInfiller(const model::Classifier& classifier, const cv::Mat& image,
                              const MetricOptions& options) {
  const int frames = classifier.info().clip_frames();
  BOREX_CHECK_EQ(image.rows % frames, 0);
  return mask::Infiller(image, options.infill, classifier.info().mean, image.rows / frames,
                        options.seed);
}

// Scores of the image with pixels hidden at each k of CurvePoints (insertion: all but the top-k
// pixels of `order`; deletion: the top k), in-filled by options.infill. The hidden region is
// updated incrementally; each step's image is in-filled afresh (for inpaint the fill depends on
// the pixels hidden at that step); evaluated batch by batch.
Curve RunCurve(model::Classifier& classifier, const cv::Mat& image, bool insertion,
               const std::vector<int>& order, int label, const MetricOptions& options) {
  options.Check();
  BOREX_CHECK(image.type() == CV_32FC3 && image.isContinuous());
  const int pixels = static_cast<int>(image.total());
  BOREX_CHECK_EQ(static_cast<int>(order.size()), pixels);
  const mask::Infiller infiller = MetricInfiller(classifier, image, options);
  const std::vector<int> ks = CurvePoints(pixels, EffectiveStep(options, classifier, image), true);
  cv::Mat hidden(image.size(), CV_8UC1, cv::Scalar(insertion ? 255 : 0));
  uchar* hidden_pixels = hidden.ptr<uchar>();
  Curve curve;
  std::vector<cv::Mat> batch;
  int changed = 0;
  for (size_t i = 0; i < ks.size(); ++i) {
    // Each step reveals (insertion) or hides (deletion) the next `step` pixels.
    for (; changed < ks[i]; ++changed) hidden_pixels[order[changed]] = insertion ? 0 : 255;
    batch.emplace_back();
    infiller.ApplyHidden(hidden, batch.back());
    if (static_cast<int>(batch.size()) == options.batch_size || i + 1 == ks.size()) {
      const Eigen::VectorXf scores =
          model::ClassScores(classifier.Logits(batch), label, model::ScoreKind::kProbability);
      for (int j = 0; j < scores.size(); ++j) curve.scores.push_back(scores[j]);
      batch.clear();
    }
  }
  const double sum = std::accumulate(curve.scores.begin(), curve.scores.end(), 0.0);
  curve.sum = sum;
  curve.auc = (sum - (curve.scores.front() + curve.scores.back()) / 2) /
              static_cast<double>(curve.scores.size() - 1);
  return curve;
}

cv::Mat Continuous(const cv::Mat& mat) { return mat.isContinuous() ? mat : mat.clone(); }

void CheckMap(const cv::Mat& image, const cv::Mat& saliency) {
  if (saliency.type() != CV_32FC1) throw InputError("saliency map", "is not a float32 map");
  if (saliency.size() != image.size())
    throw InputError("saliency map", fmt::format("is {}x{} but the image is {}x{}", saliency.rows,
                                                 saliency.cols, image.rows, image.cols));
  int non_finite = 0;
  for (int r = 0; r < saliency.rows; ++r) {
    const float* row = saliency.ptr<float>(r);
    for (int c = 0; c < saliency.cols; ++c) non_finite += !std::isfinite(row[c]);
  }
  if (non_finite > 0)
    throw InputError("saliency map", fmt::format("{} of {} values are NaN or infinite", non_finite,
                                                 saliency.total()));
}

}  // namespace

void MetricOptions::Check() const {
  if (step < 0) throw OptionError("--step", "must be 0 (the image width) or positive");
  if (batch_size < 1) throw OptionError("--batch-size", "must be at least 1");
  if (pointing_tolerance < 0) throw OptionError("--pointing-tolerance", "must not be negative");
  if (!(hide_percent > 0 && hide_percent <= 100))
    throw OptionError("--hide-percent", fmt::format("must be in (0, 100], got {}", hide_percent));
}

std::vector<int> RankPixels(const cv::Mat& saliency) {
  BOREX_CHECK(saliency.type() == CV_32FC1);
  const cv::Mat map = Continuous(saliency);
  const float* values = map.ptr<float>();
  std::vector<int> order(map.total());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [values](int a, int b) { return values[a] > values[b]; });
  return order;
}

Curve InsertionCurve(model::Classifier& classifier, const cv::Mat& image,
                     const std::vector<int>& order, int label, const MetricOptions& options) {
  return RunCurve(classifier, Continuous(image), /*insertion=*/true, order, label, options);
}

Curve DeletionCurve(model::Classifier& classifier, const cv::Mat& image,
                    const std::vector<int>& order, int label, const MetricOptions& options) {
  return RunCurve(classifier, Continuous(image), /*insertion=*/false, order, label, options);
}

FMeasure FMeasureCurve(const std::vector<int>& order, const cv::Mat& region, int step) {
  BOREX_CHECK(region.type() == CV_8UC1);
  BOREX_CHECK_EQ(order.size(), region.total());
  BOREX_CHECK_GT(step, 0);
  const cv::Mat mask = Continuous(region);
  const uchar* inside = mask.ptr<uchar>();
  const double region_size = cv::countNonZero(mask);
  if (region_size == 0) throw Error("F-measure: the region is empty");
  const std::vector<int> ks = CurvePoints(static_cast<int>(order.size()), step, false);
  FMeasure f;
  long hits = 0;
  int counted = 0;
  for (const int k : ks) {
    for (; counted < k; ++counted) hits += inside[order[counted]] != 0;
    const double precision = static_cast<double>(hits) / k;
    const double recall = hits / region_size;
    const double harmonic =
        precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
    f.sum += harmonic;
    f.product_sum += precision * recall;
  }
  f.mean = f.sum / ks.size();
  f.product_mean = f.product_sum / ks.size();
  return f;
}

bool PointingHit(const cv::Mat& saliency, const cv::Mat& region, int tolerance, int frames) {
  BOREX_CHECK(saliency.type() == CV_32FC1 && region.type() == CV_8UC1);
  BOREX_CHECK(saliency.size() == region.size() && !saliency.empty());
  BOREX_CHECK_GE(tolerance, 0);
  BOREX_CHECK(frames > 0 && saliency.rows % frames == 0);
  const cv::Mat map = Continuous(saliency);
  const float* values = map.ptr<float>();
  // std::max_element returns the first of equal maxima: the first in row-major order.
  const int best = static_cast<int>(std::max_element(values, values + map.total()) - values);
  const int row = best / saliency.cols, col = best % saliency.cols;
  const int frame_rows = saliency.rows / frames, top = row / frame_rows * frame_rows;
  const int bottom = top + frame_rows - 1;  // the rows of the maximum's frame
  for (int r = std::max(top, row - tolerance); r <= std::min(bottom, row + tolerance); ++r)
    for (int c = std::max(0, col - tolerance); c <= std::min(region.cols - 1, col + tolerance); ++c)
      if (region.at<uchar>(r, c) != 0 &&
          (r - row) * (r - row) + (c - col) * (c - col) <= tolerance * tolerance)
        return true;
  return false;
}

DropGain AverageDropGain(model::Classifier& classifier, const cv::Mat& image,
                         const cv::Mat& saliency, int label) {
  BOREX_CHECK(image.type() == CV_32FC3 && saliency.type() == CV_32FC1);
  BOREX_CHECK(image.size() == saliency.size());
  double low = 0, high = 0;
  cv::minMaxLoc(saliency, &low, &high);
  cv::Mat weights;
  if (high > low)
    saliency.convertTo(weights, CV_32F, 1.0 / (high - low), -low / (high - low));
  else
    weights = cv::Mat::ones(saliency.size(), CV_32F);
  cv::Mat weights3, masked;
  cv::merge(std::vector<cv::Mat>{weights, weights, weights}, weights3);
  cv::multiply(image, weights3, masked);
  const Eigen::VectorXf scores =
      model::ClassScores(classifier.Logits({image, masked}), label, model::ScoreKind::kProbability);
  DropGain result;
  result.score = scores[0];
  result.masked_score = scores[1];
  const double p = result.score, o = result.masked_score;
  result.drop = p > 0 ? 100.0 * std::max(0.0, p - o) / p : 0.0;
  result.gain = p < 1 ? 100.0 * std::max(0.0, o - p) / (1 - p) : 0.0;
  return result;
}

HideTop HideTopChange(model::Classifier& classifier, const cv::Mat& image,
                      const std::vector<int>& order, int label, const MetricOptions& options) {
  options.Check();
  const cv::Mat rgb = Continuous(image);
  BOREX_CHECK(rgb.type() == CV_32FC3);
  const int pixels = static_cast<int>(rgb.total());
  BOREX_CHECK_EQ(static_cast<int>(order.size()), pixels);
  HideTop result;
  result.pixels =
      std::clamp(static_cast<int>(std::lround(options.hide_percent / 100.0 * pixels)), 1, pixels);
  cv::Mat region = cv::Mat::zeros(rgb.size(), CV_8UC1), hidden;
  for (int k = 0; k < result.pixels; ++k) region.ptr<uchar>()[order[k]] = 255;
  MetricInfiller(classifier, rgb, options).ApplyHidden(region, hidden);
  const Eigen::VectorXf scores =
      model::ClassScores(classifier.Logits({rgb, hidden}), label, model::ScoreKind::kProbability);
  result.score = scores[0];
  result.hidden_score = scores[1];
  result.change = result.hidden_score - result.score;
  return result;
}

const std::vector<std::string>& Evaluation::CsvColumns() {
  static const std::vector<std::string> columns = {
      "insertion",     "deletion",     "insertion_sum", "deletion_sum", "f_measure",
      "f_measure_sum", "pointing_hit", "average_drop",  "average_gain", "hide_top"};
  return columns;
}

std::vector<std::string> Evaluation::CsvValues() const {
  auto number = [](double value) { return fmt::format("{}", value); };
  return {number(insertion.auc),
          number(deletion.auc),
          number(insertion.sum),
          number(deletion.sum),
          f_measure ? number(f_measure->mean) : "",
          f_measure ? number(f_measure->sum) : "",
          pointing_hit ? (*pointing_hit ? "1" : "0") : "",
          number(drop_gain.drop),
          number(drop_gain.gain),
          number(hide_top.change)};
}

nlohmann::json Evaluation::ToJson() const {
  auto region_metric = [this](double FMeasure::*field) {
    return f_measure ? nlohmann::json((*f_measure).*field) : nlohmann::json(nullptr);
  };
  return {
      {"label", label},
      {"insertion", insertion.auc},
      {"deletion", deletion.auc},
      {"insertion_sum", insertion.sum},
      {"deletion_sum", deletion.sum},
      {"f_measure", region_metric(&FMeasure::mean)},
      {"f_measure_sum", region_metric(&FMeasure::sum)},
      {"f_measure_product", region_metric(&FMeasure::product_mean)},
      {"f_measure_product_sum", region_metric(&FMeasure::product_sum)},
      {"pointing_hit", pointing_hit ? nlohmann::json(*pointing_hit) : nlohmann::json(nullptr)},
      {"average_drop", drop_gain.drop},
      {"average_gain", drop_gain.gain},
      {"score", drop_gain.score},
      {"masked_score", drop_gain.masked_score},
      {"hide_top", hide_top.change},
      {"hide_top_score", hide_top.hidden_score},
      {"hide_top_pixels", hide_top.pixels},
      {"hide_percent", hide_percent},
      {"model_calls", model_calls},
      {"infill", mask::InfillName(infill)},
      {"curves", {{"insertion", insertion.scores}, {"deletion", deletion.scores}, {"step", step}}}};
}

std::optional<double> Evaluation::Value(const std::string& key, const std::string& option) const {
  using Optional = std::optional<double>;
  if (key == "insertion") return insertion.auc;
  if (key == "deletion") return deletion.auc;
  if (key == "insertion_sum") return insertion.sum;
  if (key == "deletion_sum") return deletion.sum;
  if (key == "f_measure") return f_measure ? Optional(f_measure->mean) : std::nullopt;
  if (key == "f_measure_sum") return f_measure ? Optional(f_measure->sum) : std::nullopt;
  if (key == "f_measure_product")
    return f_measure ? Optional(f_measure->product_mean) : std::nullopt;
  if (key == "f_measure_product_sum")
    return f_measure ? Optional(f_measure->product_sum) : std::nullopt;
  if (key == "pointing_hit") return pointing_hit ? Optional(*pointing_hit ? 1 : 0) : std::nullopt;
  if (key == "average_drop") return drop_gain.drop;
  if (key == "average_gain") return drop_gain.gain;
  if (key == "score") return drop_gain.score;
  if (key == "masked_score") return drop_gain.masked_score;
  if (key == "hide_top") return hide_top.change;
  if (key == "hide_top_score") return hide_top.hidden_score;
  if (key == "hide_top_pixels") return hide_top.pixels;
  if (key == "hide_percent") return hide_percent;
  throw OptionError(option,
                    "unknown metric '" + key +
                        "' (insertion, deletion, insertion_sum, deletion_sum, f_measure, "
                        "f_measure_sum, f_measure_product, f_measure_product_sum, pointing_hit, "
                        "average_drop, average_gain, score, masked_score, hide_top, "
                        "hide_top_score, hide_top_pixels, hide_percent)");
}

Evaluation Evaluate(model::Classifier& classifier, const cv::Mat& image, const cv::Mat& saliency,
                    int label, const cv::Mat& region, const MetricOptions& options) {
  options.Check();
  BOREX_CHECK(image.type() == CV_32FC3 && !image.empty());
  CheckMap(image, saliency);
  const long calls_before = classifier.model_calls();
  Evaluation evaluation;
  evaluation.label = label;
  evaluation.step = EffectiveStep(options, classifier, image);
  evaluation.infill = options.infill;
  const cv::Mat map = Continuous(saliency);
  const cv::Mat rgb = Continuous(image);
  const std::vector<int> order = RankPixels(map);
  evaluation.insertion = InsertionCurve(classifier, rgb, order, label, options);
  evaluation.deletion = DeletionCurve(classifier, rgb, order, label, options);
  if (!region.empty()) {
    BOREX_CHECK(region.size() == image.size());
    const cv::Mat inside = Continuous(region);
    evaluation.f_measure = FMeasureCurve(order, inside, evaluation.step);
    evaluation.pointing_hit =
        PointingHit(map, inside, options.pointing_tolerance, classifier.info().clip_frames());
  }
  evaluation.drop_gain = AverageDropGain(classifier, rgb, map, label);
  evaluation.hide_top = HideTopChange(classifier, rgb, order, label, options);
  evaluation.hide_percent = options.hide_percent;
  evaluation.model_calls = classifier.model_calls() - calls_before;
  return evaluation;
}

}  // namespace borex::metrics
