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

// What every image command shares: model, image, label, outputs.
struct ImageJobOptions {
  model::TorchScriptOptions model;
  std::string image_path;
  std::string label;       // index or class name; empty: the model's top-1 class
  std::string out_prefix;  // writes PREFIX.npy, .png, _overlay.png, .json
  void Check() const;
};

struct ExplainJobOptions {
  ImageJobOptions common;
  explain::ExplainOptions explain;
};

struct RefineJobOptions {
  ImageJobOptions common;
  std::string prior_path;             // .npy or grayscale image; takes precedence over prior_method
  std::string prior_method = "rise";  // rise | pn-rise | gradcam | gradcam++ | none
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
