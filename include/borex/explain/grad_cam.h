// Grad-CAM (Selvaraju et al., ICCV 2017) and Grad-CAM++ (Chattopadhay et al., WACV 2018) on any
// classifier that exposes a layer's activations A^k and gradients g^k = ∂Y_c/∂A^k of the logit.
//   Grad-CAM:   w_k = (1/Z) Σ_ij g^k_ij,  map = ReLU(Σ_k w_k A^k)
//   Grad-CAM++: α^k_ij = g² / (2g² + Σ_ab A^k_ab g³)  (0 where the denominator is 0),
//               w_k = Σ_ij α^k_ij ReLU(g^k_ij),  map = ReLU(Σ_k w_k A^k)
// Grad-CAM++'s closed form for α assumes the class score is exp(Y_c) (the paper's eq. 19):
// the higher powers of the gradient are those of exp(Y) expressed through g; it is the formula
// every public implementation uses, and we keep it for comparability.
#pragma once

#include <opencv2/core.hpp>
#include <string>

#include "borex/model/classifier.h"

namespace borex::explain {

enum class CamVariant { kGradCam, kGradCamPlusPlus };

struct GradCamOptions {
  CamVariant variant = CamVariant::kGradCam;
  std::string target_layer;  // submodule path; empty: the model's metadata target_layer
};

// The map at the layer's resolution (h x w; a 3D layer: d stacked h x w frames), before
// upsampling. For a 3D layer (Chattopadhay et al.'s video experiments; BOREx RQ3) the sums over
// positions ij run over all d·h·w positions.
cv::Mat CamFromGradients(const model::LayerGradients& layer, CamVariant variant);

// A stacked map of `depth` frames upsampled to `frames` frames of `frame_size`: bilinearly in
// each frame, then linearly in time with pixel-centre alignment (PyTorch's trilinear
// interpolation with align_corners=False). depth = frames = 1 is plain bilinear resizing.
cv::Mat UpsampleClipMap(const cv::Mat& map, int depth, int frames, const cv::Size& frame_size);

// `layer`, or the model's metadata target layer when empty (OptionError when neither is set).
std::string ResolveTargetLayer(const model::Classifier& classifier, const std::string& layer);

// The map upsampled to the image's size (video: the clip's frames, trilinearly) and divided by
// its maximum (values in [0,1]; all zero when the map is).
cv::Mat ComputeGradCam(model::Classifier& classifier, const cv::Mat& image, int label,
                       const GradCamOptions& options);

}  // namespace borex::explain
