#include "borex/app/image_job.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "borex/core/error.h"
#include "borex/io/npy.h"
#include "borex/model/torchscript_classifier.h"
#include "support/message_of.h"
#include "support/temp_dir.h"

namespace borex::app {
namespace {

using borex::testing::MessageOf;

namespace fs = std::filesystem;
const std::string kData = std::string(BOREX_SOURCE_DIR) + "/tests/data/";

// A test model from tests/data, as the CLI loads it.
std::unique_ptr<model::TorchScriptClassifier> Model(const std::string& file) {
  model::ModelOptions options;
  options.path = kData + file;
  options.threads = 1;
  return std::make_unique<model::TorchScriptClassifier>(options);
}

class ImageJobTest : public borex::testing::TempDirTest {
 protected:
  RefineJobOptions RegionJob(const std::string& image = "region_image.png") const {
    RefineJobOptions job;
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
  const RefineJobResult result = RunRefineJob(*Model("region_model.pt"), job);
  const nlohmann::json& summary = result.summary;
  EXPECT_EQ(result.label, 0);
  EXPECT_EQ(result.class_name, "target");
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
    const RefineJobResult result = RunRefineJob(*Model("region_model.pt"), job);
    const nlohmann::json& summary = result.summary;
    const long prior_calls = std::string(method) == "rise" ? 100 : 0;  // the default cheap prior
    const long refine_calls = 2L * 10;  // an image and its flip per iteration
    EXPECT_EQ(result.model_calls, 1 + prior_calls + refine_calls) << method;
    EXPECT_EQ(result.prior_model_calls, prior_calls) << method;
    EXPECT_EQ(summary["model_calls"], 1 + prior_calls + refine_calls) << method;
    EXPECT_EQ(summary["prior"]["model_calls"], prior_calls) << method;
  }
}

TEST_F(ImageJobTest, NoOutputWhenTheJobFailsAfterLoading) {
  RefineJobOptions job = RegionJob();
  job.refine.iterations = 0;
  EXPECT_THROW(RunRefineJob(*Model("region_model.pt"), job), OptionError);
  EXPECT_TRUE(fs::is_empty(dir_));
}

// Bug: a trace named like the summary JSON (--out map --trace map.json) failed an internal check
// after the refinement had run; it is refused up front, naming the flag.
TEST_F(ImageJobTest, TraceThatIsAlsoAnOutputFileIsRefusedBeforeAnyModelCall) {
  RefineJobOptions job = RegionJob();
  job.trace_path = (dir_ / "sub" / ".." / "map.json").string();
  try {
    RunRefineJob(*Model("region_model.pt"), job);
    ADD_FAILURE() << "ran";
  } catch (const OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("--trace: "), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(dir_));
  job.trace_path = (dir_ / "map_trace.json").string();
  EXPECT_NO_THROW(RunRefineJob(*Model("region_model.pt"), job));
}

// Bug: --out x with --image x.png replaced the image by its heat map, and --out or --trace named
// like --prior overwrote the prior: every output is checked against every input first.
TEST_F(ImageJobTest, OutputsThatWouldOverwriteAnInputAreRefusedBeforeAnyWork) {
  fs::copy_file(kData + "region_image.png", dir_ / "x.png");
  io::WriteNpy((dir_ / "p.npy").string(), cv::Mat::ones(40, 48, CV_32F));
  const auto size_of = [this](const char* name) { return fs::file_size(dir_ / name); };
  const auto image_bytes = size_of("x.png"), prior_bytes = size_of("p.npy");
  const auto expect_refused = [&](const RefineJobOptions& job, const std::string& start) {
    try {
      RunRefineJob(*Model("region_model.pt"), job);
      ADD_FAILURE() << "ran: " << start;
    } catch (const OptionError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(start, 0), 0u) << e.what();
    }
    EXPECT_EQ(size_of("x.png"), image_bytes);
    EXPECT_EQ(size_of("p.npy"), prior_bytes);
    EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2);
  };
  RefineJobOptions job = RegionJob();
  job.common.image_path = (dir_ / "x.png").string();
  job.common.out_prefix = (dir_ / "sub" / ".." / "x").string();
  expect_refused(job, "--out: " + job.common.out_prefix + ".png would overwrite --image ");
  job.common.out_prefix = (dir_ / "p").string();
  job.prior_path = (dir_ / "p.npy").string();
  expect_refused(job, "--out: " + job.common.out_prefix + ".npy would overwrite --prior ");
  job.common.out_prefix = (dir_ / "map").string();
  job.trace_path = job.prior_path;
  expect_refused(job, "--trace: " + job.prior_path + " would overwrite --prior ");
  ExplainJobOptions explain;
  explain.common = job.common;
  explain.common.out_prefix = (dir_ / "x").string();
  EXPECT_THROW(RunExplainJob(*Model("region_model.pt"), explain), OptionError);
  EXPECT_EQ(size_of("x.png"), image_bytes);
  // Bug: --out DIR/ wrote the hidden files DIR/.npy, DIR/.json, ...
  for (const std::string& prefix : {dir_.string() + "/", dir_.string()}) {
    explain.common.out_prefix = prefix;
    try {
      RunExplainJob(*Model("region_model.pt"), explain);
      ADD_FAILURE() << prefix;
    } catch (const OptionError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--out: " + prefix + " is a directory", 0), 0u)
          << e.what();
    }
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2);
}

// Bug: --prior-scale 1e308 overflowed the prior and wrote an all-NaN map with exit 0. A map with
// NaN or infinite values is refused, and nothing is written.
TEST_F(ImageJobTest, AMapThatIsNotFiniteIsRefusedAndNothingWritten) {
  RefineJobOptions job = RegionJob();
  job.refine.prior_mean_abs = 1e308;
  EXPECT_EQ(MessageOf<Error>([&] {
              RunRefineJob(*Model("region_model.pt"), job);
            }).rfind("the map computed has NaN or infinite values", 0),
            0u);
  EXPECT_TRUE(fs::is_empty(dir_));
}

// Bug: a prior file given to a refinement that uses none (Algorithm 1, --no-prior) was read and
// silently ignored.
TEST_F(ImageJobTest, APriorFileForARefinementWithoutPriorIsRefused) {
  io::WriteNpy((dir_ / "p.npy").string(), cv::Mat::ones(32, 32, CV_32F));
  RefineJobOptions job = RegionJob();
  job.prior_path = (dir_ / "p.npy").string();
  job.refine = job.refine.Algorithm1();
  EXPECT_EQ(MessageOf<OptionError>([&] {
              RunRefineJob(*Model("region_model.pt"), job);
            }).rfind("--prior: this refinement uses no prior", 0),
            0u);
  job.prior_path.clear();
  EXPECT_NO_THROW(RunRefineJob(*Model("region_model.pt"), job));
}

// Bug: a --target-layer the model lacks was found only when the first CAM was computed; it is
// refused before the image is read (no model call), for an explanation and for a prior.
TEST_F(ImageJobTest, AnUnknownTargetLayerIsRefusedBeforeAnyModelCall) {
  const auto model = Model("tiny_cam_traced.pt");
  ExplainJobOptions explain;
  explain.common.image_path = kData + "region_image.png";
  explain.common.out_prefix = (dir_ / "cam").string();
  explain.explain.method = explain::Method::kGradCam;
  explain.explain.cam.target_layer = "layer9";
  EXPECT_THROW(RunExplainJob(*model, explain), OptionError);
  RefineJobOptions refine = RegionJob();
  refine.prior_method = "opticam";
  refine.prior.cam.target_layer = "layer9";
  EXPECT_EQ(
      MessageOf<OptionError>([&] { RunRefineJob(*model, refine); }).rfind("--target-layer: ", 0),
      0u);
  EXPECT_EQ(model->model_calls(), 0);
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(ImageJobTest, ExplainGradCamOnTheTinyModel) {
  ExplainJobOptions job;
  job.common.image_path = kData + "region_image.png";
  job.common.out_prefix = (dir_ / "cam").string();
  job.explain.method = explain::Method::kGradCamPlusPlus;
  const ImageJobResult result = RunExplainJob(*Model("tiny_cam_traced.pt"), job);
  EXPECT_EQ(result.summary["settings"]["target_layer"], "features");
  EXPECT_TRUE(fs::exists(dir_ / "cam_overlay.png"));
  EXPECT_EQ(result.model_calls, 2);  // classification + one gradient pass
  EXPECT_EQ(result.summary["model_calls"], 2);
  ASSERT_EQ(result.outputs.size(), 4u);
  EXPECT_EQ(result.outputs.back(), job.common.out_prefix + ".json");
}

// A library caller gets the documented defaults: the cheap 100-mask RISE prior (not RISE's
// 4000 masks), whose seed is the refinement's.
TEST_F(ImageJobTest, LibraryDefaultsAreTheDocumentedOnes) {
  const RefineJobOptions job;
  EXPECT_EQ(job.prior.rise.masks, 100);
  EXPECT_EQ(job.prior_method, "rise");
  EXPECT_EQ(job.refine.preset, "kriging");
  RefineJobOptions seeded = RegionJob();
  seeded.refine.iterations = 3;
  seeded.refine.seed = 5;
  const RefineJobResult five = RunRefineJob(*Model("region_model.pt"), seeded);
  seeded.common.out_prefix = (dir_ / "other").string();
  seeded.refine.seed = 6;
  const RefineJobResult six = RunRefineJob(*Model("region_model.pt"), seeded);
  EXPECT_NE(five.summary["prior"]["seed"], six.summary["prior"]["seed"]);
  EXPECT_EQ(five.summary["prior"]["seed"], 5);
}

// The summary gives sizes as numpy does, height first: the 40x48 image (48 wide) is [40, 48].
TEST_F(ImageJobTest, TheSummaryGivesTheImagesSizeHeightFirst) {
  const RefineJobResult result =
      RunRefineJob(*Model("region_model.pt"), RegionJob("region_image_40x48.png"));
  EXPECT_EQ(result.summary["image_size"], nlohmann::json({40, 48}));
  EXPECT_EQ(result.summary["map"]["shape"], nlohmann::json({40, 48}));
}

// A prefix ending in '/' names a directory (map.npy etc. would be hidden files in it), whether
// or not the directory exists yet.
TEST_F(ImageJobTest, APrefixEndingInASlashIsRefusedAsADirectory) {
  RefineJobOptions job = RegionJob();
  job.common.out_prefix = (dir_ / "maps").string() + "/";  // no such directory
  try {
    job.Check();
    ADD_FAILURE() << "accepted " << job.common.out_prefix;
  } catch (const OptionError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--out: " + job.common.out_prefix + " is a directory", 0),
              0u)
        << e.what();
  }
}

}  // namespace
}  // namespace borex::app
