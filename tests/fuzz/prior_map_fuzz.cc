// Fuzzes the prior loaders: io::ReadPriorMap (a .npy or a grayscale image of any size) and
// io::ReadClipMap (a (T, H, W) .npy). An input starting with NPY's magic bytes is read as a .npy
// file, anything else as a .png (OpenCV decodes by content, so any format it knows is reached).
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "borex/core/error.h"
#include "borex/io/image.h"
#include "fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bool npy = size >= 6 && std::memcmp(data, "\x93NUMPY", 6) == 0;
  const std::string path = borex::fuzz::WriteInput("prior", npy ? ".npy" : ".png", data, size);
  try {
    const cv::Mat prior = borex::io::ReadPriorMap(path);
    if (prior.type() != CV_32FC1 || prior.empty()) __builtin_trap();
  } catch (const borex::Error&) {
  }
  if (npy) {
    try {
      const cv::Mat stacked = borex::io::ReadClipMap(path, 2);
      if (stacked.type() != CV_32FC1 || stacked.rows % 2 != 0) __builtin_trap();
    } catch (const borex::Error&) {
    }
  }
  return 0;
}
