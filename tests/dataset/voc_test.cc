#include "borex/dataset/voc.h"

#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "borex/core/error.h"
#include "support/message_of.h"
#include "support/temp_dir.h"

namespace borex::dataset {
namespace {

using borex::testing::MessageOf;

const std::string kTiny = std::string(BOREX_SOURCE_DIR) + "/tests/data/voc_tiny";

class VocTest : public testing::TempDirTest {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(Path(name)) << text;
    return Path(name);
  }
  static std::string Xml(const std::string& objects) {
    return "<annotation><filename>x.png</filename><size><width>20</width><height>10</height>"
           "<depth>3</depth></size>" +
           objects + "</annotation>";
  }
  static std::string Object(const std::string& name, int x0, int y0, int x1, int y1) {
    return "<object><name>" + name + "</name><difficult>0</difficult><bndbox><xmin>" +
           std::to_string(x0) + "</xmin><ymin>" + std::to_string(y0) + "</ymin><xmax>" +
           std::to_string(x1) + "</xmax><ymax>" + std::to_string(y1) + "</ymax></bndbox></object>";
  }
};

TEST_F(VocTest, ReadsTheFixturesAnnotation) {
  const Annotation annotation = ReadVocAnnotation(kTiny + "/Annotations/test_000016.xml");
  EXPECT_EQ(annotation.size, cv::Size(128, 128));
  ASSERT_EQ(annotation.objects.size(), 2u);
  EXPECT_EQ(annotation.Names(), std::vector<std::string>{"dress"});
  EXPECT_TRUE(annotation.HasName("dress"));
  EXPECT_FALSE(annotation.HasName("coat"));
}

TEST_F(VocTest, BoxRegionIsTheUnionOfTheClassBoxesScaled) {
  const Annotation annotation =
      ReadVocAnnotation(Write("a.xml", Xml(Object("cat", 1, 1, 4, 2) + Object("cat", 3, 2, 6, 5) +
                                           Object("dog", 10, 1, 20, 10))));
  const cv::Mat region = BoxRegion(annotation, "cat", {20, 10}, {20, 10});
  // VOC boxes are 1-based and inclusive: (1,1)-(4,2) covers columns 0..3, rows 0..1.
  EXPECT_EQ(cv::countNonZero(region), 4 * 2 + 4 * 4 - 2 * 1);
  EXPECT_EQ(region.at<uchar>(0, 3), 1);
  EXPECT_EQ(region.at<uchar>(0, 4), 0);
  EXPECT_EQ(region.at<uchar>(4, 5), 1);
  // Twice the resolution: every box pixel becomes 2x2.
  EXPECT_EQ(cv::countNonZero(BoxRegion(annotation, "cat", {20, 10}, {40, 20})), 4 * 22);
  EXPECT_THROW(BoxRegion(annotation, "bird", {20, 10}, {20, 10}), InputError);
}

// Found by tests/fuzz/voc_annotation_fuzz: int overflow in BoxRegion (UBSan).
TEST_F(VocTest, BoxRegionClampsHugeSizesAndCoordinates) {
  const std::string huge_size =
      "<annotation><size><width>100000</width><height>100000</height></size>" +
      Object("cat", 1, 1, 50000, 100000) + "</annotation>";
  const cv::Mat half =
      BoxRegion(ReadVocAnnotation(Write("s.xml", huge_size)), "cat", {1, 1}, {20, 10});
  EXPECT_EQ(cv::countNonZero(half), 10 * 10);
  const Annotation extreme = ReadVocAnnotation(
      Write("c.xml", Xml(Object("cat", -2147483647 - 1, 1, 2147483647, 2147483647))));
  EXPECT_EQ(cv::countNonZero(BoxRegion(extreme, "cat", {20, 10}, {40, 20})), 40 * 20);
  // A negative <size> is no size: the image's size scales the boxes.
  const Annotation negative = ReadVocAnnotation(
      Write("n.xml", "<annotation><size><width>-5</width><height>-5</height></size>" +
                         Object("cat", 1, 1, 10, 10) + "</annotation>"));
  EXPECT_EQ(cv::countNonZero(BoxRegion(negative, "cat", {20, 10}, {20, 10})), 10 * 10);
}

TEST_F(VocTest, RejectsBrokenAnnotations) {
  EXPECT_THROW(ReadVocAnnotation(Path("absent.xml")), InputError);
  EXPECT_THROW(ReadVocAnnotation(Write("bad.xml", "<annotation><object>")), InputError);
  EXPECT_THROW(ReadVocAnnotation(Write("root.xml", "<other/>")), InputError);
  EXPECT_THROW(ReadVocAnnotation(Write("nobox.xml", Xml("<object><name>cat</name></object>"))),
               InputError);
  EXPECT_THROW(ReadVocAnnotation(Write("text.xml", Xml("<object><name>cat</name><bndbox><xmin>a"
                                                       "</xmin></bndbox></object>"))),
               InputError);
  EXPECT_THROW(ReadVocAnnotation(Write("empty.xml", Xml(Object("cat", 5, 1, 4, 2)))), InputError);
  // Bug: "12px" read as 12, and 3e9 wrapped into another box in the conversion to int.
  const auto coordinate = [&](const std::string& xmin) {
    return Write("coordinate.xml",
                 Xml("<object><name>cat</name><bndbox><xmin>" + xmin +
                     "</xmin><ymin>1</ymin><xmax>4</xmax><ymax>4</ymax></bndbox></object>"));
  };
  EXPECT_THROW(ReadVocAnnotation(coordinate("12px")), InputError);
  EXPECT_EQ(MessageOf<InputError>([&] { ReadVocAnnotation(coordinate("3e9")); }),
            Path("coordinate.xml") + ": object 'cat': <bndbox><xmin> 3e9 is beyond any image");
  EXPECT_EQ(ReadVocAnnotation(coordinate(" 2 ")).objects.at(0).box.xmin, 2);
  // Bug: a box wholly outside the image gave an empty region, which the F-measure refused naming
  // no file.
  const Annotation outside =
      ReadVocAnnotation(Write("outside.xml", Xml(Object("cat", 30, 1, 40, 5))));
  EXPECT_EQ(MessageOf<InputError>([&] {
              BoxRegion(outside, "cat", {20, 10}, {20, 10});
            }),
            Path("outside.xml") + ": the boxes of class 'cat' lie outside the 20x10 image");
  // Bug: a directory was "malformed XML".
  EXPECT_EQ(MessageOf<InputError>([&] { ReadVocAnnotation(dir_.string()); }),
            dir_.string() + ": is a directory, not an annotation (XML)");
}

TEST_F(VocTest, DecodesPaletteSegmentationsWithTheVocColourMap) {
  // VOC's colour map: 1 = (128, 0, 0), 2 = (0, 128, 0), 15 = (192, 128, 128), 255 = void.
  cv::Mat bgr(2, 3, CV_8UC3, cv::Scalar(0, 0, 0));
  bgr.at<cv::Vec3b>(0, 1) = {0, 0, 128};
  bgr.at<cv::Vec3b>(0, 2) = {0, 128, 0};
  bgr.at<cv::Vec3b>(1, 0) = {128, 128, 192};
  bgr.at<cv::Vec3b>(1, 1) = {192, 224, 224};
  ASSERT_TRUE(cv::imwrite(Path("seg.png"), bgr));
  const cv::Mat indices = ReadSegmentationIndices(Path("seg.png"));
  EXPECT_EQ(indices.at<uchar>(0, 0), 0);
  EXPECT_EQ(indices.at<uchar>(0, 1), 1);
  EXPECT_EQ(indices.at<uchar>(0, 2), 2);
  EXPECT_EQ(indices.at<uchar>(1, 0), 15);
  EXPECT_EQ(indices.at<uchar>(1, 1), 255);
  bgr.at<cv::Vec3b>(1, 2) = {1, 2, 3};
  ASSERT_TRUE(cv::imwrite(Path("off.png"), bgr));
  EXPECT_THROW(ReadSegmentationIndices(Path("off.png")), InputError);
}

TEST_F(VocTest, DatasetFindsSplitsImagesAndClasses) {
  const VocDataset voc(kTiny);
  const auto ids = voc.SplitIds("test");
  ASSERT_EQ(ids.size(), 6u);
  EXPECT_EQ(ids.front(), "test_000000");
  EXPECT_EQ(voc.class_names().size(), 10u);
  EXPECT_EQ(voc.ImagePath("test_000000"), kTiny + "/JPEGImages/test_000000.png");
  EXPECT_EQ(voc.SegmentationPath("test_000000"), "");
  EXPECT_THROW(voc.ImagePath("nope"), InputError);
  EXPECT_THROW(voc.SplitIds("nope"), InputError);
  EXPECT_THROW(VocDataset(Path("absent")), InputError);
}

// The first field of each non-blank line, in order; an id listed twice is refused with the two
// entries named (a batch would count it twice and write it once).
TEST_F(VocTest, SplitIdsAreTheFirstFieldsAndDistinct) {
  Write("split.txt", "a  1\n\n  b -1\r\nc\n");
  EXPECT_EQ(ReadSplitIds(Path("split.txt"), "images"), (std::vector<std::string>{"a", "b", "c"}));
  Write("twice.txt", "a 1\nb 1\na -1\n");
  EXPECT_EQ(MessageOf<InputError>([&] { ReadSplitIds(Path("twice.txt"), "images"); }),
            Path("twice.txt") + ": lists 'a' twice (entries 1 and 3)");
  Write("blank.txt", "\n \n");
  EXPECT_EQ(MessageOf<InputError>([&] { ReadSplitIds(Path("blank.txt"), "images"); }),
            Path("blank.txt") + ": the split lists no images");
  EXPECT_THROW(ReadSplitIds(Path("absent.txt"), "images"), InputError);
}

TEST_F(VocTest, RegionPrefersTheSegmentation) {
  for (const char* sub : {"ImageSets/Main", "Annotations", "SegmentationClass"})
    std::filesystem::create_directories(dir_ / sub);
  Write("classes.txt", "cat\ndog\n");
  Write("ImageSets/Main/s.txt", "a 1\n");
  const Annotation annotation =
      ReadVocAnnotation(Write("Annotations/a.xml", Xml(Object("dog", 1, 1, 20, 10))));
  const VocDataset voc(dir_.string());
  EXPECT_EQ(voc.SplitIds("s"), std::vector<std::string>{"a"});
  EXPECT_EQ(cv::countNonZero(voc.Region("a", annotation, "dog", {20, 10}, {20, 10})), 200);
  cv::Mat bgr(10, 20, CV_8UC3, cv::Scalar(0, 0, 0));
  bgr(cv::Rect(2, 3, 4, 5)).setTo(cv::Scalar(0, 128, 0));  // index 2: dog
  ASSERT_TRUE(cv::imwrite(Path("SegmentationClass/a.png"), bgr));
  const cv::Mat region = voc.Region("a", annotation, "dog", {20, 10}, {20, 10});
  EXPECT_EQ(cv::countNonZero(region), 20);
  EXPECT_EQ(region.at<uchar>(3, 2), 1);
  EXPECT_THROW(voc.Region("a", annotation, "cat", {20, 10}, {20, 10}), InputError);
}

TEST(ShardTest, ShardsPartitionTheSplit) {
  std::vector<int> owner(10, 0);
  for (int k = 1; k <= 3; ++k) {
    const Shard shard = ParseShard(std::to_string(k) + "/3", "--shard");
    EXPECT_EQ(shard.Name(), std::to_string(k) + "-of-3");
    for (size_t i = 0; i < owner.size(); ++i) owner[i] += shard.Contains(i) ? k : 0;
  }
  EXPECT_EQ(owner, (std::vector<int>{1, 2, 3, 1, 2, 3, 1, 2, 3, 1}));
  for (const char* bad : {"0/3", "4/3", "1/0", "a/b", "1/2x", "1"})
    EXPECT_THROW(ParseShard(bad, "--shard"), OptionError) << bad;
}

// A box of one row or one column (xmin == xmax, ymin == ymax: 1-based, inclusive) is one pixel
// wide, not empty.
TEST_F(VocTest, AOnePixelBoxIsAccepted) {
  const Annotation annotation = ReadVocAnnotation(Write("p.xml", Xml(Object("cat", 3, 2, 3, 2))));
  const cv::Mat region = BoxRegion(annotation, "cat", {20, 10}, {20, 10});
  EXPECT_EQ(cv::countNonZero(region), 1);
  EXPECT_EQ(region.at<uchar>(1, 2), 1);
}

// Scaled down, a box covers every pixel it covers partly: (1,1)-(3,2) at half the resolution
// spans columns 0 to 1.5 and row 0 to 1, i.e. columns 0 and 1 of row 0.
TEST_F(VocTest, BoxRegionScaledDownCoversThePixelsTheBoxCoversPartly) {
  const Annotation annotation = ReadVocAnnotation(Write("a.xml", Xml(Object("cat", 1, 1, 3, 2))));
  const cv::Mat region = BoxRegion(annotation, "cat", {20, 10}, {10, 5});
  EXPECT_EQ(cv::countNonZero(region), 2);
  EXPECT_EQ(region.at<uchar>(0, 1), 1);
}

// A <size> with one side 0 is no size either: the image's size scales the boxes.
TEST_F(VocTest, BoxRegionTakesTheImagesSizeWhenOneSideOfTheSizeIsZero) {
  const Annotation annotation = ReadVocAnnotation(
      Write("z.xml", "<annotation><size><width>20</width><height>0</height></size>" +
                         Object("cat", 1, 1, 10, 10) + "</annotation>"));
  EXPECT_EQ(cv::countNonZero(BoxRegion(annotation, "cat", {20, 10}, {20, 10})), 10 * 10);
}

}  // namespace
}  // namespace borex::dataset
