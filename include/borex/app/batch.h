// `borex batch`: every image of a PascalVOC split (or every clip of a clip dataset, for a video
// model), every method, one CSV row of metrics per
// (image, method), resumable and shardable. Rows are appended durably (io::CsvAppender) after the
// image's map is written atomically, so a batch killed at any moment and started again skips the
// finished work and never loses or duplicates a row.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "borex/dataset/voc.h"
#include "borex/explain/method.h"
#include "borex/metrics/metrics.h"
#include "borex/model/torchscript_classifier.h"
#include "borex/refine/refine_options.h"

namespace borex::app {

// One entry of `--methods`:
//   rise | pn-rise | gradcam | gradcam++      an explanation method
//   mokuwe                                    Algorithm 1 (no prior, no flip, plain mean)
//   borex:PRIOR[:VARIANT...]                  BOREx refining PRIOR's map for the same image (one
//                                             of the four methods above, or none), with VARIANTs
//                                             no-flip | simple-average | no-prior | box
struct BatchMethod {
  std::string name;  // as written, e.g. "borex:rise:no-flip"
  bool refines = false;
  explain::Method method = explain::Method::kRise;  // !refines: the method; refines: the prior's
  bool has_prior = false;                           // refines: whether a prior method is named
  refine::RefineOptions refine;                     // refines: with the variants applied
};
// Parses a comma-separated list; `base` holds the batch's BOREx options. Throws OptionError
// naming `option` for unknown names or variants and for duplicates.
std::vector<BatchMethod> ParseBatchMethods(const std::string& list,
                                           const refine::RefineOptions& base,
                                           const std::string& option);

struct BatchOptions {
  model::TorchScriptOptions model;
  std::string voc_root, split, out_dir;
  std::string video_root;  // a clip dataset (dataset/video_clips.h) instead of voc_root
  std::string methods = "rise,gradcam++,borex:rise,borex:gradcam++";
  std::string label_map_path;  // empty: the model's class names, else the top-1 class
  int label_top_k = 10;        // classes considered when matching labels to annotations
  dataset::Shard shard;
  int limit = 0;  // only the first LIMIT images of the split (0: all), before sharding
  explain::ExplainOptions explain;  // RISE and Grad-CAM settings (the method field is unused)
  refine::RefineOptions refine;     // BOREx settings shared by every borex:* method
  metrics::MetricOptions metrics;
  void Check() const;
};

// The columns of OUT/<method>.csv.
const std::vector<std::string>& BatchCsvHeader();
// Where a run writes: OUT, or OUT/shard-K-of-N with --shard.
std::string BatchOutputDir(const BatchOptions& options);

// Called after each image: (images finished, images to do, image id, seconds for it).
using BatchProgress = std::function<void(int, int, const std::string&, double)>;

// Runs the batch; returns the summary (also written to <output dir>/batch.json): images done,
// rows written and resumed per method, skipped images with reasons, model and total seconds.
nlohmann::json RunBatch(const BatchOptions& options, const BatchProgress& progress = {});

}  // namespace borex::app
