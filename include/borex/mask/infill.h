// Counterfactual in-fill: what the pixels that a mask hides become, everywhere borex hides pixels
// (RISE's random masks, BOREx's square and cuboid masks and their flips, the insertion and
// deletion curves of the metrics). Hiding happens in pixel space, on the RGB [0, 1] image (or
// stacked clip) before the model's normalisation. Every in-fill works on a stacked clip frame by
// frame: blur and inpaint never mix pixels of different frames.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <string>

#include "borex/mask/square_mask.h"

namespace borex::mask {

enum class Infill {
  kBlack,    // RGB (0, 0, 0): the BOREx paper
  kMean,     // the model's mean colour: 0 after normalisation, the BOREx authors' code
  kBlur,     // the image blurred (Gaussian 11x11, sigma 5): RISE's insertion substrate
  kNoise,    // uniform [0, 1] RGB noise, one draw per pixel from a seed
  kInpaint,  // cv::inpaint (Telea) of the hidden pixels from the visible ones
};
// "black" | "mean" | "blur" | "noise" | "inpaint";
// OptionError(option, "'x' is not one of black, mean, blur, noise, inpaint") otherwise.
Infill ParseInfill(const std::string& name, const std::string& option);
std::string InfillName(Infill infill);
// True for every in-fill but inpaint: the fill image does not depend on which pixels are hidden,
// so a soft-masked image m·x + (1−m)·fill is differentiable in m (FIDO and Opti-CAM need this).
bool InfillIsMaskIndependent(Infill infill);

// What the hidden pixels of one image (or stacked video clip: frames of frame_rows rows stacked
// vertically, CV_32FC3 RGB in [0,1]) become.
class Infiller {
 public:
  // model_mean: model::ModelInfo::mean (RGB [0,1]); seed: draws the noise image (deterministic).
  Infiller(const cv::Mat& image, Infill infill, const cv::Vec3f& model_mean, int frame_rows,
           std::uint64_t seed);

  Infill infill() const { return infill_; }
  const cv::Mat& image() const { return image_; }

  // The fill image of a mask-independent in-fill: black 0; mean the model's mean colour (0 after
  // the model's normalisation, as in the BOREx authors' code); blur GaussianBlur 11x11 sigma 5
  // frame by frame (RISE's insertion substrate); noise uniform [0,1] RGB per pixel drawn once
  // from seed. BOREX_CHECK-fails for inpaint.
  const cv::Mat& fill() const;

  // The fill for a given hidden region (CV_8UC1 of the image's size, nonzero = hidden): fill()
  // for the mask-independent in-fills (shared, not copied); for inpaint, cv::inpaint
  // (INPAINT_TELEA, radius 5, on the 8-bit image, frame by frame) from the visible pixels — a
  // frame with no visible pixel gets the model's mean colour; its visible pixels are the image's.
  // Cost of inpaint: one cv::inpaint per frame with hidden and visible pixels, roughly
  // proportional to the number of hidden pixels times the radius squared.
  cv::Mat FillFor(const cv::Mat& hidden) const;

  // out = keep·image + (1 − keep)·fill for a soft mask keep (CV_32FC1 in [0,1], 1 = keep, RISE's
  // masks); for inpaint the hidden region given to FillFor is keep < 0.5. out may be reused.
  void Apply(const cv::Mat& keep, cv::Mat& out) const;

  // A hard mask (CV_8UC1, nonzero = hidden): out = the image where visible, FillFor(hidden)
  // where hidden (bit for bit both). The insertion and deletion curves use it at every step; for
  // inpaint that is one FillFor per step (see its cost). out may be reused.
  void ApplyHidden(const cv::Mat& hidden, cv::Mat& out) const;

  // BOREx's cuboid masks (OccludeCuboid) filled from this in-fill: the cuboid hidden
  // (keep_only_cuboid = false: i ⊙ m) or everything but the cuboid hidden (true: i ⊙ m̄); for
  // inpaint the hidden region given to FillFor is the cuboid, or its complement. out may be
  // reused.
  void ApplyCuboid(const Cuboid& cuboid, bool keep_only_cuboid, cv::Mat& out) const;

 private:
  cv::Mat image_;
  Infill infill_;
  cv::Vec3f mean_;
  int frame_rows_;
  cv::Mat fill_;  // empty for inpaint
};

// out = keep·image + (1 − keep)·fill pixel by pixel (keep CV_32FC1, image and fill CV_32FC3 of
// one size): exactly the image where keep = 1 and exactly the fill where keep = 0.
void Blend(const cv::Mat& image, const cv::Mat& fill, const cv::Mat& keep, cv::Mat& out);

}  // namespace borex::mask
