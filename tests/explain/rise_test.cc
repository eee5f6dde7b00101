#include "borex/explain/rise.h"

#include <gtest/gtest.h>

#include "borex/explain/method.h"
#include "borex/mask/rise_masks.h"
#include "support/fake_classifier.h"

namespace borex::explain {
namespace {

constexpr int kSize = 32;
const cv::Rect kRegion(16, 8, 8, 8);

cv::Mat RegionImage() {
  cv::Mat image(kSize, kSize, CV_32FC3, cv::Scalar::all(0.5));
  image(kRegion).setTo(cv::Scalar::all(1.0));
  return image;
}

// Eq. 5 and eq. 6 evaluated independently: regenerate the same masks and sum by hand. Hidden
// pixels become black or the model's mean colour (options.infill, one of those two).
cv::Mat ReferenceRise(const RiseOptions& options) {
  testing::RegionClassifier model(kRegion);
  const cv::Vec3f fill =
      options.infill == mask::Infill::kMean
          ? cv::Vec3f(model.info().mean[0], model.info().mean[1], model.info().mean[2])
          : cv::Vec3f(0, 0, 0);
  mask::RiseMaskOptions mask_options;
  mask_options.grid = options.grid;
  mask_options.keep_prob = options.keep_prob;
  mask::RiseMaskGenerator generator(mask_options, kSize, kSize, options.seed);
  const cv::Mat image = RegionImage();
  const double p = options.keep_prob;
  cv::Mat sum = cv::Mat::zeros(kSize, kSize, CV_64FC1);
  for (int n = 0; n < options.masks; ++n) {
    const cv::Mat m = generator.Next();
    cv::Mat masked = image.clone();
    for (int r = 0; r < kSize; ++r)
      for (int c = 0; c < kSize; ++c) {
        const float keep = m.at<float>(r, c);
        masked.at<cv::Vec3f>(r, c) = keep * masked.at<cv::Vec3f>(r, c) + (1 - keep) * fill;
      }
    const double score =
        model::ClassScores(model.Logits({masked}), 0, model::ScoreKind::kProbability)[0];
    for (int r = 0; r < kSize; ++r)
      for (int c = 0; c < kSize; ++c) {
        const double weight = options.positive_negative ? (m.at<float>(r, c) - p) / (p * (1 - p))
                                                        : m.at<float>(r, c) / p;
        sum.at<double>(r, c) += weight * score;
      }
  }
  return sum / options.masks;
}

class RiseSeedTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(RiseSeedTest, MatchesEquationsFiveAndSix) {
  for (const auto& [pn, infill] :
       {std::pair{false, mask::Infill::kMean}, std::pair{true, mask::Infill::kMean},
        std::pair{false, mask::Infill::kBlack}}) {
    RiseOptions options;
    options.infill = infill;
    options.masks = 40;
    options.grid = 4;
    options.keep_prob = 0.4;
    options.batch_size = 7;  // not a divisor of 40: the last batch is partial
    options.seed = GetParam();
    options.positive_negative = pn;
    testing::RegionClassifier model(kRegion);
    const cv::Mat map = ComputeRise(model, RegionImage(), 0, options);
    cv::Mat reference;
    ReferenceRise(options).convertTo(reference, CV_32F);
    EXPECT_LT(cv::norm(map, reference, cv::NORM_INF), 1e-4)
        << (pn ? "PN-RISE " : "RISE ") << mask::InfillName(infill);
    EXPECT_EQ(model.model_calls(), 40);
  }
}

// RISE's default: the model's mean colour, as its authors' code (the normalised image times the
// masks) and the BOREx authors' prior.
TEST(RiseTest, HidesPixelsWithTheModelsMeanColourByDefault) {
  EXPECT_EQ(RiseOptions().infill, mask::Infill::kMean);
  EXPECT_EQ(RiseOptions::CheapPrior().infill, mask::Infill::kMean);
}

TEST_P(RiseSeedTest, PutsTheMassOnTheRegionTheScoreDependsOn) {
  for (const auto& [method, infill] : {std::pair{Method::kRise, mask::Infill::kMean},
                                       std::pair{Method::kPnRise, mask::Infill::kMean},
                                       std::pair{Method::kRise, mask::Infill::kBlack}}) {
    ExplainOptions options;
    options.method = method;
    options.rise.infill = infill;
    options.rise.masks = 500;
    options.rise.grid = 8;
    options.rise.seed = GetParam();
    // Hidden pixels become 0 or the mean colour 0.5: the gain spans logits -5..5 between the
    // region hidden and shown, and the probability is 0.5 when half of it is visible, so it
    // responds to the masks instead of saturating.
    const double fill = infill == mask::Infill::kMean ? 0.5 : 0.0, gain = 10.0 / (1 - fill);
    testing::RegionClassifier model(kRegion, gain, -gain * (1 + fill) / 2);
    const cv::Mat map = Explain(model, RegionImage(), 0, options);
    cv::Mat outside(kSize, kSize, CV_8U, cv::Scalar(255));
    outside(kRegion).setTo(0);
    // The region stands out of the rest of the map by several of the rest's standard deviations
    // (a ratio would depend on the in-fill: hiding the mean-coloured background changes nothing,
    // so the mean colour's map has a higher floor than black's).
    const double inside_mean = cv::mean(map(kRegion))[0];
    cv::Scalar outside_mean, outside_sd;
    cv::meanStdDev(map, outside_mean, outside_sd, outside);
    EXPECT_GT(inside_mean - outside_mean[0], 3 * outside_sd[0])
        << MethodName(method) << " " << mask::InfillName(infill);
    cv::Point peak;
    cv::minMaxLoc(map, nullptr, nullptr, nullptr, &peak);
    EXPECT_TRUE(cv::Rect(12, 4, 16, 16).contains(peak))
        << MethodName(method) << " " << mask::InfillName(infill) << " " << peak;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, RiseSeedTest, ::testing::Values(0u, 1u, 42u));

TEST(RiseTest, SameSeedSameMapDifferentSeedDifferentMap) {
  RiseOptions options;
  options.masks = 20;
  testing::RegionClassifier model(kRegion);
  const cv::Mat a = ComputeRise(model, RegionImage(), 0, options);
  const cv::Mat b = ComputeRise(model, RegionImage(), 0, options);
  options.seed = 5;
  const cv::Mat c = ComputeRise(model, RegionImage(), 0, options);
  EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0.0);
  EXPECT_GT(cv::norm(a, c, cv::NORM_INF), 0.0);
}

// Several images' masks share forward passes; each map is the one it gets alone.
TEST(RiseTest, SeveralImagesTogetherGiveTheMapsTheyGetAlone) {
  std::vector<MaskJob> jobs;
  std::vector<int> labels;
  for (int i = 0; i < 3; ++i) {
    cv::Mat image(kSize, kSize, CV_32FC3);
    cv::randu(image, 0, 1);
    RiseOptions options;
    options.masks = 11 + 4 * i;  // 11, 15, 19: passes of 7 straddle the images
    options.seed = 100 + static_cast<uint64_t>(i);
    options.positive_negative = i == 1;
    options.infill = i == 2 ? mask::Infill::kNoise : mask::Infill::kBlack;
    options.batch_size = 7;
    jobs.push_back({image, options});
    labels.push_back(i % 2);
  }
  testing::BatchRecordingClassifier together(kRegion);
  const std::vector<cv::Mat> maps = ComputeRiseAll(together, jobs, labels);
  EXPECT_EQ(together.batch_sizes, (std::vector<int>{7, 7, 7, 7, 7, 7, 3}));  // 45 masks
  for (size_t i = 0; i < jobs.size(); ++i) {
    testing::RegionClassifier alone(kRegion);
    const cv::Mat map = ComputeRise(alone, jobs[i].image, labels[i], jobs[i].options);
    EXPECT_EQ(cv::norm(map, maps[i], cv::NORM_INF), 0.0) << i;
  }
}

// The samples are what the map is made of: eq. 5 (eq. 6) rebuilt from them is the map, and
// asking for them changes nothing else.
TEST(RiseTest, SamplesAreTheMasksAndLogitsTheMapIsMadeOf) {
  testing::RegionClassifier model(kRegion);
  RiseOptions options;
  options.masks = 40;
  options.grid = 4;
  options.batch_size = 16;  // several passes
  for (const bool pn : {false, true}) {
    options.positive_negative = pn;
    RiseSamples samples;
    const cv::Mat map = ComputeRise(model, RegionImage(), 0, options, &samples);
    ASSERT_EQ(samples.masks.size(), 40u);
    ASSERT_EQ(samples.logits.rows(), 40);
    ASSERT_EQ(samples.logits.cols(), 2);
    EXPECT_EQ(cv::norm(map, ComputeRise(model, RegionImage(), 0, options), cv::NORM_INF), 0.0);
    const Eigen::VectorXf scores = model::ClassScores(samples.logits, 0, options.score);
    const double p = options.keep_prob;
    cv::Mat rebuilt = cv::Mat::zeros(kSize, kSize, CV_64FC1);
    for (size_t n = 0; n < samples.masks.size(); ++n) {
      cv::Mat mask;
      samples.masks[n].convertTo(mask, CV_64FC1);
      cv::Mat kept3;
      cv::merge(std::vector<cv::Mat>(3, samples.masks[n]), kept3);
      const cv::Mat masked = RegionImage().mul(kept3) + (cv::Scalar::all(1.0) - kept3) * 0.5;
      // Each row is the model's logits of its masked image (the mean colour fills).
      EXPECT_NEAR(samples.logits(static_cast<Eigen::Index>(n), 0), model.Logits({masked})(0, 0),
                  1e-4);
      rebuilt +=
          (pn ? (mask - p) / (p * (1 - p)) : mask / p) * scores[static_cast<Eigen::Index>(n)];
    }
    rebuilt /= options.masks;
    cv::Mat map64;
    map.convertTo(map64, CV_64FC1);
    EXPECT_LT(cv::norm(map64, rebuilt, cv::NORM_INF), 1e-5) << pn;
  }
  // A limit: the first samples only, the same as the full set's first rows, the map unchanged.
  RiseSamples full, first;
  const cv::Mat full_map = ComputeRise(model, RegionImage(), 0, options, &full);
  const cv::Mat first_map = ComputeRise(model, RegionImage(), 0, options, &first, 23);
  EXPECT_EQ(cv::norm(full_map, first_map, cv::NORM_INF), 0.0);
  ASSERT_EQ(first.masks.size(), 23u);
  ASSERT_EQ(first.logits.rows(), 23);
  EXPECT_EQ(first.logits, full.logits.topRows(23));
  for (size_t n = 0; n < first.masks.size(); ++n)
    EXPECT_EQ(cv::norm(first.masks[n], full.masks[n], cv::NORM_INF), 0.0) << n;
  // Several images: each job's own samples.
  std::vector<RiseSamples> all;
  const std::vector<cv::Mat> maps = ComputeRiseAll(
      model, {{RegionImage(), options}, {RegionImage() * 0.5, options}}, {0, 0}, &all);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(maps.size(), 2u);
  for (const RiseSamples& samples : all) EXPECT_EQ(samples.logits.rows(), 40);
  EXPECT_NE(all[0].logits(0, 0), all[1].logits(0, 0));
}

TEST(RiseTest, RejectsBadOptions) {
  RiseOptions options;
  options.keep_prob = 1.0;
  EXPECT_THROW(options.Check(), OptionError);
  options = RiseOptions();
  options.masks = 0;
  EXPECT_THROW(options.Check(), OptionError);
  EXPECT_THROW(ParseMethod("lime", "--method"), OptionError);
  // Bug: --batch-size 0 failed an internal check in explain and refine.
  options = RiseOptions();
  options.masks = 4;
  options.batch_size = 0;
  testing::RegionClassifier model(kRegion);
  try {
    ForEachMaskBatch(model, RegionImage(), options, [](auto&, auto&) {});
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_EQ(std::string(e.what()), "--batch-size: must be positive, got 0");
  }
  EXPECT_EQ(model.model_calls(), 0);
}

}  // namespace
}  // namespace borex::explain
