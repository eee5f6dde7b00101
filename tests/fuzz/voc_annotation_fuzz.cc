// Fuzzes the PascalVOC annotation reader (dataset::ReadVocAnnotation) and what the evaluation
// does with its result (dataset::BoxRegion for every object's class): dataset XML files are
// user-supplied, with <size> and <bndbox> values that may be huge, negative or not numbers.
#include <cstddef>
#include <cstdint>

#include "borex/core/error.h"
#include "borex/dataset/voc.h"
#include "fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = borex::fuzz::WriteInput("voc", ".xml", data, size);
  try {
    const borex::dataset::Annotation annotation = borex::dataset::ReadVocAnnotation(path);
    for (const std::string& name : annotation.Names()) {
      const cv::Mat region =
          borex::dataset::BoxRegion(annotation, name, cv::Size(40, 30), cv::Size(24, 16));
      if (region.size() != cv::Size(24, 16)) __builtin_trap();
    }
  } catch (const borex::Error&) {
  }
  return 0;
}
