// Fuzzes the VOC SegmentationClass reader (dataset::ReadSegmentationIndices): a PNG (or whatever
// OpenCV recognises in the file) decoded through the VOC palette. Bad or huge images must be
// rejected with borex::InputError, not crash, throw OpenCV's exceptions or exhaust memory.
#include <cstddef>
#include <cstdint>

#include "borex/core/error.h"
#include "borex/dataset/voc.h"
#include "fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = borex::fuzz::WriteInput("segmentation", ".png", data, size);
  try {
    const cv::Mat indices = borex::dataset::ReadSegmentationIndices(path);
    if (indices.type() != CV_8UC1 || indices.empty()) __builtin_trap();
  } catch (const borex::Error&) {
  }
  return 0;
}
