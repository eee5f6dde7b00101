#include "borex/explain/fido.h"

#include <gtest/gtest.h>

#include <cmath>

#include "borex/core/adam.h"
#include "borex/core/error.h"
#include "borex/core/random.h"
#include "borex/io/image.h"
#include "borex/model/torchscript_classifier.h"
#include "support/fake_classifier.h"

namespace borex::explain {
namespace {

const std::string kData = std::string(BOREX_SOURCE_DIR) + "/tests/data/";
const cv::Rect kRegion(16, 8, 8, 8);  // region_model.pt reads rows 8..15, cols 16..23

std::unique_ptr<model::TorchScriptClassifier> RegionModel() {
  model::ModelOptions options;
  options.path = kData + "region_model.pt";
  options.threads = 1;
  auto classifier = std::make_unique<model::TorchScriptClassifier>(options);
  classifier->Validate(cv::Size(32, 32));
  return classifier;
}

cv::Mat Fill(const cv::Mat& image, float value) {
  return cv::Mat(image.size(), CV_32FC3, cv::Scalar::all(value));
}

double MeanInside(const cv::Mat& map) { return cv::mean(map(kRegion))[0]; }
// Away from the region by more than a grid cell (4 pixels), beyond the upsampling's reach.
double MeanFarOutside(const cv::Mat& map) {
  cv::Mat outside = cv::Mat::ones(map.size(), CV_8UC1);
  outside(cv::Rect(kRegion.x - 4, kRegion.y - 4, kRegion.width + 8, kRegion.height + 8)).setTo(0);
  return cv::mean(map, outside)[0];
}

class FidoObjectiveTest : public ::testing::TestWithParam<FidoObjective> {};

TEST_P(FidoObjectiveTest, GradientMatchesFiniteDifferences) {
  auto model = RegionModel();
  const cv::Mat image = io::ReadImageRgb(kData + "region_image.png");
  FidoOptions options;
  options.objective = GetParam();
  options.smoothness = 0.05;  // every term of the loss contributes
  options.sparsity = 0.01;
  options.temperature = 0.5;  // a smooth relaxation, so that differences are accurate
  FidoLoss loss(*model, image, 0, options, Fill(image, 0.2f));
  Random random(7);
  Eigen::VectorXf theta(loss.grid_values());
  for (int i = 0; i < theta.size(); ++i) theta[i] = static_cast<float>(random.Normal());
  std::vector<Eigen::VectorXf> uniforms(2, Eigen::VectorXf(loss.pixels()));
  for (auto& v : uniforms)
    for (int i = 0; i < v.size(); ++i)
      v[i] = static_cast<float>(0.05 + 0.9 * random.UniformDouble());
  Eigen::VectorXf gradient;
  loss.Evaluate(theta, uniforms, 0.7, &gradient);
  ASSERT_EQ(gradient.size(), theta.size());
  // Cells over the region (grid 8x8, cell 4: rows 2..3, cols 4..5) and a few outside it.
  for (const int cell : {2 * 8 + 4, 3 * 8 + 5, 0, 27, 63}) {
    const float h = 1e-2f;
    Eigen::VectorXf plus = theta, minus = theta;
    plus[cell] += h;
    minus[cell] -= h;
    const double numeric = (loss.Evaluate(plus, uniforms, 0.7, nullptr) -
                            loss.Evaluate(minus, uniforms, 0.7, nullptr)) /
                           (2 * h);
    EXPECT_NEAR(gradient[cell], numeric, 2e-3 + 2e-2 * std::abs(numeric)) << "cell " << cell;
  }
}

INSTANTIATE_TEST_SUITE_P(Objectives, FidoObjectiveTest,
                         ::testing::Values(FidoObjective::kSmallestSufficient,
                                           FidoObjective::kSmallestDestroying));

TEST_P(FidoObjectiveTest, FindsTheRegionTheModelReads) {
  // Hiding the white region (black in-fill) drops logit 0 from 15 to -5: SDR must drop it
  // and SSR keep it, and, pushed by the sparsity term, nothing else.
  auto model = RegionModel();
  const cv::Mat image = io::ReadImageRgb(kData + "region_image.png");
  FidoOptions options;
  options.objective = GetParam();
  const cv::Mat map = ComputeFido(*model, image, 0, options, Fill(image, 0));
  EXPECT_GT(MeanInside(map), 0.7);
  EXPECT_LT(MeanFarOutside(map), 0.1);
}

TEST(FidoTest, SameSeedSameMapOtherSeedOtherMap) {
  auto model = RegionModel();
  const cv::Mat image = io::ReadImageRgb(kData + "region_image.png");
  FidoOptions options;
  options.iterations = 20;
  const cv::Mat a = ComputeFido(*model, image, 0, options, Fill(image, 0.5f));
  const cv::Mat b = ComputeFido(*model, image, 0, options, Fill(image, 0.5f));
  options.seed = 1;
  const cv::Mat c = ComputeFido(*model, image, 0, options, Fill(image, 0.5f));
  EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0.0);
  EXPECT_GT(cv::norm(a, c, cv::NORM_INF), 0.0);
}

TEST(FidoLossTest, TheRegularisersAreTheMasksAreaAndItsSquaredStepsBetweenAdjacentCells) {
  // A model whose logits do not depend on the pixels (log-odds b = 2): the loss is ∓b plus the
  // weighted regularisers, which a 2 x 3 grid (8 x 12 pixels, cells of 4) lets us sum by hand.
  testing::RegionClassifier constant(cv::Rect(0, 0, 4, 4), /*gain=*/0.0, /*bias=*/2.0);
  const cv::Mat image(8, 12, CV_32FC3, cv::Scalar::all(0.5));
  const std::vector<Eigen::VectorXf> uniforms(1, Eigen::VectorXf::Constant(96, 0.5f));
  const auto logit = [](const std::vector<float>& q) {
    Eigen::VectorXf theta(static_cast<long>(q.size()));
    for (size_t i = 0; i < q.size(); ++i) theta[static_cast<long>(i)] = std::log(q[i] / (1 - q[i]));
    return theta;
  };
  for (const FidoObjective objective :
       {FidoObjective::kSmallestSufficient, FidoObjective::kSmallestDestroying}) {
    const double sign = objective == FidoObjective::kSmallestSufficient ? -1 : 1;
    FidoOptions options;
    options.objective = objective;
    options.sparsity = 0;
    options.smoothness = 2;
    FidoLoss smooth(constant, image, 0, options, Fill(image, 0));
    ASSERT_EQ(smooth.grid_values(), 6);
    // Rows 0.1 0.5 0.9 / 0.3 0.7 0.2: horizontal steps 0.16 + 0.16 + 0.16 + 0.25, vertical
    // 0.04 + 0.04 + 0.49, TV = 1.30; weight 0.5 · μ 2 · TV.
    EXPECT_NEAR(
        smooth.Evaluate(logit({0.1f, 0.5f, 0.9f, 0.3f, 0.7f, 0.2f}), uniforms, 0.5, nullptr),
        sign * 2 + 1.30, 1e-5);
    // A uniform mask q = 0.25 (bilinear upsampling keeps it): no TV; the area is what SSR keeps,
    // Σ(1 − p) = 72 of 96 pixels, or what SDR removes, Σp = 24; weight 0.5 · λ 0.1 · area.
    options.sparsity = 0.1;
    FidoLoss sparse(constant, image, 0, options, Fill(image, 0));
    EXPECT_NEAR(sparse.Evaluate(logit(std::vector<float>(6, 0.25f)), uniforms, 0.5, nullptr),
                sign * 2 + 0.05 * (sign < 0 ? 72 : 24), 1e-4);
  }
}

TEST(FidoTest, IsAdamOnTheLossWithThePhasedInRegularisersAndADecayingRate) {
  // The documented loop, step t of T: fresh uniforms, the regularisers' weight min(1, t / A),
  // Adam at the rate lr · (1 − t / T). A = 3 of T = 6 steps, so both schedules matter.
  auto model = RegionModel();
  const cv::Mat image = io::ReadImageRgb(kData + "region_image.png");
  FidoOptions options;
  options.iterations = 6;
  options.annealing = 3;
  options.samples = 2;
  options.sparsity = 0.01;
  options.smoothness = 0.05;
  options.learning_rate = 0.3;
  const cv::Mat fill = Fill(image, 0.2f);
  FidoLoss loss(*model, image, 0, options, fill);
  Eigen::VectorXf theta = Eigen::VectorXf::Zero(loss.grid_values()), gradient;
  Adam adam(loss.grid_values(), options.learning_rate);
  Random random(options.seed);
  std::vector<Eigen::VectorXf> uniforms(2, Eigen::VectorXf(loss.pixels()));
  for (int step = 0; step < 6; ++step) {
    for (Eigen::VectorXf& v : uniforms)
      for (int i = 0; i < v.size(); ++i) v[i] = static_cast<float>(random.UniformDouble());
    loss.Evaluate(theta, uniforms, std::min(1.0, step / 3.0), &gradient);
    adam.set_learning_rate(0.3 * (1 - step / 6.0));
    adam.Step(theta, gradient);
  }
  EXPECT_EQ(cv::norm(ComputeFido(*model, image, 0, options, fill), loss.Map(theta), cv::NORM_INF),
            0.0);
}

TEST(FidoTest, RejectsBadOptionsAndBlackBoxClassifiers) {
  auto model = RegionModel();
  const cv::Mat image = io::ReadImageRgb(kData + "region_image.png");
  for (const auto& [field, value] :
       {std::pair{"iterations", 0.0}, std::pair{"samples", 0.0}, std::pair{"temperature", 0.0},
        std::pair{"cell", 0.0}, std::pair{"sparsity", -1.0}}) {
    FidoOptions options;
    if (std::string(field) == "iterations") options.iterations = static_cast<int>(value);
    if (std::string(field) == "samples") options.samples = static_cast<int>(value);
    if (std::string(field) == "temperature") options.temperature = value;
    if (std::string(field) == "cell") options.cell = static_cast<int>(value);
    if (std::string(field) == "sparsity") options.sparsity = value;
    try {
      ComputeFido(*model, image, 0, options, Fill(image, 0));
      FAIL() << field;
    } catch (const OptionError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("--fido-") + field), std::string::npos)
          << e.what();
    }
  }
  testing::RegionClassifier black_box(kRegion);
  FidoOptions options;
  options.iterations = 1;
  EXPECT_THROW(ComputeFido(black_box, image, 0, options, Fill(image, 0)), ModelError);
}

}  // namespace
}  // namespace borex::explain
