#include "borex/io/heatmap.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "borex/core/error.h"

namespace borex::io {
namespace {

cv::Mat AsFloatMap(const cv::Mat& map) {
  BOREX_CHECK(!map.empty());
  BOREX_CHECK_EQ(map.channels(), 1);
  if (map.depth() == CV_32F) return map;
  cv::Mat floats;
  map.convertTo(floats, CV_32F);
  return floats;
}

// scale = 0 -> max |v| over the finite values (0 if there are none).
double ResolveScale(const cv::Mat& map, double scale) {
  BOREX_CHECK_GE(scale, 0.0);
  if (scale > 0) return scale;
  double largest = 0;
  for (int r = 0; r < map.rows; ++r) {
    const float* row = map.ptr<float>(r);
    for (int c = 0; c < map.cols; ++c)
      if (std::isfinite(row[c])) largest = std::max(largest, std::abs(static_cast<double>(row[c])));
  }
  return largest;
}

// t in [-1, 1], or NaN for a non-finite value (or when there is no scale: then 0).
float SignedLevel(float value, double scale) {
  if (!std::isfinite(value)) return NAN;
  if (scale <= 0) return 0.0f;
  return static_cast<float>(std::clamp(value / scale, -1.0, 1.0));
}

}  // namespace

cv::Mat RenderSignedHeatmap(const cv::Mat& map_in, double scale) {
  const cv::Mat map = AsFloatMap(map_in);
  scale = ResolveScale(map, scale);
  cv::Mat heatmap(map.size(), CV_8UC3);
  for (int r = 0; r < map.rows; ++r) {
    const float* values = map.ptr<float>(r);
    cv::Vec3b* pixels = heatmap.ptr<cv::Vec3b>(r);
    for (int c = 0; c < map.cols; ++c) {
      const float t = SignedLevel(values[c], scale);
      if (std::isnan(t)) {
        pixels[c] = cv::Vec3b(128, 128, 128);
        continue;
      }
      const uchar fade = cv::saturate_cast<uchar>(255.0f * (1.0f - std::abs(t)));
      pixels[c] = t >= 0 ? cv::Vec3b(fade, fade, 255) : cv::Vec3b(255, fade, fade);
    }
  }
  return heatmap;
}

cv::Mat RenderOverlay(const cv::Mat& image_rgb, const cv::Mat& map_in, double opacity,
                      double scale) {
  BOREX_CHECK(!image_rgb.empty());
  BOREX_CHECK(image_rgb.type() == CV_32FC3);
  if (!(opacity >= 0 && opacity <= 1))
    throw OptionError("overlay opacity", "must be in [0, 1], got " + std::to_string(opacity));
  cv::Mat map = AsFloatMap(map_in);
  scale = ResolveScale(map, scale);  // from the map as computed, before any resampling
  if (map.size() != image_rgb.size()) {
    cv::Mat resized;
    cv::resize(map, resized, image_rgb.size(), 0, 0, cv::INTER_LINEAR);
    map = resized;
  }
  cv::Mat overlay(image_rgb.size(), CV_8UC3);
  for (int r = 0; r < map.rows; ++r) {
    const float* values = map.ptr<float>(r);
    const cv::Vec3f* rgb = image_rgb.ptr<cv::Vec3f>(r);
    cv::Vec3b* pixels = overlay.ptr<cv::Vec3b>(r);
    for (int c = 0; c < map.cols; ++c) {
      float t = SignedLevel(values[c], scale);
      if (std::isnan(t)) t = 0;
      const float alpha = static_cast<float>(opacity) * std::abs(t);
      // Tint in RGB order: red for t > 0, blue for t < 0.
      const cv::Vec3f tint = t >= 0 ? cv::Vec3f(1, 0, 0) : cv::Vec3f(0, 0, 1);
      const cv::Vec3f blended = (1.0f - alpha) * rgb[c] + alpha * tint;
      pixels[c] = cv::Vec3b(cv::saturate_cast<uchar>(255.0f * blended[2]),
                            cv::saturate_cast<uchar>(255.0f * blended[1]),
                            cv::saturate_cast<uchar>(255.0f * blended[0]));
    }
  }
  return overlay;
}

}  // namespace borex::io
