// `borex explain --method undesirable` and the hide-top metric of `borex evaluate`, end to end on
// the distractor model (tests/data/distractor_model.pt, scripts/make_test_models.py).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "borex/io/npy.h"
#include "support/run_borex.h"
#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using borex::testing::RunBorex;

const std::string kData = std::string(BOREX_SOURCE_DIR) + "/tests/data/";
const std::string kModelArgs = "--model " + kData + "distractor_model.pt --image " + kData +
                               "distractor_image.png --threads 1";

class UndesirableCliTest : public borex::testing::TempDirTest {
 protected:
  nlohmann::json ReadJson(const std::string& name) const {
    std::ifstream in(Path(name));
    return nlohmann::json::parse(in);
  }
};

TEST_F(UndesirableCliTest, ExplainWritesBothMapsAndEvaluateScoresThem) {
  auto run = RunBorex("explain " + kModelArgs + " --method undesirable --masks 1000 --grid 4 " +
                      "--label target --out " + Path("u"));
  ASSERT_EQ(run.status, 0) << run.err;
  for (const char* suffix : {"_hinder.npy", "_hinder.png", "_hinder_overlay.png", "_others.npy",
                             "_others.png", "_others_overlay.png", ".json"})
    EXPECT_TRUE(fs::exists(Path(std::string("u") + suffix))) << suffix;
  EXPECT_FALSE(fs::exists(Path("u.npy")));
  const cv::Mat hinder = borex::io::ReadNpyMap(Path("u_hinder.npy"));
  const cv::Mat others = borex::io::ReadNpyMap(Path("u_others.npy"));
  EXPECT_EQ(hinder.size(), cv::Size(32, 32));
  EXPECT_EQ(others.size(), cv::Size(32, 32));
  // The distractor B (rows 4..11, cols 20..27) hinders the target; C (rows 20..27, cols 12..19)
  // is the other class's evidence.
  cv::Point peak;
  cv::minMaxLoc(hinder, nullptr, nullptr, nullptr, &peak);
  EXPECT_TRUE(cv::Rect(20, 4, 8, 8).contains(peak)) << peak;
  cv::minMaxLoc(others, nullptr, nullptr, nullptr, &peak);
  EXPECT_TRUE(cv::Rect(12, 20, 8, 8).contains(peak)) << peak;

  const nlohmann::json summary = ReadJson("u.json");
  EXPECT_EQ(summary["settings"]["method"], "undesirable");
  EXPECT_EQ(summary["settings"]["masks"], 1000);
  EXPECT_EQ(summary["maps"]["hinder"]["shape"], nlohmann::json({32, 32}));
  EXPECT_EQ(summary["maps"]["others"]["shape"], nlohmann::json({32, 32}));
  EXPECT_FALSE(summary.contains("map"));
  EXPECT_EQ(summary["outputs"].size(), 7u);
  EXPECT_EQ(summary["model_calls"], 1 + 1 + 1000);
  EXPECT_NE(run.out.find("u_hinder.npy"), std::string::npos) << run.out;

  // The seed's check: hiding the top 10% of the hinder map raises the target's score.
  run = RunBorex("evaluate " + kModelArgs + " --label 0 --saliency " + Path("u_hinder.npy") +
                 " --json " + Path("eval.json") + " --fail-below hide_top=0.01");
  ASSERT_EQ(run.status, 0) << run.err << run.out;
  const nlohmann::json result = ReadJson("eval.json");
  EXPECT_GT(result["hide_top"].get<double>(), 0.01);
  EXPECT_EQ(result["hide_percent"], 10.0);
  EXPECT_EQ(result["hide_top_pixels"], 102);
  EXPECT_NE(run.out.find("hide_top (10%)"), std::string::npos) << run.out;
  run = RunBorex("evaluate " + kModelArgs + " --label 0 --saliency " + Path("u_hinder.npy") +
                 " --json " + Path("eval50.json") + " --hide-percent 50");
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(ReadJson("eval50.json")["hide_top_pixels"], 512);
}

TEST_F(UndesirableCliTest, RefineRejectsUndesirableAsAPrior) {
  borex::testing::ExpectCleanFailure(
      "refine " + kModelArgs + " --prior-method undesirable --iterations 2 --out " + Path("r"), 2,
      "--prior-method: undesirable gives two signed maps", dir_);
}

TEST_F(UndesirableCliTest, HidePercentOutOfRange) {
  cv::Mat map(32, 32, CV_32F, cv::Scalar(0.5));
  borex::io::WriteNpy(Path("input_map.npy"), map);
  for (const char* percent : {"0", "-3", "100.5"})
    borex::testing::ExpectCleanFailure("evaluate " + kModelArgs + " --saliency " +
                                           Path("input_map.npy") + " --json " + Path("e.json") +
                                           " --hide-percent=" + percent,
                                       2, "--hide-percent", dir_);
  // 100 is allowed: everything hidden.
  const auto run = RunBorex("evaluate " + kModelArgs + " --saliency " + Path("input_map.npy") +
                            " --hide-percent 100");
  EXPECT_EQ(run.status, 0) << run.err;
}

TEST_F(UndesirableCliTest, BadMapFile) {
  std::ofstream(Path("input_bad.npy")) << "not a numpy file";
  borex::testing::ExpectCleanFailure("evaluate " + kModelArgs + " --saliency " +
                                         Path("input_bad.npy") + " --json " + Path("e.json"),
                                     4, "input_bad.npy", dir_);
  borex::testing::ExpectCleanFailure(
      "evaluate " + kModelArgs + " --saliency " + Path("input_missing_hinder.npy"), 4,
      "input_missing_hinder.npy", dir_);
}

}  // namespace
