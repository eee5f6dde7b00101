// OnnxClassifier against TorchScriptClassifier on the bundled models, exported to ONNX by the
// test fixture onnx_models (tests/CMakeLists.txt: scripts/torchscript_to_onnx.py into
// BOREX_ONNX_DIR): metadata, logits, fixed-batch video graphs, RISE and BOREx maps and their
// metrics, and the errors.
#include "borex/model/onnx_classifier.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "borex/app/prepared_image.h"
#include "borex/core/error.h"
#include "borex/explain/method.h"
#include "borex/explain/rise.h"
#include "borex/metrics/metrics.h"
#include "borex/model/open_classifier.h"
#include "borex/model/torchscript_classifier.h"
#include "borex/refine/refiner.h"
#include "support/temp_dir.h"

namespace {

using namespace borex;
using model::ModelOptions;
using model::OnnxClassifier;
using model::TorchScriptClassifier;

const std::string kSource = BOREX_SOURCE_DIR;
const std::string kOnnxDir = BOREX_ONNX_DIR;
const std::string kSceneOnnx = kOnnxDir + "/fashion_scenes_resnet.onnx";
const std::string kVideoOnnx = kOnnxDir + "/fashion_video_r2plus1d_batch4.onnx";

ModelOptions Options(const std::string& path) {
  ModelOptions options;
  options.path = path;
  options.threads = 2;
  return options;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

double Correlation(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat a64, b64;
  a.convertTo(a64, CV_64F);
  b.convertTo(b64, CV_64F);
  const double ma = cv::mean(a64)[0], mb = cv::mean(b64)[0];
  a64 -= ma;
  b64 -= mb;
  return a64.dot(b64) / std::sqrt(a64.dot(a64) * b64.dot(b64));
}

double MaxAbsDifference(const Eigen::MatrixXf& a, const Eigen::MatrixXf& b) {
  return (a - b).cwiseAbs().maxCoeff();
}

TEST(OnnxClassifierTest, ReadsTheBorexMetadataFromMetadataProps) {
  OnnxClassifier onnx(Options(kSceneOnnx));
  TorchScriptClassifier torch(Options(kSource + "/models/fashion_scenes_resnet.pt"));
  const model::ModelInfo& info = onnx.info();
  EXPECT_EQ(info.class_names, torch.info().class_names);
  ASSERT_EQ(info.class_names.size(), 10u);
  EXPECT_EQ(info.class_names[9], "ankle_boot");
  EXPECT_EQ(info.input_size, cv::Size(128, 128));
  EXPECT_EQ(info.mean, torch.info().mean);
  EXPECT_EQ(info.std, torch.info().std);
  EXPECT_EQ(info.target_layer, "layer4");
  EXPECT_EQ(info.description, torch.info().description);
  EXPECT_EQ(info.format, "ONNX");
  EXPECT_EQ(info.source, kSceneOnnx);
  EXPECT_FALSE(info.is_video());
  EXPECT_FALSE(onnx.white_box());
  EXPECT_EQ(onnx.fixed_batch(), 0);  // exported with a dynamic batch axis
}

TEST(OnnxClassifierTest, FlagsOverrideTheFilesMetadata) {
  const std::string classes =
      (std::filesystem::temp_directory_path() / "borex_onnx_classes.txt").string();
  {
    std::ofstream out(classes);
    for (int c = 0; c < 10; ++c) out << "c" << c << "\n";
  }
  ModelOptions options = Options(kSceneOnnx);
  options.mean = cv::Vec3f(0.5f, 0.5f, 0.5f);
  options.std = cv::Vec3f(0.25f, 0.25f, 0.25f);
  options.classes_file = classes;
  OnnxClassifier onnx(options);
  std::filesystem::remove(classes);
  EXPECT_EQ(onnx.info().mean, cv::Vec3f(0.5f, 0.5f, 0.5f));
  EXPECT_EQ(onnx.info().std, cv::Vec3f(0.25f, 0.25f, 0.25f));
  EXPECT_EQ(onnx.info().class_names.front(), "c0");
  EXPECT_EQ(onnx.info().input_size, cv::Size(128, 128));  // kept from the file
}

TEST(OnnxClassifierTest, OpenClassifierChoosesTheBackendByExtension) {
  const auto onnx = model::OpenClassifier(Options(kSceneOnnx));
  EXPECT_NE(dynamic_cast<OnnxClassifier*>(onnx.get()), nullptr);
  const auto torch = model::OpenClassifier(Options(kSource + "/models/fashion_scenes_resnet.pt"));
  EXPECT_NE(dynamic_cast<TorchScriptClassifier*>(torch.get()), nullptr);
  EXPECT_TRUE(torch->white_box());
  EXPECT_TRUE(model::IsOnnxPath("a/B.ONNX"));
  EXPECT_FALSE(model::IsOnnxPath("onnx"));
  EXPECT_FALSE(model::IsOnnxPath("model.onnx.pt"));
}

TEST(OnnxClassifierTest, LogitsEqualTorchScriptOnTheExamples) {
  OnnxClassifier onnx(Options(kSceneOnnx));
  TorchScriptClassifier torch(Options(kSource + "/models/fashion_scenes_resnet.pt"));
  std::vector<cv::Mat> images;
  for (const char* name : {"scene_single", "scene_multi", "scene_third"}) {
    const app::PreparedImage image =
        app::PrepareImage(onnx, kSource + "/examples/" + name + ".png");
    images.push_back(image.working);
    // Half of the image hidden: a masked input as RISE and BOREx give the model.
    cv::Mat masked = image.working.clone();
    masked.colRange(0, masked.cols / 2).setTo(cv::Scalar::all(0));
    images.push_back(masked);
  }
  const long calls = onnx.model_calls();
  const Eigen::MatrixXf expected = torch.Logits(images), actual = onnx.Logits(images);
  EXPECT_EQ(onnx.model_calls() - calls, 6);
  ASSERT_EQ(actual.rows(), 6);
  ASSERT_EQ(actual.cols(), 10);
  EXPECT_LE(MaxAbsDifference(actual, expected), 1e-4);
  // One image at a time gives the same logits as the batch.
  EXPECT_LE(MaxAbsDifference(onnx.Logits({images[1]}), expected.row(1)), 1e-4);
}

TEST(OnnxClassifierTest, AFixedBatchVideoGraphTakesClipsFourAtATime) {
  OnnxClassifier onnx(Options(kVideoOnnx));
  TorchScriptClassifier torch(Options(kSource + "/models/fashion_video_r2plus1d.pt"));
  EXPECT_EQ(onnx.fixed_batch(), 4);
  EXPECT_EQ(onnx.info().frames, 16);
  EXPECT_EQ(onnx.info().layout, model::VideoLayout::kNCTHW);
  std::vector<cv::Mat> clips;
  for (const char* name : {"clip_moving", "clip_static"}) {
    const app::PreparedImage clip = app::PrepareVideo(onnx, kSource + "/examples/" + name, 0);
    clips.push_back(clip.working);
    for (const int band : {0, 1}) {  // hidden top or bottom half of every frame
      cv::Mat masked = clip.working.clone();
      const int rows = masked.rows / 16;
      for (int t = 0; t < 16; ++t)
        masked.rowRange(t * rows + band * rows / 2, t * rows + (band + 1) * rows / 2)
            .setTo(cv::Scalar::all(0));
      clips.push_back(masked);
    }
  }
  ASSERT_EQ(clips.size(), 6u);  // two passes of 4, the second padded
  const long calls = onnx.model_calls();
  const Eigen::MatrixXf actual = onnx.Logits(clips);
  EXPECT_EQ(onnx.model_calls() - calls, 6);
  EXPECT_LE(MaxAbsDifference(actual, torch.Logits(clips)), 1e-4);
}

TEST(OnnxClassifierTest, RiseAndBorexMapsAndMetricsMatchTorchScript) {
  // The defaults throughout: RISE at full quality (4000 masks) and BOREx's kriging preset with
  // the cheap RISE prior, as `borex explain` and `borex refine` run them.
  OnnxClassifier onnx(Options(kSceneOnnx));
  TorchScriptClassifier torch(Options(kSource + "/models/fashion_scenes_resnet.pt"));
  const std::string path = kSource + "/examples/scene_multi.png";
  const app::PreparedImage image = app::PrepareImage(torch, path);
  onnx.Validate(image.working.size());
  const int label = image.top1;
  metrics::MetricOptions metric_options;

  const explain::RiseOptions rise;
  const cv::Mat torch_rise = explain::ComputeRise(torch, image.working, label, rise);
  const cv::Mat onnx_rise = explain::ComputeRise(onnx, image.working, label, rise);
  EXPECT_GE(Correlation(torch_rise, onnx_rise), 0.99);

  const refine::RefineOptions refine_options;
  const explain::RiseOptions prior = explain::RiseOptions::CheapPrior();
  const refine::RefineResult torch_borex = refine::RunRefinement(
      torch, image.working, label, explain::ComputeRise(torch, image.working, label, prior),
      refine_options);
  const refine::RefineResult onnx_borex = refine::RunRefinement(
      onnx, image.working, label, explain::ComputeRise(onnx, image.working, label, prior),
      refine_options);
  EXPECT_EQ(onnx_borex.iterations, refine_options.iterations);
  EXPECT_GE(Correlation(torch_borex.map, onnx_borex.map), 0.99);

  // Each backend scores its own maps.
  for (const auto& [torch_map, onnx_map] :
       {std::pair{torch_rise, onnx_rise}, std::pair{torch_borex.map, onnx_borex.map}}) {
    const metrics::Evaluation expected =
        metrics::Evaluate(torch, image.working, torch_map, label, cv::Mat(), metric_options);
    const metrics::Evaluation actual =
        metrics::Evaluate(onnx, image.working, onnx_map, label, cv::Mat(), metric_options);
    EXPECT_NEAR(actual.insertion.auc, expected.insertion.auc, 1e-3);
    EXPECT_NEAR(actual.deletion.auc, expected.deletion.auc, 1e-3);
    EXPECT_NEAR(*actual.Value("average_drop", ""), *expected.Value("average_drop", ""), 1e-3);
  }
}

TEST(OnnxClassifierTest, WhiteBoxMethodsAreRefusedByName) {
  OnnxClassifier onnx(Options(kSceneOnnx));
  for (const explain::Method method :
       {explain::Method::kGradCam, explain::Method::kGradCamPlusPlus, explain::Method::kOptiCam,
        explain::Method::kFidoSsr, explain::Method::kFidoSdr}) {
    try {
      explain::CheckMethodSupported(onnx, method, {}, "--method");
      ADD_FAILURE() << explain::MethodName(method) << " accepted";
    } catch (const OptionError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind(
                    "--method: " + explain::MethodName(method) + " needs a TorchScript model", 0),
                0u)
          << message;
      EXPECT_NE(message.find(kSceneOnnx + " (ONNX)"), std::string::npos) << message;
    }
  }
  for (const explain::Method method :
       {explain::Method::kRise, explain::Method::kPnRise, explain::Method::kUndesirable})
    EXPECT_NO_THROW(explain::CheckMethodSupported(onnx, method, {}, "--method"));
  EXPECT_THROW(onnx.TargetLayerGradients(cv::Mat(128, 128, CV_32FC3), 0, "layer4"), ModelError);
}

class OnnxFileErrorTest : public borex::testing::TempDirTest {
 protected:
  // The InputError message of opening `bytes` written to NAME.onnx.
  std::string OpenError(const std::string& bytes, const std::string& name = "bad") {
    const std::string path = Path(name + ".onnx");
    std::ofstream(path, std::ios::binary) << bytes;
    try {
      OnnxClassifier classifier(Options(path));
    } catch (const InputError& e) {
      EXPECT_EQ(e.code(), ExitCode::kInputError);
      std::string message = e.what();
      EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      return message;
    }
    ADD_FAILURE() << "no InputError for " << name;
    return "";
  }
};

TEST_F(OnnxFileErrorTest, MalformedFilesAreOneLineInputErrors) {
  const std::string model = ReadFile(kSceneOnnx);
  EXPECT_NE(OpenError(model.substr(0, model.size() / 2), "truncated")
                .find("not a readable ONNX "
                      "model (truncated"),
            std::string::npos);
  EXPECT_NE(OpenError("this is not a model\n", "text").find("not a readable ONNX model"),
            std::string::npos);
  EXPECT_NE(OpenError("", "empty").find("no graph"), std::string::npos);
  // Well-formed protobuf with a graph OpenCV cannot import: a node of an unknown operator
  // (ModelProto {opset_import {version 13}, graph {node {input "x", output "y", op_type
  // "NoSuchOp"}, input {name "x"}, output {name "y"}}}).
  const std::string node = "\x0a\x01x\x12\x01y\x22\x08NoSuchOp";
  const std::string graph = "\x0a" + std::string(1, static_cast<char>(node.size())) + node +
                            "\x5a\x03\x0a\x01x\x62\x03\x0a\x01y";
  const std::string bytes =
      "\x08\x07\x42\x02\x10\x0d\x3a" + std::string(1, static_cast<char>(graph.size())) + graph;
  EXPECT_NE(OpenError(bytes, "unknown_op").find("OpenCV cannot import this ONNX model ("),
            std::string::npos);
  try {
    OnnxClassifier classifier(Options(Path("missing.onnx")));
    ADD_FAILURE() << "a missing file opened";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open model file"), std::string::npos);
  }
}

TEST(OnnxClassifierTest, OptionsAndShapesTheGraphCannotTake) {
  ModelOptions cuda = Options(kSceneOnnx);
  cuda.device = "cuda";
  EXPECT_THROW(OnnxClassifier{cuda}, OptionError);
  ModelOptions resized = Options(kSceneOnnx);
  resized.input_size = cv::Size(64, 64);
  OnnxClassifier classifier(resized);
  try {
    classifier.Validate(cv::Size(64, 64));
    ADD_FAILURE() << "a 64x64 input accepted";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("the graph's input is [?, 3, 128, 128] but borex would "
                                         "give it [1, 3, 64, 64]"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
