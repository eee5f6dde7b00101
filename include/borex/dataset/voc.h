// PascalVOC-layout datasets (VOCdevkit 2007/2012): split lists, images, XML annotations, optional
// SegmentationClass masks, and the ground-truth region of a class as a pixel mask.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace borex::dataset {

// A VOC <bndbox>: 1-based, inclusive pixel coordinates.
struct Box {
  int xmin = 0, ymin = 0, xmax = 0, ymax = 0;
};

struct AnnotatedObject {
  std::string name;
  Box box;
  bool difficult = false;
};

struct Annotation {
  std::string path;
  std::string filename;
  cv::Size size{0, 0};  // <size> width x height; 0 when the file has none
  std::vector<AnnotatedObject> objects;

  // The distinct object names, in order of first appearance.
  std::vector<std::string> Names() const;
  bool HasName(const std::string& name) const;
};

// Parses a VOC annotation; throws InputError naming the file on unreadable XML, a missing
// <annotation> root, or an object without a name or with a malformed box.
Annotation ReadVocAnnotation(const std::string& path);

// The union of `boxes` (in a `frame`-sized image) as a CV_8U 0/1 mask of `size`, each box scaled
// to it and clamped to it: all zero when every box lies outside the frame.
cv::Mat ScaledBoxRegion(const std::vector<Box>& boxes, const cv::Size& frame, const cv::Size& size);

// The union of the boxes of `class_name` as a CV_8U 0/1 mask of `size`, the boxes scaled from
// the annotation's <size> (or `image_size` when it has none). Throws InputError when the
// annotation has no box of that class, or when they all lie outside the image.
cv::Mat BoxRegion(const Annotation& annotation, const std::string& class_name,
                  const cv::Size& image_size, const cv::Size& size);

// The ids of a split file, in file order: the first field of each non-blank line (VOC's "id flag"
// lines keep the id). Throws InputError naming the file when it is missing, lists no `items`
// ("images", "clips"), or lists an id twice (a batch would count it twice and write it once).
std::vector<std::string> ReadSplitIds(const std::string& path, const std::string& items);

// The 20 PascalVOC class names in their standard order (index 1..20 in SegmentationClass PNGs).
const std::vector<std::string>& VocClassNames();

// A SegmentationClass PNG as class indices (CV_8U; 0 background, 255 "void"): palette colours
// are decoded with the standard VOC colour map; single-channel PNGs are taken as indices.
cv::Mat ReadSegmentationIndices(const std::string& path);

// A dataset root: <root>/ImageSets/Main/<split>.txt, JPEGImages/, Annotations/,
// SegmentationClass/ (optional), classes.txt (optional: class names in segmentation-index order,
// else VOC's 20).
class VocDataset {
 public:
  explicit VocDataset(const std::string& root);

  // Image ids of ImageSets/Main/<split>.txt, in file order (VOC's "id flag" lines keep the id).
  std::vector<std::string> SplitIds(const std::string& split) const;
  // JPEGImages/<id>.jpg, .jpeg or .png, whichever exists; throws InputError when none does.
  std::string ImagePath(const std::string& id) const;
  std::string AnnotationPath(const std::string& id) const;
  // SegmentationClass/<id>.png, or "" when the dataset has none for this image.
  std::string SegmentationPath(const std::string& id) const;
  const std::vector<std::string>& class_names() const { return class_names_; }
  const std::string& root() const { return root_; }

  // The ground-truth region of `class_name` at `size`: the segmentation mask when the image has
  // one, else the union of the annotation's boxes. Throws InputError when there is none.
  cv::Mat Region(const std::string& id, const Annotation& annotation, const std::string& class_name,
                 const cv::Size& image_size, const cv::Size& size) const;

 private:
  std::string root_;
  std::vector<std::string> class_names_;
};

// `--shard K/N`: the 1-based shard K of N. Image i (0-based, in split order) belongs to shard
// (i mod N) + 1, so shards are disjoint, cover the split and do not depend on the machine.
struct Shard {
  int index = 1, count = 1;
  bool Contains(size_t position) const { return static_cast<int>(position % count) + 1 == index; }
  std::string Name() const;  // "3-of-8"
};
Shard ParseShard(const std::string& text, const std::string& option);

}  // namespace borex::dataset
