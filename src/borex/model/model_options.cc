// The parts of borex/model/open_classifier.h that both backends share (in borex_core).
#include <spdlog/fmt/fmt.h>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "borex/core/error.h"
#include "borex/core/threads.h"
#include "borex/model/open_classifier.h"

namespace borex::model {
namespace {

// Why `values` cannot be the mean (`is_std` false) or the standard deviation of pixels in [0, 1],
// or "" when they can. 0-255 values, a common mix-up (Caffe's 123.68, ...), would feed the model
// a nearly flat input and every explanation would be of that.
std::string NormalisationProblem(const cv::Vec3f& values, bool is_std) {
  for (int c = 0; c < 3; ++c) {
    const float value = values[c];
    if (!std::isfinite(value))
      return is_std ? "values must be positive and finite (in single precision)"
                    : "values must be finite (in single precision)";
    if (is_std ? !(value > 0 && value <= 1) : !(value >= 0 && value <= 1))
      return fmt::format(
          "{:g} is outside {}: borex's pixels are in [0, 1] (divide 0-255 values "
          "by 255)",
          value, is_std ? "(0, 1]" : "[0, 1]");
  }
  return "";
}

cv::Vec3f ReadNormalisation(const nlohmann::json& value, const std::string& what) {
  if (!value.is_array() || value.size() != 3)
    throw std::runtime_error(what + " must have 3 values");
  const cv::Vec3f values{value[0].get<float>(), value[1].get<float>(), value[2].get<float>()};
  if (const std::string problem = NormalisationProblem(values, what == "std"); !problem.empty())
    throw std::runtime_error(what + ": " + problem);
  return values;
}

std::vector<std::string> ReadClassesFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path, "cannot open class-names file");
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  if (names.empty()) throw InputError(path, "class-names file has no names");
  return names;
}

}  // namespace

bool IsOnnxPath(const std::string& path) {
  const std::string suffix = ".onnx";
  if (path.size() < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(), path.end() - suffix.size(), [](char a, char b) {
    return a == std::tolower(static_cast<unsigned char>(b));
  });
}

void ParseModelMetadata(const std::string& path, const std::string& text, ModelInfo& info) {
  try {
    const auto meta = nlohmann::json::parse(text);
    if (meta.contains("class_names"))
      info.class_names = meta.at("class_names").get<std::vector<std::string>>();
    if (meta.contains("input_size")) {
      const auto size = meta.at("input_size").get<std::vector<int>>();
      if (size.size() != 2 || size[0] <= 0 || size[1] <= 0)
        throw std::runtime_error("input_size must be [H, W] with positive values");
      info.input_size = cv::Size(size[1], size[0]);
    }
    if (meta.contains("mean")) info.mean = ReadNormalisation(meta.at("mean"), "mean");
    if (meta.contains("std")) info.std = ReadNormalisation(meta.at("std"), "std");
    if (meta.contains("target_layer"))
      info.target_layer = meta.at("target_layer").get<std::string>();
    if (meta.contains("description")) info.description = meta.at("description").get<std::string>();
    const bool video = meta.value("task", std::string()) == "video-classification";
    if (meta.contains("frames") || video) {
      info.frames = meta.value("frames", 0);
      if (info.frames <= 0) throw std::runtime_error("a video model needs frames > 0");
    }
    if (meta.contains("frame_stride")) {
      info.frame_stride = meta.at("frame_stride").get<int>();
      if (info.frame_stride <= 0) throw std::runtime_error("frame_stride must be positive");
    }
    if (meta.contains("layout"))
      info.layout = ParseVideoLayout(meta.at("layout").get<std::string>(), "layout");
  } catch (const std::exception& e) {
    throw InputError(path, std::string("invalid ") + kMetadataKey + " metadata: " + e.what());
  }
}

void ApplyModelOptions(const ModelOptions& options, ModelInfo& info) {
  if (options.mean) info.mean = *options.mean;
  if (options.std) info.std = *options.std;
  if (options.input_size) info.input_size = *options.input_size;
  if (!options.classes_file.empty()) info.class_names = ReadClassesFile(options.classes_file);
  if (options.frames) info.frames = *options.frames;
  if (options.frame_stride) info.frame_stride = *options.frame_stride;
  if (options.layout) info.layout = *options.layout;
  info.source = options.path;
  info.device = options.device;
  if ((options.frame_stride || options.layout) && !info.is_video())
    throw OptionError(options.layout ? "--video-layout" : "--frame-stride",
                      options.path +
                          " is not a video model (no frames in its metadata): give "
                          "--frames T to use it as one");
}

void ModelOptions::Check() const {
  if (path.empty()) throw OptionError("--model", "a model file (.pt or .onnx) is required");
  if (device != "cpu" && device != "cuda")
    throw OptionError("--device", "'" + device + "' is not one of cpu, cuda");
  if (threads < 0) throw OptionError("--threads", "must be >= 0");
  // More threads than this only contend for the cores (and LibTorch stalls creating 10^5).
  const int most_threads = kThreadsPerHardwareThread * HardwareThreads();
  if (threads > most_threads)
    throw OptionError("--threads", std::to_string(threads) + " is more than " +
                                       std::to_string(kThreadsPerHardwareThread) + " times the " +
                                       std::to_string(HardwareThreads()) +
                                       " hardware threads of this machine");
  if (const std::string problem = mean ? NormalisationProblem(*mean, false) : ""; !problem.empty())
    throw OptionError("--mean", problem);
  if (const std::string problem = std ? NormalisationProblem(*std, true) : ""; !problem.empty())
    throw OptionError("--std", problem);
  if (frames && *frames <= 0) throw OptionError("--frames", "must be positive");
  if (frame_stride && *frame_stride <= 0) throw OptionError("--frame-stride", "must be positive");
  if (input_size && (input_size->width <= 0 || input_size->height <= 0))
    throw OptionError("--input-size", "H and W must be positive");
}

}  // namespace borex::model
