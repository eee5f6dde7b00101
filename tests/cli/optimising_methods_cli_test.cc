// `borex explain --method opticam | fido-ssr | fido-sdr` and `borex refine --prior-method opticam`
// end to end on the small test models (scripts/make_test_models.py), with their errors.
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
using borex::testing::ExpectCleanFailure;
using borex::testing::RunBorex;

const std::string kData = std::string(BOREX_SOURCE_DIR) + "/tests/data/";
const std::string kChannel =
    "--model " + kData + "channel_model.pt --image " + kData + "channel_image.png --threads 1";
const std::string kRegion =
    "--model " + kData + "region_model.pt --image " + kData + "region_image.png --threads 1";

class OptimisingMethodsCliTest : public borex::testing::TempDirTest {
 protected:
  nlohmann::json ReadJson(const std::string& name) const {
    std::ifstream in(Path(name));
    return nlohmann::json::parse(in);
  }
};

TEST_F(OptimisingMethodsCliTest, OptiCamKeepsTheBandItsClassReads) {
  auto run = RunBorex("explain " + kChannel +
                      " --method opticam --label blue --opticam-iterations 200 --out " + Path("o"));
  ASSERT_EQ(run.status, 0) << run.err;
  const cv::Mat map = borex::io::ReadNpyMap(Path("o.npy"));
  ASSERT_EQ(map.size(), cv::Size(32, 32));
  EXPECT_GT(cv::mean(map.colRange(0, 10))[0], 0.99);   // the blue band
  EXPECT_LT(cv::mean(map.colRange(14, 18))[0], 0.05);  // the red band
  const nlohmann::json settings = ReadJson("o.json")["settings"];
  EXPECT_EQ(settings["method"], "opticam");
  EXPECT_EQ(settings["iterations"], 200);
  EXPECT_EQ(settings["learning_rate"], 0.1);
  EXPECT_EQ(settings["normalization"], "max");
  EXPECT_EQ(settings["target_layer"], "features");
  EXPECT_EQ(settings["infill"], "black");
}

TEST_F(OptimisingMethodsCliTest, FidoFindsTheRegionAndRecordsItsSettings) {
  for (const std::string method : {"fido-ssr", "fido-sdr"}) {
    auto run = RunBorex("explain " + kRegion + " --method " + method +
                        " --fido-iterations 150 --infill mean --seed 3 --out " + Path(method));
    ASSERT_EQ(run.status, 0) << run.err;
    const cv::Mat map = borex::io::ReadNpyMap(Path(method + ".npy"));
    EXPECT_GT(cv::mean(map(cv::Rect(16, 8, 8, 8)))[0], 0.7) << method;  // the region it reads
    EXPECT_LT(cv::mean(map.rowRange(24, 32))[0], 0.2) << method;        // far from it
    const nlohmann::json settings = ReadJson(method + ".json")["settings"];
    EXPECT_EQ(settings["objective"], method == "fido-ssr" ? "ssr" : "sdr");
    EXPECT_EQ(settings["iterations"], 150);
    EXPECT_EQ(settings["infill"], "mean");
    EXPECT_EQ(settings["seed"], 3);
  }
}

TEST_F(OptimisingMethodsCliTest, OptiCamPriorForRefine) {
  auto run =
      RunBorex("refine " + kChannel + " --label blue --prior-method opticam --iterations 10 " +
               "--out " + Path("r"));
  ASSERT_EQ(run.status, 0) << run.err;
  const nlohmann::json summary = ReadJson("r.json");
  EXPECT_EQ(summary["prior"]["method"], "opticam");
  EXPECT_EQ(summary["prior"]["iterations"], 50);
}

TEST_F(OptimisingMethodsCliTest, BadCombinationsFailCleanly) {
  const std::string out = " --out " + Path("bad");
  ExpectCleanFailure("explain " + kRegion + " --method fido-ssr --infill inpaint" + out, 2,
                     "--rise-infill", dir_);
  ExpectCleanFailure("explain " + kChannel + " --method opticam --infill inpaint" + out, 2,
                     "--rise-infill", dir_);
  ExpectCleanFailure("explain " + kChannel + " --method gradcam --infill blur" + out, 2,
                     "--rise-infill", dir_);
  ExpectCleanFailure("explain " + kChannel + " --method opticam --target-layer nope" + out, 2,
                     "--target-layer", dir_);
  ExpectCleanFailure("explain " + kChannel + " --method opticam --opticam-normalization l2" + out,
                     2, "--opticam-normalization", dir_);
  ExpectCleanFailure("explain " + kChannel + " --method opticam --opticam-iterations 0" + out, 2,
                     "--opticam-iterations", dir_);
  ExpectCleanFailure("explain " + kRegion + " --method fido-sdr --fido-samples 0" + out, 2,
                     "--fido-samples", dir_);
  ExpectCleanFailure("refine " + kRegion + " --prior-method fido-ssr --prior-infill inpaint" + out,
                     2, "--prior-infill", dir_);
}

}  // namespace
