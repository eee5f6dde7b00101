#include "borex/model/torchscript_classifier.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "borex/core/error.h"
#include "borex/explain/grad_cam.h"

namespace borex::model {
namespace {

const std::string kData = std::string(BOREX_SOURCE_DIR) + "/tests/data/";

TorchScriptOptions Options(const std::string& file) {
  TorchScriptOptions options;
  options.path = kData + file;
  options.threads = 1;
  return options;
}

cv::Mat ImageFromChw(const nlohmann::json& chw) {
  const int rows = static_cast<int>(chw[0].size()), cols = static_cast<int>(chw[0][0].size());
  cv::Mat image(rows, cols, CV_32FC3);
  for (int c = 0; c < 3; ++c)
    for (int r = 0; r < rows; ++r)
      for (int x = 0; x < cols; ++x) image.at<cv::Vec3f>(r, x)[c] = chw[c][r][x].get<float>();
  return image;
}

nlohmann::json ReadJson(const std::string& file) {
  std::ifstream in(kData + file);
  return nlohmann::json::parse(in);
}

TEST(TorchScriptClassifierTest, ReadsMetadataAndComputesLogits) {
  TorchScriptClassifier classifier(Options("region_model.pt"));
  EXPECT_EQ(classifier.info().class_names, (std::vector<std::string>{"target", "other"}));
  EXPECT_EQ(classifier.info().input_size, cv::Size(32, 32));
  EXPECT_EQ(classifier.info().mean, cv::Vec3f(0, 0, 0));
  classifier.Validate(cv::Size(32, 32));
  EXPECT_EQ(classifier.num_classes(), 2);
  cv::Mat image(32, 32, CV_32FC3, cv::Scalar::all(0.5));
  image(cv::Rect(16, 8, 8, 8)).setTo(cv::Scalar::all(1.0));
  const Eigen::MatrixXf logits =
      classifier.Logits({image, cv::Mat(32, 32, CV_32FC3, cv::Scalar::all(0))});
  // logit 0 = 20 · mean(region) − 5.
  EXPECT_NEAR(logits(0, 0), 15.0, 1e-4);
  EXPECT_NEAR(logits(1, 0), -5.0, 1e-4);
  EXPECT_NEAR(logits(0, 1), 0.0, 1e-6);
  EXPECT_EQ(classifier.model_calls(), 2);
}

TEST(TorchScriptClassifierTest, FlagsOverrideMetadataAndDefaultsAreImageNet) {
  TorchScriptClassifier bare(Options("no_metadata_model.pt"));
  EXPECT_NEAR(bare.info().mean[0], 0.485f, 1e-6);
  EXPECT_EQ(bare.WorkingSize(cv::Size(48, 40)), cv::Size(48, 40));
  TorchScriptOptions options = Options("region_model.pt");
  options.mean = cv::Vec3f(0.1f, 0.2f, 0.3f);
  options.input_size = cv::Size(40, 30);
  const std::string classes =
      (std::filesystem::temp_directory_path() / "borex_classes.txt").string();
  std::ofstream(classes) << "yes\nno\n";
  options.classes_file = classes;
  TorchScriptClassifier overridden(options);
  EXPECT_EQ(overridden.info().mean, cv::Vec3f(0.1f, 0.2f, 0.3f));
  EXPECT_EQ(overridden.info().input_size, cv::Size(40, 30));
  EXPECT_EQ(overridden.info().class_names[1], "no");
  EXPECT_EQ(overridden.info().ResolveLabel("no", 2), 1);
  EXPECT_THROW(overridden.info().ResolveLabel("2", 2), OptionError);
  EXPECT_THROW(overridden.info().ResolveLabel("maybe", 2), OptionError);
}

TEST(TorchScriptClassifierTest, RejectsOutputsThatAreNotNByC) {
  TorchScriptClassifier classifier(Options("bad_output_model.pt"));
  EXPECT_THROW(classifier.Validate(cv::Size(32, 32)), ModelError);
}

TEST(TorchScriptClassifierTest, MissingAndCorruptFilesAreInputErrors) {
  EXPECT_THROW(TorchScriptClassifier(Options("does_not_exist.pt")), InputError);
  EXPECT_THROW(TorchScriptClassifier(Options("region_image.png")), InputError);
}

struct CamCase {
  const char* model;
  const char* reference;
  const char* layer;
  int label;
};

class GradCamReferenceTest : public ::testing::TestWithParam<CamCase> {};

// Activations, gradients and both CAMs equal those PyTorch computed with hooks
// (scripts/make_test_models.py), for scripted, traced and nested-layer models.
TEST_P(GradCamReferenceTest, EqualsPyTorchHookComputation) {
  const CamCase& test_case = GetParam();
  const nlohmann::json reference = ReadJson(test_case.reference);
  TorchScriptClassifier classifier(Options(test_case.model));
  const cv::Mat image = ImageFromChw(reference["image"]);
  const LayerGradients layer =
      classifier.TargetLayerGradients(image, test_case.label, test_case.layer);
  const auto& activations = reference["activations"];
  const auto& gradients = reference["gradients"];
  ASSERT_EQ(layer.channels, static_cast<int>(activations.size()));
  for (int k = 0; k < layer.channels; ++k)
    for (int r = 0; r < layer.rows; ++r)
      for (int c = 0; c < layer.cols; ++c) {
        EXPECT_NEAR(layer.activations(k, r * layer.cols + c), activations[k][r][c].get<float>(),
                    1e-5);
        EXPECT_NEAR(layer.gradients(k, r * layer.cols + c), gradients[k][r][c].get<float>(), 1e-5);
      }
  for (auto [variant, key] : {std::pair{explain::CamVariant::kGradCam, "gradcam"},
                              std::pair{explain::CamVariant::kGradCamPlusPlus, "gradcampp"}}) {
    const cv::Mat cam = explain::CamFromGradients(layer, variant);
    const auto& expected = reference[key];
    for (int r = 0; r < layer.rows; ++r)
      for (int c = 0; c < layer.cols; ++c)
        EXPECT_NEAR(cam.at<float>(r, c), expected[r][c].get<float>(), 1e-4) << key;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Models, GradCamReferenceTest,
    ::testing::Values(CamCase{"tiny_cam_scripted.pt", "tiny_cam_reference.json", "features", 1},
                      CamCase{"tiny_cam_traced.pt", "tiny_cam_reference.json", "features", 1},
                      CamCase{"nested_cam_scripted.pt", "nested_cam_reference.json", "backbone.1",
                              0}));

TEST(TorchScriptClassifierTest, UnknownTargetLayerIsAnOptionError) {
  TorchScriptClassifier classifier(Options("tiny_cam_scripted.pt"));
  cv::Mat image(8, 8, CV_32FC3, cv::Scalar::all(0.3));
  try {
    classifier.TargetLayerGradients(image, 0, "layer9");
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("--target-layer"), std::string::npos);
  }
}

}  // namespace
}  // namespace borex::model

namespace borex::model {
namespace {

// Regression: TorchScript's profiling executor re-optimised the Grad-CAM graph after its first
// runs, and the optimised graph returned other layer gradients for every later image. Each call
// must give what a fresh classifier gives.
TEST(TorchScriptClassifierTest, RepeatedGradientCallsEqualAFreshClassifier) {
  TorchScriptOptions options;
  options.path = std::string(BOREX_SOURCE_DIR) + "/models/fashion_scenes_resnet.pt";
  options.threads = 2;
  cv::Mat first(128, 128, CV_32FC3), second(128, 128, CV_32FC3);
  cv::randu(first, 0.0f, 1.0f);
  cv::randu(second, 0.0f, 1.0f);
  TorchScriptClassifier fresh(options);
  const LayerGradients expected = fresh.TargetLayerGradients(second, 3, "layer4");
  TorchScriptClassifier used(options);
  for (int round = 0; round < 3; ++round) {
    used.TargetLayerGradients(first, 1, "layer4");
    used.Logits({first, second});
    const LayerGradients again = used.TargetLayerGradients(second, 3, "layer4");
    EXPECT_TRUE(again.gradients.isApprox(expected.gradients, 1e-5f)) << "round " << round;
    EXPECT_TRUE(again.activations.isApprox(expected.activations, 1e-5f)) << "round " << round;
  }
}

}  // namespace
}  // namespace borex::model
