#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>

#include "borex/app/batch.h"
#include "borex/app/report.h"
#include "borex/core/error.h"
#include "borex/model/open_classifier.h"
#include "commands.h"
#include "common_options.h"

namespace borex::cli {
namespace {

std::string Duration(double seconds) {
  const long s = std::lround(seconds);
  char text[32];
  std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  return text;
}

// A progress bar with rate and ETA on a terminal; a log line per image otherwise.
class BatchProgressReport {
 public:
  void operator()(int done, int total, const std::string& id, double seconds) {
    elapsed_ += seconds;
    const double per_image = elapsed_ / done;
    const double per_minute = per_image > 0 ? 60.0 / per_image : 0.0;
    const std::string eta = Duration(per_image * (total - done));
    if (terminal_) {
      const int width = 30, filled = total > 0 ? width * done / total : width;
      std::fprintf(stderr, "\r[%s%s] %d/%d images, %.1f/min, ETA %s   ",
                   std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), done,
                   total, per_minute, eta.c_str());
      if (done == total) std::fprintf(stderr, "\n");
    } else {
      std::fprintf(stderr, "[batch] %d/%d %s (%.2f s), %.1f images/min, ETA %s\n", done, total,
                   id.c_str(), seconds, per_minute, eta.c_str());
    }
    std::fflush(stderr);
  }

 private:
  bool terminal_ = isatty(STDERR_FILENO) != 0;
  double elapsed_ = 0;
};

}  // namespace

std::shared_ptr<BatchCommandFlags> AddBatchCommandFlags(CLI::App& command) {
  auto flags = std::make_shared<BatchCommandFlags>();
  AddModelFlags(command, flags->model);
  const std::string data = "Dataset and output";
  auto* voc =
      command.add_option("--voc-root", flags->options.voc_root, "Dataset root (VOCdevkit layout)")
          ->group(data);
  command
      .add_option("--video-root", flags->options.video_root,
                  "Or a clip dataset for a video model (clips/, annotations/, splits/, "
                  "classes.txt: scripts/make_video_clips.py)")
      ->excludes(voc)
      ->group(data);
  command
      .add_option("--split", flags->options.split,
                  "ImageSets/Main/SPLIT.txt (clips: splits/SPLIT.txt) to run")
      ->required()
      ->group(data);
  command.add_option("--out", flags->options.out_dir, "Output directory")->required()->group(data);
  command.add_option("--methods", flags->options.methods, "Comma-separated methods (see below)")
      ->capture_default_str()
      ->group(data);
  command
      .add_option("--label-map", flags->options.label_map_path,
                  "Lines 'INDEX NAME' or 'FIRST-LAST NAME': model classes to dataset classes")
      ->group(data);
  command
      .add_flag("--allow-unmatched", flags->options.allow_unmatched,
                "Run even when no model class is an annotated class (each image's top-1 class, "
                "no F-measure or pointing game); without it such a batch stops")
      ->group(data);
  command
      .add_option("--label-top-k", flags->options.label_top_k,
                  "Match labels among the model's top K classes")
      ->capture_default_str()
      ->group(data);
  command.add_option("--shard", flags->shard, "Process shard K of N (1 <= K <= N)")->group(data);
  command
      .add_option("--limit", flags->options.limit,
                  "Only the first LIMIT images of the split, before sharding (0: all)")
      ->capture_default_str()
      ->group(data);
  command
      .add_flag("--save-curves", flags->options.save_curves,
                "Keep every map's insertion and deletion curves, OUT/curves/METHOD/ID.csv (for "
                "report --html)")
      ->group(data);
  command.add_flag("--no-progress", flags->quiet_progress, "No progress bar or per-image lines")
      ->group(data);
  command
      .add_option("--images-in-flight", flags->options.images_in_flight,
                  "Images processed together: their refinements share each round's forward "
                  "pass (at most --batch-size images); the maps are those of one at a time. "
                  "1 suits a CPU (more gained <= 4% there); raise it where a pass of 8 images "
                  "leaves the device idle")
      ->capture_default_str()
      ->group(data);

  const std::string methods = "Methods (RISE defaults: the BOREx authors' cheap prior)";
  AddRiseFlags(command, flags->options.explain.rise, methods);
  AddMethodInfillOption(command, "--rise-infill,--rise-occlude", flags->rise_infill,
                        "RISE, Opti-CAM, FIDO: what hidden pixels become", methods);
  command
      .add_option("--target-layer", flags->options.explain.cam.target_layer,
                  "Grad-CAM: submodule path (default: the model's metadata)")
      ->group(methods);
  // Older spellings stay as aliases: --refine-infill and --occlude (the BO masks) and --infill
  // (the metrics' substrate, AddMetricFlags).
  AddRefineFlags(command, flags->refine, "--bo-infill,--refine-infill,--occlude");
  AddMetricFlags(command, flags->options.metrics, flags->infill);

  return flags;
}

app::BatchOptions BatchCommandFlags::Options() const {
  app::BatchOptions options = this->options;
  options.refine = refine.Parse(!options.video_root.empty());
  ApplyMethodInfill(rise_infill, "--rise-infill", options.explain);
  options.metrics.infill = mask::ParseInfill(infill, "--substrate");
  options.metrics.batch_size = options.explain.rise.batch_size;
  if (!shard.empty()) options.shard = dataset::ParseShard(shard, "--shard");
  return options;
}

Action AddBatchCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "batch", "Run methods over a PascalVOC-layout split and score every map (resumable)");
  command->footer(
      "For each image of VOC_ROOT/ImageSets/Main/SPLIT.txt and each method, writes the map to\n"
      "OUT/maps/METHOD/ID.npy (at the model's input resolution) and appends one row to\n"
      "OUT/METHOD.csv: image_id,label,label_items,label_probability,label_rank,insertion,\n"
      "deletion,insertion_sum,deletion_sum,f_measure,f_measure_sum,pointing_hit,average_drop,\n"
      "average_gain,hide_top,prior_coefficient,prior_coefficient_sd,hyperparameter_weight,\n"
      "model_calls,seconds (label_items: objects annotated with the label's class;\n"
      "label_probability and label_rank: the model's probability of the label on the whole\n"
      "image and its rank, 1 = top class; model_calls and seconds: producing the map; borex:X\n"
      "counts only the refinement; prior_coefficient: borex:X's fitted weight a of the prior,\n"
      "negative when the observations contradict it, which the batch's last lines count per\n"
      "method; prior_coefficient_sd: the std of a's prior it was fitted under;\n"
      "hyperparameter_weight: a refinement's posterior weight of its most likely\n"
      "hyperparameters, small where the final map averages many, 1 when it averages none).\n"
      "Methods: rise, pn-rise, gradcam, gradcam++, opticam, fido-ssr, fido-sdr (their defaults),\n"
      "mokuwe (Algorithm 1), borex:PRIOR with PRIOR one of those seven or none, optionally\n"
      "with :no-flip, :simple-average, :no-prior, :box.\n"
      "borex:X refines the very map X produced for the same image (computed once), so the\n"
      "comparison is paired. X:segments is X's map moved over the image's segments as\n"
      "--map-segments W moves BOREx's (no model call more): what that move alone does.\n"
      "Every random choice is seeded per image from --seed and the id.\n"
      "The target label: --label-map, else the model's class names matched to the annotated\n"
      "names (the best-ranked of the top --label-top-k that is annotated); when no model class\n"
      "is annotated anywhere in the split the batch stops, unless --allow-unmatched (top-1).\n"
      "Dataset classes: classes.txt when present (VOC's 20 otherwise) and every <name> in the\n"
      "split's annotations, so a VOC-layout dataset needs no classes.txt.\n"
      "The F-measure region is SegmentationClass/ID.png when present, else the boxes.\n"
      "Killed and restarted, a batch skips finished rows; --shard K/N writes under\n"
      "OUT/shard-K-of-N/, and `borex report OUT` merges the shards.\n\n"
      "Example:\n  borex batch --voc-root data/scenes --split val --model "
      "models/fashion_scenes_resnet.pt --methods rise,gradcam++,borex:rise,borex:gradcam++ "
      "--out out/val\n  borex batch --video-root data/video_clips --split test --model "
      "models/fashion_video_r2plus1d.pt --methods rise,gradcam++,borex:rise,borex:gradcam++ "
      "--out out/video_test");
  const std::shared_ptr<BatchCommandFlags> flags = AddBatchCommandFlags(*command);
  return [flags]() {
    const app::BatchOptions options = flags->Options();
    const model::ModelOptions model_options = flags->model.Options();
    options.Check();  // every flag before the model is loaded
    const std::unique_ptr<model::Classifier> classifier = model::OpenClassifier(model_options);
    BatchProgressReport report;
    app::BatchProgress progress;
    if (!flags->quiet_progress) progress = std::ref(report);
    const app::BatchResult result = app::RunBatch(*classifier, options, progress);
    std::cout << "batch: " << result.images_processed << " images processed, "
              << result.skipped.size() << " skipped, " << result.rows_resumed
              << " rows already done; " << result.total_seconds << " s (" << result.model_seconds
              << " s in the model) -> " << result.out_dir << "\n";
    for (const auto& [id, reason] : result.skipped)
      std::cout << "  skipped " << id << ": " << reason << "\n";
    // One line per method rather than a warning per image (refine's): how many of the refined
    // maps the observations turned against their prior.
    for (const app::BatchMethodResult& method : result.methods)
      if (const std::string note =
              app::MapsAgainstPriorNote(method.name, method.maps_against_prior, method.rows_total);
          !note.empty())
        std::cout << "  " << note << "\n";
    return 0;
  };
}

}  // namespace borex::cli
