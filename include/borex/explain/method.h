// Choosing an explanation method by name, at the edge (CLI, batch), and running it.
#pragma once

#include <limits>
#include <string>

#include "borex/explain/fido.h"
#include "borex/explain/grad_cam.h"
#include "borex/explain/opti_cam.h"
#include "borex/explain/rise.h"

namespace borex::explain {

// kUndesirable (explain/undesirable.h) gives two signed maps, not one: only `borex explain`
// takes it; Explain() and ParseSingleMapMethod() reject it.
enum class Method {
  kRise,
  kPnRise,
  kGradCam,
  kGradCamPlusPlus,
  kOptiCam,
  kFidoSsr,
  kFidoSdr,
  kUndesirable
};
// "rise" | "pn-rise" | "gradcam" | "gradcam++" | "opticam" | "fido-ssr" | "fido-sdr" |
// "undesirable"; `option` names the flag in errors.
Method ParseMethod(const std::string& name, const std::string& option);
// ParseMethod for where one map is needed (priors, batch): OptionError naming `option` for
// "undesirable", and for an unknown name one listing the single-map methods and `also_accepted`
// (a name the caller handles itself, e.g. "none" for a prior).
Method ParseSingleMapMethod(const std::string& name, const std::string& option,
                            const std::string& also_accepted = "");
std::string MethodName(Method method);

// Whether `method` needs the model's gradients (Grad-CAM, Grad-CAM++, Opti-CAM, FIDO): only a
// white-box classifier (model::Classifier::white_box(), a TorchScript model) gives them.
bool NeedsGradients(Method method);
// Whether `method` hides pixels, so that an in-fill applies to it: all but Grad-CAM and
// Grad-CAM++.
bool HidesPixels(Method method);
struct ExplainOptions;
// OptionError naming `option` and the method when `method` needs gradients and `classifier` is a
// black box (an ONNX model), and OptionError("--target-layer") when a CAM method's layer
// (options.cam.target_layer, else the model's metadata) is none or not in the model. Jobs call it
// before any work, so that nothing is written.
void CheckMethodSupported(model::Classifier& classifier, Method method,
                          const ExplainOptions& options, const std::string& option);

struct ExplainOptions {
  Method method = Method::kRise;
  // RISE and PN-RISE; rise.seed also serves Opti-CAM and FIDO (one --seed for every method that
  // draws random numbers).
  RiseOptions rise;
  // What Opti-CAM's and FIDO's blends keep·x + (1 − keep)·fill fill with. Black, unlike RISE's
  // mean colour: on validation the mean colour made Opti-CAM's maps and their refinements worse
  // (docs/results.md, "Refinement, third round").
  mask::Infill optimising_infill = mask::Infill::kBlack;
  std::string infill_flag = "--infill";  // the flag that set the in-fills, for errors

  // One in-fill for every method that hides pixels (a command's --infill flag when given).
  void SetInfill(mask::Infill infill);
  GradCamOptions cam;  // Grad-CAM and Grad-CAM++ (variant set from `method`)
  OptiCamOptions opticam;
  FidoOptions fido;  // objective set from `method`

  // A prior for BOREx: RISE with the authors' cheap settings (RiseOptions::CheapPrior), the
  // default wherever borex computes a prior itself (refine, batch).
  static ExplainOptions Prior();
};

// The method's map for `label` at the image's resolution (the model's input size); OptionError
// ("--method") for kUndesirable. With `rise_samples`, RISE and PN-RISE also give the first
// `sample_limit` of the masks and logits the map was made of (ComputeRise); other methods leave
// it empty.
cv::Mat Explain(model::Classifier& classifier, const cv::Mat& image, int label,
                const ExplainOptions& options, RiseSamples* rise_samples = nullptr,
                int sample_limit = std::numeric_limits<int>::max());

}  // namespace borex::explain
