#include "borex/metrics/metrics.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
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

// The images of an insertion or deletion curve, in order of k (CurvePoints, k = 0 included):
// the image with all but the top-k pixels of `order` hidden (insertion) or the top k hidden
// (deletion), in-filled by options.infill. The hidden region is updated incrementally; each
// step's image is in-filled afresh (for inpaint the fill depends on the pixels hidden then).
class CurveImages {
 public:
  CurveImages(const mask::Infiller& infiller, const cv::Mat& image, bool insertion,
              const std::vector<int>& order, int step)
      : infiller_(infiller),
        insertion_(insertion),
        order_(order),
        ks_(CurvePoints(static_cast<int>(image.total()), step, true)),
        hidden_(image.size(), CV_8UC1, cv::Scalar(insertion ? 255 : 0)) {
    BOREX_CHECK_EQ(order.size(), image.total());
  }
  size_t size() const { return ks_.size(); }
  const std::vector<int>& ks() const { return ks_; }
  // The image at the next k (calls go through k in order).
  cv::Mat Next() {
    BOREX_CHECK_LT(next_, ks_.size());
    uchar* hidden = hidden_.ptr<uchar>();
    for (; changed_ < ks_[next_]; ++changed_) hidden[order_[changed_]] = insertion_ ? 0 : 255;
    ++next_;
    cv::Mat out;
    infiller_.ApplyHidden(hidden_, out);
    return out;
  }
  // Moves past the next k without making its image (scored elsewhere already).
  void Skip() {
    BOREX_CHECK_LT(next_, ks_.size());
    uchar* hidden = hidden_.ptr<uchar>();
    for (; changed_ < ks_[next_]; ++changed_) hidden[order_[changed_]] = insertion_ ? 0 : 255;
    ++next_;
  }

 private:
  const mask::Infiller& infiller_;
  bool insertion_;
  const std::vector<int>& order_;
  std::vector<int> ks_;
  cv::Mat hidden_;
  int changed_ = 0;
  size_t next_ = 0;
};

// The area treats the points as evenly spaced, which they are unless `step` does not divide the
// pixel count (then the last step is shorter).
Curve CurveFromScores(std::vector<double> scores, const std::vector<int>& ks) {
  BOREX_CHECK_EQ(scores.size(), ks.size());
  Curve curve;
  curve.scores = std::move(scores);
  curve.fractions.reserve(ks.size());
  for (const int k : ks) curve.fractions.push_back(static_cast<double>(k) / ks.back());
  curve.sum = std::accumulate(curve.scores.begin(), curve.scores.end(), 0.0);
  curve.auc = (curve.sum - (curve.scores.front() + curve.scores.back()) / 2) /
              static_cast<double>(curve.scores.size() - 1);
  return curve;
}

// Scores (softmax probability of `labels[i]`) of images produced in order by `produce(i)`,
// i < count, scored batch_size at a time.
std::vector<double> ScoreStream(model::Classifier& classifier, size_t count, int batch_size,
                                const std::function<cv::Mat(size_t)>& produce,
                                const std::function<int(size_t)>& label_of) {
  std::vector<double> scores;
  scores.reserve(count);
  std::vector<cv::Mat> batch;
  for (size_t i = 0; i < count; ++i) {
    batch.push_back(produce(i));
    if (static_cast<int>(batch.size()) == batch_size || i + 1 == count) {
      const Eigen::MatrixXf probabilities = model::Softmax(classifier.Logits(batch));
      const size_t first = i + 1 - batch.size();
      for (size_t j = 0; j < batch.size(); ++j)
        scores.push_back(probabilities(static_cast<Eigen::Index>(j), label_of(first + j)));
      batch.clear();
    }
  }
  return scores;
}

Curve RunCurve(model::Classifier& classifier, const cv::Mat& image, bool insertion,
               const std::vector<int>& order, int label, const MetricOptions& options) {
  options.Check();
  BOREX_CHECK(image.type() == CV_32FC3 && image.isContinuous());
  const mask::Infiller infiller = MetricInfiller(classifier, image, options);
  CurveImages images(infiller, image, insertion, order, EffectiveStep(options, classifier, image));
  return CurveFromScores(
      ScoreStream(
          classifier, images.size(), options.batch_size, [&](size_t) { return images.Next(); },
          [label](size_t) { return label; }),
      images.ks());
}

// Average Drop/Gain's image: the map min-max scaled to [0, 1] times the image.
cv::Mat DropGainImage(const cv::Mat& image, const cv::Mat& saliency) {
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
  return masked;
}

DropGain DropGainFromScores(double p, double o) {
  DropGain result;
  result.score = p;
  result.masked_score = o;
  result.drop = p > 0 ? 100.0 * std::max(0.0, p - o) / p : 0.0;
  result.gain = p < 1 ? 100.0 * std::max(0.0, o - p) / (1 - p) : 0.0;
  return result;
}

// Hide-top's image: the top k pixels of `order` in-filled; k = result->pixels.
cv::Mat HideTopImage(const mask::Infiller& infiller, const cv::Mat& image,
                     const std::vector<int>& order, const MetricOptions& options, HideTop* result) {
  const int pixels = static_cast<int>(image.total());
  BOREX_CHECK_EQ(static_cast<int>(order.size()), pixels);
  result->pixels =
      std::clamp(static_cast<int>(std::lround(options.hide_percent / 100.0 * pixels)), 1, pixels);
  cv::Mat region = cv::Mat::zeros(image.size(), CV_8UC1), hidden;
  for (int k = 0; k < result->pixels; ++k) region.ptr<uchar>()[order[k]] = 255;
  infiller.ApplyHidden(region, hidden);
  return hidden;
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
  const Eigen::VectorXf scores =
      model::ClassScores(classifier.Logits({image, DropGainImage(image, saliency)}), label,
                         model::ScoreKind::kProbability);
  return DropGainFromScores(scores[0], scores[1]);
}

HideTop HideTopChange(model::Classifier& classifier, const cv::Mat& image,
                      const std::vector<int>& order, int label, const MetricOptions& options) {
  options.Check();
  const cv::Mat rgb = Continuous(image);
  BOREX_CHECK(rgb.type() == CV_32FC3);
  HideTop result;
  const cv::Mat hidden =
      HideTopImage(MetricInfiller(classifier, rgb, options), rgb, order, options, &result);
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
  return EvaluateAll(classifier, {{image, saliency, label, region, options.seed}}, options).front();
}

std::vector<Evaluation> EvaluateAll(model::Classifier& classifier,
                                    const std::vector<EvaluationInput>& inputs,
                                    const MetricOptions& options) {
  options.Check();
  // Everything each map needs, checked before the first forward pass.
  struct Work {
    cv::Mat rgb, map;
    std::vector<int> order;
    std::unique_ptr<mask::Infiller> infiller;
    std::unique_ptr<CurveImages> insertion, deletion;
    size_t first = 0, count = 0;  // its images' place in the stream
    Evaluation evaluation;
  };
  std::vector<Work> work(inputs.size());
  size_t total = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const EvaluationInput& input = inputs[i];
    BOREX_CHECK(input.image.type() == CV_32FC3 && !input.image.empty());
    CheckMap(input.image, input.saliency);
    Work& w = work[i];
    w.rgb = Continuous(input.image);
    w.map = Continuous(input.saliency);
    w.order = RankPixels(w.map);
    MetricOptions own = options;
    own.seed = input.seed;
    w.infiller = std::make_unique<mask::Infiller>(MetricInfiller(classifier, w.rgb, own));
    const int step = EffectiveStep(options, classifier, w.rgb);
    w.insertion = std::make_unique<CurveImages>(*w.infiller, w.rgb, true, w.order, step);
    w.deletion = std::make_unique<CurveImages>(*w.infiller, w.rgb, false, w.order, step);
    Evaluation& e = w.evaluation;
    e.label = input.label;
    e.step = step;
    e.infill = options.infill;
    e.hide_percent = options.hide_percent;
    if (!input.region.empty()) {
      BOREX_CHECK(input.region.size() == input.image.size());
      const cv::Mat inside = Continuous(input.region);
      e.f_measure = FMeasureCurve(w.order, inside, step);
      e.pointing_hit =
          PointingHit(w.map, inside, options.pointing_tolerance, classifier.info().clip_frames());
    }
    // The image, the substrate alone (insertion's first and deletion's last), the curves' inner
    // points, Average Drop/Gain's image and hide-top's: no image is scored twice.
    w.first = total;
    w.count = 2 * w.insertion->size();
    total += w.count;
    e.model_calls = static_cast<long>(w.count);
  }
  // One stream over every map's images, in forward passes of options.batch_size.
  const auto owner = [&](size_t index) {
    const auto after = std::upper_bound(work.begin(), work.end(), index,
                                        [](size_t i, const Work& w) { return i < w.first; });
    return static_cast<size_t>(after - work.begin()) - 1;
  };
  const auto produce = [&](size_t index) -> cv::Mat {
    Work& w = work[owner(index)];
    const size_t inner = w.insertion->size() - 2;
    const size_t j = index - w.first;
    if (j == 0) return w.rgb;
    if (j == 1) {
      w.deletion->Skip();          // k = 0 of deletion: the image itself, scored at j = 0
      return w.insertion->Next();  // k = 0 of insertion: every pixel hidden
    }
    if (j < 2 + inner) return w.insertion->Next();
    if (j < 2 + 2 * inner) return w.deletion->Next();
    if (j == 2 + 2 * inner) return DropGainImage(w.rgb, w.map);
    return HideTopImage(*w.infiller, w.rgb, w.order, options, &w.evaluation.hide_top);
  };
  const std::vector<double> scores =
      ScoreStream(classifier, total, options.batch_size, produce,
                  [&](size_t index) { return work[owner(index)].evaluation.label; });
  std::vector<Evaluation> evaluations;
  for (Work& w : work) {
    const auto at = [&](size_t j) { return scores[w.first + j]; };
    const size_t inner = w.insertion->size() - 2;
    std::vector<double> insertion = {at(1)}, deletion = {at(0)};
    for (size_t j = 0; j < inner; ++j) {
      insertion.push_back(at(2 + j));
      deletion.push_back(at(2 + inner + j));
    }
    insertion.push_back(at(0));
    deletion.push_back(at(1));
    Evaluation& e = w.evaluation;
    e.insertion = CurveFromScores(std::move(insertion), w.insertion->ks());
    e.deletion = CurveFromScores(std::move(deletion), w.deletion->ks());
    e.drop_gain = DropGainFromScores(at(0), at(2 + 2 * inner));
    e.hide_top.score = at(0);
    e.hide_top.hidden_score = at(3 + 2 * inner);
    e.hide_top.change = e.hide_top.hidden_score - e.hide_top.score;
    evaluations.push_back(std::move(e));
  }
  return evaluations;
}

}  // namespace borex::metrics
