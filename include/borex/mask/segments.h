// Masks shaped by the image itself: its segments by Felzenszwalb and Huttenlocher's graph
// segmentation (Efficient Graph-Based Image Segmentation, IJCV 2004; OpenCV ximgproc), as XRAI
// (Kapishnikov et al., ICCV 2019) segments an image to attribute regions rather than pixels.
// A mask made of segments follows the image's own edges, where a square or a level set of a
// smooth map cuts across an object and its background.
#pragma once

#include <opencv2/core.hpp>

namespace borex::mask {

struct SegmentOptions {
  // Felzenszwalb's k (larger: larger segments), for colour differences in 0..255 on the image at
  // its own size.
  double scale = 300;
  double sigma = 0.8;  // Gaussian smoothing before segmenting, pixels (XRAI's and skimage's)
  // Segments smaller than this fraction of the image are merged into a neighbour (the
  // algorithm's min_size).
  double merge_below = 0.005;
};

// The image's partition into segments: CV_32SC1 labels 0 .. count − 1, every pixel labelled.
// `image` is CV_32FC3 in [0, 1] or CV_8UC3. Deterministic.
cv::Mat SegmentLabels(const cv::Mat& image, const SegmentOptions& options);

// Each pixel of `map` (CV_32FC1, the labels' size) replaced by the mean of its segment.
cv::Mat SegmentAverage(const cv::Mat& map, const cv::Mat& labels);

}  // namespace borex::mask
