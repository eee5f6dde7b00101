#include "borex/explain/opti_cam.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "borex/core/error.h"
#include "borex/core/random.h"
#include "borex/io/image.h"
#include "borex/model/torchscript_classifier.h"

namespace borex::explain {
namespace {

const std::string kData = std::string(BOREX_SOURCE_DIR) + "/tests/data/";

std::unique_ptr<model::TorchScriptClassifier> LoadModel(const std::string& file) {
  model::ModelOptions options;
  options.path = kData + file;
  options.threads = 1;
  auto classifier = std::make_unique<model::TorchScriptClassifier>(options);
  classifier->Validate(cv::Size(32, 32));
  return classifier;
}

// x[c,i,j] = 0.5 + 0.5 sin(0.3 i + 0.2 j + c), the reference's input.
cv::Mat SmoothImage() {
  cv::Mat image(32, 32, CV_32FC3);
  for (int i = 0; i < 32; ++i)
    for (int j = 0; j < 32; ++j)
      for (int c = 0; c < 3; ++c)
        image.at<cv::Vec3f>(i, j)[c] =
            static_cast<float>(0.5 + 0.5 * std::sin(0.3 * i + 0.2 * j + c));
  return image;
}

cv::Mat Black(const cv::Mat& image) { return cv::Mat::zeros(image.size(), CV_32FC3); }

class OptiCamReferenceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OptiCamReferenceTest, MatchesPyTorchAutogradAndAdam) {
  std::ifstream in(kData + "opticam_reference.json");
  const auto reference = nlohmann::json::parse(in);
  const auto& expected = reference[GetParam()];
  auto model = LoadModel("channel_model.pt");
  auto& classifier = *model;
  OptiCamOptions options;
  options.iterations = reference["iterations"];
  options.learning_rate = reference["learning_rate"];
  options.normalization = ParseCamNormalization(GetParam());
  const cv::Mat image = SmoothImage();
  const OptiCamResult result =
      ComputeOptiCam(classifier, image, reference["label"], options, Black(image));
  ASSERT_EQ(result.weights.size(), 4);
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(result.weights[k], expected["weights"][k], 1e-4) << k;
  EXPECT_NEAR(result.logit, expected["logit"].get<double>(), 1e-3);
  double worst = 0;
  for (int i = 0; i < 32; ++i)
    for (int j = 0; j < 32; ++j)
      worst = std::max(worst,
                       std::abs(result.map.at<float>(i, j) - expected["map"][i][j].get<double>()));
  EXPECT_LT(worst, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Normalisations, OptiCamReferenceTest, ::testing::Values("max", "minmax"));

TEST(OptiCamTest, PutsItsWeightOnTheChannelTheLogitReads) {
  // Bands of blue (columns 0..11), red (12..19) and green (20..31); logit 0 = 10 · (mean blue −
  // mean red). The masked logit is largest when the map is 1 on the blue band and 0 on the red
  // one: the blue channel must outweigh the others, and those with red (R, (R+G)/2) vanish.
  auto model = LoadModel("channel_model.pt");
  const cv::Mat image = io::ReadImageRgb(kData + "channel_image.png");
  OptiCamOptions options;
  options.iterations = 200;  // to convergence (the default 50 stops short of it here)
  const OptiCamResult blue = ComputeOptiCam(*model, image, 0, options, Black(image));
  Eigen::Index best = 0;
  blue.weights.maxCoeff(&best);
  EXPECT_EQ(best, 2);
  EXPECT_LT(blue.weights[0], 0.01);
  EXPECT_LT(blue.weights[3], 0.01);
  double band_min = 0, band_max = 0;
  cv::minMaxLoc(blue.map.colRange(0, 10), &band_min);  // the band away from the upsampling blur
  EXPECT_GT(band_min, 0.99);
  cv::minMaxLoc(blue.map.colRange(14, 18), nullptr, &band_max);
  EXPECT_LT(band_max, 0.05);
  // The best a map made of 4-pixel cells can do: S = 1 on the blue cells, 0 on the red ones;
  // bilinear upsampling then ramps S from 1 to 0 between the centres of cells 2 and 3 (x = 9.5,
  // 13.5): blue columns 10, 11 keep 0.875, 0.625; red columns 12, 13 keep 0.375, 0.125. So
  // logit = 10 · ((10 + 0.875 + 0.625) − (0.375 + 0.125)) / 32 = 3.4375.
  EXPECT_NEAR(blue.logit, 3.4375, 0.02);
  // Logit 1 = −logit 0 reads red: the map keeps the red band and hides the blue one.
  const OptiCamResult red = ComputeOptiCam(*model, image, 1, options, Black(image));
  cv::minMaxLoc(red.map.colRange(14, 18), &band_min);
  EXPECT_GT(band_min, 0.99);
  cv::minMaxLoc(red.map.colRange(0, 10), nullptr, &band_max);
  EXPECT_LT(band_max, 0.05);
}

TEST(OptiCamTest, GradientMatchesFiniteDifferences) {
  auto model = LoadModel("channel_model.pt");
  auto& classifier = *model;
  const cv::Mat image = SmoothImage();
  const auto layer = classifier.TargetLayerGradients(image, 0, "features");
  cv::Mat fill(image.size(), CV_32FC3, cv::Scalar(0.3, 0.6, 0.1));
  for (const auto normalization : {CamNormalization::kMax, CamNormalization::kMinMax}) {
    OptiCamObjective objective(classifier, image, 0, layer, normalization, fill);
    Eigen::VectorXf u(4);
    u << 0.2f, -0.4f, 0.9f, 0.1f;
    Eigen::VectorXf gradient;
    objective.Evaluate(u, &gradient);
    for (int k = 0; k < 4; ++k) {
      const float h = 1e-2f;
      Eigen::VectorXf plus = u, minus = u;
      plus[k] += h;
      minus[k] -= h;
      const double numeric =
          (objective.Evaluate(plus, nullptr) - objective.Evaluate(minus, nullptr)) / (2 * h);
      // Central differences agree to about 2e-5 here.
      EXPECT_NEAR(gradient[k], numeric, 1e-4 + 1e-3 * std::abs(numeric))
          << "channel " << k << ", " << CamNormalizationName(normalization);
    }
  }
}

TEST(OptiCamTest, RejectsBadOptionsAndLayers) {
  auto model = LoadModel("channel_model.pt");
  auto& classifier = *model;
  const cv::Mat image = SmoothImage();
  OptiCamOptions options;
  options.iterations = 0;
  EXPECT_THROW(ComputeOptiCam(classifier, image, 0, options, Black(image)), OptionError);
  options = {};
  options.learning_rate = 0;
  EXPECT_THROW(ComputeOptiCam(classifier, image, 0, options, Black(image)), OptionError);
  options = {};
  options.target_layer = "no_such_layer";
  try {
    ComputeOptiCam(classifier, image, 0, options, Black(image));
    FAIL() << "expected an OptionError";
  } catch (const OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_layer"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ParseCamNormalization("median"), OptionError);
}

}  // namespace
}  // namespace borex::explain
