// Rendering saliency maps for people. By default a map is min-max normalised and drawn with the
// JET colour map, blended over the image at alpha 0.5: what pytorch-grad-cam's
// show_cam_on_image and the BOREx authors' matplotlib imshow(cmap='jet', alpha=0.5) show, so
// an all-negative or tiny map still shows its ranking. RenderOptions::Signed() is the diverging
// white-centred view, in which the sign of a map (evidence for vs against the label) is visible
// and zero is neutral.
//
// A rendering takes two steps: the normalisation turns a value v into a position u in [0, 1]
// along the colour map, u = (clamp(v, low, high) - low) / (high - low) over a ValueRange, and the
// colour map turns u into a colour. A range of zero width (a constant map) draws u = 0, the
// colour map's first colour, everywhere; with kSigned it is an all-zero map and draws u = 0.5,
// the middle (white for kDiverging). NaN and infinite values take no part in the range; the heat
// map draws them mid-grey (128,128,128), the overlay leaves the image's own pixel there.
#pragma once

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <optional>
#include <string>

namespace borex::io {

enum class Colormap {
  kJet,       // OpenCV's COLORMAP_JET (blue, cyan, yellow, red), as matplotlib's 'jet'
  kTurbo,     // COLORMAP_TURBO: JET's order, perceptually smoother
  kViridis,   // COLORMAP_VIRIDIS: perceptually uniform, readable in grey and by colour-blind eyes
  kDiverging  // blue (u = 0), white (u = 0.5), red (u = 1), linear in |2u - 1|
};
enum class Normalization {
  kMinMax,      // [min, max] of the finite values
  kPercentile,  // min-max after clipping the highest outlier_percent % of the finite values
  kSigned       // [-m, m], m = max |v|: zero stays in the middle
};

Colormap ParseColormap(const std::string& name);  // jet | turbo | viridis | diverging
std::string ColormapName(Colormap colormap);
Normalization ParseNormalization(const std::string& name);  // minmax | percentile | signed
std::string NormalizationName(Normalization normalization);

// The values a rendering's colours span: `low` gets the colour map's first colour, `high` its
// last; values outside are clamped.
struct ValueRange {
  double low = 0, high = 0;
};

// How a map is drawn; the defaults are min-max JET over the image at alpha 0.5.
struct RenderOptions {
  Colormap colormap = Colormap::kJet;
  Normalization normalize = Normalization::kMinMax;
  // kPercentile: of the n finite values, the floor(n * outlier_percent / 100) highest are clipped
  // to the next highest one, so a few extreme values do not wash out the rest. (Captum's
  // visualize_image_attr clips by a cumulative sum of |v| instead of a count; a count does not
  // depend on the sign of the map.) In [0, 100).
  double outlier_percent = 2;
  // Overlay opacity in [0, 1]: overlay = (1 - alpha) * image + alpha * colour. kDiverging keeps
  // the signed view's own rule: alpha * |2u - 1| towards pure red or blue, so zero leaves the
  // image as it is (blending with its whitish colours would fade weak values twice).
  double alpha = 0.5;
  // Append a legend strip on the right: the colour scale, top = high, and the values of the
  // range's ends and middle as text.
  bool colorbar = false;

  // The signed diverging view (kDiverging, kSigned), for maps whose sign is their meaning.
  static RenderOptions Signed();
  void Check() const;             // OptionError naming --outlier-percent or --overlay-alpha
  nlohmann::json ToJson() const;  // every option by name
};

// The range the options' normalisation gives over the map's finite values ({0, 0} if none).
ValueRange ColourRange(const cv::Mat& map, const RenderOptions& options = {});

// The map (one channel, any depth) as a CV_8UC3 BGR image of its size (plus the colour bar), its
// colours spanning `range` (default: ColourRange(map, options)). Give one explicit range to
// compare several maps on the same colour scale.
cv::Mat RenderHeatmap(const cv::Mat& map, const RenderOptions& options = {},
                      const std::optional<ValueRange>& range = std::nullopt);

// The image (CV_32FC3 RGB in [0, 1]) with the map blended over it, as CV_8UC3 BGR of the image's
// size (plus the colour bar). The range is the map's as given (before the map is resized
// bilinearly to the image's size, if its size differs).
cv::Mat RenderOverlay(const cv::Mat& image_rgb, const cv::Mat& map,
                      const RenderOptions& options = {},
                      const std::optional<ValueRange>& range = std::nullopt);

}  // namespace borex::io
