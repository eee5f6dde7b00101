// Rendering saliency maps for people: a diverging white-centred colour scale, so that the sign
// of a PN-RISE or BOREx map (evidence for vs against the label) is visible and zero is neutral.
#pragma once

#include <opencv2/core.hpp>

namespace borex::io {

// The map as a CV_8UC3 BGR image. A value v maps to t = clamp(v / scale, -1, 1); t > 0 blends
// white (255,255,255) towards pure red (BGR 0,0,255), t < 0 towards pure blue (BGR 255,0,0),
// linearly in |t| (channels rounded to nearest); t = 0 is exactly white. scale = 0 means
// max |v| over the finite values, so the strongest value is fully saturated; an all-zero map is
// all white. NaN/Inf values are drawn mid-grey (128,128,128) so they stand out. Use one explicit
// scale to compare several maps on the same colour scale.
cv::Mat RenderSignedHeatmap(const cv::Mat& map, double scale = 0);

// The image (CV_32FC3 RGB in [0, 1]) with the map laid over it, as CV_8UC3 BGR of the image's
// size (the map is resized bilinearly if its size differs). Each pixel is blended with pure red
// (t > 0) or pure blue (t < 0) at alpha = opacity * |t|, t as above: zero saliency leaves the
// pixel exactly as in the image, and the strongest value gets alpha = opacity. (Blending with
// the heat map's own colour instead would attenuate weak values twice, once through alpha and
// once through their whitish colour.) `opacity` in [0, 1]; `scale` as above.
cv::Mat RenderOverlay(const cv::Mat& image_rgb, const cv::Mat& map, double opacity = 0.5,
                      double scale = 0);

}  // namespace borex::io
