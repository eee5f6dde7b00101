#include "borex/gp/field_gp.h"

#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <Eigen/Dense>
#include <cmath>
#include <limits>
#include <random>

namespace borex::gp {
namespace {

constexpr int kRows = 4, kCols = 5, kCells = kRows * kCols;
constexpr double kLengthScale = 1.7, kSignalVariance = 0.8, kNoise = 0.02;
// The candidates' cross-covariances are float products (the weights are stored in float).
constexpr double kTolerance = 2e-6;

// The separable kernel built cell pair by cell pair, independently of FieldGp's K_r W K_c.
Eigen::MatrixXd DenseKernel() {
  Eigen::MatrixXd kernel(kCells, kCells);
  for (int i = 0; i < kCells; ++i)
    for (int j = 0; j < kCells; ++j)
      kernel(i, j) = MaternKernel::Profile(MaternNu::kThreeHalves,
                                           std::abs(i / kCols - j / kCols) / kLengthScale) *
                     MaternKernel::Profile(MaternNu::kThreeHalves,
                                           std::abs(i % kCols - j % kCols) / kLengthScale);
  return kernel;
}

struct Problem {
  Eigen::MatrixXf weights;  // candidates x cells
  Eigen::MatrixXf basis;    // candidates x 2
  Eigen::VectorXd prior_mean, prior_variance;
};

Problem MakeProblem() {
  std::mt19937 random(7);
  std::uniform_real_distribution<float> uniform(-1, 1);
  Problem p;
  p.weights.resize(9, kCells);
  for (Eigen::Index i = 0; i < p.weights.size(); ++i) p.weights.data()[i] = uniform(random);
  p.basis.resize(9, 2);
  for (Eigen::Index i = 0; i < p.basis.size(); ++i) p.basis.data()[i] = uniform(random);
  p.prior_mean = Eigen::Vector2d(1.0, -0.3);
  p.prior_variance = Eigen::Vector2d(4.0, 0.5);
  return p;
}

// The joint Gaussian of z = (β, g), conditioned on y = [H W] z + ε by the textbook formula: the
// posterior mean and covariance of z given the rows `rows` of the design.
struct Joint {
  Eigen::VectorXd mean;
  Eigen::MatrixXd covariance;
  double log_likelihood = 0;
};

Joint Condition(const Problem& p, const std::vector<int>& rows, const Eigen::VectorXd& values,
                double scale, const Eigen::VectorXd& noises,
                const Eigen::MatrixXd& kernel = DenseKernel()) {
  const int q = 2 + kCells;
  Eigen::VectorXd mean = Eigen::VectorXd::Zero(q);
  mean.head(2) = p.prior_mean;
  Eigen::MatrixXd covariance = Eigen::MatrixXd::Zero(q, q);
  covariance.topLeftCorner(2, 2) = p.prior_variance.asDiagonal();
  covariance.bottomRightCorner(kCells, kCells) = scale * kernel;
  Eigen::MatrixXd design(static_cast<Eigen::Index>(rows.size()), q);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto r = static_cast<Eigen::Index>(i);
    design.row(r).head(2) = p.basis.row(rows[i]).cast<double>();
    design.row(r).tail(kCells) = p.weights.row(rows[i]).cast<double>();
  }
  const Eigen::MatrixXd s =
      design * covariance * design.transpose() + Eigen::MatrixXd(noises.asDiagonal());
  const Eigen::MatrixXd gain = covariance * design.transpose() * s.inverse();
  Joint joint;
  if (values.size() > 0) {
    const Eigen::VectorXd residual = values - design * mean;
    joint.mean = mean + gain * residual;
    joint.log_likelihood = -0.5 * residual.dot(s.inverse() * residual) -
                           0.5 * std::log(s.determinant()) -
                           0.5 * static_cast<double>(values.size()) * std::log(2 * M_PI);
  } else {
    joint.mean = mean;
  }
  joint.covariance = covariance - gain * design * covariance;
  return joint;
}

// The same with one noise variance for every observation.
Joint Condition(const Problem& p, const std::vector<int>& rows, const Eigen::VectorXd& values,
                double scale, double noise = kNoise,
                const Eigen::MatrixXd& kernel = DenseKernel()) {
  return Condition(p, rows, values, scale,
                   Eigen::VectorXd::Constant(static_cast<Eigen::Index>(rows.size()), noise),
                   kernel);
}

double Scale(const Problem& p, double signal_variance) {
  const Eigen::MatrixXd w = p.weights.cast<double>();
  return signal_variance / (w * DenseKernel() * w.transpose()).diagonal().mean();
}

Eigen::VectorXd Functional(const Problem& p, Eigen::Index candidate) {
  Eigen::VectorXd a(2 + kCells);
  a << p.basis.row(candidate).cast<double>().transpose(),
      p.weights.row(candidate).cast<double>().transpose();
  return a;
}

FieldGp MakeGp(const Problem& p) {
  return FieldGp(kRows, kCols, MaternNu::kThreeHalves, kLengthScale, kSignalVariance, kNoise,
                 p.weights, p.basis, p.prior_mean, p.prior_variance);
}

TEST(FieldGpTest, KernelTimesIsTheDenseSeparableKernel) {
  const Problem p = MakeProblem();
  const FieldGp gp = MakeGp(p);
  const Eigen::VectorXd w = p.weights.row(3).cast<double>().transpose();
  const Eigen::VectorXd expected = DenseKernel() * w;
  EXPECT_LT((gp.KernelTimes(w) - expected).cwiseAbs().maxCoeff(), 1e-12);
}

TEST(FieldGpTest, PosteriorEqualsTheJointGaussianAfterEveryStep) {
  const Problem p = MakeProblem();
  FieldGp gp = MakeGp(p);
  const double scale = Scale(p, kSignalVariance);
  EXPECT_NEAR(gp.kernel_scale(), scale, 1e-12);
  const std::vector<int> order = {2, 5, 0, 7};
  const std::vector<double> observed = {0.4, -0.2, 0.9, 0.1};
  std::vector<int> rows;
  Eigen::VectorXd values(0);
  const auto check = [&](const char* when) {
    const Joint joint = Condition(p, rows, values, scale);
    for (Eigen::Index c = 0; c < p.weights.rows(); ++c) {
      const Eigen::VectorXd a = Functional(p, c);
      EXPECT_NEAR(gp.candidate_mean()[c], a.dot(joint.mean), kTolerance)
          << when << " candidate " << c;
      EXPECT_NEAR(gp.candidate_variance()[c], a.dot(joint.covariance * a), kTolerance)
          << when << " candidate " << c;
    }
    EXPECT_LT((gp.MeanCoefficients() - joint.mean.head(2)).cwiseAbs().maxCoeff(), kTolerance)
        << when;
    const Eigen::MatrixXd field = gp.DeviationField();
    for (int i = 0; i < kCells; ++i)
      EXPECT_NEAR(field(i / kCols, i % kCols), joint.mean[2 + i], kTolerance)
          << when << " cell " << i;
  };
  check("no observation");
  for (size_t i = 0; i < order.size(); ++i) {
    gp.AddObservation(order[i], observed[i]);
    rows.push_back(order[i]);
    values.conservativeResize(values.size() + 1);
    values[values.size() - 1] = observed[i];
    check("after an observation");
    EXPECT_NEAR(gp.LogMarginalLikelihood(kSignalVariance, kNoise),
                Condition(p, rows, values, scale).log_likelihood, kTolerance);
    EXPECT_NEAR(gp.LogMarginalLikelihood(3.0, 0.4),
                Condition(p, rows, values, Scale(p, 3.0), 0.4).log_likelihood, kTolerance);
  }
}

// Candidates appended after observations (the posterior's level sets) are conditioned on the
// same data, can be observed themselves, and leave the kernel's scale the first candidates'.
TEST(FieldGpTest, AddedCandidatesEqualTheJointGaussianAndCanBeObserved) {
  const Problem p = MakeProblem();
  Problem first = p;
  first.weights = p.weights.topRows(6);
  first.basis = p.basis.topRows(6);
  FieldGp gp = MakeGp(first);
  const double scale = Scale(first, kSignalVariance);
  gp.AddObservation(2, 0.4);
  gp.AddObservation(5, -0.2);
  EXPECT_EQ(gp.AddCandidates(p.weights.bottomRows(3), p.basis.bottomRows(3)), 6);
  EXPECT_EQ(gp.num_candidates(), 9);
  EXPECT_NEAR(gp.kernel_scale(), scale, 1e-12);
  gp.AddPending(7);
  gp.ResolvePending(Eigen::VectorXd::Constant(1, 0.9));
  gp.AddObservation(0, 0.1);
  const std::vector<int> rows = {2, 5, 7, 0};
  const Joint joint = Condition(p, rows, Eigen::Vector4d(0.4, -0.2, 0.9, 0.1), scale);
  for (Eigen::Index c = 0; c < p.weights.rows(); ++c) {
    const Eigen::VectorXd a = Functional(p, c);
    EXPECT_NEAR(gp.candidate_mean()[c], a.dot(joint.mean), kTolerance) << "candidate " << c;
    EXPECT_NEAR(gp.candidate_variance()[c], a.dot(joint.covariance * a), kTolerance)
        << "candidate " << c;
  }
  const Eigen::MatrixXd field = gp.DeviationField();
  for (int i = 0; i < kCells; ++i)
    EXPECT_NEAR(field(i / kCols, i % kCols), joint.mean[2 + i], kTolerance) << "cell " << i;
}

// A clip's field: kRows rows of cells as 2 frames of 2, under k_t(|Δframe|/ℓ_t)·k(|Δrow|/ℓ)·
// k(|Δcol|/ℓ) built cell pair by cell pair (the row within a frame, not the stacked row).
constexpr int kFrames = 2;
constexpr double kFrameLengthScale = 0.9;
Eigen::MatrixXd ClipKernel() {
  const int frame_rows = kRows / kFrames;
  const auto profile = [](double distance, double scale) {
    return MaternKernel::Profile(MaternNu::kThreeHalves, distance / scale);
  };
  Eigen::MatrixXd kernel(kCells, kCells);
  for (int i = 0; i < kCells; ++i)
    for (int j = 0; j < kCells; ++j) {
      const int row_i = i / kCols, row_j = j / kCols;
      kernel(i, j) = profile(std::abs(row_i / frame_rows - row_j / frame_rows), kFrameLengthScale) *
                     profile(std::abs(row_i % frame_rows - row_j % frame_rows), kLengthScale) *
                     profile(std::abs(i % kCols - j % kCols), kLengthScale);
    }
  return kernel;
}

TEST(FieldGpTest, ClipFieldIsTheJointGaussianUnderTheFramesKernel) {
  const Problem p = MakeProblem();
  FieldGp gp(kRows, kCols, MaternNu::kThreeHalves, kLengthScale, kSignalVariance, kNoise, p.weights,
             p.basis, p.prior_mean, p.prior_variance, {}, kFrames, kFrameLengthScale);
  const Eigen::MatrixXd kernel = ClipKernel();
  const Eigen::VectorXd w = p.weights.row(3).cast<double>().transpose();
  EXPECT_LT((gp.KernelTimes(w) - kernel * w).cwiseAbs().maxCoeff(), 1e-12);
  // Not the image's kernel over the stacked rows: frames 0 and 1 are not two rows apart.
  EXPECT_GT((gp.KernelTimes(w) - DenseKernel() * w).cwiseAbs().maxCoeff(), 1e-3);
  const Eigen::MatrixXd dense = p.weights.cast<double>();
  const double scale = kSignalVariance / (dense * kernel * dense.transpose()).diagonal().mean();
  EXPECT_NEAR(gp.kernel_scale(), scale, 1e-12);
  const std::vector<int> rows = {2, 5, 0};
  const Eigen::Vector3d values(0.4, -0.2, 0.9);
  for (size_t i = 0; i < rows.size(); ++i)
    gp.AddObservation(rows[i], values[static_cast<Eigen::Index>(i)]);
  const Joint joint = Condition(p, rows, values, scale, kNoise, kernel);
  for (Eigen::Index c = 0; c < p.weights.rows(); ++c) {
    const Eigen::VectorXd a = Functional(p, c);
    EXPECT_NEAR(gp.candidate_mean()[c], a.dot(joint.mean), kTolerance) << c;
    EXPECT_NEAR(gp.candidate_variance()[c], a.dot(joint.covariance * a), kTolerance) << c;
  }
  const Eigen::MatrixXd field = gp.DeviationField();
  for (int i = 0; i < kCells; ++i)
    EXPECT_NEAR(field(i / kCols, i % kCols), joint.mean[2 + i], kTolerance) << "cell " << i;
  EXPECT_NEAR(gp.LogMarginalLikelihood(kSignalVariance, kNoise), joint.log_likelihood, kTolerance);
}

// Candidates given as outer-product blocks (squares) are the same GP as their dense weights:
// every candidate's ⟨w, K w⟩, and its mean and variance after observations and an added one;
// with the blocks' dense rows left out too (a clip's), and BlockTimes is ⟨w, u⟩ of those rows.
TEST(FieldGpTest, OuterProductBlocksAreTheirDenseWeights) {
  std::mt19937 random(11);
  std::uniform_real_distribution<double> uniform(0, 1);
  const double a = 2.0 / kCells, b = -1.0 / kCells;
  std::vector<OuterProductBlock> blocks(2);
  Eigen::Index first = 0;
  for (OuterProductBlock& block : blocks) {
    block.first = first;
    block.scale = a;
    block.offset = b;
    block.row_factors = Eigen::MatrixXd::NullaryExpr(3, kRows, [&] { return uniform(random); });
    block.col_factors = Eigen::MatrixXd::NullaryExpr(2, kCols, [&] { return uniform(random); });
    first += block.size();
  }
  const Eigen::Index dense = 2, count = first + dense;
  Eigen::MatrixXf weights(count, kCells);
  for (const OuterProductBlock& block : blocks)
    for (Eigen::Index i = 0; i < block.row_factors.rows(); ++i)
      for (Eigen::Index j = 0; j < block.col_factors.rows(); ++j)
        for (int cell = 0; cell < kCells; ++cell)
          weights(block.first + i * block.col_factors.rows() + j, cell) = static_cast<float>(
              a * block.row_factors(i, cell / kCols) * block.col_factors(j, cell % kCols) + b);
  weights.bottomRows(dense) = Eigen::MatrixXf::NullaryExpr(
      dense, kCells, [&] { return static_cast<float>(uniform(random) - 0.5); });
  const Eigen::MatrixXf basis =
      Eigen::MatrixXf::NullaryExpr(count, 2, [&] { return static_cast<float>(uniform(random)); });
  const Eigen::VectorXd prior_mean = Eigen::Vector2d(1.0, 0.0),
                        prior_variance(Eigen::Vector2d(4, 1));
  FieldGp with(kRows, kCols, MaternNu::kThreeHalves, kLengthScale, kSignalVariance, kNoise, weights,
               basis, prior_mean, prior_variance, blocks);
  FieldGp without(kRows, kCols, MaternNu::kThreeHalves, kLengthScale, kSignalVariance, kNoise,
                  weights, basis, prior_mean, prior_variance);
  FieldGp blocks_only(kRows, kCols, MaternNu::kThreeHalves, kLengthScale, kSignalVariance, kNoise,
                      weights.bottomRows(dense), basis, prior_mean, prior_variance, blocks);
  EXPECT_NEAR(with.kernel_scale(), without.kernel_scale(), 1e-9 * without.kernel_scale());
  EXPECT_NEAR(blocks_only.kernel_scale(), without.kernel_scale(), 1e-9 * without.kernel_scale());
  const auto same = [&](const char* when) {
    for (const FieldGp* gp : {&with, &blocks_only})
      for (Eigen::Index c = 0; c < gp->num_candidates(); ++c) {
        EXPECT_NEAR(gp->candidate_mean()[c], without.candidate_mean()[c], kTolerance) << when << c;
        EXPECT_NEAR(gp->candidate_variance()[c], without.candidate_variance()[c], kTolerance)
            << when << c;
      }
  };
  same("prior ");
  for (const auto& [candidate, value] :
       std::vector<std::pair<Eigen::Index, double>>{{1, 0.3}, {7, -0.2}, {12, 0.5}}) {
    for (FieldGp* gp : {&with, &without, &blocks_only}) gp->AddObservation(candidate, value);
    same("observed ");
  }
  const Eigen::MatrixXf added = weights.topRows(1) * 0.5f;
  for (FieldGp* gp : {&with, &without, &blocks_only}) {
    gp->AddCandidates(added, basis.topRows(1));
    gp->AddObservation(count, 0.1);
  }
  same("added ");
  const Eigen::VectorXd u =
      Eigen::VectorXd::NullaryExpr(kCells, [&] { return uniform(random) - 0.5; });
  for (const OuterProductBlock& block : blocks) {
    const Eigen::VectorXd expected =
        weights.middleRows(block.first, block.size()).cast<double>() * u;
    EXPECT_LT((BlockTimes(block, u, kRows, kCols) - expected).cwiseAbs().maxCoeff(), 1e-6);
  }
}

TEST(FieldGpTest, PendingPointsLowerTheVarianceAndLeaveTheMean) {
  const Problem p = MakeProblem();
  FieldGp gp = MakeGp(p);
  gp.AddObservation(1, 0.3);
  const Eigen::VectorXd mean_before = gp.candidate_mean();
  gp.AddPending(4);
  gp.AddPending(6);
  EXPECT_EQ(gp.num_pending(), 2);
  const double scale = Scale(p, kSignalVariance);
  // The variance: conditioned on the whole design, pending points included.
  const Joint all = Condition(p, {1, 4, 6}, Eigen::VectorXd(0), scale);
  for (Eigen::Index c = 0; c < p.weights.rows(); ++c) {
    const Eigen::VectorXd a = Functional(p, c);
    EXPECT_NEAR(gp.candidate_variance()[c], a.dot(all.covariance * a), kTolerance);
    EXPECT_NEAR(gp.candidate_mean()[c], mean_before[c], 1e-12);
  }
  gp.ResolvePending(Eigen::Vector2d(-0.5, 0.8));
  FieldGp sequential = MakeGp(p);
  sequential.AddObservation(1, 0.3);
  sequential.AddObservation(4, -0.5);
  sequential.AddObservation(6, 0.8);
  EXPECT_LT((gp.candidate_mean() - sequential.candidate_mean()).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LT((gp.candidate_variance() - sequential.candidate_variance()).cwiseAbs().maxCoeff(),
            1e-12);
}

TEST(FieldGpTest, SignalVarianceIsThePriorVarianceOfATypicalCandidate) {
  // Without basis uncertainty worth the name, the candidates' prior variances average to σf².
  Problem p = MakeProblem();
  p.prior_variance = Eigen::Vector2d(1e-12, 1e-12);
  FieldGp gp = MakeGp(p);
  EXPECT_NEAR(gp.candidate_variance().mean(), kSignalVariance, 1e-9);
  const FieldGp other(kRows, kCols, MaternNu::kThreeHalves, kLengthScale, 2.5, kNoise, p.weights,
                      p.basis, p.prior_mean, p.prior_variance);
  EXPECT_NEAR(other.candidate_variance().mean(), 2.5, 1e-9);
}

// The likelihood under another prior variance of β for the same data is the joint Gaussian's
// under it, and without one it is the GP's own.
TEST(FieldGpTest, LikelihoodUnderAnotherPriorVarianceIsTheJointGaussians) {
  Problem p = MakeProblem();
  FieldGp gp = MakeGp(p);
  const std::vector<int> rows = {3, 8, 1};
  const Eigen::Vector3d values(0.7, -0.4, 0.2);
  for (size_t i = 0; i < rows.size(); ++i)
    gp.AddObservation(rows[i], values[static_cast<Eigen::Index>(i)]);
  const Eigen::Vector2d other(0.09, 25.0);
  const double scale = Scale(p, kSignalVariance);
  const double own = Condition(p, rows, values, scale).log_likelihood;
  Problem q = p;
  q.prior_variance = other;
  const Joint joint = Condition(q, rows, values, scale);
  EXPECT_NEAR(gp.LogMarginalLikelihood(kSignalVariance, kNoise, other), joint.log_likelihood,
              kTolerance);
  EXPECT_GT(std::abs(joint.log_likelihood - own), 1e-3);  // the variance matters here
  EXPECT_NEAR(gp.LogMarginalLikelihood(kSignalVariance, kNoise), own, kTolerance);
  EXPECT_EQ(gp.prior_variance(), p.prior_variance);
}

// FitsUnder's tests: four observations, two prior variances of β, and each fit against the joint
// Gaussian's under them with the deviation's covariance scale·kernel and σn² = 0.5.
const std::vector<int> kFitRows = {3, 8, 1, 5};
const Eigen::Vector4d kFitValues(0.7, -0.4, 0.2, -0.1);
const std::vector<Eigen::VectorXd> kFitVariances = {Eigen::Vector2d(0.09, 25.0),
                                                    Eigen::Vector2d(4.0, 0.5)};

FieldGp ObservedGp(const Problem& p) {
  FieldGp gp = MakeGp(p);
  for (size_t i = 0; i < kFitRows.size(); ++i)
    gp.AddObservation(kFitRows[i], kFitValues[static_cast<Eigen::Index>(i)]);
  return gp;
}

void ExpectTheJointGaussians(const std::vector<FieldFit>& fits, const Problem& p, double scale,
                             const Eigen::MatrixXd& kernel = DenseKernel(),
                             const Eigen::VectorXd& noises = Eigen::Vector4d::Constant(0.5)) {
  ASSERT_EQ(fits.size(), kFitVariances.size());
  for (size_t k = 0; k < fits.size(); ++k) {
    Problem q = p;
    q.prior_variance = kFitVariances[k];
    const Joint joint = Condition(q, kFitRows, kFitValues, scale, noises, kernel);
    EXPECT_NEAR(fits[k].log_likelihood, joint.log_likelihood, kTolerance) << k;
    EXPECT_LT((fits[k].coefficients - joint.mean.head(2)).cwiseAbs().maxCoeff(), kTolerance);
    for (int i = 0; i < kCells; ++i)
      EXPECT_NEAR(fits[k].deviation(i / kCols, i % kCols), joint.mean[2 + i], kTolerance) << k;
  }
}

// The kernel's scale under D K D: the stationary one's times the observed masks' Σ⟨w, K w⟩ over
// their Σ⟨w, D K D w⟩ (FieldGp::ObservedKernel::scale_ratio).
double ShapedScale(const Problem& p, double signal_variance, const Eigen::MatrixXd& kernel) {
  double stationary = 0, shaped = 0;
  for (const int row : kFitRows) {
    const Eigen::VectorXd w = p.weights.row(row).cast<double>().transpose();
    stationary += w.dot(DenseKernel() * w);
    shaped += w.dot(kernel * w);
  }
  return Scale(p, signal_variance) * stationary / shaped;
}

// The posterior under other σf², σn² and prior variances, read without changing the GP: each is
// the joint Gaussian's under them.
TEST(FieldGpTest, FitsUnderOtherHyperparametersAreTheJointGaussianWithThem) {
  const Problem p = MakeProblem();
  const FieldGp gp = ObservedGp(p);
  const std::vector<FieldFit> fits = gp.FitsUnder(2.0, 0.5, kFitVariances);
  ExpectTheJointGaussians(fits, p, Scale(p, 2.0));
  EXPECT_GT(std::abs(fits[0].log_likelihood - fits[1].log_likelihood), 1e-3);
  // The GP itself is left as it was: as one that never fitted.
  EXPECT_EQ(gp.candidate_mean(), ObservedGp(p).candidate_mean());
  EXPECT_EQ(gp.MeanCoefficients(), ObservedGp(p).MeanCoefficients());
}

// Under the deviation covariance D K D, each fit is the joint Gaussian's with that kernel, its
// scale keeping the observed masks' mean prior variance; D = I is the stationary fit.
TEST(FieldGpTest, FitsUnderAnAmplitudeAreTheJointGaussianWithTheScaledKernel) {
  const Problem p = MakeProblem();
  const FieldGp gp = ObservedGp(p);
  Eigen::VectorXd amplitude(kCells);
  for (int i = 0; i < kCells; ++i) amplitude[i] = 0.2 + 0.1 * (i % 7);
  const Eigen::MatrixXd kernel = amplitude.asDiagonal() * DenseKernel() * amplitude.asDiagonal();
  const Eigen::VectorXd noises = Eigen::Vector4d::Constant(0.5);
  const std::vector<FieldFit> fits =
      gp.FitsUnder(2.0, noises, kFitVariances, gp.ObservedUnder(amplitude));
  ExpectTheJointGaussians(fits, p, ShapedScale(p, 2.0, kernel), kernel);
  // Not the stationary posterior, unless D = I (then up to the stored weights' float rounding).
  const std::vector<FieldFit> plain = gp.FitsUnder(2.0, 0.5, kFitVariances);
  EXPECT_GT(std::abs(fits[0].log_likelihood - plain[0].log_likelihood), 1e-3);
  const std::vector<FieldFit> ones =
      gp.FitsUnder(2.0, noises, kFitVariances, gp.ObservedUnder(Eigen::VectorXd::Ones(kCells)));
  for (size_t k = 0; k < fits.size(); ++k) {
    EXPECT_NEAR(ones[k].log_likelihood, plain[k].log_likelihood, kTolerance) << k;
    EXPECT_LT((ones[k].deviation - plain[k].deviation).cwiseAbs().maxCoeff(), kTolerance) << k;
  }
}

// A noise variance per observation (the RISE prior's masks against the flips): each fit is the
// joint Gaussian's with diag(σn²), under the stationary kernel and under D K D alike; equal
// variances are the scalar σn²'s fits.
TEST(FieldGpTest, FitsUnderANoiseVariancePerObservationAreTheJointGaussianWithThem) {
  const Problem p = MakeProblem();
  const FieldGp gp = ObservedGp(p);
  const Eigen::Vector4d noises(0.05, 0.5, 2.0, 0.005);
  const std::vector<FieldFit> fits = gp.FitsUnder(2.0, noises, kFitVariances);
  ExpectTheJointGaussians(fits, p, Scale(p, 2.0), DenseKernel(), noises);
  const std::vector<FieldFit> equal =
      gp.FitsUnder(2.0, Eigen::Vector4d::Constant(0.5), kFitVariances);
  const std::vector<FieldFit> scalar = gp.FitsUnder(2.0, 0.5, kFitVariances);
  for (size_t k = 0; k < fits.size(); ++k) {
    EXPECT_EQ(equal[k].log_likelihood, scalar[k].log_likelihood) << k;
    EXPECT_EQ(equal[k].deviation, scalar[k].deviation) << k;
    EXPECT_GT(std::abs(fits[k].log_likelihood - scalar[k].log_likelihood), 1e-3) << k;
  }
  Eigen::VectorXd amplitude(kCells);
  for (int i = 0; i < kCells; ++i) amplitude[i] = 0.3 + 0.2 * (i % 5);
  const Eigen::MatrixXd kernel = amplitude.asDiagonal() * DenseKernel() * amplitude.asDiagonal();
  ExpectTheJointGaussians(gp.FitsUnder(2.0, noises, kFitVariances, gp.ObservedUnder(amplitude)), p,
                          ShapedScale(p, 2.0, kernel), kernel, noises);
}

// A grid point whose covariance s·G + diag(σn²) is not positive definite (here σn² < 0) has no
// likelihood, −∞, and so weighs nothing in an average or a maximum over the grid.
TEST(FieldGpTest, FitsWhoseCovarianceIsNotPositiveDefiniteHaveNoLikelihood) {
  const Problem p = MakeProblem();
  const FieldGp gp = ObservedGp(p);
  const std::vector<FieldFit> broken =
      gp.FitsUnder(2.0, Eigen::Vector4d::Constant(-100.0), kFitVariances);
  ASSERT_EQ(broken.size(), kFitVariances.size());
  for (const FieldFit& fit : broken)
    EXPECT_EQ(fit.log_likelihood, -std::numeric_limits<double>::infinity());
  const FieldFit sound = gp.FitsUnder(2.0, 0.5, kFitVariances).front();
  double top_weight = 0;
  const FieldFit average = AverageFits({broken.front(), sound}, &top_weight);
  EXPECT_EQ(top_weight, 1.0);
  EXPECT_DOUBLE_EQ(average.log_likelihood, sound.log_likelihood - std::log(2.0));
  EXPECT_EQ(average.coefficients, sound.coefficients);
}

// Two fits whose likelihoods stand 1 : 3 get the weights 1/4 and 3/4, whatever their scale.
TEST(FieldGpTest, AverageFitsWeighsEachFitByItsLikelihood) {
  for (double shift : {0.0, -2000.0, 700.0}) {
    FieldFit unlikely{shift, Eigen::Vector2d(4.0, 0.0), Eigen::MatrixXd::Constant(2, 3, 8.0)};
    FieldFit likely{shift + std::log(3.0), Eigen::Vector2d(0.0, 4.0), Eigen::MatrixXd::Zero(2, 3)};
    double top_weight = 0;
    const FieldFit average = AverageFits({unlikely, likely}, &top_weight);
    EXPECT_NEAR(top_weight, 0.75, 1e-12) << shift;
    EXPECT_NEAR(average.coefficients[0], 1.0, 1e-12) << shift;
    EXPECT_NEAR(average.coefficients[1], 3.0, 1e-12) << shift;
    EXPECT_LT((average.deviation.array() - 2.0).abs().maxCoeff(), 1e-12) << shift;
    // p(y) under a uniform prior over the two: (1 + 3) / 2 times the unlikely one's.
    EXPECT_NEAR(average.log_likelihood, shift + std::log(2.0), 1e-9) << shift;
  }
  const FieldFit one{-3.0, Eigen::Vector2d(1.5, -2.0), Eigen::MatrixXd::Constant(2, 3, 0.25)};
  double top_weight = 0;
  const FieldFit alone = AverageFits({one}, &top_weight);
  EXPECT_EQ(top_weight, 1.0);
  EXPECT_EQ(alone.coefficients, one.coefficients);
  EXPECT_EQ(alone.deviation, one.deviation);
}

}  // namespace
}  // namespace borex::gp
