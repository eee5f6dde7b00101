#include "borex/dataset/voc.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <limits>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <pugixml.hpp>
#include <sstream>
#include <unordered_map>

#include "borex/core/error.h"
#include "borex/core/parse.h"
#include "borex/io/image.h"
#include "borex/io/input_file.h"

namespace borex::dataset {
namespace {

bool FileExists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

// `text` without the spaces (of `spaces`) around it.
std::string Trimmed(const std::string& text, const char* spaces) {
  const size_t first = text.find_first_not_of(spaces);
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(spaces) - first + 1);
}

int BoxCoordinate(const pugi::xml_node& box, const char* name, const std::string& path,
                  const std::string& object) {
  const pugi::xml_node node = box.child(name);
  const std::string text = Trimmed(node.child_value(), " \t\r\n");
  // The whole text a finite number ("12px" is not), within int: beyond it, lround and the
  // conversion would wrap a coordinate into another box.
  const std::optional<double> value = node ? ToNumber(text) : std::nullopt;
  if (!value)
    throw InputError(path, "object '" + object + "' has no numeric <bndbox><" + name + ">");
  if (*value < std::numeric_limits<int>::min() || *value > std::numeric_limits<int>::max())
    throw InputError(
        path, "object '" + object + "': <bndbox><" + name + "> " + text + " is beyond any image");
  return static_cast<int>(std::lround(*value));
}

std::vector<std::string> ReadLines(const std::string& path) {
  io::CheckInputFile(path, "a text file");
  std::ifstream in(path);
  if (!in) throw InputError(path, "cannot open file");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string trimmed = Trimmed(line, " \t");
    if (!trimmed.empty()) lines.push_back(std::move(trimmed));
  }
  return lines;
}

}  // namespace

std::vector<std::string> ReadSplitIds(const std::string& path, const std::string& items) {
  if (!FileExists(path)) throw InputError(path, "no such split file");
  std::vector<std::string> ids;
  std::unordered_map<std::string, size_t> line_of;  // 1-based, among the non-blank lines
  for (const std::string& line : ReadLines(path)) {
    std::istringstream fields(line);
    std::string id;
    fields >> id;
    const auto [first, added] = line_of.emplace(id, ids.size() + 1);
    if (!added)
      throw InputError(path, "lists '" + id + "' twice (entries " + std::to_string(first->second) +
                                 " and " + std::to_string(ids.size() + 1) + ")");
    ids.push_back(id);
  }
  if (ids.empty()) throw InputError(path, "the split lists no " + items);
  return ids;
}

namespace {

// The standard VOC colour map: colour of index i from the bits of i, spread over R, G, B.
std::array<cv::Vec3b, 256> VocPalette() {
  std::array<cv::Vec3b, 256> palette{};
  for (int index = 0; index < 256; ++index) {
    int r = 0, g = 0, b = 0, c = index;
    for (int bit = 7; bit >= 0; --bit, c >>= 3) {
      r |= ((c >> 0) & 1) << bit;
      g |= ((c >> 1) & 1) << bit;
      b |= ((c >> 2) & 1) << bit;
    }
    palette[index] = cv::Vec3b(static_cast<uchar>(b), static_cast<uchar>(g),
                               static_cast<uchar>(r));  // BGR, as OpenCV decodes
  }
  return palette;
}

}  // namespace

std::vector<std::string> Annotation::Names() const {
  std::vector<std::string> names;
  for (const AnnotatedObject& object : objects)
    if (std::find(names.begin(), names.end(), object.name) == names.end())
      names.push_back(object.name);
  return names;
}

bool Annotation::HasName(const std::string& name) const {
  return std::any_of(objects.begin(), objects.end(),
                     [&](const AnnotatedObject& object) { return object.name == name; });
}

Annotation ReadVocAnnotation(const std::string& path) {
  io::CheckInputFile(path, "an annotation (XML)");
  pugi::xml_document document;
  const pugi::xml_parse_result parsed = document.load_file(path.c_str());
  if (parsed.status == pugi::status_file_not_found) throw InputError(path, "no such file");
  if (!parsed) throw InputError(path, std::string("malformed XML: ") + parsed.description());
  const pugi::xml_node root = document.child("annotation");
  if (!root) throw InputError(path, "no <annotation> element");
  Annotation annotation;
  annotation.path = path;
  annotation.filename = root.child_value("filename");
  const pugi::xml_node size = root.child("size");
  annotation.size = {size.child("width").text().as_int(0), size.child("height").text().as_int(0)};
  for (const pugi::xml_node& node : root.children("object")) {
    AnnotatedObject object;
    object.name = node.child_value("name");
    if (object.name.empty()) throw InputError(path, "an <object> has no <name>");
    object.difficult = node.child("difficult").text().as_int(0) != 0;
    const pugi::xml_node box = node.child("bndbox");
    if (!box) throw InputError(path, "object '" + object.name + "' has no <bndbox>");
    object.box = {BoxCoordinate(box, "xmin", path, object.name),
                  BoxCoordinate(box, "ymin", path, object.name),
                  BoxCoordinate(box, "xmax", path, object.name),
                  BoxCoordinate(box, "ymax", path, object.name)};
    if (object.box.xmax < object.box.xmin || object.box.ymax < object.box.ymin)
      throw InputError(path, "object '" + object.name + "' has an empty box");
    annotation.objects.push_back(object);
  }
  return annotation;
}

cv::Mat ScaledBoxRegion(const std::vector<Box>& boxes, const cv::Size& frame,
                        const cv::Size& size) {
  const double sx = static_cast<double>(size.width) / frame.width;
  const double sy = static_cast<double>(size.height) / frame.height;
  cv::Mat region = cv::Mat::zeros(size, CV_8U);
  for (const Box& box : boxes) {
    // Box pixels [xmin-1, xmax] in 0-based half-open coordinates, scaled to `size`; clamped
    // before the conversion to int, as a file's coordinates can be anything up to INT_MAX.
    const auto pixel = [](double position, int limit) {
      return static_cast<int>(std::clamp(position, 0.0, static_cast<double>(limit)));
    };
    const int x0 = pixel(std::floor((box.xmin - 1.0) * sx), size.width);
    const int x1 = pixel(std::ceil(box.xmax * sx), size.width);
    const int y0 = pixel(std::floor((box.ymin - 1.0) * sy), size.height);
    const int y1 = pixel(std::ceil(box.ymax * sy), size.height);
    if (x1 > x0 && y1 > y0) region(cv::Rect(x0, y0, x1 - x0, y1 - y0)).setTo(1);
  }
  return region;
}

cv::Mat BoxRegion(const Annotation& annotation, const std::string& class_name,
                  const cv::Size& image_size, const cv::Size& size) {
  // Not size.area() > 0: it overflows int for a <size> of 100000 x 100000, and -5 x -5 passes it.
  const cv::Size frame =
      annotation.size.width > 0 && annotation.size.height > 0 ? annotation.size : image_size;
  std::vector<Box> boxes;
  for (const AnnotatedObject& object : annotation.objects)
    if (object.name == class_name) boxes.push_back(object.box);
  if (boxes.empty()) throw InputError(annotation.path, "no box of class '" + class_name + "'");
  cv::Mat region = ScaledBoxRegion(boxes, frame, size);
  // An empty region would fail the F-measure later, naming no file.
  if (cv::countNonZero(region) == 0)
    throw InputError(annotation.path, "the boxes of class '" + class_name + "' lie outside the " +
                                          std::to_string(frame.width) + "x" +
                                          std::to_string(frame.height) + " image");
  return region;
}

const std::vector<std::string>& VocClassNames() {
  static const std::vector<std::string> names = {
      "aeroplane", "bicycle",     "bird",  "boat",        "bottle", "bus",      "car",
      "cat",       "chair",       "cow",   "diningtable", "dog",    "horse",    "motorbike",
      "person",    "pottedplant", "sheep", "sofa",        "train",  "tvmonitor"};
  return names;
}

cv::Mat ReadSegmentationIndices(const std::string& path) {
  io::CheckImageFile(path);
  cv::Mat raw;
  try {
    raw = cv::imread(path, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {  // e.g. a header beyond OpenCV's own size limits
    throw InputError(path, "cannot read segmentation image: " + e.err);
  }
  if (raw.empty()) throw InputError(path, "cannot read segmentation image");
  if (raw.depth() != CV_8U) throw InputError(path, "segmentation image is not 8-bit");
  if (raw.channels() == 1) return raw;
  cv::Mat bgr;
  if (raw.channels() == 4)
    cv::cvtColor(raw, bgr, cv::COLOR_BGRA2BGR);
  else if (raw.channels() == 3)
    bgr = raw;
  else
    throw InputError(path,
                     "segmentation image has " + std::to_string(raw.channels()) + " channels");
  static const std::array<cv::Vec3b, 256> palette = VocPalette();
  cv::Mat indices(bgr.size(), CV_8U);
  for (int r = 0; r < bgr.rows; ++r)
    for (int c = 0; c < bgr.cols; ++c) {
      const cv::Vec3b colour = bgr.at<cv::Vec3b>(r, c);
      const auto match = std::find(palette.begin(), palette.end(), colour);
      if (match == palette.end())
        throw InputError(path, "pixel (" + std::to_string(r) + ", " + std::to_string(c) +
                                   ") has a colour outside the VOC palette");
      indices.at<uchar>(r, c) = static_cast<uchar>(match - palette.begin());
    }
  return indices;
}

VocDataset::VocDataset(const std::string& root) : root_(root) {
  struct stat info {};
  if (::stat(root.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
    throw InputError(root, "no such dataset directory");
  const std::string classes = root + "/classes.txt";
  class_names_ = FileExists(classes) ? ReadLines(classes) : VocClassNames();
  if (class_names_.empty()) throw InputError(classes, "no class names");
}

std::vector<std::string> VocDataset::SplitIds(const std::string& split) const {
  return ReadSplitIds(root_ + "/ImageSets/Main/" + split + ".txt", "images");
}

std::string VocDataset::ImagePath(const std::string& id) const {
  for (const char* extension : {".jpg", ".jpeg", ".png", ".JPG", ".JPEG", ".PNG"}) {
    std::string path = root_ + "/JPEGImages/" + id + extension;
    if (FileExists(path)) return path;
  }
  throw InputError(root_ + "/JPEGImages/" + id + ".jpg", "no such image (.jpg, .jpeg or .png)");
}

std::string VocDataset::AnnotationPath(const std::string& id) const {
  return root_ + "/Annotations/" + id + ".xml";
}

std::string VocDataset::SegmentationPath(const std::string& id) const {
  const std::string path = root_ + "/SegmentationClass/" + id + ".png";
  return FileExists(path) ? path : "";
}

cv::Mat VocDataset::Region(const std::string& id, const Annotation& annotation,
                           const std::string& class_name, const cv::Size& image_size,
                           const cv::Size& size) const {
  const std::string segmentation = SegmentationPath(id);
  if (segmentation.empty()) return BoxRegion(annotation, class_name, image_size, size);
  const auto position = std::find(class_names_.begin(), class_names_.end(), class_name);
  if (position == class_names_.end())
    throw InputError(segmentation, "class '" + class_name + "' is not a dataset class");
  const int index = static_cast<int>(position - class_names_.begin()) + 1;
  cv::Mat indices = ReadSegmentationIndices(segmentation);
  cv::Mat region = indices == index;  // 255 where the class is
  if (cv::countNonZero(region) == 0)
    throw InputError(segmentation, "no pixel of class '" + class_name + "'");
  if (region.size() != size) cv::resize(region, region, size, 0, 0, cv::INTER_NEAREST);
  return region / 255;
}

std::string Shard::Name() const { return std::to_string(index) + "-of-" + std::to_string(count); }

Shard ParseShard(const std::string& text, const std::string& option) {
  Shard shard;
  char slash = 0;
  std::istringstream in(text);
  if (!(in >> shard.index >> slash >> shard.count) || slash != '/' || !in.eof() ||
      shard.count < 1 || shard.index < 1 || shard.index > shard.count)
    throw OptionError(option, "'" + text + "' is not K/N with 1 <= K <= N");
  return shard;
}

}  // namespace borex::dataset
