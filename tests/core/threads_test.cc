#include "borex/core/threads.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

namespace borex {
namespace {

int AllCores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

TEST(ComputeThreadsTest, ZeroOrNegativeMeansEveryCore) {
  SetComputeThreads(3);
  EXPECT_EQ(ComputeThreads(), 3);
  SetComputeThreads(0);
  EXPECT_EQ(ComputeThreads(), AllCores());
  SetComputeThreads(-2);
  EXPECT_EQ(ComputeThreads(), AllCores());
}

// Process-wide, unlike omp_set_num_threads: a thread started later sees the count (batch
// refines on worker threads).
TEST(ComputeThreadsTest, OtherThreadsSeeTheCount) {
  SetComputeThreads(1);
  std::atomic<int> seen{0};
  std::thread([&] { seen = ComputeThreads(); }).join();
  EXPECT_EQ(seen, 1);
  SetComputeThreads(0);
}

}  // namespace
}  // namespace borex
