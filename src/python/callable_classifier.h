// A Python callable as a black-box model::Classifier: f(batch) -> scores, batch a float32 numpy
// array [N, H, W, 3] of RGB images in [0, 1], scores an array [N, C] of logits or probabilities.
// Called once per forward pass of the library, with the GIL taken for the call only (the
// library's own work runs without it).
#pragma once

#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "borex/model/classifier.h"

namespace borex::python {

// What the callable returns. The library's methods work on logits (softmax gives their
// probabilities, --score logit observes them); probabilities p enter as the logits log p, whose
// softmax is p again.
enum class ScoreUnits { kLogits, kProbabilities };
ScoreUnits ParseScoreUnits(const std::string& name);  // "logits" | "probabilities"
std::string ScoreUnitsName(ScoreUnits units);

// The Python-side description of a callable model (borex.CallableModel).
struct CallableModel {
  pybind11::object function;
  ScoreUnits scores = ScoreUnits::kLogits;
  std::vector<std::string> class_names;  // empty: unknown
};

class CallableClassifier : public model::Classifier {
 public:
  // `info`: the class names, the working size (0: the image's) and the source's name. Construct
  // and destroy with the GIL held (the classifier holds a reference to the callable).
  CallableClassifier(const CallableModel& model, model::ModelInfo info);

  // Calls the callable with the GIL held; a Python exception it raises propagates as
  // pybind11::error_already_set. ModelError with one line when the scores are not a finite
  // [N, C] array (C the same in every call, and the class names' count when given).
  Eigen::MatrixXf Logits(const std::vector<cv::Mat>& images) override;
  // A callable has no layers and no gradients: ModelError naming what is needed.
  model::LayerGradients TargetLayerGradients(const cv::Mat& image, int label,
                                             const std::string& layer) override;
  model::InputGradients ScoreInputGradients(const std::vector<cv::Mat>& images, int label,
                                            model::ScoreKind kind) override;
  const model::ModelInfo& info() const override { return info_; }
  // Known after the first call (the image's own scoring, before anything else needs it).
  int num_classes() const override { return num_classes_; }

 private:
  pybind11::object function_;
  ScoreUnits scores_;
  model::ModelInfo info_;
  int num_classes_ = 0;
};

}  // namespace borex::python
