#include "borex/app/image_job.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "borex/app/prepared_image.h"
#include "borex/core/error.h"
#include "borex/explain/undesirable.h"
#include "borex/io/atomic_file.h"
#include "borex/io/heatmap.h"
#include "borex/io/image.h"
#include "borex/io/json_file.h"
#include "borex/io/npy.h"
#include "borex/io/video.h"

namespace borex::app {
namespace {

using Clock = std::chrono::steady_clock;

// The loaded inputs every image command starts from.
struct LoadedImage {
  model::Classifier* classifier = nullptr;
  PreparedImage image;
  int label = 0;
  double confidence = 0;  // softmax probability of `label` on the unmasked image
};

LoadedImage Load(model::Classifier& classifier, const ImageJobOptions& options) {
  LoadedImage loaded;
  loaded.classifier = &classifier;
  loaded.image = options.video() ? PrepareVideo(classifier, options.video_path, options.start_frame)
                                 : PrepareImage(classifier, options.image_path);
  loaded.label = ChooseLabel(classifier, loaded.image, options.label);
  loaded.confidence = loaded.image.probabilities[loaded.label];
  const auto& info = classifier.info();
  spdlog::info("{}: {} with confidence {:.4f} (top-1: {})", options.input_path(),
               info.ClassLabel(loaded.label), loaded.confidence,
               info.ClassLabel(loaded.image.top1));
  return loaded;
}

void WriteEncoded(const std::string& path, const cv::Mat& bgr8) {
  std::vector<uchar> bytes;
  if (!cv::imencode(".png", bgr8, bytes)) throw OutputError(path, "cannot encode PNG");
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw OutputError(path, "cannot write file");
}

nlohmann::json CommonSummary(const ImageJobOptions& options, const LoadedImage& loaded) {
  const auto& info = loaded.classifier->info();
  nlohmann::json summary;
  summary["version"] = BOREX_VERSION;
  summary["model"] = info.source;
  const PreparedImage& image = loaded.image;
  const cv::Size original = image.original_frame_size(), working = image.working_frame_size();
  if (image.video) {
    summary["video"] = options.video_path;
    summary["frames"] = image.frames;
    summary["first_frame"] = image.first_frame;
    summary["frame_stride"] = image.frame_stride;
    summary["layout"] = model::VideoLayoutName(info.layout);
  } else {
    summary["image"] = options.image_path;
  }
  summary["image_size"] = {original.height, original.width};  // per frame for a clip
  summary["working_size"] = {working.height, working.width};
  summary["label"] = loaded.label;
  summary["class_name"] = loaded.label < static_cast<int>(info.class_names.size())
                              ? nlohmann::json(info.class_names[loaded.label])
                              : nlohmann::json(nullptr);
  summary["confidence"] = loaded.confidence;
  summary["top1"] = loaded.image.top1;
  summary["device"] = info.device;
  return summary;
}

// A named map of a job: written as PREFIX + suffix + ".npy" etc.; `name` keys the summary.
struct NamedMap {
  std::string name, suffix;
  cv::Mat map;  // at the working resolution
  io::RenderOptions render;
};

// Stages PREFIX.npy, the heat map(s) and, for a clip, PREFIX.mp4 and the per-frame PNGs, their
// colours spanning `range` (a clip's: ColourRange over all its frames); returns the paths written.
std::vector<std::string> StageMaps(io::AtomicOutputSet& outputs, const ImageJobOptions& options,
                                   const std::string& prefix, const cv::Mat& map,
                                   const io::RenderOptions& render, const io::ValueRange& range,
                                   const PreparedImage& image, nlohmann::json& summary) {
  if (!image.video) {
    io::WriteNpy(outputs.Stage(prefix + ".npy"), map);
    WriteEncoded(outputs.Stage(prefix + ".png"), io::RenderHeatmap(map, render, range));
    WriteEncoded(outputs.Stage(prefix + "_overlay.png"),
                 io::RenderOverlay(image.original, map, render, range));
    return {prefix + ".npy", prefix + ".png", prefix + "_overlay.png"};
  }
  io::WriteNpy3D(outputs.Stage(prefix + ".npy"), io::UnstackFrames(map, image.frames));
  const std::vector<cv::Mat> frames =
      io::RenderHeatmapFrames(map, image.frames, image.original, render, range);
  const double fps = options.fps > 0 ? options.fps : 8.0 / image.frame_stride;
  const io::VideoWriteResult video = io::WriteVideo(outputs, prefix + ".mp4", frames, fps);
  if (!video.note.empty()) spdlog::warn("{}", video.note);
  summary["video_codec"] = video.codec;
  summary["video_note"] = video.note.empty() ? nlohmann::json(nullptr) : nlohmann::json(video.note);
  std::vector<std::string> written = {prefix + ".npy", video.path};
  if (options.frame_pngs)
    for (size_t t = 0; t < frames.size(); ++t) {
      const std::string path = prefix + fmt::format("_f{:03d}.png", t);
      WriteEncoded(outputs.Stage(path), frames[t]);
      written.push_back(path);
    }
  return written;
}

// Writes the maps (resized to the image's own resolution; a clip's frames to theirs) and the
// summary as one atomic set. One map is described in summary["map"]; several, in
// summary["maps"][name].
// Fills the result's maps and outputs.
void WriteOutputs(const ImageJobOptions& options, const std::vector<NamedMap>& working_maps,
                  const LoadedImage& loaded, nlohmann::json& summary, const std::string& trace_path,
                  const nlohmann::json* trace, ImageJobResult& result) {
  const PreparedImage& image = loaded.image;
  const cv::Size frame = image.original_frame_size();
  io::AtomicOutputSet outputs;
  std::vector<std::string> written;
  for (const NamedMap& named : working_maps) {
    const cv::Mat map = ResizeFrames(named.map, image.frames, frame);
    result.maps.push_back(map);
    double min_value = 0, max_value = 0;
    cv::minMaxLoc(map, &min_value, &max_value);
    const io::ValueRange range = io::ColourRange(map, named.render);
    nlohmann::json rendering = named.render.ToJson();
    rendering["value_range"] = {range.low, range.high};
    const nlohmann::json description = {
        {"shape", image.video ? nlohmann::json({image.frames, frame.height, frame.width})
                              : nlohmann::json({map.rows, map.cols})},
        {"min", min_value},
        {"max", max_value},
        {"rendering", rendering}};
    if (working_maps.size() == 1)
      summary["map"] = description;
    else
      summary["maps"][named.name] = description;
    for (std::string& path : StageMaps(outputs, options, options.out_prefix + named.suffix, map,
                                       named.render, range, image, summary))
      written.push_back(std::move(path));
  }
  if (trace != nullptr) io::WriteJson(outputs.Stage(trace_path), *trace);
  written.push_back(options.out_prefix + ".json");
  summary["outputs"] = written;
  io::WriteJson(outputs.Stage(options.out_prefix + ".json"), summary);
  outputs.Commit();
  result.outputs = std::move(written);
}

// The job's counters: the classifier's since `calls_before`/`seconds_before` (a classifier may
// serve several jobs).
void AddTiming(nlohmann::json& summary, ImageJobResult& result, const LoadedImage& loaded,
               long calls_before, double seconds_before, Clock::time_point start) {
  result.total_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.model_calls = loaded.classifier->model_calls() - calls_before;
  result.model_seconds = loaded.classifier->model_seconds() - seconds_before;
  result.label = loaded.label;
  result.top1 = loaded.image.top1;
  result.confidence = loaded.confidence;
  const auto& names = loaded.classifier->info().class_names;
  if (loaded.label < static_cast<int>(names.size())) result.class_name = names[loaded.label];
  summary["model_calls"] = result.model_calls;
  summary["timing"] = {{"model_seconds", result.model_seconds},
                       {"other_seconds", result.total_seconds - result.model_seconds},
                       {"total_seconds", result.total_seconds}};
}

nlohmann::json MethodSettings(const explain::ExplainOptions& options,
                              const model::ModelInfo& info) {
  nlohmann::json settings = {{"method", explain::MethodName(options.method)}};
  const std::string target_layer =
      options.cam.target_layer.empty() ? info.target_layer : options.cam.target_layer;
  switch (options.method) {
    case explain::Method::kRise:
    case explain::Method::kPnRise:
    case explain::Method::kUndesirable:
      settings.update(options.rise.ToJson());
      if (info.is_video()) settings["grid_frames"] = options.rise.grid_frames;
      break;
    case explain::Method::kGradCam:
    case explain::Method::kGradCamPlusPlus:
      settings["target_layer"] = target_layer;
      break;
    case explain::Method::kOptiCam:
      settings.update(options.opticam.ToJson());
      settings["target_layer"] = target_layer;
      settings["infill"] = mask::InfillName(options.rise.infill);
      break;
    case explain::Method::kFidoSsr:
    case explain::Method::kFidoSdr: {
      explain::FidoOptions fido = options.fido;
      fido.objective = options.method == explain::Method::kFidoSsr
                           ? explain::FidoObjective::kSmallestSufficient
                           : explain::FidoObjective::kSmallestDestroying;
      fido.seed = options.rise.seed;
      settings.update(fido.ToJson());
      settings["infill"] = mask::InfillName(options.rise.infill);
      break;
    }
  }
  return settings;
}

nlohmann::json RefineSettings(const refine::RefineOptions& o, const refine::RefineResult& result,
                              const cv::Size& working_size) {
  const bool video = result.frames > 1;
  nlohmann::json settings = o.ToJson(video);
  settings["mask_sides_px"] = result.side_pixels;
  // working_size: of one frame
  settings["length_scale_position"] =
      o.PositionLengthScale(working_size.height, working_size.width, result.frames);
  settings["length_scale_size"] =
      o.SizeLengthScale(working_size.height, working_size.width, result.frames);
  if (video) {
    settings["mask_depths_frames"] = result.depth_frames;
    settings["length_scale_frame"] = o.FrameLengthScale(result.frames);
    settings["length_scale_depth"] = o.DepthLengthScale(result.frames);
  }
  return settings;
}

}  // namespace

void ImageJobOptions::Check() const {
  if (image_path.empty() && video_path.empty())
    throw OptionError("--image", "an image file (or --video CLIP) is required");
  if (!image_path.empty() && !video_path.empty())
    throw OptionError("--video", "give either --image or --video, not both");
  if (start_frame < 0) throw OptionError("--start-frame", "must not be negative");
  if (!video() && (start_frame != 0 || frame_pngs))
    throw OptionError(frame_pngs ? "--frame-pngs" : "--start-frame", "needs --video");
  if (!(fps >= 0)) throw OptionError("--fps", "must be positive (or 0 for the default)");
  if (out_prefix.empty()) throw OptionError("--out", "an output prefix is required");
  render.Check();
  signed_render.Check();
}

void RefineJobOptions::Check() const {
  common.Check();
  refine.CheckSettings();
  if (prior_path.empty() && prior_method != "none")
    explain::ParseSingleMapMethod(prior_method, "--prior-method");
}

ImageJobResult RunExplainJob(model::Classifier& classifier, const ExplainJobOptions& options) {
  const auto start = Clock::now();
  const long calls_before = classifier.model_calls();
  const double seconds_before = classifier.model_seconds();
  options.common.Check();
  explain::CheckMethodSupported(classifier, options.explain.method, "--method");
  io::CheckWritable(options.common.out_prefix + ".json");
  LoadedImage loaded = Load(classifier, options.common);
  std::vector<NamedMap> maps;
  if (options.explain.method == explain::Method::kUndesirable) {
    explain::UndesirableMaps undesirable = explain::ComputeUndesirable(
        classifier, loaded.image.working, loaded.label, options.explain.rise);
    const io::RenderOptions& render = options.common.signed_render;
    maps = {{"hinder", "_hinder", std::move(undesirable.hinder), render},
            {"others", "_others", std::move(undesirable.others), render}};
  } else {
    maps = {{"map", "",
             explain::Explain(classifier, loaded.image.working, loaded.label, options.explain),
             options.common.render}};
  }
  ImageJobResult result;
  nlohmann::json summary = CommonSummary(options.common, loaded);
  summary["command"] = "explain";
  summary["settings"] = MethodSettings(options.explain, classifier.info());
  AddTiming(summary, result, loaded, calls_before, seconds_before, start);
  WriteOutputs(options.common, maps, loaded, summary, "", nullptr, result);
  result.summary = std::move(summary);
  return result;
}

RefineJobResult RunRefineJob(model::Classifier& classifier, const RefineJobOptions& options,
                             const ProgressCallback& progress) {
  const auto start = Clock::now();
  const long calls_before = classifier.model_calls();
  const double seconds_before = classifier.model_seconds();
  options.Check();
  const refine::RefineOptions& refine_options = options.refine;
  const bool computes_prior =
      refine_options.use_prior && options.prior_path.empty() && options.prior_method != "none";
  if (computes_prior)
    explain::CheckMethodSupported(
        classifier, explain::ParseSingleMapMethod(options.prior_method, "--prior-method"),
        "--prior-method");
  io::CheckWritable(options.common.out_prefix + ".json");
  if (!options.trace_path.empty()) io::CheckWritable(options.trace_path);

  LoadedImage loaded = Load(classifier, options.common);
  const cv::Size working_frame = loaded.image.working_frame_size();
  refine_options.Check(working_frame.height, working_frame.width, loaded.image.frames);
  const auto& info = loaded.classifier->info();

  // The prior i0 at the working resolution.
  cv::Mat prior;
  nlohmann::json prior_summary;
  const long calls_before_prior = loaded.classifier->model_calls();
  const bool no_prior =
      !refine_options.use_prior || (options.prior_path.empty() && options.prior_method == "none");
  if (no_prior) {
    prior_summary = {{"source", "none"}};
  } else if (!options.prior_path.empty() && loaded.image.video) {
    prior = MapAtWorkingSize(ReadMapFor(loaded.image, options.prior_path), loaded.image,
                             options.prior_path);
    prior_summary = {{"source", options.prior_path}};
  } else if (!options.prior_path.empty()) {
    prior = io::ReadPriorMap(options.prior_path);
    if (prior.size() != loaded.image.working.size() && prior.size() != loaded.image.original.size())
      spdlog::warn("{}: prior is {}x{} but the image is {}x{}; resizing it", options.prior_path,
                   prior.cols, prior.rows, loaded.image.original.cols, loaded.image.original.rows);
    prior = Resize(prior, loaded.image.working.size());
    prior_summary = {{"source", options.prior_path}};
  } else {
    explain::ExplainOptions prior_options = options.prior;
    prior_options.method = explain::ParseSingleMapMethod(options.prior_method, "--prior-method");
    prior_options.rise.seed = refine_options.seed;
    prior_options.rise.score = refine_options.score;
    prior = explain::Explain(*loaded.classifier, loaded.image.working, loaded.label, prior_options);
    prior_summary = MethodSettings(prior_options, info);
    prior_summary["source"] = "computed";
  }
  RefineJobResult job_result;
  job_result.prior_model_calls = loaded.classifier->model_calls() - calls_before_prior;
  prior_summary["model_calls"] = job_result.prior_model_calls;
  if (!prior.empty() && cv::countNonZero(prior) == 0)
    spdlog::warn("the prior is zero everywhere: refining without prior information");

  const refine::RefineResult result = refine::RunRefinement(
      *loaded.classifier, loaded.image.working, loaded.label, prior, refine_options,
      [&](const refine::StepRecord& step) {
        spdlog::debug("step {}: mask ({}, {}) side {} -> s = {:.5f}", step.iteration, step.row,
                      step.col, step.side, step.observation);
        if (progress) progress(step.iteration + 1, refine_options.iterations);
      });

  nlohmann::json summary = CommonSummary(options.common, loaded);
  summary["command"] = "refine";
  summary["settings"] = RefineSettings(refine_options, result, working_frame);
  summary["candidates"] = result.candidates;
  summary["prior"] = prior_summary;
  summary["prior"]["scale"] = result.prior_scale;
  if (refine_options.prior_mean == refine::PriorMean::kFitted) {
    summary["prior"]["coefficient"] = result.prior_coefficient;  // a of m = a·ī0 + b
    summary["prior"]["offset"] = result.prior_offset;            // b
  }
  summary["signal_variance"] = result.signal_variance;
  summary["iterations"] = result.iterations;
  summary["refine_model_calls"] = result.model_calls;
  summary["refine_seconds"] = result.total_seconds;
  summary["refine_model_seconds"] = result.model_seconds;
  AddTiming(summary, job_result, loaded, calls_before, seconds_before, start);
  if (!options.trace_path.empty()) {
    const nlohmann::json trace = TraceJson(result, refine_options);
    WriteOutputs(options.common, {{"map", "", result.map, options.common.render}}, loaded, summary,
                 options.trace_path, &trace, job_result);
  } else {
    WriteOutputs(options.common, {{"map", "", result.map, options.common.render}}, loaded, summary,
                 "", nullptr, job_result);
  }
  job_result.summary = std::move(summary);
  job_result.refinement = result;
  return job_result;
}

nlohmann::json TraceJson(const refine::RefineResult& result, const refine::RefineOptions& options) {
  nlohmann::json steps = nlohmann::json::array();
  const bool video = result.frames > 1;
  // The GP's residual: s − i0 (fixed prior mean), or s − (a·ī0 + b) with the final a and b.
  const bool fitted = options.prior_mean == refine::PriorMean::kFitted;
  const auto residual = [&](const refine::StepRecord& step) {
    return fitted ? step.observation -
                        (result.prior_coefficient * step.prior_at_point + result.prior_offset)
                  : step.observation - step.prior_at_point;
  };
  for (const refine::StepRecord& step : result.steps) {
    nlohmann::json point = {step.gp_row, step.gp_col, step.gp_side};
    if (video) point = {step.gp_row, step.gp_col, step.frame, step.gp_side, step.depth};
    steps.push_back({{"iteration", step.iteration},
                     {"row", step.row},
                     {"col", step.col},
                     {"side", step.side},
                     {"gp_point", point},
                     {"score_masked", step.score_masked},
                     {"score_reference", step.score_reference},
                     {"observation", step.observation},
                     {"prior_at_point", step.prior_at_point},
                     {"residual", residual(step)},
                     {"acquisition", step.acquisition},
                     {"length_scales",
                      std::vector<double>(step.length_scales.data(),
                                          step.length_scales.data() + step.length_scales.size())}});
    if (video) {
      steps.back()["frame"] = step.frame;
      steps.back()["depth"] = step.depth;
    }
  }
  return {{"format", "borex-trace/1"},
          {"settings", RefineSettings(options, result,
                                      cv::Size(result.map.cols, result.map.rows / result.frames))},
          {"prior_scale", result.prior_scale},
          {"base_score", result.base_score},
          {"prior_mean", refine::PriorMeanName(options.prior_mean)},
          {"prior_coefficient", result.prior_coefficient},
          {"prior_offset", result.prior_offset},
          {"signal_variance", result.signal_variance},
          {"noise_variance", options.noise_variance},
          {"steps", steps}};
}

}  // namespace borex::app
