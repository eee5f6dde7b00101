// A classifier whose logits are a known function of the pixels, for tests that need exact
// answers without LibTorch: logit 0 = gain · (mean intensity over a rectangle) + bias, logit 1 = 0.
#pragma once

#include <opencv2/core.hpp>

#include "borex/core/error.h"
#include "borex/model/classifier.h"

namespace borex::testing {

class RegionClassifier : public model::Classifier {
 public:
  RegionClassifier(cv::Rect region, double gain = 20.0, double bias = -5.0)
      : region_(region), gain_(gain), bias_(bias) {
    info_.class_names = {"target", "other"};
    info_.mean = {0.5f, 0.5f, 0.5f};
  }

  Eigen::MatrixXf Logits(const std::vector<cv::Mat>& images) override {
    Eigen::MatrixXf logits = Eigen::MatrixXf::Zero(static_cast<Eigen::Index>(images.size()), 2);
    for (size_t n = 0; n < images.size(); ++n) {
      const cv::Scalar mean = cv::mean(images[n](region_));
      logits(static_cast<Eigen::Index>(n), 0) =
          static_cast<float>(gain_ * (mean[0] + mean[1] + mean[2]) / 3.0 + bias_);
    }
    model_calls_ += static_cast<long>(images.size());
    return logits;
  }
  model::LayerGradients TargetLayerGradients(const cv::Mat&, int, const std::string&) override {
    throw Error("RegionClassifier has no layers");
  }
  const model::ModelInfo& info() const override { return info_; }
  int num_classes() const override { return 2; }

 private:
  cv::Rect region_;
  double gain_, bias_;
  model::ModelInfo info_;
};

// A RegionClassifier that records the size of every forward pass.
class BatchRecordingClassifier : public RegionClassifier {
 public:
  using RegionClassifier::RegionClassifier;
  Eigen::MatrixXf Logits(const std::vector<cv::Mat>& images) override {
    batch_sizes.push_back(static_cast<int>(images.size()));
    return RegionClassifier::Logits(images);
  }
  std::vector<int> batch_sizes;
};

// The video version: a model of `frames` frames (stacked clips, model::ModelInfo) whose logit 0
// = gain · (mean intensity over `region` in frames first_frame ... last_frame) + bias.
class VideoRegionClassifier : public model::Classifier {
 public:
  VideoRegionClassifier(int frames, int frame_rows, cv::Rect region, int first_frame,
                        int last_frame, double gain = 20.0, double bias = -5.0)
      : frame_rows_(frame_rows),
        region_(region),
        first_frame_(first_frame),
        last_frame_(last_frame),
        gain_(gain),
        bias_(bias) {
    info_.class_names = {"target", "other"};
    info_.mean = {0.5f, 0.5f, 0.5f};
    info_.frames = frames;
  }

  Eigen::MatrixXf Logits(const std::vector<cv::Mat>& clips) override {
    Eigen::MatrixXf logits = Eigen::MatrixXf::Zero(static_cast<Eigen::Index>(clips.size()), 2);
    for (size_t n = 0; n < clips.size(); ++n) {
      BOREX_CHECK_EQ(clips[n].rows, info_.frames * frame_rows_);
      double sum = 0;
      for (int t = first_frame_; t <= last_frame_; ++t) {
        const cv::Scalar mean = cv::mean(clips[n](region_ + cv::Point(0, t * frame_rows_)));
        sum += (mean[0] + mean[1] + mean[2]) / 3.0;
      }
      logits(static_cast<Eigen::Index>(n), 0) =
          static_cast<float>(gain_ * sum / (last_frame_ - first_frame_ + 1) + bias_);
    }
    model_calls_ += static_cast<long>(clips.size());
    return logits;
  }
  model::LayerGradients TargetLayerGradients(const cv::Mat&, int, const std::string&) override {
    throw Error("VideoRegionClassifier has no layers");
  }
  const model::ModelInfo& info() const override { return info_; }
  int num_classes() const override { return 2; }

 private:
  int frame_rows_;
  cv::Rect region_;
  int first_frame_, last_frame_;
  double gain_, bias_;
  model::ModelInfo info_;
};

}  // namespace borex::testing
