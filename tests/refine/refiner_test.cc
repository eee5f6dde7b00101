#include "borex/refine/refiner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "borex/core/error.h"
#include "borex/gp/hyperparameters.h"
#include "borex/mask/segments.h"
#include "borex/refine/field_masks.h"
#include "support/fake_classifier.h"
#include "support/golden_map.h"

namespace borex::refine {
namespace {

constexpr int kSize = 32;
const cv::Rect kRegion(16, 8, 8, 8);  // x, y, w, h: rows 8..15, cols 16..23

cv::Mat RegionImage() {
  cv::Mat image(kSize, kSize, CV_32FC3, cv::Scalar::all(0.5));
  image(kRegion).setTo(cv::Scalar::all(1.0));
  return image;
}

double Probability(testing::RegionClassifier& model, const cv::Mat& image) {
  return model::ClassScores(model.Logits({image}), 0, model::ScoreKind::kProbability)[0];
}

// Whether the map's maximum lies in the region, grown by `margin` pixels on every side.
::testing::AssertionResult MaximumInRegion(const cv::Mat& map, int margin) {
  cv::Point max_location;
  cv::minMaxLoc(map, nullptr, nullptr, nullptr, &max_location);
  const cv::Rect grown(kRegion.x - margin, kRegion.y - margin, kRegion.width + 2 * margin,
                       kRegion.height + 2 * margin);
  if (grown.contains(max_location)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "maximum at " << max_location;
}

// A flat prior of 0.1 with one peak of 3 at row 21, column 5.
cv::Mat PeakedPrior() {
  cv::Mat prior(kSize, kSize, CV_32FC1, cv::Scalar(0.1));
  prior.at<float>(21, 5) = 3.0f;
  return prior;
}

// One observation per round (the default is several): each Step() is one observation.
// The squares' GP (the default for images is the pixel field: FieldOptions below).
RefineOptions SmallOptions() {
  RefineOptions options;
  options.gp_domain = GpDomain::kMasks;
  options.acquisition_batch = 1;
  options.iterations = 12;
  options.mask_sizes = ParseMaskSizes("6,10");
  options.stride = 1;
  return options;
}

TEST(AggregateSidesTest, PointwiseWeightsAreExactlyInverseSquaredSides) {
  const std::vector<double> sides = {3.0, 5.0, 8.0};
  std::vector<cv::Mat> means;
  for (double value : {2.0, -1.0, 4.0}) means.emplace_back(4, 5, CV_32FC1, cv::Scalar(value));
  const cv::Mat map = AggregateSides(means, sides, Aggregation::kPointwise, true);
  const double expected = (2.0 / 9 - 1.0 / 25 + 4.0 / 64) / 3;
  for (int r = 0; r < map.rows; ++r)
    for (int c = 0; c < map.cols; ++c) EXPECT_NEAR(map.at<float>(r, c), expected, 1e-7);
}

TEST(AggregateSidesTest, SimpleAverageIsThePlainMean) {
  std::vector<cv::Mat> means;
  for (double value : {2.0, -1.0, 4.0}) means.emplace_back(3, 3, CV_32FC1, cv::Scalar(value));
  const cv::Mat map = AggregateSides(means, {3, 5, 8}, Aggregation::kPointwise, false);
  EXPECT_NEAR(map.at<float>(1, 1), 5.0 / 3, 1e-6);
}

TEST(AggregateSidesTest, BoxAverageMatchesBruteForceWithoutPadding) {
  cv::Mat map(9, 11, CV_32FC1);
  cv::randu(map, -1, 1);
  const double side = 5;  // box 2*2+1 = 5 wide
  const cv::Mat box = BoxAverage(map, side);
  for (int r = 0; r < map.rows; ++r)
    for (int c = 0; c < map.cols; ++c) {
      double sum = 0;
      int count = 0;
      for (int i = r - 2; i <= r + 2; ++i)
        for (int j = c - 2; j <= c + 2; ++j)
          if (i >= 0 && j >= 0 && i < map.rows && j < map.cols) {
            sum += map.at<float>(i, j);
            ++count;
          }
      EXPECT_NEAR(box.at<float>(r, c), sum / count, 1e-5) << r << "," << c;
    }
}

TEST(RefinerTest, ObservationIsFlippedMinusMaskedScore) {
  // Hidden pixels become black, or the model's mean colour (RegionClassifier: 0.5 grey).
  for (const auto& [infill, fill] : {std::pair{mask::Infill::kBlack, cv::Vec3f(0, 0, 0)},
                                     std::pair{mask::Infill::kMean, cv::Vec3f(0.5, 0.5, 0.5)}}) {
    testing::RegionClassifier model(kRegion, 20.0, -15.0);
    const cv::Mat image = RegionImage();
    RefineOptions options = SmallOptions();
    options.infill = infill;
    Refiner refiner(model, image, 0, cv::Mat(), options);
    for (int i = 0; i < 4; ++i) {
      const StepRecord step = refiner.Step().front();
      // Rebuild m and m̄ by hand: pixels whose centre lies in the square of side `side`.
      cv::Mat hidden = image.clone(), only = image.clone();
      for (int r = 0; r < kSize; ++r)
        for (int c = 0; c < kSize; ++c) {
          const bool inside = std::abs(r - step.row) <= (step.side - 1) / 2.0 + 1e-9 &&
                              std::abs(c - step.col) <= (step.side - 1) / 2.0 + 1e-9;
          const bool inside_even = r >= step.row - step.side / 2 && r < step.row + step.side / 2 &&
                                   c >= step.col - step.side / 2 && c < step.col + step.side / 2;
          const bool in_square = static_cast<int>(step.side) % 2 == 1 ? inside : inside_even;
          (in_square ? hidden : only).at<cv::Vec3f>(r, c) = fill;
        }
      EXPECT_NEAR(step.score_masked, Probability(model, hidden), 1e-6) << mask::InfillName(infill);
      EXPECT_NEAR(step.score_reference, Probability(model, only), 1e-6) << mask::InfillName(infill);
      EXPECT_NEAR(step.observation, step.score_reference - step.score_masked, 1e-12);
    }
  }
}

TEST(RefinerTest, AlgorithmOneObservesDropFromTheUnmaskedImage) {
  testing::RegionClassifier model(kRegion);
  const cv::Mat image = RegionImage();
  const RefineOptions options = SmallOptions().Algorithm1();
  Refiner refiner(model, image, 0, cv::Mat(), options);
  const StepRecord step = refiner.Step().front();
  EXPECT_NEAR(step.score_reference, Probability(model, image), 1e-6);
  EXPECT_NEAR(step.observation, step.score_reference - step.score_masked, 1e-12);
  // One call for M(i) and one for the step (no flip), plus the test's own Probability() call.
  EXPECT_EQ(model.model_calls(), 1 + 1 + 1);
}

// Bug: the refiner ignored `algorithm` (only the CLI applied it), so a library caller who set it
// got Algorithm 2. Now Algorithm 1 is what the fields say, and a contradiction is refused.
TEST(RefinerTest, AlgorithmOneAloneIsRefusedNotSilentlyAlgorithmTwo) {
  testing::RegionClassifier model(kRegion);
  RefineOptions options = SmallOptions();
  options.algorithm = Algorithm::kMokuwe;
  try {
    RunRefinement(model, RegionImage(), 0, cv::Mat(), options);
    ADD_FAILURE() << "mokuwe with the flip ran";
  } catch (const OptionError& e) {
    EXPECT_NE(
        std::string(e.what()).find("--algorithm: mokuwe (Algorithm 1) has no flip (--no-flip)"),
        std::string::npos)
        << e.what();
  }
  EXPECT_EQ(model.model_calls(), 0);
  options = options.Algorithm1();
  options.aggregation = Aggregation::kBox;
  EXPECT_THROW(options.CheckSettings(), OptionError);
  EXPECT_NO_THROW(SmallOptions().Algorithm1().CheckSettings());
}

TEST(RefinerTest, BorexBatchesMaskAndFlipTwoCallsPerStep) {
  testing::RegionClassifier model(kRegion);
  const RefineResult result = RunRefinement(model, RegionImage(), 0, cv::Mat(), SmallOptions());
  EXPECT_EQ(result.model_calls, 2 * 12);
  EXPECT_EQ(result.iterations, 12);
}

TEST(RefinerTest, PriorIsScaledToMeanAbsoluteValueAndIsTheInitialMean) {
  testing::RegionClassifier model(kRegion);
  cv::Mat prior(kSize, kSize, CV_32FC1);
  cv::randu(prior, -2, 3);
  RefineOptions options = SmallOptions();
  options.prior_mean = PriorMean::kFixed;  // the paper's: μ starts at i0 itself
  Refiner refiner(model, RegionImage(), 0, prior, options);
  const cv::Mat mean = refiner.PosteriorMeanForSide(0);  // no observation yet
  EXPECT_NEAR(cv::mean(cv::abs(mean))[0], 0.1, 1e-5);
  const double scale = 0.1 / cv::mean(cv::abs(prior))[0];
  EXPECT_NEAR(mean.at<float>(3, 7), prior.at<float>(3, 7) * scale, 1e-5);
}

TEST(RefinerTest, FirstQueryIsThePriorsMaximumWithTheSmallestMask) {
  testing::RegionClassifier model(kRegion);
  const cv::Mat prior = PeakedPrior();
  RefineOptions options = SmallOptions();
  options.mask_sizes = ParseMaskSizes("10,6,8");  // the smallest is not first
  Refiner refiner(model, RegionImage(), 0, prior, options);
  const StepRecord step = refiner.Step().front();
  EXPECT_EQ(step.side, 6.0);
  EXPECT_EQ(step.row, 21.0);
  EXPECT_EQ(step.col, 5.0);
}

TEST(RefinerTest, TheFirstQuerysAcquisitionIsItsMeanPlusKappaSigma) {
  testing::RegionClassifier model(kRegion);
  const cv::Mat prior = PeakedPrior();
  RefineOptions options = SmallOptions();
  options.prior_mean = PriorMean::kFixed;
  options.signal_variance = 4.0;  // σ = 2 before any observation
  options.kappa = 2.0;
  Refiner refiner(model, RegionImage(), 0, prior, options);
  const StepRecord step = refiner.Step().front();
  const double scale = 0.1 / cv::mean(cv::abs(prior))[0];
  EXPECT_NEAR(step.acquisition, 3.0 * scale + 2.0 * 2.0, 1e-5);
}

TEST(RefinerTest, SquashedObservationIsTanhOfHalfTheGainTimesTheFlip) {
  testing::RegionClassifier model(kRegion);
  RefineOptions options = SmallOptions();
  options.squash = 10;
  Refiner refiner(model, RegionImage(), 0, cv::Mat(), options);
  for (int i = 0; i < 3; ++i) {
    const StepRecord step = refiner.Step().front();
    // 2(σ(g·s) − 1/2) with the logistic σ, the code's form.
    const double s = step.score_reference - step.score_masked;
    EXPECT_NEAR(step.observation, 2 * (1 / (1 + std::exp(-10 * s)) - 0.5), 1e-12) << i;
  }
}

TEST(RefinerTest, AFixedMeansGpModelsTheResidualAndTheMapAggregatesItsSides) {
  testing::RegionClassifier model(kRegion);
  const cv::Mat prior = PeakedPrior();
  RefineOptions options = SmallOptions();
  options.prior_mean = PriorMean::kFixed;
  options.fit_signal_variance = false;
  options.iterations = 1;
  Refiner refiner(model, RegionImage(), 0, prior, options);
  const StepRecord step = refiner.Step().front();
  ASSERT_EQ(step.side, 6.0);  // side index 0
  // One observation y of the residual at x: the mean there is m + σf²/(σf² + σn²)·(y − m).
  const double s = options.signal_variance, n = options.NoiseVariance(), m = step.prior_at_point;
  const cv::Mat mean = refiner.PosteriorMeanForSide(0);
  EXPECT_NEAR(mean.at<float>(static_cast<int>(step.row), static_cast<int>(step.col)),
              m + s / (s + n) * (step.observation - m), 1e-5);
  const std::vector<cv::Mat> means = {refiner.PosteriorMeanForSide(0),
                                      refiner.PosteriorMeanForSide(1)};
  const cv::Mat expected = AggregateSides(means, options.SidePixels(kSize, kSize),
                                          options.aggregation, options.weighted_average);
  EXPECT_LT(cv::norm(refiner.Finish().map, expected, cv::NORM_INF), 1e-5);
}

TEST(RefinerTest, FindsTheRegionWithoutAPrior) {
  // Logit 20·brightness − 15: the region's own brightness (1) gives p = 0.993, the in-fill's
  // grey (0.5) p = 0.007, so hiding the region moves the score with either in-fill.
  testing::RegionClassifier model(kRegion, 20.0, -15.0);
  RefineOptions options = SmallOptions();
  options.iterations = 30;
  options.kappa = 2.0;
  const RefineResult result = RunRefinement(model, RegionImage(), 0, cv::Mat(), options);
  cv::Mat outside_mask(kSize, kSize, CV_8U, cv::Scalar(255));
  outside_mask(kRegion).setTo(0);
  const double inside = cv::mean(result.map(kRegion))[0];
  const double outside = cv::mean(result.map, outside_mask)[0];
  EXPECT_GT(inside, outside + 1e-4) << inside << " vs " << outside;
  EXPECT_TRUE(MaximumInRegion(result.map, 2));
}

TEST(RefinerTest, SameSeedSameMapBitForBit) {
  for (uint64_t seed : {1u, 7u}) {
    RefineOptions options = SmallOptions();
    options.jitter = 1.0;
    options.seed = seed;
    testing::RegionClassifier model_a(kRegion), model_b(kRegion);
    const cv::Mat a = RunRefinement(model_a, RegionImage(), 0, cv::Mat(), options).map;
    const cv::Mat b = RunRefinement(model_b, RegionImage(), 0, cv::Mat(), options).map;
    EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0.0);
  }
}

TEST(RefinerTest, JitterChangesTheGpPointButNotTheMask) {
  testing::RegionClassifier model(kRegion);
  RefineOptions options = SmallOptions();
  options.jitter = 1.0;
  const RefineResult result = RunRefinement(model, RegionImage(), 0, cv::Mat(), options);
  int moved = 0;
  for (const StepRecord& step : result.steps) {
    EXPECT_EQ(step.row, std::round(step.row));
    moved += step.gp_row != step.row;
  }
  EXPECT_GT(moved, 0);
}

TEST(RefinerTest, HyperoptKeepsLengthScalesWithinTheScaledBounds) {
  testing::RegionClassifier model(kRegion, 10.0, -5.0);
  RefineOptions options = SmallOptions();
  options.hyperopt = true;
  const RefineResult result = RunRefinement(model, RegionImage(), 0, cv::Mat(), options);
  const auto [lower, upper] = options.LengthScaleBounds(kSize, kSize);
  EXPECT_NEAR(upper[2], 2 * 20.0 * kSize / 224, 1e-12);
  bool changed = false;
  for (const StepRecord& step : result.steps) {
    EXPECT_TRUE((step.length_scales.array() >= lower.array() - 1e-9).all());
    EXPECT_TRUE((step.length_scales.array() <= upper.array() + 1e-9).all());
    changed |= (step.length_scales - result.steps.front().length_scales).norm() > 1e-6 ||
               std::abs(step.length_scales[0] - options.PositionLengthScale(kSize, kSize)) > 1e-6;
  }
  EXPECT_TRUE(changed);
}

TEST(RefineOptionsTest, RejectsBadValuesWithTheOptionName) {
  RefineOptions options = SmallOptions();
  options.iterations = 0;
  try {
    options.Check(kSize, kSize);
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("--iterations"), std::string::npos);
  }
  options = SmallOptions();
  options.mask_sizes = ParseMaskSizes("40");
  EXPECT_THROW(options.Check(kSize, kSize), OptionError);
  // Bug: a stride that leaves no square centre failed an internal check in the field.
  options = SmallOptions();
  options.stride = 2 * kSize - 1;  // one centre, at kSize - 1
  EXPECT_NO_THROW(options.Check(kSize, kSize));
  options.stride = 2 * kSize;
  try {
    options.Check(kSize, kSize);
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(
                  "--stride: " + std::to_string(2 * kSize) + " px leaves no square centre", 0),
              0u)
        << e.what();
  }
  EXPECT_THROW(ParseMaskSizes("0.2,abc"), OptionError);
  EXPECT_THROW(ParseMaskSizes("-3"), OptionError);
  const auto sizes = ParseMaskSizes("0.25,60px,90");
  ASSERT_EQ(sizes.size(), 3u);
  EXPECT_FALSE(sizes[0].pixels);
  EXPECT_TRUE(sizes[1].pixels);
  EXPECT_TRUE(sizes[2].pixels);
  EXPECT_DOUBLE_EQ(sizes[0].SidePixels(224), 56.0);
}

// Every setting of the image defaults, as docs/algorithm.md's rounds chose them (the presets
// table): a default that changes must change here too, on purpose.
TEST(RefineOptionsTest, TheKrigingDefaultsAreTheOnesTheRoundsChose) {
  const nlohmann::json expected = nlohmann::json::parse(R"({
    "preset": "kriging", "algorithm": "borex", "iterations": 50, "acquisition_batch": 4,
    "mask_sizes": "0.267857,0.401786,0.535714,0.669643", "stride": 2, "kernel": "matern32",
    "length_scale_position": 0.0, "length_scale_size": 0.0, "noise_variance": 0.3,
    "signal_variance": 1.0, "kappa": 10.0, "score": "prob", "infill": "mean",
    "prior_mean_abs": 0.1, "prior_mean": "fitted", "prior_basis": "average",
    "prior_coefficient_sd": 10.0, "prior_offset_sd": 1.0, "nonnegative_prior_coefficient": false,
    "fit_signal_variance": true, "fit_length_scale": false, "fit_noise_variance": false,
    "fit_prior_coefficient_sd": true, "average_hyperparameters": true,
    "flip": true, "weighted_average": true, "use_prior": true, "aggregation": "box",
    "squash": 0.0, "hyperopt": false, "hyperopt_tolerance": 0.0, "jitter": 0.0,
    "gp_over": "pixels", "prior_level_sets": [0.05, 0.1, 0.2, 0.4],
    "posterior_level_sets": [0.05, 0.1, 0.2, 0.4], "level_set_segments": 300.0,
    "map_segment_weight": 0.0, "map_segment_form": "none", "deviation_floors": [],
    "rise_observations": "regions", "rise_observation_limit": 100,
    "fit_rise_observation_noise": false, "seed": 0})");
  EXPECT_EQ(RefineOptions().ToJson(), expected);
}

TEST(RefineOptionsTest, SquareSidesAreTheirShareOfTheShorterSideRoundedToPixels) {
  // 60, 90, 120 and 150 of 224 at 128 px: 34.29, 51.43, 68.57 and 85.71 px.
  EXPECT_EQ(RefineOptions().SidePixels(128, 160), (std::vector<double>{34, 51, 69, 86}));
  RefineOptions tiny;
  tiny.mask_sizes = ParseMaskSizes("0.01");
  EXPECT_EQ(tiny.SidePixels(32, 32), std::vector<double>{1});  // never below one pixel
}

TEST(RefineOptionsTest, ASquareLargerThanTheShorterSideIsRefused) {
  RefineOptions options;
  options.mask_sizes = ParseMaskSizes("50px");
  EXPECT_NO_THROW(options.Check(50, 100));
  try {
    options.Check(40, 100);
    FAIL() << "a 50 px square in a 100x40 image";
  } catch (const OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("--mask-sizes"), std::string::npos) << e.what();
  }
}

TEST(RefineOptionsTest, PresetsAreThePaperTheCodeAndTheKrigingDefaults) {
  const RefineOptions defaults;
  EXPECT_EQ(defaults.preset, "kriging");
  EXPECT_EQ(defaults.Domain(), GpDomain::kPixels);   // an image
  EXPECT_EQ(defaults.Domain(16), GpDomain::kMasks);  // a clip
  EXPECT_EQ(defaults.NoiseVariance(), 0.3);
  EXPECT_EQ(defaults.NoiseVariance(16), 0.01);
  EXPECT_EQ(defaults.prior_level_sets, (std::vector<double>{0.05, 0.1, 0.2, 0.4}));
  EXPECT_EQ(defaults.prior_mean, PriorMean::kFitted);
  EXPECT_TRUE(defaults.fit_signal_variance);
  EXPECT_FALSE(defaults.fit_length_scale);
  EXPECT_TRUE(defaults.fit_prior_coefficient_sd);
  EXPECT_TRUE(defaults.average_hyperparameters);
  EXPECT_EQ(defaults.infill, mask::Infill::kMean);
  // The final map's fits act on the pixel field only: a clip's settings record them off.
  EXPECT_EQ(defaults.ToJson()["average_hyperparameters"], true);
  EXPECT_EQ(defaults.ToJson(/*video=*/true)["average_hyperparameters"], false);
  EXPECT_EQ(defaults.ToJson(/*video=*/true)["fit_prior_coefficient_sd"], false);
  const RefineOptions paper = RefineOptions::FromPreset("paper");
  EXPECT_EQ(paper.preset, "paper");
  EXPECT_EQ(paper.prior_mean, PriorMean::kFixed);
  EXPECT_FALSE(paper.fit_signal_variance);
  EXPECT_EQ(paper.aggregation, Aggregation::kPointwise);
  EXPECT_EQ(paper.kappa, 10.0);
  EXPECT_EQ(paper.stride, 2);
  EXPECT_EQ(paper.squash, 0.0);
  EXPECT_FALSE(paper.hyperopt);
  EXPECT_EQ(paper.infill, mask::Infill::kBlack);
  EXPECT_EQ(paper.Domain(), GpDomain::kMasks);
  EXPECT_EQ(paper.NoiseVariance(), 0.01);
  EXPECT_TRUE(paper.prior_level_sets.empty());
  EXPECT_TRUE(paper.posterior_level_sets.empty());
  EXPECT_EQ(paper.level_set_segments, 0.0);
  EXPECT_EQ(paper.map_segment_weight, 0.0);
  EXPECT_FALSE(paper.fit_prior_coefficient_sd);
  EXPECT_FALSE(paper.average_hyperparameters);
  const RefineOptions code = RefineOptions::FromPreset("code");
  EXPECT_EQ(code.preset, "code");
  EXPECT_EQ(code.prior_mean, PriorMean::kFixed);
  EXPECT_EQ(code.stride, 1);
  EXPECT_EQ(code.aggregation, Aggregation::kBox);
  EXPECT_EQ(code.squash, 10.0);
  EXPECT_TRUE(code.hyperopt);
  EXPECT_EQ(code.infill, mask::Infill::kMean);
  EXPECT_EQ(code.jitter, 1.0);
  EXPECT_EQ(RefineOptions::FromPreset("kriging").ToJson(), defaults.ToJson());
  try {
    RefineOptions::FromPreset("papers");
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("--preset"), std::string::npos);
  }
  EXPECT_EQ(ParsePriorMean("fixed"), PriorMean::kFixed);
  EXPECT_THROW(ParsePriorMean("kriged"), OptionError);
  // The prior's coefficient's prior std: positive and finite, named by its own option.
  for (const double sd : {0.0, -1.0, std::numeric_limits<double>::infinity()}) {
    RefineOptions bad = defaults;
    bad.prior_coefficient_sd = sd;
    try {
      bad.CheckSettings();
      FAIL() << sd;
    } catch (const OptionError& e) {
      EXPECT_NE(std::string(e.what()).find("--prior-coefficient-sd"), std::string::npos) << sd;
    }
  }
  // Algorithm 1 as published: no prior, and a zero mean without a fit.
  const RefineOptions mokuwe = RefineOptions::Mokuwe();
  EXPECT_EQ(mokuwe.algorithm, Algorithm::kMokuwe);
  EXPECT_EQ(mokuwe.preset, "mokuwe");
  EXPECT_EQ(RefineOptions::FromPreset("mokuwe").ToJson(), mokuwe.ToJson());
  EXPECT_EQ(mokuwe.prior_mean, PriorMean::kFixed);
  EXPECT_FALSE(mokuwe.fit_signal_variance);
  EXPECT_EQ(mokuwe.aggregation, Aggregation::kPointwise);
  EXPECT_FALSE(mokuwe.weighted_average);
  EXPECT_EQ(mokuwe.infill, mask::Infill::kBlack);
  // Algorithm 1 of the defaults (batch's mokuwe method): the squares' GP, not the field.
  EXPECT_EQ(defaults.Algorithm1().Domain(), GpDomain::kMasks);
  EXPECT_NO_THROW(defaults.Algorithm1().Check(kSize, kSize));
}

TEST(RefinerTest, FittedMeanStartsAtThePriorAveragedOverEachMask) {
  testing::RegionClassifier model(kRegion);
  cv::Mat prior(kSize, kSize, CV_32FC1);
  cv::randu(prior, 0, 3);
  RefineOptions options = SmallOptions();
  ASSERT_EQ(options.prior_mean, PriorMean::kFitted);
  Refiner refiner(model, RegionImage(), 0, prior, options);
  const double scale = 0.1 / cv::mean(cv::abs(prior))[0];
  // No observation: a = 1 and b = 0 (their prior means), so μ(·, r) = ī0(·, r).
  for (int side_index : {0, 1}) {
    const cv::Mat mean = refiner.PosteriorMeanForSide(side_index);
    const cv::Mat expected = BoxAverage(prior * scale, side_index == 0 ? 6 : 10);
    EXPECT_LT(cv::norm(mean, expected, cv::NORM_INF), 1e-5) << side_index;
  }
  // The mass basis: the sum over the square, in units of the smallest square's area (6²).
  options.prior_basis = PriorBasis::kMaskMass;
  Refiner mass(model, RegionImage(), 0, prior, options);
  for (int side_index : {0, 1}) {
    const cv::Mat expected = BoxSum(prior * scale, side_index == 0 ? 6 : 10) / 36.0;
    EXPECT_LT(cv::norm(mass.PosteriorMeanForSide(side_index), expected, cv::NORM_INF), 1e-5)
        << side_index;
  }
}

TEST(RefinerTest, FittedMeanKeepsAGoodPriorAndItsCoefficientIsPositive) {
  // A prior on the region the model reads: the refined map keeps its maximum there, and the
  // observations give the prior a positive weight.
  testing::RegionClassifier model(kRegion);
  cv::Mat prior(kSize, kSize, CV_32FC1, cv::Scalar(0));
  prior(kRegion).setTo(1.0);
  cv::GaussianBlur(prior, prior, cv::Size(5, 5), 1.5);
  RefineOptions options = SmallOptions();
  options.iterations = 20;
  const RefineResult result = RunRefinement(model, RegionImage(), 0, prior, options);
  EXPECT_GT(result.prior_coefficient, 0.0);
  EXPECT_GT(result.signal_variance, 0.0);
  EXPECT_TRUE(MaximumInRegion(result.map, 0));
  const double inside = cv::mean(result.map(kRegion))[0];
  cv::Mat outside_mask(kSize, kSize, CV_8U, cv::Scalar(255));
  outside_mask(kRegion).setTo(0);
  EXPECT_GT(inside, cv::mean(result.map, outside_mask)[0]);
}

TEST(RefinerTest, AnInvertedPriorGetsCoefficientZeroNotANegativeOne) {
  // A prior high everywhere but on the region the model reads: unbounded (the default), the
  // observations give it a negative coefficient and the map holds the prior upside down; with
  // the bound a = 0, the map is the observations' alone and ranks the region first.
  testing::RegionClassifier model(kRegion);
  cv::Mat prior(kSize, kSize, CV_32FC1, cv::Scalar(1));
  prior(kRegion).setTo(0.0);
  RefineOptions options = SmallOptions();
  options.iterations = 20;
  ASSERT_FALSE(options.nonnegative_prior_coefficient);
  const RefineResult unbounded = RunRefinement(model, RegionImage(), 0, prior, options);
  options.nonnegative_prior_coefficient = true;
  const RefineResult bounded = RunRefinement(model, RegionImage(), 0, prior, options);
  EXPECT_LT(unbounded.prior_coefficient, 0.0);
  EXPECT_EQ(bounded.prior_coefficient, 0.0);
  EXPECT_TRUE(MaximumInRegion(bounded.map, 0));
}

// The bound is on the prior's coefficient: without a prior, the offset b, the basis' only
// coefficient, is free to be negative (what a mask over nothing scores with the flip).
TEST(RefinerTest, WithoutAPriorTheBoundLeavesTheOffsetFree) {
  testing::RegionClassifier model(kRegion);
  RefineOptions options = SmallOptions();
  const RefineResult free = RunRefinement(model, RegionImage(), 0, cv::Mat(), options);
  options.nonnegative_prior_coefficient = true;
  const RefineResult bounded = RunRefinement(model, RegionImage(), 0, cv::Mat(), options);
  EXPECT_LT(free.prior_offset, 0.0);
  EXPECT_EQ(bounded.prior_offset, free.prior_offset);
  EXPECT_EQ(cv::norm(bounded.map, free.map, cv::NORM_INF), 0.0);
}

// Without a prior the fitted mean is the offset b ~ N(0, S²) alone: after one observation y at
// x, the posterior mean of b + g(x) is (S² + σf²)/(S² + σf² + σn²)·y, b included.
TEST(RefinerTest, WithoutAPriorThePosteriorMeanIncludesTheFittedOffset) {
  testing::RegionClassifier model(kRegion);
  RefineOptions options = SmallOptions();
  options.prior_offset_sd = 2.0;
  Refiner refiner(model, RegionImage(), 0, cv::Mat(), options);
  const StepRecord step = refiner.Step().front();
  const double s2 = options.prior_offset_sd * options.prior_offset_sd, f2 = options.signal_variance,
               n2 = options.NoiseVariance();
  const int side_index = step.side == options.SidePixels(kSize, kSize)[0] ? 0 : 1;
  EXPECT_NEAR(refiner.PosteriorMeanForSide(side_index)
                  .at<float>(static_cast<int>(step.row), static_cast<int>(step.col)),
              (s2 + f2) / (s2 + f2 + n2) * step.observation, 1e-5);
}

TEST(RefinerTest, FittedMeanMapIsTheAggregatedKrigingPlusTheFittedPriorPerPixel) {
  // Without the σf² fit: map − Agg_r(μ(·, r) − a·ī0(·, r) − b) must be gain·a·i0, with μ from
  // PosteriorMeanForSide; gain = Σ_r w_r / p for the pointwise 1/r² average, 1 for the box
  // average (the baseline b is left out; the prior's part is not smoothed).
  for (const Aggregation aggregation : {Aggregation::kPointwise, Aggregation::kBox}) {
    testing::RegionClassifier model(kRegion);
    cv::Mat prior(kSize, kSize, CV_32FC1);
    cv::randu(prior, 0, 1);
    RefineOptions options = SmallOptions();
    options.fit_signal_variance = false;
    options.aggregation = aggregation;
    Refiner refiner(model, RegionImage(), 0, prior, options);
    while (!refiner.done()) refiner.Step();
    const RefineResult result = refiner.Finish();
    const double scale = 0.1 / cv::mean(cv::abs(prior))[0];
    const double a = result.prior_coefficient, b = result.prior_offset;
    const std::vector<double> sides = {6, 10};
    std::vector<cv::Mat> kriging;
    kriging.reserve(sides.size());
    for (int i = 0; i < 2; ++i)
      kriging.push_back(refiner.PosteriorMeanForSide(i) - a * BoxAverage(prior * scale, sides[i]) -
                        b);
    const double gain = aggregation == Aggregation::kPointwise ? (1.0 / 36 + 1.0 / 100) / 2 : 1.0;
    const cv::Mat expected =
        AggregateSides(kriging, sides, aggregation, true) + gain * a * prior * scale;
    EXPECT_LT(cv::norm(result.map, expected, cv::NORM_INF), 1e-5 * cv::norm(expected, cv::NORM_INF))
        << AggregationName(aggregation);
  }
}

cv::Mat GoldenPrior() {
  cv::Mat prior(kSize, kSize, CV_32FC1);
  for (int r = 0; r < kSize; ++r)
    for (int c = 0; c < kSize; ++c)
      prior.at<float>(r, c) = static_cast<float>(
          std::exp(-((r - 10) * (r - 10) + (c - 14) * (c - 14)) / 40.0) + 0.01 * c);
  return prior;
}

TEST(RefinerTest, LengthScaleFitIsTheGridsLikelihoodMaximumOverTheObservations) {
  // The final map's length-scale factor must be the grid's maximum of the marginal likelihood
  // of the observations under the fitted mean, recomputed here from the trace alone: points
  // (row, col, side), values s, basis (ī0 at the mask, 1), coefficients' prior N((1, 0),
  // diag(sd_a², sd_b²)). A factor other than 1 must change the map.
  testing::RegionClassifier model(kRegion);
  const cv::Mat prior = GoldenPrior();
  RefineOptions options = SmallOptions();
  options.iterations = 20;
  options.fit_signal_variance = false;
  options.fit_length_scale = true;
  const RefineResult result = RunRefinement(model, RegionImage(), 0, prior, options);

  const Eigen::Index n = static_cast<Eigen::Index>(result.steps.size());
  Eigen::MatrixXd points(3, n), basis(n, 2);
  Eigen::VectorXd values(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const StepRecord& step = result.steps[static_cast<size_t>(i)];
    points.col(i) << step.gp_row, step.gp_col, step.gp_side;
    values[i] = step.observation;
    basis.row(i) << step.prior_at_point, 1.0;
  }
  const Eigen::Vector3d scales(options.PositionLengthScale(kSize, kSize),
                               options.PositionLengthScale(kSize, kSize),
                               options.SizeLengthScale(kSize, kSize));
  double best_factor = 0, best_likelihood = -1e300;
  for (double factor : gp::LengthScaleFactorGrid()) {
    gp::CandidateGp probe(gp::MaternKernel(options.kernel, scales * factor, 1.0),
                          Eigen::MatrixXf(3, 0), options.NoiseVariance());
    probe.SetMeanBasis(Eigen::MatrixXf(0, 2), Eigen::Vector2d(1.0, 0.0),
                       Eigen::Vector2d(options.prior_coefficient_sd * options.prior_coefficient_sd,
                                       options.prior_offset_sd * options.prior_offset_sd));
    probe.SetObservations(points, values, basis);
    if (probe.LogMarginalLikelihood() > best_likelihood) {
      best_likelihood = probe.LogMarginalLikelihood();
      best_factor = factor;
    }
  }
  EXPECT_NEAR(result.length_scale_factor, best_factor, 1e-12);
  EXPECT_EQ(result.signal_variance, 1.0);  // σf² kept: only the factor was fitted

  options.fit_length_scale = false;
  const RefineResult unfitted = RunRefinement(model, RegionImage(), 0, prior, options);
  EXPECT_EQ(unfitted.length_scale_factor, 1.0);
  if (best_factor != 1.0) EXPECT_GT(cv::norm(result.map, unfitted.map, cv::NORM_INF), 1e-6);
}

RefineOptions GoldenOptions(const std::string& preset) {
  RefineOptions options = RefineOptions::FromPreset(preset);
  // The kriging maps were written before the pixel field became the images' default.
  if (preset == "kriging") options.gp_domain = GpDomain::kMasks;
  options.iterations = 12;
  options.mask_sizes = ParseMaskSizes("6,10");
  options.stride = 1;
  options.seed = 3;
  return options;
}

// tests/data/refine/sequential_<preset>.npy were written by the refiner before batch acquisition
// existed (commit c1d514e, the same inputs): one observation per round must still give them (bit
// for bit on the machine that wrote them; testing::kGoldenMapTolerance says why not closer).
TEST(RefinerTest, OneObservationPerRoundGivesTheSequentialMaps) {
  for (const std::string preset : {"kriging", "paper", "code", "mokuwe"}) {
    RefineOptions options = GoldenOptions(preset);
    options.acquisition_batch = 1;
    // The kriging map was written before the defaults' in-fill became the mean colour.
    if (preset == "kriging") options.infill = mask::Infill::kBlack;
    testing::RegionClassifier model(kRegion);
    const cv::Mat map = RunRefinement(model, RegionImage(), 0, GoldenPrior(), options).map;
    testing::ExpectStoredMap(
        map, std::string(BOREX_SOURCE_DIR) + "/tests/data/refine/sequential_" + preset + ".npy",
        preset);
  }
}

// The code preset (δ = 0) skips the rebuild over the candidates whenever the fit returns the
// current length scales bit for bit (CandidateGp::SetKernel), and claims that this is exact: the
// golden map was written by the refiner that rebuilt after every fit (compared as
// testing::ExpectStoredMap does). The case must exercise the skip (scales repeated from one step
// to the next).
TEST(RefinerTest, HyperoptSkippingUnchangedKernelsGivesTheRefitEveryStepMap) {
  const RefineOptions options = GoldenOptions("code");
  EXPECT_EQ(options.hyperopt_tolerance, 0.0);
  testing::RegionClassifier model(kRegion);
  const RefineResult result = RunRefinement(model, RegionImage(), 0, GoldenPrior(), options);
  int repeated = 0;
  for (size_t i = 1; i < result.steps.size(); ++i)
    repeated += result.steps[i].length_scales == result.steps[i - 1].length_scales;
  EXPECT_GT(repeated, 0);
  testing::ExpectStoredMap(
      result.map, std::string(BOREX_SOURCE_DIR) + "/tests/data/refine/sequential_code.npy", "code");
}

// δ > 0 keeps the current scales unless a fit gains more than δ nats: an infinite δ never
// changes the kernel, which is exactly the search without --hyperopt; with a finite one, every
// change of scales gains more than δ on the data of its step.
TEST(RefinerTest, HyperoptToleranceKeepsTheScalesUnlessTheFitGainsMoreThanIt) {
  const auto run = [](bool hyperopt, double tolerance) {
    RefineOptions options = GoldenOptions("code");
    options.hyperopt = hyperopt;
    options.hyperopt_tolerance = tolerance;
    testing::RegionClassifier model(kRegion, 10.0, -5.0);
    return RunRefinement(model, RegionImage(), 0, GoldenPrior(), options);
  };
  const RefineResult off = run(false, 0), never = run(true, 1e300);
  EXPECT_EQ(cv::norm(never.map, off.map, cv::NORM_INF), 0.0);
  for (const StepRecord& step : never.steps)
    EXPECT_EQ(step.length_scales, off.steps.front().length_scales);

  constexpr double kTolerance = 0.05;
  const RefineResult some = run(true, kTolerance);
  const RefineOptions options = GoldenOptions("code");
  Eigen::VectorXd previous = off.steps.front().length_scales;
  int changes = 0;
  for (size_t i = 0; i < some.steps.size(); ++i) {
    const StepRecord& step = some.steps[i];
    if (step.length_scales == previous) continue;
    ++changes;
    // The GP's data after step i: the jittered points and s − i0 (the fixed prior mean).
    const auto n = static_cast<Eigen::Index>(i + 1);
    Eigen::MatrixXd points(3, n);
    Eigen::VectorXd values(n);
    for (Eigen::Index j = 0; j < n; ++j) {
      const StepRecord& seen = some.steps[static_cast<size_t>(j)];
      points.col(j) << seen.gp_row, seen.gp_col, seen.gp_side;
      values[j] = seen.observation - seen.prior_at_point;
    }
    const auto likelihood = [&](const Eigen::VectorXd& scales) {
      return gp::LogMarginalLikelihood(gp::MaternKernel(options.kernel, scales), points, values,
                                       options.NoiseVariance());
    };
    EXPECT_GT(likelihood(step.length_scales) - likelihood(previous), kTolerance) << i;
    previous = step.length_scales;
  }
  EXPECT_GT(changes, 0);
  RefineOptions bad = GoldenOptions("code");
  bad.hyperopt_tolerance = -1;
  EXPECT_THROW(bad.CheckSettings(), OptionError);
}

TEST(RefinerTest, AcquisitionBatchScoresEachRoundInOneForwardPassAndCountsObservations) {
  testing::BatchRecordingClassifier model(kRegion);
  RefineOptions options = SmallOptions();
  options.acquisition_batch = 5;  // 12 observations: rounds of 5, 5 and 2
  Refiner refiner(model, RegionImage(), 0, GoldenPrior(), options);
  std::vector<size_t> round_sizes;
  while (!refiner.done()) round_sizes.push_back(refiner.Step().size());
  EXPECT_EQ(round_sizes, (std::vector<size_t>{5, 5, 2}));
  EXPECT_EQ(model.batch_sizes, (std::vector<int>{10, 10, 4}));
  const RefineResult result = refiner.Finish();
  EXPECT_EQ(result.iterations, 12);
  EXPECT_EQ(result.model_calls, 24);
  // The pending points push the round's later choices away from the earlier ones.
  for (size_t round = 0; round < 2; ++round)
    for (size_t i = 0; i < 5; ++i)
      for (size_t j = 0; j < i; ++j) {
        const StepRecord& a = result.steps[round * 5 + i];
        const StepRecord& b = result.steps[round * 5 + j];
        EXPECT_FALSE(a.row == b.row && a.col == b.col && a.side == b.side)
            << "round " << round << " repeats a mask";
      }
}

// --max-gp-memory counts the fitted mean's per-candidate arrays: a bound between the estimate
// without them and the one with them refuses the fitted mean and admits the paper's fixed one.
TEST(RefinerTest, MemoryBoundCountsTheFittedMeansArrays) {
  testing::RegionClassifier model(kRegion);
  cv::Mat prior(kSize, kSize, CV_32FC1);
  cv::randu(prior, 0, 1);
  RefineOptions options = SmallOptions();
  const long candidates = 2L * kSize * kSize;  // stride 1, two sides
  const double without = GpBytes(candidates, 3, options.iterations) / (1024.0 * 1024.0);
  const double with = GpBytes(candidates, 3, options.iterations, 2) / (1024.0 * 1024.0);
  options.max_gp_megabytes = (without + with) / 2;
  EXPECT_THROW(Refiner(model, RegionImage(), 0, prior, options), OptionError);
  options.prior_mean = PriorMean::kFixed;
  EXPECT_NO_THROW(Refiner(model, RegionImage(), 0, prior, options));
}

TEST(RefinerTest, AcquisitionBatchStillFindsTheRegion) {
  testing::RegionClassifier model(kRegion);
  RefineOptions options = SmallOptions();
  options.iterations = 32;
  options.acquisition_batch = 4;
  const RefineResult result = RunRefinement(model, RegionImage(), 0, cv::Mat(), options);
  EXPECT_TRUE(MaximumInRegion(result.map, 2));
}

TEST(RefinerTest, AlgorithmOneScoresTheUnmaskedImageWithTheFirstRound) {
  testing::BatchRecordingClassifier model(kRegion);
  RefineOptions options = SmallOptions().Algorithm1();
  options.acquisition_batch = 3;
  const RefineResult result = RunRefinement(model, RegionImage(), 0, cv::Mat(), options);
  EXPECT_EQ(model.batch_sizes, (std::vector<int>{4, 3, 3, 3}));  // M(i) + 3, then 3 per round
  EXPECT_EQ(result.model_calls, 13);
  EXPECT_NEAR(result.base_score, Probability(model, RegionImage()), 1e-6);
}

// Several images refined together: one forward pass per round for all of them, and each map is
// the one it gets alone (the fake model scores every image independently of its batch).
TEST(RefineTogetherTest, MapsEqualThoseRefinedAloneBitForBit) {
  const std::vector<std::string> presets = {"kriging", "paper", "mokuwe"};
  std::vector<cv::Mat> alone;
  for (size_t i = 0; i < presets.size(); ++i) {
    RefineOptions options = GoldenOptions(presets[i]);
    options.acquisition_batch = static_cast<int>(i) + 1;
    options.iterations = 10 + static_cast<int>(i);
    testing::RegionClassifier model(kRegion);
    alone.push_back(RunRefinement(model, RegionImage(), 0, GoldenPrior(), options).map);
  }
  testing::BatchRecordingClassifier model(kRegion);
  std::vector<std::unique_ptr<Refiner>> refiners;
  std::vector<Refiner*> pointers;
  for (size_t i = 0; i < presets.size(); ++i) {
    RefineOptions options = GoldenOptions(presets[i]);
    options.acquisition_batch = static_cast<int>(i) + 1;
    options.iterations = 10 + static_cast<int>(i);
    refiners.push_back(std::make_unique<Refiner>(model, RegionImage(), 0, GoldenPrior(), options));
    pointers.push_back(refiners.back().get());
  }
  RefineTogether(model, pointers, /*max_batch=*/64);
  // Rounds: 10 (Q = 1), 6 (Q = 2), 4 (Q = 3): 10 passes; the first holds 2 + 4 + 1 + 3 images.
  ASSERT_EQ(model.batch_sizes.size(), 10u);
  EXPECT_EQ(model.batch_sizes.front(), 10);
  long calls = 0;
  for (size_t i = 0; i < presets.size(); ++i) {
    const RefineResult result = refiners[i]->Finish();
    EXPECT_EQ(cv::norm(result.map, alone[i], cv::NORM_INF), 0.0) << presets[i];
    calls += result.model_calls;
  }
  EXPECT_EQ(calls, model.model_calls());
}

TEST(RefineTogetherTest, ForwardPassesNeverExceedTheMaximumBatch) {
  testing::BatchRecordingClassifier model(kRegion);
  std::vector<std::unique_ptr<Refiner>> refiners;
  std::vector<Refiner*> pointers;
  for (int i = 0; i < 3; ++i) {
    RefineOptions options = SmallOptions();
    options.acquisition_batch = 4;
    refiners.push_back(std::make_unique<Refiner>(model, RegionImage(), 0, cv::Mat(), options));
    pointers.push_back(refiners.back().get());
  }
  RefineTogether(model, pointers, /*max_batch=*/7);
  for (int size : model.batch_sizes) EXPECT_LE(size, 7);
  EXPECT_EQ(model.model_calls(), 3 * 24);
}

// Algorithm 1 and :no-flip score one image per observation; refined together, K images fill
// each forward pass with K (the first with their unmasked images too).
TEST(RefineTogetherTest, OneImageObservationsOfSeveralImagesNeverMakeABatchOfOne) {
  testing::BatchRecordingClassifier model(kRegion);
  std::vector<std::unique_ptr<Refiner>> refiners;
  std::vector<Refiner*> pointers;
  for (int i = 0; i < 3; ++i) {
    RefineOptions options = SmallOptions().Algorithm1();
    options.seed = static_cast<uint64_t>(i);
    refiners.push_back(std::make_unique<Refiner>(model, RegionImage(), 0, cv::Mat(), options));
    pointers.push_back(refiners.back().get());
  }
  RefineTogether(model, pointers, /*max_batch=*/64);
  ASSERT_EQ(model.batch_sizes.size(), 12u);
  EXPECT_EQ(model.batch_sizes.front(), 6);
  for (size_t i = 1; i < model.batch_sizes.size(); ++i) EXPECT_EQ(model.batch_sizes[i], 3);
}

// A classifier that takes one second per image, so that each refiner's share is exact.
class SecondPerImageClassifier : public testing::RegionClassifier {
 public:
  using RegionClassifier::RegionClassifier;
  Eigen::MatrixXf Logits(const std::vector<cv::Mat>& images) override {
    model_seconds_ += static_cast<double>(images.size());
    return RegionClassifier::Logits(images);
  }
};

// Refined together, each refiner is charged its own images' share of the shared passes' time.
TEST(RefineTogetherTest, EachRefinerIsChargedItsImagesShareOfThePasses) {
  SecondPerImageClassifier model(kRegion);
  std::vector<std::unique_ptr<Refiner>> refiners;
  std::vector<Refiner*> pointers;
  for (int batch : {1, 3}) {  // 2 and 6 images a round
    RefineOptions options = SmallOptions();
    options.acquisition_batch = batch;
    refiners.push_back(std::make_unique<Refiner>(model, RegionImage(), 0, cv::Mat(), options));
    pointers.push_back(refiners.back().get());
  }
  RefineTogether(model, pointers, /*max_batch=*/5);
  double seconds = 0;
  for (const auto& refiner : refiners) {
    const RefineResult result = refiner->Finish();
    EXPECT_DOUBLE_EQ(result.model_seconds, static_cast<double>(result.model_calls));
    seconds += result.model_seconds;
  }
  EXPECT_DOUBLE_EQ(seconds, model.model_seconds());
}

// --gp-over pixels (the field GP): the level-set masks, the map, and what the field refuses.
// The field with the prior's level sets of pixels only: the tests below add the image's segments
// and the posterior's sets where they test them.
RefineOptions FieldOptions() {
  RefineOptions options = SmallOptions();
  options.gp_domain = GpDomain::kPixels;
  options.level_set_segments = 0;
  options.posterior_level_sets.clear();
  return options;
}

TEST(FieldRefinerTest, LevelSetObservationHidesExactlyThePriorsTopPixels) {
  testing::RegionClassifier model(kRegion, 20.0, -15.0);
  const cv::Mat image = RegionImage();
  cv::Mat prior(kSize, kSize, CV_32FC1);
  cv::randu(prior, 0, 1);
  prior(kRegion) += 2;  // the top 1/16 of the pixels is the region
  RefineOptions options = FieldOptions();
  options.prior_level_sets = {0.0625, 0.25};
  Refiner refiner(model, image, 0, prior, options);
  EXPECT_EQ(refiner.num_candidates(), kSize * kSize * 2 + 2);
  int level_sets = 0;
  while (!refiner.done())
    for (const StepRecord& step : refiner.Step()) {
      if (step.prior_fraction == 0) continue;
      ++level_sets;
      const cv::Mat hidden = TopFraction(prior, step.prior_fraction);
      EXPECT_EQ(cv::countNonZero(hidden), static_cast<int>(step.prior_fraction * kSize * kSize));
      cv::Mat masked = image.clone(), kept = image.clone();
      masked.setTo(cv::Scalar::all(0.5), hidden);  // the model's mean colour
      kept.setTo(cv::Scalar::all(0.5), 255 - hidden);
      EXPECT_NEAR(step.score_masked, Probability(model, masked), 1e-6);
      EXPECT_NEAR(step.score_reference, Probability(model, kept), 1e-6);
      EXPECT_EQ(step.side, 0.0);
    }
  // The first level set hides the region, the most salient mask there is: UCB takes it.
  EXPECT_GE(level_sets, 1);
}

// A posterior level set chosen at step k hides the top fraction of the posterior mean after k
// observations (the earlier steps' sets are retired): the map of the same refinement stopped
// after k steps (σf² not refitted, so that the map is the search's own posterior mean).
TEST(FieldRefinerTest, PosteriorLevelSetHidesThePosteriorMeansTopPixels) {
  testing::RegionClassifier model(kRegion, 20.0, -15.0);
  const cv::Mat image = RegionImage();
  cv::Mat prior(kSize, kSize, CV_32FC1);
  cv::randu(prior, 0, 1);
  RefineOptions options = FieldOptions();
  options.iterations = 16;
  // No fit, so that the final map is the search's posterior mean.
  options.fit_signal_variance = false;
  options.fit_prior_coefficient_sd = false;
  options.prior_level_sets = {0.25};
  options.posterior_level_sets = {0.0625, 0.25};
  const RefineResult result = RunRefinement(model, image, 0, prior, options);
  int posterior_sets = 0;
  for (const StepRecord& step : result.steps) {
    if (step.posterior_fraction == 0) continue;
    ++posterior_sets;
    EXPECT_EQ(step.prior_fraction, 0.0);
    EXPECT_EQ(step.side, 0.0);
    RefineOptions stopped = options;
    stopped.iterations = step.iteration;
    const cv::Mat mean = RunRefinement(model, image, 0, prior, stopped).map;
    const cv::Mat hidden = TopFraction(mean, step.posterior_fraction);
    cv::Mat masked = image.clone(), kept = image.clone();
    masked.setTo(cv::Scalar::all(0.5), hidden);  // the model's mean colour
    kept.setTo(cv::Scalar::all(0.5), 255 - hidden);
    EXPECT_NEAR(step.score_masked, Probability(model, masked), 1e-6) << step.iteration;
    EXPECT_NEAR(step.score_reference, Probability(model, kept), 1e-6) << step.iteration;
  }
  EXPECT_GE(posterior_sets, 1);
  // The candidates: squares, the prior's set, and two per observation but the last.
  EXPECT_EQ(result.candidates, kSize * kSize * 2 + 1 + 2 * (options.iterations - 1));
}

// --level-set-segments: a level set is made of whole segments of the image (mask::SegmentLabels),
// ranked by the prior's mean over each (mask::SegmentAverage), not of the prior's top pixels. The
// prior marks only the region's left half, over noise: the set of the region's share of the
// pixels hides the whole of the region's inner segment, which the pixels' set does not.
TEST(FieldRefinerTest, SegmentLevelSetHidesWholeSegmentsRankedByThePriorsMean) {
  testing::RegionClassifier model(kRegion, 20.0, -15.0);
  const cv::Mat image = RegionImage();
  cv::Mat prior(kSize, kSize, CV_32FC1);
  cv::randu(prior, 0, 1);
  prior(cv::Rect(kRegion.x, kRegion.y, kRegion.width / 2, kRegion.height)) += 2;
  RefineOptions options = FieldOptions();
  options.mask_sizes = ParseMaskSizes("3,4");  // squares smaller than the region: the set leads
  options.prior_level_sets = {0.0625};         // 64 of 1024 pixels, the region's area
  options.level_set_segments = 300;
  mask::SegmentOptions segments;
  segments.scale = options.level_set_segments;
  const cv::Mat labels = mask::SegmentLabels(image, segments);
  const cv::Mat hidden = TopFraction(mask::SegmentAverage(prior, labels), 0.0625);
  const cv::Mat inner = labels == labels.at<int>(kRegion.y + 4, kRegion.x + 4);
  EXPECT_EQ(cv::countNonZero(inner & ~hidden), 0);
  EXPECT_GT(cv::countNonZero(inner & ~TopFraction(prior, 0.0625)), 0);
  cv::Mat masked = image.clone(), kept = image.clone();
  masked.setTo(cv::Scalar::all(0.5), hidden);  // the model's mean colour
  kept.setTo(cv::Scalar::all(0.5), 255 - hidden);
  EXPECT_EQ(Refiner(model, image, 0, prior, options).num_candidates(), kSize * kSize * 2 + 1);
  int level_sets = 0;
  for (const StepRecord& step : RunRefinement(model, image, 0, prior, options).steps) {
    if (step.prior_fraction == 0) continue;
    ++level_sets;
    EXPECT_NEAR(step.score_masked, Probability(model, masked), 1e-6);
    EXPECT_NEAR(step.score_reference, Probability(model, kept), 1e-6);
  }
  EXPECT_GE(level_sets, 1);
}

// --map-segments W: the final map is (1 − W)·map + W·(its mean over each of the image's
// segments), or with --map-segments-form raise map + W·max(0, mean − map); the search, and so
// the observations, are those of W = 0.
TEST(FieldRefinerTest, MapSegmentsMovesTheMapTowardsItsSegmentMeans) {
  RefineOptions options = FieldOptions();
  options.level_set_segments = 300;
  options.map_segment_form = mask::SegmentForm::kBlend;
  testing::RegionClassifier model(kRegion, 20.0, -15.0);
  const cv::Mat image = RegionImage();
  cv::Mat prior(kSize, kSize, CV_32FC1);
  cv::randu(prior, 0, 1);
  const RefineResult plain = RunRefinement(model, image, 0, prior, options);
  options.map_segment_weight = 0.25;
  const RefineResult blended = RunRefinement(model, image, 0, prior, options);
  mask::SegmentOptions segments;
  segments.scale = options.level_set_segments;
  const cv::Mat labels = mask::SegmentLabels(image, segments);
  ASSERT_EQ(plain.steps.size(), blended.steps.size());
  for (size_t i = 0; i < plain.steps.size(); ++i)
    EXPECT_EQ(plain.steps[i].observation, blended.steps[i].observation);
  // The segment means by hand: each segment's pixels summed, in double.
  double max_label = 0;
  cv::minMaxLoc(labels, nullptr, &max_label);
  std::vector<double> sums(static_cast<size_t>(max_label) + 1, 0.0), counts(sums.size(), 0.0);
  for (int r = 0; r < kSize; ++r)
    for (int c = 0; c < kSize; ++c) {
      const auto label = static_cast<size_t>(labels.at<int>(r, c));
      sums[label] += plain.map.at<float>(r, c);
      counts[label] += 1;
    }
  ASSERT_GE(sums.size(), 2u);  // the region and the background at least
  for (int r = 0; r < kSize; ++r)
    for (int c = 0; c < kSize; ++c) {
      const auto label = static_cast<size_t>(labels.at<int>(r, c));
      const double expected = 0.75 * plain.map.at<float>(r, c) + 0.25 * sums[label] / counts[label];
      EXPECT_NEAR(blended.map.at<float>(r, c), expected, 1e-6 * (1 + std::abs(expected)));
    }
  options.map_segment_weight = 1;
  const RefineResult whole = RunRefinement(model, image, 0, prior, options);
  options.map_segment_form = mask::SegmentForm::kRaise;  // only upwards: max(map, mean)
  const RefineResult raised = RunRefinement(model, image, 0, prior, options);
  for (int r = 0; r < kSize; ++r)
    for (int c = 0; c < kSize; ++c) {
      const auto label = static_cast<size_t>(labels.at<int>(r, c));
      const double mean = sums[label] / counts[label];
      EXPECT_NEAR(whole.map.at<float>(r, c), mean, 1e-6 * (1 + std::abs(mean)));
      const double higher = std::max<double>(plain.map.at<float>(r, c), mean);
      EXPECT_NEAR(raised.map.at<float>(r, c), higher, 1e-6 * (1 + std::abs(higher)));
    }
}

TEST(FieldRefinerTest, FindsTheRegionWithoutAPriorOneCallPerImage) {
  testing::RegionClassifier model(kRegion, 20.0, -15.0);
  RefineOptions options = FieldOptions();
  options.iterations = 30;
  const RefineResult result = RunRefinement(model, RegionImage(), 0, cv::Mat(), options);
  EXPECT_EQ(result.model_calls, 2 * 30);  // the flip's two images per observation, no more
  EXPECT_TRUE(MaximumInRegion(result.map, 2));
  cv::Mat outside_mask(kSize, kSize, CV_8U, cv::Scalar(255));
  outside_mask(kRegion).setTo(0);
  EXPECT_GT(cv::mean(result.map(kRegion))[0], cv::mean(result.map, outside_mask)[0] + 1e-3);
}

TEST(FieldRefinerTest, MapIsThePriorTimesItsCoefficientWithoutObservationsToDeviate) {
  // With σf² tiny the deviation field vanishes and the map is a·i0 (b left out).
  testing::RegionClassifier model(kRegion, 20.0, -15.0);
  cv::Mat prior(kSize, kSize, CV_32FC1);
  cv::randu(prior, 0, 1);
  RefineOptions options = FieldOptions();
  options.signal_variance = 1e-9;
  options.fit_signal_variance = false;
  const RefineResult result = RunRefinement(model, RegionImage(), 0, prior, options);
  const cv::Mat expected = result.prior_coefficient * prior * result.prior_scale;
  EXPECT_LT(cv::norm(result.map, expected, cv::NORM_INF), 1e-5);
  EXPECT_NE(result.prior_coefficient, 1.0);  // fitted, not the prior's mean
}

// GP-BUCB's pending points leave the posterior mean where it is: the posterior's sets are added
// once a round, when its first mask is chosen, not at each of its choices.
TEST(FieldRefinerTest, PosteriorLevelSetsAreAddedOnceARound) {
  testing::RegionClassifier model(kRegion, 20.0, -15.0);
  cv::Mat prior(kSize, kSize, CV_32FC1);
  cv::randu(prior, 0, 1);
  RefineOptions options = FieldOptions();
  options.acquisition_batch = 4;
  options.iterations = 12;
  options.prior_level_sets = {0.25};
  options.posterior_level_sets = {0.0625, 0.25};
  // The squares, the prior's set, and two sets in each round after the first.
  EXPECT_EQ(RunRefinement(model, RegionImage(), 0, prior, options).candidates,
            kSize * kSize * 2 + 1 + 2 * 2);
}

// A fraction whose set would hide every pixel (the prior's ties) gives no candidate.
TEST(FieldRefinerTest, ALevelSetThatWouldHideEveryPixelIsLeftOut) {
  testing::RegionClassifier model(kRegion, 20.0, -15.0);
  cv::Mat prior(kSize, kSize, CV_32FC1, cv::Scalar(0));
  prior(kRegion).setTo(1.0);  // 64 of 1024 pixels above ties
  RefineOptions options = FieldOptions();
  options.prior_level_sets = {0.0625, 0.25};
  ASSERT_EQ(cv::countNonZero(TopFraction(prior, 0.25)), kSize * kSize);
  EXPECT_EQ(Refiner(model, RegionImage(), 0, prior, options).num_candidates(),
            kSize * kSize * 2 + 1);
}

// A constant prior marks nothing: the refinement is the one without a prior, bit for bit, over
// the squares and over the field.
TEST(FieldRefinerTest, AConstantPriorIsNoPrior) {
  testing::RegionClassifier model(kRegion, 20.0, -15.0);
  const cv::Mat flat(kSize, kSize, CV_32FC1, cv::Scalar(0.7));
  for (const RefineOptions& options : {SmallOptions(), FieldOptions()}) {
    const RefineResult none = RunRefinement(model, RegionImage(), 0, cv::Mat(), options);
    const RefineResult constant = RunRefinement(model, RegionImage(), 0, flat, options);
    EXPECT_EQ(cv::norm(constant.map, none.map, cv::NORM_INF), 0.0);
    EXPECT_EQ(constant.prior_coefficient, 0.0);
    EXPECT_EQ(constant.prior_offset, none.prior_offset);
    EXPECT_EQ(constant.candidates, none.candidates);
  }
}

TEST(FieldRefinerTest, SameSeedSameMapBitForBit) {
  testing::RegionClassifier model(kRegion, 20.0, -15.0);
  cv::Mat prior(kSize, kSize, CV_32FC1);
  cv::randu(prior, 0, 1);
  RefineOptions options = FieldOptions();
  options.acquisition_batch = 4;
  options.prior_level_sets = {0.1};
  const RefineResult first = RunRefinement(model, RegionImage(), 0, prior, options);
  const RefineResult second = RunRefinement(model, RegionImage(), 0, prior, options);
  EXPECT_EQ(cv::norm(first.map, second.map, cv::NORM_INF), 0.0);
}

// --rise-observations: a RISE prior's own masks and logits (explain::RiseSamples), observed by the
// field where the prior's top 5% forms several regions, and nowhere else.
struct RiseFixture {
  testing::RegionClassifier model{kRegion, 20.0, -15.0};
  cv::Mat image = RegionImage();
  PriorSamples samples;
  RiseFixture() {
    explain::RiseOptions rise;
    rise.masks = 60;
    rise.grid = 4;
    explain::ComputeRise(model, image, 0, rise, &samples.rise);
    samples.unmasked_logits = model.Logits({image}).row(0).transpose();
  }
};

// A prior marking `places` separate squares of 6 x 6 pixels (of 1024: the top 5% is 52 pixels),
// over faint noise.
cv::Mat PriorWithPlaces(int places) {
  cv::Mat prior(kSize, kSize, CV_32FC1);
  cv::randu(prior, 0, 0.01);
  const cv::Rect squares[] = {{16, 8, 6, 6}, {2, 22, 6, 6}, {24, 24, 6, 6}};
  for (int i = 0; i < places; ++i) prior(squares[i]) += 1;
  return prior;
}

TEST(FieldRefinerTest, RiseObservationsWhereThePriorMarksSeveralPlacesOrEverywhere) {
  RiseFixture f;
  RefineOptions options = FieldOptions();
  options.iterations = 6;
  ASSERT_EQ(options.rise_observations, RiseObservations::kRegions);  // the default
  const cv::Mat two = PriorWithPlaces(2), one = PriorWithPlaces(1);
  ASSERT_EQ(SalientRegions(two, 0.05, 0.1), 2);
  ASSERT_EQ(SalientRegions(one, 0.05, 0.1), 1);
  const RefineResult plain = RunRefinement(f.model, f.image, 0, two, options);
  const RefineResult observed = RunRefinement(f.model, f.image, 0, two, options, {}, f.samples);
  EXPECT_EQ(plain.rise_observations, 0);
  EXPECT_EQ(observed.rise_observations, 60);
  EXPECT_EQ(observed.candidates, plain.candidates + 60);  // never chosen, but in the GP
  EXPECT_EQ(observed.model_calls, plain.model_calls);     // the prior paid for them
  EXPECT_GT(cv::norm(observed.map, plain.map, cv::NORM_INF), 1e-6);
  // One place: the gate stays closed and the refinement is the one without samples, bit for bit.
  const RefineResult single = RunRefinement(f.model, f.image, 0, one, options, {}, f.samples);
  EXPECT_EQ(single.rise_observations, 0);
  EXPECT_EQ(
      cv::norm(single.map, RunRefinement(f.model, f.image, 0, one, options).map, cv::NORM_INF),
      0.0);
  // All: the gate left out. Where it would open, the same refinement bit for bit; where it stays
  // closed, the samples are read too.
  options.rise_observations = RiseObservations::kAll;
  EXPECT_EQ(cv::norm(RunRefinement(f.model, f.image, 0, two, options, {}, f.samples).map,
                     observed.map, cv::NORM_INF),
            0.0);
  const RefineResult every = RunRefinement(f.model, f.image, 0, one, options, {}, f.samples);
  EXPECT_EQ(every.rise_observations, 60);
  EXPECT_EQ(every.model_calls, single.model_calls);
  EXPECT_GT(cv::norm(every.map, single.map, cv::NORM_INF), 1e-6);
  EXPECT_EQ(ParseRiseObservations("all"), RiseObservations::kAll);
  EXPECT_EQ(RiseObservationsName(RiseObservations::kAll), "all");
  // Off (and the paper's and the code's presets): never.
  options.rise_observations = RiseObservations::kOff;
  const RefineResult off = RunRefinement(f.model, f.image, 0, two, options, {}, f.samples);
  EXPECT_EQ(off.rise_observations, 0);
  EXPECT_EQ(cv::norm(off.map, plain.map, cv::NORM_INF), 0.0);
  EXPECT_EQ(RefineOptions::Paper().rise_observations, RiseObservations::kOff);
  EXPECT_EQ(RefineOptions::Code().rise_observations, RiseObservations::kOff);
}

// --rise-observation-limit: the field reads the first L of the prior's samples, exactly as if it
// had been given those alone; a limit at or above their count (or 0) reads them all, as before.
TEST(FieldRefinerTest, RiseObservationLimitReadsTheFirstSamplesOnly) {
  RiseFixture f;
  RefineOptions options = FieldOptions();
  options.iterations = 6;
  EXPECT_EQ(options.rise_observation_limit, 100);  // the default: the default prior's masks
  const cv::Mat prior = PriorWithPlaces(2);
  const RefineResult all = RunRefinement(f.model, f.image, 0, prior, options, {}, f.samples);
  ASSERT_EQ(all.rise_observations, 60);
  PriorSamples first = f.samples;
  first.rise.masks.resize(25);
  first.rise.logits.conservativeResize(25, Eigen::NoChange);
  options.rise_observation_limit = 25;
  const RefineResult limited = RunRefinement(f.model, f.image, 0, prior, options, {}, f.samples);
  EXPECT_EQ(limited.rise_observations, 25);
  EXPECT_EQ(limited.candidates, all.candidates - 35);
  EXPECT_EQ(cv::norm(limited.map, RunRefinement(f.model, f.image, 0, prior, options, {}, first).map,
                     cv::NORM_INF),
            0.0);
  EXPECT_GT(cv::norm(limited.map, all.map, cv::NORM_INF), 1e-6);
  for (const int reads_all : {0, 60, 1000}) {
    options.rise_observation_limit = reads_all;
    const RefineResult same = RunRefinement(f.model, f.image, 0, prior, options, {}, f.samples);
    EXPECT_EQ(same.rise_observations, 60) << reads_all;
    EXPECT_EQ(cv::norm(same.map, all.map, cv::NORM_INF), 0.0) << reads_all;
  }
}

// --max-gp-memory counts the RISE masks the field will read, as candidates and observations: a
// bound between the estimate with 5 of the 60 and the one with all 60 admits the limit of 5 and
// refuses the field that reads them all.
TEST(FieldRefinerTest, MemoryBoundCountsTheRiseMasksItReads) {
  RiseFixture f;
  RefineOptions options = FieldOptions();
  options.rise_observations = RiseObservations::kOff;
  options.prior_level_sets.clear();
  options.posterior_level_sets.clear();
  const cv::Mat prior = PriorWithPlaces(2);
  // Without masks or level sets, the candidates are the squares the estimate counts.
  const double squares =
      static_cast<double>(RunRefinement(f.model, f.image, 0, prior, options).candidates);
  const double cells = CellGrid::For(kSize, kSize).size();
  const auto megabytes = [&](double masks) {
    return (squares + masks) * (4.0 * cells + 8.0 * (options.iterations + 8 + masks)) /
           (1024.0 * 1024.0);
  };
  options.rise_observations = RiseObservations::kRegions;
  options.max_gp_megabytes = (megabytes(5) + megabytes(60)) / 2;
  options.rise_observation_limit = 5;
  EXPECT_NO_THROW(Refiner(f.model, f.image, 0, prior, options, f.samples));
  options.rise_observation_limit = 0;
  EXPECT_THROW(Refiner(f.model, f.image, 0, prior, options, f.samples), OptionError);
  EXPECT_NO_THROW(Refiner(f.model, f.image, 0, prior, options));  // no samples given
}

TEST(RefineOptionsTest, RiseSamplesReadFollowTheSettings) {
  RefineOptions options;
  EXPECT_EQ(options.RiseSamplesRead(), 100);
  options.rise_observation_limit = 7;
  EXPECT_EQ(options.RiseSamplesRead(), 7);
  options.rise_observation_limit = 0;
  EXPECT_EQ(options.RiseSamplesRead(), std::numeric_limits<int>::max());
  EXPECT_EQ(options.RiseSamplesRead(/*clip_frames=*/8), 0);  // a clip: the masks' GP
  options.gp_domain = GpDomain::kMasks;
  EXPECT_EQ(options.RiseSamplesRead(), 0);
  options.gp_domain = GpDomain::kAuto;
  options.use_prior = false;
  EXPECT_EQ(options.RiseSamplesRead(), 0);
  options.use_prior = true;
  options.rise_observations = RiseObservations::kOff;
  EXPECT_EQ(options.RiseSamplesRead(), 0);
  EXPECT_EQ(RefineOptions::Paper().RiseSamplesRead(), 0);
  EXPECT_EQ(RefineOptions::Code().RiseSamplesRead(), 0);
  options = RefineOptions();
  options.rise_observation_limit = -1;
  try {
    options.Check(kSize, kSize);
    ADD_FAILURE() << "a negative limit was accepted";
  } catch (const OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("--rise-observation-limit"), std::string::npos);
  }
}

// The observations are y = M(i) − M(i⊙m) over the hidden shares 1 − m: under the additive model
// they point at what the masks hide. With the RISE samples alone deciding (σf² fixed, the search
// cut to one observation, level sets off), the map puts its maximum on the region the model reads,
// whichever of the two places the prior ranks first; with the sign or the shares the wrong way
// round it would sit elsewhere.
TEST(FieldRefinerTest, RiseObservationsPointAtWhatTheMasksHide) {
  RiseFixture f;
  RefineOptions options = FieldOptions();
  options.iterations = 1;
  options.prior_level_sets.clear();
  options.fit_signal_variance = false;
  options.score = model::ScoreKind::kLogit;  // the region's mean: additive in the hidden pixels
  cv::Mat prior = PriorWithPlaces(2);
  prior(cv::Rect(2, 22, 6, 6)) += 0.5;  // the prior ranks the wrong place first
  const RefineResult observed = RunRefinement(f.model, f.image, 0, prior, options, {}, f.samples);
  ASSERT_EQ(observed.rise_observations, 60);
  EXPECT_TRUE(MaximumInRegion(observed.map, 2));
  EXPECT_FALSE(MaximumInRegion(RunRefinement(f.model, f.image, 0, prior, options).map, 2));
}

// RegionClassifier's logit plus a deterministic perturbation of each image (from a hash of its
// pixels, uniform in ±amplitude): observations that no field explains exactly.
class PerturbedRegionClassifier : public testing::RegionClassifier {
 public:
  PerturbedRegionClassifier(double gain, double amplitude)
      : RegionClassifier(kRegion, gain, 0.0), amplitude_(amplitude) {}
  Eigen::MatrixXf Logits(const std::vector<cv::Mat>& images) override {
    Eigen::MatrixXf logits = RegionClassifier::Logits(images);
    for (size_t n = 0; n < images.size(); ++n) {
      uint64_t hash = 1469598103934665603ull;
      for (int r = 0; r < images[n].rows; ++r)
        for (int c = 0; c < images[n].cols; ++c)
          hash = (hash ^ static_cast<uint64_t>(images[n].at<cv::Vec3f>(r, c)[0] * 255)) *
                 1099511628211ull;
      logits(static_cast<Eigen::Index>(n), 0) +=
          static_cast<float>(amplitude_ * (static_cast<double>(hash % 2001) / 1000.0 - 1.0));
    }
    return logits;
  }

 private:
  double amplitude_;
};

TEST(FieldRefinerTest, NoiseFitIsTheSmallestForAdditiveScoresAndGrowsWithTheirMisfit) {
  // Logit scores of RegionClassifier are gain·(mean brightness over the region) + bias: each
  // observation is exactly linear in the cells hidden (one pixel per cell here), so the additive
  // model holds and the fitted noise is the grid's smallest; perturbed, it is larger.
  RefineOptions options = FieldOptions();
  options.iterations = 30;
  options.fit_noise_variance = true;
  options.score = model::ScoreKind::kLogit;
  PerturbedRegionClassifier exact(2.0, 0.0), perturbed(2.0, 0.5);
  const RefineResult additive = RunRefinement(exact, RegionImage(), 0, cv::Mat(), options);
  const RefineResult misfit = RunRefinement(perturbed, RegionImage(), 0, cv::Mat(), options);
  EXPECT_DOUBLE_EQ(additive.noise_variance, 0.01) << "the grid's smallest";
  EXPECT_GT(misfit.noise_variance, 0.01);
  options.fit_noise_variance = false;
  EXPECT_EQ(RunRefinement(perturbed, RegionImage(), 0, cv::Mat(), options).noise_variance,
            options.NoiseVariance());
}

// --fit-rise-observation-noise: the RISE masks' σn² factor by marginal likelihood. Scored by the
// model the refinement reads (logits: additive), the masks fit the field better than any noise
// the grid allows, and the grid's smallest factor wins; scored by another, perturbed model, they
// fit it worse than the flips and their noise grows. Without masks read, or off, the map is the
// one without the fit, bit for bit.
TEST(FieldRefinerTest, RiseNoiseFitTrustsMasksThatFitAndDiscountsOnesThatDoNot) {
  PerturbedRegionClassifier exact(20.0, 0.0), perturbed(20.0, 3.0);
  const cv::Mat image = RegionImage();
  explain::RiseOptions rise;
  rise.masks = 60;
  rise.grid = 4;
  PriorSamples fitting, misfitting;
  explain::ComputeRise(exact, image, 0, rise, &fitting.rise);
  explain::ComputeRise(perturbed, image, 0, rise, &misfitting.rise);
  fitting.unmasked_logits = misfitting.unmasked_logits = exact.Logits({image}).row(0).transpose();
  RefineOptions options = FieldOptions();
  options.iterations = 12;
  options.score = model::ScoreKind::kLogit;
  options.rise_observations = RiseObservations::kAll;
  EXPECT_FALSE(options.fit_rise_observation_noise);
  const cv::Mat prior = PriorWithPlaces(2);
  const RefineResult plain = RunRefinement(exact, image, 0, prior, options, {}, fitting);
  EXPECT_EQ(plain.rise_noise_factor, 1.0);
  options.fit_rise_observation_noise = true;
  const RefineResult trusted = RunRefinement(exact, image, 0, prior, options, {}, fitting);
  const RefineResult discounted = RunRefinement(exact, image, 0, prior, options, {}, misfitting);
  ASSERT_EQ(trusted.rise_observations, 60);
  EXPECT_EQ(trusted.rise_noise_factor, gp::NoiseFactorGrid().front());
  EXPECT_GT(discounted.rise_noise_factor, 1.0);
  EXPECT_GT(cv::norm(trusted.map, plain.map, cv::NORM_INF), 1e-6);
  EXPECT_EQ(trusted.model_calls, plain.model_calls);  // the final map's fit only
  // No masks read: the same refinement as without the fit.
  options.rise_observations = RiseObservations::kOff;
  const RefineResult unread = RunRefinement(exact, image, 0, prior, options, {}, fitting);
  EXPECT_EQ(unread.rise_noise_factor, 1.0);
  options.fit_rise_observation_noise = false;
  EXPECT_EQ(cv::norm(unread.map, RunRefinement(exact, image, 0, prior, options, {}, fitting).map,
                     cv::NORM_INF),
            0.0);
  EXPECT_FALSE(RefineOptions::Paper().fit_rise_observation_noise);
  EXPECT_FALSE(RefineOptions::Code().fit_rise_observation_noise);
}

TEST(FieldRefinerTest, CoefficientSdFitFreesAConfirmedPriorAndHoldsAnUnconfirmedOne) {
  // a ~ N(1, SD²), SD by marginal likelihood. A prior on the region the model reads is confirmed
  // far beyond its face value (a ≈ 10 under the search's SD = 10): the evidence keeps the prior
  // wide and the fitted a. A prior on another place is not confirmed (a < 0 but uncertain): the
  // evidence prefers the tightest SD, which holds a near 1, and the observations' deviation still
  // puts the map's maximum on the region.
  RefineOptions options = FieldOptions();
  options.iterations = 20;
  options.fit_prior_coefficient_sd = false;
  options.average_hyperparameters = false;  // the most likely SD's map
  testing::RegionClassifier model(kRegion, 20.0, -15.0);
  cv::Mat right(kSize, kSize, CV_32FC1, cv::Scalar(0)), elsewhere = right.clone();
  right(kRegion).setTo(1.0);
  elsewhere(cv::Rect(kSize - kRegion.x - kRegion.width, kSize - kRegion.y - kRegion.height,
                     kRegion.width, kRegion.height))
      .setTo(1.0);
  const RefineResult fixed_informed = RunRefinement(model, RegionImage(), 0, right, options);
  const RefineResult fixed_misled = RunRefinement(model, RegionImage(), 0, elsewhere, options);
  EXPECT_EQ(fixed_informed.prior_coefficient_sd, options.prior_coefficient_sd);
  EXPECT_EQ(RunRefinement(model, RegionImage(), 0, cv::Mat(), options).prior_coefficient_sd, 0.0);
  options.fit_prior_coefficient_sd = true;
  const RefineResult informed = RunRefinement(model, RegionImage(), 0, right, options);
  const RefineResult misled = RunRefinement(model, RegionImage(), 0, elsewhere, options);
  EXPECT_GE(informed.prior_coefficient_sd, 10.0);
  EXPECT_GT(informed.prior_coefficient, 5.0);
  EXPECT_NEAR(informed.prior_coefficient, fixed_informed.prior_coefficient, 0.5);
  EXPECT_EQ(misled.prior_coefficient_sd, gp::CoefficientSdGrid().front());
  EXPECT_LT(fixed_misled.prior_coefficient, 0.0);
  EXPECT_LT(std::abs(misled.prior_coefficient - 1), std::abs(fixed_misled.prior_coefficient - 1));
  EXPECT_TRUE(MaximumInRegion(informed.map, 0));
  EXPECT_TRUE(MaximumInRegion(misled.map, 0));
}

// The grid is of a's prior std, 1 .. 100, not of its variance: on the logit scale a prior on the
// region the model reads is confirmed at a far above 10, and the evidence takes the widest std.
TEST(FieldRefinerTest, CoefficientSdGridReachesAHundredForAPriorConfirmedOnTheLogitScale) {
  RefineOptions options = FieldOptions();
  options.iterations = 20;
  options.score = model::ScoreKind::kLogit;
  options.average_hyperparameters = false;
  testing::RegionClassifier model(kRegion, 20.0, -15.0);
  cv::Mat prior(kSize, kSize, CV_32FC1, cv::Scalar(0));
  prior(kRegion).setTo(1.0);
  const RefineResult result = RunRefinement(model, RegionImage(), 0, prior, options);
  EXPECT_EQ(result.prior_coefficient_sd, gp::CoefficientSdGrid().back());
  EXPECT_GT(result.prior_coefficient, 31.6);
}

TEST(FieldRefinerTest, AveragedHyperparametersWeighTheGridByItsLikelihood) {
  // The same search (the final map does not steer it); the map averaged over the σf² grid by
  // marginal likelihood: the mode's values are still reported, its weight below 1, and the map
  // differs from the mode's while keeping its maximum on the region. With one grid point
  // (nothing fitted) the average is that point's map, bit for bit.
  RefineOptions options = FieldOptions();
  options.iterations = 20;
  options.fit_prior_coefficient_sd = false;
  options.average_hyperparameters = false;
  testing::RegionClassifier model(kRegion, 20.0, -15.0);
  cv::Mat prior(kSize, kSize, CV_32FC1, cv::Scalar(0));
  prior(kRegion).setTo(1.0);
  const RefineResult mode = RunRefinement(model, RegionImage(), 0, prior, options);
  options.average_hyperparameters = true;
  const RefineResult averaged = RunRefinement(model, RegionImage(), 0, prior, options);
  ASSERT_EQ(averaged.steps.size(), mode.steps.size());
  for (size_t i = 0; i < mode.steps.size(); ++i)
    EXPECT_EQ(averaged.steps[i].observation, mode.steps[i].observation) << i;
  EXPECT_EQ(mode.hyperparameter_weight, 1.0);
  EXPECT_GT(averaged.hyperparameter_weight, 0.0);
  EXPECT_LT(averaged.hyperparameter_weight, 1.0);
  EXPECT_EQ(averaged.signal_variance, mode.signal_variance);
  EXPECT_GT(cv::norm(averaged.map, mode.map, cv::NORM_INF), 1e-6);
  EXPECT_TRUE(MaximumInRegion(averaged.map, 0));
  options.fit_signal_variance = false;
  const RefineResult one_point = RunRefinement(model, RegionImage(), 0, prior, options);
  options.average_hyperparameters = false;
  const RefineResult one_mode = RunRefinement(model, RegionImage(), 0, prior, options);
  EXPECT_EQ(one_point.hyperparameter_weight, 1.0);
  EXPECT_EQ(cv::norm(one_point.map, one_mode.map, cv::NORM_INF), 0.0);
  EXPECT_EQ(one_point.prior_coefficient, one_mode.prior_coefficient);
}

TEST(FieldRefinerTest, DeviationFloorsJoinTheGridAndLeaveTheSearch) {
  // The same search; the final map's grid also holds deviations shaped by the prior's rank
  // (floors 0.3 and 0.1): the reported floor is a grid point, the map differs from the stationary
  // one and keeps its maximum on the region. Floor 1 alone, or no prior to shape by, is the
  // stationary map bit for bit.
  RefineOptions options = FieldOptions();
  options.iterations = 20;
  testing::RegionClassifier model(kRegion, 20.0, -15.0);
  cv::Mat prior(kSize, kSize, CV_32FC1, cv::Scalar(0.1));
  prior(kRegion).setTo(1.0);
  const RefineResult stationary = RunRefinement(model, RegionImage(), 0, prior, options);
  options.deviation_floors = {0.3, 0.1};
  const RefineResult shaped = RunRefinement(model, RegionImage(), 0, prior, options);
  ASSERT_EQ(shaped.steps.size(), stationary.steps.size());
  for (size_t i = 0; i < shaped.steps.size(); ++i)
    EXPECT_EQ(shaped.steps[i].observation, stationary.steps[i].observation) << i;
  EXPECT_EQ(stationary.deviation_floor, 1.0);
  EXPECT_TRUE(shaped.deviation_floor == 1.0 || shaped.deviation_floor == 0.3 ||
              shaped.deviation_floor == 0.1)
      << shaped.deviation_floor;
  EXPECT_LT(shaped.hyperparameter_weight, stationary.hyperparameter_weight);
  EXPECT_GT(cv::norm(shaped.map, stationary.map, cv::NORM_INF), 1e-6);
  EXPECT_TRUE(MaximumInRegion(shaped.map, 0));
  options.deviation_floors = {1.0};
  EXPECT_EQ(cv::norm(RunRefinement(model, RegionImage(), 0, prior, options).map, stationary.map,
                     cv::NORM_INF),
            0.0);
  options.deviation_floors = {0.3, 0.1, 0.3, 1.0};  // each grid point once
  const RefineResult repeated = RunRefinement(model, RegionImage(), 0, prior, options);
  EXPECT_EQ(cv::norm(repeated.map, shaped.map, cv::NORM_INF), 0.0);
  EXPECT_EQ(repeated.hyperparameter_weight, shaped.hyperparameter_weight);
  options.deviation_floors = {0.3, 0.1};
  const RefineResult without_prior = RunRefinement(model, RegionImage(), 0, cv::Mat(), options);
  options.deviation_floors.clear();
  EXPECT_EQ(cv::norm(without_prior.map,
                     RunRefinement(model, RegionImage(), 0, cv::Mat(), options).map, cv::NORM_INF),
            0.0);
  EXPECT_EQ(without_prior.deviation_floor, 1.0);
}

TEST(FieldRefinerTest, RefusesWhatTheFieldDoesNotHave) {
  const auto refused = [](const RefineOptions& options, const std::string& message,
                          int frames = 1) {
    try {
      options.Check(kSize, kSize, frames);
      ADD_FAILURE() << "accepted: " << message;
    } catch (const OptionError& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  RefineOptions options = FieldOptions();
  options.hyperopt = true;
  refused(options, "--gp-over: pixels (the pixel field) has no per-step length-scale fit");
  options = FieldOptions();
  options.prior_mean = PriorMean::kFixed;
  refused(options, "--gp-over: pixels (the pixel field) has no fixed prior mean");
  options = FieldOptions();
  options.prior_level_sets = {1.0};
  refused(options, "--prior-level-sets: each fraction must lie in (0, 1)");
  for (const double floor : {0.0, 1.5}) {
    options = FieldOptions();
    options.deviation_floors = {0.3, floor};
    refused(options, "--deviation-floors: each floor must lie in (0, 1]");
  }
  options = FieldOptions();
  options.posterior_level_sets = {0.1, 0.0};
  refused(options, "--posterior-level-sets: each fraction must lie in (0, 1)");
  options = FieldOptions();
  options.level_set_segments = -1;
  refused(options, "--level-set-segments: must be a positive scale, or 0 for none");
  options.level_set_segments = 300;
  options.map_segment_weight = 1.5;
  refused(options, "--map-segments: must lie in [0, 1]");
  options.level_set_segments = 0;
  options.map_segment_weight = 0.5;
  refused(options, "--map-segments: needs the image's segments (--level-set-segments K > 0)");
  options = SmallOptions();
  options.fit_noise_variance = true;
  refused(options, "--fit-noise-variance: needs the pixel field");
  options.gp_domain = GpDomain::kAuto;
  refused(options, "--fit-noise-variance: needs the pixel field (for a clip, --gp-over pixels)", 4);
  // On by default, the final map's other fits are inactive over the squares and on a clip.
  EXPECT_NO_THROW(SmallOptions().Check(kSize, kSize));
  EXPECT_NO_THROW(RefineOptions().Check(kSize, kSize, 4));
  EXPECT_NO_THROW(FieldOptions().Check(kSize, kSize, 4));  // a clip's field
  EXPECT_NO_THROW(FieldOptions().Check(kSize, kSize));
  // The default, auto: the field on an image (so its parts are checked), masks on a clip.
  options = RefineOptions();
  options.jitter = 1;
  refused(options, "--gp-over: auto (the pixel field) has no jitter");
  EXPECT_NO_THROW(options.Check(kSize, kSize, 4));
  options.gp_domain = GpDomain::kMasks;
  EXPECT_NO_THROW(options.Check(kSize, kSize));
}

}  // namespace
}  // namespace borex::refine
