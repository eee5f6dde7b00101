#include "borex/app/evaluate_job.h"

#include <algorithm>
#include <cmath>

#include "borex/app/prepared_image.h"
#include "borex/core/error.h"
#include "borex/dataset/voc.h"
#include "borex/io/atomic_file.h"
#include "borex/io/image.h"
#include "borex/io/json_file.h"

namespace borex::app {
namespace {

const std::vector<std::string>& RegionMetrics() {
  static const std::vector<std::string> keys = {"f_measure", "f_measure_sum", "f_measure_product",
                                                "f_measure_product_sum", "pointing_hit"};
  return keys;
}

void CheckThresholdMetric(const std::string& metric, const std::string& option,
                          bool has_annotation) {
  // Value() knows every metric key; an evaluation with a region answers for all of them.
  metrics::Evaluation probe;
  probe.f_measure = metrics::FMeasure{};
  probe.pointing_hit = false;
  probe.Value(metric, option);
  if (!has_annotation &&
      std::find(RegionMetrics().begin(), RegionMetrics().end(), metric) != RegionMetrics().end())
    throw OptionError(option, "'" + metric + "' needs --annotation");
}

}  // namespace

std::pair<std::string, double> ParseThreshold(const std::string& text, const std::string& option) {
  const size_t equals = text.find('=');
  size_t used = 0;
  double value = 0;
  if (equals != std::string::npos && equals > 0) {
    try {
      value = std::stod(text.substr(equals + 1), &used);
    } catch (const std::exception&) {
      used = 0;
    }
  }
  if (equals == std::string::npos || equals == 0 || used == 0 || used != text.size() - equals - 1 ||
      !std::isfinite(value))
    throw OptionError(option, "'" + text + "' is not METRIC=VALUE");
  return {text.substr(0, equals), value};
}

void EvaluateJobOptions::Check() const {
  model.Check();
  metrics.Check();
  if (image_path.empty()) throw OptionError("--image", "an image file is required");
  if (saliency_path.empty()) throw OptionError("--saliency", "a saliency map is required");
  for (const auto& [metric, bound] : fail_below)
    CheckThresholdMetric(metric, "--fail-below", !annotation_path.empty());
  for (const auto& [metric, bound] : fail_above)
    CheckThresholdMetric(metric, "--fail-above", !annotation_path.empty());
}

nlohmann::json RunEvaluateJob(const EvaluateJobOptions& options) {
  options.Check();
  if (!options.json_path.empty()) io::CheckWritable(options.json_path);
  const cv::Mat saliency = io::ReadPriorMap(options.saliency_path);
  const dataset::Annotation annotation = options.annotation_path.empty()
                                             ? dataset::Annotation{}
                                             : dataset::ReadVocAnnotation(options.annotation_path);
  model::TorchScriptClassifier classifier(options.model);
  const PreparedImage image = PrepareImage(classifier, options.image_path);
  const cv::Mat map = MapAtWorkingSize(saliency, image, options.saliency_path);
  const int label = ChooseLabel(classifier, image, options.label);
  const auto& names = classifier.info().class_names;
  const std::string class_name = label < static_cast<int>(names.size()) ? names[label] : "";
  cv::Mat region;
  if (!options.annotation_path.empty()) {
    if (class_name.empty())
      throw OptionError("--annotation",
                        "the model has no class names to match the annotation's "
                        "(give --classes)");
    region =
        dataset::BoxRegion(annotation, class_name, image.original.size(), image.working.size());
  }
  const metrics::Evaluation evaluation =
      metrics::Evaluate(classifier, image.working, map, label, region, options.metrics);

  nlohmann::json result = evaluation.ToJson();
  result["image"] = options.image_path;
  result["saliency"] = options.saliency_path;
  result["class_name"] = class_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(class_name);
  result["step"] = options.metrics.step > 0 ? options.metrics.step : image.working.cols;
  result["substrate"] = metrics::SubstrateName(options.metrics.substrate);
  nlohmann::json thresholds = nlohmann::json::array();
  auto check = [&](const std::pair<std::string, double>& bound, const char* kind) {
    const double value = *evaluation.Value(bound.first, kind);
    const bool below = std::string(kind) == "--fail-below";
    thresholds.push_back({{"metric", bound.first},
                          {"kind", below ? "fail_below" : "fail_above"},
                          {"bound", bound.second},
                          {"value", value},
                          {"passed", below ? !(value < bound.second) : !(value > bound.second)}});
  };
  for (const auto& bound : options.fail_below) check(bound, "--fail-below");
  for (const auto& bound : options.fail_above) check(bound, "--fail-above");
  result["thresholds"] = thresholds;
  if (!options.json_path.empty()) io::WriteJson(options.json_path, result);
  return result;
}

bool ThresholdsPassed(const nlohmann::json& result) {
  for (const auto& threshold : result["thresholds"])
    if (!threshold["passed"].get<bool>()) return false;
  return true;
}

}  // namespace borex::app
