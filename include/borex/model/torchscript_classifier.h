// A Classifier backed by a TorchScript file (scripted or traced), loaded with LibTorch.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "borex/model/classifier.h"

namespace borex::model {

struct TorchScriptOptions {
  std::string path;            // the .pt file
  std::string device = "cpu";  // "cpu" or "cuda"
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

class TorchScriptClassifier : public Classifier {
 public:
  // Loads the model and its metadata; throws InputError/OptionError/ModelError with one line.
  explicit TorchScriptClassifier(const TorchScriptOptions& options);
  ~TorchScriptClassifier() override;

  Eigen::MatrixXf Logits(const std::vector<cv::Mat>& images) override;
  LayerGradients TargetLayerGradients(const cv::Mat& image, int label,
                                      const std::string& layer) override;
  InputGradients ScoreInputGradients(const std::vector<cv::Mat>& images, int label,
                                     ScoreKind kind) override;
  const ModelInfo& info() const override { return info_; }
  int num_classes() const override { return num_classes_; }

  // Runs one forward pass on a blank image of `working_size` (video: the stacked clip) and checks
  // that the output is an [N, C] tensor consistent with the class names; sets num_classes(). Not
  // counted as a call; a size already validated is not checked again.
  void Validate(const cv::Size& working_size) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ModelInfo info_;
  int num_classes_ = 0;
  cv::Size validated_size_{0, 0};
};

}  // namespace borex::model
