#include "borex/model/classifier.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "borex/core/enum_names.h"
#include "borex/core/error.h"

namespace borex::model {

std::string ModelInfo::ClassLabel(int index) const {
  std::string label = "class " + std::to_string(index);
  if (index >= 0 && index < static_cast<int>(class_names.size()))
    label += " (" + class_names[index] + ")";
  return label;
}

void ModelInfo::CheckClassCount(int num_classes) const {
  if (!class_names.empty() && static_cast<int>(class_names.size()) != num_classes)
    throw ModelError(source + ": model has " + std::to_string(num_classes) + " outputs but " +
                     std::to_string(class_names.size()) + " class names are given");
}

cv::Size Classifier::WorkingSize(const cv::Size& image_size) const {
  return info().input_size.area() > 0 ? info().input_size : image_size;
}

int ModelInfo::ResolveLabel(const std::string& label, int num_classes) const {
  const bool numeric = !label.empty() && std::all_of(label.begin(), label.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
  if (numeric) {
    const long index = label.size() > 9 ? -1 : std::stol(label);
    if (index < 0 || index >= num_classes)
      throw OptionError("--label", label + " is out of range: the model has " +
                                       std::to_string(num_classes) + " classes (0.." +
                                       std::to_string(num_classes - 1) + ")");
    return static_cast<int>(index);
  }
  const auto found = std::find(class_names.begin(), class_names.end(), label);
  if (found == class_names.end()) {
    if (class_names.empty())
      throw OptionError("--label", "'" + label +
                                       "' is not a class index and the model has no class names "
                                       "(give --classes FILE or a number)");
    std::string examples;
    for (size_t i = 0; i < std::min<size_t>(class_names.size(), 5); ++i)
      examples += (i ? ", " : "") + class_names[i];
    throw OptionError("--label", "unknown class name '" + label + "' (classes: " + examples +
                                     (class_names.size() > 5 ? ", ..." : "") + ")");
  }
  return static_cast<int>(found - class_names.begin());
}

namespace {
const EnumNames<VideoLayout> kVideoLayouts{{VideoLayout::kNCTHW, "NCTHW"},
                                           {VideoLayout::kNTCHW, "NTCHW"},
                                           {VideoLayout::kNCTHW, "ncthw"},
                                           {VideoLayout::kNTCHW, "ntchw"}};
const EnumNames<ScoreKind> kScoreKinds{{ScoreKind::kProbability, "prob"},
                                       {ScoreKind::kLogit, "logit"},
                                       {ScoreKind::kLogOdds, "log-odds"}};
}  // namespace

VideoLayout ParseVideoLayout(const std::string& name, const std::string& option) {
  return kVideoLayouts.Parse(name, option);
}

std::string VideoLayoutName(VideoLayout layout) { return kVideoLayouts.Name(layout); }

ScoreKind ParseScoreKind(const std::string& name) { return kScoreKinds.Parse(name, "--score"); }

std::string ScoreKindName(ScoreKind kind) { return kScoreKinds.Name(kind); }

LayerGradients Classifier::TargetLayerGradients(const cv::Mat&, int, const std::string&) {
  throw ModelError("this classifier is a black box: it gives no layer gradients");
}

InputGradients Classifier::ScoreInputGradients(const std::vector<cv::Mat>&, int, ScoreKind) {
  throw ModelError("this classifier is a black box: it gives no input gradients");
}

Eigen::MatrixXf Softmax(const Eigen::MatrixXf& logits) {
  // Computed stably: subtract the row maximum.
  const Eigen::VectorXf row_max = logits.rowwise().maxCoeff();
  const Eigen::MatrixXf exponentials = (logits.colwise() - row_max).array().exp();
  const Eigen::VectorXf denominators = exponentials.rowwise().sum();
  return denominators.cwiseInverse().asDiagonal() * exponentials;
}

Eigen::VectorXf ClassScores(const Eigen::MatrixXf& logits, int label, ScoreKind kind) {
  BOREX_CHECK(label >= 0 && label < logits.cols());
  if (kind == ScoreKind::kLogit) return logits.col(label);
  if (kind == ScoreKind::kProbability) return Softmax(logits).col(label);
  // log p_l − log Σ_{j≠l} p_j = logit_l − log Σ_{j≠l} exp(logit_j), stably.
  Eigen::VectorXf log_odds(logits.rows());
  for (int n = 0; n < logits.rows(); ++n) {
    Eigen::RowVectorXf others = logits.row(n);
    others[label] = -std::numeric_limits<float>::infinity();
    const float top = others.maxCoeff();
    log_odds[n] = logits(n, label) - (top + std::log((others.array() - top).exp().sum()));
  }
  return log_odds;
}

ModelError NonFiniteLogitsError(const std::string& path) {
  return ModelError(path +
                    ": the model returned NaN or infinite logits (check --mean and --std, and "
                    "that the model works on inputs like these)");
}

}  // namespace borex::model
