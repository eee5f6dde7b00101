// The thread count of borex's own parallel loops (the GP's per-candidate updates and its
// predictions, OpenMP). They run while the model is idle, so they take the model's intra-op
// threads: OpenClassifier sets both from ModelOptions::threads. Process-wide, unlike OpenMP's
// omp_set_num_threads, which holds for the calling thread only (batch refines on worker threads).
#pragma once

namespace borex {

// The machine's hardware threads (at least 1).
int HardwareThreads();
// The most threads a run may ask for, per hardware thread: beyond a few per core, more threads
// only contend.
inline constexpr int kThreadsPerHardwareThread = 16;

// threads <= 0: every core.
void SetComputeThreads(int threads);
int ComputeThreads();

}  // namespace borex
