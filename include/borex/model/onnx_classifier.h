// A Classifier backed by an ONNX file, run on the CPU with OpenCV's DNN module: a black box
// (white_box() is false: Grad-CAM, Opti-CAM and FIDO need a TorchScript model). Its metadata is
// the TorchScript backend's "borex.json", stored as an ONNX metadata_props entry of that key
// (scripts/export_torchvision.py --onnx, scripts/torchscript_to_onnx.py). Image models take
// [N, 3, H, W], video models [N, 3, T, H, W] or [N, T, 3, H, W], normalised exactly as
// TorchScriptClassifier normalises them.
#pragma once

#include <memory>
#include <string>

#include "borex/model/classifier.h"
#include "borex/model/open_classifier.h"

namespace borex::model {

class OnnxClassifier : public Classifier {
 public:
  // Reads the file, its metadata_props and declared input shape, and imports the graph; throws
  // InputError (unreadable, malformed, or a graph OpenCV cannot import), OptionError or
  // ModelError with one line.
  explicit OnnxClassifier(const ModelOptions& options);
  ~OnnxClassifier() override;

  // One forward pass per batch; a graph exported with a fixed batch size B (no dynamic batch
  // axis) takes the images B at a time, the last pass padded with copies of the last image.
  Eigen::MatrixXf Logits(const std::vector<cv::Mat>& images) override;
  const ModelInfo& info() const override { return info_; }
  int num_classes() const override { return num_classes_; }

  // Checks the input the graph declares against the model's layout and `working_size`, then
  // runs one blank input through it and checks the output is [N, C] consistent with the class
  // names; sets num_classes(). Not counted as a call.
  void Validate(const cv::Size& working_size) override;

  // The batch size the graph was exported with; 0 when its batch axis is dynamic or undeclared.
  int fixed_batch() const { return fixed_batch_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ModelInfo info_;
  int num_classes_ = 0;
  int fixed_batch_ = 0;
  cv::Size validated_size_{0, 0};
};

}  // namespace borex::model
