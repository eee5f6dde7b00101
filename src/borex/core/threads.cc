#include "borex/core/threads.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace borex {
namespace {

int AllCores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

std::atomic<int> compute_threads{AllCores()};

}  // namespace

void SetComputeThreads(int threads) { compute_threads = threads > 0 ? threads : AllCores(); }

int ComputeThreads() { return compute_threads; }

}  // namespace borex
