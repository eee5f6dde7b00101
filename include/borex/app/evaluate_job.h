// `borex evaluate`: every metric of one saliency map (metrics/metrics.h), optionally against a
// VOC annotation, with threshold checks for CI jobs that guard a model's explanations.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "borex/metrics/metrics.h"
#include "borex/model/classifier.h"

namespace borex::app {

// "insertion=0.5" -> {"insertion", 0.5}; throws OptionError naming `option` when malformed.
std::pair<std::string, double> ParseThreshold(const std::string& text, const std::string& option);

struct EvaluateJobOptions {
  std::string image_path, saliency_path;
  std::string video_path;       // a clip instead of an image (a video model)
  int start_frame = 0;          // video: the first frame sampled
  std::string label;            // index or class name; empty: the model's top-1
  std::string annotation_path;  // VOC XML (a clip: its JSON annotation, per-frame boxes):
                                // enables F-measure and the pointing game
  std::string json_path;        // optional output
  std::string curves_prefix;    // optional: PREFIX_curves.csv and PREFIX_curves.png (curves.h)
  metrics::MetricOptions metrics;
  std::vector<std::pair<std::string, double>> fail_below, fail_above;  // METRIC, bound
  // Every setting but the image and the map: what EvaluateImage needs.
  void CheckSettings() const;
  // CheckSettings(), an image or a clip, and a map.
  void Check() const;
};

// One --fail-below / --fail-above check.
struct ThresholdCheck {
  std::string metric;
  bool below = true;  // --fail-below (fails when value < bound); else --fail-above
  double bound = 0, value = 0;
  bool passed = true;
};

struct EvaluateJobResult {
  int label = 0;
  std::string class_name;  // empty when the model has no class names
  metrics::Evaluation evaluation;
  std::vector<ThresholdCheck> thresholds;
  // The metrics as JSON (the keys of metrics::Evaluation::ToJson plus image, saliency,
  // class_name and "thresholds": [{metric, bound, kind, value, passed}]), as written to json_path.
  nlohmann::json summary;
  bool passed() const;  // every threshold passed
};

// Evaluates the map with `classifier`; writes the summary to json_path and the curves under
// curves_prefix (atomically) when set. A
// threshold on an unknown metric, or on F-measure/pointing without an annotation, is an
// OptionError raised before any model work.
EvaluateJobResult RunEvaluateJob(model::Classifier& classifier, const EvaluateJobOptions& options);

// The same for an image in memory (CV_32FC3, RGB in [0,1]) and its map (CV_32FC1 at the image's
// or the model's resolution) instead of options' image and saliency files, which must be empty;
// the summary's "image" and "saliency" are null.
EvaluateJobResult EvaluateImage(model::Classifier& classifier, const cv::Mat& image,
                                const cv::Mat& saliency, const EvaluateJobOptions& options);

}  // namespace borex::app
