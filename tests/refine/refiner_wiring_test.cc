// The pixel field's refiner against an independent assembly of its GP: every candidate's weights
// from its own drawn mask, the basis (⟨w, i0⟩, ⟨w, 1⟩, 1), the coefficients' priors and the
// length scale in cells as docs/algorithm.md states them, fed to a gp::FieldGp (itself checked
// against the textbook conditioning in tests/gp/field_gp_test.cc). The refiner's choices, its
// final map and its coefficients must be this GP's after the same observations.
#include "borex/refine/refiner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "borex/explain/rise.h"
#include "borex/gp/field_gp.h"
#include "borex/mask/square_mask.h"
#include "borex/refine/field_masks.h"
#include "support/fake_classifier.h"

namespace borex::refine {
namespace {

// 64 x 64 pixels: cells of 2 x 2 (CellGrid), so that a length scale in pixels and one in cells
// differ.
constexpr int kSize = 64;
const cv::Rect kRegion(36, 12, 16, 16);  // x, y, w, h

cv::Mat RegionImage() {
  cv::Mat image(kSize, kSize, CV_32FC3, cv::Scalar::all(0.5));
  image(kRegion).setTo(cv::Scalar::all(1.0));
  return image;
}

// A prior over noise that marks the region and, less, a place the model does not read.
cv::Mat TwoPlacePrior() {
  cv::Mat prior(kSize, kSize, CV_32FC1);
  cv::theRNG().state = 7;
  cv::randu(prior, 0, 0.3);
  prior(kRegion) += 1.0;
  prior(cv::Rect(4, 40, 12, 12)) += 0.6;
  return prior;
}

// The field's GP, built from the options and the scaled prior alone.
class FieldOracle {
 public:
  FieldOracle(const cv::Mat& scaled_prior, const RefineOptions& o)
      : grid_(CellGrid::For(kSize, kSize)),
        prior_(scaled_prior),
        flip_(o.flip),
        sides_(o.SidePixels(kSize, kSize)),
        stride_(std::max(o.stride, grid_.cell)) {
    EXPECT_EQ(grid_.cell, 2);
    prior_cells_ = CellAverage(grid_, prior_);
    for (int r = stride_ / 2; r < kSize; r += stride_) centres_.push_back(r);
    std::vector<Eigen::VectorXf> rows;
    for (double side : sides_)
      for (int r : centres_)
        for (int c : centres_)
          rows.push_back(CellCoverage(grid_, mask::SquareBox(r, c, side, kSize, kSize)));
    for (double fraction : o.prior_level_sets)
      rows.push_back(CellAverage(grid_, TopFraction(prior_, fraction)));
    const Eigen::MatrixXf weights = Weights(rows, flip_);
    Eigen::VectorXd mean(3), variance(3);
    mean << 1.0, 0.0, 0.0;
    variance << o.prior_coefficient_sd * o.prior_coefficient_sd,
        o.prior_offset_sd * o.prior_offset_sd, o.prior_offset_sd * o.prior_offset_sd;
    gp_ = std::make_unique<gp::FieldGp>(
        grid_.rows, grid_.cols, o.kernel, o.PositionLengthScale(kSize, kSize) / grid_.cell,
        o.signal_variance, o.NoiseVariance(), weights, Basis(weights), mean, variance);
    choosable_ = gp_->num_candidates();
  }

  // The RISE prior's masks as observations: what each hides, without the flip, observed as
  // M(i) − M(i ⊙ kept).
  void ObserveRiseMasks(const PriorSamples& samples, int label, model::ScoreKind score) {
    std::vector<Eigen::VectorXf> rows;
    for (const cv::Mat& kept : samples.rise.masks)
      rows.push_back(CellAverage(grid_, cv::Mat(1.0 - kept)));
    const Eigen::MatrixXf weights = Weights(rows, /*flip=*/false);
    const Eigen::Index first = gp_->AddCandidates(weights, Basis(weights));
    const Eigen::VectorXf scores = model::ClassScores(samples.rise.logits, label, score);
    const double base =
        model::ClassScores(Eigen::MatrixXf(samples.unmasked_logits.transpose()), label, score)[0];
    for (Eigen::Index k = 0; k < scores.size(); ++k)
      gp_->AddObservation(first + k, base - scores[k]);
  }

  // The candidate a step observed: a square by its centre and side, or the prior's k-th set.
  Eigen::Index Candidate(const StepRecord& step, const RefineOptions& o) const {
    const auto per_side = static_cast<Eigen::Index>(centres_.size() * centres_.size());
    if (step.prior_fraction > 0) {
      const auto k =
          std::find(o.prior_level_sets.begin(), o.prior_level_sets.end(), step.prior_fraction) -
          o.prior_level_sets.begin();
      return static_cast<Eigen::Index>(sides_.size()) * per_side + k;
    }
    const auto side = std::find(sides_.begin(), sides_.end(), step.side) - sides_.begin();
    const auto index = [&](double centre) {
      return static_cast<Eigen::Index>((static_cast<int>(centre) - stride_ / 2) / stride_);
    };
    return side * per_side + index(step.row) * static_cast<Eigen::Index>(centres_.size()) +
           index(step.col);
  }

  // UCB's value at a candidate, and its largest over the candidates the search may choose.
  double Acquisition(Eigen::Index candidate, double kappa) const {
    return gp_->candidate_mean()[candidate] +
           kappa * std::sqrt(gp_->candidate_variance()[candidate]);
  }
  double BestAcquisition(double kappa) const {
    double best = -std::numeric_limits<double>::infinity();
    for (Eigen::Index k = 0; k < choosable_; ++k) best = std::max(best, Acquisition(k, kappa));
    return best;
  }

  void Observe(Eigen::Index candidate, double value) { gp_->AddObservation(candidate, value); }

  double a() const { return gp_->MeanCoefficients()[0]; }
  double b() const { return gp_->MeanCoefficients()[1]; }
  cv::Mat Map() const { return CellFieldToPixels(grid_, gp_->DeviationField()) + a() * prior_; }

 private:
  static Eigen::MatrixXf Weights(const std::vector<Eigen::VectorXf>& hidden, bool flip) {
    Eigen::MatrixXf weights(static_cast<Eigen::Index>(hidden.size()), hidden.front().size());
    for (size_t k = 0; k < hidden.size(); ++k)
      weights.row(static_cast<Eigen::Index>(k)) = ObservationWeights(hidden[k], flip).transpose();
    return weights;
  }
  Eigen::MatrixXf Basis(const Eigen::MatrixXf& weights) const {
    Eigen::MatrixXf basis(weights.rows(), 3);
    basis.col(0) = weights * prior_cells_;
    basis.col(1) = weights.rowwise().sum();
    basis.col(2).setOnes();
    return basis;
  }

  CellGrid grid_;
  cv::Mat prior_;
  Eigen::VectorXf prior_cells_;
  bool flip_;
  std::vector<double> sides_;
  int stride_;
  std::vector<int> centres_;
  std::unique_ptr<gp::FieldGp> gp_;
  Eigen::Index choosable_ = 0;
};

// The field with its search's own hyperparameters (no final-map fit), priors on a and b that
// are not the defaults, so that each is seen, and the stride below the cell's size.
RefineOptions WiringOptions() {
  RefineOptions options;
  options.gp_domain = GpDomain::kPixels;
  options.acquisition_batch = 1;
  options.iterations = 14;
  options.mask_sizes = ParseMaskSizes("8,14");  // smaller than the region: its set leads
  options.stride = 1;
  options.level_set_segments = 0;
  options.posterior_level_sets.clear();
  options.prior_level_sets = {0.0625, 0.2};
  options.fit_signal_variance = false;
  options.fit_prior_coefficient_sd = false;
  options.prior_coefficient_sd = 3;
  options.prior_offset_sd = 0.7;
  return options;
}

// Replays a refinement through the oracle: each step's acquisition is the oracle's UCB at the
// step's mask, the largest there is after the first step, and the final map and coefficients
// are the oracle's after every observation.
void ExpectTheOraclesRefinement(const RefineOptions& options, const PriorSamples& samples = {}) {
  testing::RegionClassifier model(kRegion, 20.0, -15.0);
  const cv::Mat image = RegionImage(), prior = TwoPlacePrior();
  const RefineResult result = RunRefinement(model, image, 0, prior, options, {}, samples);
  ASSERT_EQ(result.steps.size(), static_cast<size_t>(options.iterations));
  FieldOracle oracle(prior * result.prior_scale, options);
  if (!samples.empty()) {
    ASSERT_EQ(result.rise_observations, static_cast<int>(samples.rise.masks.size()));
    oracle.ObserveRiseMasks(samples, 0, options.score);
  }
  // Squares centred on every cell (the stride of 1 pixel is below the cell's 2), the prior's
  // sets and the RISE masks.
  EXPECT_EQ(result.candidates, 2L * 32 * 32 + static_cast<long>(options.prior_level_sets.size()) +
                                   result.rise_observations);
  int level_sets = 0;
  for (const StepRecord& step : result.steps) {
    EXPECT_EQ(step.length_scales,
              Eigen::VectorXd::Constant(1, options.PositionLengthScale(kSize, kSize)));  // pixels
    const Eigen::Index candidate = oracle.Candidate(step, options);
    const double acquisition = oracle.Acquisition(candidate, options.kappa);
    EXPECT_NEAR(step.acquisition, acquisition, 1e-4 * (1 + std::abs(acquisition)))
        << "step " << step.iteration;
    if (step.iteration > 0)
      EXPECT_NEAR(acquisition, oracle.BestAcquisition(options.kappa),
                  1e-4 * (1 + std::abs(acquisition)))
          << "step " << step.iteration;
    level_sets += step.prior_fraction > 0 ? 1 : 0;
    oracle.Observe(candidate, step.observation);
  }
  EXPECT_GE(level_sets, 1);  // both kinds of mask were observed
  EXPECT_LT(level_sets, options.iterations);
  const cv::Mat expected = oracle.Map();
  double peak = 0;
  cv::minMaxLoc(cv::abs(expected), nullptr, &peak);
  EXPECT_LT(cv::norm(result.map, expected, cv::NORM_INF), 1e-4 * peak);
  EXPECT_NEAR(result.prior_coefficient, oracle.a(), 1e-4 * (1 + std::abs(oracle.a())));
  EXPECT_NEAR(result.prior_offset, oracle.b(), 1e-4 * (1 + std::abs(oracle.b())));
}

TEST(RefinerWiringTest, TheFieldIsTheGpOfTheObservedMasksUnderTheStatedPriors) {
  ExpectTheOraclesRefinement(WiringOptions());
}

TEST(RefinerWiringTest, WithoutTheFlipEveryMaskIsObservedAsWhatItHides) {
  RefineOptions options = WiringOptions();
  options.flip = false;
  ExpectTheOraclesRefinement(options);
}

TEST(RefinerWiringTest, TheRisePriorsMasksAreObservationsOfWhatTheyHide) {
  testing::RegionClassifier model(kRegion, 20.0, -15.0);
  PriorSamples samples;
  explain::RiseOptions rise;
  rise.masks = 24;
  rise.grid = 4;
  explain::ComputeRise(model, RegionImage(), 0, rise, &samples.rise);
  samples.unmasked_logits = model.Logits({RegionImage()}).row(0).transpose();
  RefineOptions options = WiringOptions();
  options.rise_observations = RiseObservations::kAll;
  ExpectTheOraclesRefinement(options, samples);
}

}  // namespace
}  // namespace borex::refine
