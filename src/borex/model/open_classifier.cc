// OpenClassifier (in the library `borex`: it constructs the LibTorch backend).
#include "borex/model/open_classifier.h"

#include "borex/core/threads.h"
#include "borex/model/onnx_classifier.h"
#include "borex/model/torchscript_classifier.h"

namespace borex::model {

std::unique_ptr<Classifier> OpenClassifier(const ModelOptions& options) {
  SetComputeThreads(options.threads);
  if (IsOnnxPath(options.path)) return std::make_unique<OnnxClassifier>(options);
  return std::make_unique<TorchScriptClassifier>(options);
}

}  // namespace borex::model
