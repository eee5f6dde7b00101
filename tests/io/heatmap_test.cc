#include "borex/io/heatmap.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "borex/core/error.h"

namespace borex::io {
namespace {

cv::Mat Row(std::initializer_list<float> values) {
  cv::Mat map(1, static_cast<int>(values.size()), CV_32FC1);
  int c = 0;
  for (const float v : values) map.at<float>(0, c++) = v;
  return map;
}

const cv::Vec3b kWhite(255, 255, 255), kRed(0, 0, 255), kBlue(255, 0, 0);

TEST(HeatmapTest, SignGivesHueAndZeroIsWhite) {
  const cv::Mat heat = RenderSignedHeatmap(Row({2.f, -2.f, 0.f, 1.f, -1.f, 0.5f}));
  ASSERT_EQ(heat.type(), CV_8UC3);
  ASSERT_EQ(heat.size(), cv::Size(6, 1));
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 0), kRed);    // +max
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 1), kBlue);   // -max
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 2), kWhite);  // zero
  // t = ±0.5: halfway from white, 255 * 0.5 = 127.5 rounds to 128.
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 3), cv::Vec3b(128, 128, 255));
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 4), cv::Vec3b(255, 128, 128));
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 5), cv::Vec3b(191, 191, 255));  // t = 0.25: 191.25
}

TEST(HeatmapTest, NegatingTheMapSwapsRedAndBlue) {
  cv::Mat map(8, 9, CV_32FC1);
  cv::randn(map, 0, 1);
  const cv::Mat heat = RenderSignedHeatmap(map), mirrored = RenderSignedHeatmap(-map);
  for (int r = 0; r < map.rows; ++r)
    for (int c = 0; c < map.cols; ++c) {
      const cv::Vec3b a = heat.at<cv::Vec3b>(r, c), b = mirrored.at<cv::Vec3b>(r, c);
      ASSERT_EQ(a, cv::Vec3b(b[2], b[1], b[0])) << r << "," << c;
    }
}

TEST(HeatmapTest, IntensityIsMonotoneInValue) {
  const cv::Mat heat = RenderSignedHeatmap(Row({0.f, 0.1f, 0.3f, 0.6f, 1.f}));
  for (int c = 1; c < 5; ++c)
    EXPECT_LT(heat.at<cv::Vec3b>(0, c)[1], heat.at<cv::Vec3b>(0, c - 1)[1]);
}

TEST(HeatmapTest, AllZeroMapIsAllWhite) {
  const cv::Mat heat = RenderSignedHeatmap(cv::Mat::zeros(5, 4, CV_32FC1));
  EXPECT_EQ(cv::countNonZero(heat.reshape(1) != 255), 0);
}

TEST(HeatmapTest, ExplicitScaleClampsAndSharesTheColourScale) {
  const cv::Mat heat = RenderSignedHeatmap(Row({4.f, 0.25f, -1.f}), 0.5);
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 0), kRed);  // clamped
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 1), cv::Vec3b(128, 128, 255));
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 2), kBlue);
  EXPECT_THROW(RenderSignedHeatmap(Row({1.f}), -1), Error);
}

TEST(HeatmapTest, NonFiniteValuesAreGreyAndDoNotSetTheScale) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const cv::Mat heat = RenderSignedHeatmap(Row({nan, inf, 2.f, 1.f}));
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 0), cv::Vec3b(128, 128, 128));
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 1), cv::Vec3b(128, 128, 128));
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 2), kRed);
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 3), cv::Vec3b(128, 128, 255));
}

TEST(HeatmapTest, AcceptsDoubleMaps) {
  cv::Mat map(1, 2, CV_64FC1);
  map.at<double>(0, 0) = -3;
  map.at<double>(0, 1) = 3;
  const cv::Mat heat = RenderSignedHeatmap(map);
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 0), kBlue);
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 1), kRed);
}

TEST(OverlayTest, ZeroSaliencyLeavesTheImageAndOutputHasImageSize) {
  cv::Mat image(28, 21, CV_32FC3);
  cv::randu(image, 0, 1);
  cv::Mat map = cv::Mat::zeros(7, 7, CV_32FC1);  // smaller than the image: resized
  map.at<float>(3, 3) = 1;
  const cv::Mat overlay = RenderOverlay(image, map, 0.5);
  ASSERT_EQ(overlay.type(), CV_8UC3);
  ASSERT_EQ(overlay.size(), image.size());
  // Top-left corner: far from the salient cell, so t = 0 there: the image, as BGR8.
  const cv::Vec3f rgb = image.at<cv::Vec3f>(0, 0);
  EXPECT_EQ(overlay.at<cv::Vec3b>(0, 0), cv::Vec3b(cv::saturate_cast<uchar>(255 * rgb[2]),
                                                   cv::saturate_cast<uchar>(255 * rgb[1]),
                                                   cv::saturate_cast<uchar>(255 * rgb[0])));
}

TEST(OverlayTest, OpacityBlendsTowardsRedOrBlue) {
  const cv::Mat gray(1, 3, CV_32FC3, cv::Scalar(0.5, 0.5, 0.5));
  const cv::Mat map = Row({1.f, -1.f, 0.f});
  const cv::Mat full = RenderOverlay(gray, map, 1.0);
  EXPECT_EQ(full.at<cv::Vec3b>(0, 0), kRed);
  EXPECT_EQ(full.at<cv::Vec3b>(0, 1), kBlue);
  EXPECT_EQ(full.at<cv::Vec3b>(0, 2), cv::Vec3b(128, 128, 128));
  const cv::Mat half = RenderOverlay(gray, map, 0.5);
  // 0.5 * 0.5 + 0.5 * 1 = 0.75 -> 191; 0.5 * 0.5 = 0.25 -> 64.
  EXPECT_EQ(half.at<cv::Vec3b>(0, 0), cv::Vec3b(64, 64, 191));
  EXPECT_EQ(half.at<cv::Vec3b>(0, 1), cv::Vec3b(191, 64, 64));
  const cv::Mat none = RenderOverlay(gray, map, 0.0);
  EXPECT_EQ(none.at<cv::Vec3b>(0, 0), cv::Vec3b(128, 128, 128));
}

TEST(OverlayTest, RejectsOpacityOutsideUnitInterval) {
  const cv::Mat gray(1, 1, CV_32FC3, cv::Scalar::all(0.5));
  EXPECT_THROW(RenderOverlay(gray, Row({1.f}), 1.5), OptionError);
  EXPECT_THROW(RenderOverlay(gray, Row({1.f}), -0.1), OptionError);
  EXPECT_THROW(RenderOverlay(gray, Row({1.f}), std::nan("")), OptionError);
}

}  // namespace
}  // namespace borex::io
