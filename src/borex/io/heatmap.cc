#include "borex/io/heatmap.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <vector>

#include "borex/core/enum_names.h"
#include "borex/core/error.h"

namespace borex::io {
namespace {

const EnumNames<Colormap> kColormaps{{Colormap::kJet, "jet"},
                                     {Colormap::kTurbo, "turbo"},
                                     {Colormap::kViridis, "viridis"},
                                     {Colormap::kDiverging, "diverging"}};
const EnumNames<Normalization> kNormalizations{{Normalization::kMinMax, "minmax"},
                                               {Normalization::kPercentile, "percentile"},
                                               {Normalization::kSigned, "signed"}};

const cv::Vec3b kNonFiniteGrey(128, 128, 128);

cv::Mat AsFloatMap(const cv::Mat& map) {
  BOREX_CHECK(!map.empty());
  BOREX_CHECK_EQ(map.channels(), 1);
  if (map.depth() == CV_32F) return map;
  cv::Mat floats;
  map.convertTo(floats, CV_32F);
  return floats;
}

std::vector<float> FiniteValues(const cv::Mat& map) {
  std::vector<float> values;
  values.reserve(map.total());
  for (int r = 0; r < map.rows; ++r) {
    const float* row = map.ptr<float>(r);
    for (int c = 0; c < map.cols; ++c)
      if (std::isfinite(row[c])) values.push_back(row[c]);
  }
  return values;
}

cv::Vec3b ToBgr8(const cv::Vec3f& rgb) {
  return {cv::saturate_cast<uchar>(255.0f * rgb[2]), cv::saturate_cast<uchar>(255.0f * rgb[1]),
          cv::saturate_cast<uchar>(255.0f * rgb[0])};
}

// Values to positions u in [0, 1] and positions to colours, for one range.
class ColourScale {
 public:
  ColourScale(const RenderOptions& options, const ValueRange& range)
      : colormap_(options.colormap), range_(range) {
    BOREX_CHECK(std::isfinite(range.low) && std::isfinite(range.high));
    BOREX_CHECK_LE(range.low, range.high);
    zero_width_position_ = options.normalize == Normalization::kSigned ? 0.5f : 0.0f;
    if (colormap_ == Colormap::kDiverging) return;
    cv::Mat ramp(1, 256, CV_8UC1);
    for (int i = 0; i < 256; ++i) ramp.at<uchar>(0, i) = static_cast<uchar>(i);
    const int opencv_map = colormap_ == Colormap::kJet     ? cv::COLORMAP_JET
                           : colormap_ == Colormap::kTurbo ? cv::COLORMAP_TURBO
                                                           : cv::COLORMAP_VIRIDIS;
    cv::applyColorMap(ramp, table_, opencv_map);
  }

  const ValueRange& range() const { return range_; }
  bool diverging() const { return colormap_ == Colormap::kDiverging; }

  // Of a finite value.
  float Position(float value) const {
    if (range_.high <= range_.low) return zero_width_position_;
    const double clamped = std::clamp(static_cast<double>(value), range_.low, range_.high);
    return static_cast<float>((clamped - range_.low) / (range_.high - range_.low));
  }

  // BGR. The diverging scale fades white towards red (t = 2u - 1 > 0) or blue (t < 0).
  cv::Vec3b Colour(float position) const {
    if (!diverging()) return table_.at<cv::Vec3b>(0, cvRound(255.0f * position));
    const float t = 2.0f * position - 1.0f;
    const uchar fade = cv::saturate_cast<uchar>(255.0f * (1.0f - std::abs(t)));
    return t >= 0 ? cv::Vec3b(fade, fade, 255) : cv::Vec3b(255, fade, fade);
  }

 private:
  Colormap colormap_;
  ValueRange range_;
  float zero_width_position_ = 0;
  cv::Mat table_;  // 1 x 256 BGR: the OpenCV colour map's colour of each level
};

std::string FormatValue(double value) {
  std::ostringstream text;
  text.precision(3);
  text << value;
  return text.str();
}

// `bgr` with a white strip on its right: the colour scale (top: the range's high end) and the
// values of the range's ends and middle.
cv::Mat AppendColorbar(const cv::Mat& bgr, const ColourScale& scale) {
  const int height = bgr.rows;
  const int pad = std::max(2, height / 50), bar = std::max(6, height / 16);
  const double font_scale = std::clamp(height / 400.0, 0.3, 0.8);
  const ValueRange& range = scale.range();
  const std::string labels[] = {FormatValue(range.high),
                                FormatValue(range.low + (range.high - range.low) / 2),
                                FormatValue(range.low)};
  int text_width = 0, baseline = 0, text_height = 0;
  for (const std::string& label : labels) {
    const cv::Size size =
        cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, font_scale, 1, &baseline);
    text_width = std::max(text_width, size.width);
    text_height = std::max(text_height, size.height);
  }
  cv::Mat strip(height, 3 * pad + bar + text_width, CV_8UC3, cv::Scalar::all(255));
  for (int y = 0; y < height; ++y) {
    const float position = height > 1 ? 1.0f - static_cast<float>(y) / (height - 1) : 1.0f;
    strip.row(y).colRange(pad, pad + bar).setTo(scale.Colour(position));
  }
  const int text_x = 2 * pad + bar;
  const int baselines[] = {pad + text_height, (height + text_height) / 2, height - pad - baseline};
  for (int i = 0; i < 3; ++i)
    cv::putText(strip, labels[i], cv::Point(text_x, baselines[i]), cv::FONT_HERSHEY_SIMPLEX,
                font_scale, cv::Scalar::all(0), 1, cv::LINE_AA);
  cv::Mat joined;
  cv::hconcat(bgr, strip, joined);
  return joined;
}

ColourScale ScaleFor(const cv::Mat& map, const RenderOptions& options,
                     const std::optional<ValueRange>& range) {
  options.Check();
  return {options, range ? *range : ColourRange(map, options)};
}

}  // namespace

Colormap ParseColormap(const std::string& name) { return kColormaps.Parse(name, "--colormap"); }
std::string ColormapName(Colormap colormap) { return kColormaps.Name(colormap); }
Normalization ParseNormalization(const std::string& name) {
  return kNormalizations.Parse(name, "--normalize");
}
std::string NormalizationName(Normalization normalization) {
  return kNormalizations.Name(normalization);
}

RenderOptions RenderOptions::Signed() {
  RenderOptions options;
  options.colormap = Colormap::kDiverging;
  options.normalize = Normalization::kSigned;
  return options;
}

void RenderOptions::Check() const {
  if (!(outlier_percent >= 0 && outlier_percent < 100))
    throw OptionError("--outlier-percent",
                      "must be in [0, 100), got " + FormatValue(outlier_percent));
  if (!(alpha >= 0 && alpha <= 1))
    throw OptionError("--overlay-alpha", "must be in [0, 1], got " + FormatValue(alpha));
}

nlohmann::json RenderOptions::ToJson() const {
  return {{"colormap", ColormapName(colormap)},
          {"normalize", NormalizationName(normalize)},
          {"outlier_percent", outlier_percent},
          {"alpha", alpha},
          {"colorbar", colorbar}};
}

ValueRange ColourRange(const cv::Mat& map, const RenderOptions& options) {
  std::vector<float> values = FiniteValues(AsFloatMap(map));
  if (values.empty()) return {};
  const auto [lowest, highest] = std::minmax_element(values.begin(), values.end());
  const double low = *lowest, high = *highest;
  switch (options.normalize) {
    case Normalization::kMinMax:
      return {low, high};
    case Normalization::kSigned: {
      const double largest = std::max(-low, high);
      return {-largest, largest};
    }
    case Normalization::kPercentile: {
      const auto clipped = static_cast<size_t>(
          std::floor(static_cast<double>(values.size()) * options.outlier_percent / 100));
      const auto threshold = values.end() - 1 - static_cast<std::ptrdiff_t>(clipped);
      std::nth_element(values.begin(), threshold, values.end());
      return {low, *threshold};
    }
  }
  throw Error("an unknown normalisation");
}

cv::Mat RenderHeatmap(const cv::Mat& map_in, const RenderOptions& options,
                      const std::optional<ValueRange>& range) {
  const cv::Mat map = AsFloatMap(map_in);
  const ColourScale scale = ScaleFor(map, options, range);
  cv::Mat heatmap(map.size(), CV_8UC3);
  for (int r = 0; r < map.rows; ++r) {
    const float* values = map.ptr<float>(r);
    auto* pixels = heatmap.ptr<cv::Vec3b>(r);
    for (int c = 0; c < map.cols; ++c)
      pixels[c] =
          std::isfinite(values[c]) ? scale.Colour(scale.Position(values[c])) : kNonFiniteGrey;
  }
  return options.colorbar ? AppendColorbar(heatmap, scale) : heatmap;
}

cv::Mat RenderOverlay(const cv::Mat& image_rgb, const cv::Mat& map_in, const RenderOptions& options,
                      const std::optional<ValueRange>& range) {
  BOREX_CHECK(!image_rgb.empty());
  BOREX_CHECK(image_rgb.type() == CV_32FC3);
  cv::Mat map = AsFloatMap(map_in);
  const ColourScale scale = ScaleFor(map, options, range);  // the map's as given
  if (map.size() != image_rgb.size()) {
    cv::Mat resized;
    cv::resize(map, resized, image_rgb.size(), 0, 0, cv::INTER_LINEAR);
    map = resized;
  }
  const auto alpha = static_cast<float>(options.alpha);
  cv::Mat overlay(image_rgb.size(), CV_8UC3);
  for (int r = 0; r < map.rows; ++r) {
    const float* values = map.ptr<float>(r);
    const auto* rgb = image_rgb.ptr<cv::Vec3f>(r);
    auto* pixels = overlay.ptr<cv::Vec3b>(r);
    for (int c = 0; c < map.cols; ++c) {
      if (!std::isfinite(values[c])) {
        pixels[c] = ToBgr8(rgb[c]);
        continue;
      }
      const float position = scale.Position(values[c]);
      if (scale.diverging()) {
        // Pure red (t > 0) or blue (t < 0), RGB order, at alpha * |t|.
        const float t = 2.0f * position - 1.0f, weight = alpha * std::abs(t);
        const cv::Vec3f tint = t >= 0 ? cv::Vec3f(1, 0, 0) : cv::Vec3f(0, 0, 1);
        pixels[c] = ToBgr8((1.0f - weight) * rgb[c] + weight * tint);
      } else {
        const cv::Vec3b bgr = scale.Colour(position);
        const cv::Vec3f colour(bgr[2] / 255.0f, bgr[1] / 255.0f, bgr[0] / 255.0f);
        pixels[c] = ToBgr8((1.0f - alpha) * rgb[c] + alpha * colour);
      }
    }
  }
  return options.colorbar ? AppendColorbar(overlay, scale) : overlay;
}

}  // namespace borex::io
