#include "borex/app/evaluate_job.h"

#include <algorithm>
#include <cmath>

#include "borex/app/prepared_image.h"
#include "borex/core/error.h"
#include "borex/dataset/video_clips.h"
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
  if (image_path.empty() && video_path.empty())
    throw OptionError("--image", "an image file (or --video CLIP) is required");
  if (!image_path.empty() && !video_path.empty())
    throw OptionError("--video", "give either --image or --video, not both");
  if (start_frame < 0) throw OptionError("--start-frame", "must not be negative");
  if (video_path.empty() && start_frame != 0) throw OptionError("--start-frame", "needs --video");
  if (saliency_path.empty()) throw OptionError("--saliency", "a saliency map is required");
  for (const auto& [metric, bound] : fail_below)
    CheckThresholdMetric(metric, "--fail-below", !annotation_path.empty());
  for (const auto& [metric, bound] : fail_above)
    CheckThresholdMetric(metric, "--fail-above", !annotation_path.empty());
}

nlohmann::json RunEvaluateJob(const EvaluateJobOptions& options) {
  options.Check();
  if (!options.json_path.empty()) io::CheckWritable(options.json_path);
  const bool video = !options.video_path.empty();
  // Inputs that need no model are read first, so that their errors come before any model work.
  const cv::Mat saliency = video ? cv::Mat() : io::ReadPriorMap(options.saliency_path);
  const bool annotated = !options.annotation_path.empty();
  const dataset::Annotation annotation = annotated && !video
                                             ? dataset::ReadVocAnnotation(options.annotation_path)
                                             : dataset::Annotation{};
  const dataset::ClipAnnotation clip_annotation =
      annotated && video ? dataset::ReadClipAnnotation(options.annotation_path)
                         : dataset::ClipAnnotation{};
  model::TorchScriptClassifier classifier(options.model);
  const PreparedImage image =
      video ? PrepareVideo(classifier, options.video_path, options.start_frame)
            : PrepareImage(classifier, options.image_path);
  const cv::Mat map = MapAtWorkingSize(video ? ReadMapFor(image, options.saliency_path) : saliency,
                                       image, options.saliency_path);
  const int label = ChooseLabel(classifier, image, options.label);
  const auto& names = classifier.info().class_names;
  const std::string class_name = label < static_cast<int>(names.size()) ? names[label] : "";
  cv::Mat region;
  if (!options.annotation_path.empty()) {
    if (class_name.empty())
      throw OptionError("--annotation",
                        "the model has no class names to match the annotation's "
                        "(give --classes)");
    region = video
                 ? dataset::ClipRegionMask(clip_annotation, class_name, image.working_frame_size(),
                                           image.first_frame, image.frame_stride, image.frames)
                 : dataset::BoxRegion(annotation, class_name, image.original.size(),
                                      image.working.size());
  }
  const metrics::Evaluation evaluation =
      metrics::Evaluate(classifier, image.working, map, label, region, options.metrics);

  nlohmann::json result = evaluation.ToJson();
  result[video ? "video" : "image"] = video ? options.video_path : options.image_path;
  result["saliency"] = options.saliency_path;
  result["class_name"] = class_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(class_name);
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
