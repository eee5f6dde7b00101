#include "borex/mask/segments.h"

#include <gtest/gtest.h>

#include <map>
#include <opencv2/imgproc.hpp>

namespace borex::mask {
namespace {

// Three flat regions: a red left half, a blue right half, and a green square across the border.
cv::Mat ThreeRegions() {
  cv::Mat image(40, 60, CV_8UC3, cv::Scalar(0, 0, 200));
  image.colRange(30, 60).setTo(cv::Scalar(200, 0, 0));
  image(cv::Rect(20, 10, 20, 16)).setTo(cv::Scalar(0, 200, 0));
  return image;
}

// The smoothing before segmenting (σ = 0.8) blends colours across an edge, and the blend may form
// thin segments of its own: the regions' interiors, 3 pixels from any edge, are compared.
TEST(SegmentLabelsTest, FlatRegionsAreOneSegmentEach) {
  const cv::Mat image = ThreeRegions();
  const cv::Mat labels = SegmentLabels(image, SegmentOptions{});
  ASSERT_EQ(labels.type(), CV_32SC1);
  ASSERT_EQ(labels.size(), image.size());
  cv::Mat edges;
  cv::Canny(image, edges, 10, 20);
  cv::dilate(edges, edges, cv::Mat(), cv::Point(-1, -1), 3);
  std::map<int, int> label_of;  // colour key -> label
  for (int r = 0; r < image.rows; ++r)
    for (int c = 0; c < image.cols; ++c) {
      if (edges.at<uchar>(r, c) != 0) continue;
      const cv::Vec3b& colour = image.at<cv::Vec3b>(r, c);
      const int key = colour[0] + 2 * colour[1] + 3 * colour[2];
      const auto [it, inserted] = label_of.emplace(key, labels.at<int>(r, c));
      EXPECT_EQ(it->second, labels.at<int>(r, c)) << r << "," << c;
    }
  ASSERT_EQ(label_of.size(), 3u);
  EXPECT_NE(label_of.begin()->second, std::next(label_of.begin())->second);
  EXPECT_NE(label_of.begin()->second, label_of.rbegin()->second);
  EXPECT_NE(std::next(label_of.begin())->second, label_of.rbegin()->second);
  // The same partition from the float image in [0, 1].
  cv::Mat unit;
  image.convertTo(unit, CV_32FC3, 1.0 / 255);
  EXPECT_EQ(cv::countNonZero(SegmentLabels(unit, SegmentOptions{}) != labels), 0);
}

// A clip's frames are segmented one by one, each frame's labels after the previous frame's: no
// segment crosses from one frame into the next.
TEST(SegmentLabelsTest, AClipsFramesAreSegmentedOnTheirOwn) {
  cv::Mat second = ThreeRegions();
  second(cv::Rect(0, 0, 60, 12)).setTo(cv::Scalar(90, 90, 90));
  cv::Mat clip;
  cv::vconcat(ThreeRegions(), second, clip);
  const cv::Mat labels = SegmentLabels(clip, SegmentOptions{}, 2);
  ASSERT_EQ(labels.size(), clip.size());
  const cv::Mat first_alone = SegmentLabels(ThreeRegions(), SegmentOptions{});
  const cv::Mat second_alone = SegmentLabels(second, SegmentOptions{});
  double first_highest = 0, highest = 0;
  cv::minMaxLoc(first_alone, nullptr, &first_highest);
  EXPECT_EQ(cv::norm(labels.rowRange(0, 40), first_alone, cv::NORM_INF), 0.0);
  cv::Mat shifted = second_alone + static_cast<int>(first_highest) + 1;
  EXPECT_EQ(cv::norm(labels.rowRange(40, 80), shifted, cv::NORM_INF), 0.0);
  cv::minMaxLoc(labels, nullptr, &highest);
  double second_highest = 0;
  cv::minMaxLoc(second_alone, nullptr, &second_highest);
  EXPECT_EQ(highest, first_highest + 1 + second_highest);  // labels 0 .. count − 1, none skipped
}

TEST(SegmentLabelsTest, LargerScaleGivesFewerSegments) {
  // A noisy gradient: no flat regions, so the scale decides how far segments grow.
  cv::Mat image(48, 48, CV_8UC3);
  cv::randu(image, 0, 60);
  for (int c = 0; c < image.cols; ++c) image.col(c) += cv::Scalar::all(4 * c);
  const auto count = [&](double scale) {
    SegmentOptions options;
    options.scale = scale;
    options.merge_below = 0;
    double highest = 0;
    cv::minMaxLoc(SegmentLabels(image, options), nullptr, &highest);
    return static_cast<int>(highest) + 1;
  };
  EXPECT_GT(count(10), count(1000));
}

TEST(SegmentAverageTest, EveryPixelIsItsSegmentsMean) {
  const cv::Mat labels = (cv::Mat_<int>(2, 3) << 0, 0, 1, 2, 1, 1);
  const cv::Mat map = (cv::Mat_<float>(2, 3) << 1, 3, 10, 7, 20, 30);
  const cv::Mat expected = (cv::Mat_<float>(2, 3) << 2, 2, 20, 7, 20, 20);
  EXPECT_EQ(cv::norm(SegmentAverage(map, labels), expected, cv::NORM_INF), 0.0);
}

// Both forms on one map, whose segments' means are (2, 2, 20; 7, 20, 20).
TEST(SegmentBlendTest, BlendMovesEveryPixelAndRaiseOnlyThoseBelowTheirSegmentsMean) {
  const cv::Mat labels = (cv::Mat_<int>(2, 3) << 0, 0, 1, 2, 1, 1);
  const cv::Mat map = (cv::Mat_<float>(2, 3) << 1, 3, 10, 7, 20, 30);
  const auto distance = [&](double weight, SegmentForm form, const cv::Mat& expected) {
    return cv::norm(SegmentBlend(map, labels, weight, form), expected, cv::NORM_INF);
  };
  // blend: 0.75·map + 0.25·means
  const cv::Mat blended = (cv::Mat_<float>(2, 3) << 1.25f, 2.75f, 12.5f, 7, 20, 27.5f);
  EXPECT_LT(distance(0.25, SegmentForm::kBlend, blended), 1e-5);
  EXPECT_EQ(distance(0, SegmentForm::kBlend, map), 0.0);
  EXPECT_LT(distance(1, SegmentForm::kBlend, SegmentAverage(map, labels)), 1e-6);
  // raise: map + 0.25·max(0, means − map): 1 → 1.25, 10 → 12.5; 3, 7, 20 and 30 stay.
  const cv::Mat raised = (cv::Mat_<float>(2, 3) << 1.25f, 3, 12.5f, 7, 20, 30);
  EXPECT_LT(distance(0.25, SegmentForm::kRaise, raised), 1e-5);
  const cv::Mat highest = (cv::Mat_<float>(2, 3) << 2, 3, 20, 7, 20, 30);  // max(map, means)
  EXPECT_LT(distance(1, SegmentForm::kRaise, highest), 1e-6);
}

}  // namespace
}  // namespace borex::mask
