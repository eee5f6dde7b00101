// Fuzzes the video clip annotation reader (dataset::ReadClipAnnotation, JSON format
// "borex-video-annotation/1") and the ground-truth mask built from its result
// (dataset::ClipRegionMask), as `borex evaluate` on a clip dataset uses them.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "borex/core/error.h"
#include "borex/dataset/video_clips.h"
#include "fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = borex::fuzz::WriteInput("clip", ".json", data, size);
  try {
    const borex::dataset::ClipAnnotation annotation = borex::dataset::ReadClipAnnotation(path);
    if (!annotation.objects.empty()) {
      const int frames = std::min(annotation.frames, 4);
      const cv::Mat mask = borex::dataset::ClipRegionMask(
          annotation, annotation.objects.front().name, cv::Size(12, 8), 0, 1, frames);
      if (mask.size() != cv::Size(12, 8 * frames)) __builtin_trap();
    }
  } catch (const borex::Error&) {
  }
  return 0;
}
