// End-to-end tests of borex on video (issue #4): refine, explain and evaluate on clips, and every
// bad video input (one clear line, a non-zero status, no partial output).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "borex/io/heatmap.h"
#include "borex/io/image.h"
#include "borex/io/npy.h"
#include "borex/io/video.h"
#include "support/run_borex.h"
#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;

const std::string kSource = BOREX_SOURCE_DIR;
// tests/data/video_region_model.json: 8 frames of 32x32, NCTHW; logit 0 depends on rows 8..15,
// cols 16..23 of frames 2..4.
const std::string kVideoModel = kSource + "/tests/data/video_region_model.pt";
const std::string kImageModel = kSource + "/tests/data/region_model.pt";
const std::string kBundledModel = kSource + "/models/fashion_video_r2plus1d.pt";

using borex::testing::CommandResult;
using borex::testing::RunBorex;

class VideoCliTest : public borex::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    WriteFrames("input_clip", 10, cv::Size(32, 32));
    WriteFrames("input_short", 5, cv::Size(32, 32));
    WriteFrames("input_varying", 10, cv::Size(32, 32));
    cv::imwrite(Path("input_varying/000007.png"), cv::Mat(24, 32, CV_8UC3, cv::Scalar::all(90)));
    std::ofstream(Path("input_empty.mp4")).close();
    std::ofstream(Path("input_text.mp4")) << "not a video";
    // The annotation of input_clip: the bright square in every frame.
    nlohmann::json boxes = nlohmann::json::array();
    for (int t = 0; t < 10; ++t) boxes.push_back({17, 9, 24, 16});
    std::ofstream(Path("input_clip.json"))
        << nlohmann::json{{"format", "borex-video-annotation/1"},
                          {"id", "input_clip"},
                          {"label", "target"},
                          {"frames", 10},
                          {"size", {32, 32}},
                          {"objects", {{{"name", "target"}, {"boxes", boxes}}}}}
               .dump();
  }

  // `count` numbered PNG frames: grey, with the model's square bright.
  void WriteFrames(const std::string& name, int count, const cv::Size& size) {
    fs::create_directories(Path(name));
    for (int t = 0; t < count; ++t) {
      cv::Mat frame(size, CV_8UC3, cv::Scalar::all(60));
      frame(cv::Rect(16, 8, 8, 8)).setTo(cv::Scalar::all(255));
      cv::imwrite(Path(name) + "/" + std::to_string(t) + ".png", frame);
    }
  }

  void ExpectCleanFailure(const std::string& args, int status, const std::string& needle) {
    borex::testing::ExpectCleanFailure(args, status, needle, dir_);
  }

  std::string Refine(const std::string& clip, const std::string& extra = "",
                     const std::string& out = "clip") const {
    return "refine --model " + kVideoModel + " --video " + Path(clip) +
           " --iterations 6 --mask-sizes 6,10 --masks 40 --out " + Path(out) + " " + extra;
  }
};

// The map's video plays the frames the model saw at 8 frames per second of the clip, divided by
// the stride between them, unless --fps says otherwise.
TEST_F(VideoCliTest, TheMapsVideoPlaysAtEightOverTheFrameStrideOrTheGivenRate) {
  WriteFrames("input_long", 16, cv::Size(32, 32));
  for (const auto& [extra, fps] : {std::pair<std::string, double>{"", 8},
                                   {"--frame-stride 2", 4},
                                   {"--frame-stride 2 --fps 5", 5}}) {
    const CommandResult run = RunBorex(Refine("input_long", extra));
    ASSERT_EQ(run.status, 0) << run.err;
    cv::VideoCapture video(Path("clip.mp4"));
    ASSERT_TRUE(video.isOpened()) << extra;
    EXPECT_NEAR(video.get(cv::CAP_PROP_FPS), fps, 1e-6) << extra;
  }
}

TEST_F(VideoCliTest, RefineWritesTheVolumeTheVideoTheFramesAndTheSummary) {
  const CommandResult run =
      RunBorex(Refine("input_clip", "--frame-pngs --trace " + Path("trace.json") + " --seed 2"));
  ASSERT_EQ(run.status, 0) << run.err;
  const std::vector<cv::Mat> volume = borex::io::ReadNpyMap3D(Path("clip.npy"));
  ASSERT_EQ(volume.size(), 8u);
  EXPECT_EQ(volume[0].size(), cv::Size(32, 32));
  const std::vector<cv::Mat> video = borex::io::ReadVideoFrames(Path("clip.mp4"));
  EXPECT_EQ(video.size(), 8u);
  for (int t = 0; t < 8; ++t)
    EXPECT_TRUE(fs::exists(Path("clip_f00" + std::to_string(t) + ".png")));
  std::ifstream in(Path("clip.json"));
  const nlohmann::json summary = nlohmann::json::parse(in);
  EXPECT_EQ(summary["frames"], 8);
  EXPECT_EQ(summary["layout"], "NCTHW");
  EXPECT_EQ(summary["map"]["shape"], nlohmann::json({8, 32, 32}));
  EXPECT_EQ(summary["settings"]["mask_depths_frames"], nlohmann::json({4, 8}));
  EXPECT_EQ(summary["video_codec"], "avc1");
  EXPECT_EQ(summary["iterations"], 6);
  // 1 scoring call, 40 RISE masks, 2 per BO step.
  EXPECT_EQ(summary["model_calls"], 1 + 40 + 2 * 6);
  std::ifstream trace_in(Path("trace.json"));
  const nlohmann::json trace = nlohmann::json::parse(trace_in);
  ASSERT_EQ(trace["steps"].size(), 6u);
  EXPECT_EQ(trace["steps"][0]["gp_point"].size(), 5u);
  // Same seed, same volume.
  ASSERT_EQ(RunBorex(Refine("input_clip", "--seed 2", "again")).status, 0);
  const std::vector<cv::Mat> again = borex::io::ReadNpyMap3D(Path("again.npy"));
  for (int t = 0; t < 8; ++t) EXPECT_EQ(cv::norm(volume[t], again[t], cv::NORM_INF), 0.0);
}

// The rendering flags reach the clip's frames, drawn over ONE colour range for the whole clip.
TEST_F(VideoCliTest, FramesFollowTheRenderingFlagsOverOneRangeForTheClip) {
  const CommandResult run =
      RunBorex(Refine("input_clip", "--frame-pngs --colormap turbo --colorbar", "styled"));
  ASSERT_EQ(run.status, 0) << run.err;
  const std::vector<cv::Mat> volume = borex::io::ReadNpyMap3D(Path("styled.npy"));
  const cv::Mat stacked = borex::io::StackFrames(volume);
  double low = 0, high = 0;
  cv::minMaxLoc(stacked, &low, &high);
  std::ifstream in(Path("styled.json"));
  const nlohmann::json rendering = nlohmann::json::parse(in)["map"]["rendering"];
  EXPECT_EQ(rendering["colormap"], "turbo");
  EXPECT_EQ(rendering["colorbar"], true);
  EXPECT_EQ(rendering["value_range"], nlohmann::json({low, high}));
  borex::io::RenderOptions options;
  options.colormap = borex::io::Colormap::kTurbo;
  options.colorbar = true;
  const cv::Mat frame = borex::io::ReadImageRgb(Path("input_clip/0.png"));
  const std::vector<cv::Mat> expected = borex::io::RenderHeatmapFrames(
      stacked, 8, borex::io::StackFrames(std::vector<cv::Mat>(8, frame)), options);
  for (int t = 0; t < 8; ++t) {
    const cv::Mat png = cv::imread(Path("styled_f00" + std::to_string(t) + ".png"));
    EXPECT_GT(png.cols, 32);  // the colour bar
    EXPECT_EQ(cv::norm(png, expected[t], cv::NORM_INF), 0) << "frame " << t;
  }
}

TEST_F(VideoCliTest, ExplainAndEvaluateAClipFromAVideoFile) {
  // The clip as an MJPG video file, as OpenCV writes it.
  borex::io::WriteVideo(
      Path("input_clip.avi"),
      [&] {
        std::vector<cv::Mat> frames;
        frames.reserve(10);
        for (int t = 0; t < 10; ++t)
          frames.push_back(cv::imread(Path("input_clip/" + std::to_string(t) + ".png")));
        return frames;
      }(),
      8);
  const CommandResult explain =
      RunBorex("explain --model " + kVideoModel + " --video " + Path("input_clip.avi") +
               " --method rise --masks 200 --grid 4 --out " + Path("rise"));
  ASSERT_EQ(explain.status, 0) << explain.err;
  const CommandResult evaluate =
      RunBorex("evaluate --model " + kVideoModel + " --video " + Path("input_clip.avi") +
               " --saliency " + Path("rise.npy") + " --annotation " + Path("input_clip.json") +
               " --json " + Path("eval.json"));
  ASSERT_EQ(evaluate.status, 0) << evaluate.err;
  std::ifstream in(Path("eval.json"));
  const nlohmann::json result = nlohmann::json::parse(in);
  EXPECT_EQ(result["video"], Path("input_clip.avi"));
  EXPECT_GT(result["insertion"].get<double>(), result["deletion"].get<double>());
  EXPECT_TRUE(result["f_measure"].is_number());
  // k in steps of one row in every frame: 32 * 8 voxels, 32 steps plus k = 0.
  EXPECT_EQ(result["curves"]["step"], 256);
  EXPECT_EQ(result["curves"]["insertion"].size(), 33u);
  EXPECT_EQ(result["hide_top_pixels"], 819);  // round(10% of 8 * 32 * 32 voxels)

  // The undesirable maps of the clip: two T x H x W volumes, each with its video.
  const CommandResult undesirable =
      RunBorex("explain --model " + kVideoModel + " --video " + Path("input_clip.avi") +
               " --method undesirable --masks 100 --grid 4 --out " + Path("u"));
  ASSERT_EQ(undesirable.status, 0) << undesirable.err;
  for (const char* name : {"u_hinder.npy", "u_others.npy"}) {
    const std::vector<cv::Mat> volume = borex::io::ReadNpyMap3D(Path(name));
    ASSERT_EQ(volume.size(), 8u) << name;
    EXPECT_EQ(volume[0].size(), cv::Size(32, 32)) << name;
  }
  std::ifstream summary_in(Path("u.json"));
  const nlohmann::json summary = nlohmann::json::parse(summary_in);
  EXPECT_EQ(summary["maps"]["hinder"]["shape"], nlohmann::json({8, 32, 32}));
  EXPECT_EQ(summary["outputs"].size(), 5u);  // two .npy, two videos, the JSON
  EXPECT_EQ(summary["model_calls"], 1 + 1 + 100);
}

TEST_F(VideoCliTest, BadClipsGetOneLineAndNoOutput) {
  ExpectCleanFailure(Refine("input_short"), 4, "has 5 frames");
  ExpectCleanFailure(Refine("input_empty.mp4"), 4, "input_empty.mp4");
  ExpectCleanFailure(Refine("input_text.mp4"), 4, "input_text.mp4");
  ExpectCleanFailure(Refine("input_missing"), 4, "input_missing");
  ExpectCleanFailure(Refine("input_varying"), 4, "is 32x24 but frame 0 is 32x32");
  ExpectCleanFailure(Refine("input_clip", "--start-frame 5"), 4, "needs 13");
}

// FFmpeg's own complaints ("moov atom not found") are silenced: stderr is borex's line alone.
TEST_F(VideoCliTest, AnUnreadableVideoPrintsOnlyBorexsLine) {
  for (const char* clip : {"input_empty.mp4", "input_text.mp4"}) {
    const CommandResult run = RunBorex(Refine(clip));
    EXPECT_EQ(run.status, 4);
    EXPECT_EQ(run.err.rfind("borex: error: ", 0), 0u) << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  }
}

TEST_F(VideoCliTest, BadPriorsModelsAndOptionsGetOneLineAndNoOutput) {
  borex::io::WriteNpy3D(Path("input_prior4.npy"),
                        std::vector<cv::Mat>(4, cv::Mat(32, 32, CV_32F, cv::Scalar(0.5))));
  ExpectCleanFailure(Refine("input_clip", "--prior " + Path("input_prior4.npy")), 4,
                     "has 4 frames but the clip has 8");
  borex::io::WriteNpy3D(Path("input_prior_size.npy"),
                        std::vector<cv::Mat>(8, cv::Mat(20, 32, CV_32F, cv::Scalar(0.5))));
  ExpectCleanFailure(Refine("input_clip", "--prior " + Path("input_prior_size.npy")), 4,
                     "frames are 20x32");
  ExpectCleanFailure(Refine("input_clip", "--video-layout NTCHW"), 5,
                     "model rejected a [1, 8, 3, 32, 32] input");
  ExpectCleanFailure(Refine("input_clip", "--video-layout NHWC"), 2, "--video-layout");
  ExpectCleanFailure(Refine("input_clip", "--mask-frames 2,9"), 2, "--mask-frames");
  // Frame rates the mp4 writer would round or refuse are refused before the model runs.
  for (const std::string fps : {"1e308", "0.001", "-8"})
    ExpectCleanFailure(Refine("input_clip", "--fps " + fps), 2,
                       "--fps: must be 0 (the default) or between 0.01 and 1000 frames per second");
  // The pixel field's options, named for a clip whose GP is over the squares (the default), are
  // refused rather than silently inactive.
  for (const std::string option :
       {"--average-hyperparameters", "--fit-prior-coefficient-sd", "--level-set-segments 300",
        "--prior-level-sets 0.1", "--deviation-floors 0.3"})
    ExpectCleanFailure(Refine("input_clip", option), 2,
                       "needs the pixel field (for a clip, --gp-over pixels)");
  ExpectCleanFailure(
      "refine --model " + kImageModel + " --video " + Path("input_clip") + " --out " + Path("clip"),
      2, "image model");
  ExpectCleanFailure("refine --model " + kVideoModel + " --image " + Path("input_clip/0.png") +
                         " --out " + Path("clip"),
                     2, "--video");
}

// The pixel field on a clip (--gp-over pixels) takes the field's options and records them.
TEST_F(VideoCliTest, PixelFieldRefinesAClipWithTheFieldsOptions) {
  const CommandResult run = RunBorex(Refine(
      "input_clip", "--gp-over pixels --prior-level-sets 0.1,0.3 --deviation-floors 0.3", "field"));
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(borex::io::ReadNpyMap3D(Path("field.npy")).size(), 8u);
  std::ifstream in(Path("field.json"));
  const nlohmann::json summary = nlohmann::json::parse(in);
  EXPECT_EQ(summary["settings"]["gp_over"], "pixels");
  EXPECT_EQ(summary["settings"]["rise_observations"], "off");  // a clip's RISE masks are not read
  EXPECT_EQ(summary["settings"]["prior_level_sets"], nlohmann::json({0.1, 0.3}));
  EXPECT_EQ(summary["settings"]["deviation_floors"], nlohmann::json({0.3}));
  EXPECT_EQ(summary["noise_variance"], 0.3);
}

// The bundled video model on the bundled example clip.
TEST_F(VideoCliTest, BundledModelRefinesTheExampleClip) {
  const CommandResult run =
      RunBorex("refine --model " + kBundledModel + " --video " + kSource +
               "/examples/clip_moving --iterations 10 --out " + Path("moving"));
  ASSERT_EQ(run.status, 0) << run.err;
  const std::vector<cv::Mat> volume = borex::io::ReadNpyMap3D(Path("moving.npy"));
  EXPECT_EQ(volume.size(), 16u);
  std::ifstream in(Path("moving.json"));
  const nlohmann::json summary = nlohmann::json::parse(in);
  std::ifstream annotation_in(kSource + "/examples/clip_moving.json");
  const nlohmann::json annotation = nlohmann::json::parse(annotation_in);
  EXPECT_EQ(summary["class_name"], annotation["label"]);
}

}  // namespace
