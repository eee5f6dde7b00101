#include "borex/explain/method.h"

#include "borex/core/error.h"

namespace borex::explain {
namespace {

const char kNotOneMap[] =
    "undesirable gives two signed maps (hinder, others), not a saliency prior or a single map";

}  // namespace

Method ParseMethod(const std::string& name, const std::string& option) {
  if (name == "rise") return Method::kRise;
  if (name == "pn-rise") return Method::kPnRise;
  if (name == "gradcam") return Method::kGradCam;
  if (name == "gradcam++") return Method::kGradCamPlusPlus;
  if (name == "undesirable") return Method::kUndesirable;
  throw OptionError(option,
                    "'" + name + "' is not one of rise, pn-rise, gradcam, gradcam++, undesirable");
}

Method ParseSingleMapMethod(const std::string& name, const std::string& option) {
  const Method method = ParseMethod(name, option);
  if (method == Method::kUndesirable) throw OptionError(option, kNotOneMap);
  return method;
}

std::string MethodName(Method method) {
  switch (method) {
    case Method::kRise:
      return "rise";
    case Method::kPnRise:
      return "pn-rise";
    case Method::kGradCam:
      return "gradcam";
    case Method::kGradCamPlusPlus:
      return "gradcam++";
    case Method::kUndesirable:
      return "undesirable";
  }
  return "";
}

cv::Mat Explain(model::Classifier& classifier, const cv::Mat& image, int label,
                const ExplainOptions& options) {
  switch (options.method) {
    case Method::kRise:
    case Method::kPnRise: {
      RiseOptions rise = options.rise;
      rise.positive_negative = options.method == Method::kPnRise;
      return ComputeRise(classifier, image, label, rise);
    }
    case Method::kGradCam:
    case Method::kGradCamPlusPlus: {
      GradCamOptions cam = options.cam;
      cam.variant =
          options.method == Method::kGradCam ? CamVariant::kGradCam : CamVariant::kGradCamPlusPlus;
      return ComputeGradCam(classifier, image, label, cam);
    }
    case Method::kUndesirable:
      throw OptionError("--method", kNotOneMap);
  }
  throw Error("unknown explanation method");
}

}  // namespace borex::explain
