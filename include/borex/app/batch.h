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
#include "borex/model/classifier.h"
#include "borex/refine/refine_options.h"

namespace borex::app {

// One entry of `--methods`:
//   rise | pn-rise | gradcam | gradcam++ |    an explanation method
//   opticam | fido-ssr | fido-sdr
//   mokuwe                                    Algorithm 1 (no prior, no flip, plain mean)
//   borex:PRIOR[:VARIANT...]                  BOREx refining PRIOR's map for the same image (one
//                                             of the seven methods above, or none), with VARIANTs
//                                             no-flip | simple-average | no-prior | box
//   METHOD:segments                           METHOD's map moved towards its mean over the
//                                             image's segments as --map-segments moves
//                                             BOREx's (mask::SegmentBlend): that move alone,
//                                             without a model call, for comparison
struct BatchMethod {
  std::string name;  // as written, e.g. "borex:rise:no-flip"
  bool refines = false;
  bool segments = false;  // !refines: the map moved over the image's segments (METHOD:segments)
  explain::Method method = explain::Method::kRise;  // !refines: the method; refines: the prior's
  bool has_prior = false;                           // refines: whether a prior method is named
  refine::RefineOptions refine;  // refines: with the variants applied; segments: the batch's
};
// Parses a comma-separated list; `base` holds the batch's BOREx options. Throws OptionError
// naming `option` for unknown names or variants and for duplicates.
std::vector<BatchMethod> ParseBatchMethods(const std::string& list,
                                           const refine::RefineOptions& base,
                                           const std::string& option);

struct BatchOptions {
  std::string voc_root, split, out_dir;
  std::string video_root;  // a clip dataset (dataset/video_clips.h) instead of voc_root
  std::string methods = "rise,gradcam++,borex:rise,borex:gradcam++";
  std::string label_map_path;  // empty: the model's class names matched to annotated names
  int label_top_k = 10;        // classes considered when matching labels to annotations
  // Without a label map, when no model class is an annotated class: run anyway, explaining each
  // image's top-1 class without F-measure or pointing game (false: stop with one line).
  bool allow_unmatched = false;
  dataset::Shard shard;
  int limit = 0;  // only the first LIMIT images of the split (0: all), before sharding
  // Images processed together: each refining method steps their refinements together, one
  // forward pass per round for all of them (at most explain.rise.batch_size images per pass).
  // The maps equal those of one image at a time whenever the model scores each image
  // independently of its batch. 1: on a CPU, K = 2 and 4 changed a batch's time by -3% to +4%
  // (docs/benchmarks.md), since a round's 2Q images already fill a pass; more pay where a pass of
  // 8 leaves the device idle.
  int images_in_flight = 1;
  // Also keep each map's insertion and deletion curves, OUT/curves/METHOD/ID.csv (app/curves.h),
  // written like the maps: before the row, atomically (for `borex report --html`).
  bool save_curves = false;
  // RISE, Grad-CAM, Opti-CAM and FIDO settings (the method field is unused); the seed and score
  // are the refinement's (each image's seed is derived from refine.seed and its id).
  explain::ExplainOptions explain = explain::ExplainOptions::Prior();
  // BOREx settings shared by every borex:* method; `mokuwe` runs them as Algorithm1(). The
  // algorithm itself is chosen per method in `methods`: refine.algorithm must stay borex.
  refine::RefineOptions refine;
  metrics::MetricOptions metrics;
  void Check() const;
};

// The columns of OUT/<method>.csv: image_id, label, BatchImageColumns(), the metrics
// (metrics::Evaluation::CsvColumns()), prior_coefficient, prior_coefficient_sd,
// hyperparameter_weight, model_calls, seconds.
const std::vector<std::string>& BatchCsvHeader();
// The columns that describe the image rather than the map, the same in every method's CSV:
// label_items (objects annotated with the label's class; empty without a matched class),
// label_probability (the model's probability of the label on the whole image) and label_rank
// (1 + the classes the model scores higher: 1 when the label is its top class).
const std::vector<std::string>& BatchImageColumns();
// The headers of earlier borex versions' CSVs, newest first, each BatchCsvHeader() without the
// columns added since: such a directory still resumes (its rows keep their own columns) and
// merges (the missing columns read as empty).
const std::vector<std::vector<std::string>>& OlderBatchCsvHeaders();
// Where a run writes: OUT, or OUT/shard-K-of-N with --shard.
std::string BatchOutputDir(const BatchOptions& options);
// A directory's settings.json, with every setting added since its format began filled in, when
// absent, with the value that reproduces what runs before it did (such a directory still resumes
// and merges with a run that leaves the new setting at that value).
nlohmann::json ReadBatchSettings(const std::string& path);

// Called after each image: (images finished, images to do, image id, seconds for it).
using BatchProgress = std::function<void(int, int, const std::string&, double)>;

struct BatchMethodResult {
  std::string name, csv_path;
  long rows_written = 0;  // by this run
  long rows_total = 0;    // in the CSV, resumed rows included
  long model_calls = 0;   // producing this run's maps
  double seconds = 0;
  // Rows in the CSV whose refined map holds its prior upside down (the fitted coefficient
  // a < 0: the observations contradict the prior); -1 for a method that fits no a.
  long maps_against_prior = -1;
};

struct BatchResult {
  std::string out_dir;  // where this run wrote (BatchOutputDir)
  long images_in_shard = 0, images_processed = 0, rows_resumed = 0;
  std::vector<std::pair<std::string, std::string>> skipped;  // (image id, reason)
  std::vector<BatchMethodResult> methods;                    // in --methods order
  long model_calls = 0;
  double model_seconds = 0, total_seconds = 0;
  nlohmann::json summary;  // the document written to <out_dir>/batch.json
};

// Runs the batch with `classifier`. Every input (options, dataset, split, label map, the model
// on the first image) is checked before anything is written; returns what was done, also
// written to <output dir>/batch.json.
BatchResult RunBatch(model::Classifier& classifier, const BatchOptions& options,
                     const BatchProgress& progress = {});

}  // namespace borex::app
