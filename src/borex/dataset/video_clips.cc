#include "borex/dataset/video_clips.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

#include "borex/core/error.h"
#include "borex/io/json_file.h"

namespace borex::dataset {
namespace fs = std::filesystem;
namespace {

using Json = nlohmann::json;

constexpr const char* kFormat = "borex-video-annotation/1";

// A box [xmin, ymin, xmax, ymax] (numbers, rounded as ReadVocAnnotation rounds them), or null.
std::optional<Box> ParseBox(const Json& value, const ClipAnnotation& annotation,
                            const std::string& where) {
  if (value.is_null()) return std::nullopt;
  const bool numbers = value.is_array() && value.size() == 4 &&
                       std::all_of(value.begin(), value.end(),
                                   [](const Json& number) { return number.is_number(); });
  if (!numbers)
    throw InputError(annotation.path, where + "box must be null or [xmin, ymin, xmax, ymax], got " +
                                          io::ShownJson(value));
  int corner[4];
  for (int i = 0; i < 4; ++i) corner[i] = static_cast<int>(std::lround(value[i].get<double>()));
  const Box box{corner[0], corner[1], corner[2], corner[3]};
  if (box.xmin > box.xmax || box.ymin > box.ymax)
    throw InputError(annotation.path,
                     where + "box " + io::ShownJson(value) + " has xmin > xmax or ymin > ymax");
  if (box.xmin < 1 || box.ymin < 1 || box.xmax > annotation.size.width ||
      box.ymax > annotation.size.height)
    throw InputError(annotation.path, where + "box " + io::ShownJson(value) + " is outside the " +
                                          std::to_string(annotation.size.width) + "x" +
                                          std::to_string(annotation.size.height) +
                                          " frame (1-based, inclusive coordinates)");
  return box;
}

ClipObject ParseObject(const Json& value, const ClipAnnotation& annotation, size_t index) {
  std::string where = "object " + std::to_string(index) + ": ";
  if (!value.is_object())
    throw InputError(annotation.path, where + "must be an object, got " + io::ShownJson(value));
  ClipObject object;
  object.name = io::JsonField(
                    value, "name",
                    [](const Json& name) {
                      return name.is_string() && !name.get_ref<const std::string&>().empty();
                    },
                    "a non-empty string", annotation.path, where)
                    .get<std::string>();
  where = "object " + std::to_string(index) + " ('" + object.name + "'): ";
  const Json& boxes = io::JsonField(
      value, "boxes", [](const Json& list) { return list.is_array(); }, "an array", annotation.path,
      where);
  if (boxes.size() != static_cast<size_t>(annotation.frames))
    throw InputError(annotation.path, where + "has " + std::to_string(boxes.size()) +
                                          " boxes for " + std::to_string(annotation.frames) +
                                          " frames");
  for (size_t frame = 0; frame < boxes.size(); ++frame)
    object.boxes.push_back(
        ParseBox(boxes[frame], annotation, where + "frame " + std::to_string(frame) + ": "));
  return object;
}

}  // namespace

bool ClipAnnotation::HasName(const std::string& name) const {
  return std::any_of(objects.begin(), objects.end(),
                     [&](const ClipObject& object) { return object.name == name; });
}

ClipAnnotation ReadClipAnnotation(const std::string& path) {
  const Json root = io::ReadJson(path);
  if (!root.is_object())
    throw InputError(path, "must hold a JSON object, got " + io::ShownJson(root));
  const std::string format =
      io::JsonField(root, "format", io::IsJsonString, "a string", path).get<std::string>();
  if (format != kFormat)
    throw InputError(path, "format is \"" + format + "\", expected \"" + kFormat + "\"");
  ClipAnnotation annotation;
  annotation.path = path;
  annotation.id = io::JsonField(root, "id", io::IsJsonString, "a string", path).get<std::string>();
  annotation.label =
      io::JsonField(root, "label", io::IsJsonString, "a string", path).get<std::string>();
  annotation.frames =
      io::JsonField(root, "frames", io::IsJsonPositiveInteger, "a positive integer", path)
          .get<int>();
  const Json& size = io::JsonField(
      root, "size",
      [](const Json& value) {
        return value.is_array() && value.size() == 2 && io::IsJsonPositiveInteger(value[0]) &&
               io::IsJsonPositiveInteger(value[1]);
      },
      "[height, width] in pixels", path);
  annotation.size = cv::Size(size[1].get<int>(), size[0].get<int>());
  if (root.contains("moving"))
    annotation.moving = io::JsonField(
                            root, "moving", [](const Json& value) { return value.is_boolean(); },
                            "true or false", path)
                            .get<bool>();
  const Json& objects = io::JsonField(
      root, "objects", [](const Json& value) { return value.is_array(); }, "an array", path);
  for (size_t index = 0; index < objects.size(); ++index)
    annotation.objects.push_back(ParseObject(objects[index], annotation, index));
  return annotation;
}

cv::Mat ClipRegionMask(const ClipAnnotation& annotation, const std::string& class_name,
                       cv::Size working_frame_size, int first_frame, int frame_stride, int frames) {
  BOREX_CHECK_GT(frames, 0);
  BOREX_CHECK_GE(first_frame, 0);
  BOREX_CHECK_GE(frame_stride, 1);
  BOREX_CHECK_GT(working_frame_size.area(), 0);
  const std::string sampled = std::to_string(frames) + " frames from frame " +
                              std::to_string(first_frame) + " with stride " +
                              std::to_string(frame_stride);
  if (!annotation.HasName(class_name))
    throw InputError(annotation.path, "no object of class '" + class_name + "'");
  const long long last = first_frame + static_cast<long long>(frames - 1) * frame_stride;
  if (last >= annotation.frames)
    throw InputError(annotation.path, "has " + std::to_string(annotation.frames) +
                                          " frames, fewer than the " + sampled + " need");
  const int height = working_frame_size.height;
  cv::Mat mask = cv::Mat::zeros(frames * height, working_frame_size.width, CV_8UC1);
  bool visible = false;
  for (int t = 0; t < frames; ++t) {
    const size_t frame = static_cast<size_t>(first_frame) + static_cast<size_t>(t) * frame_stride;
    // Scaled exactly as BoxRegion scales an image's boxes; a box outside the frame is not seen.
    std::vector<Box> boxes;
    for (const ClipObject& object : annotation.objects) {
      BOREX_CHECK_LT(frame, object.boxes.size());
      if (object.name == class_name && object.boxes[frame]) boxes.push_back(*object.boxes[frame]);
    }
    if (boxes.empty()) continue;
    const cv::Mat region = ScaledBoxRegion(boxes, annotation.size, working_frame_size);
    if (cv::countNonZero(region) == 0) continue;
    visible = true;
    mask.rowRange(t * height, (t + 1) * height).setTo(255, region);
  }
  if (!visible)
    throw InputError(annotation.path,
                     "class '" + class_name + "' is not visible in any of the " + sampled);
  return mask;
}

VideoClipDataset::VideoClipDataset(const std::string& root) : root_(root) {
  std::error_code error;
  if (!fs::is_directory(root, error)) throw InputError(root, "no such dataset directory");
  for (const char* sub : {"clips", "annotations", "splits"})
    if (!fs::is_directory(root + "/" + sub, error))
      throw InputError(root + "/" + sub,
                       "no such directory (a clip dataset has clips/, annotations/, splits/ and "
                       "classes.txt)");
  const std::string classes = root + "/classes.txt";
  if (!fs::is_regular_file(classes, error))
    throw InputError(classes, "no such file (the class names in label order, one per line)");
  class_names_ = VocDataset(root).class_names();  // the same classes.txt as a VOC root's
}

std::vector<std::string> VideoClipDataset::SplitIds(const std::string& split) const {
  return ReadSplitIds(root_ + "/splits/" + split + ".txt", "clips");
}

std::string VideoClipDataset::ClipPath(const std::string& id) const {
  std::string base = root_ + "/clips/" + id;
  std::error_code error;
  if (fs::is_directory(base, error)) return base;
  for (const char* extension : {".mp4", ".avi"})
    if (fs::is_regular_file(base + extension, error)) return base + extension;
  throw InputError(base, "no such clip (a folder of frames, .mp4 or .avi)");
}

std::string VideoClipDataset::AnnotationPath(const std::string& id) const {
  return root_ + "/annotations/" + id + ".json";
}

ClipAnnotation VideoClipDataset::ReadAnnotation(const std::string& id) const {
  ClipAnnotation annotation = ReadClipAnnotation(AnnotationPath(id));
  if (annotation.id != id)
    throw InputError(annotation.path,
                     "\"id\" is \"" + annotation.id + "\", expected \"" + id + "\"");
  const auto check_class = [&](const std::string& name, const std::string& what) {
    if (std::find(class_names_.begin(), class_names_.end(), name) == class_names_.end())
      throw InputError(annotation.path,
                       what + " '" + name + "' is not a class of " + root_ + "/classes.txt");
  };
  check_class(annotation.label, "label");
  for (const ClipObject& object : annotation.objects) check_class(object.name, "object name");
  return annotation;
}

}  // namespace borex::dataset
