#include "borex/refine/refiner.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "borex/acquisition/ucb.h"
#include "borex/core/error.h"
#include "borex/core/random.h"
#include "borex/gp/gaussian_process.h"
#include "borex/gp/hyperparameters.h"
#include "borex/mask/square_mask.h"

namespace borex::refine {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

}  // namespace

struct Refiner::State {
  model::Classifier& classifier;
  cv::Mat image;
  int label;
  RefineOptions options;
  cv::Mat prior;  // scaled i0, or zeros
  std::vector<double> sides;
  std::vector<int> grid_rows, grid_cols;
  Eigen::MatrixXf candidates;  // 3 x n: (row, col, side)
  Eigen::VectorXf candidate_prior;
  std::unique_ptr<gp::CandidateGp> gp;
  cv::Vec3f fill;
  Random random;
  cv::Mat masked, flipped;
  RefineResult result;
  Clock::time_point start;
  long calls_at_start;
  double model_seconds_at_start;

  State(model::Classifier& classifier_in, const cv::Mat& image_in, int label_in,
        RefineOptions options_in)
      : classifier(classifier_in),
        image(image_in),
        label(label_in),
        options(std::move(options_in)),
        random(options.seed) {}

  double PriorAt(double row, double col) const {
    const int r = std::clamp(static_cast<int>(std::lround(row)), 0, prior.rows - 1);
    const int c = std::clamp(static_cast<int>(std::lround(col)), 0, prior.cols - 1);
    return prior.at<float>(r, c);
  }

  // The first query: the code starts at the prior's maximum with the smallest mask; without a
  // prior (or with a constant one) we start at the image centre.
  Eigen::Index FirstCandidate() const {
    const Eigen::Index per_side = static_cast<Eigen::Index>(grid_rows.size() * grid_cols.size());
    const Eigen::Index smallest_block =
        per_side * (std::min_element(sides.begin(), sides.end()) - sides.begin());
    const auto block = candidate_prior.segment(smallest_block, per_side);
    Eigen::Index best = 0;
    if (block.maxCoeff() > block.minCoeff()) {
      block.maxCoeff(&best);
      return smallest_block + best;
    }
    const Eigen::Index row_index = static_cast<Eigen::Index>(grid_rows.size() / 2);
    const Eigen::Index col_index = static_cast<Eigen::Index>(grid_cols.size() / 2);
    return smallest_block + row_index * static_cast<Eigen::Index>(grid_cols.size()) + col_index;
  }

  // Scores of the two images of one observation, in one batch.
  std::pair<double, double> Observe(double row, double col, double side) {
    const mask::PixelBox box = mask::SquareBox(row, col, side, image.rows, image.cols);
    mask::OccludeBox(image, box, /*keep_only_box=*/false, fill, masked);
    if (!options.flip) {
      const Eigen::VectorXf scores =
          model::ClassScores(classifier.Logits({masked}), label, options.score);
      return {scores[0], result.base_score};
    }
    mask::OccludeBox(image, box, /*keep_only_box=*/true, fill, flipped);
    const Eigen::VectorXf scores =
        model::ClassScores(classifier.Logits({masked, flipped}), label, options.score);
    return {scores[0], scores[1]};
  }
};

Refiner::Refiner(model::Classifier& classifier, const cv::Mat& image, int label,
                 const cv::Mat& prior, RefineOptions options)
    : state_(std::make_unique<State>(classifier, image, label, std::move(options))) {
  State& s = *state_;
  s.start = Clock::now();
  s.calls_at_start = classifier.model_calls();
  s.model_seconds_at_start = classifier.model_seconds();
  const RefineOptions& o = s.options;
  o.Check(image.rows, image.cols);
  BOREX_CHECK(image.type() == CV_32FC3);
  s.sides = o.SidePixels(image.rows, image.cols);
  s.result.side_pixels = s.sides;
  s.fill = mask::OcclusionFill(o.occlusion, classifier.info().mean);

  // Prior: i0 scaled so that mean |i0| = prior_mean_abs (the code's normalisation).
  s.prior = cv::Mat::zeros(image.size(), CV_32FC1);
  if (o.use_prior && !prior.empty()) {
    BOREX_CHECK(prior.size() == image.size() && prior.type() == CV_32FC1);
    const double mean_abs = cv::mean(cv::abs(prior))[0];
    if (mean_abs > 0) {
      s.result.prior_scale = o.prior_mean_abs / mean_abs;
      s.prior = prior * s.result.prior_scale;
    }
  }

  // Candidates: grid centres x sides, laid out side-major so each side is one contiguous block.
  for (int r = o.stride / 2; r < image.rows; r += o.stride) s.grid_rows.push_back(r);
  for (int c = o.stride / 2; c < image.cols; c += o.stride) s.grid_cols.push_back(c);
  const Eigen::Index per_side = static_cast<Eigen::Index>(s.grid_rows.size() * s.grid_cols.size());
  s.candidates.resize(3, per_side * static_cast<Eigen::Index>(s.sides.size()));
  s.candidate_prior.resize(s.candidates.cols());
  Eigen::Index index = 0;
  for (double side : s.sides)
    for (int r : s.grid_rows)
      for (int c : s.grid_cols) {
        s.candidates.col(index) << static_cast<float>(r), static_cast<float>(c),
            static_cast<float>(side);
        s.candidate_prior[index++] = s.prior.at<float>(r, c);
      }

  Eigen::VectorXd length_scales(3);
  const double position = o.PositionLengthScale(image.rows, image.cols);
  length_scales << position, position, o.SizeLengthScale(image.rows, image.cols);
  s.gp = std::make_unique<gp::CandidateGp>(
      gp::MaternKernel(o.kernel, length_scales, o.signal_variance), s.candidates, o.noise_variance,
      /*max_observations=*/o.iterations);

  if (!o.flip) {
    const Eigen::VectorXf scores = model::ClassScores(classifier.Logits({image}), label, o.score);
    s.result.base_score = scores[0];
  }
}

Refiner::~Refiner() = default;

bool Refiner::done() const {
  return static_cast<int>(state_->result.steps.size()) >= state_->options.iterations;
}

const StepRecord& Refiner::Step() {
  State& s = *state_;
  BOREX_CHECK(!done());
  const RefineOptions& o = s.options;
  StepRecord step;
  step.iteration = static_cast<int>(s.result.steps.size());

  // Line 5: (λ, r) = argmax u over the candidates, u = (prior + residual mean) + κσ.
  Eigen::Index chosen;
  const Eigen::VectorXf total_mean = s.candidate_prior + s.gp->candidate_mean();
  if (step.iteration == 0) {
    chosen = s.FirstCandidate();
    step.acquisition = total_mean[chosen] + o.kappa * std::sqrt(s.gp->candidate_variance()[chosen]);
  } else {
    double best = 0;
    chosen = acquisition::ArgmaxUcb(total_mean, s.gp->candidate_variance(), o.kappa, &best);
    step.acquisition = best;
  }
  step.row = s.candidates(0, chosen);
  step.col = s.candidates(1, chosen);
  step.side = s.candidates(2, chosen);

  // Lines 6-7: the square mask and its flip, one batch.
  const auto [masked, reference] = s.Observe(step.row, step.col, step.side);
  step.score_masked = masked;
  step.score_reference = reference;
  double observation = reference - masked;
  if (o.squash > 0) observation = std::tanh(o.squash * observation / 2.0);
  step.observation = observation;

  // Lines 8-9: add the (jittered) point to D and update μ; the GP models s − i0(λ).
  step.gp_row = step.row;
  step.gp_col = step.col;
  step.gp_side = step.side;
  if (o.jitter > 0) {
    step.gp_row += o.jitter * s.random.Normal();
    step.gp_col += o.jitter * s.random.Normal();
    step.gp_side += o.jitter * s.random.Normal();
  }
  step.prior_at_point = s.PriorAt(step.gp_row, step.gp_col);
  Eigen::VectorXd point(3);
  point << step.gp_row, step.gp_col, step.gp_side;
  s.gp->AddObservation(point, observation - step.prior_at_point);
  if (o.hyperopt) {
    const auto [lower, upper] = o.LengthScaleBounds(s.image.rows, s.image.cols);
    s.gp->SetKernel(gp::FitLengthScales(s.gp->kernel(), s.gp->observed_points(),
                                        s.gp->observed_values(), o.noise_variance, lower, upper));
  }
  step.length_scales = s.gp->kernel().length_scales();
  s.result.steps.push_back(step);
  return s.result.steps.back();
}

cv::Mat Refiner::PosteriorMeanForSide(int side_index) const {
  const State& s = *state_;
  const int rows = s.image.rows, cols = s.image.cols;
  Eigen::MatrixXf points(3, static_cast<Eigen::Index>(rows) * cols);
  Eigen::Index index = 0;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      points.col(index++) << static_cast<float>(r), static_cast<float>(c),
          static_cast<float>(s.sides[side_index]);
  Eigen::VectorXf residual(points.cols());
  s.gp->PredictMean(points, residual);
  cv::Mat mean(rows, cols, CV_32FC1);
  std::copy(residual.data(), residual.data() + residual.size(), mean.ptr<float>());
  return mean + s.prior;
}

RefineResult Refiner::Finish() {
  State& s = *state_;
  std::vector<cv::Mat> means;
  for (size_t i = 0; i < s.sides.size(); ++i)
    means.push_back(PosteriorMeanForSide(static_cast<int>(i)));
  RefineResult result = s.result;
  result.map = AggregateSides(means, s.sides, s.options.aggregation, s.options.weighted_average);
  result.iterations = static_cast<int>(result.steps.size());
  result.model_calls = s.classifier.model_calls() - s.calls_at_start;
  result.model_seconds = s.classifier.model_seconds() - s.model_seconds_at_start;
  result.total_seconds = Seconds(s.start);
  return result;
}

cv::Mat BoxAverage(const cv::Mat& map, double side) {
  const int half = static_cast<int>(side / 2);
  cv::Mat sums, counts;
  // count_include_pad=False: divide the box sum by the number of in-image pixels it covers.
  cv::boxFilter(map, sums, CV_32F, cv::Size(2 * half + 1, 2 * half + 1), cv::Point(-1, -1),
                /*normalize=*/false, cv::BORDER_CONSTANT);
  cv::boxFilter(cv::Mat::ones(map.size(), CV_32FC1), counts, CV_32F,
                cv::Size(2 * half + 1, 2 * half + 1), cv::Point(-1, -1), false,
                cv::BORDER_CONSTANT);
  return sums / counts;
}

cv::Mat AggregateSides(const std::vector<cv::Mat>& means, const std::vector<double>& sides,
                       Aggregation aggregation, bool weighted_average) {
  BOREX_CHECK_EQ(means.size(), sides.size());
  BOREX_CHECK(!means.empty());
  cv::Mat total = cv::Mat::zeros(means.front().size(), CV_32FC1);
  for (size_t i = 0; i < means.size(); ++i) {
    if (aggregation == Aggregation::kBox) {
      total += BoxAverage(means[i], sides[i]);
    } else {
      const double weight = weighted_average ? 1.0 / (sides[i] * sides[i]) : 1.0;
      cv::scaleAdd(means[i], weight, total, total);
    }
  }
  return total / static_cast<double>(means.size());
}

RefineResult RunRefinement(model::Classifier& classifier, const cv::Mat& image, int label,
                           const cv::Mat& prior, const RefineOptions& options,
                           const std::function<void(const StepRecord&)>& on_step) {
  Refiner refiner(classifier, image, label, prior, options);
  while (!refiner.done()) {
    const StepRecord& step = refiner.Step();
    if (on_step) on_step(step);
  }
  return refiner.Finish();
}

}  // namespace borex::refine
