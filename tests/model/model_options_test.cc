// The options and metadata both backends share (borex_core): the normalisation a model is given,
// by flags or by its borex.json, must be one of pixels in [0, 1].
#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <string>

#include "borex/core/error.h"
#include "borex/core/threads.h"
#include "borex/model/open_classifier.h"
#include "support/message_of.h"
#include "support/temp_dir.h"

namespace borex::model {
namespace {

using borex::testing::MessageOf;

TEST(ModelOptionsTest, ThreadsAreBoundedByTheMachine) {
  ModelOptions options;
  options.path = "model.pt";
  options.threads = kThreadsPerHardwareThread * HardwareThreads();
  EXPECT_NO_THROW(options.Check());
  options.threads += 1;
  EXPECT_EQ(MessageOf<OptionError>([&] { options.Check(); }).rfind("--threads: ", 0), 0u);
}

TEST(ModelOptionsTest, NormalisationFlagsMustBeOfPixelsInZeroToOne) {
  ModelOptions options;
  options.path = "model.pt";
  options.mean = cv::Vec3f(0.485f, 0.456f, 0.406f);
  options.std = cv::Vec3f(0.229f, 0.224f, 0.225f);
  EXPECT_NO_THROW(options.Check());
  options.mean = cv::Vec3f(0, 1, 0.5f);  // the ends of the range
  options.std = cv::Vec3f(1, 1, 1e-6f);
  EXPECT_NO_THROW(options.Check());

  options.mean = cv::Vec3f(123.68f, 116.78f, 103.94f);  // Caffe's, in 0-255 units
  EXPECT_EQ(MessageOf<OptionError>([&] { options.Check(); }),
            "--mean: 123.68 is outside [0, 1]: borex's pixels are in [0, 1] (divide 0-255 values "
            "by 255)");
  options.mean = cv::Vec3f(0.5f, -0.01f, 0.5f);
  EXPECT_EQ(MessageOf<OptionError>([&] { options.Check(); }),
            "--mean: -0.01 is outside [0, 1]: borex's pixels are in [0, 1] (divide 0-255 values "
            "by 255)");
  options.mean = cv::Vec3f(0.5f, 0.5f, std::numeric_limits<float>::infinity());
  EXPECT_EQ(MessageOf<OptionError>([&] { options.Check(); }),
            "--mean: values must be finite (in single precision)");

  options.mean = cv::Vec3f(0.5f, 0.5f, 0.5f);
  options.std = cv::Vec3f(58.4f, 57.1f, 57.4f);
  EXPECT_EQ(MessageOf<OptionError>([&] { options.Check(); }),
            "--std: 58.4 is outside (0, 1]: borex's pixels are in [0, 1] (divide 0-255 values by "
            "255)");
  options.std = cv::Vec3f(0.2f, 0, 0.2f);
  EXPECT_EQ(MessageOf<OptionError>([&] { options.Check(); }),
            "--std: 0 is outside (0, 1]: borex's pixels are in [0, 1] (divide 0-255 values by "
            "255)");
  options.std = cv::Vec3f(0.2f, std::numeric_limits<float>::quiet_NaN(), 0.2f);
  EXPECT_EQ(MessageOf<OptionError>([&] { options.Check(); }),
            "--std: values must be positive and finite (in single precision)");
}

TEST(ModelOptionsTest, MetadataNormalisationMustBeOfPixelsInZeroToOne) {
  ModelInfo info;
  ParseModelMetadata("m.pt", R"({"mean": [0.5, 0.25, 0], "std": [1, 0.5, 0.25]})", info);
  EXPECT_EQ(info.mean, cv::Vec3f(0.5f, 0.25f, 0));
  EXPECT_EQ(info.std, cv::Vec3f(1, 0.5f, 0.25f));
  EXPECT_EQ(MessageOf<InputError>(
                [&] { ParseModelMetadata("m.pt", R"({"mean": [123.68, 116.78, 103.94]})", info); }),
            "m.pt: invalid borex.json metadata: mean: 123.68 is outside [0, 1]: borex's pixels "
            "are in [0, 1] (divide 0-255 values by 255)");
  EXPECT_EQ(
      MessageOf<InputError>([&] { ParseModelMetadata("m.pt", R"({"std": [0.2, 0.2, 2]})", info); }),
      "m.pt: invalid borex.json metadata: std: 2 is outside (0, 1]: borex's pixels are in "
      "[0, 1] (divide 0-255 values by 255)");
  EXPECT_EQ(
      MessageOf<InputError>([&] { ParseModelMetadata("m.pt", R"({"std": [0.2, 0.2]})", info); }),
      "m.pt: invalid borex.json metadata: std must have 3 values");
}

TEST(ModelOptionsTest, MetadataGivesHeightThenWidthAndAVideoModelItsFrames) {
  ModelInfo info;
  ParseModelMetadata("m.pt", R"({"input_size": [32, 48]})", info);
  EXPECT_EQ(info.input_size, cv::Size(48, 32));  // cv::Size is (width, height)
  EXPECT_EQ(MessageOf<InputError>(
                [&] { ParseModelMetadata("m.pt", R"({"task": "video-classification"})", info); }),
            "m.pt: invalid borex.json metadata: a video model needs frames > 0");
  EXPECT_EQ(MessageOf<InputError>(
                [&] { ParseModelMetadata("m.pt", R"({"mean": [0.1, 0.2, 0.3, 0.4]})", info); }),
            "m.pt: invalid borex.json metadata: mean must have 3 values");
}

class ModelOptionsFileTest : public testing::TempDirTest {};

TEST_F(ModelOptionsFileTest, ClassNamesSkipBlankLinesAndWindowsLineEnds) {
  std::ofstream(Path("classes.txt")) << "shirt\r\n\r\n\nankle boot \r\n";
  ModelOptions options;
  options.path = "m.pt";
  options.classes_file = Path("classes.txt");
  ModelInfo info;
  ApplyModelOptions(options, info);
  EXPECT_EQ(info.class_names, (std::vector<std::string>{"shirt", "ankle boot"}));
}

TEST(ModelOptionsTest, AFrameStrideOrALayoutNeedsAVideoModel) {
  ModelOptions options;
  options.path = "m.pt";
  options.frame_stride = 2;
  ModelInfo image_model;
  EXPECT_EQ(MessageOf<OptionError>([&] { ApplyModelOptions(options, image_model); }),
            "--frame-stride: m.pt is not a video model (no frames in its metadata): give "
            "--frames T to use it as one");
  options.frames = 8;  // made a video model by the flag
  EXPECT_NO_THROW(ApplyModelOptions(options, image_model));
  EXPECT_EQ(image_model.frame_stride, 2);
}

}  // namespace
}  // namespace borex::model
