// A Classifier backed by a TorchScript file (scripted or traced), loaded with LibTorch.
#pragma once

#include <memory>
#include <string>

#include "borex/model/classifier.h"
#include "borex/model/open_classifier.h"

namespace borex::model {

class TorchScriptClassifier : public Classifier {
 public:
  // Loads the model and its metadata; throws InputError/OptionError/ModelError with one line.
  explicit TorchScriptClassifier(const ModelOptions& options);
  ~TorchScriptClassifier() override;

  Eigen::MatrixXf Logits(const std::vector<cv::Mat>& images) override;
  LayerGradients TargetLayerGradients(const cv::Mat& image, int label,
                                      const std::string& layer) override;
  void CheckTargetLayer(const std::string& layer) override;
  InputGradients ScoreInputGradients(const std::vector<cv::Mat>& images, int label,
                                     ScoreKind kind) override;
  bool white_box() const override { return true; }
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
