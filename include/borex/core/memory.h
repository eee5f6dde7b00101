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
  // Free memory at the heap's top is returned to the kernel only beyond this.
  size_t trim_threshold_bytes = size_t{1} << 30;
};

// Keeps freed memory in the process for reuse: every block comes from the heap, none from its
// own mapping (glibc caps the mmap threshold at 32 MiB, and a ResNet-18's activations at batch 16
// and 224x224 are larger), and the heap's free top is kept up to the trim threshold. glibc's
// mallopt; a no-op elsewhere. Returns whether the settings were applied.
bool ReuseFreedMemory(const ReuseFreedMemoryOptions& options = {});

}  // namespace borex
