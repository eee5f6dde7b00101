// BOREx on video (paper §3.2): cuboid masks, the GP over (row, col, n, r, t) and the volume
// weighting 1/(r²·t), on a fake video model whose score depends on a known region in known frames.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "borex/core/error.h"
#include "borex/refine/refiner.h"
#include "support/fake_classifier.h"

namespace borex::refine {
namespace {

constexpr int kFrames = 8, kRows = 24, kCols = 24;
const cv::Rect kRegion(14, 4, 6, 6);  // x, y, w, h in each frame: rows 4..9, cols 14..19
constexpr int kFirst = 2, kLast = 4;  // the frames the model looks at

// A soft score: the region seen in all three frames gives p = 0.95, in one 0.27, in none 0.05.
testing::VideoRegionClassifier Model() {
  return testing::VideoRegionClassifier(kFrames, kRows, kRegion, kFirst, kLast, 6.0, -3.0);
}

// A grey clip with the region bright in every frame (the model sees it only in kFirst..kLast).
cv::Mat RegionClip() {
  cv::Mat clip(kFrames * kRows, kCols, CV_32FC3, cv::Scalar::all(0.5));
  for (int t = 0; t < kFrames; ++t)
    clip(kRegion + cv::Point(0, t * kRows)).setTo(cv::Scalar::all(1));
  return clip;
}

// One observation per round: each Step() is one observation.
RefineOptions SmallOptions() {
  RefineOptions options;
  options.acquisition_batch = 1;
  options.iterations = 10;
  options.mask_sizes = ParseMaskSizes("5,9");
  options.mask_frames = {2, 4};
  options.stride = 2;
  return options;
}

double Probability(model::Classifier& model, const cv::Mat& clip) {
  return model::ClassScores(model.Logits({clip}), 0, model::ScoreKind::kProbability)[0];
}

TEST(VideoRefinerTest, GpIsOverFiveDimensionsAndCandidatesCoverFramesSidesAndDepths) {
  auto model = Model();
  RefineOptions options = SmallOptions();
  options.frame_step = 2;
  Refiner refiner(model, RegionClip(), 0, cv::Mat(), options);
  EXPECT_EQ(refiner.dimensions(), 5);
  // 12 x 12 centres, first frames 0, 2, 4, 6, 2 sides, 2 depths.
  EXPECT_EQ(refiner.num_candidates(), 12L * 12 * 4 * 2 * 2);
}

TEST(VideoRefinerTest, ObservationIsTheFlippedMinusTheMaskedCuboid) {
  // Hidden voxels become black, or the model's mean colour (VideoRegionClassifier: 0.5 grey).
  for (const auto& [infill, fill] : {std::pair{mask::Infill::kBlack, cv::Vec3f(0, 0, 0)},
                                     std::pair{mask::Infill::kMean, cv::Vec3f(0.5, 0.5, 0.5)}}) {
    auto model = Model();
    const cv::Mat clip = RegionClip();
    RefineOptions options = SmallOptions();
    options.infill = infill;
    Refiner refiner(model, clip, 0, cv::Mat(), options);
    for (int i = 0; i < 6; ++i) {
      const StepRecord step = refiner.Step().front();
      // m and m̄ by hand: the pixels of the square in frames n .. n + t - 1 (clipped).
      cv::Mat hidden = clip.clone(), only = clip.clone();
      const int side = static_cast<int>(step.side);
      const int half = side / 2;  // the square's top-left corner is centre − ⌊side/2⌋
      for (int t = 0; t < kFrames; ++t)
        for (int r = 0; r < kRows; ++r)
          for (int c = 0; c < kCols; ++c) {
            const bool in_frames = t >= step.frame && t < step.frame + step.depth;
            const bool in_square = r >= step.row - half && r < step.row - half + side &&
                                   c >= step.col - half && c < step.col - half + side;
            (in_frames && in_square ? hidden : only).at<cv::Vec3f>(t * kRows + r, c) = fill;
          }
      EXPECT_NEAR(step.score_masked, Probability(model, hidden), 1e-6) << i;
      EXPECT_NEAR(step.score_reference, Probability(model, only), 1e-6) << i;
      EXPECT_NEAR(step.observation, step.score_reference - step.score_masked, 1e-12);
      EXPECT_TRUE(step.depth == 2 || step.depth == 4);
    }
  }
}

TEST(VideoRefinerTest, TwoModelCallsPerStepInOneBatch) {
  auto model = Model();
  const RefineResult result = RunRefinement(model, RegionClip(), 0, cv::Mat(), SmallOptions());
  EXPECT_EQ(result.model_calls, 2 * 10);
  EXPECT_EQ(result.frames, kFrames);
  EXPECT_EQ(result.depth_frames, (std::vector<int>{2, 4}));
  EXPECT_EQ(result.map.size(), cv::Size(kCols, kFrames * kRows));
}

TEST(VideoRefinerTest, VolumeWeightsAreExactlyInverseSideSquaredTimesDepth) {
  const std::vector<double> sides = {3.0, 5.0};
  const std::vector<int> depths = {2, 4, 8};
  std::vector<cv::Mat> means;
  double expected = 0;
  int k = 0;
  for (int depth : depths)
    for (double side : sides) {
      const double value = 1.0 + 0.5 * k++;
      means.emplace_back(2 * 3, 4, CV_32FC1, cv::Scalar(value));
      expected += value / (side * side * depth);
    }
  expected /= static_cast<double>(sides.size() * depths.size());  // 1/(p·k)
  const cv::Mat map = AggregateCuboids(means, sides, depths, 2, Aggregation::kPointwise, true);
  for (int r = 0; r < map.rows; ++r)
    for (int c = 0; c < map.cols; ++c) EXPECT_NEAR(map.at<float>(r, c), expected, 1e-6);
  const cv::Mat plain = AggregateCuboids(means, sides, depths, 2, Aggregation::kPointwise, false);
  EXPECT_NEAR(plain.at<float>(0, 0), (1.0 + 1.5 + 2.0 + 2.5 + 3.0 + 3.5) / 6, 1e-6);
}

TEST(VideoRefinerTest, BoxAggregationAveragesOverTheCoveringCuboids) {
  constexpr int frames = 5, rows = 6, cols = 7;
  cv::Mat mean(frames * rows, cols, CV_32FC1);
  cv::randu(mean, -1, 1);
  const double side = 3;  // a 3-wide box
  const int depth = 3;
  const cv::Mat box = AggregateCuboids({mean}, {side}, {depth}, frames, Aggregation::kBox, true);
  for (int n = 0; n < frames; ++n)
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        // Cuboids covering voxel (n, r, c): first frames m = n - 2 .. n (m >= 0), centres within
        // the box (inside the frame).
        double sum = 0;
        int count = 0;
        for (int m = std::max(0, n - depth + 1); m <= n; ++m)
          for (int i = r - 1; i <= r + 1; ++i)
            for (int j = c - 1; j <= c + 1; ++j)
              if (i >= 0 && j >= 0 && i < rows && j < cols) {
                // The box average is taken first, per first frame, then averaged over m.
                sum += mean.at<float>(m * rows + i, j);
                ++count;
              }
        // Equal weights per m only when every m has the same count: true here (same r, c).
        EXPECT_NEAR(box.at<float>(n * rows + r, c), sum / count, 1e-5) << n << "," << r << "," << c;
      }
}

TEST(VideoRefinerTest, FindsTheRegionAndItsFramesWithoutAPrior) {
  auto model = Model();
  RefineOptions options = SmallOptions();
  options.iterations = 50;
  options.kappa = 1.0;
  options.mask_frames = {1, 3};
  options.length_scale_frame = 1.0;
  const RefineResult result = RunRefinement(model, RegionClip(), 0, cv::Mat(), options);
  // The region's voxels in the watched frames against the same region in the other frames and
  // against everything else.
  double watched = 0, unwatched = 0;
  for (int t = 0; t < kFrames; ++t) {
    const double value = cv::mean(result.map(kRegion + cv::Point(0, t * kRows)))[0];
    (t >= kFirst && t <= kLast ? watched : unwatched) += value;
  }
  watched /= kLast - kFirst + 1;
  unwatched /= kFrames - (kLast - kFirst + 1);
  EXPECT_GT(watched, unwatched + 1e-4) << watched << " vs " << unwatched;
  cv::Mat outside(result.map.size(), CV_8U, cv::Scalar(255));
  for (int t = 0; t < kFrames; ++t) outside(kRegion + cv::Point(0, t * kRows)).setTo(0);
  const double elsewhere = cv::mean(result.map, outside)[0];
  EXPECT_GT(watched, elsewhere + 1e-4) << watched << " vs " << elsewhere;
}

TEST(VideoRefinerTest, PriorVoxelsAreTheInitialMeanAndTheFirstQueryTheirMaximum) {
  auto model = Model();
  cv::Mat prior(kFrames * kRows, kCols, CV_32FC1, cv::Scalar(0.2));
  prior.at<float>(5 * kRows + 13, 7) = 4.0f;  // frame 5, row 13, col 7: a candidate centre
  RefineOptions paper = SmallOptions();
  paper.prior_mean = PriorMean::kFixed;  // the paper's: μ starts at i0 itself
  const double scale = 0.1 / cv::mean(cv::abs(prior))[0];
  {
    Refiner fixed(model, RegionClip(), 0, prior, paper);
    EXPECT_NEAR(fixed.PosteriorMeanForSide(1, 1).at<float>(5 * kRows + 13, 7), 4.0 * scale, 1e-5);
  }
  // Fitted (the default): μ starts at ī0, i0 averaged over the cuboid's square in each of its
  // frames n ... n + t − 1 (clipped at the clip's end).
  Refiner refiner(model, RegionClip(), 0, prior, SmallOptions());
  const cv::Mat mean = refiner.PosteriorMeanForSide(1, 1);
  const double side = SmallOptions().SidePixels(kRows, kCols)[1];
  const int depth = SmallOptions().DepthFrames(kFrames)[1];
  for (int n : {0, 5, kFrames - 1}) {
    double expected = 0;
    int count = 0;
    for (int m = n; m < std::min(kFrames, n + depth); ++m, ++count)
      expected += BoxAverage(prior.rowRange(m * kRows, (m + 1) * kRows).clone() * scale, side)
                      .at<float>(13, 7);
    EXPECT_NEAR(mean.at<float>(n * kRows + 13, 7), expected / count, 1e-5) << n;
  }
  const StepRecord step = refiner.Step().front();
  EXPECT_EQ(step.frame, 5.0);
  EXPECT_EQ(step.row, 13.0);
  EXPECT_EQ(step.col, 7.0);
  EXPECT_EQ(step.side, 5.0);
  EXPECT_EQ(step.depth, 2.0);
  // That cuboid's ī0 (frames 5 and 6) is its basis value and its mean; UCB adds κ times the
  // prior std of a·ī0 + b + g: σ² = σf² + SD_a²·ī0² + SD_b².
  double basis = 0;
  for (int m : {5, 6})
    basis += BoxAverage(prior.rowRange(m * kRows, (m + 1) * kRows).clone() * scale, 5.0)
                 .at<float>(13, 7) /
             2;
  const RefineOptions o = SmallOptions();
  EXPECT_NEAR(step.prior_at_point, basis, 1e-5);
  EXPECT_NEAR(
      step.acquisition,
      basis + o.kappa * std::sqrt(o.signal_variance + std::pow(o.prior_coefficient_sd * basis, 2) +
                                  std::pow(o.prior_offset_sd, 2)),
      1e-4);
}

TEST(VideoRefinerTest, TheMassBasisIsTheCuboidsSumInUnitsOfTheSmallestOne) {
  auto model = Model();
  cv::Mat prior(kFrames * kRows, kCols, CV_32FC1);
  cv::randu(prior, 0, 3);
  RefineOptions options = SmallOptions();
  options.prior_basis = PriorBasis::kMaskMass;
  Refiner refiner(model, RegionClip(), 0, prior, options);
  const double scale = 0.1 / cv::mean(cv::abs(prior))[0];
  const std::vector<double> sides = options.SidePixels(kRows, kCols);
  const std::vector<int> depths = options.DepthFrames(kFrames);
  ASSERT_EQ(depths, (std::vector<int>{2, 4}));
  const double smallest = std::min(sides[0], sides[1]);
  // No observation: the mean is the basis (a = 1, b = 0). The larger side and depth: the sum over
  // the square of each covered frame (fewer at the clip's end), averaged over those frames and
  // times the depth, over the smallest square's area times the smallest depth.
  const cv::Mat mean = refiner.PosteriorMeanForSide(1, 1);
  for (int n : {0, 5, kFrames - 1}) {
    double sum = 0;
    int covered = 0;
    for (int t = n; t < std::min(kFrames, n + depths[1]); ++t, ++covered)
      sum += BoxSum(prior.rowRange(t * kRows, (t + 1) * kRows).clone() * scale, sides[1])
                 .at<float>(13, 7);
    const double expected = sum / covered * depths[1] / (smallest * smallest * depths[0]);
    EXPECT_NEAR(mean.at<float>(n * kRows + 13, 7), expected, 1e-5) << n;
  }
}

TEST(VideoRefinerTest, SameSeedSameMapBitForBit) {
  RefineOptions options = SmallOptions();
  options.jitter = 1.0;
  options.seed = 3;
  auto model_a = Model(), model_b = Model();
  const cv::Mat a = RunRefinement(model_a, RegionClip(), 0, cv::Mat(), options).map;
  const cv::Mat b = RunRefinement(model_b, RegionClip(), 0, cv::Mat(), options).map;
  EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0.0);
}

TEST(VideoRefinerTest, CandidateSetsBeyondTheMemoryBoundAreRefusedBeforeAllocating) {
  auto model = Model();
  RefineOptions options = SmallOptions();
  options.stride = 1;
  // 24·24·8 first frames·2 sides·2 depths = 18432 candidates, (10 + 5 + 3)·4 bytes each.
  EXPECT_NEAR(GpBytes(18432, 5, 10), 18432.0 * 18 * 4, 1e-6);
  // A fitted mean of a·i0 + b (p = 2): Hc and W, 2 floats each, and the combined mean and
  // variance.
  EXPECT_NEAR(GpBytes(18432, 5, 10, 2), 18432.0 * (18 + 6) * 4, 1e-6);
  // Without a prior the fitted mean is the constant b alone (p = 1): 22 floats, 1.55 MiB.
  options.max_gp_megabytes = 1.5;
  try {
    Refiner refiner(model, RegionClip(), 0, cv::Mat(), options);
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("18432 candidates would need 2 MB"), std::string::npos)
        << e.what();
  }
  options.max_gp_megabytes = 1.6;
  EXPECT_NO_THROW(Refiner(model, RegionClip(), 0, cv::Mat(), options));
}

// The pixel field on a clip (--gp-over pixels): a field over the frames' cells, observed through
// the cuboids (outer-product blocks, their rows the frames' shares) and the maps' level sets.
RefineOptions FieldOptions() {
  RefineOptions options = SmallOptions();
  options.gp_domain = GpDomain::kPixels;
  options.iterations = 40;
  options.kappa = 1.0;
  options.mask_frames = {1, 3};
  options.length_scale_frame = 1.0;
  return options;
}

// The voxels the model watches against the same region in the other frames and against the rest.
void ExpectTheWatchedRegionLeads(const cv::Mat& map) {
  double watched = 0, unwatched = 0;
  for (int t = 0; t < kFrames; ++t) {
    const double value = cv::mean(map(kRegion + cv::Point(0, t * kRows)))[0];
    (t >= kFirst && t <= kLast ? watched : unwatched) += value;
  }
  watched /= kLast - kFirst + 1;
  unwatched /= kFrames - (kLast - kFirst + 1);
  EXPECT_GT(watched, unwatched + 1e-4) << watched << " vs " << unwatched;
  cv::Mat outside(map.size(), CV_8U, cv::Scalar(255));
  for (int t = 0; t < kFrames; ++t) outside(kRegion + cv::Point(0, t * kRows)).setTo(0);
  const double elsewhere = cv::mean(map, outside)[0];
  EXPECT_GT(watched, elsewhere + 1e-4) << watched << " vs " << elsewhere;
}

TEST(VideoRefinerTest, PixelFieldFindsTheRegionAndItsFrames) {
  auto model = Model();
  const RefineOptions options = FieldOptions();
  Refiner refiner(model, RegionClip(), 0, cv::Mat(), options);
  // 12 x 12 centres, 8 first frames, 2 sides, 2 depths, and no prior's level sets.
  EXPECT_EQ(refiner.num_candidates(), 12L * 12 * 8 * 2 * 2);
  const RefineResult result = RunRefinement(model, RegionClip(), 0, cv::Mat(), options);
  ASSERT_EQ(result.map.size(), RegionClip().size());
  ExpectTheWatchedRegionLeads(result.map);
  // With the region's voxels in the watched frames as the prior (over a faint ramp, so that its
  // top fractions are not all ties), the prior's level sets join the candidates: of pixels, one
  // per fraction; of each frame's segments (the default), as many as differ. The fitted a is
  // positive.
  cv::Mat prior(kFrames * kRows, kCols, CV_32FC1);
  for (int r = 0; r < prior.rows; ++r)
    for (int c = 0; c < kCols; ++c) prior.at<float>(r, c) = 0.01F * static_cast<float>(c);
  for (int t = kFirst; t <= kLast; ++t) prior(kRegion + cv::Point(0, t * kRows)).setTo(1);
  RefineOptions of_pixels = options;
  of_pixels.level_set_segments = 0;
  EXPECT_EQ(Refiner(model, RegionClip(), 0, prior, of_pixels).num_candidates(),
            refiner.num_candidates() + static_cast<long>(options.prior_level_sets.size()));
  EXPECT_GT(Refiner(model, RegionClip(), 0, prior, options).num_candidates(),
            refiner.num_candidates());
  const RefineResult with_prior = RunRefinement(model, RegionClip(), 0, prior, options);
  ExpectTheWatchedRegionLeads(with_prior.map);
  EXPECT_GT(with_prior.prior_coefficient, 0);
  auto again = Model();
  EXPECT_EQ(cv::norm(RunRefinement(again, RegionClip(), 0, prior, options).map, with_prior.map,
                     cv::NORM_INF),
            0.0);
}

// A clip's field correlates the frames over length_scale_frame frames, not over the position's
// scale: with a scale far beyond the clip, every frame's deviation is the same map.
TEST(VideoRefinerTest, PixelFieldFramesCorrelateOverTheFrameLengthScale) {
  auto model = Model();
  RefineOptions options = FieldOptions();
  options.length_scale_frame = 1e4;
  options.iterations = 10;
  const cv::Mat map = RunRefinement(model, RegionClip(), 0, cv::Mat(), options).map;
  double peak = 0;
  cv::minMaxLoc(cv::abs(map), nullptr, &peak);
  for (int t = 1; t < kFrames; ++t)
    EXPECT_LT(
        cv::norm(map.rowRange(t * kRows, (t + 1) * kRows), map.rowRange(0, kRows), cv::NORM_INF),
        1e-3 * peak)
        << t;
}

// A clip's field reads no RISE masks (the gate counts an image's regions), and its position
// length scale is an image's: the squares' GP's doubled one was measured for the squares.
TEST(VideoRefinerTest, PixelFieldReadsNoRiseMasksAndKeepsTheImagesLengthScale) {
  RefineOptions options;
  options.gp_domain = GpDomain::kPixels;
  EXPECT_GT(options.RiseSamplesRead(1), 0);
  EXPECT_EQ(options.RiseSamplesRead(kFrames), 0);
  EXPECT_EQ(options.PositionLengthScale(112, 112, 16), options.PositionLengthScale(112, 112));
  options.gp_domain = GpDomain::kMasks;
  EXPECT_EQ(options.PositionLengthScale(112, 112, 16), 2 * options.PositionLengthScale(112, 112));
  EXPECT_EQ(RefineOptions().PositionLengthScale(112, 112, 16),
            2 * options.PositionLengthScale(112, 112));  // auto: the squares' on a clip
}

TEST(VideoRefinerTest, RejectsDepthsBeyondTheClip) {
  RefineOptions options = SmallOptions();
  options.mask_frames = {2, 9};
  try {
    options.Check(kRows, kCols, kFrames);
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("--mask-frames"), std::string::npos);
  }
  EXPECT_THROW(ParseMaskFrames("2,x"), OptionError);
  EXPECT_THROW(ParseMaskFrames("0"), OptionError);
  EXPECT_EQ(ParseMaskFrames("4,2"), (std::vector<int>{4, 2}));
  EXPECT_EQ(RefineOptions().DepthFrames(16), (std::vector<int>{8, 16}));
  EXPECT_EQ(RefineOptions().DepthFrames(1), (std::vector<int>{1}));
  // Video length scales: twice the image's (12, 20 px at 224) in space, T/2 frames in time.
  const RefineOptions defaults;
  EXPECT_DOUBLE_EQ(defaults.PositionLengthScale(112, 112, 16), 12.0);
  EXPECT_DOUBLE_EQ(defaults.SizeLengthScale(112, 112, 16), 20.0);
  EXPECT_DOUBLE_EQ(defaults.PositionLengthScale(112, 112), 6.0);
  EXPECT_DOUBLE_EQ(defaults.FrameLengthScale(16), 8.0);
  EXPECT_DOUBLE_EQ(defaults.DepthLengthScale(16), 8.0);
}

}  // namespace
}  // namespace borex::refine
