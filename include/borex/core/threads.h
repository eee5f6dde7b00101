// The thread count of borex's own parallel loops (the GP's per-candidate updates and its
// predictions, OpenMP). They run while the model is idle, so they take the model's intra-op
// threads: OpenClassifier sets both from ModelOptions::threads. Process-wide, unlike OpenMP's
// omp_set_num_threads, which holds for the calling thread only (batch refines on worker threads).
#pragma once

namespace borex {

// threads <= 0: every core.
void SetComputeThreads(int threads);
int ComputeThreads();

}  // namespace borex
