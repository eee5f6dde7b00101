#include "borex/app/prepared_image.h"

#include <opencv2/imgproc.hpp>

#include "borex/core/error.h"
#include "borex/io/image.h"
#include "borex/io/video.h"

namespace borex::app {

cv::Mat Resize(const cv::Mat& source, const cv::Size& size) {
  if (source.size() == size) return source.clone();
  cv::Mat resized;
  const bool shrinking = size.area() < source.size().area();
  cv::resize(source, resized, size, 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  return resized;
}

cv::Mat ResizeFrames(const cv::Mat& source, int frames, const cv::Size& frame_size) {
  BOREX_CHECK_GT(frames, 0);
  BOREX_CHECK_EQ(source.rows % frames, 0);
  if (frames == 1) return Resize(source, frame_size);
  const int rows = source.rows / frames;
  cv::Mat resized(frames * frame_size.height, frame_size.width, source.type());
  for (int t = 0; t < frames; ++t)
    Resize(source.rowRange(t * rows, (t + 1) * rows), frame_size)
        .copyTo(resized.rowRange(t * frame_size.height, (t + 1) * frame_size.height));
  return resized;
}

namespace {

// Scores the prepared working image (one model call).
void Score(model::Classifier& classifier, PreparedImage& image) {
  const Eigen::MatrixXf logits = classifier.Logits({image.working});
  image.logits = logits.row(0).transpose();
  image.probabilities = model::Softmax(logits).row(0).transpose();
  image.probabilities.maxCoeff(&image.top1);
}

}  // namespace

void CheckImageOrClip(const std::string& image_path, const std::string& video_path) {
  if (image_path.empty() && video_path.empty())
    throw OptionError("--image", "an image file (or --video CLIP) is required");
  if (!image_path.empty() && !video_path.empty())
    throw OptionError("--video", "give either --image or --video, not both");
}

PreparedImage PrepareImage(model::Classifier& classifier, const std::string& path) {
  return PrepareImage(classifier, io::ReadImageRgb(path), path);
}

PreparedImage PrepareImage(model::Classifier& classifier, const cv::Mat& rgb,
                           const std::string& name) {
  BOREX_CHECK_EQ(rgb.type(), CV_32FC3);
  if (classifier.info().is_video())
    throw OptionError("--image", name + ": the model is a video model (" +
                                     std::to_string(classifier.info().frames) +
                                     " frames): give the clip with --video");
  PreparedImage image;
  image.original = rgb;
  const cv::Size working_size = classifier.WorkingSize(image.original.size());
  classifier.Validate(working_size);
  image.working = Resize(image.original, working_size);
  Score(classifier, image);
  return image;
}

PreparedImage PrepareVideo(model::Classifier& classifier, const std::string& path,
                           int first_frame) {
  const model::ModelInfo& info = classifier.info();
  if (!info.is_video())
    throw OptionError("--video",
                      "the model is an image model (no frames in its metadata): give --frames T "
                      "to use it as a video model");
  io::ClipSampling sampling;
  sampling.frames = info.frames;
  sampling.stride = info.frame_stride;
  sampling.start = first_frame;
  sampling.Check();
  const std::vector<cv::Mat> frames = io::ReadVideoClip(path, sampling);
  PreparedImage image;
  image.video = true;
  image.frames = info.frames;
  image.first_frame = first_frame;
  image.frame_stride = info.frame_stride;
  image.original = io::StackFrames(frames);
  const cv::Size frame_size = classifier.WorkingSize(frames.front().size());
  image.working = ResizeFrames(image.original, image.frames, frame_size);
  classifier.Validate(image.working.size());
  Score(classifier, image);
  return image;
}

cv::Mat ReadMapFor(const PreparedImage& image, const std::string& map_path) {
  return image.video ? io::ReadClipMap(map_path, image.frames) : io::ReadPriorMap(map_path);
}

int ChooseLabel(const model::Classifier& classifier, const PreparedImage& image,
                const std::string& label) {
  return label.empty() ? image.top1
                       : classifier.info().ResolveLabel(label, classifier.num_classes());
}

cv::Mat MapAtWorkingSize(const cv::Mat& map, const PreparedImage& image,
                         const std::string& map_path) {
  const auto hw = [](const cv::Size& size) {
    return std::to_string(size.height) + "x" + std::to_string(size.width);
  };
  const cv::Size frame = {map.cols, map.rows / image.frames};
  if (frame != image.original_frame_size() && frame != image.working_frame_size())
    throw InputError(map_path, std::string(image.video ? "frames are " : "map is ") + hw(frame) +
                                   " (HxW) but the " +
                                   (image.video ? "clip's frames are " : "image is ") +
                                   hw(image.original_frame_size()) + " and the model's input " +
                                   hw(image.working_frame_size()));
  return ResizeFrames(map, image.frames, image.working_frame_size());
}

}  // namespace borex::app
