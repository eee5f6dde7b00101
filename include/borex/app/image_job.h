// The `borex explain` and `borex refine` commands as library calls: given a classifier (any
// model::Classifier backend), load the image, pick the label, compute (and refine) a map, and
// write PREFIX.npy/.png/_overlay.png/.json (and the trace) atomically. The CLI only fills these
// structs and loads the model; tests call the functions directly, with fakes or real models.
// ExplainImage and RefineImage do the same for an image (and a prior) held in memory, as the
// Python module gives them, and write files only when an output prefix is set.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "borex/explain/method.h"
#include "borex/io/heatmap.h"
#include "borex/model/classifier.h"
#include "borex/refine/refiner.h"

namespace borex::app {

// What every image command shares: image (or video clip), label, outputs.
//
// Images write PREFIX.npy (H x W float32), PREFIX.png (the heat map), PREFIX_overlay.png (the
// map over the image) and PREFIX.json (whose map description's "rendering" records how they were
// drawn and the value range the colours span). Clips (video_path, a video model) write PREFIX.npy
// (T x H x W float32, the sampled frames at the clip's resolution), PREFIX.mp4 (the heat map over
// the frames; an .avi where no MP4 encoder is available, said in the JSON's "video_note"),
// PREFIX.json and, with frame_pngs, PREFIX_f000.png ... (one overlay per frame).
//
// `explain --method undesirable` gives two maps and writes each under its own prefix,
// PREFIX_hinder.* and PREFIX_others.* (the files above, e.g. PREFIX_hinder.npy and
// PREFIX_hinder.png), with one PREFIX.json whose "maps" {hinder, others} replaces "map".
struct ImageJobOptions {
  std::string image_path;
  std::string video_path;   // a clip instead of an image (exactly one of the two)
  int start_frame = 0;      // video: the first frame to sample
  bool frame_pngs = false;  // video: also write one PNG per frame
  double fps = 0;           // video: frame rate of PREFIX.mp4 (0: 8 / frame stride)
  std::string label;        // index or class name; empty: the model's top-1 class
  std::string out_prefix;   // writes PREFIX.npy, .png, _overlay.png, .json
  // How saliency maps are drawn (heat map, overlay, the clip's video and frames): min-max JET.
  io::RenderOptions render;
  // How the undesirable maps, whose sign is their meaning, are drawn: the signed diverging view.
  io::RenderOptions signed_render = io::RenderOptions::Signed();
  // Every setting but the inputs and the output prefix: what a job on an image in memory needs.
  void CheckSettings() const;
  // The output prefix alone: given, and not a directory.
  void CheckOutputPrefix() const;
  // CheckSettings(), an image or a clip, an output prefix, and no output that is an input.
  void Check() const;
  bool video() const { return !video_path.empty(); }
  const std::string& input_path() const { return video() ? video_path : image_path; }
};

struct ExplainJobOptions {
  ImageJobOptions common;
  explain::ExplainOptions explain;
};

struct RefineJobOptions {
  ImageJobOptions common;
  std::string prior_path;             // .npy or grayscale image; takes precedence over prior_method
  std::string prior_method = "rise";  // rise | pn-rise | gradcam | gradcam++ | opticam |
                                      // fido-ssr | fido-sdr | none (not undesirable: two maps)
  // Settings of a prior computed in process (the cheap RISE); its seed and score are the
  // refinement's (refine.seed, refine.score), so one --seed decides the whole job.
  explain::ExplainOptions prior = explain::ExplainOptions::Prior();
  refine::RefineOptions refine;
  std::string trace_path;  // every BO step as JSON; empty: none
  // As ImageJobOptions::CheckSettings, and no output (the trace included) that is an input (the
  // prior included).
  void CheckSettings() const;
  // CheckSettings(), an image or a clip, and an output prefix.
  void Check() const;
};

// Called after each BO step with (iteration index, iterations in total).
using ProgressCallback = std::function<void(int, int)>;

// What a job did. `summary` is the document written to PREFIX.json; the typed fields repeat what
// a caller usually needs from it.
struct ImageJobResult {
  int label = 0, top1 = 0;
  std::string class_name;  // empty when the model has no class names
  double confidence = 0;   // softmax probability of `label` on the whole image
  long model_calls = 0;    // images through the model, prior included
  double model_seconds = 0, total_seconds = 0;
  std::vector<std::string> outputs;  // the files written
  std::vector<cv::Mat> maps;  // at the image's own resolution: the map, or (undesirable) hinder
                              // and others
  nlohmann::json summary;
};

struct RefineJobResult : ImageJobResult {
  refine::RefineResult refinement;  // the map at the working resolution and every BO step
  long prior_model_calls = 0;       // of `model_calls`, those spent on an in-process prior
};

ImageJobResult RunExplainJob(model::Classifier& classifier, const ExplainJobOptions& options);
RefineJobResult RunRefineJob(model::Classifier& classifier, const RefineJobOptions& options,
                             const ProgressCallback& progress = {});

// The jobs on an image in memory (CV_32FC3, RGB in [0,1], as io::ReadImageRgb gives) instead of
// options.common's image or clip, which must be empty. Nothing is written unless
// options.common.out_prefix is set (then the same files as from a file, the summary's "image"
// null). The result's maps and summary are those of the file job on the same pixels.
ImageJobResult ExplainImage(model::Classifier& classifier, const cv::Mat& image,
                            const ExplainJobOptions& options);
// `prior` (CV_32FC1 at the image's or the model's resolution; empty: options.prior_method's)
// takes the place of options.prior_path, which must be empty; the summary's prior "source" is
// "array".
RefineJobResult RefineImage(model::Classifier& classifier, const cv::Mat& image,
                            const cv::Mat& prior, const RefineJobOptions& options,
                            const ProgressCallback& progress = {});

// The trace document (settings, prior scaling and every step) of a refinement.
nlohmann::json TraceJson(const refine::RefineResult& result, const refine::RefineOptions& options);

}  // namespace borex::app
