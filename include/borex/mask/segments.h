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
// `image` is CV_32FC3 in [0, 1] or CV_8UC3. Deterministic. A stacked clip of `frames` frames:
// each frame segmented on its own (merge_below a fraction of one frame), its labels after the
// previous frame's, so that no segment crosses from one frame into the next.
cv::Mat SegmentLabels(const cv::Mat& image, const SegmentOptions& options, int frames = 1);

// Each pixel of `map` (CV_32FC1, the labels' size) replaced by the mean of its segment.
cv::Mat SegmentAverage(const cv::Mat& map, const cv::Mat& labels);

// How SegmentBlend moves a map towards its segments' means m (weight w in [0, 1]):
//   kBlend: (1 − w)·map + w·m, every pixel towards its segment's mean, down as well as up;
//   kRaise: map + w·max(0, m − map), only the pixels below their segment's mean, upwards, so
//           that what the map puts outside an object (a halo over a low segment) stays.
enum class SegmentForm { kBlend, kRaise };

// A map whose ranking takes a segment more nearly whole as the weight grows, keeping its own
// order within a segment for weight < 1.
cv::Mat SegmentBlend(const cv::Mat& map, const cv::Mat& labels, double weight, SegmentForm form);

}  // namespace borex::mask
