#include "borex/mask/square_mask.h"

#include <gtest/gtest.h>

#include <cmath>

#include "borex/core/error.h"

namespace borex::mask {
namespace {

void ExpectBox(const PixelBox& box, int row0, int col0, int rows, int cols) {
  EXPECT_EQ(box.row0, row0);
  EXPECT_EQ(box.col0, col0);
  EXPECT_EQ(box.rows, rows);
  EXPECT_EQ(box.cols, cols);
}

TEST(SquareBoxTest, OddSideAtIntegerCentreIsSymmetric) {
  ExpectBox(SquareBox(10, 20, 3, 100, 100), 9, 19, 3, 3);
  ExpectBox(SquareBox(10, 20, 1, 100, 100), 10, 20, 1, 1);
  ExpectBox(SquareBox(50, 50, 61, 224, 224), 20, 20, 61, 61);
}

TEST(SquareBoxTest, EvenSideAtIntegerCentreHasOneMorePixelBefore) {
  // Rows c - s/2 ... c + s/2 - 1.
  ExpectBox(SquareBox(10, 20, 4, 100, 100), 8, 18, 4, 4);
  ExpectBox(SquareBox(112, 112, 60, 224, 224), 82, 82, 60, 60);
}

TEST(SquareBoxTest, IntegerSideCoversExactlySidePixelsAtAnyCentre) {
  for (int side = 1; side <= 40; ++side)
    for (const double fraction : {0.0, 0.1, 0.25, 0.5, 0.75, 0.999}) {
      const PixelBox box = SquareBox(60 + fraction, 70 - fraction, side, 200, 200);
      ASSERT_EQ(box.rows, side) << "side " << side << " fraction " << fraction;
      ASSERT_EQ(box.cols, side) << "side " << side << " fraction " << fraction;
      ASSERT_EQ(box.area(), side * side);
    }
}

TEST(SquareBoxTest, CoverageFollowsHalfOpenRule) {
  // Centre 10.5, side 3: [9, 12) -> 9, 10, 11. Centre 10, side 2.5: [8.75, 11.25) -> 9..11.
  ExpectBox(SquareBox(10.5, 10.5, 3, 100, 100), 9, 9, 3, 3);
  ExpectBox(SquareBox(10, 10, 2.5, 100, 100), 9, 9, 3, 3);
  // Centre 10.3, side 2.5: [9.05, 11.55) -> 10, 11.
  ExpectBox(SquareBox(10.3, 10.3, 2.5, 100, 100), 10, 10, 2, 2);
  EXPECT_TRUE(SquareBox(10, 10, 0, 100, 100).empty());
}

TEST(SquareBoxTest, ClipsAtBorders) {
  ExpectBox(SquareBox(0, 0, 5, 50, 40), 0, 0, 3, 3);        // [-2.5, 2.5) -> 0..2
  ExpectBox(SquareBox(49, 39, 4, 50, 40), 47, 37, 3, 3);    // [47, 51) -> 47..49
  ExpectBox(SquareBox(25, 0, 10, 50, 40), 20, 0, 10, 5);    // one axis clipped
  ExpectBox(SquareBox(25, 20, 500, 50, 40), 0, 0, 50, 40);  // larger than the image
  EXPECT_TRUE(SquareBox(-10, 5, 4, 50, 40).empty());        // entirely above
  EXPECT_TRUE(SquareBox(5, 1e12, 4, 50, 40).empty());       // far right, no int overflow
  EXPECT_EQ(SquareBox(-10, 5, 4, 50, 40).area(), 0);
}

TEST(SquareBoxTest, RejectsInvalidArguments) {
  EXPECT_THROW(SquareBox(5, 5, -1, 10, 10), Error);
  EXPECT_THROW(SquareBox(std::nan(""), 5, 3, 10, 10), Error);
  EXPECT_THROW(SquareBox(5, 5, INFINITY, 10, 10), Error);
}

// A fill image of `like`'s size, every pixel `colour`.
cv::Mat Filled(const cv::Mat& like, const cv::Vec3f& colour) {
  return cv::Mat(like.size(), CV_32FC3, cv::Scalar(colour[0], colour[1], colour[2]));
}

class OccludeBoxTest : public testing::Test {
 protected:
  void SetUp() override {
    image_.create(30, 40, CV_32FC3);
    cv::randu(image_, 0.01, 1);  // never exactly a fill value used below
  }
  static bool Inside(const PixelBox& box, int r, int c) {
    return r >= box.row0 && r < box.row0 + box.rows && c >= box.col0 && c < box.col0 + box.cols;
  }
  // Checks out pixel by pixel: `filled(r, c)` says where out must equal fill; elsewhere the image.
  template <typename F>
  void ExpectFilledWhere(const cv::Mat& out, const cv::Vec3f& fill, F filled) const {
    ASSERT_EQ(out.type(), CV_32FC3);
    ASSERT_EQ(out.size(), image_.size());
    for (int r = 0; r < image_.rows; ++r)
      for (int c = 0; c < image_.cols; ++c)
        ASSERT_EQ(out.at<cv::Vec3f>(r, c), filled(r, c) ? fill : image_.at<cv::Vec3f>(r, c))
            << "at " << r << "," << c;
  }
  cv::Mat image_;
};

TEST_F(OccludeBoxTest, MaskHidesExactlyTheBox) {
  const PixelBox box = SquareBox(10, 12, 7, image_.rows, image_.cols);
  const cv::Vec3f fill(0.1f, 0.2f, 0.3f);
  cv::Mat out;
  OccludeBox(image_, box, /*keep_only_box=*/false, Filled(image_, fill), out);
  ExpectFilledWhere(out, fill, [&](int r, int c) { return Inside(box, r, c); });
}

TEST_F(OccludeBoxTest, FlippedMaskKeepsExactlyTheBox) {
  const PixelBox box = SquareBox(10, 12, 7, image_.rows, image_.cols);
  const cv::Vec3f fill(0.1f, 0.2f, 0.3f);
  cv::Mat out;
  OccludeBox(image_, box, /*keep_only_box=*/true, Filled(image_, fill), out);
  ExpectFilledWhere(out, fill, [&](int r, int c) { return !Inside(box, r, c); });
}

TEST_F(OccludeBoxTest, MaskAndFlipAreExactComplements) {
  for (const double side : {1.0, 6.0, 13.0, 100.0}) {
    const PixelBox box = SquareBox(3, 37, side, image_.rows, image_.cols);  // clipped corner box
    cv::Mat hidden, only;
    // Zero fill: the two images add up to the image, exactly (x + 0 = x in floating point).
    OccludeBox(image_, box, false, Filled(image_, cv::Vec3f(0, 0, 0)), hidden);
    OccludeBox(image_, box, true, Filled(image_, cv::Vec3f(0, 0, 0)), only);
    EXPECT_EQ(cv::norm(hidden + only, image_, cv::NORM_INF), 0.0) << side;
    // Any fill: at each pixel exactly one of the two shows the image and the other the fill.
    const cv::Vec3f fill(0.5f, 0.25f, 0.125f);
    OccludeBox(image_, box, false, Filled(image_, fill), hidden);
    OccludeBox(image_, box, true, Filled(image_, fill), only);
    int hidden_count = 0;
    for (int r = 0; r < image_.rows; ++r)
      for (int c = 0; c < image_.cols; ++c) {
        const cv::Vec3f pixel = image_.at<cv::Vec3f>(r, c);
        const bool is_hidden = hidden.at<cv::Vec3f>(r, c) == fill;
        hidden_count += is_hidden;
        ASSERT_EQ(is_hidden ? only.at<cv::Vec3f>(r, c) : hidden.at<cv::Vec3f>(r, c), pixel);
        ASSERT_EQ(is_hidden ? hidden.at<cv::Vec3f>(r, c) : only.at<cv::Vec3f>(r, c), fill);
      }
    EXPECT_EQ(hidden_count, box.area()) << side;
  }
}

TEST_F(OccludeBoxTest, MeanFillUsesTheModelMean) {
  const cv::Vec3f mean(0.485f, 0.456f, 0.406f);
  const PixelBox box = SquareBox(15, 20, 10, image_.rows, image_.cols);
  cv::Mat out;
  OccludeBox(image_, box, false, Filled(image_, mean), out);
  EXPECT_EQ(out.at<cv::Vec3f>(15, 20), cv::Vec3f(0.485f, 0.456f, 0.406f));
  ExpectFilledWhere(out, mean, [&](int r, int c) { return Inside(box, r, c); });
}

TEST_F(OccludeBoxTest, EmptyBoxHidesNothingOrEverything) {
  const PixelBox empty = SquareBox(-50, -50, 4, image_.rows, image_.cols);
  const cv::Vec3f fill(0, 0, 0);
  cv::Mat out;
  OccludeBox(image_, empty, false, Filled(image_, fill), out);
  ExpectFilledWhere(out, fill, [](int, int) { return false; });
  OccludeBox(image_, empty, true, Filled(image_, fill), out);
  ExpectFilledWhere(out, fill, [](int, int) { return true; });
}

TEST_F(OccludeBoxTest, BoxStickingOutOfTheImageIsClipped) {
  const PixelBox box{25, 35, 20, 20};  // not from SquareBox: extends past the bottom-right
  const cv::Vec3f fill(0.1f, 0.2f, 0.3f);
  cv::Mat out;
  OccludeBox(image_, box, false, Filled(image_, fill), out);
  ExpectFilledWhere(out, fill, [&](int r, int c) { return Inside(box, r, c); });
  OccludeBox(image_, box, true, Filled(image_, fill), out);
  ExpectFilledWhere(out, fill, [&](int r, int c) { return !Inside(box, r, c); });
}

TEST_F(OccludeBoxTest, ReusesOutputBufferAndWorksInPlace) {
  const PixelBox box = SquareBox(10, 10, 5, image_.rows, image_.cols);
  const cv::Vec3f fill(0.1f, 0.2f, 0.3f);
  cv::Mat out(image_.size(), CV_32FC3);
  const uchar* buffer = out.data;
  OccludeBox(image_, box, true, Filled(image_, fill), out);
  EXPECT_EQ(out.data, buffer);
  OccludeBox(image_, box, false, Filled(image_, fill), out);
  EXPECT_EQ(out.data, buffer);

  const cv::Mat original = image_.clone();
  cv::Mat in_place = image_.clone();
  OccludeBox(in_place, box, true, Filled(in_place, fill), in_place);
  image_ = original;
  ExpectFilledWhere(in_place, fill, [&](int r, int c) { return !Inside(box, r, c); });
  in_place = original.clone();
  OccludeBox(in_place, box, false, Filled(in_place, fill), in_place);
  ExpectFilledWhere(in_place, fill, [&](int r, int c) { return Inside(box, r, c); });
}

TEST_F(OccludeBoxTest, RejectsAFillOfAnotherSizeOrType) {
  cv::Mat out;
  const PixelBox box{0, 0, 2, 2};
  EXPECT_THROW(OccludeBox(image_, box, false, cv::Mat(4, 4, CV_32FC3), out), Error);
  EXPECT_THROW(OccludeBox(image_, box, false, cv::Mat(image_.size(), CV_8UC3), out), Error);
}

TEST_F(OccludeBoxTest, HiddenPixelsComeFromTheFillImagePixelByPixel) {
  cv::Mat fill(image_.size(), CV_32FC3);
  cv::randu(fill, 2, 3);  // never an image value
  const PixelBox box = SquareBox(12, 9, 8, image_.rows, image_.cols);
  for (const bool keep_only : {false, true}) {
    cv::Mat out;
    OccludeBox(image_, box, keep_only, fill, out);
    for (int r = 0; r < image_.rows; ++r)
      for (int c = 0; c < image_.cols; ++c)
        ASSERT_EQ(out.at<cv::Vec3f>(r, c), Inside(box, r, c) != keep_only
                                               ? fill.at<cv::Vec3f>(r, c)
                                               : image_.at<cv::Vec3f>(r, c));
  }
}

TEST(OccludeCuboidTest, WorksOnAnyTypeSuchAsAHiddenRegion) {
  constexpr int rows = 6, cols = 5;
  const Cuboid cuboid{SquareBox(2, 2, 2, rows, cols), 1, 1};
  cv::Mat hidden;
  OccludeCuboid(cv::Mat::zeros(3 * rows, cols, CV_8UC1), rows, cuboid, false,
                cv::Mat(3 * rows, cols, CV_8UC1, cv::Scalar(255)), hidden);
  EXPECT_EQ(cv::countNonZero(hidden), 4);
  EXPECT_EQ(hidden.at<uchar>(rows + 1, 1), 255);
  OccludeCuboid(cv::Mat::zeros(3 * rows, cols, CV_8UC1), rows, cuboid, true,
                cv::Mat(3 * rows, cols, CV_8UC1, cv::Scalar(255)), hidden);
  EXPECT_EQ(cv::countNonZero(hidden), 3 * rows * cols - 4);
}

TEST(OccludeCuboidTest, HidesTheSquareInItsFramesOnlyAndTheFlipKeepsOnlyThat) {
  constexpr int frames = 5, rows = 9, cols = 11;
  cv::Mat clip(frames * rows, cols, CV_32FC3);
  cv::randu(clip, 0.0, 1.0);
  const cv::Vec3f fill(0.25f, 0.5f, 0.75f);
  for (const Cuboid cuboid : {Cuboid{SquareBox(4, 5, 3, rows, cols), 1, 2},
                              Cuboid{SquareBox(0, 10, 4, rows, cols), 3, 4},      // past the end
                              Cuboid{SquareBox(20, 20, 3, rows, cols), 0, 5}}) {  // outside
    cv::Mat hidden, only;
    OccludeCuboid(clip, rows, cuboid, false, Filled(clip, fill), hidden);
    OccludeCuboid(clip, rows, cuboid, true, Filled(clip, fill), only);
    for (int t = 0; t < frames; ++t)
      for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
          const bool in_frames = t >= cuboid.frame0 && t < cuboid.frame0 + cuboid.frames;
          const bool inside =
              in_frames && r >= cuboid.square.row0 && r < cuboid.square.row0 + cuboid.square.rows &&
              c >= cuboid.square.col0 && c < cuboid.square.col0 + cuboid.square.cols;
          const cv::Vec3f original = clip.at<cv::Vec3f>(t * rows + r, c);
          EXPECT_EQ(hidden.at<cv::Vec3f>(t * rows + r, c), inside ? fill : original);
          EXPECT_EQ(only.at<cv::Vec3f>(t * rows + r, c), inside ? original : fill);
        }
  }
}

TEST(OccludeCuboidTest, OneFrameClipIsExactlyOccludeBox) {
  cv::Mat image(12, 10, CV_32FC3);
  cv::randu(image, 0.0, 1.0);
  const PixelBox box = SquareBox(3, 8, 5, 12, 10);
  for (const bool keep_only : {false, true}) {
    cv::Mat expected, actual;
    OccludeBox(image, box, keep_only, Filled(image, cv::Vec3f(0, 0, 0)), expected);
    OccludeCuboid(image, 12, Cuboid{box, 0, 1}, keep_only, Filled(image, cv::Vec3f(0, 0, 0)),
                  actual);
    EXPECT_EQ(cv::norm(expected, actual, cv::NORM_INF), 0.0);
  }
}

}  // namespace
}  // namespace borex::mask
