#include "borex/dataset/video_clips.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "borex/core/error.h"
#include "borex/io/video.h"
#include "support/message_of.h"
#include "support/temp_dir.h"

namespace borex::dataset {
namespace {

using borex::testing::MessageOf;
namespace fs = std::filesystem;
using Json = nlohmann::json;

// tests/data/video_tiny (made by its make_fixture.py): 3 clips of 4 frames of 16x16 whose items
// are bright rectangles drawn exactly where their boxes say.
const std::string kTiny = std::string(BOREX_SOURCE_DIR) + "/tests/data/video_tiny";

// The bright pixels of a stacked clip as a 0/255 mask: the fixture's drawn items.
cv::Mat BrightPixels(const cv::Mat& stacked_rgb) {
  cv::Mat gray;
  cv::cvtColor(stacked_rgb, gray, cv::COLOR_RGB2GRAY);
  return gray > 0.5;
}

class VideoClipsTest : public testing::TempDirTest {
 protected:
  // A valid annotation of 3 frames of 10 (H) x 20 (W) with one "cat" and one "dog".
  static Json ValidAnnotation() {
    return Json{{"format", "borex-video-annotation/1"},
                {"id", "a"},
                {"label", "cat"},
                {"frames", 3},
                {"size", {10, 20}},
                {"moving", true},
                {"objects",
                 {{{"name", "cat"}, {"boxes", {{1, 1, 4, 2}, nullptr, {17, 5, 20, 10}}}},
                  {{"name", "dog"}, {"boxes", {{5, 5, 6, 6}, {5, 5, 6, 6}, nullptr}}}}}};
  }
  std::string WriteText(const std::string& name, const std::string& text) const {
    fs::create_directories(fs::path(Path(name)).parent_path());
    std::ofstream(Path(name)) << text;
    return Path(name);
  }
  std::string WriteAnnotation(const std::string& name, const Json& annotation) const {
    return WriteText(name, annotation.dump());
  }
  // An empty dataset root in the temporary directory with classes cat, dog and split "s" = {a}.
  std::string MakeRoot() const {
    for (const char* sub : {"clips", "annotations", "splits"}) fs::create_directories(dir_ / sub);
    WriteText("classes.txt", "cat\ndog\n");
    WriteText("splits/s.txt", "a\n");
    return dir_.string();
  }
};

TEST_F(VideoClipsTest, OpensTheFixture) {
  const VideoClipDataset clips(kTiny);
  EXPECT_EQ(clips.root(), kTiny);
  EXPECT_EQ(clips.class_names(), (std::vector<std::string>{"trouser", "coat", "bag"}));
  const std::vector<std::string> ids = clips.SplitIds("test");
  EXPECT_EQ(ids, (std::vector<std::string>{"test_000000", "test_000001", "test_000002"}));
  EXPECT_EQ(clips.ClipPath("test_000001"), kTiny + "/clips/test_000001");
  EXPECT_EQ(clips.AnnotationPath("test_000001"), kTiny + "/annotations/test_000001.json");
  for (const std::string& id : ids) {
    const std::vector<cv::Mat> frames = io::ReadVideoFrames(clips.ClipPath(id));
    ASSERT_EQ(frames.size(), 4u) << id;
    EXPECT_EQ(frames[0].size(), cv::Size(16, 16));
  }
}

TEST_F(VideoClipsTest, ReadsTheFixturesAnnotation) {
  const ClipAnnotation annotation = VideoClipDataset(kTiny).ReadAnnotation("test_000001");
  EXPECT_EQ(annotation.path, kTiny + "/annotations/test_000001.json");
  EXPECT_EQ(annotation.id, "test_000001");
  EXPECT_EQ(annotation.label, "coat");
  EXPECT_EQ(annotation.frames, 4);
  EXPECT_EQ(annotation.size, cv::Size(16, 16));
  EXPECT_FALSE(annotation.moving);
  ASSERT_EQ(annotation.objects.size(), 2u);
  EXPECT_TRUE(annotation.HasName("coat"));
  EXPECT_FALSE(annotation.HasName("bag"));
  const ClipObject& first = annotation.objects[0];
  ASSERT_EQ(first.boxes.size(), 4u);
  ASSERT_TRUE(first.boxes[0].has_value());
  EXPECT_EQ(first.boxes[0]->xmin, 1);
  EXPECT_EQ(first.boxes[0]->xmax, 4);
  EXPECT_FALSE(first.boxes[2].has_value());  // null: not visible
  EXPECT_TRUE(ReadClipAnnotation(kTiny + "/annotations/test_000000.json").moving);
}

TEST_F(VideoClipsTest, RegionMaskIsExactlyTheDrawnItems) {
  const VideoClipDataset clips(kTiny);
  for (const std::string& id : clips.SplitIds("test")) {
    const ClipAnnotation annotation = clips.ReadAnnotation(id);
    const cv::Mat mask = ClipRegionMask(annotation, annotation.label, {16, 16}, 0, 1, 4);
    ASSERT_EQ(mask.type(), CV_8UC1);
    ASSERT_EQ(mask.size(), cv::Size(16, 4 * 16));
    const cv::Mat drawn = BrightPixels(io::StackFrames(io::ReadVideoFrames(clips.ClipPath(id))));
    EXPECT_EQ(cv::countNonZero(mask != drawn), 0) << id;
    EXPECT_EQ(cv::countNonZero((mask != 0) & (mask != 255)), 0);
  }
}

TEST_F(VideoClipsTest, RegionMaskSamplesFramesAndScalesBoxesAsBoxRegion) {
  const ClipAnnotation annotation = ReadClipAnnotation(kTiny + "/annotations/test_000000.json");
  // Frames 1 and 3 of the moving trouser (boxes [5, 5, 9, 12] and [11, 5, 15, 12]) at 32x24.
  const cv::Size working(32, 24);
  const cv::Mat mask = ClipRegionMask(annotation, "trouser", working, 1, 2, 2);
  ASSERT_EQ(mask.size(), cv::Size(32, 2 * 24));
  for (int t = 0; t < 2; ++t) {
    const int frame = 1 + 2 * t;
    Annotation still;  // that frame as a VOC annotation
    still.size = annotation.size;
    still.objects.push_back({"trouser", *annotation.objects[0].boxes[frame], false});
    const cv::Mat expected = BoxRegion(still, "trouser", annotation.size, working) * 255;
    EXPECT_EQ(cv::countNonZero(mask.rowRange(24 * t, 24 * (t + 1)) != expected), 0) << frame;
    EXPECT_EQ(cv::countNonZero(expected), (5 * 2) * (8 * 24 / 16)) << frame;  // 10 x 12 pixels
  }
  // The item moves: the two frames' regions differ.
  EXPECT_GT(cv::countNonZero(mask.rowRange(0, 24) != mask.rowRange(24, 48)), 0);
}

TEST_F(VideoClipsTest, RegionMaskIsTheUnionAndEmptyWhereNotVisible) {
  const ClipAnnotation annotation = ReadClipAnnotation(kTiny + "/annotations/test_000001.json");
  const cv::Mat mask = ClipRegionMask(annotation, "coat", {16, 16}, 0, 1, 4);
  EXPECT_EQ(cv::countNonZero(mask.rowRange(0, 16)), 16 + 64);  // both coats
  EXPECT_EQ(cv::countNonZero(mask.rowRange(32, 48)), 64);      // frame 2: the first is null
  EXPECT_EQ(mask.at<uchar>(0, 0), 255);
  EXPECT_EQ(mask.at<uchar>(32, 0), 0);
  // A class absent in one sampled frame of several is no error; absent in all of them is.
  const ClipAnnotation a = ReadClipAnnotation(WriteAnnotation("a.json", ValidAnnotation()));
  EXPECT_EQ(cv::countNonZero(ClipRegionMask(a, "dog", {20, 10}, 1, 1, 2)), 4);
  EXPECT_EQ(MessageOf<InputError>([&] {
              ClipRegionMask(a, "dog", {20, 10}, 2, 1, 1);
            }),
            Path("a.json") +
                ": class 'dog' is not visible in any of the 1 frames from frame 2 with stride 1");
  EXPECT_EQ(MessageOf<InputError>([&] {
              ClipRegionMask(a, "bird", {20, 10}, 0, 1, 3);
            }),
            Path("a.json") + ": no object of class 'bird'");
  EXPECT_EQ(
      MessageOf<InputError>([&] {
        ClipRegionMask(a, "cat", {20, 10}, 1, 2, 2);
      }),
      Path("a.json") + ": has 3 frames, fewer than the 2 frames from frame 1 with stride 2 need");
  EXPECT_THROW(ClipRegionMask(a, "cat", {20, 10}, 0, 1, 0), Error);
}

TEST_F(VideoClipsTest, RejectsMalformedAnnotations) {
  EXPECT_EQ(MessageOf<InputError>([&] { ReadClipAnnotation(Path("absent.json")); }),
            Path("absent.json") + ": file does not exist");
  EXPECT_THROW(ReadClipAnnotation(WriteText("broken.json", "{\"format\": ")), InputError);
  EXPECT_EQ(MessageOf<InputError>([&] { ReadClipAnnotation(WriteText("list.json", "[1, 2]")); }),
            Path("list.json") + ": must hold a JSON object, got [1,2]");

  struct Case {
    std::function<void(Json&)> change;
    std::string what;
  };
  const std::vector<Case> cases = {
      {[](Json& j) { j["format"] = "borex-video-annotation/2"; },
       "format is \"borex-video-annotation/2\", expected \"borex-video-annotation/1\""},
      {[](Json& j) { j.erase("format"); }, "no \"format\" field"},
      {[](Json& j) { j.erase("id"); }, "no \"id\" field"},
      {[](Json& j) { j["label"] = 3; }, "\"label\" must be a string, got 3"},
      {[](Json& j) { j["frames"] = 0; }, "\"frames\" must be a positive integer, got 0"},
      {[](Json& j) { j["frames"] = "3"; }, "\"frames\" must be a positive integer, got \"3\""},
      {[](Json& j) { j["size"] = {10}; }, "\"size\" must be [height, width] in pixels, got [10]"},
      {[](Json& j) {
         j["size"] = {0, 20};
       },
       "\"size\" must be [height, width] in pixels, got [0,20]"},
      {[](Json& j) { j["moving"] = "yes"; }, "\"moving\" must be true or false, got \"yes\""},
      {[](Json& j) { j["objects"] = Json::object(); }, "\"objects\" must be an array, got {}"},
      {[](Json& j) { j["objects"][0] = "cat"; }, "object 0: must be an object, got \"cat\""},
      {[](Json& j) { j["objects"][1].erase("name"); }, "object 1: no \"name\" field"},
      {[](Json& j) { j["objects"][1]["name"] = ""; },
       "object 1: \"name\" must be a non-empty string, got \"\""},
      {[](Json& j) { j["objects"][0].erase("boxes"); }, "object 0 ('cat'): no \"boxes\" field"},
      {[](Json& j) { j["objects"][0]["boxes"].erase(1); },
       "object 0 ('cat'): has 2 boxes for 3 frames"},
      {[](Json& j) { j["frames"] = 4; }, "object 0 ('cat'): has 3 boxes for 4 frames"},
      {[](Json& j) {
         j["objects"][0]["boxes"][1] = {1, 2, 3};
       },
       "object 0 ('cat'): frame 1: box must be null or [xmin, ymin, xmax, ymax], got [1,2,3]"},
      {[](Json& j) {
         j["objects"][0]["boxes"][1] = {1, 2, "3", 4};
       },
       "object 0 ('cat'): frame 1: box must be null or [xmin, ymin, xmax, ymax], got "
       "[1,2,\"3\",4]"},
      {[](Json& j) {
         j["objects"][1]["boxes"][0] = {6, 5, 5, 6};
       },
       "object 1 ('dog'): frame 0: box [6,5,5,6] has xmin > xmax or ymin > ymax"},
      {[](Json& j) {
         j["objects"][1]["boxes"][0] = {5, 7, 6, 6};
       },
       "object 1 ('dog'): frame 0: box [5,7,6,6] has xmin > xmax or ymin > ymax"},
      {[](Json& j) {
         j["objects"][0]["boxes"][2] = {17, 5, 21, 10};
       },
       "object 0 ('cat'): frame 2: box [17,5,21,10] is outside the 20x10 frame (1-based, "
       "inclusive coordinates)"},
      {[](Json& j) {
         j["objects"][0]["boxes"][2] = {17, 5, 20, 11};
       },
       "object 0 ('cat'): frame 2: box [17,5,20,11] is outside the 20x10 frame (1-based, "
       "inclusive coordinates)"},
      {[](Json& j) {
         j["objects"][0]["boxes"][0] = {0, 1, 4, 2};
       },
       "object 0 ('cat'): frame 0: box [0,1,4,2] is outside the 20x10 frame (1-based, "
       "inclusive coordinates)"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    Json annotation = ValidAnnotation();
    cases[i].change(annotation);
    const std::string path = WriteAnnotation("case" + std::to_string(i) + ".json", annotation);
    EXPECT_EQ(MessageOf<InputError>([&] { ReadClipAnnotation(path); }),
              path + ": " + cases[i].what);
  }
  // The unmodified annotation, and one without the optional "moving", are fine.
  Json annotation = ValidAnnotation();
  EXPECT_TRUE(ReadClipAnnotation(WriteAnnotation("valid.json", annotation)).moving);
  annotation.erase("moving");
  EXPECT_FALSE(ReadClipAnnotation(WriteAnnotation("still.json", annotation)).moving);
}

TEST_F(VideoClipsTest, DatasetChecksItsLayout) {
  EXPECT_EQ(MessageOf<InputError>([&] { VideoClipDataset(Path("absent")); }),
            Path("absent") + ": no such dataset directory");
  const std::string root = MakeRoot();
  EXPECT_NO_THROW(VideoClipDataset{root});
  fs::remove(dir_ / "annotations");
  EXPECT_EQ(MessageOf<InputError>([&] { VideoClipDataset{root}; }),
            root + "/annotations" +
                ": no such directory (a clip dataset has clips/, annotations/, splits/ and "
                "classes.txt)");
  fs::create_directories(dir_ / "annotations");
  fs::remove(dir_ / "classes.txt");
  EXPECT_EQ(
      MessageOf<InputError>([&] { VideoClipDataset{root}; }),
      root + "/classes.txt" + ": no such file (the class names in label order, one per line)");
  WriteText("classes.txt", "\n");
  EXPECT_EQ(MessageOf<InputError>([&] { VideoClipDataset{root}; }),
            root + "/classes.txt" + ": no class names");
}

TEST_F(VideoClipsTest, DatasetFindsSplitsClipsAndAnnotations) {
  const std::string root = MakeRoot();
  WriteText("splits/crlf.txt", "a\r\nb\r\n\r\n");
  WriteText("splits/empty.txt", "\n\n");
  WriteText("splits/twice.txt", "a\nb\na\n");
  const VideoClipDataset clips(root);
  EXPECT_EQ(clips.class_names(), (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(clips.SplitIds("s"), std::vector<std::string>{"a"});
  EXPECT_EQ(clips.SplitIds("crlf"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(MessageOf<InputError>([&] { clips.SplitIds("empty"); }),
            root + "/splits/empty.txt" + ": the split lists no clips");
  EXPECT_EQ(MessageOf<InputError>([&] { clips.SplitIds("twice"); }),
            root + "/splits/twice.txt" + ": lists 'a' twice (entries 1 and 3)");
  EXPECT_EQ(MessageOf<InputError>([&] { clips.SplitIds("nope"); }),
            root + "/splits/nope.txt" + ": no such split file");

  // No folder: a video file instead, which io::ReadVideoFrames reads.
  EXPECT_EQ(MessageOf<InputError>([&] { clips.ClipPath("a"); }),
            root + "/clips/a" + ": no such clip (a folder of frames, .mp4 or .avi)");
  {
    cv::VideoWriter writer(Path("clips/a.avi"), cv::CAP_OPENCV_MJPEG,
                           cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10, cv::Size(20, 10));
    ASSERT_TRUE(writer.isOpened());
    for (int t = 0; t < 3; ++t) writer.write(cv::Mat(10, 20, CV_8UC3, cv::Scalar(0, 0, 200)));
  }
  EXPECT_EQ(clips.ClipPath("a"), root + "/clips/a.avi");
  EXPECT_EQ(io::ReadVideoFrames(clips.ClipPath("a")).size(), 3u);
  WriteText("clips/a.mp4", "");  // .mp4 is preferred over .avi
  EXPECT_EQ(clips.ClipPath("a"), root + "/clips/a.mp4");
  fs::create_directories(dir_ / "clips" / "a");  // and a folder over both
  EXPECT_EQ(clips.ClipPath("a"), root + "/clips/a");

  const std::string path = clips.AnnotationPath("a");
  EXPECT_EQ(path, root + "/annotations/a.json");
  WriteAnnotation("annotations/a.json", ValidAnnotation());
  EXPECT_EQ(clips.ReadAnnotation("a").label, "cat");
  Json annotation = ValidAnnotation();
  annotation["id"] = "b";
  WriteAnnotation("annotations/a.json", annotation);
  EXPECT_EQ(MessageOf<InputError>([&] { clips.ReadAnnotation("a"); }),
            path + ": \"id\" is \"b\", expected \"a\"");
  annotation = ValidAnnotation();
  annotation["label"] = "bird";
  WriteAnnotation("annotations/a.json", annotation);
  EXPECT_EQ(MessageOf<InputError>([&] { clips.ReadAnnotation("a"); }),
            path + ": label 'bird' is not a class of " + root + "/classes.txt");
  annotation = ValidAnnotation();
  annotation["objects"][1]["name"] = "cow";
  WriteAnnotation("annotations/a.json", annotation);
  EXPECT_EQ(MessageOf<InputError>([&] { clips.ReadAnnotation("a"); }),
            path + ": object name 'cow' is not a class of " + root + "/classes.txt");
  EXPECT_EQ(MessageOf<InputError>([&] { clips.ReadAnnotation("b"); }),
            root + "/annotations/b.json" + ": file does not exist");
}

}  // namespace
}  // namespace borex::dataset
