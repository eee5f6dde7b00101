// Opening a model file without knowing its backend: OpenClassifier chooses by the file's
// extension (.onnx: OnnxClassifier, OpenCV's DNN module, a black box; anything else:
// TorchScriptClassifier, LibTorch, white box). The options and the "borex.json" metadata are the
// same for both backends.
//
// OpenClassifier is defined in the library `borex` (it links LibTorch); the rest of this header in
// `borex_core`.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "borex/model/classifier.h"

namespace borex::model {

struct ModelOptions {
  std::string path;            // the model file: .pt (TorchScript) or .onnx
  std::string device = "cpu";  // "cpu" or "cuda" (TorchScript only)
  int threads = 0;             // intra-op threads; 0: all cores (LibTorch's own default is 1)
  // Overrides of the model's metadata (flags win over the file's borex.json).
  std::optional<cv::Vec3f> mean, std;
  std::optional<cv::Size> input_size;  // per frame for a video model
  // Video models: frames per clip, frame sampling stride, tensor layout (--frames,
  // --frame-stride, --video-layout). --frames turns a model without video metadata into one.
  std::optional<int> frames, frame_stride;
  std::optional<VideoLayout> layout;
  std::string classes_file;  // one class name per line
  void Check() const;
};

// The model file's format, from its extension: true for ".onnx" (any case).
bool IsOnnxPath(const std::string& path);

// Loads `options.path` with the backend its extension names; throws InputError, OptionError or
// ModelError with one line.
std::unique_ptr<Classifier> OpenClassifier(const ModelOptions& options);

// The borex metadata's key: the TorchScript extra file's name and the ONNX metadata_props key,
// whose value is the same JSON ({"class_names": [...], "input_size": [H, W], "mean": [r, g, b],
// "std", "target_layer", "description", "task", "frames", "frame_stride", "layout"};
// scripts/README-models.md).
inline constexpr char kMetadataKey[] = "borex.json";

// Sets the fields of `info` that the metadata JSON `text` of the model file `path` gives;
// InputError naming the file when it is malformed.
void ParseModelMetadata(const std::string& path, const std::string& text, ModelInfo& info);

// Applies the options' overrides to the metadata read from the file (flags win), reads the
// class-names file and sets info.source and info.device; OptionError for --frame-stride or
// --video-layout on a model that is not a video model.
void ApplyModelOptions(const ModelOptions& options, ModelInfo& info);

}  // namespace borex::model
