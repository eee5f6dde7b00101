// An input image made ready for a model: read, resized to the model's working size, and scored
// once. Shared by every command that explains, refines or evaluates images.
#pragma once

#include <Eigen/Core>
#include <opencv2/core.hpp>
#include <string>

#include "borex/model/torchscript_classifier.h"

namespace borex::app {

struct PreparedImage {
  std::string path;
  cv::Mat original;               // RGB [0,1] at the file's resolution
  cv::Mat working;                // resized to the model's input size
  Eigen::VectorXf probabilities;  // softmax of the model's logits on `working`
  int top1 = 0;
};

// Reads `path`, checks the model accepts its working size, and scores it (one model call).
PreparedImage PrepareImage(model::TorchScriptClassifier& classifier, const std::string& path);

// `--label N|NAME`, or the top-1 class when `label` is empty.
int ChooseLabel(const model::Classifier& classifier, const PreparedImage& image,
                const std::string& label);

// A map or image resized to `size` (area interpolation when shrinking, else bilinear).
cv::Mat Resize(const cv::Mat& source, const cv::Size& size);

// A saliency map given for `image` (at its file's or the model's resolution) at the working
// resolution; throws InputError naming `map_path` for any other size or non-finite values.
cv::Mat MapAtWorkingSize(const cv::Mat& map, const PreparedImage& image,
                         const std::string& map_path);

}  // namespace borex::app
