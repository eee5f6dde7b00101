#include "borex/core/memory.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace borex {
namespace {

#ifdef __GLIBC__
// Whether a block of `bytes`, while allocated, is one of malloc's mmapped blocks.
bool AllocatedByMmap(size_t bytes) {
  const size_t mapped_before = mallinfo2().hblkhd;
  void* volatile block = std::malloc(bytes);  // volatile: the compiler may not elide the pair
  std::memset(block, 1, bytes);
  const bool mapped = mallinfo2().hblkhd >= mapped_before + bytes;
  std::free(block);
  return mapped;
}

// Sanitizers replace malloc, and mallopt and mallinfo2 with it.
#if defined(__SANITIZE_ADDRESS__)
#define BOREX_OWN_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define BOREX_OWN_MALLOC 1
#endif
#endif

// Each test runs in its own process (ctest), so glibc starts from its defaults, under which an
// 8 MiB block is mapped.
TEST(ReuseFreedMemoryTest, ActivationSizedBlocksComeFromTheHeapAfterwards) {
#ifdef BOREX_OWN_MALLOC
  GTEST_SKIP() << "a sanitizer's malloc";
#endif
  ASSERT_TRUE(ReuseFreedMemory());
  EXPECT_FALSE(AllocatedByMmap(size_t{8} << 20));
  EXPECT_FALSE(AllocatedByMmap(size_t{30} << 20));
  EXPECT_FALSE(AllocatedByMmap(size_t{100} << 20));  // above glibc's largest mmap threshold
}

TEST(ReuseFreedMemoryTest, ThresholdsMallocCannotTakeAreRefused) {
  ReuseFreedMemoryOptions options;
  options.trim_threshold_bytes = size_t{1} << 40;  // more than mallopt's int
  EXPECT_FALSE(ReuseFreedMemory(options));
}
#endif

}  // namespace
}  // namespace borex
