#include "borex/core/threads.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace borex {
namespace {

std::atomic<int> compute_threads{HardwareThreads()};

}  // namespace

int HardwareThreads() {
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void SetComputeThreads(int threads) { compute_threads = threads > 0 ? threads : HardwareThreads(); }

int ComputeThreads() { return compute_threads; }

}  // namespace borex
