// An input image made ready for a model: read, resized to the model's working size, and scored
// once. Shared by every command that explains, refines or evaluates images.
#pragma once

#include <Eigen/Core>
#include <opencv2/core.hpp>
#include <string>

#include "borex/model/classifier.h"

namespace borex::app {

// A video clip is prepared the same way: its sampled frames, stacked (model::ModelInfo).
struct PreparedImage {
  cv::Mat original;               // RGB [0,1] at the file's resolution
  cv::Mat working;                // resized to the model's input size
  Eigen::VectorXf logits;         // the model's logits on `working`
  Eigen::VectorXf probabilities;  // their softmax
  int top1 = 0;
  bool video = false;
  int frames = 1;        // stacked frames (1 for an image)
  int first_frame = 0;   // video: the clip's frame the first sampled frame is
  int frame_stride = 1;  // video: sampled every frame_stride-th frame

  cv::Size original_frame_size() const { return {original.cols, original.rows / frames}; }
  cv::Size working_frame_size() const { return {working.cols, working.rows / frames}; }
};

// A job's input: exactly one of --image and --video (OptionError naming the flag otherwise).
void CheckImageOrClip(const std::string& image_path, const std::string& video_path);

// Reads `path`, checks the model accepts its working size, and scores it (one model call).
// OptionError when the model is a video model (use PrepareVideo).
PreparedImage PrepareImage(model::Classifier& classifier, const std::string& path);
// The same for an image in memory, CV_32FC3 RGB in [0,1] (as io::ReadImageRgb gives); `name`
// stands for the path in errors.
PreparedImage PrepareImage(model::Classifier& classifier, const cv::Mat& rgb,
                           const std::string& name);

// Reads a clip (any video OpenCV reads, or a folder of numbered frames), samples the model's
// T frames from `first_frame` on, every frame_stride-th (model metadata or --frames and
// --frame-stride), resizes each frame to the model's input size, checks the model accepts the
// clip, and scores it (one model call). OptionError when the model is not a video model;
// InputError when the clip is unreadable, empty, of varying frame size or too short.
PreparedImage PrepareVideo(model::Classifier& classifier, const std::string& path, int first_frame);

// `--label N|NAME`, or the top-1 class when `label` is empty.
int ChooseLabel(const model::Classifier& classifier, const PreparedImage& image,
                const std::string& label);

// A map or image resized to `size` (area interpolation when shrinking, else bilinear).
cv::Mat Resize(const cv::Mat& source, const cv::Size& size);
// Each of the `frames` stacked frames of `source` resized to `frame_size` (Resize per frame).
cv::Mat ResizeFrames(const cv::Mat& source, int frames, const cv::Size& frame_size);

// A saliency map given for `image` (at its file's or the model's resolution) at the working
// resolution; throws InputError naming `map_path` for any other size or non-finite values.
// For a clip, `map` is stacked like it, and the sizes are those of one frame.
cv::Mat MapAtWorkingSize(const cv::Mat& map, const PreparedImage& image,
                         const std::string& map_path);

// Reads a prior or saliency map for `image`: io::ReadPriorMap for an image, io::ReadClipMap
// (a (T, H, W) .npy) for a clip; not yet resized.
cv::Mat ReadMapFor(const PreparedImage& image, const std::string& map_path);

}  // namespace borex::app
