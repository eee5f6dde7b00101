// Fuzzes the NPY reader (io::ReadNpyMap, io::ReadNpyMap3D): saliency maps and priors arrive as
// .npy files from Python, so the header dictionary, the declared shape and dtype and the data
// length are all untrusted. A borex::Error is the expected answer to a bad file; anything else
// (a crash, a sanitizer report, an allocation far beyond the file's size) is a bug.
#include <cstddef>
#include <cstdint>

#include "borex/core/error.h"
#include "borex/io/npy.h"
#include "fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = borex::fuzz::WriteInput("npy", ".npy", data, size);
  try {
    const cv::Mat map = borex::io::ReadNpyMap(path);
    if (map.type() != CV_32FC1 || map.empty()) __builtin_trap();
  } catch (const borex::Error&) {
  }
  try {
    for (const cv::Mat& frame : borex::io::ReadNpyMap3D(path))
      if (frame.type() != CV_32FC1 || frame.empty()) __builtin_trap();
  } catch (const borex::Error&) {
  }
  return 0;
}
