#include "borex/model/torchscript_classifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <tuple>

#include "borex/core/error.h"
#include "borex/explain/grad_cam.h"

namespace borex::model {
namespace {

const std::string kData = std::string(BOREX_SOURCE_DIR) + "/tests/data/";

ModelOptions Options(const std::string& file) {
  ModelOptions options;
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
  ModelOptions options = Options("region_model.pt");
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
  // The same answer without running the model, and no model call for a layer it has.
  EXPECT_THROW(classifier.CheckTargetLayer("layer9"), OptionError);
  EXPECT_NO_THROW(classifier.CheckTargetLayer(classifier.info().target_layer));
  EXPECT_EQ(classifier.model_calls(), 0);
}

// Logits that are not finite (here an input divided by a standard deviation of 1e-45) would make
// every score and map NaN: every forward pass refuses them with a ModelError naming the model.
TEST(TorchScriptClassifierTest, NonFiniteLogitsAreAModelError) {
  ModelOptions options = Options("tiny_cam_scripted.pt");
  options.std = cv::Vec3f(1e-45f, 1e-45f, 1e-45f);
  TorchScriptClassifier classifier(options);
  const cv::Mat image(8, 8, CV_32FC3, cv::Scalar::all(0.3));
  try {
    classifier.Logits({image});
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find(options.path + ": the model returned NaN or infinite"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(classifier.TargetLayerGradients(image, 0, classifier.info().target_layer),
               ModelError);
  EXPECT_THROW(classifier.ScoreInputGradients({image}, 0, ScoreKind::kLogit), ModelError);
  TorchScriptClassifier normal(Options("tiny_cam_scripted.pt"));
  EXPECT_TRUE(normal.Logits({image}).allFinite());
}

}  // namespace
}  // namespace borex::model

namespace borex::model {
namespace {

// Regression: TorchScript's profiling executor re-optimised the Grad-CAM graph after its first
// runs, and the optimised graph returned other layer gradients for every later image. Each call
// must give what a fresh classifier gives.
TEST(TorchScriptClassifierTest, RepeatedGradientCallsEqualAFreshClassifier) {
  ModelOptions options;
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

// Video models: metadata, both input layouts, rejected layouts, and 3D-layer gradients and CAMs
// against PyTorch (scripts/make_test_models.py).

// tests/data/video_region_model.json: 8 frames of 32x32; logit 0 = 20 · mean over frames 2..4,
// rows 8..15, cols 16..23 − 5.
cv::Mat RegionClip(double inside, int bright_frame = -1) {
  cv::Mat clip(8 * 32, 32, CV_32FC3, cv::Scalar::all(0.25));
  for (int t = 2; t <= 4; ++t) clip(cv::Rect(16, t * 32 + 8, 8, 8)).setTo(cv::Scalar::all(inside));
  if (bright_frame >= 0) clip.rowRange(bright_frame * 32, bright_frame * 32 + 32).setTo(1.0);
  return clip;
}

TEST(VideoClassifierTest, ReadsVideoMetadataAndBothLayoutsGiveTheSameLogits) {
  for (const char* file : {"video_region_model.pt", "video_region_model_ntchw.pt"}) {
    TorchScriptClassifier classifier(Options(file));
    const ModelInfo& info = classifier.info();
    EXPECT_TRUE(info.is_video());
    EXPECT_EQ(info.frames, 8);
    EXPECT_EQ(info.clip_frames(), 8);
    EXPECT_EQ(info.input_size, cv::Size(32, 32));
    EXPECT_EQ(VideoLayoutName(info.layout),
              std::string(file).find("ntchw") == std::string::npos ? "NCTHW" : "NTCHW");
    classifier.Validate(cv::Size(32, 8 * 32));
    // Frames outside 2..4 (here frame 6, all white) do not count.
    const Eigen::MatrixXf logits = classifier.Logits({RegionClip(1.0, 6), RegionClip(0.0)});
    EXPECT_NEAR(logits(0, 0), 15.0, 1e-4) << file;
    EXPECT_NEAR(logits(1, 0), -5.0, 1e-4) << file;
    EXPECT_EQ(classifier.model_calls(), 2);
  }
}

TEST(VideoClassifierTest, AWrongLayoutIsRejectedWithTheShapeItWasGiven) {
  ModelOptions options = Options("video_region_model.pt");
  options.layout = VideoLayout::kNTCHW;
  TorchScriptClassifier classifier(options);
  try {
    classifier.Validate(cv::Size(32, 8 * 32));
    FAIL();
  } catch (const ModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("rejected a [1, 8, 3, 32, 32] input"), std::string::npos) << what;
    EXPECT_NE(what.find("--video-layout"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
}

TEST(VideoClassifierTest, FramesFlagMakesAModelAVideoModelAndLayoutNeedsOne) {
  ModelOptions options = Options("video_region_model.pt");
  options.frames = 4;
  TorchScriptClassifier four(options);
  EXPECT_EQ(four.info().frames, 4);
  ModelOptions image_model = Options("region_model.pt");
  image_model.layout = VideoLayout::kNCTHW;
  EXPECT_THROW(TorchScriptClassifier{image_model}, OptionError);
  EXPECT_THROW(ParseVideoLayout("NHWC", "--video-layout"), OptionError);
  options.frames = 0;
  EXPECT_THROW(options.Check(), OptionError);
}

// Activations, gradients and both CAMs of a 3D layer equal PyTorch's.
TEST(VideoClassifierTest, ThreeDimensionalLayerGradientsAndCamsEqualPyTorch) {
  std::ifstream in(kData + "tiny_video_cam_reference.json");
  const nlohmann::json reference = nlohmann::json::parse(in);
  TorchScriptClassifier classifier(Options("tiny_video_cam.pt"));
  ASSERT_TRUE(classifier.info().is_video());
  const int frames = 8, rows = 16, cols = 16;
  cv::Mat clip(frames * rows, cols, CV_32FC3);
  for (int c = 0; c < 3; ++c)
    for (int t = 0; t < frames; ++t)
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j)
          clip.at<cv::Vec3f>(t * rows + i, j)[c] =
              static_cast<float>(0.5 + 0.5 * std::sin(0.3 * i + 0.2 * j + 0.5 * t + c));
  const int label = reference["label"].get<int>();
  const LayerGradients layer = classifier.TargetLayerGradients(clip, label, "features.2");
  const auto shape = reference["activations_shape"].get<std::vector<int>>();
  ASSERT_EQ(layer.channels, shape[0]);
  ASSERT_EQ(layer.depth, shape[1]);
  ASSERT_EQ(layer.rows, shape[2]);
  ASSERT_EQ(layer.cols, shape[3]);
  const auto activations = reference["activations"].get<std::vector<float>>();
  const auto gradients = reference["gradients"].get<std::vector<float>>();
  const int positions = layer.depth * layer.rows * layer.cols;
  for (int k = 0; k < layer.channels; ++k)
    for (int p = 0; p < positions; ++p) {
      EXPECT_NEAR(layer.activations(k, p), activations[k * positions + p], 1e-5);
      EXPECT_NEAR(layer.gradients(k, p), gradients[k * positions + p], 1e-5);
    }
  for (int i = 0; i < 3; ++i)
    EXPECT_NEAR(layer.logits[i], reference["logits"][i].get<float>(), 1e-5);
  for (auto [variant, key] : {std::pair{explain::CamVariant::kGradCam, "gradcam"},
                              std::pair{explain::CamVariant::kGradCamPlusPlus, "gradcampp"}}) {
    const cv::Mat cam = explain::CamFromGradients(layer, variant);  // d stacked h x w frames
    ASSERT_EQ(cam.size(), cv::Size(layer.cols, layer.depth * layer.rows));
    const auto expected = reference[key].get<std::vector<float>>();
    for (int p = 0; p < positions; ++p)
      EXPECT_NEAR(cam.ptr<float>()[p], expected[p], 1e-4) << key << " " << p;
  }
}

// Input gradients in closed form: for the region models logit 0 = 20 · mean(region) − 5 and
// logit 1 = 0, so ∂logit0/∂pixel_c = 20 / (3 · |region|) inside the region and 0 outside; the
// log-odds equal logit 0 (two classes) and ∂p/∂x = p (1 − p) ∂logit0/∂x.
void ExpectRegionGradient(const cv::Mat& gradient, const cv::Rect& region, int frame_rows,
                          const std::vector<int>& frames, double per_pixel) {
  for (int r = 0; r < gradient.rows; ++r)
    for (int c = 0; c < gradient.cols; ++c) {
      const int t = r / frame_rows;
      const bool inside = region.contains(cv::Point(c, r % frame_rows)) &&
                          std::find(frames.begin(), frames.end(), t) != frames.end();
      for (int k = 0; k < 3; ++k)
        ASSERT_NEAR(gradient.at<cv::Vec3f>(r, c)[k], inside ? per_pixel : 0.0, 1e-6)
            << "row " << r << " col " << c;
    }
}

TEST(TorchScriptClassifierTest, InputGradientsEqualTheClosedForm) {
  TorchScriptClassifier classifier(Options("region_model.pt"));
  cv::Mat image(32, 32, CV_32FC3, cv::Scalar::all(0.25));
  image(cv::Rect(16, 8, 8, 8)).setTo(cv::Scalar::all(0.3));  // logit 0 = 20·0.3 − 5 = 1
  const double p = 1 / (1 + std::exp(-1.0)), slope = 20.0 / (3 * 64);
  for (const auto& [kind, score, scale] :
       {std::tuple{ScoreKind::kLogit, 1.0, 1.0}, std::tuple{ScoreKind::kLogOdds, 1.0, 1.0},
        std::tuple{ScoreKind::kProbability, p, p * (1 - p)}}) {
    const InputGradients result = classifier.ScoreInputGradients({image, image}, 0, kind);
    ASSERT_EQ(result.gradients.size(), 2u);
    EXPECT_NEAR(result.scores[1], score, 1e-5) << ScoreKindName(kind);
    EXPECT_NEAR(ClassScores(classifier.Logits({image}), 0, kind)[0], score, 1e-5);
    ExpectRegionGradient(result.gradients[1], cv::Rect(16, 8, 8, 8), 32, {0}, slope * scale);
  }
}

TEST(VideoClassifierTest, InputGradientsFollowBothLayouts) {
  for (const char* file : {"video_region_model.pt", "video_region_model_ntchw.pt"}) {
    TorchScriptClassifier classifier(Options(file));
    const InputGradients result =
        classifier.ScoreInputGradients({RegionClip(0.5)}, 0, ScoreKind::kLogit);
    EXPECT_NEAR(result.scores[0], 5.0, 1e-4) << file;
    ExpectRegionGradient(result.gradients[0], cv::Rect(16, 8, 8, 8), 32, {2, 3, 4},
                         20.0 / (3 * 3 * 64));
  }
}

}  // namespace
}  // namespace borex::model
