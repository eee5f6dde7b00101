#include "borex/refine/refiner.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "borex/acquisition/ucb.h"
#include "borex/core/error.h"
#include "borex/core/random.h"
#include "borex/gp/field_gp.h"
#include "borex/gp/gaussian_process.h"
#include "borex/gp/hyperparameters.h"
#include "borex/mask/infill.h"
#include "borex/mask/segments.h"
#include "borex/refine/field_masks.h"

namespace borex::refine {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// At frame n, the mean of frames n ... n + depth − 1 (those inside the clip): the frames a cuboid
// of `depth` frames starting at n covers. The mirror of TrailingFrameAverage.
cv::Mat LeadingFrameAverage(const cv::Mat& map, int frames, int depth) {
  const int rows = map.rows / frames;
  const auto reversed = [&](const cv::Mat& in) {
    cv::Mat out(in.size(), in.type());
    for (int n = 0; n < frames; ++n)
      in.rowRange(n * rows, (n + 1) * rows)
          .copyTo(out.rowRange((frames - 1 - n) * rows, (frames - n) * rows));
    return out;
  };
  return reversed(TrailingFrameAverage(reversed(map), frames, depth));
}

// RiseObservations::kRegions: the prior's top 5% of pixels in two or more regions of a tenth of
// them each (chosen on validation among 5%, 10% and 20%; docs/algorithm.md, thirteenth round).
constexpr double kRiseRegionFraction = 0.05;
constexpr double kRiseRegionShare = 0.1;

}  // namespace

struct Refiner::State {
  model::Classifier& classifier;
  cv::Mat image;
  int label;
  RefineOptions options;
  cv::Mat prior;                   // scaled i0, or zeros
  bool fitted_mean = false;        // PriorMean::kFitted: universal kriging on the basis below
  bool has_prior = false;          // a non-constant prior was given and is used
  std::vector<cv::Mat> prior_box;  // fitted, per (depth, side) block: ī0, i0 over the mask
  int frames = 1, frame_rows = 0;  // clip frames and rows per frame (an image: 1 and its rows)
  bool video = false;              // GP over (row, col, n, side, t) instead of (row, col, side)
  std::vector<double> sides;
  std::vector<int> depths;  // {1} for an image
  std::vector<int> grid_rows, grid_cols, grid_frames;
  Eigen::MatrixXf candidates;       // dims x n: (row, col, side) or (row, col, n, side, t)
  Eigen::VectorXf candidate_prior;  // i0 at the candidate (fixed mean: the GP's prior mean)
  Eigen::MatrixXf candidate_basis;  // fitted mean: (ī0, 1) or (1) at every candidate
  std::unique_ptr<gp::CandidateGp> gp;
  // GpDomain::kPixels: the field over the cells, observed through the candidates: the squares
  // (the columns of `candidates`), then the level sets: the prior's, then the posterior mean's,
  // added as observations arrive (of pixels, or of the image's segments).
  struct LevelSet {
    cv::Mat hidden;  // CV_8UC1, 255 = hidden
    double fraction = 0;
    bool of_posterior = false;
  };
  std::unique_ptr<gp::FieldGp> field;
  CellGrid grid;
  Eigen::VectorXf prior_cells;  // the prior's cell averages
  std::vector<LevelSet> level_sets;
  cv::Mat level_set_labels;  // the image's segments that level sets are made of, or empty
  // The posterior's sets are added once new observations have arrived (each round) and retire the
  // previous ones
  // (still in the GP, as observations may refer to them, but no longer chosen): those from
  // `fixed_candidates` up to `latest_posterior_sets`.
  int posterior_sets_observations = 0;  // observations when the posterior's sets were last added
  Eigen::Index fixed_candidates = 0, latest_posterior_sets = 0;
  double field_length_scale = 0;             // pixels
  std::unique_ptr<mask::Infiller> infiller;  // the image with the chosen in-fill
  Random random;
  RefineResult result;
  // The round in flight between ProposeRound and ObserveRound: its records (mask and GP point
  // chosen), their candidates, and whether the unmasked image leads its images (Algorithm 1's
  // M(i, l), scored with the first round rather than in a forward pass of its own).
  std::vector<StepRecord> round;
  std::vector<Eigen::Index> round_candidates;
  bool round_scores_base = false;
  bool base_scored = false;
  // This refiner's own costs: images it had scored and its share of the forward passes' time
  // (several refiners may share a pass), and the time spent in its own code.
  long model_calls = 0;
  double model_seconds = 0, own_seconds = 0;

  State(model::Classifier& classifier_in, const cv::Mat& image_in, int label_in,
        RefineOptions options_in)
      : classifier(classifier_in),
        image(image_in),
        label(label_in),
        options(std::move(options_in)),
        random(options.seed) {}

  Eigen::Index per_block() const {
    return static_cast<Eigen::Index>(grid_frames.size() * grid_rows.size() * grid_cols.size());
  }

  double PriorAt(double row, double col, double frame) const {
    const int n = std::clamp(static_cast<int>(std::lround(frame)), 0, frames - 1);
    const int r = std::clamp(static_cast<int>(std::lround(row)), 0, frame_rows - 1);
    const int c = std::clamp(static_cast<int>(std::lround(col)), 0, prior.cols - 1);
    return prior.at<float>(n * frame_rows + r, c);
  }

  // The first query: the code starts at the prior's maximum with the smallest mask (video: and
  // the shallowest cuboid); without a prior (or with a constant one) we start at the centre.
  Eigen::Index FirstCandidate() const {
    const Eigen::Index smallest_block =
        per_block() * (std::min_element(sides.begin(), sides.end()) - sides.begin());
    const auto block = candidate_prior.segment(smallest_block, per_block());
    Eigen::Index best = 0;
    if (block.maxCoeff() > block.minCoeff()) {
      block.maxCoeff(&best);
      return smallest_block + best;
    }
    const auto centre = [](const std::vector<int>& grid) {
      return static_cast<Eigen::Index>(grid.size() / 2);
    };
    return smallest_block +
           (centre(grid_frames) * static_cast<Eigen::Index>(grid_rows.size()) + centre(grid_rows)) *
               static_cast<Eigen::Index>(grid_cols.size()) +
           centre(grid_cols);
  }

  // The images one observation scores: the square (cuboid) hidden, and with the flip its
  // complement hidden.
  void AppendMaskedImages(const StepRecord& step, Eigen::Index chosen,
                          std::vector<cv::Mat>& images) const {
    if (chosen >= candidates.cols()) {
      const cv::Mat& hidden = level_sets[static_cast<size_t>(chosen - candidates.cols())].hidden;
      cv::Mat masked;
      infiller->ApplyHidden(hidden, masked);
      images.push_back(masked);
      if (!options.flip) return;
      cv::Mat flipped;
      infiller->ApplyHidden(255 - hidden, flipped);
      images.push_back(flipped);
      return;
    }
    mask::Cuboid cuboid;
    cuboid.square = mask::SquareBox(step.row, step.col, step.side, frame_rows, image.cols);
    cuboid.frame0 = static_cast<int>(std::lround(step.frame));
    cuboid.frames = static_cast<int>(std::lround(step.depth));
    cv::Mat masked;
    infiller->ApplyCuboid(cuboid, /*keep_only_cuboid=*/false, masked);
    images.push_back(masked);
    if (!options.flip) return;
    cv::Mat flipped;
    infiller->ApplyCuboid(cuboid, /*keep_only_cuboid=*/true, flipped);
    images.push_back(flipped);
  }

  // Line 5: (λ, r) = argmax u over the candidates, u = (prior + residual mean) + κσ; the first
  // observation starts at FirstCandidate.
  StepRecord Choose(Eigen::Index* chosen) {
    StepRecord step;
    step.iteration = static_cast<int>(result.steps.size() + round.size());
    Eigen::VectorXf total_mean, variance;
    if (field && !options.posterior_level_sets.empty() &&
        field->num_observations() > posterior_sets_observations)
      AddPosteriorLevelSets();
    if (field) {
      total_mean = field->candidate_mean().cast<float>();
      variance = field->candidate_variance().cast<float>();
      total_mean.segment(fixed_candidates, latest_posterior_sets - fixed_candidates)
          .setConstant(-std::numeric_limits<float>::infinity());
    } else {
      total_mean = fitted_mean ? gp->candidate_mean() : candidate_prior + gp->candidate_mean();
      variance = gp->candidate_variance();
    }
    if (step.iteration == 0) {
      *chosen = FirstCandidate();
      step.acquisition = total_mean[*chosen] + options.kappa * std::sqrt(variance[*chosen]);
    } else {
      double best = 0;
      *chosen = acquisition::ArgmaxUcb(total_mean, variance, options.kappa, &best);
      step.acquisition = best;
    }
    if (*chosen >= candidates.cols()) {  // a level set (field only)
      const LevelSet& set = level_sets[static_cast<size_t>(*chosen - candidates.cols())];
      (set.of_posterior ? step.posterior_fraction : step.prior_fraction) = set.fraction;
      // Without a prior the basis' first column is the constant's (⟨w, 1⟩), not a prior's.
      step.prior_at_point = has_prior ? candidate_basis(*chosen, 0) : 0.0;
      return step;
    }
    step.row = candidates(0, *chosen);
    step.col = candidates(1, *chosen);
    if (video) {
      step.frame = candidates(2, *chosen);
      step.side = candidates(3, *chosen);
      step.depth = candidates(4, *chosen);
    } else {
      step.side = candidates(2, *chosen);
    }
    // The point entered into the GP: jittered (the mask itself is applied at the chosen point).
    step.gp_row = step.row;
    step.gp_col = step.col;
    step.gp_side = step.side;
    if (options.jitter > 0) {
      step.gp_row += options.jitter * random.Normal();
      step.gp_col += options.jitter * random.Normal();
      step.gp_side += options.jitter * random.Normal();
    }
    // The fitted mean's basis is taken at the mask actually applied; the fixed prior at the GP
    // point, whose residual the GP models.
    step.prior_at_point = fitted_mean ? (has_prior ? candidate_basis(*chosen, 0) : 0.0)
                                      : PriorAt(step.gp_row, step.gp_col, step.frame);
    return step;
  }

  Eigen::VectorXd Basis(Eigen::Index chosen) const {
    return fitted_mean ? Eigen::VectorXd(candidate_basis.row(chosen).transpose().cast<double>())
                       : Eigen::VectorXd();
  }

  // The kriging part of the posterior mean at every pixel (voxel) for one mask side (and depth).
  cv::Mat KrigingMeanForSide(const gp::CandidateGp& predictor, int side_index,
                             int depth_index) const {
    const int rows = frame_rows, cols = image.cols;
    Eigen::MatrixXf points(video ? 5 : 3, static_cast<Eigen::Index>(image.rows) * cols);
    const float side = static_cast<float>(sides[side_index]);
    const float depth = static_cast<float>(depths[depth_index]);
    Eigen::Index index = 0;
    for (int n = 0; n < frames; ++n)
      for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
          if (video)
            points.col(index++) << static_cast<float>(r), static_cast<float>(c),
                static_cast<float>(n), side, depth;
          else
            points.col(index++) << static_cast<float>(r), static_cast<float>(c), side;
        }
    Eigen::VectorXf mean(points.cols());
    predictor.PredictMean(points, mean);
    cv::Mat map(image.rows, cols, CV_32FC1);
    std::copy(mean.data(), mean.data() + mean.size(), map.ptr<float>());
    return map;
  }

  // The fitted mean function's coefficients (a, b); a = 0 without a prior.
  std::pair<double, double> MeanCoefficients(const gp::CandidateGp& predictor) const {
    const Eigen::VectorXd beta = predictor.MeanCoefficients();
    return has_prior ? std::pair{beta[0], beta[1]} : std::pair{0.0, beta[0]};
  }

  // A map's top fractions of pixels as level sets (unique fractions; none that hides every pixel,
  // as ties can), appended to `level_sets`; returns how many were added.
  Eigen::Index AddLevelSets(const cv::Mat& map, const std::vector<double>& fractions,
                            bool of_posterior) {
    const size_t before = level_sets.size();
    const cv::Mat ranked =
        level_set_labels.empty() ? map : mask::SegmentAverage(map, level_set_labels);
    for (double fraction : fractions) {
      const auto same = [&](const LevelSet& set) {
        return set.fraction == fraction && set.of_posterior == of_posterior;
      };
      if (std::any_of(level_sets.begin() + static_cast<std::ptrdiff_t>(before), level_sets.end(),
                      same))
        continue;
      cv::Mat hidden = TopFraction(ranked, fraction);
      if (cv::countNonZero(hidden) == static_cast<int>(hidden.total())) continue;
      level_sets.push_back({std::move(hidden), fraction, of_posterior});
    }
    return static_cast<Eigen::Index>(level_sets.size() - before);
  }

  // The weights of the level sets from `first` on (rows).
  Eigen::MatrixXf LevelSetWeights(size_t first) const {
    Eigen::MatrixXf weights(static_cast<Eigen::Index>(level_sets.size() - first), grid.size());
    for (size_t k = first; k < level_sets.size(); ++k)
      weights.row(static_cast<Eigen::Index>(k - first)) =
          ObservationWeights(CellAverage(grid, level_sets[k].hidden), options.flip).transpose();
    return weights;
  }

  // The field's basis values (⟨w, i0⟩, ⟨w, 1⟩, 1) of masks with these weights (rows); without a
  // prior (⟨w, 1⟩, 1).
  Eigen::MatrixXf FieldBasis(const Eigen::MatrixXf& weights) const {
    const int columns = has_prior ? 3 : 2;
    Eigen::MatrixXf basis(weights.rows(), columns);
    if (has_prior) basis.col(0) = weights * prior_cells;
    basis.col(columns - 2) = weights.rowwise().sum();
    basis.col(columns - 1).setOnes();
    return basis;
  }

  // GpDomain::kPixels: the cell grid, the prior's level sets, every candidate's weights and basis,
  // and the field GP. The squares (a clip's cuboids) are `candidates`, already laid out.
  void BuildField(const Eigen::VectorXd& length_scales) {
    const RefineOptions& o = options;
    grid = CellGrid::For(frame_rows, image.cols, frames);
    prior_cells = CellAverage(grid, prior);
    if (o.level_set_segments > 0) {
      mask::SegmentOptions segments;
      segments.scale = o.level_set_segments;
      level_set_labels = mask::SegmentLabels(image, segments, frames);
    }
    if (has_prior) AddLevelSets(prior, o.prior_level_sets, /*of_posterior=*/false);
    // The squares, one block per (depth, side), as outer products of their rows' and columns'
    // coverage in the candidates' order (first frames and row centres, then column centres): the
    // GP's blocks. An image's are also multiplied out as CellCoverage does, the dense weights
    // its basis has always been read from; a clip's, about 10⁵ rows of 10⁴ cells, are not, and
    // their basis is read from the blocks.
    const Eigen::Index squares = candidates.cols();
    const Eigen::Index dense_squares = video ? 0 : squares;
    Eigen::MatrixXf weights(dense_squares + static_cast<Eigen::Index>(level_sets.size()),
                            grid.size());
    Eigen::MatrixXf square_basis(video ? squares : 0, has_prior ? 3 : 2);
    std::vector<gp::OuterProductBlock> blocks;
    const auto [scale, offset] = ObservationAffine(grid.size(), o.flip);
    const auto n_frames = static_cast<Eigen::Index>(grid_frames.size()),
               n_rows = static_cast<Eigen::Index>(grid_rows.size()),
               n_cols = static_cast<Eigen::Index>(grid_cols.size());
    const int side_row = video ? 3 : 2;
    for (size_t j = 0; j < depths.size(); ++j)
      for (size_t i = 0; i < sides.size(); ++i) {
        const Eigen::Index first =
            static_cast<Eigen::Index>(j * sides.size() + i) * n_frames * n_rows * n_cols;
        const auto coverage = [&](Eigen::Index k) {
          return AxisCoverage(
              grid, mask::SquareBox(candidates(0, k), candidates(1, k), candidates(side_row, k),
                                    frame_rows, image.cols));
        };
        Eigen::MatrixXf row_shares(n_frames * n_rows, grid.rows), col_shares(n_cols, grid.cols);
        for (Eigen::Index f = 0; f < n_frames; ++f)
          for (Eigen::Index r = 0; r < n_rows; ++r) {
            Eigen::VectorXf rows = coverage(first + (f * n_rows + r) * n_cols).rows;
            if (video)
              rows = CuboidRowCoverage(grid, rows, grid_frames[static_cast<size_t>(f)], depths[j]);
            row_shares.row(f * n_rows + r) = rows.transpose();
          }
        for (Eigen::Index c = 0; c < n_cols; ++c)
          col_shares.row(c) = coverage(first + c).cols.transpose();
        gp::OuterProductBlock block;
        block.first = first;
        block.scale = scale;
        block.offset = offset;
        block.row_factors = row_shares.cast<double>();
        block.col_factors = col_shares.cast<double>();
        if (video) {
          // (⟨w, i0⟩, ⟨w, 1⟩, 1) from the block, as FieldBasis gives them from dense weights.
          const Eigen::Index columns = square_basis.cols();
          auto basis_rows = square_basis.middleRows(first, block.size());
          if (has_prior)
            basis_rows.col(0) =
                gp::BlockTimes(block, prior_cells.cast<double>(), grid.rows, grid.cols)
                    .cast<float>();
          basis_rows.col(columns - 2) =
              gp::BlockTimes(block, Eigen::VectorXd::Ones(grid.size()), grid.rows, grid.cols)
                  .cast<float>();
          basis_rows.col(columns - 1).setOnes();
        } else {
          Eigen::VectorXf hidden(grid.size());
          for (Eigen::Index r = 0; r < n_rows; ++r)
            for (Eigen::Index c = 0; c < n_cols; ++c) {
              for (int cell_row = 0; cell_row < grid.rows; ++cell_row)
                hidden.segment(Eigen::Index{cell_row} * grid.cols, grid.cols) =
                    row_shares(r, cell_row) * col_shares.row(c).transpose();
              weights.row(first + r * n_cols + c) = ObservationWeights(hidden, o.flip).transpose();
            }
        }
        blocks.push_back(std::move(block));
      }
    BOREX_CHECK_EQ(
        n_frames * n_rows * n_cols * static_cast<Eigen::Index>(sides.size() * depths.size()),
        squares);
    weights.bottomRows(static_cast<Eigen::Index>(level_sets.size())) = LevelSetWeights(0);
    if (video) {
      candidate_basis.resize(squares + weights.rows(), square_basis.cols());
      candidate_basis << square_basis, FieldBasis(weights);
    } else {
      candidate_basis = FieldBasis(weights);
    }
    const auto columns = candidate_basis.cols();
    Eigen::VectorXd prior_mean = Eigen::VectorXd::Zero(columns);
    Eigen::VectorXd prior_variance =
        Eigen::VectorXd::Constant(columns, o.prior_offset_sd * o.prior_offset_sd);
    if (has_prior) {
      prior_mean[0] = 1.0;
      prior_variance[0] = o.prior_coefficient_sd * o.prior_coefficient_sd;
    }
    // The position length scale, in cells; a clip's frame scale in frames.
    field_length_scale = length_scales[0];
    fixed_candidates = latest_posterior_sets = candidate_basis.rows();
    field = std::make_unique<gp::FieldGp>(
        grid.rows, grid.cols, o.kernel, length_scales[0] / grid.cell, o.signal_variance,
        o.NoiseVariance(frames), std::move(weights), candidate_basis, prior_mean, prior_variance,
        std::move(blocks), frames, video ? length_scales[2] : 1.0);
  }

  // The mask-space GP's final map: the search's GP, or the same data under the σf² and/or the
  // length-scale factor of maximum likelihood, aggregated over the sides.
  cv::Mat MaskSpaceMap(RefineResult* result) const {
    result->signal_variance = gp->kernel().signal_variance();
    result->noise_variance = options.NoiseVariance(frames);
    std::unique_ptr<gp::CandidateGp> refitted;
    if ((options.fit_signal_variance || options.fit_length_scale) && gp->num_observations() > 0) {
      const gp::MaternKernel fitted = gp::FitKernelOnGrid(
          *gp,
          options.fit_signal_variance ? gp::SignalVarianceGrid()
                                      : std::vector<double>{gp->kernel().signal_variance()},
          options.fit_length_scale ? gp::LengthScaleFactorGrid() : std::vector<double>{1.0});
      result->signal_variance = fitted.signal_variance();
      result->length_scale_factor = fitted.length_scales()[0] / gp->kernel().length_scales()[0];
      refitted = std::make_unique<gp::CandidateGp>(gp->WithKernelOnly(fitted));
    }
    const gp::CandidateGp& predictor = refitted ? *refitted : *gp;
    std::vector<cv::Mat> means;
    for (size_t j = 0; j < depths.size(); ++j)
      for (size_t i = 0; i < sides.size(); ++i) {
        cv::Mat kriging = KrigingMeanForSide(predictor, static_cast<int>(i), static_cast<int>(j));
        means.push_back(fitted_mean ? kriging : kriging + prior);
      }
    cv::Mat map = AggregateCuboids(means, sides, depths, frames, options.aggregation,
                                   options.weighted_average);
    if (fitted_mean) {
      // The prior's part per pixel, a·i0, unsmoothed: the aggregation back-projects what the masks
      // observed, while i0 is a per-pixel map already; weighted as a constant map would be. b, what
      // a mask over none of the prior's mass scores, is the baseline the map is relative to: it
      // shifts every pixel alike, so it is left out, and pixels whose masks score above it are
      // positive.
      const auto [a, b] = MeanCoefficients(predictor);
      result->prior_coefficient = a;
      result->prior_offset = b;
      if (has_prior) result->prior_coefficient_sd = options.prior_coefficient_sd;
      const std::vector<cv::Mat> ones(means.size(), cv::Mat::ones(1, 1, CV_32FC1));
      const double gain =
          AggregateCuboids(ones, sides, depths, 1, options.aggregation, options.weighted_average)
              .at<float>(0, 0);
      map += gain * a * prior;
    }
    return map;
  }

  // The field's final map: under the σf² (fit_signal_variance), σn² (fit_noise_variance), the
  // RISE masks' noise factor (fit_rise_observation_noise) and a's prior std
  // (fit_prior_coefficient_sd) of maximum marginal likelihood, or averaged over them
  // weighted by it (average_hyperparameters), a·i0 per pixel plus the deviation field between
  // cell centres; b is left out, as in the mask-space map (a shift of every pixel alike).
  cv::Mat FieldMap(RefineResult* result) const {
    // The search's own posterior, unless a grid of hyperparameters is fitted: then the fit of
    // the most likely point, or the likelihood-weighted average of every point's, read from the
    // same observations without refactoring the GP over its candidates.
    gp::FieldFit chosen{0, field->MeanCoefficients(), field->DeviationField()};
    double signal = field->signal_variance(), noise = field->noise_variance();
    Eigen::VectorXd prior_variance = field->prior_variance();
    const bool fit_sd = options.fit_prior_coefficient_sd && has_prior;
    const bool fit_rise_noise = options.fit_rise_observation_noise && result->rise_observations > 0;
    if ((options.fit_signal_variance || options.fit_noise_variance || fit_sd || fit_rise_noise) &&
        field->num_observations() > 0) {
      const std::vector<double> signals =
          options.fit_signal_variance ? gp::SignalVarianceGrid() : std::vector<double>{signal};
      const std::vector<double> noises =
          options.fit_noise_variance ? gp::NoiseVarianceGrid() : std::vector<double>{noise};
      std::vector<Eigen::VectorXd> prior_variances{prior_variance};
      if (fit_sd) {
        prior_variances.clear();
        for (double sd : gp::CoefficientSdGrid()) {
          prior_variances.push_back(prior_variance);
          prior_variances.back()[0] = sd * sd;
        }
      }
      // The deviation's amplitudes: the stationary kernel's (floor 1), and per other floor c of
      // deviation_floors, d² = c + (1 − c)·q over the cells, q the prior's rank quantile; each
      // floor once (a grid point listed twice would weigh twice in the average).
      std::vector<double> floors{1.0};
      if (has_prior)
        for (double c : options.deviation_floors)
          if (std::find(floors.begin(), floors.end(), c) == floors.end()) floors.push_back(c);
      const Eigen::VectorXd quantiles =
          floors.size() > 1 ? RankQuantiles(prior_cells) : Eigen::VectorXd();
      // The RISE prior's masks, the first observations, at σn² times each factor: how well they
      // fit the additive model, better or worse than the flips, is the image's evidence to weigh.
      const std::vector<double> rise_factors =
          fit_rise_noise ? gp::NoiseFactorGrid() : std::vector<double>{1.0};
      const Eigen::Index observed = field->num_observations();
      const auto noise_variances = [&](double n, double factor) {
        Eigen::VectorXd variances = Eigen::VectorXd::Constant(observed, n);
        variances.head(result->rise_observations) *= factor;
        return variances;
      };
      // Every point of the grid, one factor per σf², σn², the RISE masks' factor and floor.
      struct Point {
        double signal, noise, rise_factor, floor;
        const Eigen::VectorXd* prior_variance;
      };
      std::vector<Point> points;
      std::vector<gp::FieldFit> fits;
      for (double c : floors) {
        const gp::FieldGp::ObservedKernel shaped =
            c == 1.0 ? gp::FieldGp::ObservedKernel()
                     : field->ObservedUnder(DeviationScale(quantiles, c));
        for (double s : signals)
          for (double n : noises)
            for (double factor : rise_factors) {
              const Eigen::VectorXd variances = noise_variances(n, factor);
              std::vector<gp::FieldFit> under =
                  c == 1.0 ? field->FitsUnder(s, variances, prior_variances)
                           : field->FitsUnder(s, variances, prior_variances, shaped);
              for (size_t k = 0; k < under.size(); ++k) {
                points.push_back({s, n, factor, c, &prior_variances[k]});
                fits.push_back(std::move(under[k]));
              }
            }
      }
      // Type-II maximum likelihood: the first of equal maxima wins.
      const auto best = std::max_element(fits.begin(), fits.end(), [](auto& x, auto& y) {
        return x.log_likelihood < y.log_likelihood;
      });
      if (std::isfinite(best->log_likelihood)) {
        const Point& point = points[static_cast<size_t>(best - fits.begin())];
        signal = point.signal, noise = point.noise, prior_variance = *point.prior_variance;
        result->deviation_floor = point.floor;
        result->rise_noise_factor = point.rise_factor;
        chosen = options.average_hyperparameters
                     ? gp::AverageFits(fits, &result->hyperparameter_weight)
                     : std::move(*best);
      }
    }
    if (has_prior) result->prior_coefficient_sd = std::sqrt(prior_variance[0]);
    result->noise_variance = noise;
    result->signal_variance = signal;
    result->prior_coefficient = has_prior ? chosen.coefficients[0] : 0.0;
    result->prior_offset = chosen.coefficients[has_prior ? 1 : 0];
    cv::Mat map = FieldMean(chosen.deviation, result->prior_coefficient);
    if (options.map_segment_weight == 0) return map;
    return mask::SegmentBlend(map, level_set_labels, options.map_segment_weight,
                              options.map_segment_form);
  }

  // The field's map at every pixel, less b (a shift of every pixel alike): a·i0 plus the
  // deviation field between cell centres.
  cv::Mat FieldMean(const Eigen::MatrixXd& deviation, double a) const {
    return CellFieldToPixels(grid, deviation) + a * prior;
  }
  cv::Mat FieldMean(const gp::FieldGp& predictor) const {
    return FieldMean(predictor.DeviationField(), has_prior ? predictor.MeanCoefficients()[0] : 0.0);
  }

  // The RISE prior's samples as observations of the field: a RISE mask that keeps the share k of
  // each cell scores M(i⊙k) = M(i) − Σ (1 − k)·f under the additive model, so y = M(i) − M(i⊙k)
  // observes the field with the weights of the form without the flip. They join as candidates
  // that are never chosen (retired, as the posterior's earlier level sets are; empty entries in
  // `level_sets` keep the candidates' order). The first options.rise_observation_limit of them.
  void AddRiseObservations(const PriorSamples& samples) {
    BOREX_CHECK_EQ(samples.rise.logits.rows(),
                   static_cast<Eigen::Index>(samples.rise.masks.size()));
    // The first observations: FieldMap finds them by their count (fit_rise_observation_noise).
    BOREX_CHECK_EQ(field->num_observations(), 0);
    const Eigen::Index count =
        std::min<Eigen::Index>(samples.rise.logits.rows(), options.RiseSamplesRead(frames));
    const Eigen::VectorXf scores =
        model::ClassScores(samples.rise.logits.topRows(count), label, options.score);
    const double base = model::ClassScores(Eigen::MatrixXf(samples.unmasked_logits.transpose()),
                                           label, options.score)[0];
    Eigen::MatrixXf weights(count, grid.size());
    for (Eigen::Index k = 0; k < count; ++k) {
      const cv::Mat& kept = samples.rise.masks[static_cast<size_t>(k)];
      BOREX_CHECK(kept.size() == image.size() && kept.type() == CV_32FC1);
      const cv::Mat hidden = 1.0 - kept;
      weights.row(k) = ObservationWeights(CellAverage(grid, hidden), /*flip=*/false).transpose();
    }
    const Eigen::MatrixXf basis = FieldBasis(weights);
    const Eigen::Index first = field->AddCandidates(weights, basis);
    for (Eigen::Index k = 0; k < count; ++k) field->AddObservation(first + k, base - scores[k]);
    level_sets.resize(level_sets.size() + static_cast<size_t>(count));
    candidate_basis.conservativeResize(candidate_basis.rows() + count, Eigen::NoChange);
    candidate_basis.bottomRows(count) = basis;
    latest_posterior_sets = field->num_candidates();
    result.rise_observations = static_cast<int>(count);
  }

  // The posterior mean's level sets as candidates: they test the current map's own ranking, as
  // the prior's sets test the prior's.
  void AddPosteriorLevelSets() {
    const size_t first = level_sets.size();
    posterior_sets_observations = field->num_observations();
    latest_posterior_sets = field->num_candidates();
    if (AddLevelSets(FieldMean(*field), options.posterior_level_sets, /*of_posterior=*/true) == 0)
      return;
    const Eigen::MatrixXf weights = LevelSetWeights(first);
    const Eigen::MatrixXf basis = FieldBasis(weights);
    field->AddCandidates(weights, basis);
    candidate_basis.conservativeResize(candidate_basis.rows() + basis.rows(), Eigen::NoChange);
    candidate_basis.bottomRows(basis.rows()) = basis;
  }

  void AddPending(const StepRecord& step, Eigen::Index chosen) {
    if (field)
      field->AddPending(chosen);
    else
      gp->AddPending(GpPoint(step), Basis(chosen));
  }

  Eigen::VectorXd GpPoint(const StepRecord& step) const {
    Eigen::VectorXd point(video ? 5 : 3);
    if (video)
      point << step.gp_row, step.gp_col, step.frame, step.gp_side, step.depth;
    else
      point << step.gp_row, step.gp_col, step.gp_side;
    return point;
  }
};

Refiner::Refiner(model::Classifier& classifier, const cv::Mat& image, int label,
                 const cv::Mat& prior, RefineOptions options, const PriorSamples& prior_samples)
    : state_(std::make_unique<State>(classifier, image, label, std::move(options))) {
  State& s = *state_;
  const auto start = Clock::now();
  const RefineOptions& o = s.options;
  BOREX_CHECK(image.type() == CV_32FC3);
  s.frames = classifier.info().clip_frames();
  s.video = s.frames > 1;
  BOREX_CHECK_EQ(image.rows % s.frames, 0);
  s.frame_rows = image.rows / s.frames;
  const int rows = s.frame_rows, cols = image.cols;
  o.Check(rows, cols, s.frames);
  s.sides = o.SidePixels(rows, cols);
  s.depths = o.DepthFrames(s.frames);
  s.result.side_pixels = s.sides;
  s.result.depth_frames = s.depths;
  s.result.frames = s.frames;
  s.infiller = std::make_unique<mask::Infiller>(image, o.infill, classifier.info().mean,
                                                s.frame_rows, o.seed);

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
  s.fitted_mean = o.prior_mean == PriorMean::kFitted;
  double prior_min = 0, prior_max = 0;
  cv::minMaxLoc(s.prior, &prior_min, &prior_max);
  s.has_prior = prior_max > prior_min;

  // Candidates: grid centres (and first frames) x sides (x depths), laid out in blocks of one
  // (depth, side) each, side-major within a depth, so each block is contiguous.
  // The pixel field's squares: centres every cell at least (its weights are per cell).
  const bool pixels = o.Domain(s.frames) == GpDomain::kPixels;
  const int stride = pixels ? std::max(o.stride, CellGrid::For(rows, cols).cell) : o.stride;
  for (int r = stride / 2; r < rows; r += stride) s.grid_rows.push_back(r);
  for (int c = stride / 2; c < cols; c += stride) s.grid_cols.push_back(c);
  for (int n = 0; n < s.frames; n += s.video ? o.frame_step : 1) s.grid_frames.push_back(n);
  const int dims = s.video ? 5 : 3;
  const long count = s.per_block() * static_cast<long>(s.sides.size() * s.depths.size());
  const int basis_columns = s.fitted_mean ? (s.has_prior ? 2 : 1) : 0;
  // The field: per candidate its weights over the cells (float) and its cross-covariances with
  // the observations (double); the RISE masks it may read are candidates and observations both.
  const double rise_masks = static_cast<double>(std::min<size_t>(
      prior_samples.rise.masks.size(), static_cast<size_t>(o.RiseSamplesRead(s.frames))));
  // A clip's squares are not written out over the cells (BuildField).
  const double dense_rows = (s.video ? 0.0 : static_cast<double>(count)) + rise_masks;
  const double megabytes = (pixels ? dense_rows * 4.0 * CellGrid::For(rows, cols, s.frames).size() +
                                         (static_cast<double>(count) + rise_masks) * 8.0 *
                                             (o.iterations + 8 + rise_masks)
                                   : GpBytes(count, dims, o.iterations, basis_columns)) /
                           (1024.0 * 1024.0);
  if (megabytes > o.max_gp_megabytes)
    throw OptionError(
        "--max-gp-memory",
        fmt::format("{} candidates would need {:.0f} MB for the GP, more than "
                    "{:.0f} MB: raise --stride{} or lower --iterations",
                    count, megabytes, o.max_gp_megabytes, s.video ? ", --mask-frame-step" : ""));
  s.candidates.resize(dims, count);
  s.candidate_prior.resize(s.candidates.cols());
  if (s.fitted_mean && !pixels) {
    s.candidate_basis.resize(count, basis_columns);
    s.candidate_basis.rightCols(1).setOnes();
    // ī0 per (depth, side): the prior averaged over the square, then over the cuboid's frames.
    const double smallest_side = *std::min_element(s.sides.begin(), s.sides.end());
    if (s.has_prior)
      for (int depth : s.depths)
        for (double side : s.sides) {
          cv::Mat box(s.prior.size(), CV_32FC1);
          for (int n = 0; n < s.frames; ++n) {
            const cv::Mat frame = s.prior.rowRange(n * rows, (n + 1) * rows).clone();
            // kMaskMass: the sum over the square in units of the smallest square's area.
            const cv::Mat value = o.prior_basis == PriorBasis::kMaskAverage
                                      ? BoxAverage(frame, side)
                                      : BoxSum(frame, side) / (smallest_side * smallest_side);
            value.copyTo(box.rowRange(n * rows, (n + 1) * rows));
          }
          if (depth > 1) {
            box = LeadingFrameAverage(box, s.frames, depth);
            if (o.prior_basis == PriorBasis::kMaskMass) box *= depth / double(s.depths.front());
          }
          s.prior_box.push_back(box);
        }
  }
  Eigen::Index index = 0;
  for (size_t j = 0; j < s.depths.size(); ++j)
    for (size_t i = 0; i < s.sides.size(); ++i)
      for (int n : s.grid_frames)
        for (int r : s.grid_rows)
          for (int c : s.grid_cols) {
            const int depth = s.depths[j];
            const double side = s.sides[i];
            if (s.video)
              s.candidates.col(index) << static_cast<float>(r), static_cast<float>(c),
                  static_cast<float>(n), static_cast<float>(side), static_cast<float>(depth);
            else
              s.candidates.col(index) << static_cast<float>(r), static_cast<float>(c),
                  static_cast<float>(side);
            if (s.fitted_mean && s.has_prior && !pixels)
              s.candidate_basis(index, 0) =
                  s.prior_box[j * s.sides.size() + i].at<float>(n * rows + r, c);
            s.candidate_prior[index++] = s.prior.at<float>(n * rows + r, c);
          }

  Eigen::VectorXd length_scales(dims);
  const double position = o.PositionLengthScale(rows, cols, s.frames),
               size = o.SizeLengthScale(rows, cols, s.frames);
  if (s.video)
    length_scales << position, position, o.FrameLengthScale(s.frames), size,
        o.DepthLengthScale(s.frames);
  else
    length_scales << position, position, size;
  // Algorithm 1's M(i, l) is scored with the first round's images (ProposeRound).
  s.base_scored = o.flip;
  if (pixels) {
    s.BuildField(length_scales);
    if (s.has_prior && !prior_samples.empty() && o.RiseSamplesRead(s.frames) > 0 &&
        (o.rise_observations == RiseObservations::kAll ||
         (o.rise_observations == RiseObservations::kRegions &&
          SalientRegions(s.prior, kRiseRegionFraction, kRiseRegionShare) >= 2)))
      s.AddRiseObservations(prior_samples);
    s.own_seconds += Seconds(start);
    return;
  }
  s.gp = std::make_unique<gp::CandidateGp>(
      gp::MaternKernel(o.kernel, length_scales, o.signal_variance), s.candidates,
      o.NoiseVariance(s.frames),
      /*max_observations=*/o.iterations);
  if (s.fitted_mean) {
    Eigen::VectorXd prior_mean(s.candidate_basis.cols()), prior_variance(prior_mean.size());
    if (s.has_prior) {
      prior_mean << 1.0, 0.0;
      prior_variance << o.prior_coefficient_sd * o.prior_coefficient_sd,
          o.prior_offset_sd * o.prior_offset_sd;
    } else {
      prior_mean << 0.0;
      prior_variance << o.prior_offset_sd * o.prior_offset_sd;
    }
    s.gp->SetMeanBasis(s.candidate_basis, prior_mean, prior_variance,
                       s.has_prior && o.nonnegative_prior_coefficient ? 0 : -1);
  }

  s.own_seconds += Seconds(start);
}

Refiner::~Refiner() = default;

bool Refiner::done() const {
  return static_cast<int>(state_->result.steps.size()) >= state_->options.iterations;
}

std::vector<cv::Mat> Refiner::ProposeRound() {
  State& s = *state_;
  BOREX_CHECK(!done());
  BOREX_CHECK(s.round.empty());
  const auto start = Clock::now();
  const int size = std::min(s.options.acquisition_batch,
                            s.options.iterations - static_cast<int>(s.result.steps.size()));
  std::vector<cv::Mat> images;
  s.round_scores_base = !s.base_scored;
  if (s.round_scores_base) images.push_back(s.image);
  for (int j = 0; j < size; ++j) {
    Eigen::Index chosen = 0;
    s.round.push_back(s.Choose(&chosen));
    s.round_candidates.push_back(chosen);
    // GP-BUCB: every choice but the round's last becomes a pending point for the next.
    if (j + 1 < size) s.AddPending(s.round.back(), chosen);
    s.AppendMaskedImages(s.round.back(), chosen, images);
  }
  s.own_seconds += Seconds(start);
  return images;
}

std::vector<StepRecord> Refiner::ObserveRound(const Eigen::MatrixXf& logits, double model_seconds) {
  State& s = *state_;
  const RefineOptions& o = s.options;
  BOREX_CHECK(!s.round.empty());
  const Eigen::Index images =
      (s.round_scores_base ? 1 : 0) + static_cast<Eigen::Index>(s.round.size()) * (o.flip ? 2 : 1);
  BOREX_CHECK_EQ(logits.rows(), images);
  const auto start = Clock::now();
  s.model_calls += images;
  s.model_seconds += model_seconds;
  const Eigen::VectorXf scores = model::ClassScores(logits, s.label, o.score);
  Eigen::Index next = 0;
  if (s.round_scores_base) {
    s.result.base_score = scores[next++];
    s.base_scored = true;
  }
  // Lines 6-9: s = reference − masked (squashed); the GP models s (fitted mean) or s − i0(λ).
  Eigen::VectorXd values(static_cast<Eigen::Index>(s.round.size()));
  for (size_t j = 0; j < s.round.size(); ++j) {
    StepRecord& step = s.round[j];
    step.score_masked = scores[next++];
    step.score_reference = o.flip ? scores[next++] : s.result.base_score;
    double observation = step.score_reference - step.score_masked;
    if (o.squash > 0) observation = std::tanh(o.squash * observation / 2.0);
    step.observation = observation;
    values[static_cast<Eigen::Index>(j)] =
        s.fitted_mean ? observation : observation - step.prior_at_point;
  }
  const Eigen::Index pending = values.size() - 1;
  if (s.field) {
    if (pending > 0) s.field->ResolvePending(values.head(pending));
    s.field->AddObservation(s.round_candidates.back(), values[pending]);
  } else {
    if (pending > 0) s.gp->ResolvePending(values.head(pending));
    s.gp->AddObservation(s.GpPoint(s.round.back()), values[pending],
                         s.Basis(s.round_candidates.back()));
  }
  if (o.hyperopt) {
    const auto [lower, upper] = o.LengthScaleBounds(s.frame_rows, s.image.cols, s.frames);
    gp::MaternKernel fitted =
        gp::FitLengthScales(s.gp->kernel(), s.gp->observed_points(), s.gp->observed_values(),
                            o.NoiseVariance(s.frames), lower, upper);
    // δ > 0 (RefineOptions::hyperopt_tolerance): keep the current scales unless the fit gains
    // more than δ nats. SetKernel skips the rebuild when the kernel is unchanged.
    const auto likelihood = [&](const gp::MaternKernel& kernel) {
      return gp::LogMarginalLikelihood(kernel, s.gp->observed_points(), s.gp->observed_values(),
                                       o.NoiseVariance(s.frames));
    };
    if (o.hyperopt_tolerance == 0 ||
        likelihood(fitted) - likelihood(s.gp->kernel()) > o.hyperopt_tolerance)
      s.gp->SetKernel(std::move(fitted));
  }
  std::vector<StepRecord> round = std::move(s.round);
  s.round.clear();
  s.round_candidates.clear();
  for (StepRecord& step : round) {
    step.length_scales = s.field ? Eigen::VectorXd::Constant(1, s.field_length_scale)
                                 : s.gp->kernel().length_scales();
    s.result.steps.push_back(step);
  }
  s.own_seconds += Seconds(start);
  return round;
}

std::vector<StepRecord> Refiner::Step() {
  const std::vector<cv::Mat> images = ProposeRound();
  model::Classifier& classifier = state_->classifier;
  const double seconds_before = classifier.model_seconds();
  const Eigen::MatrixXf logits = classifier.Logits(images);
  return ObserveRound(logits, classifier.model_seconds() - seconds_before);
}

cv::Mat Refiner::PosteriorMeanForSide(int side_index, int depth_index) const {
  const State& s = *state_;
  BOREX_CHECK(!s.field);  // the field has one map, not one per side
  const cv::Mat kriging = s.KrigingMeanForSide(*s.gp, side_index, depth_index);
  if (!s.fitted_mean) return kriging + s.prior;
  const auto [a, b] = s.MeanCoefficients(*s.gp);
  if (!s.has_prior) return kriging + b;
  return kriging + a * s.prior_box[depth_index * s.sides.size() + side_index] + b;
}

int Refiner::dimensions() const { return state_->video ? 5 : 3; }

long Refiner::num_candidates() const {
  return static_cast<long>(state_->candidates.cols() + state_->level_sets.size());
}

RefineResult Refiner::Finish() {
  State& s = *state_;
  BOREX_CHECK(s.round.empty());
  const auto start = Clock::now();
  RefineResult result = s.result;
  result.map = s.field ? s.FieldMap(&result) : s.MaskSpaceMap(&result);
  result.iterations = static_cast<int>(result.steps.size());
  result.candidates = num_candidates();
  result.model_calls = s.model_calls;
  result.model_seconds = s.model_seconds;
  result.total_seconds = s.own_seconds + Seconds(start) + s.model_seconds;
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

cv::Mat BoxSum(const cv::Mat& map, double side) {
  const int half = static_cast<int>(side / 2);
  cv::Mat sums;
  cv::boxFilter(map, sums, CV_32F, cv::Size(2 * half + 1, 2 * half + 1), cv::Point(-1, -1),
                /*normalize=*/false, cv::BORDER_CONSTANT);
  return sums;
}

cv::Mat TrailingFrameAverage(const cv::Mat& map, int frames, int depth) {
  BOREX_CHECK(map.type() == CV_32FC1);
  BOREX_CHECK_GT(depth, 0);
  BOREX_CHECK_EQ(map.rows % frames, 0);
  const int rows = map.rows / frames;
  cv::Mat out(map.size(), CV_32FC1);
  for (int n = 0; n < frames; ++n) {
    cv::Mat band = out.rowRange(n * rows, (n + 1) * rows);
    band.setTo(0);
    const int first = std::max(0, n - depth + 1);
    for (int m = first; m <= n; ++m) band += map.rowRange(m * rows, (m + 1) * rows);
    band /= static_cast<double>(n - first + 1);
  }
  return out;
}

cv::Mat AggregateCuboids(const std::vector<cv::Mat>& means, const std::vector<double>& sides,
                         const std::vector<int>& depths, int frames, Aggregation aggregation,
                         bool weighted_average) {
  BOREX_CHECK_EQ(means.size(), sides.size() * depths.size());
  BOREX_CHECK(!means.empty());
  BOREX_CHECK_EQ(means.front().rows % frames, 0);
  const int rows = means.front().rows / frames;
  cv::Mat total = cv::Mat::zeros(means.front().size(), CV_32FC1);
  for (size_t j = 0; j < depths.size(); ++j)
    for (size_t i = 0; i < sides.size(); ++i) {
      const cv::Mat& mean = means[j * sides.size() + i];
      if (aggregation == Aggregation::kBox) {
        cv::Mat box(mean.size(), CV_32FC1);
        for (int n = 0; n < frames; ++n)
          // A copy of the frame: a filter on a view would read the neighbouring frames.
          BoxAverage(mean.rowRange(n * rows, (n + 1) * rows).clone(), sides[i])
              .copyTo(box.rowRange(n * rows, (n + 1) * rows));
        total += depths[j] > 1 ? TrailingFrameAverage(box, frames, depths[j]) : box;
      } else {
        const double weight = weighted_average ? 1.0 / (sides[i] * sides[i] * depths[j]) : 1.0;
        cv::scaleAdd(mean, weight, total, total);
      }
    }
  return total / static_cast<double>(means.size());
}

cv::Mat AggregateSides(const std::vector<cv::Mat>& means, const std::vector<double>& sides,
                       Aggregation aggregation, bool weighted_average) {
  return AggregateCuboids(means, sides, {1}, 1, aggregation, weighted_average);
}

RefineResult RunRefinement(model::Classifier& classifier, const cv::Mat& image, int label,
                           const cv::Mat& prior, const RefineOptions& options,
                           const std::function<void(const StepRecord&)>& on_step,
                           const PriorSamples& prior_samples) {
  Refiner refiner(classifier, image, label, prior, options, prior_samples);
  while (!refiner.done())
    for (const StepRecord& step : refiner.Step())
      if (on_step) on_step(step);
  return refiner.Finish();
}

void RefineTogether(model::Classifier& classifier, const std::vector<Refiner*>& refiners,
                    int max_batch) {
  BOREX_CHECK_GE(max_batch, 1);
  for (;;) {
    std::vector<Refiner*> active;
    std::vector<cv::Mat> images;
    std::vector<Eigen::Index> counts;
    for (Refiner* refiner : refiners) {
      if (refiner->done()) continue;
      std::vector<cv::Mat> proposed = refiner->ProposeRound();
      active.push_back(refiner);
      counts.push_back(static_cast<Eigen::Index>(proposed.size()));
      for (cv::Mat& image : proposed) images.push_back(std::move(image));
    }
    if (active.empty()) return;
    // One forward pass per max_batch images, in order; each refiner is charged its images'
    // share of the time.
    const double seconds_before = classifier.model_seconds();
    Eigen::MatrixXf logits;
    for (size_t first = 0; first < images.size(); first += static_cast<size_t>(max_batch)) {
      const size_t last = std::min(images.size(), first + static_cast<size_t>(max_batch));
      const Eigen::MatrixXf part = classifier.Logits(
          std::vector<cv::Mat>(images.begin() + static_cast<std::ptrdiff_t>(first),
                               images.begin() + static_cast<std::ptrdiff_t>(last)));
      if (logits.size() == 0) logits.resize(static_cast<Eigen::Index>(images.size()), part.cols());
      logits.middleRows(static_cast<Eigen::Index>(first), part.rows()) = part;
    }
    const double seconds_per_image =
        (classifier.model_seconds() - seconds_before) / static_cast<double>(images.size());
    Eigen::Index row = 0;
    for (size_t i = 0; i < active.size(); ++i) {
      active[i]->ObserveRound(logits.middleRows(row, counts[i]),
                              seconds_per_image * static_cast<double>(counts[i]));
      row += counts[i];
    }
  }
}

}  // namespace borex::refine
