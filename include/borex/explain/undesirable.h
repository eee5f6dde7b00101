// Undesirable pixels for a target class, black-box: our reading of the two factors of Kang et
// al. 2019, "Interpreting Undesirable Pixels for Image Classification on Black-Box Models" (its
// abstract names them: (1) factors for the target class, pixels that hinder the model from
// identifying the target's intrinsic characteristics, and (2) factors for non-target classes,
// regions important for the image to be classified as other classes; it gives no formulas). The
// estimators below are ours, built on RISE's random masks (explain/rise.h), so that one forward
// pass per mask yields both maps.
//
// Notation: I the image, c the target label, M_1 ... M_N the RISE masks (mask/rise_masks.h,
// values in [0, 1]: M(λ) = 1 shows pixel λ, 0 hides it; hidden pixels become the fill of
// RiseOptions::infill), s_j(x) the score of class j (RiseOptions::score: softmax probability
// by default, or the logit), p_j = softmax probability of class j on the unmasked image.
//
// (1) hinder map: the expected change of the target's score when λ is hidden,
//       H(λ) = E[s_c(I⊙M) − s_c(I) | λ hidden]
//            ≈ Σ_i (s_c(I⊙M_i) − s_c(I)) (1 − M_i(λ)) / Σ_i (1 − M_i(λ)).
//     A soft mask hides λ with "probability" 1 − M(λ), so E[X | λ hidden] = E[X (1 − M(λ))] /
//     E[1 − M(λ)]; both expectations are estimated over the same N masks. This self-normalised
//     ratio (rather than dividing by N (1 − p1), as RISE divides by N p1) is exact for the
//     sample: a pixel hidden by more masks than average is not over-weighted. Subtracting s_c(I)
//     turns scores into changes: H(λ) > 0 where hiding λ tends to raise the target's score
//     (λ hinders c), H(λ) < 0 where hiding it lowers the score (λ supports c). Pixels that do
//     not matter get the mean change over the masks that hide them, about the mean change of
//     all masks (usually negative: hiding half the image costs the target), so the ranking and
//     the differences between regions carry the meaning, not the sign at such pixels.
//
// (2) others map: evidence for the other classes, each weighted by how much the model believes
//     it on the unmasked image,
//       O(λ) = Σ_{j≠c} p_j (E[s_j(I⊙M) | λ visible] − E[s_j(I⊙M)])
//            ≈ Σ_i w_i M_i(λ) / Σ_i M_i(λ) − (1/N) Σ_i w_i,   w_i = Σ_{j≠c} p_j s_j(I⊙M_i).
//     E[X | λ visible] = E[X M(λ)] / E[M(λ)] as above (RISE's saliency of class j, self-
//     normalised); subtracting the unconditional mean centres it, so that O(λ) > 0 exactly where
//     showing λ raises the (p-weighted) other classes above their average over the masks. The
//     sum over j moves inside because both terms are linear in s_j: one scalar w_i per mask.
//     Weighting by p_j keeps classes the model never considers from adding noise.
//
// Where a pixel is never hidden (never visible) by any mask, H (O) is 0 there. With softmax
// probabilities the two maps overlap by design: a pixel that raises another class lowers s_c,
// so hiding it also raises s_c (H > 0). Logit scores (RiseOptions::score = kLogit) separate
// them: H then sees only pixels acting on c's own logit.
#pragma once

#include <opencv2/core.hpp>

#include "borex/explain/rise.h"
#include "borex/model/classifier.h"

namespace borex::explain {

struct UndesirableMaps {
  cv::Mat hinder;  // H(λ), CV_32FC1 at the image's size
  cv::Mat others;  // O(λ), CV_32FC1 at the image's size
};

// Both maps for `label` from options.masks RISE masks (options.grid, keep_prob, grid_frames, seed;
// options.positive_negative is ignored), 1 + options.masks forward passes in batches of
// options.batch_size. `image` is CV_32FC3 RGB in [0,1] at the model's input size (for a video
// model, the stacked clip; the maps are then stacked too).
UndesirableMaps ComputeUndesirable(model::Classifier& classifier, const cv::Mat& image, int label,
                                   const RiseOptions& options);

}  // namespace borex::explain
