#include "borex/app/prepared_image.h"

#include <opencv2/imgproc.hpp>

#include "borex/core/error.h"
#include "borex/io/image.h"

namespace borex::app {

cv::Mat Resize(const cv::Mat& source, const cv::Size& size) {
  if (source.size() == size) return source.clone();
  cv::Mat resized;
  const bool shrinking = size.area() < source.size().area();
  cv::resize(source, resized, size, 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  return resized;
}

PreparedImage PrepareImage(model::TorchScriptClassifier& classifier, const std::string& path) {
  PreparedImage image;
  image.path = path;
  image.original = io::ReadImageRgb(path);
  const cv::Size working_size = classifier.WorkingSize(image.original.size());
  classifier.Validate(working_size);
  image.working = Resize(image.original, working_size);
  const Eigen::MatrixXf logits = classifier.Logits({image.working});
  image.probabilities = model::Softmax(logits).row(0).transpose();
  image.probabilities.maxCoeff(&image.top1);
  return image;
}

int ChooseLabel(const model::Classifier& classifier, const PreparedImage& image,
                const std::string& label) {
  return label.empty() ? image.top1
                       : classifier.info().ResolveLabel(label, classifier.num_classes());
}

cv::Mat MapAtWorkingSize(const cv::Mat& map, const PreparedImage& image,
                         const std::string& map_path) {
  if (map.size() != image.original.size() && map.size() != image.working.size())
    throw InputError(map_path, "map is " + std::to_string(map.rows) + "x" +
                                   std::to_string(map.cols) + " (HxW) but the image is " +
                                   std::to_string(image.original.rows) + "x" +
                                   std::to_string(image.original.cols) + " and the model's input " +
                                   std::to_string(image.working.rows) + "x" +
                                   std::to_string(image.working.cols));
  return Resize(map, image.working.size());
}

}  // namespace borex::app
