#include "borex/app/image_job.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "borex/core/error.h"
#include "borex/io/npy.h"
#include "support/temp_dir.h"

namespace borex::app {
namespace {

namespace fs = std::filesystem;
const std::string kData = std::string(BOREX_SOURCE_DIR) + "/tests/data/";

class ImageJobTest : public borex::testing::TempDirTest {
 protected:
  RefineJobOptions RegionJob(const std::string& image = "region_image.png") const {
    RefineJobOptions job;
    job.common.model.path = kData + "region_model.pt";
    job.common.model.threads = 1;
    job.common.image_path = kData + image;
    job.common.out_prefix = (dir_ / "map").string();
    job.refine.iterations = 10;
    job.refine.mask_sizes = refine::ParseMaskSizes("6,10");
    return job;
  }
};

TEST_F(ImageJobTest, RefineFindsTheRegionAndResizesToTheImage) {
  RefineJobOptions job = RegionJob("region_image_40x48.png");
  job.refine.iterations = 25;
  const nlohmann::json summary = RunRefineJob(job);
  EXPECT_EQ(summary["label"], 0);
  EXPECT_EQ(summary["class_name"], "target");
  EXPECT_EQ(summary["working_size"], nlohmann::json({32, 32}));
  const cv::Mat map = io::ReadNpyMap(job.common.out_prefix + ".npy");
  ASSERT_EQ(map.size(), cv::Size(48, 40));
  // The region is rows 10..19, cols 24..35 at 40x48 (rows 8..15, cols 16..23 at 32x32).
  cv::Point peak;
  cv::minMaxLoc(map, nullptr, nullptr, nullptr, &peak);
  EXPECT_TRUE(cv::Rect(21, 7, 18, 16).contains(peak)) << peak;
}

TEST_F(ImageJobTest, PriorMethodsAndModelCallCounts) {
  for (const char* method : {"rise", "none"}) {
    RefineJobOptions job = RegionJob();
    job.prior_method = method;
    job.prior.rise = explain::RiseOptions::CheapPrior();
    const nlohmann::json summary = RunRefineJob(job);
    const long prior_calls = std::string(method) == "rise" ? 100 : 0;
    EXPECT_EQ(summary["model_calls"], 1 + prior_calls + 2 * 10) << method;
    EXPECT_EQ(summary["prior"]["model_calls"], prior_calls) << method;
  }
}

TEST_F(ImageJobTest, NoOutputWhenTheJobFailsAfterLoading) {
  RefineJobOptions job = RegionJob();
  job.refine.iterations = 0;
  EXPECT_THROW(RunRefineJob(job), OptionError);
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(ImageJobTest, ExplainGradCamOnTheTinyModel) {
  ExplainJobOptions job;
  job.common.model.path = kData + "tiny_cam_traced.pt";
  job.common.image_path = kData + "region_image.png";
  job.common.out_prefix = (dir_ / "cam").string();
  job.explain.method = explain::Method::kGradCamPlusPlus;
  const nlohmann::json summary = RunExplainJob(job);
  EXPECT_EQ(summary["settings"]["target_layer"], "features");
  EXPECT_TRUE(fs::exists(dir_ / "cam_overlay.png"));
  EXPECT_EQ(summary["model_calls"], 2);  // classification + one gradient pass
}

}  // namespace
}  // namespace borex::app
