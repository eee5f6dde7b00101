// Clip datasets for video classifiers, as scripts/make_video_clips.py writes them:
//
//   <root>/clips/<id>/000000.png ...   the frames, numbered (or clips/<id>.mp4 / .avi when there
//                                      is no folder; io::ReadVideoFrames reads either)
//   <root>/annotations/<id>.json       per-frame boxes, format "borex-video-annotation/1":
//       {"format": "borex-video-annotation/1", "id": "test_000123", "label": "trouser",
//        "frames": 16, "size": [112, 112] ([H, W]), "moving": true,
//        "objects": [{"name": "trouser", "boxes": [[xmin, ymin, xmax, ymax] or null, ...]}]}
//       with one box (or null: not visible) per frame, in VOC's convention (1-based inclusive
//       pixel coordinates of the original frames)
//   <root>/splits/<split>.txt          clip ids, one per line
//   <root>/classes.txt                 class names in label order
//
// A clip's ground-truth region is "stacked" like the clip itself (see io/video.h): a (T*H) x W
// mask, frame t in rows [t*H, (t+1)*H).
#pragma once

#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "borex/dataset/voc.h"

namespace borex::dataset {

// One annotated item of a clip: its box in every frame.
struct ClipObject {
  std::string name;
  std::vector<std::optional<Box>> boxes;  // one per frame; nullopt where it is not visible
};

struct ClipAnnotation {
  std::string path;     // the JSON file, for error messages
  std::string id;       // "test_000123"
  std::string label;    // the clip's class name
  int frames = 0;       // number of frames of the clip
  cv::Size size{0, 0};  // frame width x height (the JSON's "size" is [H, W])
  bool moving = false;  // whether the target items move (false when the file does not say)
  std::vector<ClipObject> objects;

  bool HasName(const std::string& name) const;
};

// Parses an annotation file. Throws InputError naming the file when it is missing or is not
// JSON, has another "format", lacks a field or has one of the wrong type, or has an object whose
// box count is not "frames" or a box with xmin > xmax (ymin > ymax) or outside the frame.
ClipAnnotation ReadClipAnnotation(const std::string& path);

// The ground-truth region of `class_name` in the sampled frames first_frame, first_frame +
// frame_stride, ... (`frames` of them), at `working_frame_size`: a stacked (frames * H) x W
// CV_8UC1 mask, 255 inside the union of that class's boxes in each frame, 0 elsewhere. Boxes
// are scaled from the annotation's size as BoxRegion (voc.h) scales them. A frame where the
// class is not visible is all 0. Throws InputError naming the file when the annotation has no
// object of that class, when it has fewer frames than sampled, or when no sampled frame shows
// the class.
cv::Mat ClipRegionMask(const ClipAnnotation& annotation, const std::string& class_name,
                       cv::Size working_frame_size, int first_frame, int frame_stride, int frames);

// A clip dataset root (layout above).
class VideoClipDataset {
 public:
  // Checks the layout (clips/, annotations/, splits/, classes.txt) and reads the class names.
  // Throws InputError naming what is missing.
  explicit VideoClipDataset(const std::string& root);

  // The ids of splits/<split>.txt, in file order. InputError when it is missing or empty.
  std::vector<std::string> SplitIds(const std::string& split) const;
  // clips/<id> when that folder exists, else clips/<id>.mp4 or .avi; InputError when none does.
  std::string ClipPath(const std::string& id) const;
  std::string AnnotationPath(const std::string& id) const;  // annotations/<id>.json
  // ReadClipAnnotation(AnnotationPath(id)), checked against the dataset: InputError naming the
  // file when its "id" is not `id` or its "label" or an object's name is not a dataset class.
  ClipAnnotation ReadAnnotation(const std::string& id) const;
  const std::vector<std::string>& class_names() const { return class_names_; }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
  std::vector<std::string> class_names_;
};

}  // namespace borex::dataset
