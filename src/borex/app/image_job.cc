#include "borex/app/image_job.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
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

// The image prepared (scored once) and its label chosen; `name` is the input in the log line.
LoadedImage Label(model::Classifier& classifier, PreparedImage image, const std::string& label,
                  const std::string& name) {
  LoadedImage loaded;
  loaded.classifier = &classifier;
  loaded.image = std::move(image);
  loaded.label = ChooseLabel(classifier, loaded.image, label);
  loaded.confidence = loaded.image.probabilities[loaded.label];
  const auto& info = classifier.info();
  spdlog::info("{}: {} with confidence {:.4f} (top-1: {})", name, info.ClassLabel(loaded.label),
               loaded.confidence, info.ClassLabel(loaded.image.top1));
  return loaded;
}

LoadedImage Load(model::Classifier& classifier, const ImageJobOptions& options) {
  return Label(classifier,
               options.video() ? PrepareVideo(classifier, options.video_path, options.start_frame)
                               : PrepareImage(classifier, options.image_path),
               options.label, options.input_path());
}

// An image in memory instead of options' files: the settings checked, the outputs' paths writable.
LoadedImage LoadInMemory(model::Classifier& classifier, const cv::Mat& image,
                         const ImageJobOptions& options) {
  if (options.video() || !options.image_path.empty())
    throw OptionError(options.video() ? "--video" : "--image",
                      "the image is given in memory: no file may be given too");
  if (!options.out_prefix.empty()) io::CheckWritable(options.out_prefix + ".json");
  return Label(classifier, PrepareImage(classifier, image, "image"), options.label, "image");
}

// Where a job starts: the clock and the classifier's counters (a classifier may serve several
// jobs).
struct JobStart {
  explicit JobStart(const model::Classifier& classifier)
      : calls(classifier.model_calls()), seconds(classifier.model_seconds()) {}
  Clock::time_point time = Clock::now();
  long calls = 0;
  double seconds = 0;
};

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
    summary["image"] = options.image_path.empty() ? nlohmann::json(nullptr)  // in memory
                                                  : nlohmann::json(options.image_path);
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
  const double fps = options.fps > 0 ? options.fps
                                     : std::clamp(8.0 / image.frame_stride, io::kMinFramesPerSecond,
                                                  io::kMaxFramesPerSecond);
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

// Resizes the maps to the image's own resolution (a clip's frames to theirs) into result.maps and
// describes them in the summary: one map in summary["map"], several in summary["maps"][name].
// With an output prefix, writes the maps and the summary (and the trace when `trace` is given)
// as one atomic set; summary["outputs"] lists the files written.
void WriteOutputs(const ImageJobOptions& options, const std::vector<NamedMap>& working_maps,
                  const LoadedImage& loaded, nlohmann::json& summary, const std::string& trace_path,
                  const nlohmann::json* trace, ImageJobResult& result) {
  const PreparedImage& image = loaded.image;
  const cv::Size frame = image.original_frame_size();
  const bool write_maps = !options.out_prefix.empty();
  io::AtomicOutputSet outputs;
  std::vector<std::string> written;
  for (const NamedMap& named : working_maps) {
    // A map with NaN would be written as a blank picture and skew every metric; refuse it, with
    // nothing written (an overflow from an option far out of range: --prior-scale 1e308).
    if (!cv::checkRange(named.map))
      throw Error("the " + (named.name == "map" ? std::string("map") : named.name + " map") +
                  " computed has NaN or infinite values (an option far out " +
                  "of range?); nothing written");
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
    if (!write_maps) continue;
    for (std::string& path : StageMaps(outputs, options, options.out_prefix + named.suffix, map,
                                       named.render, range, image, summary))
      written.push_back(std::move(path));
  }
  if (trace != nullptr) {
    io::WriteJson(outputs.Stage(trace_path), *trace);
    if (!write_maps) written.push_back(trace_path);
  }
  if (write_maps) written.push_back(options.out_prefix + ".json");
  summary["outputs"] = written;
  if (write_maps) io::WriteJson(outputs.Stage(options.out_prefix + ".json"), summary);
  outputs.Commit();
  result.outputs = std::move(written);
}

// The job's counters: the classifier's since `start`.
void AddTiming(nlohmann::json& summary, ImageJobResult& result, const LoadedImage& loaded,
               const JobStart& start) {
  result.total_seconds = std::chrono::duration<double>(Clock::now() - start.time).count();
  result.model_calls = loaded.classifier->model_calls() - start.calls;
  result.model_seconds = loaded.classifier->model_seconds() - start.seconds;
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
      settings["infill"] = mask::InfillName(options.optimising_infill);
      break;
    case explain::Method::kFidoSsr:
    case explain::Method::kFidoSdr: {
      explain::FidoOptions fido = options.fido;
      fido.objective = options.method == explain::Method::kFidoSsr
                           ? explain::FidoObjective::kSmallestSufficient
                           : explain::FidoObjective::kSmallestDestroying;
      fido.seed = options.rise.seed;
      settings.update(fido.ToJson());
      settings["infill"] = mask::InfillName(options.optimising_infill);
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

// The explanation of a loaded image, written when options.common has an output prefix.
ImageJobResult Explain(const LoadedImage& loaded, const ExplainJobOptions& options,
                       const JobStart& start) {
  model::Classifier& classifier = *loaded.classifier;
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
  AddTiming(summary, result, loaded, start);
  WriteOutputs(options.common, maps, loaded, summary, "", nullptr, result);
  result.summary = std::move(summary);
  return result;
}

// The prior given to a refinement (a file or an array), at the working resolution; read only
// when the refinement uses it.
using GivenPrior = std::function<cv::Mat()>;

// A prior method the classifier cannot run (a white-box method on a black-box model) is refused
// before anything is loaded or written; a given prior needs no method.
void CheckPriorMethodSupported(model::Classifier& classifier, const RefineJobOptions& options,
                               bool prior_given) {
  if (options.refine.use_prior && !prior_given && options.prior_method != "none")
    explain::CheckMethodSupported(
        classifier, explain::ParseSingleMapMethod(options.prior_method, "--prior-method", "none"),
        options.prior, "--prior-method");
}

// The refinement of a loaded image from `given_prior` (named `prior_source` in the summary) or,
// when there is none, the prior options.prior_method computes; written when options.common has
// an output prefix, the trace when options has a trace path.
RefineJobResult Refine(const LoadedImage& loaded, const RefineJobOptions& options,
                       const GivenPrior& given_prior, const std::string& prior_source,
                       const ProgressCallback& progress, const JobStart& start) {
  const refine::RefineOptions& refine_options = options.refine;
  const cv::Size working_frame = loaded.image.working_frame_size();
  refine_options.Check(working_frame.height, working_frame.width, loaded.image.frames);
  const auto& info = loaded.classifier->info();

  // The prior i0 at the working resolution.
  cv::Mat prior;
  refine::PriorSamples prior_samples;  // a computed RISE prior's (RefineOptions::rise_observations)
  nlohmann::json prior_summary;
  const long calls_before_prior = loaded.classifier->model_calls();
  const bool no_prior =
      !refine_options.use_prior || (!given_prior && options.prior_method == "none");
  if (no_prior) {
    prior_summary = {{"source", "none"}};
  } else if (given_prior) {
    prior = given_prior();
    prior_summary = {{"source", prior_source}};
  } else {
    explain::ExplainOptions prior_options = options.prior;
    prior_options.method =
        explain::ParseSingleMapMethod(options.prior_method, "--prior-method", "none");
    prior_options.rise.seed = refine_options.seed;
    prior_options.rise.score = refine_options.score;
    const int samples_read = refine_options.RiseSamplesRead(loaded.image.frames);
    prior = explain::Explain(*loaded.classifier, loaded.image.working, loaded.label, prior_options,
                             samples_read > 0 ? &prior_samples.rise : nullptr, samples_read);
    if (!prior_samples.empty()) prior_samples.unmasked_logits = loaded.image.logits;
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
      },
      prior_samples);

  nlohmann::json summary = CommonSummary(options.common, loaded);
  summary["command"] = "refine";
  summary["settings"] = RefineSettings(refine_options, result, working_frame);
  summary["candidates"] = result.candidates;
  summary["prior"] = prior_summary;
  summary["prior"]["scale"] = result.prior_scale;
  // The prior's own RISE masks the field conditioned on (0: none, or the gate closed).
  summary["prior"]["rise_observations"] = result.rise_observations;
  if (refine_options.prior_mean == refine::PriorMean::kFitted) {
    summary["prior"]["coefficient"] = result.prior_coefficient;  // a of m = a·ī0 + b
    summary["prior"]["offset"] = result.prior_offset;            // b
    // The map is a·i0 plus the observations' deviation: with a < 0 it holds the prior upside
    // down, which a reader of the picture should not mistake for the prior's claim (issue 11,
    // sixteenth round: mostly scenes where the model barely sees the class).
    if (!prior.empty() && result.prior_coefficient < 0)
      spdlog::warn(
          "the observations contradict the prior (its fitted coefficient is {:.3g} < 0): the "
          "model's score rose where the prior's high values were hidden, so the refined map "
          "holds the prior upside down; check the prior and the label (class {}{})",
          result.prior_coefficient, loaded.label,
          summary["class_name"].is_string() ? ", " + summary["class_name"].get<std::string>()
                                            : std::string());
  }
  summary["signal_variance"] = result.signal_variance;
  summary["prior_coefficient_sd"] = result.prior_coefficient_sd;
  summary["hyperparameter_weight"] = result.hyperparameter_weight;
  summary["deviation_floor"] = result.deviation_floor;
  summary["noise_variance"] = result.noise_variance;
  summary["rise_noise_factor"] = result.rise_noise_factor;
  summary["length_scale_factor"] = result.length_scale_factor;
  summary["iterations"] = result.iterations;
  summary["refine_model_calls"] = result.model_calls;
  summary["refine_seconds"] = result.total_seconds;
  summary["refine_model_seconds"] = result.model_seconds;
  AddTiming(summary, job_result, loaded, start);
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

// Every file an --out PREFIX may write, for the check that no input is one of them: each map's
// (the undesirable pair's too) .npy, heat map, overlay and clip video, and the summary. (A clip's
// frame PNGs, PREFIX_fNNN.png, are left out: an input so named would be contrived.)
std::vector<io::NamedFile> OutputFiles(const std::string& prefix) {
  std::vector<io::NamedFile> files;
  if (prefix.empty()) return files;
  for (const char* map : {"", "_hinder", "_others"})
    for (const char* ending : {".npy", ".png", "_overlay.png", ".mp4", ".avi"})
      files.push_back({"--out", prefix + map + ending});
  files.push_back({"--out", prefix + ".json"});
  return files;
}

}  // namespace

void ImageJobOptions::CheckSettings() const {
  if (start_frame < 0) throw OptionError("--start-frame", "must not be negative");
  if (!video() && (start_frame != 0 || frame_pngs || fps != 0))
    throw OptionError(frame_pngs ? "--frame-pngs"
                      : fps != 0 ? "--fps"
                                 : "--start-frame",
                      "needs --video");
  if (fps != 0 && !(fps >= io::kMinFramesPerSecond && fps <= io::kMaxFramesPerSecond))
    throw OptionError("--fps", fmt::format("must be 0 (the default) or between {:g} and {:g} "
                                           "frames per second",
                                           io::kMinFramesPerSecond, io::kMaxFramesPerSecond));
  render.Check();
  signed_render.Check();
}

void ImageJobOptions::CheckOutputPrefix() const {
  if (out_prefix.empty()) throw OptionError("--out", "an output prefix is required");
  if (out_prefix.back() == '/' || std::filesystem::is_directory(out_prefix))
    throw OptionError("--out", out_prefix + " is a directory: give a prefix such as " +
                                   (std::filesystem::path(out_prefix) / "map").string() +
                                   " (for map.npy, map.png, ...)");
}

void ImageJobOptions::Check() const {
  CheckImageOrClip(image_path, video_path);
  CheckSettings();
  CheckOutputPrefix();
  io::CheckOutputsDistinct(OutputFiles(out_prefix),
                           {{"--image", image_path}, {"--video", video_path}});
}

void RefineJobOptions::CheckSettings() const {
  common.CheckSettings();
  refine.CheckSettings();
  // The trace is written with --out's files as one set: it may be none of them, and no output
  // may be an input (the prior is read after the model calls of a computed one).
  std::vector<io::NamedFile> outputs = OutputFiles(common.out_prefix);
  outputs.push_back({"--trace", trace_path});
  io::CheckOutputsDistinct(
      outputs,
      {{"--image", common.image_path}, {"--video", common.video_path}, {"--prior", prior_path}});
  if (prior_path.empty() && prior_method != "none")
    explain::ParseSingleMapMethod(prior_method, "--prior-method", "none");
  if (!prior_path.empty() && !refine.use_prior)
    throw OptionError("--prior",
                      "this refinement uses no prior (--no-prior, or Algorithm 1: "
                      "--algorithm or --preset mokuwe)");
}

void RefineJobOptions::Check() const {
  CheckImageOrClip(common.image_path, common.video_path);
  common.CheckOutputPrefix();
  CheckSettings();
}

ImageJobResult RunExplainJob(model::Classifier& classifier, const ExplainJobOptions& options) {
  const JobStart start(classifier);
  options.common.Check();
  explain::CheckMethodSupported(classifier, options.explain.method, options.explain, "--method");
  io::CheckWritable(options.common.out_prefix + ".json");
  return Explain(Load(classifier, options.common), options, start);
}

ImageJobResult ExplainImage(model::Classifier& classifier, const cv::Mat& image,
                            const ExplainJobOptions& options) {
  const JobStart start(classifier);
  options.common.CheckSettings();
  explain::CheckMethodSupported(classifier, options.explain.method, options.explain, "--method");
  return Explain(LoadInMemory(classifier, image, options.common), options, start);
}

RefineJobResult RunRefineJob(model::Classifier& classifier, const RefineJobOptions& options,
                             const ProgressCallback& progress) {
  const JobStart start(classifier);
  options.Check();
  CheckPriorMethodSupported(classifier, options, !options.prior_path.empty());
  io::CheckWritable(options.common.out_prefix + ".json");
  if (!options.trace_path.empty()) io::CheckWritable(options.trace_path);
  const LoadedImage loaded = Load(classifier, options.common);
  GivenPrior given_prior;
  const std::string& path = options.prior_path;
  if (!path.empty() && loaded.image.video) {
    given_prior = [&] {
      return MapAtWorkingSize(ReadMapFor(loaded.image, path), loaded.image, path);
    };
  } else if (!path.empty()) {
    given_prior = [&] {
      const cv::Mat prior = io::ReadPriorMap(path);
      const PreparedImage& image = loaded.image;
      if (prior.size() != image.working.size() && prior.size() != image.original.size())
        spdlog::warn("{}: prior is {}x{} but the image is {}x{}; resizing it", path, prior.cols,
                     prior.rows, image.original.cols, image.original.rows);
      return Resize(prior, image.working.size());
    };
  }
  return Refine(loaded, options, given_prior, path, progress, start);
}

RefineJobResult RefineImage(model::Classifier& classifier, const cv::Mat& image,
                            const cv::Mat& prior, const RefineJobOptions& options,
                            const ProgressCallback& progress) {
  const JobStart start(classifier);
  options.CheckSettings();
  if (!options.prior_path.empty())
    throw OptionError("--prior", "the prior is given in memory: no file may be given too");
  CheckPriorMethodSupported(classifier, options, !prior.empty());
  if (!options.trace_path.empty()) io::CheckWritable(options.trace_path);
  const LoadedImage loaded = LoadInMemory(classifier, image, options.common);
  GivenPrior given_prior;
  if (!prior.empty()) {
    BOREX_CHECK_EQ(prior.type(), CV_32FC1);
    given_prior = [&] { return MapAtWorkingSize(prior, loaded.image, "prior"); };
  }
  return Refine(loaded, options, given_prior, "array", progress, start);
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
    // --gp-over pixels: a level set of the prior rather than a square.
    if (step.prior_fraction > 0) steps.back()["prior_fraction"] = step.prior_fraction;
    if (step.posterior_fraction > 0) steps.back()["posterior_fraction"] = step.posterior_fraction;
  }
  return {{"format", "borex-trace/1"},
          {"settings", RefineSettings(options, result,
                                      cv::Size(result.map.cols, result.map.rows / result.frames))},
          {"prior_scale", result.prior_scale},
          {"base_score", result.base_score},
          {"prior_mean", refine::PriorMeanName(options.prior_mean)},
          {"prior_coefficient", result.prior_coefficient},
          {"prior_offset", result.prior_offset},
          {"prior_coefficient_sd", result.prior_coefficient_sd},
          {"hyperparameter_weight", result.hyperparameter_weight},
          {"deviation_floor", result.deviation_floor},
          {"signal_variance", result.signal_variance},
          {"length_scale_factor", result.length_scale_factor},
          {"noise_variance", result.noise_variance},
          {"rise_noise_factor", result.rise_noise_factor},
          {"steps", steps}};
}

}  // namespace borex::app
