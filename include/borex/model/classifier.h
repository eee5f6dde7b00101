// The classifier as borex sees it: a black box from a batch of RGB images to class scores, plus
// two white-box capabilities that a backend may have (white_box()): a layer's activations and
// their gradients (Grad-CAM, Opti-CAM), and a score's gradient with respect to the input pixels
// (Opti-CAM's and FIDO's optimisers). Nothing here includes LibTorch: only
// src/borex/model/torchscript_classifier.cc does, so that the rest of the library compiles
// quickly.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "borex/core/error.h"

namespace borex::model {

// How a video model wants its clip tensor laid out.
enum class VideoLayout {
  kNCTHW,  // [N, 3, T, H, W]: 3D CNNs (R3D, R(2+1)D, X3D, SlowFast's pathways)
  kNTCHW,  // [N, T, 3, H, W]: frame-wise encoders followed by temporal layers
};
// "NCTHW" | "NTCHW"; `option` (--video-layout, or the metadata's "layout") named in errors.
VideoLayout ParseVideoLayout(const std::string& name, const std::string& option);
std::string VideoLayoutName(VideoLayout layout);

// What a model file says about itself (the "borex.json" TorchScript extra file), possibly
// overridden by command-line flags. Empty/zero fields mean "not known".
//
// Video models (frames > 0) take clips of `frames` frames. Everywhere outside the TorchScript
// backend a clip is one "stacked" CV_32FC3 image of (frames·H) rows x W columns, frame t in rows
// [t·H, (t+1)·H): so a clip's saliency map is a CV_32FC1 (frames·H) x W matrix whose memory is
// the row-major (T, H, W) array, and the metrics, RISE and the refiner's masks apply unchanged.
struct ModelInfo {
  std::vector<std::string> class_names;
  cv::Size input_size{0, 0};  // width x height the model expects; 0: the image's own size
  cv::Vec3f mean{0.485f, 0.456f, 0.406f};  // RGB, applied to [0,1] pixels; default ImageNet's
  cv::Vec3f std{0.229f, 0.224f, 0.225f};
  std::string target_layer;  // default Grad-CAM layer, e.g. "layer4"
  std::string description;
  std::string source;          // where the model came from (a file path), for summaries
  std::string format;          // "TorchScript", "ONNX": the file's format, for messages
  std::string device = "cpu";  // where it runs, for summaries
  int frames = 0;              // T of a video model; 0: an image model
  int frame_stride = 1;  // the model's frame sampling: every frame_stride-th frame of the clip
  VideoLayout layout = VideoLayout::kNCTHW;

  bool is_video() const { return frames > 0; }
  // Frames per model input: T for a video model, 1 for an image model.
  int clip_frames() const { return std::max(1, frames); }

  // "class 3 (dress)" or "class 3" when names are unknown.
  std::string ClassLabel(int index) const;
  // Parses "--label N|NAME": an index in [0, num_classes) or a class name.
  int ResolveLabel(const std::string& label, int num_classes) const;
  // ModelError naming `source` when class names are given and their number is not the model's.
  void CheckClassCount(int num_classes) const;
};

// A layer's activations A (K x h x w, row-major per channel; K x d x h x w for a 3D layer of a
// video model) and dY/dA for one class score Y.
struct LayerGradients {
  int channels = 0, rows = 0, cols = 0;
  int depth = 1;                // d: frames of a 3D layer's output (1 for a 2D layer)
  Eigen::MatrixXf activations;  // K x (d*h*w)
  Eigen::MatrixXf gradients;    // K x (d*h*w)
  Eigen::VectorXf logits;       // the model's logits for the image
};

// The quantity M(i, l) the explanation methods observe, or optimise.
enum class ScoreKind {
  kProbability,  // softmax(logits)_l
  kLogit,        // logits_l
  kLogOdds,      // log p_l − log Σ_{j≠l} p_j: FIDO's objective (Chang et al.'s code)
};
ScoreKind ParseScoreKind(const std::string& name);  // "prob" | "logit" | "log-odds"
std::string ScoreKindName(ScoreKind kind);

// Scores of a batch and their gradients with respect to the input pixels.
struct InputGradients {
  Eigen::VectorXf scores;          // N
  std::vector<cv::Mat> gradients;  // per image CV_32FC3: ∂score/∂pixel (RGB [0,1] space)
};

class Classifier {
 public:
  virtual ~Classifier() = default;

  // Logits of a batch: each image CV_32FC3, RGB in [0,1], of size working_size(). Returns an
  // N x C matrix. Preprocessing (normalisation, layout) is the classifier's business.
  virtual Eigen::MatrixXf Logits(const std::vector<cv::Mat>& images) = 0;

  // Whether the two gradient methods below work. Callers check it before any work (see
  // explain::CheckMethodSupported) rather than rely on the methods' errors.
  virtual bool white_box() const { return false; }

  // Activations of `layer` (a submodule path such as "layer4" or "features.7") and the gradient
  // of logit `label` with respect to them, for one image. A black-box classifier throws
  // ModelError.
  virtual LayerGradients TargetLayerGradients(const cv::Mat& image, int label,
                                              const std::string& layer);
  // OptionError("--target-layer") when the model has no submodule `layer` that
  // TargetLayerGradients could read, found without running the model, so that a job refuses a
  // wrong name before it writes anything. A backend that cannot tell keeps this default (no check).
  virtual void CheckTargetLayer(const std::string& layer) { (void)layer; }

  // The score of class `label` for each image and its gradient with respect to that image's
  // pixels (through the model's normalisation). A black-box classifier throws ModelError.
  virtual InputGradients ScoreInputGradients(const std::vector<cv::Mat>& images, int label,
                                             ScoreKind kind);

  virtual const ModelInfo& info() const = 0;
  // Number of classes C; a backend that learns it from a forward pass knows it after Validate.
  virtual int num_classes() const = 0;

  // The input size for an image (a video model: a frame) of `image_size`: the model's own
  // input size when its metadata gives one, else the image's.
  virtual cv::Size WorkingSize(const cv::Size& image_size) const;
  // Checks that the model accepts inputs of `working_size` (a video model: the stacked clip)
  // before any work is done on them; throws ModelError with one line when it does not. A
  // backend with nothing to check keeps this default.
  virtual void Validate(const cv::Size& working_size) { (void)working_size; }

  // Counters for the timing report: forward passes (images, not batches) and seconds inside the
  // model, cumulative since construction.
  long model_calls() const { return model_calls_; }
  double model_seconds() const { return model_seconds_; }

 protected:
  long model_calls_ = 0;
  double model_seconds_ = 0.0;
};

// The error of a model (file `path`) whose logits are not all finite: every score, map and
// metric computed from them would be NaN. Backends throw it from every forward pass.
ModelError NonFiniteLogitsError(const std::string& path);

// Row-wise softmax of an N x C matrix of logits.
Eigen::MatrixXf Softmax(const Eigen::MatrixXf& logits);

// Column `label` of the scores of `kind` computed from the logits.
Eigen::VectorXf ClassScores(const Eigen::MatrixXf& logits, int label, ScoreKind kind);

}  // namespace borex::model
