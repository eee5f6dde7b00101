#include "borex/core/memory.h"

#include <climits>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace borex {

bool ReuseFreedMemory(const ReuseFreedMemoryOptions& options) {
#ifdef __GLIBC__
  // mallopt takes an int.
  if (options.trim_threshold_bytes > INT_MAX) return false;
  return mallopt(M_MMAP_MAX, 0) == 1 &&
         mallopt(M_TRIM_THRESHOLD, static_cast<int>(options.trim_threshold_bytes)) == 1;
#else
  (void)options;
  return false;
#endif
}

}  // namespace borex
