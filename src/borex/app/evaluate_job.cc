#include "borex/app/evaluate_job.h"

#include <algorithm>

#include "borex/app/curves.h"
#include "borex/app/prepared_image.h"
#include "borex/core/error.h"
#include "borex/core/parse.h"
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
  const std::optional<double> value =
      equals == std::string::npos ? std::nullopt : ToNumber(text.substr(equals + 1));
  if (equals == std::string::npos || equals == 0 || !value)
    throw OptionError(option, "'" + text + "' is not METRIC=VALUE");
  return {text.substr(0, equals), *value};
}

void EvaluateJobOptions::CheckSettings() const {
  metrics.Check();
  if (start_frame < 0) throw OptionError("--start-frame", "must not be negative");
  if (video_path.empty() && start_frame != 0) throw OptionError("--start-frame", "needs --video");
  for (const auto& [metric, bound] : fail_below)
    CheckThresholdMetric(metric, "--fail-below", !annotation_path.empty());
  for (const auto& [metric, bound] : fail_above)
    CheckThresholdMetric(metric, "--fail-above", !annotation_path.empty());
}

void EvaluateJobOptions::Check() const {
  CheckImageOrClip(image_path, video_path);
  if (saliency_path.empty()) throw OptionError("--saliency", "a saliency map is required");
  CheckSettings();
}

namespace {

// The outputs' paths writable, before any work.
void CheckOutputsWritable(const EvaluateJobOptions& options) {
  const std::string& curves = options.curves_prefix;
  io::CheckOutputsDistinct({{"--json", options.json_path},
                            {"--curves", curves.empty() ? "" : curves + "_curves.csv"},
                            {"--curves", curves.empty() ? "" : curves + "_curves.png"}},
                           {{"--image", options.image_path},
                            {"--video", options.video_path},
                            {"--saliency", options.saliency_path},
                            {"--annotation", options.annotation_path}});
  if (!options.json_path.empty()) io::CheckWritable(options.json_path);
  if (!options.curves_prefix.empty()) io::CheckWritable(options.curves_prefix + "_curves.csv");
}

// The annotation's boxes for a prepared image or clip, the region the map is scored against;
// empty without an annotation.
class AnnotationRegion {
 public:
  // Reads the annotation (before any model work, so that its errors come first).
  AnnotationRegion(const std::string& path, bool video) : path_(path) {
    if (path.empty()) return;
    if (video)
      clip_ = dataset::ReadClipAnnotation(path);
    else
      image_ = dataset::ReadVocAnnotation(path);
  }
  cv::Mat For(const PreparedImage& image, const std::string& class_name) const {
    if (path_.empty()) return {};
    if (class_name.empty())
      throw OptionError("--annotation",
                        "the model has no class names to match the annotation's "
                        "(give --classes)");
    return image.video
               ? dataset::ClipRegionMask(clip_, class_name, image.working_frame_size(),
                                         image.first_frame, image.frame_stride, image.frames)
               : dataset::BoxRegion(image_, class_name, image.original.size(),
                                    image.working.size());
  }

 private:
  std::string path_;
  dataset::Annotation image_;
  dataset::ClipAnnotation clip_;
};

// Scores `map` (at the working resolution) on the prepared image; writes what options ask for.
EvaluateJobResult Evaluate(model::Classifier& classifier, const PreparedImage& image,
                           const cv::Mat& map, const AnnotationRegion& annotation,
                           const EvaluateJobOptions& options) {
  const int label = ChooseLabel(classifier, image, options.label);
  const auto& names = classifier.info().class_names;
  const std::string class_name = label < static_cast<int>(names.size()) ? names[label] : "";
  const cv::Mat region = annotation.For(image, class_name);
  EvaluateJobResult job;
  job.label = label;
  job.class_name = class_name;
  job.evaluation =
      metrics::Evaluate(classifier, image.working, map, label, region, options.metrics);

  nlohmann::json result = job.evaluation.ToJson();
  const auto path_or_null = [](const std::string& path) {
    return path.empty() ? nlohmann::json(nullptr) : nlohmann::json(path);  // null: in memory
  };
  if (image.video)
    result["video"] = options.video_path;
  else
    result["image"] = path_or_null(options.image_path);
  result["saliency"] = path_or_null(options.saliency_path);
  result["class_name"] = class_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(class_name);
  nlohmann::json thresholds = nlohmann::json::array();
  auto check = [&](const std::pair<std::string, double>& bound, bool below) {
    ThresholdCheck threshold;
    threshold.metric = bound.first;
    threshold.below = below;
    threshold.bound = bound.second;
    threshold.value = *job.evaluation.Value(bound.first, below ? "--fail-below" : "--fail-above");
    threshold.passed =
        below ? !(threshold.value < threshold.bound) : !(threshold.value > threshold.bound);
    thresholds.push_back({{"metric", threshold.metric},
                          {"kind", below ? "fail_below" : "fail_above"},
                          {"bound", threshold.bound},
                          {"value", threshold.value},
                          {"passed", threshold.passed}});
    job.thresholds.push_back(threshold);
  };
  for (const auto& bound : options.fail_below) check(bound, true);
  for (const auto& bound : options.fail_above) check(bound, false);
  result["thresholds"] = thresholds;
  if (!options.json_path.empty()) io::WriteJson(options.json_path, result);
  if (!options.curves_prefix.empty()) WriteCurves(options.curves_prefix, job.evaluation);
  job.summary = std::move(result);
  return job;
}

}  // namespace

EvaluateJobResult RunEvaluateJob(model::Classifier& classifier, const EvaluateJobOptions& options) {
  options.Check();
  CheckOutputsWritable(options);
  const bool video = !options.video_path.empty();
  // Inputs that need no model are read first, so that their errors come before any model work.
  const cv::Mat saliency = video ? cv::Mat() : io::ReadPriorMap(options.saliency_path);
  const AnnotationRegion annotation(options.annotation_path, video);
  const PreparedImage image =
      video ? PrepareVideo(classifier, options.video_path, options.start_frame)
            : PrepareImage(classifier, options.image_path);
  const cv::Mat map = MapAtWorkingSize(video ? ReadMapFor(image, options.saliency_path) : saliency,
                                       image, options.saliency_path);
  return Evaluate(classifier, image, map, annotation, options);
}

EvaluateJobResult EvaluateImage(model::Classifier& classifier, const cv::Mat& image,
                                const cv::Mat& saliency, const EvaluateJobOptions& options) {
  options.CheckSettings();
  if (!options.image_path.empty() || !options.video_path.empty() || !options.saliency_path.empty())
    throw OptionError(options.saliency_path.empty() ? "--image" : "--saliency",
                      "the image and its map are given in memory: no file may be given too");
  BOREX_CHECK_EQ(saliency.type(), CV_32FC1);
  CheckOutputsWritable(options);
  const AnnotationRegion annotation(options.annotation_path, false);
  const PreparedImage prepared = PrepareImage(classifier, image, "image");
  return Evaluate(classifier, prepared, MapAtWorkingSize(saliency, prepared, "saliency"),
                  annotation, options);
}

bool EvaluateJobResult::passed() const {
  return std::all_of(thresholds.begin(), thresholds.end(),
                     [](const ThresholdCheck& check) { return check.passed; });
}

}  // namespace borex::app
