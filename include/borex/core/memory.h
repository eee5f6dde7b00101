// Process-wide allocator settings for inference. A forward pass allocates and frees activations
// of megabytes; glibc's malloc serves blocks above its mmap threshold (128 KiB, then adjusted
// by history) with a fresh mmap and returns freed heap tops to the kernel, so a pass can pay a
// page fault for every 4 KiB it touches. Which happens depends on the process's allocation
// history, so the same model ran at 0.6 or 2.5 ms per image from one run to the next
// (docs/benchmarks.md, "The allocator"). Called once by the CLI's and the benchmarks' main();
// a program that embeds the library decides for itself.
#pragma once

#include <cstddef>

namespace borex {

struct ReuseFreedMemoryOptions {
  // Blocks up to this size come from the heap and are reused; larger ones are mapped (glibc's
  // largest allowed threshold on 64-bit systems).
  size_t mmap_threshold_bytes = size_t{32} << 20;
  // Free memory at the heap's top is returned to the kernel only beyond this.
  size_t trim_threshold_bytes = size_t{1} << 30;
};

// Keeps freed memory in the process for reuse (glibc's mallopt; a no-op elsewhere). Returns
// whether the settings were applied.
bool ReuseFreedMemory(const ReuseFreedMemoryOptions& options = {});

}  // namespace borex
