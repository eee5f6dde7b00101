#include "borex/mask/segments.h"

#include <algorithm>
#include <cmath>
#include <opencv2/ximgproc/segmentation.hpp>
#include <vector>

#include "borex/core/error.h"

namespace borex::mask {

cv::Mat SegmentLabels(const cv::Mat& image, const SegmentOptions& options, int frames) {
  BOREX_CHECK(!image.empty() && image.channels() == 3);
  BOREX_CHECK(frames > 0 && image.rows % frames == 0);
  cv::Mat bytes;
  image.convertTo(bytes, CV_8UC3, image.depth() == CV_8U ? 1.0 : 255.0);
  const int rows = image.rows / frames;
  const auto segmenter = cv::ximgproc::segmentation::createGraphSegmentation(
      options.sigma, static_cast<float>(options.scale),
      std::max(1, static_cast<int>(
                      std::lround(options.merge_below * static_cast<double>(rows * image.cols)))));
  cv::Mat labels(image.size(), CV_32SC1);
  int next = 0;  // the first label of the next frame
  for (int n = 0; n < frames; ++n) {
    cv::Mat frame_labels;
    segmenter->processImage(bytes.rowRange(n * rows, (n + 1) * rows), frame_labels);
    double highest = 0;
    cv::minMaxLoc(frame_labels, nullptr, &highest);
    frame_labels += next;
    frame_labels.copyTo(labels.rowRange(n * rows, (n + 1) * rows));
    next += static_cast<int>(highest) + 1;
  }
  return labels;
}

cv::Mat SegmentAverage(const cv::Mat& map, const cv::Mat& labels) {
  BOREX_CHECK(map.type() == CV_32FC1 && labels.type() == CV_32SC1 && map.size() == labels.size());
  double highest = 0;
  cv::minMaxLoc(labels, nullptr, &highest);
  std::vector<double> sum(static_cast<size_t>(highest) + 1, 0.0);
  std::vector<long> count(sum.size(), 0);
  for (int r = 0; r < map.rows; ++r)
    for (int c = 0; c < map.cols; ++c) {
      const auto label = static_cast<size_t>(labels.at<int>(r, c));
      sum[label] += map.at<float>(r, c);
      ++count[label];
    }
  cv::Mat average(map.size(), CV_32FC1);
  for (int r = 0; r < map.rows; ++r)
    for (int c = 0; c < map.cols; ++c) {
      const auto label = static_cast<size_t>(labels.at<int>(r, c));
      average.at<float>(r, c) = static_cast<float>(sum[label] / static_cast<double>(count[label]));
    }
  return average;
}

cv::Mat SegmentBlend(const cv::Mat& map, const cv::Mat& labels, double weight, SegmentForm form) {
  BOREX_CHECK(weight >= 0 && weight <= 1);
  const cv::Mat means = SegmentAverage(map, labels);
  // kRaise: (1 − w)·map + w·max(map, m) = map + w·max(0, m − map).
  const cv::Mat target = form == SegmentForm::kBlend ? means : cv::max(map, means);
  cv::Mat blended;
  cv::addWeighted(map, 1 - weight, target, weight, 0, blended);
  return blended;
}

}  // namespace borex::mask
