#include "borex/explain/method.h"

#include "borex/core/enum_names.h"
#include "borex/core/error.h"
#include "borex/mask/infill.h"

namespace borex::explain {
namespace {

const char kNotOneMap[] =
    "undesirable gives two signed maps (hinder, others), not a saliency prior or a single map";
// The in-fill image of the optimising methods: their gradient flows through the blend
// keep·x + (1 − keep)·fill only, so the fill must not depend on the mask.
cv::Mat DifferentiableFill(const model::Classifier& classifier, const cv::Mat& image,
                           const ExplainOptions& options) {
  const mask::Infill infill = options.optimising_infill;
  if (!mask::InfillIsMaskIndependent(infill))
    throw OptionError(options.infill_flag,
                      "'" + mask::InfillName(infill) + "' cannot be used with " +
                          MethodName(options.method) +
                          ": its optimiser needs a fill that does not depend on the "
                          "mask (black, mean, blur or noise)");
  const int frames = classifier.info().clip_frames();
  BOREX_CHECK_EQ(image.rows % frames, 0);
  return mask::Infiller(image, infill, classifier.info().mean, image.rows / frames,
                        options.rise.seed)
      .fill()
      .clone();
}

}  // namespace

const EnumNames<Method> kMethods{
    {Method::kRise, "rise"},        {Method::kPnRise, "pn-rise"},
    {Method::kGradCam, "gradcam"},  {Method::kGradCamPlusPlus, "gradcam++"},
    {Method::kOptiCam, "opticam"},  {Method::kFidoSsr, "fido-ssr"},
    {Method::kFidoSdr, "fido-sdr"}, {Method::kUndesirable, "undesirable"}};

Method ParseMethod(const std::string& name, const std::string& option) {
  return kMethods.Parse(name, option);
}

Method ParseSingleMapMethod(const std::string& name, const std::string& option,
                            const std::string& also_accepted) {
  if (name == MethodName(Method::kUndesirable)) throw OptionError(option, kNotOneMap);
  try {
    return ParseMethod(name, option);
  } catch (const OptionError&) {
    throw OptionError(option, "'" + name + "' is not one of " +
                                  kMethods.List({Method::kUndesirable}) +
                                  (also_accepted.empty() ? "" : ", " + also_accepted));
  }
}

std::string MethodName(Method method) { return kMethods.Name(method); }

bool HidesPixels(Method method) {
  return method != Method::kGradCam && method != Method::kGradCamPlusPlus;
}

bool NeedsGradients(Method method) {
  switch (method) {
    case Method::kGradCam:
    case Method::kGradCamPlusPlus:
    case Method::kOptiCam:
    case Method::kFidoSsr:
    case Method::kFidoSdr:
      return true;
    case Method::kRise:
    case Method::kPnRise:
    case Method::kUndesirable:
      return false;
  }
  return false;
}

void CheckMethodSupported(model::Classifier& classifier, Method method,
                          const ExplainOptions& options, const std::string& option) {
  if (!NeedsGradients(method)) return;
  if (!classifier.white_box()) {
    const model::ModelInfo& info = classifier.info();
    const std::string model = info.source.empty() ? "this model" : info.source;
    const std::string format = info.format.empty() ? "" : " (" + info.format + ")";
    throw OptionError(option, MethodName(method) +
                                  " needs a TorchScript model: it uses the model's gradients, " +
                                  "and " + model + format +
                                  " is run as a black box; use a black-box method such as rise "
                                  "or pn-rise");
  }
  if (method == Method::kGradCam || method == Method::kGradCamPlusPlus ||
      method == Method::kOptiCam)
    classifier.CheckTargetLayer(ResolveTargetLayer(classifier, options.cam.target_layer));
}

void ExplainOptions::SetInfill(mask::Infill infill) {
  rise.infill = infill;
  optimising_infill = infill;
}

ExplainOptions ExplainOptions::Prior() {
  ExplainOptions options;
  options.rise = RiseOptions::CheapPrior();
  return options;
}

cv::Mat Explain(model::Classifier& classifier, const cv::Mat& image, int label,
                const ExplainOptions& options, RiseSamples* rise_samples, int sample_limit) {
  if (rise_samples) *rise_samples = RiseSamples();
  switch (options.method) {
    case Method::kRise:
    case Method::kPnRise: {
      RiseOptions rise = options.rise;
      rise.positive_negative = options.method == Method::kPnRise;
      return ComputeRise(classifier, image, label, rise, rise_samples, sample_limit);
    }
    case Method::kGradCam:
    case Method::kGradCamPlusPlus: {
      GradCamOptions cam = options.cam;
      cam.variant =
          options.method == Method::kGradCam ? CamVariant::kGradCam : CamVariant::kGradCamPlusPlus;
      return ComputeGradCam(classifier, image, label, cam);
    }
    case Method::kOptiCam: {
      OptiCamOptions opticam = options.opticam;
      opticam.target_layer = options.cam.target_layer;  // one --target-layer for the CAMs
      return ComputeOptiCam(classifier, image, label, opticam,
                            DifferentiableFill(classifier, image, options))
          .map;
    }
    case Method::kFidoSsr:
    case Method::kFidoSdr: {
      FidoOptions fido = options.fido;
      fido.objective = options.method == Method::kFidoSsr ? FidoObjective::kSmallestSufficient
                                                          : FidoObjective::kSmallestDestroying;
      fido.seed = options.rise.seed;  // one --seed for every random method
      return ComputeFido(classifier, image, label, fido,
                         DifferentiableFill(classifier, image, options));
    }
    case Method::kUndesirable:
      throw OptionError("--method", kNotOneMap);
  }
  throw Error("unknown explanation method");
}

}  // namespace borex::explain
