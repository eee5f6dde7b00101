// FIDO (Chang, Creager, Goldenberg, Duvenaud; ICLR 2019; seed 004): the saliency map as the
// dropout probabilities of a relaxed-Bernoulli mask, optimised so that in-filling the dropped
// pixels keeps (SSR) or destroys (SDR) the class.
//   θ: logits of the drop probabilities on a coarse grid (one cell per `cell` x `cell` pixels,
//      every frame of a clip its own grid); p = U σ(θ) per pixel (U: bilinear upsampling)
//   z = 1 − σ((log p − log(1 − p) + log v − log(1 − v)) / τ),  v ~ Uniform(0, 1) per pixel:
//      a Concrete (relaxed Bernoulli) keep mask, differentiable in θ
//   x̂ = z·x + (1 − z)·fill                  the in-filled image
//   s(x̂) = log p_c − log Σ_{j≠c} p_j        the class's log-odds (the authors' loss)
//   SSR (smallest sufficient region):  minimise E_v[−s(x̂)] + a·λ Σ_i (1 − p_i) + a·μ TV(σ(θ))
//   SDR (smallest destroying region):  minimise E_v[ s(x̂)] + a·λ Σ_i p_i       + a·μ TV(σ(θ))
// with TV(q) = Σ (q_i − q_j)² over the grid's horizontally and vertically adjacent cells, and a
// the regulariser weight annealed linearly from 0 to 1 over the first `annealing` steps. Adam
// with a learning rate decaying linearly to 0; the expectation is a mean over `samples` draws
// of v per step. The map is the keep probability 1 − p (SSR) or the drop probability p (SDR),
// both in [0, 1]: high where the evidence is.
//
// Defaults follow the authors' code (github.com/zzzace2000/FIDO-saliency, vbd_imagenet.py and
// arch/): 300 steps, learning rate 0.05, 8 samples per step, λ = 1e-3 per pixel (their README's
// runs), TV weight 0 (their default; the term is there for --fido-smoothness), τ = 0.1,
// annealing over 30 steps, θ = 0 at the start (p = 0.5), a 56 x 56 grid for 224 x 224 images
// (cell = 4 pixels). The paper's generative in-fillers (VAE, contextual-attention GAN) are
// replaced by the differentiable in-fills black, mean, blur and noise (one noise image per run).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "borex/explain/soft_mask.h"
#include "borex/model/classifier.h"

namespace borex::explain {

enum class FidoObjective {
  kSmallestSufficient,  // SSR
  kSmallestDestroying,  // SDR
};

struct FidoOptions {
  FidoObjective objective = FidoObjective::kSmallestSufficient;
  int iterations = 300;
  double learning_rate = 0.05;
  int samples = 8;           // Concrete draws per step (one batch)
  double sparsity = 1e-3;    // λ, per pixel
  double smoothness = 0.0;   // μ
  double temperature = 0.1;  // τ
  int annealing = 30;        // steps over which the regularisers are phased in
  int cell = 4;              // grid cell side in pixels
  std::uint64_t seed = 0;
  void Check() const;
  nlohmann::json ToJson() const;
};

// The loss as a function of θ for given uniform draws, for the optimiser and for tests.
class FidoLoss {
 public:
  FidoLoss(model::Classifier& classifier, const cv::Mat& image, int label,
           const FidoOptions& options, const cv::Mat& fill);

  // The loss at θ for the draws `uniforms` (each one value in (0, 1) per pixel) with the
  // regularisers weighted by `regulariser_weight` (a); ∂loss/∂θ when `gradient` is given.
  double Evaluate(const Eigen::VectorXf& theta, const std::vector<Eigen::VectorXf>& uniforms,
                  double regulariser_weight, Eigen::VectorXf* gradient);
  // The map at θ: 1 − p (SSR) or p (SDR), CV_32FC1 at the image's size.
  cv::Mat Map(const Eigen::VectorXf& theta) const;

  int grid_values() const { return upsampler_.grid_values(); }
  int pixels() const { return upsampler_.pixels(); }

 private:
  model::Classifier& classifier_;
  cv::Mat image_, fill_;
  int label_;
  FidoOptions options_;
  int depth_;
  cv::Size grid_size_;
  MapUpsampler upsampler_;
};

// The FIDO map for `label`; `fill` is the in-fill image (CV_32FC3, the image's size).
cv::Mat ComputeFido(model::Classifier& classifier, const cv::Mat& image, int label,
                    const FidoOptions& options, const cv::Mat& fill);

}  // namespace borex::explain
