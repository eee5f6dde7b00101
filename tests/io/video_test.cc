#include "borex/io/video.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <set>
#include <string>

#include "borex/core/error.h"
#include "borex/io/heatmap.h"
#include "borex/io/image.h"
#include "support/message_of.h"
#include "support/temp_dir.h"

namespace borex::io {
namespace {

using borex::testing::MessageOf;
namespace fs = std::filesystem;

constexpr int kFrames = 5;
const cv::Size kSize(64, 48);

// Frame t of the synthetic clip: a flat BGR colour that changes with t, so frames are told apart
// even after lossy compression.
cv::Scalar FrameColour(int t) { return cv::Scalar(30 + 40 * t, 100, 200 - 30 * t); }

std::vector<cv::Mat> SyntheticClip(int frames = kFrames, cv::Size size = kSize) {
  std::vector<cv::Mat> clip;
  clip.reserve(frames);
  for (int t = 0; t < frames; ++t) clip.emplace_back(size, CV_8UC3, FrameColour(t));
  return clip;
}

// Expects RGB float frame `rgb` to be BGR colour `bgr` everywhere, within `tolerance` of 255.
void ExpectColour(const cv::Mat& rgb, const cv::Scalar& bgr, double tolerance, int t) {
  ASSERT_EQ(rgb.type(), CV_32FC3);
  const cv::Scalar mean = cv::mean(rgb);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(mean[c] * 255, bgr[2 - c], tolerance) << "frame " << t;
  double low = 0, high = 0;
  cv::minMaxLoc(rgb.reshape(1), &low, &high);
  EXPECT_GE(low, 0.0);
  EXPECT_LE(high, 1.0);
}

class VideoTest : public testing::TempDirTest {
 protected:
  std::string WriteClip(const std::string& name, const char* fourcc, int api,
                        const std::vector<cv::Mat>& frames) const {
    cv::VideoWriter writer(Path(name), api,
                           cv::VideoWriter::fourcc(fourcc[0], fourcc[1], fourcc[2], fourcc[3]), 10,
                           frames.empty() ? kSize : frames[0].size());
    EXPECT_TRUE(writer.isOpened()) << name;
    for (const cv::Mat& frame : frames) writer.write(frame);
    return Path(name);
  }
  // A folder of PNG frames named `names`, frame i in FrameColour(i).
  std::string WriteFolder(const std::string& folder, const std::vector<std::string>& names) const {
    fs::create_directories(dir_ / folder);
    for (size_t i = 0; i < names.size(); ++i)
      EXPECT_TRUE(cv::imwrite(Path(folder + "/" + names[i]),
                              cv::Mat(kSize, CV_8UC3, FrameColour(static_cast<int>(i)))));
    return Path(folder);
  }
  std::set<std::string> Listing() const {
    std::set<std::string> names;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir_))
      names.insert(entry.path().filename().string());
    return names;
  }
};

TEST_F(VideoTest, ReadsMotionJpegAviAndMpeg4Mp4) {
  struct Container {
    const char* name;
    const char* fourcc;
    int api;
    double tolerance;  // both are lossy
  };
  for (const Container& container : {Container{"clip.avi", "MJPG", cv::CAP_ANY, 6},
                                     Container{"clip.mp4", "mp4v", cv::CAP_FFMPEG, 8}}) {
    SCOPED_TRACE(container.name);
    const std::vector<cv::Mat> frames = ReadVideoFrames(
        WriteClip(container.name, container.fourcc, container.api, SyntheticClip()));
    ASSERT_EQ(frames.size(), static_cast<size_t>(kFrames));
    for (int t = 0; t < kFrames; ++t) {
      EXPECT_EQ(frames[t].size(), kSize);
      ExpectColour(frames[t], FrameColour(t), container.tolerance, t);
    }
  }
}

TEST_F(VideoTest, ReadsAFolderOfFramesInNaturalOrderExactly) {
  // Written in this order, so frame i has FrameColour(i); 10.png must come after 2.png.
  const std::string folder = WriteFolder("frames", {"1.png", "2.png", "10.png", "011.png"});
  std::ofstream(Path("frames/notes.txt")) << "not a frame";
  ASSERT_TRUE(cv::imwrite(Path("frames/.0.png"), cv::Mat(3, 3, CV_8UC3)));  // hidden: ignored
  fs::create_directories(dir_ / "frames" / "5.png");                        // a directory: ignored
  const std::vector<cv::Mat> frames = ReadVideoFrames(folder);
  ASSERT_EQ(frames.size(), 4u);
  const std::vector<std::string> order = {"1.png", "2.png", "10.png", "011.png"};
  for (int t = 0; t < 4; ++t) {
    ExpectColour(frames[t], FrameColour(t), 0.01, t);
    // Exactly what ReadImageRgb reads.
    EXPECT_EQ(cv::norm(frames[t], ReadImageRgb(folder + "/" + order[t]), cv::NORM_INF), 0);
  }
}

TEST_F(VideoTest, NaturalOrderComparesNumbersByValue) {
  // 000000.png ... as the clip generator writes them, and names with text around the numbers.
  const std::string folder =
      WriteFolder("f", {"frame_9.jpg", "frame_10.png", "frame_10b.png", "frame_100.bmp"});
  const std::vector<cv::Mat> frames = ReadVideoFrames(folder);
  ASSERT_EQ(frames.size(), 4u);
  for (int t = 0; t < 4; ++t) ExpectColour(frames[t], FrameColour(t), 3, t);  // jpg is lossy
}

TEST_F(VideoTest, NamesOfEqualNumbersAreOrderedByTheirCharacters) {
  // 001, 01 and 1 are the same number: their order is still fixed, by the names' bytes ('0' comes
  // before '1'), whatever order the directory lists them in.
  const std::string folder = WriteFolder("same", {"f001.png", "f01.png", "f1.png", "f1a.png"});
  const std::vector<cv::Mat> frames = ReadVideoFrames(folder);
  ASSERT_EQ(frames.size(), 4u);
  for (int t = 0; t < 4; ++t) ExpectColour(frames[t], FrameColour(t), 0.01, t);
}

TEST_F(VideoTest, ReadsAStillImageAsOneFrame) {
  ASSERT_TRUE(cv::imwrite(Path("still.png"), cv::Mat(kSize, CV_8UC3, FrameColour(2))));
  const std::vector<cv::Mat> frames = ReadVideoFrames(Path("still.png"));
  ASSERT_EQ(frames.size(), 1u);
  ExpectColour(frames[0], FrameColour(2), 2, 0);
}

TEST_F(VideoTest, RejectsBadVideosWithOneLineNamingThePath) {
  EXPECT_EQ(MessageOf<InputError>([&] { ReadVideoFrames(Path("absent.mp4")); }),
            Path("absent.mp4") + ": does not exist");
  std::ofstream(Path("text.mp4")) << "this is not a video\n";
  EXPECT_EQ(
      MessageOf<InputError>([&] { ReadVideoFrames(Path("text.mp4")); }),
      Path("text.mp4") + ": cannot be opened as a video (not a video file, or no decoder for it)");
  // OpenCV's MJPEG writer leaves a valid AVI with no frames when none is written.
  const std::string empty = WriteClip("empty.avi", "MJPG", cv::CAP_OPENCV_MJPEG, {});
  EXPECT_EQ(MessageOf<InputError>([&] { ReadVideoFrames(empty); }), empty + ": has no frames");
  fs::create_directories(dir_ / "none");
  std::ofstream(Path("none/readme.txt")) << "no frames here";
  EXPECT_EQ(MessageOf<InputError>([&] { ReadVideoFrames(Path("none")); }),
            Path("none") + ": directory has no frame images (.png, .jpg, .bmp, .tif, .webp)");
}

TEST_F(VideoTest, RejectsFramesOfVaryingSize) {
  std::vector<std::string> names;
  names.reserve(7);
  for (int t = 0; t < 7; ++t) names.push_back(std::to_string(t) + ".png");
  const std::string folder = WriteFolder("mixed", names);
  ASSERT_TRUE(cv::imwrite(Path("mixed/7.png"), cv::Mat(48, 64 + 1, CV_8UC3)));
  EXPECT_EQ(MessageOf<InputError>([&] { ReadVideoFrames(folder); }),
            folder + ": frame 7 (7.png) is 65x48 but frame 0 is 64x48");
  // A clip that does not take frame 7 never sees it.
  ClipSampling sampling;
  sampling.frames = 3;
  sampling.stride = 2;
  EXPECT_EQ(ReadVideoClip(folder, sampling).size(), 3u);
  sampling.start = 1;
  sampling.frames = 4;
  EXPECT_EQ(MessageOf<InputError>([&] { ReadVideoClip(folder, sampling); }),
            folder + ": frame 7 (7.png) is 65x48 but frame 1 is 64x48");
}

TEST_F(VideoTest, SamplingChecksItsOptions) {
  ClipSampling sampling;
  EXPECT_NO_THROW(sampling.Check());
  sampling.frames = -1;
  EXPECT_EQ(MessageOf<OptionError>([&] { sampling.Check(); }),
            "--frames: must be >= 0 (0 = every frame), got -1");
  sampling = {};
  sampling.stride = 0;
  EXPECT_EQ(MessageOf<OptionError>([&] { sampling.Check(); }),
            "--frame-stride: must be >= 1, got 0");
  sampling = {};
  sampling.start = -3;
  EXPECT_EQ(MessageOf<OptionError>([&] { sampling.Check(); }),
            "--start-frame: must be >= 0, got -3");
}

TEST_F(VideoTest, SamplesFramesWithStrideAndStart) {
  std::vector<cv::Mat> all;
  all.reserve(10);
  for (int t = 0; t < 10; ++t) all.emplace_back(1, 1, CV_32FC1, cv::Scalar(t));
  const auto values = [](const std::vector<cv::Mat>& frames) {
    std::vector<float> v;
    v.reserve(frames.size());
    for (const cv::Mat& frame : frames) v.push_back(frame.at<float>(0, 0));
    return v;
  };
  ClipSampling sampling;  // every frame
  EXPECT_EQ(values(SampleFrames(all, sampling, "clip.mp4")).size(), 10u);
  sampling.frames = 4;
  sampling.stride = 2;
  sampling.start = 1;
  EXPECT_EQ(values(SampleFrames(all, sampling, "clip.mp4")), (std::vector<float>{1, 3, 5, 7}));
  EXPECT_EQ(sampling.RequiredFrames(), 8);
  sampling.frames = 0;  // every second frame from 1 to the end
  EXPECT_EQ(values(SampleFrames(all, sampling, "clip.mp4")), (std::vector<float>{1, 3, 5, 7, 9}));
  sampling = {};
  sampling.frames = 10;  // exactly the clip
  EXPECT_EQ(SampleFrames(all, sampling, "clip.mp4").size(), 10u);
}

TEST_F(VideoTest, TooShortClipsNameWhatTheyNeed) {
  const std::vector<cv::Mat> all(10, cv::Mat(2, 2, CV_32FC3));
  ClipSampling sampling;
  sampling.frames = 16;
  sampling.stride = 2;
  EXPECT_EQ(MessageOf<InputError>([&] { SampleFrames(all, sampling, "clip.mp4"); }),
            "clip.mp4: has 10 frames; --frames 16 with --frame-stride 2 needs 31");
  sampling.stride = 1;
  EXPECT_EQ(MessageOf<InputError>([&] { SampleFrames(all, sampling, "clip.mp4"); }),
            "clip.mp4: has 10 frames; --frames 16 needs 16");
  sampling.frames = 4;
  sampling.start = 8;
  EXPECT_EQ(MessageOf<InputError>([&] { SampleFrames(all, sampling, "clip.mp4"); }),
            "clip.mp4: has 10 frames; --frames 4 from --start-frame 8 needs 12");
  sampling.frames = 0;
  sampling.start = 10;
  EXPECT_EQ(MessageOf<InputError>([&] { SampleFrames(all, sampling, "clip.mp4"); }),
            "clip.mp4: has 10 frames; --start-frame 10 needs 11");
  EXPECT_EQ(MessageOf<InputError>([&] { SampleFrames({all[0]}, sampling, "one.png"); }),
            "one.png: has 1 frame; --start-frame 10 needs 11");
  sampling.stride = 0;
  EXPECT_THROW(SampleFrames(all, sampling, "clip.mp4"), OptionError);
}

TEST_F(VideoTest, ReadVideoClipTakesTheSampledFramesOfAVideo) {
  const std::string path = WriteClip("clip.avi", "MJPG", cv::CAP_OPENCV_MJPEG, SyntheticClip());
  ClipSampling sampling;
  sampling.frames = 2;
  sampling.stride = 3;
  sampling.start = 1;
  const std::vector<cv::Mat> frames = ReadVideoClip(path, sampling);
  ASSERT_EQ(frames.size(), 2u);
  ExpectColour(frames[0], FrameColour(1), 6, 1);
  ExpectColour(frames[1], FrameColour(4), 6, 4);
  sampling.start = 2;
  EXPECT_EQ(MessageOf<InputError>([&] { ReadVideoClip(path, sampling); }),
            path + ": has 5 frames; --frames 2 with --frame-stride 3 from --start-frame 2 needs 6");
}

TEST_F(VideoTest, ReadVideoClipReadsOnlyTheFramesItTakes) {
  const std::string folder = WriteFolder("f", {"0.png", "1.png", "2.png", "3.png"});
  std::ofstream(Path("f/4.png")) << "broken";                   // after the last frame taken
  std::ofstream(Path("f/1.png"), std::ios::trunc) << "broken";  // between two frames taken
  ClipSampling sampling;
  sampling.frames = 2;
  sampling.stride = 2;
  const std::vector<cv::Mat> frames = ReadVideoClip(folder, sampling);
  ASSERT_EQ(frames.size(), 2u);
  ExpectColour(frames[1], FrameColour(2), 0.01, 2);
  EXPECT_THROW(ReadVideoFrames(folder), InputError);  // reads 1.png
}

TEST_F(VideoTest, StackAndUnstackRoundTripAndShareMemory) {
  const int frames = 3, height = 4, width = 5;
  std::vector<cv::Mat> maps;
  for (int t = 0; t < frames; ++t) {
    cv::Mat map(height, width, CV_32FC1);
    cv::randu(map, -1, 1);
    maps.push_back(map);
  }
  const cv::Mat stacked = StackFrames(maps);
  ASSERT_EQ(stacked.size(), cv::Size(width, frames * height));
  ASSERT_TRUE(stacked.isContinuous());
  // The memory is a row-major (T, H, W) array.
  const float* data = stacked.ptr<float>(0);
  for (int t = 0; t < frames; ++t)
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x)
        ASSERT_EQ(data[(t * height + y) * width + x], maps[t].at<float>(y, x));
  const std::vector<cv::Mat> bands = UnstackFrames(stacked, frames);
  ASSERT_EQ(bands.size(), 3u);
  for (int t = 0; t < frames; ++t) {
    EXPECT_EQ(bands[t].size(), cv::Size(width, height));
    EXPECT_EQ(cv::norm(bands[t], maps[t], cv::NORM_INF), 0);
    EXPECT_TRUE(bands[t].isContinuous());
  }
  EXPECT_EQ(bands[1].ptr<float>(0), stacked.ptr<float>(height));  // views, not copies
  // Colour clips stack the same way.
  const cv::Mat colour = StackFrames({cv::Mat(2, 3, CV_32FC3), cv::Mat(2, 3, CV_32FC3)});
  EXPECT_EQ(colour.size(), cv::Size(3, 4));
  EXPECT_EQ(colour.type(), CV_32FC3);
}

TEST_F(VideoTest, StackingChecksItsInput) {
  EXPECT_THROW(StackFrames({}), Error);
  EXPECT_THROW(StackFrames({cv::Mat(2, 3, CV_32FC1), cv::Mat(3, 3, CV_32FC1)}), Error);
  EXPECT_THROW(StackFrames({cv::Mat(2, 3, CV_32FC1), cv::Mat(2, 3, CV_32FC3)}), Error);
  EXPECT_THROW(UnstackFrames(cv::Mat(10, 3, CV_32FC1), 3), Error);
  EXPECT_THROW(UnstackFrames(cv::Mat(10, 3, CV_32FC1), 0), Error);
}

TEST_F(VideoTest, WriteVideoMp4RoundTrip) {
  const std::vector<cv::Mat> clip = SyntheticClip();
  AtomicOutputSet outputs;
  const VideoWriteResult result = WriteVideo(outputs, Path("heat.mp4"), clip, 8);
  // On Debian 12 (OpenCV 4.6 with FFmpeg and libx264) H.264 works.
  EXPECT_EQ(result.codec, "avc1");
  EXPECT_FALSE(result.fallback);
  EXPECT_EQ(result.note, "");
  EXPECT_EQ(result.path, Path("heat.mp4"));
  EXPECT_FALSE(fs::exists(Path("heat.mp4")));  // staged, not yet committed
  ASSERT_EQ(Listing().size(), 1u);             // the staged file only: no trial files left
  outputs.Commit();
  EXPECT_EQ(Listing(), std::set<std::string>{"heat.mp4"});
  const std::vector<cv::Mat> frames = ReadVideoFrames(Path("heat.mp4"));
  ASSERT_EQ(frames.size(), clip.size());
  for (int t = 0; t < kFrames; ++t) {
    EXPECT_EQ(frames[t].size(), kSize);
    ExpectColour(frames[t], FrameColour(t), 8, t);
  }
}

TEST_F(VideoTest, WriteVideoEachCodecRoundTrips) {
  const std::vector<cv::Mat> clip = SyntheticClip();
  int written = 0;
  for (const VideoCodec& codec : VideoCodecsFor(Path("any.mp4"))) {
    const std::string name = "c" + std::to_string(written++) + codec.extension;
    AtomicOutputSet outputs;
    const VideoWriteResult result = WriteVideo(outputs, Path(name), clip, 8, {codec});
    outputs.Commit();
    EXPECT_FALSE(result.fallback);
    const std::vector<cv::Mat> frames = ReadVideoFrames(result.path);
    ASSERT_EQ(frames.size(), clip.size()) << codec.fourcc;
    ExpectColour(frames.back(), FrameColour(kFrames - 1), 8, kFrames - 1);
  }
  EXPECT_EQ(written, 5);  // avc1, H264, mp4v, MJPG (OpenCV), MJPG (FFmpeg)
}

TEST_F(VideoTest, WriteVideoFallsBackToMotionJpegAvi) {
  const std::vector<cv::Mat> clip = SyntheticClip();
  // No writer takes the FourCC "XXXX": as on a machine without MP4 encoders.
  const std::vector<VideoCodec> codecs = {{"XXXX", ".mp4", cv::CAP_FFMPEG},
                                          {"MJPG", ".avi", cv::CAP_OPENCV_MJPEG}};
  AtomicOutputSet outputs;
  const VideoWriteResult result = WriteVideo(outputs, Path("heat.mp4"), clip, 8, codecs);
  EXPECT_TRUE(result.fallback);
  EXPECT_EQ(result.codec, "MJPG");
  EXPECT_EQ(result.path, Path("heat.avi"));
  EXPECT_EQ(result.note, Path("heat.mp4") + ": cannot write .mp4 here (tried XXXX .mp4); wrote " +
                             Path("heat.avi") + " (MJPG) instead");
  outputs.Commit();
  EXPECT_EQ(Listing(), std::set<std::string>{"heat.avi"});
  const std::vector<cv::Mat> frames = ReadVideoFrames(result.path);
  ASSERT_EQ(frames.size(), clip.size());
  ExpectColour(frames[2], FrameColour(2), 6, 2);
}

TEST_F(VideoTest, WriteVideoPadsOddSizesForFfmpeg) {
  const std::vector<cv::Mat> clip = SyntheticClip(3, {15, 9});
  const VideoWriteResult mp4 = WriteVideo(Path("odd.mp4"), clip, 8);
  EXPECT_EQ(mp4.note,
            Path("odd.mp4") + ": padded the 15x9 frames to 16x10 (the encoder needs even sizes)");
  const std::vector<cv::Mat> padded = ReadVideoFrames(mp4.path);
  ASSERT_EQ(padded.size(), 3u);
  EXPECT_EQ(padded[0].size(), cv::Size(16, 10));
  const VideoWriteResult avi = WriteVideo(Path("odd.avi"), clip, 8);  // OpenCV's MJPEG writer
  EXPECT_EQ(avi.note, "");
  EXPECT_EQ(ReadVideoFrames(avi.path)[0].size(), cv::Size(15, 9));
}

TEST_F(VideoTest, WriteVideoErrors) {
  const std::vector<cv::Mat> clip = SyntheticClip(2);
  EXPECT_EQ(MessageOf<OutputError>([&] { WriteVideo(Path("heat.gif"), clip, 8); }),
            Path("heat.gif") + ": unknown video file extension \".gif\" (use .mp4 or .avi)");
  EXPECT_THROW(WriteVideo(Path("absent/heat.mp4"), clip, 8), OutputError);
  AtomicOutputSet outputs;
  EXPECT_EQ(MessageOf<OutputError>([&] {
              WriteVideo(outputs, Path("heat.mp4"), clip, 8, {{"XXXX", ".mp4", cv::CAP_FFMPEG}});
            }),
            Path("heat.mp4") + ": no video writer works here (tried XXXX .mp4)");
  EXPECT_TRUE(Listing().empty());
  EXPECT_THROW(WriteVideo(Path("gray.mp4"), {cv::Mat(4, 4, CV_8UC1)}, 8), Error);
  EXPECT_THROW(WriteVideo(Path("none.mp4"), {}, 8), Error);
}

TEST(VideoHeatmapTest, FramesShareOneColourScale) {
  // Frame 0 holds the clip's maximum 1.0, frame 1 only 0.5: frame 1 must render lighter.
  cv::Mat map(2 * 3, 4, CV_32FC1, cv::Scalar(0.5));
  map.rowRange(0, 3).setTo(1.0);
  map.at<float>(0, 0) = std::numeric_limits<float>::quiet_NaN();  // ignored by the scale
  const std::vector<cv::Mat> heat = RenderHeatmapFrames(map, 2, cv::Mat(), RenderOptions::Signed());
  ASSERT_EQ(heat.size(), 2u);
  EXPECT_EQ(heat[0].type(), CV_8UC3);
  EXPECT_EQ(heat[0].size(), cv::Size(4, 3));
  EXPECT_EQ(heat[0].at<cv::Vec3b>(1, 1), cv::Vec3b(0, 0, 255));
  EXPECT_EQ(heat[1].at<cv::Vec3b>(1, 1), cv::Vec3b(128, 128, 255));  // not saturated
  EXPECT_EQ(heat[0].at<cv::Vec3b>(0, 0), cv::Vec3b(128, 128, 128));  // NaN: grey
  // Rendered alone, frame 1 would be saturated.
  EXPECT_EQ(RenderHeatmap(map.rowRange(3, 6), RenderOptions::Signed()).at<cv::Vec3b>(1, 1),
            cv::Vec3b(0, 0, 255));
}

TEST(VideoHeatmapTest, AllZeroOrNonFiniteClipsRenderWithoutAScale) {
  cv::Mat map(2 * 2, 3, CV_32FC1, cv::Scalar(0));
  map.at<float>(3, 2) = std::numeric_limits<float>::infinity();
  const std::vector<cv::Mat> heat = RenderHeatmapFrames(map, 2, cv::Mat(), RenderOptions::Signed());
  EXPECT_EQ(heat[0].at<cv::Vec3b>(1, 1), cv::Vec3b(255, 255, 255));  // zero: white
  EXPECT_EQ(heat[1].at<cv::Vec3b>(1, 2), cv::Vec3b(128, 128, 128));  // infinity: grey
}

TEST(VideoHeatmapTest, OverlaysOntoTheClipFramesOverTheClipsRange) {
  cv::Mat map(2 * 2, 2, CV_32FC1, cv::Scalar(-0.25));
  map.rowRange(0, 2).setTo(0.5);
  cv::Mat clip(2 * 4, 4, CV_32FC3, cv::Scalar(0.2, 0.4, 0.6));
  RenderOptions options;  // min-max JET
  options.alpha = 0.8;
  const std::vector<cv::Mat> overlay = RenderHeatmapFrames(map, 2, clip, options);
  ASSERT_EQ(overlay.size(), 2u);
  EXPECT_EQ(overlay[1].size(), cv::Size(4, 4));  // the map is resized to the clip's frames
  for (int t = 0; t < 2; ++t) {
    const cv::Mat frame = clip.rowRange(4 * t, 4 * t + 4),
                  frame_map = map.rowRange(2 * t, 2 * t + 2);
    const cv::Mat expected = RenderOverlay(frame, frame_map, options, ValueRange{-0.25, 0.5});
    EXPECT_EQ(cv::norm(overlay[t], expected, cv::NORM_INF), 0) << "frame " << t;
    // Each frame is constant: alone, it would get the colour map's first colour everywhere.
    const double alone =
        cv::norm(overlay[t], RenderOverlay(frame, frame_map, options), cv::NORM_INF);
    if (t == 0)
      EXPECT_GT(alone, 0);  // the clip's maximum: JET's last colour
    else
      EXPECT_EQ(alone, 0);  // the clip's minimum: JET's first colour
  }
  EXPECT_THROW(RenderHeatmapFrames(map, 3, cv::Mat(), RenderOptions::Signed()), Error);
}

}  // namespace
}  // namespace borex::io
