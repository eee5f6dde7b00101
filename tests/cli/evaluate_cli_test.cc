// `borex evaluate` end to end: the JSON keys scripts rely on, threshold checks with exit status 3,
// and one error line (and no JSON) for each bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "borex/io/npy.h"
#include "support/run_borex.h"
#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using borex::testing::RunBorex;

const std::string kSource = BOREX_SOURCE_DIR;

class EvaluateCliTest : public borex::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    cv::Mat map(128, 128, CV_32F);
    cv::randu(map, 0.0f, 1.0f);
    borex::io::WriteNpy(Path("map.npy"), map);
  }
  std::string Args(const std::string& map, const std::string& extra) const {
    return "evaluate --model " + kSource + "/models/fashion_scenes_resnet.pt --image " + kSource +
           "/examples/scene_single.png --threads 1 --step 2048 --saliency " + map + " --json " +
           Path("eval.json") + " " + extra;
  }
  void ExpectError(const std::string& args, int status, const std::string& needle) {
    const auto run = RunBorex(args);
    EXPECT_EQ(run.status, status) << run.err;
    const auto error = run.err.find("borex: error: ");
    ASSERT_NE(error, std::string::npos) << run.err;
    EXPECT_EQ(std::count(run.err.begin() + error, run.err.end(), '\n'), 1) << run.err;
    EXPECT_NE(run.err.find(needle), std::string::npos) << run.err;
    EXPECT_FALSE(fs::exists(Path("eval.json")));
  }
};

TEST_F(EvaluateCliTest, WritesEveryMetricAndChecksThresholds) {
  const std::string annotation = " --annotation " + kSource + "/examples/scene_single.xml";
  auto run = RunBorex(Args(Path("map.npy"), annotation + " --fail-below insertion=0 "
                                                         "--fail-above deletion=1"));
  ASSERT_EQ(run.status, 0) << run.err;
  std::ifstream in(Path("eval.json"));
  const auto result = nlohmann::json::parse(in);
  for (const char* key :
       {"insertion", "deletion", "insertion_sum", "deletion_sum", "f_measure", "f_measure_sum",
        "pointing_hit", "average_drop", "average_gain", "label", "model_calls"})
    EXPECT_TRUE(result.contains(key)) << key;
  EXPECT_GE(result["insertion"].get<double>(), 0.0);
  EXPECT_LE(result["insertion"].get<double>(), 1.0);
  EXPECT_TRUE(result["pointing_hit"].is_boolean());
  EXPECT_EQ(result["label"], 9);
  EXPECT_EQ(result["thresholds"].size(), 2u);

  fs::remove(Path("eval.json"));
  run = RunBorex(Args(Path("map.npy"), annotation + " --fail-below f_measure=0.99"));
  EXPECT_EQ(run.status, 3) << run.err;
  EXPECT_NE(run.err.find("check failed: f_measure"), std::string::npos) << run.err;
  std::ifstream again(Path("eval.json"));
  EXPECT_FALSE(nlohmann::json::parse(again)["thresholds"][0]["passed"].get<bool>());
}

TEST_F(EvaluateCliTest, BadInputGetsOneLineAndNoJson) {
  cv::Mat small(40, 40, CV_32F, cv::Scalar(1));
  borex::io::WriteNpy(Path("small.npy"), small);
  cv::Mat nan(128, 128, CV_32F, cv::Scalar(1));
  nan.at<float>(3, 3) = std::nanf("");
  borex::io::WriteNpy(Path("nan.npy"), nan);
  std::ofstream(Path("other.xml"))
      << "<annotation><object><name>coat</name><bndbox><xmin>1</xmin><ymin>1</ymin>"
         "<xmax>5</xmax><ymax>5</ymax></bndbox></object></annotation>";
  ExpectError(Args(Path("small.npy"), ""), 4, "40x40");
  ExpectError(Args(Path("nan.npy"), ""), 4, "NaN");
  ExpectError(Args(Path("map.npy"), "--annotation " + Path("other.xml")), 4,
              "no box of class 'ankle_boot'");
  ExpectError(Args(Path("map.npy"), "--fail-above nope=1"), 2, "unknown metric 'nope'");
  ExpectError(Args(Path("map.npy"), "--fail-below f_measure=0.1"), 2, "needs --annotation");
  ExpectError(Args(Path("map.npy"), "--fail-below insertion"), 2, "is not METRIC=VALUE");
}

}  // namespace
