#include "callable_classifier.h"

#include <pybind11/numpy.h>

#include <chrono>
#include <cmath>

#include "arrays.h"
#include "borex/core/enum_names.h"
#include "borex/core/error.h"

namespace py = pybind11;

namespace borex::python {
namespace {

const char kWho[] = "model: the callable";

const EnumNames<ScoreUnits>& ScoreUnitsNames() {
  static const EnumNames<ScoreUnits> names = {{ScoreUnits::kLogits, "logits"},
                                              {ScoreUnits::kProbabilities, "probabilities"}};
  return names;
}

// The callable's return value for a batch of `images` images as an images x C matrix.
Eigen::MatrixXf ScoresMatrix(const py::object& returned, long images) {
  const py::array array = py::array::ensure(returned);
  if (!array) PyErr_Clear();  // ensure() leaves numpy's conversion error set
  if (!array || array.ndim() == 0) {
    throw ModelError(std::string(kWho) + " returned " +
                     std::string(py::str(py::type::of(returned).attr("__name__"))) +
                     ", expected an array [N, C] of scores");
  }
  if (array.ndim() != 2 || array.shape(0) != images)
    throw ModelError(std::string(kWho) + " returned scores of shape " + ShapeText(array) +
                     " for a batch of " + std::to_string(images) + " images, expected (" +
                     std::to_string(images) + ", C)");
  if (array.dtype().kind() != 'f')
    throw ModelError(std::string(kWho) + " returned " + std::string(py::str(array.dtype())) +
                     " scores, expected floating point (logits or probabilities)");
  const auto values = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(array);
  const Eigen::Index rows = values.shape(0), cols = values.shape(1);
  return Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      values.data(), rows, cols);
}

}  // namespace

ScoreUnits ParseScoreUnits(const std::string& name) {
  return ScoreUnitsNames().Parse(name, "scores");
}

std::string ScoreUnitsName(ScoreUnits units) { return ScoreUnitsNames().Name(units); }

CallableClassifier::CallableClassifier(const CallableModel& model, model::ModelInfo info)
    : function_(model.function), scores_(model.scores), info_(std::move(info)) {
  info_.class_names = model.class_names;
}

Eigen::MatrixXf CallableClassifier::Logits(const std::vector<cv::Mat>& images) {
  const auto start = std::chrono::steady_clock::now();
  const long count = static_cast<long>(images.size());
  Eigen::MatrixXf scores;
  {
    const py::gil_scoped_acquire gil;
    scores = ScoresMatrix(function_(BatchArray(images)), count);
  }
  const long bad = (!scores.array().isFinite()).count();
  if (bad > 0)
    throw ModelError(std::string(kWho) + " returned " + std::to_string(bad) + " of " +
                     std::to_string(scores.size()) + " scores NaN or infinite");
  const int classes = static_cast<int>(scores.cols());
  if (classes < 2)
    throw ModelError(std::string(kWho) +
                     " returned 1 score per image: give one per class, at least two (for a "
                     "binary model, [0, logit] or [1 - p, p])");
  if (num_classes_ != 0 && classes != num_classes_)
    throw ModelError(std::string(kWho) + " returned " + std::to_string(classes) + " classes, and " +
                     std::to_string(num_classes_) + " before");
  if (!info_.class_names.empty() && classes != static_cast<int>(info_.class_names.size()))
    throw ModelError(std::string(kWho) + " returned " + std::to_string(classes) +
                     " classes but class_names has " + std::to_string(info_.class_names.size()));
  num_classes_ = classes;
  if (scores_ == ScoreUnits::kProbabilities) {
    if (scores.minCoeff() < 0 || scores.maxCoeff() > 1 + 1e-4f)
      throw ModelError(std::string(kWho) + " returned probabilities outside [0, 1] (are they " +
                       "logits? then give scores=\"logits\")");
    // log p: its softmax is p again (renormalised); a zero stays far below every other score.
    scores = scores.array().max(1e-30f).log().matrix();
  }
  model_calls_ += count;
  model_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return scores;
}

model::LayerGradients CallableClassifier::TargetLayerGradients(const cv::Mat& /*image*/,
                                                               int /*label*/,
                                                               const std::string& /*layer*/) {
  throw ModelError(
      "a Python callable is a black box: this method needs a layer's activations and gradients "
      "(a TorchScript model)");
}

model::InputGradients CallableClassifier::ScoreInputGradients(
    const std::vector<cv::Mat>& /*images*/, int /*label*/, model::ScoreKind /*kind*/) {
  throw ModelError(
      "a Python callable is a black box: this method needs the gradients of the scores with "
      "respect to the pixels (a TorchScript model)");
}

}  // namespace borex::python
