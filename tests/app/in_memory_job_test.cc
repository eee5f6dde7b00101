// The jobs on an image in memory (ExplainImage, RefineImage, EvaluateImage) against the same jobs
// on its file: the same maps bit for bit and the same summaries but for the file names, and no
// file written without an output prefix.
#include <gtest/gtest.h>

#include <filesystem>

#include "borex/app/evaluate_job.h"
#include "borex/app/image_job.h"
#include "borex/core/error.h"
#include "borex/io/image.h"
#include "borex/io/npy.h"
#include "support/fake_classifier.h"
#include "support/temp_dir.h"

namespace borex::app {
namespace {

const std::string kImage = std::string(BOREX_SOURCE_DIR) + "/tests/data/region_image.png";

// The summary without what names files or measures time.
nlohmann::json Comparable(nlohmann::json summary) {
  for (const char* key :
       {"image", "saliency", "outputs", "timing", "refine_seconds", "refine_model_seconds"})
    summary.erase(key);
  return summary;
}

bool Identical(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

class InMemoryJobTest : public borex::testing::TempDirTest {
 protected:
  // Rows 8..15, cols 16..23 of the 32 x 32 image decide the score.
  borex::testing::RegionClassifier classifier_{cv::Rect(16, 8, 8, 8)};
  const cv::Mat image_ = io::ReadImageRgb(kImage);
};

TEST_F(InMemoryJobTest, ExplainMatchesTheFileJobAndWritesNothing) {
  ExplainJobOptions job;
  job.explain.rise.masks = 200;
  const ImageJobResult in_memory = ExplainImage(classifier_, image_, job);
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
  EXPECT_TRUE(in_memory.outputs.empty());
  EXPECT_TRUE(in_memory.summary["image"].is_null());
  job.common.image_path = kImage;
  job.common.out_prefix = Path("map");
  const ImageJobResult from_file = RunExplainJob(classifier_, job);
  ASSERT_EQ(in_memory.maps.size(), 1u);
  EXPECT_TRUE(Identical(in_memory.maps[0], from_file.maps[0]));
  EXPECT_TRUE(Identical(in_memory.maps[0], io::ReadNpyMap(Path("map.npy"))));
  EXPECT_EQ(Comparable(in_memory.summary), Comparable(from_file.summary));
}

TEST_F(InMemoryJobTest, RefineWithAGivenPriorMatchesTheFileJob) {
  cv::Mat prior(32, 32, CV_32FC1, cv::Scalar(0.1f));
  prior(cv::Rect(14, 6, 12, 12)).setTo(1.0f);
  io::WriteNpy(Path("prior.npy"), prior);
  RefineJobOptions job;
  job.refine.iterations = 8;
  job.refine.mask_sizes = refine::ParseMaskSizes("6,10");
  const RefineJobResult in_memory = RefineImage(classifier_, image_, prior, job);
  EXPECT_EQ(in_memory.summary["prior"]["source"], "array");
  job.common.image_path = kImage;
  job.common.out_prefix = Path("map");
  job.prior_path = Path("prior.npy");
  const RefineJobResult from_file = RunRefineJob(classifier_, job);
  EXPECT_TRUE(Identical(in_memory.maps[0], from_file.maps[0]));
  nlohmann::json expected = Comparable(from_file.summary);
  expected["prior"]["source"] = "array";
  EXPECT_EQ(Comparable(in_memory.summary), expected);
}

TEST_F(InMemoryJobTest, RefineRefusesFilesAsWellAsArrays) {
  RefineJobOptions job;
  job.common.image_path = kImage;
  EXPECT_THROW(RefineImage(classifier_, image_, cv::Mat(), job), OptionError);
  job.common.image_path.clear();
  job.prior_path = Path("prior.npy");
  EXPECT_THROW(RefineImage(classifier_, image_, cv::Mat(), job), OptionError);
  EXPECT_EQ(classifier_.model_calls(), 0);
}

TEST_F(InMemoryJobTest, EvaluateMatchesTheFileJob) {
  cv::Mat saliency(32, 32, CV_32FC1, cv::Scalar(0.0f));
  saliency(cv::Rect(16, 8, 8, 8)).setTo(1.0f);
  io::WriteNpy(Path("map.npy"), saliency);
  EvaluateJobOptions job;
  job.metrics.step = 64;
  const EvaluateJobResult in_memory = EvaluateImage(classifier_, image_, saliency, job);
  EXPECT_TRUE(in_memory.summary["saliency"].is_null());
  job.image_path = kImage;
  job.saliency_path = Path("map.npy");
  const EvaluateJobResult from_file = RunEvaluateJob(classifier_, job);
  EXPECT_EQ(Comparable(in_memory.summary), Comparable(from_file.summary));
  EXPECT_GT(in_memory.summary["insertion"].get<double>(), 0.5);
}

}  // namespace
}  // namespace borex::app
