// Every metric against an independent computation: images rebuilt from scratch for each k and
// scored by the closed form of the fake classifier's probability, AUCs and F-measures by hand.
#include "borex/metrics/metrics.h"

#include <gtest/gtest.h>

#include <spdlog/fmt/fmt.h>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "borex/core/error.h"
#include "support/curve_area.h"
#include "support/fake_classifier.h"

namespace borex::metrics {
namespace {

const cv::Rect kRegion(2, 1, 3, 4);
constexpr double kGain = 6.0, kBias = -2.0;

// The fake classifier's probability of class 0: sigmoid(gain * mean over the region + bias).
double Probability(const cv::Mat& image) {
  const cv::Scalar mean = cv::mean(image(kRegion));
  return 1.0 / (1.0 + std::exp(-(kGain * (mean[0] + mean[1] + mean[2]) / 3.0 + kBias)));
}

// RegionClassifier with a mean colour other than its default grey (so that the mean in-fill is
// seen to come from the model), recording the size of every batch it is given.
class RecordingClassifier : public testing::RegionClassifier {
 public:
  RecordingClassifier(double gain = kGain, double bias = kBias)
      : RegionClassifier(kRegion, gain, bias) {
    info_.class_names = {"target", "other"};
    info_.mean = {0.2f, 0.4f, 0.6f};
  }
  Eigen::MatrixXf Logits(const std::vector<cv::Mat>& images) override {
    batches.push_back(static_cast<int>(images.size()));
    return RegionClassifier::Logits(images);
  }
  const model::ModelInfo& info() const override { return info_; }

  std::vector<int> batches;

 private:
  model::ModelInfo info_;
};

cv::Mat RandomImage(int rows, int cols, int seed) {
  cv::Mat image(rows, cols, CV_32FC3);
  cv::RNG rng(seed);
  rng.fill(image, cv::RNG::UNIFORM, 0.0, 1.0);
  return image;
}

cv::Mat RandomMap(int rows, int cols, int seed) {
  cv::Mat map(rows, cols, CV_32F);
  cv::RNG rng(seed);
  rng.fill(map, cv::RNG::UNIFORM, -1.0, 1.0);
  map.at<float>(0, 0) = map.at<float>(3, 5) = 0.25f;  // a tie
  return map;
}

// Indices by decreasing value, ties by index: a plain sort on (−value, index).
std::vector<int> SortedIndices(const cv::Mat& map) {
  std::vector<std::pair<float, int>> keyed;
  keyed.reserve(map.total());
  for (int i = 0; i < static_cast<int>(map.total()); ++i)
    keyed.push_back({-map.ptr<float>()[i], i});
  std::sort(keyed.begin(), keyed.end());
  std::vector<int> order;
  order.reserve(keyed.size());
  for (const auto& item : keyed) order.push_back(item.second);
  return order;
}

// The curve image by image: top-k pixels from `source`, the rest from `base`.
std::vector<double> BruteCurve(const cv::Mat& base, const cv::Mat& source,
                               const std::vector<int>& order, int step) {
  std::vector<double> scores;
  const int n = static_cast<int>(order.size());
  for (int k = 0;; k = std::min(n, k + step)) {
    cv::Mat image = base.clone();
    for (int i = 0; i < k; ++i)
      image.ptr<cv::Vec3f>()[order[i]] = source.ptr<cv::Vec3f>()[order[i]];
    scores.push_back(Probability(image));
    if (k == n) break;
  }
  return scores;
}

TEST(MetricsTest, RankingIsByDecreasingSaliencyThenIndex) {
  const cv::Mat map = RandomMap(6, 7, 1);
  EXPECT_EQ(RankPixels(map), SortedIndices(map));
  const auto order = RankPixels(map);
  const auto tie_first = std::find(order.begin(), order.end(), 0);
  const auto tie_second = std::find(order.begin(), order.end(), 3 * 7 + 5);
  EXPECT_EQ(tie_second - tie_first, 1);
}

class CurveTest : public ::testing::TestWithParam<std::tuple<mask::Infill, int, int>> {};

TEST_P(CurveTest, InsertionAndDeletionEqualTheImageByImageComputation) {
  const auto [infill, step, batch_size] = GetParam();
  RecordingClassifier classifier;
  const cv::Mat image = RandomImage(6, 7, 2), map = RandomMap(6, 7, 3);
  cv::Mat fill;
  if (infill == mask::Infill::kBlack) fill = cv::Mat::zeros(image.size(), image.type());
  if (infill == mask::Infill::kMean)  // the model's mean colour
    fill = cv::Mat(image.size(), image.type(), cv::Scalar(0.2, 0.4, 0.6));
  if (infill == mask::Infill::kBlur) cv::GaussianBlur(image, fill, {11, 11}, 5.0);
  if (infill == mask::Infill::kNoise)  // the noise of options.seed
    fill = mask::Infiller(image, infill, {0.2f, 0.4f, 0.6f}, image.rows, 9).fill();
  MetricOptions options;
  options.step = step;
  options.infill = infill;
  options.seed = 9;
  options.batch_size = batch_size;
  const auto order = SortedIndices(map);
  const int points = (42 + step - 1) / step + 1;  // k = 0, step, ..., 42 (42 always included)

  const long calls = classifier.model_calls();
  const Curve insertion = InsertionCurve(classifier, image, order, 0, options);
  EXPECT_EQ(classifier.model_calls() - calls, points);
  // Full batches of batch_size images, then the rest.
  std::vector<int> batches;
  for (int left = points; left > 0; left -= batch_size)
    batches.push_back(std::min(left, batch_size));
  EXPECT_EQ(classifier.batches, batches);
  const Curve deletion = DeletionCurve(classifier, image, order, 0, options);
  const auto expected_insertion = BruteCurve(fill, image, order, step);
  const auto expected_deletion = BruteCurve(image, fill, order, step);
  ASSERT_EQ(insertion.scores.size(), expected_insertion.size());
  for (size_t i = 0; i < expected_insertion.size(); ++i) {
    EXPECT_NEAR(insertion.scores[i], expected_insertion[i], 1e-6) << i;
    EXPECT_NEAR(deletion.scores[i], expected_deletion[i], 1e-6) << i;
  }
  // The curves start and end at the image and at the in-fill (k = n even when step does not
  // divide n).
  EXPECT_NEAR(insertion.scores.front(), Probability(fill), 1e-6);
  EXPECT_NEAR(insertion.scores.back(), Probability(image), 1e-6);
  EXPECT_NEAR(deletion.scores.front(), Probability(image), 1e-6);
  EXPECT_NEAR(deletion.scores.back(), Probability(fill), 1e-6);
  // The trapezoid by hand, and the raw sum.
  double area = 0, sum = 0;
  const int m = static_cast<int>(expected_insertion.size());
  for (int i = 0; i < m; ++i) sum += expected_insertion[i];
  for (int i = 0; i + 1 < m; ++i)
    area += (expected_insertion[i] + expected_insertion[i + 1]) / 2 / (m - 1);
  EXPECT_NEAR(insertion.auc, area, 1e-6);
  EXPECT_NEAR(insertion.sum, sum, 1e-5);
  double deletion_sum = 0;
  for (double score : expected_deletion) deletion_sum += score;
  EXPECT_NEAR(deletion.sum, deletion_sum, 1e-5);
  EXPECT_NEAR(deletion.auc,
              (deletion_sum - (expected_deletion.front() + expected_deletion.back()) / 2) / (m - 1),
              1e-6);
}

TEST(MetricsTest, AucIsRiseTrapezoidOverUniformX) {
  // A 1x2 image whose probability is sigmoid(mean of its two pixels): black gives 0.5, pixel 0
  // alone 0.9, both 0.7. Insertion with step 1, pixel 0 first: scores 0.5, 0.9, 0.7 at
  // x = 0, 1/2, 1, area (0.5 + 0.9) / 4 + (0.9 + 0.7) / 4 = 0.75, sum 2.1.
  testing::RegionClassifier classifier(cv::Rect(0, 0, 2, 1), 1.0, 0.0);
  const auto logit = [](double p) { return std::log(p / (1 - p)); };
  const double a = 2 * logit(0.9), b = 2 * logit(0.7) - a;
  cv::Mat image(1, 2, CV_32FC3);
  image.at<cv::Vec3f>(0, 0) = cv::Vec3f::all(static_cast<float>(a));
  image.at<cv::Vec3f>(0, 1) = cv::Vec3f::all(static_cast<float>(b));
  MetricOptions options;
  options.step = 1;
  const Curve curve = InsertionCurve(classifier, image, {0, 1}, 0, options);
  ASSERT_EQ(curve.scores.size(), 3u);
  EXPECT_NEAR(curve.scores[0], 0.5, 1e-6);
  EXPECT_NEAR(curve.scores[1], 0.9, 1e-6);
  EXPECT_NEAR(curve.scores[2], 0.7, 1e-6);
  EXPECT_NEAR(curve.auc, 0.75, 1e-6);
  EXPECT_NEAR(curve.sum, 2.1, 1e-6);
  // Deletion removes pixel 0 first: 0.7, sigmoid(b / 2), 0.5.
  const Curve deletion = DeletionCurve(classifier, image, {0, 1}, 0, options);
  const double middle = 1 / (1 + std::exp(-b / 2));
  EXPECT_NEAR(deletion.scores[1], middle, 1e-6);
  EXPECT_NEAR(deletion.auc, (0.7 + middle) / 4 + (middle + 0.5) / 4, 1e-6);
  // Step 0 means the width (2): k = 0, 2 only, the trapezoid of two points.
  options.step = 0;
  const Curve coarse = InsertionCurve(classifier, image, {0, 1}, 0, options);
  ASSERT_EQ(coarse.scores.size(), 2u);
  EXPECT_NEAR(coarse.auc, (0.5 + 0.7) / 2, 1e-6);
}

// The trapezoidal area under the points (fraction, score).
double Trapezoid(const Curve& curve) {
  double area = 0;
  for (size_t i = 1; i < curve.scores.size(); ++i)
    area +=
        (curve.fractions[i] - curve.fractions[i - 1]) * (curve.scores[i] + curve.scores[i - 1]) / 2;
  return area;
}

TEST(MetricsTest, CurvePointsGiveTheReportedAreas) {
  testing::RegionClassifier classifier(kRegion, kGain, kBias);
  const cv::Mat image = RandomImage(6, 7, 6), map = RandomMap(6, 7, 7);
  for (const int step : {0, 1, 6, 14}) {  // 0: the width (7)
    MetricOptions options;
    options.step = step;
    const Evaluation e = Evaluate(classifier, image, map, 0, cv::Mat(), options);
    for (const Curve* curve : {&e.insertion, &e.deletion}) {
      ASSERT_EQ(curve->fractions.size(), curve->scores.size()) << step;
      EXPECT_EQ(curve->fractions.front(), 0.0);
      EXPECT_EQ(curve->fractions.back(), 1.0);
      EXPECT_EQ(curve->fractions[1], static_cast<double>(e.step) / 42) << step;
      EXPECT_NEAR(testing::TrapezoidArea(*curve), curve->auc, 1e-12) << step;
    }
    const Curve alone = InsertionCurve(classifier, image, RankPixels(map), 0, options);
    EXPECT_EQ(alone.fractions, e.insertion.fractions) << step;
  }
}

TEST(MetricsTest, BatchSizeDoesNotChangeTheResult) {
  const cv::Mat image = RandomImage(9, 8, 11), map = RandomMap(9, 8, 12);
  cv::Mat region = cv::Mat::zeros(9, 8, CV_8U);
  region(kRegion).setTo(1);
  MetricOptions options;
  options.step = 5;  // 72 pixels: k = 0, 5, ..., 70, 72
  std::vector<Evaluation> results;
  for (int batch_size : {1, 4, 15, 16, 1000}) {
    RecordingClassifier classifier;
    options.batch_size = batch_size;
    results.push_back(Evaluate(classifier, image, map, 0, region, options));
    for (const int size : classifier.batches) EXPECT_LE(size, batch_size);
    EXPECT_EQ(results.back().model_calls, 2 * 16);
  }
  for (const Evaluation& e : results) {
    EXPECT_EQ(e.insertion.scores, results[0].insertion.scores);
    EXPECT_EQ(e.deletion.scores, results[0].deletion.scores);
    EXPECT_EQ(e.CsvValues(), results[0].CsvValues());
  }
}

INSTANTIATE_TEST_SUITE_P(Infills, CurveTest,
                         ::testing::Values(std::tuple{mask::Infill::kBlack, 5, 64},
                                           std::tuple{mask::Infill::kBlack, 5, 3},
                                           std::tuple{mask::Infill::kMean, 7, 2},
                                           std::tuple{mask::Infill::kBlur, 1, 10},
                                           std::tuple{mask::Infill::kNoise, 4, 5},
                                           std::tuple{mask::Infill::kBlack, 42, 1},
                                           std::tuple{mask::Infill::kBlack, 100, 8}));

// Inpaint: the fill of each step depends on the pixels hidden then; insertion starts (nothing
// visible) and deletion ends (everything hidden) at the model's mean colour.
TEST(MetricsTest, InpaintCurvesInpaintEachStepFromItsVisiblePixels) {
  RecordingClassifier classifier;
  const cv::Mat image = RandomImage(6, 7, 2), map = RandomMap(6, 7, 3);
  MetricOptions options;
  options.step = 5;
  options.infill = mask::Infill::kInpaint;
  const auto order = SortedIndices(map);
  const Curve insertion = InsertionCurve(classifier, image, order, 0, options);
  const Curve deletion = DeletionCurve(classifier, image, order, 0, options);
  const mask::Infiller infiller(image, mask::Infill::kInpaint, {0.2f, 0.4f, 0.6f}, image.rows, 0);
  const int n = static_cast<int>(order.size());
  size_t i = 0;
  for (int k = 0;; k = std::min(n, k + options.step), ++i) {
    cv::Mat top(image.size(), CV_8UC1, cv::Scalar(0));
    for (int j = 0; j < k; ++j) top.ptr<uchar>()[order[j]] = 255;
    cv::Mat inserted, deleted;
    infiller.ApplyHidden(255 - top, inserted);
    infiller.ApplyHidden(top, deleted);
    ASSERT_LT(i, insertion.scores.size());
    EXPECT_NEAR(insertion.scores[i], Probability(inserted), 1e-6) << k;
    EXPECT_NEAR(deletion.scores[i], Probability(deleted), 1e-6) << k;
    if (k == n) break;
  }
  EXPECT_EQ(i + 1, insertion.scores.size());
  const cv::Mat mean(image.size(), CV_32FC3, cv::Scalar(0.2, 0.4, 0.6));
  EXPECT_NEAR(insertion.scores.front(), Probability(mean), 1e-6);
  EXPECT_NEAR(deletion.scores.back(), Probability(mean), 1e-6);
}

TEST(MetricsTest, FMeasureIsTheHarmonicMeanOverK) {
  // Map 1x4 ranking pixels 3, 1, 0, 2; region = pixels {1, 2}.
  cv::Mat map = (cv::Mat_<float>(1, 4) << 0.5f, 0.7f, 0.1f, 0.9f);
  cv::Mat region = (cv::Mat_<uchar>(1, 4) << 0, 1, 1, 0);
  const FMeasure f = FMeasureCurve(RankPixels(map), region, 1);
  // k=1: P=0, R=0 -> 0; k=2: P=1/2, R=1/2 -> 1/2; k=3: P=1/3, R=1/2 -> 2/5; k=4: P=1/2, R=1 -> 2/3.
  const double harmonic[] = {0, 0.5, 0.4, 2.0 / 3};
  const double product[] = {0, 0.25, 1.0 / 6, 0.5};
  double h = 0, p = 0;
  for (int i = 0; i < 4; ++i) h += harmonic[i], p += product[i];
  EXPECT_NEAR(f.sum, h, 1e-12);
  EXPECT_NEAR(f.mean, h / 4, 1e-12);
  EXPECT_NEAR(f.product_sum, p, 1e-12);
  EXPECT_NEAR(f.product_mean, p / 4, 1e-12);
  // Step 3: k = 3 and 4 (the last k is always all pixels).
  const FMeasure coarse = FMeasureCurve(RankPixels(map), region, 3);
  EXPECT_NEAR(coarse.sum, 0.4 + 2.0 / 3, 1e-12);
  EXPECT_THROW(FMeasureCurve(RankPixels(map), cv::Mat::zeros(1, 4, CV_8U), 1), Error);
}

TEST(MetricsTest, PointingGameWithAndWithoutTolerance) {
  cv::Mat map = cv::Mat::zeros(10, 10, CV_32F);
  map.at<float>(5, 5) = 1;
  map.at<float>(0, 0) = 1;  // ties: the first maximum in row-major order, (0, 0)
  cv::Mat region = cv::Mat::zeros(10, 10, CV_8U);
  region.at<uchar>(0, 3) = 1;
  EXPECT_FALSE(PointingHit(map, region, 0));
  EXPECT_FALSE(PointingHit(map, region, 2));
  EXPECT_TRUE(PointingHit(map, region, 3));
  region.at<uchar>(0, 3) = 0;
  region.at<uchar>(2, 2) = 1;  // distance sqrt(8) = 2.83
  EXPECT_FALSE(PointingHit(map, region, 2));
  EXPECT_TRUE(PointingHit(map, region, 3));
  region.at<uchar>(0, 0) = 1;
  EXPECT_TRUE(PointingHit(map, region, 0));
}

TEST(MetricsTest, PointingToleranceStaysInTheMaximumsFrame) {
  // Two stacked frames of 5 rows: the maximum is in the last row of frame 0, the region in the
  // first row of frame 1, one row below in the stacked layout but in another frame.
  cv::Mat map = cv::Mat::zeros(10, 4, CV_32F);
  map.at<float>(4, 1) = 1;
  cv::Mat region = cv::Mat::zeros(10, 4, CV_8U);
  region.at<uchar>(5, 1) = 1;
  EXPECT_TRUE(PointingHit(map, region, 1));      // one image of 10 rows
  EXPECT_FALSE(PointingHit(map, region, 1, 2));  // a clip of two frames
  region.at<uchar>(3, 1) = 1;                    // the same frame, one row up
  EXPECT_TRUE(PointingHit(map, region, 1, 2));
}

TEST(MetricsTest, AverageDropAndGainFollowOptiCam) {
  testing::RegionClassifier classifier(kRegion, kGain, kBias);
  const cv::Mat image = RandomImage(6, 7, 4), map = RandomMap(6, 7, 5);
  double low, high;
  cv::minMaxLoc(map, &low, &high);
  cv::Mat masked = image.clone();
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 7; ++c)
      masked.at<cv::Vec3f>(r, c) *= static_cast<float>((map.at<float>(r, c) - low) / (high - low));
  const double p = Probability(image), o = Probability(masked);
  const DropGain result = AverageDropGain(classifier, image, map, 0);
  EXPECT_NEAR(result.score, p, 1e-6);
  EXPECT_NEAR(result.masked_score, o, 1e-6);
  EXPECT_NEAR(result.drop, 100 * std::max(0.0, p - o) / p, 1e-4);
  EXPECT_NEAR(result.gain, 100 * std::max(0.0, o - p) / (1 - p), 1e-4);
  // A constant map keeps the image: no drop, no gain.
  const DropGain constant = AverageDropGain(classifier, image, cv::Mat::ones(6, 7, CV_32F), 0);
  EXPECT_NEAR(constant.drop, 0, 1e-9);
  EXPECT_NEAR(constant.gain, 0, 1e-9);
  // A map that darkens the region raises the "other" class: gain for label 1.
  cv::Mat dark = cv::Mat::ones(6, 7, CV_32F);
  dark(kRegion).setTo(0);
  const DropGain other = AverageDropGain(classifier, image, dark, 1);
  cv::Mat darkened = image.clone();
  darkened(kRegion).setTo(cv::Scalar::all(0));
  // The gain is relative to the room above p, 1 - p, which is not p here (asserted).
  const double p_other = 1 - Probability(image), o_other = 1 - Probability(darkened);
  ASSERT_GT(std::abs(p_other - 0.5), 0.1);
  EXPECT_NEAR(other.gain, 100 * (o_other - p_other) / (1 - p_other), 1e-4);
  EXPECT_GT(other.gain, 0);
  EXPECT_EQ(other.drop, 0);
  // p = 1 (logit 1000 * mean >> 0): the gain is 0, not 0/0; the region blacked out gives
  // logit 0, o = 1/2, a drop of 50%.
  testing::RegionClassifier certain(kRegion, 1000.0, 0.0);
  const cv::Mat bright(6, 7, CV_32FC3, cv::Scalar::all(0.5));
  const DropGain sure = AverageDropGain(certain, bright, dark, 0);
  EXPECT_EQ(sure.score, 1.0);
  EXPECT_NEAR(sure.masked_score, 0.5, 1e-7);
  EXPECT_NEAR(sure.drop, 50.0, 1e-5);
  EXPECT_EQ(sure.gain, 0.0);
  // Min-max scaling: an affine change of the map changes nothing.
  cv::Mat scaled = map * 3.0 + 7.0;
  const DropGain affine = AverageDropGain(classifier, image, scaled, 0);
  EXPECT_NEAR(affine.drop, result.drop, 1e-3);
  EXPECT_NEAR(affine.gain, result.gain, 1e-3);
}

TEST(MetricsTest, EvaluateCombinesEverythingAndRejectsBadMaps) {
  testing::RegionClassifier classifier(kRegion, kGain, kBias);
  const cv::Mat image = RandomImage(6, 7, 6), map = RandomMap(6, 7, 7);
  cv::Mat region = cv::Mat::zeros(6, 7, CV_8U);
  region(kRegion).setTo(1);
  MetricOptions options;  // step 0: the width, 7
  const Evaluation e = Evaluate(classifier, image, map, 0, region, options);
  EXPECT_EQ(e.insertion.scores.size(), 7u);  // k = 0, 7, ..., 42
  EXPECT_EQ(e.model_calls, 2 * 7);           // the curves' 7 points each; the rest shared with them
  ASSERT_TRUE(e.f_measure && e.pointing_hit);
  EXPECT_NEAR(e.f_measure->mean, FMeasureCurve(SortedIndices(map), region, 7).mean, 1e-12);
  const auto values = e.CsvValues();
  ASSERT_EQ(values.size(), Evaluation::CsvColumns().size());
  EXPECT_EQ(std::stod(values[0]), e.insertion.auc);  // full precision
  EXPECT_EQ(values[6], *e.pointing_hit ? "1" : "0");
  const nlohmann::json json = e.ToJson();
  for (const char* key :
       {"insertion", "deletion", "insertion_sum", "deletion_sum", "f_measure", "f_measure_sum",
        "pointing_hit", "average_drop", "average_gain", "hide_top", "hide_top_score",
        "hide_top_pixels", "hide_percent", "label", "model_calls"})
    EXPECT_TRUE(json.contains(key)) << key;
  EXPECT_EQ(values.back(), fmt::format("{}", e.hide_top.change));
  EXPECT_EQ(json["hide_top_pixels"], 4);  // round(10% of 42)
  EXPECT_EQ(json["infill"], "black");
  EXPECT_EQ(json["curves"]["step"], 7);
  EXPECT_EQ(json["curves"]["insertion"].get<std::vector<double>>(), e.insertion.scores);
  EXPECT_EQ(json["curves"]["deletion"].get<std::vector<double>>(), e.deletion.scores);
  EXPECT_EQ(json["f_measure_product"].get<double>(), e.f_measure->product_mean);
  EXPECT_EQ(json["f_measure_product_sum"].get<double>(), e.f_measure->product_sum);
  // Value() answers for every numeric JSON key with the JSON's value (pointing_hit as 1/0).
  for (const auto& [key, value] : json.items()) {
    if (key == "label" || key == "model_calls" || key == "curves" || key == "infill") {
      EXPECT_THROW(e.Value(key, "--fail-below"), OptionError) << key;
      continue;
    }
    const double expected = value.is_boolean() ? value.get<bool>() : value.get<double>();
    EXPECT_EQ(e.Value(key, "--fail-below"), expected) << key;
  }
  EXPECT_EQ(e.Value("deletion", "--fail-above"), e.deletion.auc);
  EXPECT_THROW(e.Value("nope", "--fail-above"), OptionError);
  // Views into larger matrices (not continuous) give the same result.
  cv::Mat big_image = RandomImage(8, 9, 6), big_map(8, 9, CV_32F, cv::Scalar(0)),
          big_region(8, 9, CV_8U, cv::Scalar(0));
  const cv::Rect view(1, 1, 7, 6);
  image.copyTo(big_image(view));
  map.copyTo(big_map(view));
  region.copyTo(big_region(view));
  const Evaluation from_view =
      Evaluate(classifier, big_image(view), big_map(view), 0, big_region(view), options);
  EXPECT_EQ(from_view.CsvValues(), e.CsvValues());

  const Evaluation without = Evaluate(classifier, image, map, 0, cv::Mat(), options);
  EXPECT_FALSE(without.f_measure);
  EXPECT_EQ(without.CsvValues()[4], "");
  EXPECT_FALSE(without.Value("f_measure", "--fail-below"));

  cv::Mat nan = map.clone();
  nan.at<float>(1, 1) = std::nanf("");
  EXPECT_THROW(Evaluate(classifier, image, nan, 0, region, options), InputError);
  cv::Mat infinite = map.clone();
  infinite.at<float>(5, 6) = -INFINITY;
  EXPECT_THROW(Evaluate(classifier, image, infinite, 0, region, options), InputError);
  EXPECT_THROW(Evaluate(classifier, image, cv::Mat::zeros(5, 7, CV_32F), 0, region, options),
               InputError);
  EXPECT_THROW(Evaluate(classifier, image, cv::Mat::zeros(6, 7, CV_64F), 0, region, options),
               InputError);
  const long calls = classifier.model_calls();
  options.step = -1;
  EXPECT_THROW(Evaluate(classifier, image, map, 0, region, options), OptionError);
  options.step = 0;
  options.batch_size = 0;
  EXPECT_THROW(Evaluate(classifier, image, map, 0, region, options), OptionError);
  options.batch_size = 1;
  options.pointing_tolerance = -2;
  EXPECT_THROW(Evaluate(classifier, image, map, 0, region, options), OptionError);
  options.pointing_tolerance = 0;
  for (const double percent : {0.0, -5.0, 100.5, std::nan("")}) {
    options.hide_percent = percent;
    try {
      Evaluate(classifier, image, map, 0, region, options);
      ADD_FAILURE() << "accepted --hide-percent " << percent;
    } catch (const OptionError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--hide-percent: must be in (0, 100]", 0), 0)
          << e.what();
    }
  }
  EXPECT_EQ(classifier.model_calls(), calls);  // rejected before any model call
}

// EvaluateAll: several maps (of different images, labels, regions, in-fills' seeds) in one
// stream give what the metrics computed one by one give, with no image scored twice.
TEST(MetricsTest, EvaluateAllEqualsTheMetricsOneByOneAndScoresNoImageTwice) {
  RecordingClassifier classifier;
  MetricOptions options;
  options.infill = mask::Infill::kNoise;  // seeded per map
  options.batch_size = 5;
  std::vector<EvaluationInput> inputs;
  for (int i = 0; i < 3; ++i) {
    cv::Mat region = cv::Mat::zeros(6, 7, CV_8U);
    if (i != 1) region(kRegion).setTo(1);
    inputs.push_back({RandomImage(6, 7, 10 + i), RandomMap(6, 7, 20 + i), i % 2, region,
                      static_cast<std::uint64_t>(30 + i)});
  }
  inputs[1].region = cv::Mat();
  classifier.batches.clear();
  const std::vector<Evaluation> all = EvaluateAll(classifier, inputs, options);
  ASSERT_EQ(all.size(), 3u);
  int images = 0;
  for (int size : classifier.batches) {
    EXPECT_LE(size, 5);
    images += size;
  }
  EXPECT_EQ(images, 3 * 2 * 7);  // curves of 7 points: 14 images per map
  EXPECT_EQ(classifier.batches.size(), static_cast<size_t>((images + 4) / 5));  // full passes
  for (size_t i = 0; i < inputs.size(); ++i) {
    const EvaluationInput& in = inputs[i];
    MetricOptions own = options;
    own.seed = in.seed;
    const std::vector<int> order = RankPixels(in.saliency);
    const Curve insertion = InsertionCurve(classifier, in.image, order, in.label, own);
    const Curve deletion = DeletionCurve(classifier, in.image, order, in.label, own);
    const DropGain drop_gain = AverageDropGain(classifier, in.image, in.saliency, in.label);
    const HideTop hide_top = HideTopChange(classifier, in.image, order, in.label, own);
    const Evaluation& e = all[i];
    EXPECT_EQ(e.label, in.label);
    EXPECT_EQ(e.insertion.scores, insertion.scores) << i;
    EXPECT_EQ(e.deletion.scores, deletion.scores) << i;
    EXPECT_EQ(e.insertion.auc, insertion.auc);
    EXPECT_EQ(e.deletion.sum, deletion.sum);
    EXPECT_EQ(e.drop_gain.drop, drop_gain.drop);
    EXPECT_EQ(e.drop_gain.gain, drop_gain.gain);
    EXPECT_EQ(e.hide_top.change, hide_top.change);
    EXPECT_EQ(e.hide_top.pixels, hide_top.pixels);
    EXPECT_EQ(e.f_measure.has_value(), !in.region.empty());
    EXPECT_EQ(e.model_calls, 14);
    const Evaluation alone = Evaluate(classifier, in.image, in.saliency, in.label, in.region, own);
    EXPECT_EQ(alone.CsvValues(), e.CsvValues()) << i;
  }
  // A bad map is refused before any image is scored.
  inputs[2].saliency.at<float>(0, 0) = std::nanf("");
  classifier.batches.clear();
  EXPECT_THROW(EvaluateAll(classifier, inputs, options), InputError);
  EXPECT_TRUE(classifier.batches.empty());
}

// Hide-top against the fake classifier's closed form: the map is 1 on the region, 0 elsewhere,
// so its top pixels are the region's (ties in index order: row by row).
TEST(MetricsTest, HideTopIsTheScoreChangeOfHidingTheTopPixels) {
  const cv::Rect region(16, 8, 8, 8);  // 64 of 32x32 = 1024 pixels: 6.25%
  const double gain = 10, bias = -3;
  testing::RegionClassifier classifier(region, gain, bias);
  cv::Mat image(32, 32, CV_32FC3, cv::Scalar::all(0.5));
  image(region).setTo(cv::Scalar::all(0.9));
  cv::Mat map = cv::Mat::zeros(32, 32, CV_32F);
  map(region).setTo(1);
  const std::vector<int> order = RankPixels(map);
  auto sigmoid = [](double x) { return 1 / (1 + std::exp(-x)); };
  MetricOptions options;
  for (const auto& [percent, hidden_rows] : {std::pair{6.25, 8}, {3.125, 4}, {100.0, 8}}) {
    options.hide_percent = percent;
    for (const mask::Infill infill : {mask::Infill::kBlack, mask::Infill::kMean}) {
      options.infill = infill;
      const HideTop top = HideTopChange(classifier, image, order, 0, options);
      // The region's rows 0..hidden_rows-1 become the substrate (0, or the model's mean 0.5;
      // with 100% the rest of the image too, which the model does not see).
      const double fill = infill == mask::Infill::kBlack ? 0.0 : 0.5;
      const double region_mean = (hidden_rows * fill + (8 - hidden_rows) * 0.9) / 8;
      const double expected = sigmoid(gain * region_mean + bias) - sigmoid(gain * 0.9 + bias);
      EXPECT_NEAR(top.change, expected, 1e-6) << percent;
      EXPECT_NEAR(top.score, sigmoid(gain * 0.9 + bias), 1e-6);
      EXPECT_EQ(top.pixels, static_cast<int>(std::lround(percent / 100 * 1024)));
    }
  }
  options.hide_percent = 0.15;  // 1.536 pixels: rounded, not truncated
  EXPECT_EQ(HideTopChange(classifier, image, order, 0, options).pixels, 2);
  options.hide_percent = 0.01;  // rounds to 0 pixels: at least one is hidden
  EXPECT_EQ(HideTopChange(classifier, image, order, 0, options).pixels, 1);
}

}  // namespace
}  // namespace borex::metrics
