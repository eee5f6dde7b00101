// The `borex explain` and `borex refine` commands as library calls: load the model and image,
// pick the label, compute (and refine) a map, and write PREFIX.npy/.png/_overlay.png/.json (and
// the trace) atomically. The CLI only fills these structs; tests call the functions directly.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "borex/explain/method.h"
#include "borex/model/torchscript_classifier.h"
#include "borex/refine/refiner.h"

namespace borex::app {

// What every image command shares: model, image (or video clip), label, outputs.
//
// Images write PREFIX.npy (H x W float32), PREFIX.png (signed heat map), PREFIX_overlay.png and
// PREFIX.json. Clips (video_path, a video model) write PREFIX.npy (T x H x W float32, the
// sampled frames at the clip's resolution), PREFIX.mp4 (the heat map over the frames; an .avi
// where no MP4 encoder is available, said in the JSON's "video_note"), PREFIX.json and, with
// frame_pngs, PREFIX_f000.png ... (one overlay per frame).
//
// `explain --method undesirable` gives two maps and writes each under its own prefix,
// PREFIX_hinder.* and PREFIX_others.* (the files above, e.g. PREFIX_hinder.npy and
// PREFIX_hinder.png), with one PREFIX.json whose "maps" {hinder, others} replaces "map".
struct ImageJobOptions {
  model::TorchScriptOptions model;
  std::string image_path;
  std::string video_path;   // a clip instead of an image (exactly one of the two)
  int start_frame = 0;      // video: the first frame to sample
  bool frame_pngs = false;  // video: also write one PNG per frame
  double fps = 0;           // video: frame rate of PREFIX.mp4 (0: 8 / frame stride)
  std::string label;        // index or class name; empty: the model's top-1 class
  std::string out_prefix;   // writes PREFIX.npy, .png, _overlay.png, .json
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
  std::string prior_method = "rise";  // rise | pn-rise | gradcam | gradcam++ | none (not
                                      // undesirable: it gives two maps)
  explain::ExplainOptions prior;      // settings of an in-process prior (RISE: the cheap one)
  refine::RefineOptions refine;
  std::string trace_path;  // every BO step as JSON; empty: none
  void Check() const;
};

// Called after each BO step with (iteration index, iterations in total).
using ProgressCallback = std::function<void(int, int)>;

// Both return the summary written to PREFIX.json.
nlohmann::json RunExplainJob(const ExplainJobOptions& options);
nlohmann::json RunRefineJob(const RefineJobOptions& options, const ProgressCallback& progress = {});

// The trace document (settings, prior scaling and every step) of a refinement.
nlohmann::json TraceJson(const refine::RefineResult& result, const refine::RefineOptions& options);

}  // namespace borex::app
