// Opti-CAM (Torres, Zhang, Sicre, Ayache, Avrithis; CVIU 2024; seed 003): a CAM whose channel
// weights are optimised per image so that the image masked by the map keeps the class's logit.
//   A⁺_k = ReLU(A_k)          the target layer's feature maps on the unmasked image (fixed)
//   S(u) = n(U Σ_k softmax(u)_k A⁺_k)   U: upsampling to the image; n: normalisation to [0, 1]
//   u*   = argmax_u  y_c(S(u)·x + (1 − S(u))·fill)    (fill = black: the paper's x ⊙ S)
// optimised with Adam from u = 0.5·1 (uniform weights). The map is S(u*).
//
// Defaults are those of the authors' code (github.com/hanwei0912/OptiCAM, generate_opticam.py):
// 50 Adam iterations at learning rate 0.1, the "plain" loss y_c(x) − y_c(x ⊙ S) (maximising the
// masked logit), ReLU on the features. The authors' default normalisation is min-max; borex's
// default is division by the maximum (kMax), which keeps zero feature responses at zero; min-max
// is --opticam-normalization minmax. The authors' early stop (every max_iter/10 steps, stop when
// the loss rose) is not implemented: borex always runs the given number of iterations, so maps
// depend only on the options. The gradient of y_c with respect to u is the chain rule through
// the model's input gradient (LibTorch autograd), the blend, n, U and the softmax.
#pragma once

#include <Eigen/Core>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>

#include "borex/explain/soft_mask.h"
#include "borex/model/classifier.h"

namespace borex::explain {

enum class CamNormalization {
  kMax,     // S / max S
  kMinMax,  // (S − min S) / (max S − min S): the authors' code
};
CamNormalization ParseCamNormalization(const std::string& name);  // "max" | "minmax"
std::string CamNormalizationName(CamNormalization normalization);

struct OptiCamOptions {
  std::string target_layer;  // empty: the model's metadata target_layer
  int iterations = 50;
  double learning_rate = 0.1;
  CamNormalization normalization = CamNormalization::kMax;
  void Check() const;
  nlohmann::json ToJson() const;
};

// The objective as a function of the channel logits u, for the optimiser and for tests.
class OptiCamObjective {
 public:
  // `layer`: the target layer's activations on `image`; `fill`: the in-fill image (CV_32FC3).
  OptiCamObjective(model::Classifier& classifier, const cv::Mat& image, int label,
                   const model::LayerGradients& layer, CamNormalization normalization,
                   const cv::Mat& fill);

  // y_c of the masked image and, when `gradient` is given, ∂y_c/∂u.
  double Evaluate(const Eigen::VectorXf& u, Eigen::VectorXf* gradient);
  // S(u) at the image's size (CV_32FC1, values in [0, 1]).
  cv::Mat Map(const Eigen::VectorXf& u) const;
  static Eigen::VectorXf Weights(const Eigen::VectorXf& u);  // softmax(u)
  int channels() const { return static_cast<int>(features_.rows()); }

 private:
  // U Σ_k w_k A⁺_k, with w = softmax(u) returned in `weights`.
  Eigen::VectorXf Combined(const Eigen::VectorXf& u, Eigen::VectorXf* weights) const;
  // n(S) and what its derivative needs.
  struct Normalised {
    Eigen::VectorXf keep;
    Eigen::Index max_at = 0, min_at = 0;
    float range = 0;
  };
  Normalised Normalise(const Eigen::VectorXf& combined) const;

  model::Classifier& classifier_;
  cv::Mat image_, fill_;
  int label_;
  CamNormalization normalization_;
  Eigen::MatrixXf features_;  // A⁺: K x (d·h·w)
  MapUpsampler upsampler_;
};

struct OptiCamResult {
  cv::Mat map;              // S(u*): CV_32FC1 at the image's size, in [0, 1]
  Eigen::VectorXf weights;  // softmax(u*), one per channel
  double logit = 0;         // y_c of the image masked by the map
};

// Opti-CAM for `label`; `fill` as above.
OptiCamResult ComputeOptiCam(model::Classifier& classifier, const cv::Mat& image, int label,
                             const OptiCamOptions& options, const cv::Mat& fill);

}  // namespace borex::explain
