// Fuzzes the `--label-map` parser (dataset::LabelMap::FromFile): "INDEX NAME" and
// "FIRST-LAST NAME" lines with comments; indices may be huge, negative or reversed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "borex/core/error.h"
#include "borex/dataset/label_map.h"
#include "fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = borex::fuzz::WriteInput("label_map", ".txt", data, size);
  static const std::vector<std::string> kClasses{"cat", "dog", "bird"};
  try {
    const auto map = borex::dataset::LabelMap::FromFile(path, 1000, kClasses);
    for (int index = -1; index <= 1000; ++index) map.DatasetClass(index);
  } catch (const borex::Error&) {
  }
  return 0;
}
