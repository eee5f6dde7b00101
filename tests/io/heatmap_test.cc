#include "borex/io/heatmap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <vector>

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
const RenderOptions kSigned = RenderOptions::Signed();

RenderOptions Alpha(RenderOptions options, double alpha) {
  options.alpha = alpha;
  return options;
}

TEST(HeatmapTest, SignGivesHueAndZeroIsWhite) {
  const cv::Mat heat = RenderHeatmap(Row({2.f, -2.f, 0.f, 1.f, -1.f, 0.5f}), kSigned);
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
  const cv::Mat heat = RenderHeatmap(map, kSigned), mirrored = RenderHeatmap(-map, kSigned);
  for (int r = 0; r < map.rows; ++r)
    for (int c = 0; c < map.cols; ++c) {
      const cv::Vec3b &a = heat.at<cv::Vec3b>(r, c), &b = mirrored.at<cv::Vec3b>(r, c);
      ASSERT_EQ(a, cv::Vec3b(b[2], b[1], b[0])) << r << "," << c;
    }
}

TEST(HeatmapTest, IntensityIsMonotoneInValue) {
  const cv::Mat heat = RenderHeatmap(Row({0.f, 0.1f, 0.3f, 0.6f, 1.f}), kSigned);
  for (int c = 1; c < 5; ++c)
    EXPECT_LT(heat.at<cv::Vec3b>(0, c)[1], heat.at<cv::Vec3b>(0, c - 1)[1]);
}

TEST(HeatmapTest, AllZeroMapIsAllWhite) {
  const cv::Mat heat = RenderHeatmap(cv::Mat::zeros(5, 4, CV_32FC1), kSigned);
  EXPECT_EQ(cv::countNonZero(heat.reshape(1) != 255), 0);
}

TEST(HeatmapTest, ExplicitScaleClampsAndSharesTheColourScale) {
  const cv::Mat heat = RenderHeatmap(Row({4.f, 0.25f, -1.f}), kSigned, ValueRange{-0.5, 0.5});
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 0), kRed);  // clamped
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 1), cv::Vec3b(128, 128, 255));
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 2), kBlue);
  EXPECT_THROW(RenderHeatmap(Row({1.f}), kSigned, ValueRange{1, -1}), Error);
}

TEST(HeatmapTest, NonFiniteValuesAreGreyAndDoNotSetTheScale) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const cv::Mat heat = RenderHeatmap(Row({nan, inf, 2.f, 1.f}), kSigned);
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 0), cv::Vec3b(128, 128, 128));
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 1), cv::Vec3b(128, 128, 128));
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 2), kRed);
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 3), cv::Vec3b(128, 128, 255));
}

TEST(HeatmapTest, AcceptsDoubleMaps) {
  cv::Mat map(1, 2, CV_64FC1);
  map.at<double>(0, 0) = -3;
  map.at<double>(0, 1) = 3;
  const cv::Mat heat = RenderHeatmap(map, kSigned);
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 0), kBlue);
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 1), kRed);
}

TEST(OverlayTest, ZeroSaliencyLeavesTheImageAndOutputHasImageSize) {
  cv::Mat image(28, 21, CV_32FC3);
  cv::randu(image, 0, 1);
  cv::Mat map = cv::Mat::zeros(7, 7, CV_32FC1);  // smaller than the image: resized
  map.at<float>(3, 3) = 1;
  const cv::Mat overlay = RenderOverlay(image, map, kSigned);
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
  const cv::Mat full = RenderOverlay(gray, map, Alpha(kSigned, 1.0));
  EXPECT_EQ(full.at<cv::Vec3b>(0, 0), kRed);
  EXPECT_EQ(full.at<cv::Vec3b>(0, 1), kBlue);
  EXPECT_EQ(full.at<cv::Vec3b>(0, 2), cv::Vec3b(128, 128, 128));
  const cv::Mat half = RenderOverlay(gray, map, Alpha(kSigned, 0.5));
  // 0.5 * 0.5 + 0.5 * 1 = 0.75 -> 191; 0.5 * 0.5 = 0.25 -> 64.
  EXPECT_EQ(half.at<cv::Vec3b>(0, 0), cv::Vec3b(64, 64, 191));
  EXPECT_EQ(half.at<cv::Vec3b>(0, 1), cv::Vec3b(191, 64, 64));
  const cv::Mat none = RenderOverlay(gray, map, Alpha(kSigned, 0.0));
  EXPECT_EQ(none.at<cv::Vec3b>(0, 0), cv::Vec3b(128, 128, 128));
}

TEST(OverlayTest, RejectsOpacityOutsideUnitInterval) {
  const cv::Mat gray(1, 1, CV_32FC3, cv::Scalar::all(0.5));
  EXPECT_THROW(RenderOverlay(gray, Row({1.f}), Alpha(kSigned, 1.5)), OptionError);
  EXPECT_THROW(RenderOverlay(gray, Row({1.f}), Alpha(kSigned, -0.1)), OptionError);
  EXPECT_THROW(RenderOverlay(gray, Row({1.f}), Alpha(kSigned, std::nan(""))), OptionError);
}

// OpenCV's colour map `colormap` at `level` (0..255), computed on its own.
cv::Vec3b OpenCvColour(int colormap, int level) {
  const cv::Mat pixel(1, 1, CV_8UC1, cv::Scalar(level));
  cv::Mat colour;
  cv::applyColorMap(pixel, colour, colormap);
  return colour.at<cv::Vec3b>(0, 0);
}

const std::pair<Colormap, int> kOpenCvMaps[] = {{Colormap::kJet, cv::COLORMAP_JET},
                                                {Colormap::kTurbo, cv::COLORMAP_TURBO},
                                                {Colormap::kViridis, cv::COLORMAP_VIRIDIS}};

TEST(HeatmapTest, DefaultIsMinMaxJetSoAnAllNegativeMapShowsItsRanking) {
  // Tiny and all negative, as BOREx maps often are.
  const cv::Mat map = Row({-5e-4f, -3e-4f, -1e-6f, -4e-4f});
  const cv::Mat heat = RenderHeatmap(map);
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 0), OpenCvColour(cv::COLORMAP_JET, 0));    // minimum
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 2), OpenCvColour(cv::COLORMAP_JET, 255));  // maximum
  // -3e-4: u = (5 - 3) / (5 - 0.01) = 0.4008 -> level 102.
  EXPECT_EQ(heat.at<cv::Vec3b>(0, 1), OpenCvColour(cv::COLORMAP_JET, 102));
  const ValueRange range = ColourRange(map);
  EXPECT_FLOAT_EQ(range.low, -5e-4f);
  EXPECT_FLOAT_EQ(range.high, -1e-6f);
}

TEST(HeatmapTest, EachOpenCvColourMapSpansTheRange) {
  const cv::Mat map = Row({3.f, 1.f, 2.f});
  for (const auto& [colormap, opencv] : kOpenCvMaps) {
    RenderOptions options;
    options.colormap = colormap;
    const cv::Mat heat = RenderHeatmap(map, options);
    EXPECT_EQ(heat.at<cv::Vec3b>(0, 0), OpenCvColour(opencv, 255)) << ColormapName(colormap);
    EXPECT_EQ(heat.at<cv::Vec3b>(0, 1), OpenCvColour(opencv, 0)) << ColormapName(colormap);
    EXPECT_EQ(heat.at<cv::Vec3b>(0, 2), OpenCvColour(opencv, 128)) << ColormapName(colormap);
  }
}

TEST(HeatmapTest, ConstantMapDrawsTheFirstColourEverywhere) {
  const cv::Mat map(3, 4, CV_32FC1, cv::Scalar(7.5));
  for (const Normalization normalize : {Normalization::kMinMax, Normalization::kPercentile}) {
    RenderOptions options;
    options.normalize = normalize;
    const ValueRange range = ColourRange(map, options);
    EXPECT_EQ(range.low, 7.5);
    EXPECT_EQ(range.high, 7.5);
    const cv::Mat heat = RenderHeatmap(map, options);
    const cv::Mat first(heat.size(), CV_8UC3, OpenCvColour(cv::COLORMAP_JET, 0));
    EXPECT_EQ(cv::norm(heat, first, cv::NORM_INF), 0) << NormalizationName(normalize);
  }
  // Signed, a constant map is not of zero width: 7.5 is the top of [-7.5, 7.5].
  EXPECT_EQ(RenderHeatmap(map, kSigned).at<cv::Vec3b>(1, 1), kRed);
}

TEST(HeatmapTest, NonFiniteValuesNeverGetAColour) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const cv::Mat map = Row({nan, inf, -inf, 2.f, 1.f});
  const cv::Mat image(1, 5, CV_32FC3, cv::Scalar(0.2f, 0.4f, 0.6f));
  const cv::Vec3b image_bgr(153, 102, 51);
  for (const Normalization normalize :
       {Normalization::kMinMax, Normalization::kPercentile, Normalization::kSigned})
    for (const Colormap colormap :
         {Colormap::kJet, Colormap::kTurbo, Colormap::kViridis, Colormap::kDiverging}) {
      RenderOptions options;
      options.normalize = normalize;
      options.colormap = colormap;
      const ValueRange range = ColourRange(map, options);
      EXPECT_TRUE(std::isfinite(range.low) && std::isfinite(range.high));
      const cv::Mat heat = RenderHeatmap(map, options),
                    overlay = RenderOverlay(image, map, options);
      for (int c = 0; c < 3; ++c) {
        EXPECT_EQ(heat.at<cv::Vec3b>(0, c), cv::Vec3b(128, 128, 128)) << c;
        EXPECT_EQ(overlay.at<cv::Vec3b>(0, c), image_bgr) << c;
      }
    }
  const cv::Mat none = Row({nan, inf});
  EXPECT_EQ(ColourRange(none).low, 0);
  EXPECT_EQ(ColourRange(none).high, 0);
  EXPECT_EQ(cv::countNonZero(RenderHeatmap(none).reshape(1) != 128), 0);
}

TEST(HeatmapTest, PercentileClipsExactlyTheStatedFraction) {
  for (const int seed : {1, 2, 3}) {
    cv::Mat map(10, 23, CV_32FC1);
    cv::RNG rng(seed);
    rng.fill(map, cv::RNG::NORMAL, 0, 1);
    map.at<float>(2, 2) = std::numeric_limits<float>::quiet_NaN();  // not counted
    for (const double percent : {0.0, 2.0, 5.0, 12.5}) {
      RenderOptions options;
      options.normalize = Normalization::kPercentile;
      options.outlier_percent = percent;
      const ValueRange range = ColourRange(map, options);
      // Independently: the finite values sorted, highest first.
      std::vector<float> values;
      for (int i = 0; i < static_cast<int>(map.total()); ++i)
        if (std::isfinite(map.at<float>(i))) values.push_back(map.at<float>(i));
      std::sort(values.begin(), values.end(), std::greater<>());
      const auto clipped = static_cast<long>(std::floor(values.size() * percent / 100));
      EXPECT_EQ(range.high, values[clipped]) << percent;
      EXPECT_EQ(range.low, values.back());
      EXPECT_EQ(
          std::count_if(values.begin(), values.end(), [&](float v) { return v > range.high; }),
          clipped)
          << percent;
      // Every clipped value gets the top colour.
      const cv::Mat heat = RenderHeatmap(map, options);
      for (int i = 0; i < static_cast<int>(map.total()); ++i)
        if (map.at<float>(i) >= range.high)
          EXPECT_EQ(heat.at<cv::Vec3b>(i / map.cols, i % map.cols),
                    OpenCvColour(cv::COLORMAP_JET, 255));
    }
  }
}

TEST(OverlayTest, AlphaBlendEqualsTheFormulaPerPixel) {
  for (const int seed : {4, 5}) {
    cv::RNG rng(seed);
    cv::Mat image(6, 5, CV_32FC3), map(6, 5, CV_32FC1);
    rng.fill(image, cv::RNG::UNIFORM, 0, 1);
    rng.fill(map, cv::RNG::UNIFORM, -3, -1);
    for (const double alpha : {0.0, 0.3, 0.5, 1.0}) {
      RenderOptions options;
      options.alpha = alpha;
      const cv::Mat overlay = RenderOverlay(image, map, options);
      double low = 0, high = 0;
      cv::minMaxLoc(map, &low, &high);
      for (int r = 0; r < map.rows; ++r)
        for (int c = 0; c < map.cols; ++c) {
          const double u = (map.at<float>(r, c) - low) / (high - low);
          const cv::Vec3b colour = OpenCvColour(cv::COLORMAP_JET, cvRound(255 * u));
          const cv::Vec3f rgb = image.at<cv::Vec3f>(r, c);
          for (int k = 0; k < 3; ++k) {  // BGR
            const double expected = (1 - alpha) * 255 * rgb[2 - k] + alpha * colour[k];
            EXPECT_LE(std::abs(overlay.at<cv::Vec3b>(r, c)[k] - expected), 0.5 + 1e-3)
                << r << "," << c << " alpha " << alpha;
          }
        }
    }
  }
}

TEST(OverlayTest, AMapSmallerThanTheImageIsInterpolatedLinearlyBetweenPixelCentres) {
  // A 1 x 2 map [0, 1] over a 1 x 4 image: at the image's pixel centres the map reads 0, 0.25,
  // 0.75 and 1 (centres at 0.25, 0.75, 1.25, 1.75 map pixels, clamped at the ends); the colours
  // are those of the map's own range, [0, 1].
  cv::Mat map(1, 2, CV_32FC1);
  map.at<float>(0, 0) = 0;
  map.at<float>(0, 1) = 1;
  const cv::Mat image(1, 4, CV_32FC3, cv::Scalar::all(0.5));
  RenderOptions options;
  options.alpha = 1;
  const cv::Mat overlay = RenderOverlay(image, map, options);
  const double read[] = {0, 0.25, 0.75, 1};
  for (int c = 0; c < 4; ++c)
    EXPECT_EQ(overlay.at<cv::Vec3b>(0, c), OpenCvColour(cv::COLORMAP_JET, cvRound(255 * read[c])))
        << c;
}

TEST(HeatmapTest, ColorbarAppendsTheScaleWithoutChangingTheMap) {
  cv::Mat map(120, 90, CV_32FC1);
  cv::randu(map, -2, 5);
  RenderOptions options;
  options.colorbar = true;
  const cv::Mat plain = RenderHeatmap(map), legend = RenderHeatmap(map, options);
  ASSERT_EQ(legend.rows, map.rows);
  ASSERT_GT(legend.cols, map.cols);
  EXPECT_EQ(cv::norm(legend.colRange(0, map.cols), plain, cv::NORM_INF), 0);
  // The bar (from 2 px into the strip): top = the last colour, bottom = the first.
  const int bar = map.cols + 4;
  EXPECT_EQ(legend.at<cv::Vec3b>(0, bar), OpenCvColour(cv::COLORMAP_JET, 255));
  EXPECT_EQ(legend.at<cv::Vec3b>(map.rows - 1, bar), OpenCvColour(cv::COLORMAP_JET, 0));
  // The labels: dark text right of the bar.
  cv::Mat labels;
  cv::cvtColor(legend.colRange(map.cols + 16, legend.cols), labels, cv::COLOR_BGR2GRAY);
  EXPECT_GT(cv::countNonZero(labels < 100), 10);
  const cv::Mat image(120, 90, CV_32FC3, cv::Scalar::all(0.5));
  EXPECT_EQ(RenderOverlay(image, map, options).size(), legend.size());
}

TEST(HeatmapTest, NamesAndOptionsAreChecked) {
  EXPECT_EQ(ParseColormap("turbo"), Colormap::kTurbo);
  EXPECT_EQ(ParseNormalization("percentile"), Normalization::kPercentile);
  EXPECT_THROW(ParseColormap("hot"), OptionError);
  EXPECT_THROW(ParseNormalization("max"), OptionError);
  for (const double percent : {-1.0, 100.0, std::nan("")}) {
    RenderOptions options;
    options.outlier_percent = percent;
    EXPECT_THROW(options.Check(), OptionError) << percent;
  }
  const nlohmann::json json = RenderOptions::Signed().ToJson();
  EXPECT_EQ(json["colormap"], "diverging");
  EXPECT_EQ(json["normalize"], "signed");
  EXPECT_EQ(json["alpha"], 0.5);
}

}  // namespace
}  // namespace borex::io
